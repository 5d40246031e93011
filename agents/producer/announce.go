package producer

import (
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// announcePoolEntry is a payloadPools entry: its fixed block plus the URI length prefix.
const announcePoolEntry = 10 + 4

// maxAnnouncedPools is the largest numInGroup SBE encodes (65535 is its null).
const maxAnnouncedPools = 65534

// AnnounceLength is the encoded length of the ShmPoolAnnounce for these regions.
func (r *Regions) AnnounceLength() int {
	n := wire.HeaderLength + int(control.ShmPoolAnnounceSbeBlockLength) + 4 + 4 + len(r.headerURI)
	for _, uri := range r.poolURIs {
		n += announcePoolEntry + len(uri)
	}
	return n
}

// EncodeAnnounce writes the ShmPoolAnnounce a standalone producer emits for its regions
// (§10.1.1): explicit absolute paths for every region (§15.21a.4) and a CLOCK_MONOTONIC
// timestamp (§10.1.1 forbids unsynchronized realtime). It returns the length written.
func (r *Regions) EncodeAnnounce(buf []byte, producerID uint32, timestampNs uint64) (int, error) {
	if r.headerURI == "" || len(r.poolURIs) != len(r.layout.Pools) {
		return 0, configError("15.21a.4", "region URIs", r.headerURI, "regions without files cannot be announced")
	}
	if len(r.layout.Pools) > maxAnnouncedPools {
		return 0, configError("10.1.1", "payload_pools", len(r.layout.Pools), "more pools than an SBE group holds")
	}
	n := r.AnnounceLength()
	if len(buf) < n {
		return 0, configError("", "announce buffer length", len(buf), "too short for the announce")
	}
	l := &r.layout
	var m control.ShmPoolAnnounce
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetStreamId(l.StreamID).
		SetProducerId(producerID).
		SetEpoch(l.Epoch).
		SetAnnounceTimestampNs(timestampNs).
		SetAnnounceClockDomain(control.ClockDomain_MONOTONIC).
		SetLayoutVersion(shm.LayoutVersion).
		SetHeaderNslots(l.Nslots).
		SetHeaderSlotBytes(shm.HeaderSlotSize)
	pools := m.PayloadPoolsCount(uint16(len(l.Pools)))
	for i, p := range l.Pools {
		pools.Next().
			SetPoolId(p.PoolID).
			SetPoolNslots(l.Nslots).
			SetStrideBytes(p.StrideBytes).
			PutRegionUri(r.poolURIs[i])
	}
	m.PutHeaderRegionUri(r.headerURI)
	return n, nil
}

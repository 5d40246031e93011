package producer

import (
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// Announce returns the ShmPoolAnnounce a standalone producer emits for these regions
// (§10.1.1): explicit absolute paths for every region (§15.21a.4) and a CLOCK_MONOTONIC
// timestamp, which the sender sets (AnnounceTimestampNs) each time it sends it.
func (r *Regions) Announce(producerID uint32) (wire.ShmPoolAnnounce, error) {
	if r.headerURI == "" || len(r.poolURIs) != len(r.layout.Pools) {
		return wire.ShmPoolAnnounce{}, configError("15.21a.4", "region URIs", r.headerURI, "regions without files cannot be announced")
	}
	l := &r.layout
	a := wire.ShmPoolAnnounce{
		StreamID:            l.StreamID,
		ProducerID:          producerID,
		Epoch:               l.Epoch,
		AnnounceClockDomain: wire.ClockMonotonic,
		LayoutVersion:       shm.LayoutVersion,
		HeaderNslots:        l.Nslots,
		HeaderSlotBytes:     shm.HeaderSlotSize,
		PayloadPools:        make([]wire.PayloadPool, len(l.Pools)),
		HeaderRegionURI:     r.headerURI,
	}
	for i, p := range l.Pools {
		a.PayloadPools[i] = wire.PayloadPool{PoolID: p.PoolID, PoolNslots: l.Nslots, StrideBytes: p.StrideBytes, RegionURI: r.poolURIs[i]}
	}
	return a, nil
}

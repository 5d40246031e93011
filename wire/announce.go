package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// ShmPoolAnnounce describes the SHM regions of one stream's epoch (control schema, Wire
// spec §10.1.1); producers and the driver send it every announce period. Encode allocates
// nothing, so a long-lived ShmPoolAnnounce can be re-sent without garbage. An undefined
// clock domain decodes with ErrUnknownEnum. URIs are kept whole: the consumer's checks
// (parsing, containment) judge them.
type ShmPoolAnnounce struct {
	StreamID            uint32
	ProducerID          uint32 // 0: no producer attached (Wire spec §8)
	Epoch               uint64
	AnnounceTimestampNs uint64
	AnnounceClockDomain ClockDomain
	LayoutVersion       uint32
	HeaderNslots        uint32
	HeaderSlotBytes     uint16
	PayloadPools        []PayloadPool
	HeaderRegionURI     string
}

const shmPoolAnnounceBlock = int(control.ShmPoolAnnounceSbeBlockLength)

var shmPoolAnnounceGate = messageGate(ShmPoolAnnounceID)

// EncodedLength is the encoded size, header included.
func (m *ShmPoolAnnounce) EncodedLength() int {
	return HeaderLength + shmPoolAnnounceBlock + payloadPoolsLength(m.PayloadPools) + varLen(len(m.HeaderRegionURI))
}

// Encode writes m at buf[0:] and returns its length. It does not allocate unless it fails.
func (m *ShmPoolAnnounce) Encode(buf []byte) (int, error) {
	const name = "ShmPoolAnnounce"
	if err := checkPayloadPools(name, m.PayloadPools); err != nil {
		return 0, err
	}
	if err := checkVar(name, "headerRegionUri", len(m.HeaderRegionURI), maxVarLength); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(control.ShmPoolAnnounceSbeBlockLength, control.ShmPoolAnnounceSbeTemplateID, ControlSchemaID, ControlSchemaVersion))
	f := b[HeaderLength:]
	le.PutUint32(f, m.StreamID)
	le.PutUint32(f[4:], m.ProducerID)
	le.PutUint64(f[8:], m.Epoch)
	le.PutUint64(f[16:], m.AnnounceTimestampNs)
	f[24] = byte(m.AnnounceClockDomain)
	le.PutUint32(f[25:], m.LayoutVersion)
	le.PutUint32(f[29:], m.HeaderNslots)
	le.PutUint16(f[33:], m.HeaderSlotBytes)
	pos := putPayloadPools(b, HeaderLength+shmPoolAnnounceBlock, m.PayloadPools)
	putVar(b, pos, m.HeaderRegionURI)
	return n, nil
}

// Decode validates buf and fills m (see the package comment for the errors).
func (m *ShmPoolAnnounce) Decode(buf []byte) error {
	h, readable, err := shmPoolAnnounceGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+shmPoolAnnounceBlock]
	*m = ShmPoolAnnounce{
		StreamID:            le.Uint32(f),
		ProducerID:          le.Uint32(f[4:]),
		Epoch:               le.Uint64(f[8:]),
		AnnounceTimestampNs: le.Uint64(f[16:]),
		AnnounceClockDomain: ClockDomain(f[24]),
		LayoutVersion:       le.Uint32(f[25:]),
		HeaderNslots:        le.Uint32(f[29:]),
		HeaderSlotBytes:     le.Uint16(f[33:]),
	}
	var pos int
	m.PayloadPools, pos = getPayloadPools(buf, HeaderLength+int(h.BlockLength))
	m.HeaderRegionURI, _ = getVar(buf, pos)
	return err
}

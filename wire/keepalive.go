package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/driver"
)

// ShmLeaseKeepalive keeps a lease alive (driver schema, Driver spec §4.4). Clients send one
// per keepalive interval and the driver takes every client's: encoding and decoding it
// allocate nothing. An undefined role decodes with ErrUnknownEnum; the driver's lease rules
// then find no lease of that role.
type ShmLeaseKeepalive struct {
	LeaseID           uint64
	StreamID          uint32
	ClientID          uint32
	Role              Role
	ClientTimestampNs uint64
}

const (
	shmLeaseKeepaliveBlock  = int(driver.ShmLeaseKeepaliveSbeBlockLength)
	shmLeaseKeepaliveLength = HeaderLength + shmLeaseKeepaliveBlock
	shmLeaseKeepaliveHeader = uint64(driver.ShmLeaseKeepaliveSbeBlockLength) | uint64(driver.ShmLeaseKeepaliveSbeTemplateID)<<16 |
		uint64(DriverSchemaID)<<32 | uint64(DriverSchemaVersion)<<48
)

var (
	shmLeaseKeepaliveGate  = messageGate(ShmLeaseKeepaliveID)
	shmLeaseKeepaliveShort = fixedShortBuffer("ShmLeaseKeepalive", shmLeaseKeepaliveLength)
)

// EncodedLength is the encoded size, header included.
func (m *ShmLeaseKeepalive) EncodedLength() int { return shmLeaseKeepaliveLength }

// Encode writes m at buf[0:] and returns its length.
func (m *ShmLeaseKeepalive) Encode(buf []byte) (int, error) {
	if len(buf) < shmLeaseKeepaliveLength {
		return 0, shmLeaseKeepaliveShort
	}
	b := buf[:shmLeaseKeepaliveLength]
	le.PutUint64(b, shmLeaseKeepaliveHeader)
	f := b[HeaderLength:]
	le.PutUint64(f, m.LeaseID)
	le.PutUint32(f[8:], m.StreamID)
	le.PutUint32(f[12:], m.ClientID)
	f[16] = byte(m.Role)
	le.PutUint64(f[17:], m.ClientTimestampNs)
	return shmLeaseKeepaliveLength, nil
}

// Decode validates buf and fills m (see the package comment for the errors).
func (m *ShmLeaseKeepalive) Decode(buf []byte) error {
	_, readable, err := shmLeaseKeepaliveGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+shmLeaseKeepaliveBlock]
	*m = ShmLeaseKeepalive{
		LeaseID:           le.Uint64(f),
		StreamID:          le.Uint32(f[8:]),
		ClientID:          le.Uint32(f[12:]),
		Role:              Role(f[16]),
		ClientTimestampNs: le.Uint64(f[17:]),
	}
	return err
}

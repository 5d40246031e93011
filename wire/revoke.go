package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/driver"
)

// ShmLeaseRevoked tells clients a lease ended (driver schema, Driver spec §4.9). A notice
// with an undefined role or reason decodes with ErrUnknownEnum; clients ignore such
// notices. ErrorMessage is cut to MaxErrorMessageBytes on decode.
type ShmLeaseRevoked struct {
	TimestampNs  uint64
	LeaseID      uint64
	StreamID     uint32
	ClientID     uint32
	Role         Role
	Reason       LeaseRevokeReason
	ErrorMessage string
}

const shmLeaseRevokedBlock = int(driver.ShmLeaseRevokedSbeBlockLength)

var shmLeaseRevokedGate = messageGate(ShmLeaseRevokedID)

// EncodedLength is the encoded size, header included.
func (m *ShmLeaseRevoked) EncodedLength() int {
	return HeaderLength + shmLeaseRevokedBlock + varLen(len(m.ErrorMessage))
}

// Encode writes m at buf[0:] and returns its length.
func (m *ShmLeaseRevoked) Encode(buf []byte) (int, error) {
	const name = "ShmLeaseRevoked"
	if err := checkVar(name, "errorMessage", len(m.ErrorMessage), maxVarLength); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(driver.ShmLeaseRevokedSbeBlockLength, driver.ShmLeaseRevokedSbeTemplateID, DriverSchemaID, DriverSchemaVersion))
	f := b[HeaderLength:]
	le.PutUint64(f, m.TimestampNs)
	le.PutUint64(f[8:], m.LeaseID)
	le.PutUint32(f[16:], m.StreamID)
	le.PutUint32(f[20:], m.ClientID)
	f[24] = byte(m.Role)
	f[25] = byte(m.Reason)
	putVar(b, HeaderLength+shmLeaseRevokedBlock, m.ErrorMessage)
	return n, nil
}

// Decode validates buf and fills m (see the package comment for the errors).
func (m *ShmLeaseRevoked) Decode(buf []byte) error {
	h, readable, err := shmLeaseRevokedGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+shmLeaseRevokedBlock]
	*m = ShmLeaseRevoked{
		TimestampNs: le.Uint64(f),
		LeaseID:     le.Uint64(f[8:]),
		StreamID:    le.Uint32(f[16:]),
		ClientID:    le.Uint32(f[20:]),
		Role:        Role(f[24]),
		Reason:      LeaseRevokeReason(f[25]),
	}
	m.ErrorMessage, _ = getVarTruncated(buf, HeaderLength+int(h.BlockLength), MaxErrorMessageBytes)
	return err
}

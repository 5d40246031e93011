package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/driver"
)

// ShmDetachRequest gives a lease back (driver schema, Driver spec §4.9). An undefined role
// decodes with ErrUnknownEnum; the driver answers such a request.
type ShmDetachRequest struct {
	CorrelationID int64
	LeaseID       uint64
	StreamID      uint32
	ClientID      uint32
	Role          Role
}

const (
	shmDetachRequestBlock  = int(driver.ShmDetachRequestSbeBlockLength)
	shmDetachRequestLength = HeaderLength + shmDetachRequestBlock
	shmDetachRequestHeader = uint64(driver.ShmDetachRequestSbeBlockLength) | uint64(driver.ShmDetachRequestSbeTemplateID)<<16 |
		uint64(DriverSchemaID)<<32 | uint64(DriverSchemaVersion)<<48
)

var (
	shmDetachRequestGate  = messageGate(ShmDetachRequestID)
	shmDetachRequestShort = fixedShortBuffer("ShmDetachRequest", shmDetachRequestLength)
)

// EncodedLength is the encoded size, header included.
func (m *ShmDetachRequest) EncodedLength() int { return shmDetachRequestLength }

// Encode writes m at buf[0:] and returns its length.
func (m *ShmDetachRequest) Encode(buf []byte) (int, error) {
	if len(buf) < shmDetachRequestLength {
		return 0, shmDetachRequestShort
	}
	b := buf[:shmDetachRequestLength]
	le.PutUint64(b, shmDetachRequestHeader)
	f := b[HeaderLength:]
	le.PutUint64(f, uint64(m.CorrelationID))
	le.PutUint64(f[8:], m.LeaseID)
	le.PutUint32(f[16:], m.StreamID)
	le.PutUint32(f[20:], m.ClientID)
	f[24] = byte(m.Role)
	return shmDetachRequestLength, nil
}

// Decode validates buf and fills m (see the package comment for the errors).
func (m *ShmDetachRequest) Decode(buf []byte) error {
	_, readable, err := shmDetachRequestGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+shmDetachRequestBlock]
	*m = ShmDetachRequest{
		CorrelationID: int64(le.Uint64(f)),
		LeaseID:       le.Uint64(f[8:]),
		StreamID:      le.Uint32(f[16:]),
		ClientID:      le.Uint32(f[20:]),
		Role:          Role(f[24]),
	}
	return err
}

// ShmDetachResponse answers a ShmDetachRequest (driver schema, Driver spec §4.9).
// ErrorMessage is cut to MaxErrorMessageBytes on decode.
type ShmDetachResponse struct {
	CorrelationID int64
	Code          ResponseCode
	ErrorMessage  string
}

const shmDetachResponseBlock = int(driver.ShmDetachResponseSbeBlockLength)

var shmDetachResponseGate = messageGate(ShmDetachResponseID)

// EncodedLength is the encoded size, header included.
func (m *ShmDetachResponse) EncodedLength() int {
	return HeaderLength + shmDetachResponseBlock + varLen(len(m.ErrorMessage))
}

// Encode writes m at buf[0:] and returns its length.
func (m *ShmDetachResponse) Encode(buf []byte) (int, error) {
	const name = "ShmDetachResponse"
	if err := checkVar(name, "errorMessage", len(m.ErrorMessage), maxVarLength); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(driver.ShmDetachResponseSbeBlockLength, driver.ShmDetachResponseSbeTemplateID, DriverSchemaID, DriverSchemaVersion))
	f := b[HeaderLength:]
	le.PutUint64(f, uint64(m.CorrelationID))
	le.PutUint32(f[8:], uint32(m.Code))
	putVar(b, HeaderLength+shmDetachResponseBlock, m.ErrorMessage)
	return n, nil
}

// Decode validates buf and fills m (see the package comment for the errors).
func (m *ShmDetachResponse) Decode(buf []byte) error {
	h, readable, err := shmDetachResponseGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+shmDetachResponseBlock]
	*m = ShmDetachResponse{CorrelationID: int64(le.Uint64(f)), Code: ResponseCode(le.Uint32(f[8:]))}
	m.ErrorMessage, _ = getVarTruncated(buf, HeaderLength+int(h.BlockLength), MaxErrorMessageBytes)
	return err
}

package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/driver"
)

// ShmDriverShutdown announces that the driver stopped (driver schema, Driver spec §4.13).
// ErrorMessage is cut to MaxErrorMessageBytes on decode.
type ShmDriverShutdown struct {
	TimestampNs  uint64
	Reason       ShutdownReason
	ErrorMessage string
}

const shmDriverShutdownBlock = int(driver.ShmDriverShutdownSbeBlockLength)

var shmDriverShutdownGate = messageGate(ShmDriverShutdownID)

// EncodedLength is the encoded size, header included.
func (m *ShmDriverShutdown) EncodedLength() int {
	return HeaderLength + shmDriverShutdownBlock + varLen(len(m.ErrorMessage))
}

// Encode writes m at buf[0:] and returns its length.
func (m *ShmDriverShutdown) Encode(buf []byte) (int, error) {
	const name = "ShmDriverShutdown"
	if err := checkVar(name, "errorMessage", len(m.ErrorMessage), maxVarLength); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(driver.ShmDriverShutdownSbeBlockLength, driver.ShmDriverShutdownSbeTemplateID, DriverSchemaID, DriverSchemaVersion))
	f := b[HeaderLength:]
	le.PutUint64(f, m.TimestampNs)
	f[8] = byte(m.Reason)
	putVar(b, HeaderLength+shmDriverShutdownBlock, m.ErrorMessage)
	return n, nil
}

// Decode validates buf and fills m (see the package comment for the errors).
func (m *ShmDriverShutdown) Decode(buf []byte) error {
	h, readable, err := shmDriverShutdownGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+shmDriverShutdownBlock]
	*m = ShmDriverShutdown{TimestampNs: le.Uint64(f), Reason: ShutdownReason(f[8])}
	m.ErrorMessage, _ = getVarTruncated(buf, HeaderLength+int(h.BlockLength), MaxErrorMessageBytes)
	return err
}

// ShmDriverShutdownRequest asks the driver to stop (driver schema, Driver spec §4.13). The
// driver receives it, so its strings are bounded rather than cut: a Token over
// MaxTokenBytes or an ErrorMessage over MaxErrorMessageBytes fails Decode (ErrBadLength).
type ShmDriverShutdownRequest struct {
	CorrelationID int64
	Reason        ShutdownReason
	Token         string
	ErrorMessage  string
}

const shmDriverShutdownRequestBlock = int(driver.ShmDriverShutdownRequestSbeBlockLength)

var shmDriverShutdownRequestGate = messageGate(ShmDriverShutdownRequestID)

// EncodedLength is the encoded size, header included.
func (m *ShmDriverShutdownRequest) EncodedLength() int {
	return HeaderLength + shmDriverShutdownRequestBlock + varLen(len(m.Token)) + varLen(len(m.ErrorMessage))
}

// Encode writes m at buf[0:] and returns its length.
func (m *ShmDriverShutdownRequest) Encode(buf []byte) (int, error) {
	const name = "ShmDriverShutdownRequest"
	if err := firstError(checkVar(name, "token", len(m.Token), maxVarLength),
		checkVar(name, "errorMessage", len(m.ErrorMessage), maxVarLength)); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(driver.ShmDriverShutdownRequestSbeBlockLength, driver.ShmDriverShutdownRequestSbeTemplateID, DriverSchemaID, DriverSchemaVersion))
	f := b[HeaderLength:]
	le.PutUint64(f, uint64(m.CorrelationID))
	f[8] = byte(m.Reason)
	pos := putVar(b, HeaderLength+shmDriverShutdownRequestBlock, m.Token)
	putVar(b, pos, m.ErrorMessage)
	return n, nil
}

// Decode validates buf and fills m (see the package comment and the type for the errors).
func (m *ShmDriverShutdownRequest) Decode(buf []byte) error {
	const name = "ShmDriverShutdownRequest"
	h, readable, err := shmDriverShutdownRequestGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+shmDriverShutdownRequestBlock]
	*m = ShmDriverShutdownRequest{CorrelationID: int64(le.Uint64(f)), Reason: ShutdownReason(f[8])}
	token, pos, tokenErr := getVarBounded(buf, HeaderLength+int(h.BlockLength), MaxTokenBytes, name, "token")
	if tokenErr != nil {
		return tokenErr
	}
	message, _, messageErr := getVarBounded(buf, pos, MaxErrorMessageBytes, name, "errorMessage")
	if messageErr != nil {
		return messageErr
	}
	m.Token, m.ErrorMessage = token, message
	return err
}

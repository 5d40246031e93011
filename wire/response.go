package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// ControlResponse answers a control request by correlation id (control schema). A code the
// schema does not define decodes with ErrUnknownEnum; ErrorMessage is cut to
// MaxErrorMessageBytes on decode.
type ControlResponse struct {
	CorrelationID int64
	Code          ResponseCode
	ErrorMessage  string
}

const controlResponseBlock = int(control.ControlResponseSbeBlockLength)

var controlResponseGate = messageGate(ControlResponseID)

// EncodedLength is the encoded size, header included.
func (m *ControlResponse) EncodedLength() int {
	return HeaderLength + controlResponseBlock + varLen(len(m.ErrorMessage))
}

// Encode writes m at buf[0:] and returns its length.
func (m *ControlResponse) Encode(buf []byte) (int, error) {
	const name = "ControlResponse"
	if err := checkVar(name, "errorMessage", len(m.ErrorMessage), maxVarLength); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(control.ControlResponseSbeBlockLength, control.ControlResponseSbeTemplateID, ControlSchemaID, ControlSchemaVersion))
	f := b[HeaderLength:]
	le.PutUint64(f, uint64(m.CorrelationID))
	le.PutUint32(f[8:], uint32(m.Code))
	putVar(b, HeaderLength+controlResponseBlock, m.ErrorMessage)
	return n, nil
}

// Decode validates buf and fills m (see the package comment for the errors).
func (m *ControlResponse) Decode(buf []byte) error {
	h, readable, err := controlResponseGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+controlResponseBlock]
	*m = ControlResponse{CorrelationID: int64(le.Uint64(f)), Code: ResponseCode(le.Uint32(f[8:]))}
	m.ErrorMessage, _ = getVarTruncated(buf, HeaderLength+int(h.BlockLength), MaxErrorMessageBytes)
	return err
}

package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// FrameProgress tells how far a producer has filled the frame it is writing (control
// schema, Wire spec §10.2.2): a hint sent on the data path, so encoding and decoding it
// allocate nothing. A state the schema does not define decodes with ErrUnknownEnum.
type FrameProgress struct {
	StreamID           uint32
	Epoch              uint64
	FrameID            uint64 // the seq its FrameDescriptor will carry
	HeaderIndex        uint32
	PayloadBytesFilled uint64
	State              FrameProgressState
}

// FrameProgressLength is a FrameProgress's encoded size, header included.
const FrameProgressLength = HeaderLength + frameProgressBlock

const (
	frameProgressBlock  = int(control.FrameProgressSbeBlockLength)
	frameProgressHeader = uint64(control.FrameProgressSbeBlockLength) | uint64(control.FrameProgressSbeTemplateID)<<16 |
		uint64(ControlSchemaID)<<32 | uint64(ControlSchemaVersion)<<48
)

var (
	frameProgressGate  = messageGate(FrameProgressID)
	frameProgressShort = fixedShortBuffer("FrameProgress", FrameProgressLength)
)

// EncodedLength is the encoded size, header included.
func (m *FrameProgress) EncodedLength() int { return FrameProgressLength }

// Encode writes m at buf[0:] and returns its length. It does not allocate.
func (m *FrameProgress) Encode(buf []byte) (int, error) {
	if len(buf) < FrameProgressLength {
		return 0, frameProgressShort
	}
	b := buf[:FrameProgressLength]
	le.PutUint64(b, frameProgressHeader)
	f := b[HeaderLength:]
	le.PutUint32(f, m.StreamID)
	le.PutUint64(f[4:], m.Epoch)
	le.PutUint64(f[12:], m.FrameID)
	le.PutUint32(f[20:], m.HeaderIndex)
	le.PutUint64(f[24:], m.PayloadBytesFilled)
	f[32] = byte(m.State)
	return FrameProgressLength, nil
}

// Decode validates buf and fills m (see the package comment for the errors). It does not
// allocate unless buf is malformed.
func (m *FrameProgress) Decode(buf []byte) error {
	_, readable, err := frameProgressGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+frameProgressBlock]
	*m = FrameProgress{
		StreamID:           le.Uint32(f),
		Epoch:              le.Uint64(f[4:]),
		FrameID:            le.Uint64(f[12:]),
		HeaderIndex:        le.Uint32(f[20:]),
		PayloadBytesFilled: le.Uint64(f[24:]),
		State:              FrameProgressState(f[32]),
	}
	return err
}

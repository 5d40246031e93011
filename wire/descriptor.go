package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// FrameDescriptor announces a committed frame (control schema, Wire spec §10.2.1): one per
// frame on the data path, so encoding and decoding it allocate nothing. Encode is a run of
// stores at the schema's offsets (TestFrameDescriptorMatchesCodec holds the bytes to the
// generated codec's); a producer may encode before it commits the frame and stamp the
// commit time after (StampFrameDescriptor).
type FrameDescriptor struct {
	StreamID    uint32
	Epoch       uint64
	Seq         uint64
	HeaderIndex uint32
	TimestampNs uint64 // optional: NullU64 when absent
	MetaVersion uint32 // optional: NullU32 when absent
}

// FrameDescriptorLength is a FrameDescriptor's encoded size, header included.
const FrameDescriptorLength = HeaderLength + frameDescriptorBlock

const (
	frameDescriptorBlock  = int(control.FrameDescriptorSbeBlockLength)
	frameDescriptorHeader = uint64(control.FrameDescriptorSbeBlockLength) | uint64(control.FrameDescriptorSbeTemplateID)<<16 |
		uint64(ControlSchemaID)<<32 | uint64(ControlSchemaVersion)<<48
	// frameDescriptorTimestamp is timestampNs's offset in the encoded message.
	frameDescriptorTimestamp = HeaderLength + 24
)

var (
	frameDescriptorGate  = messageGate(FrameDescriptorID)
	frameDescriptorShort = fixedShortBuffer("FrameDescriptor", FrameDescriptorLength)
)

// EncodedLength is the encoded size, header included.
func (m *FrameDescriptor) EncodedLength() int { return FrameDescriptorLength }

// Encode writes m at buf[0:] and returns its length. It does not allocate.
func (m *FrameDescriptor) Encode(buf []byte) (int, error) {
	if len(buf) < FrameDescriptorLength {
		return 0, frameDescriptorShort
	}
	b := buf[:FrameDescriptorLength]
	le.PutUint64(b, frameDescriptorHeader)
	le.PutUint32(b[HeaderLength:], m.StreamID)
	le.PutUint64(b[HeaderLength+4:], m.Epoch)
	le.PutUint64(b[HeaderLength+12:], m.Seq)
	le.PutUint32(b[HeaderLength+20:], m.HeaderIndex)
	le.PutUint64(b[frameDescriptorTimestamp:], m.TimestampNs)
	le.PutUint32(b[HeaderLength+32:], m.MetaVersion)
	return FrameDescriptorLength, nil
}

// StampFrameDescriptor sets timestampNs of the FrameDescriptor encoded at the start of buf,
// which holds FrameDescriptorLength bytes.
func StampFrameDescriptor(buf []byte, timestampNs uint64) {
	le.PutUint64(buf[frameDescriptorTimestamp:], timestampNs)
}

// Decode validates buf and fills m (see the package comment for the errors). It does not
// allocate unless buf is malformed.
func (m *FrameDescriptor) Decode(buf []byte) error {
	_, readable, err := frameDescriptorGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+frameDescriptorBlock]
	*m = FrameDescriptor{
		StreamID:    le.Uint32(f),
		Epoch:       le.Uint64(f[4:]),
		Seq:         le.Uint64(f[12:]),
		HeaderIndex: le.Uint32(f[20:]),
		TimestampNs: le.Uint64(f[24:]),
		MetaVersion: le.Uint32(f[32:]),
	}
	return err
}

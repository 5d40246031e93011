package wire

import (
	"math"

	"github.com/tensorpool/tensorpool/wire/sbe/control"
	v12control "github.com/tensorpool/tensorpool/wire/sbe/v12/control"
)

// FrameProgress tells how far a producer has filled the frame it is writing (control
// schema, Wire spec §10.2.2): a hint sent on the data path, so encoding and decoding it
// allocate nothing. A state the schema does not define decodes with ErrUnknownEnum.
//
// Its layout depends on Version (see Version for how a receiver tells them apart):
//
//	v1.1 (block 33): streamId@0 epoch@4 frameId@12 headerIndex@20 payloadBytesFilled@24 state@32
//	v1.2 (block 29): streamId@0 epoch@4 seq@12 payloadBytesFilled@20 state@28
//
// v1.2 renamed frameId to seq (FrameID holds it in both) and dropped headerIndex: a v1.2
// progress decodes with HeaderIndex 0, and its receiver derives the slot as
// seq & (header_nslots-1) (Wire spec v1.2 §10.2.2; a role's rule).
type FrameProgress struct {
	Version            Version // the layout Encode writes and Decode read; V1_1 unless set
	StreamID           uint32
	Epoch              uint64
	FrameID            uint64 // the seq its FrameDescriptor will carry (v1.2's field seq)
	HeaderIndex        uint32 // v1.1 only
	PayloadBytesFilled uint64
	State              FrameProgressState
}

// FrameProgressLength is a v1.1 FrameProgress's encoded size, header included;
// FrameProgressLengthV1_2 a v1.2 one's, and FrameProgressMaxLength the larger, for buffers
// that hold either.
const (
	FrameProgressLength     = HeaderLength + frameProgressBlock
	FrameProgressLengthV1_2 = HeaderLength + frameProgressBlockV1_2
	FrameProgressMaxLength  = FrameProgressLength
)

const (
	frameProgressBlock      = int(control.FrameProgressSbeBlockLength)
	frameProgressBlockV1_2  = int(v12control.FrameProgressSbeBlockLength)
	frameProgressHeader     = uint64(frameProgressBlock) | frameProgressHeaderID
	frameProgressHeaderV1_2 = uint64(frameProgressBlockV1_2) | frameProgressHeaderID
	frameProgressHeaderID   = uint64(control.FrameProgressSbeTemplateID)<<16 | uint64(ControlSchemaID)<<32 | uint64(ControlSchemaVersion)<<48
)

var frameProgressGate = messageGate(FrameProgressID)

// frameProgressLayout is where Encode puts the fields of one Version.
type frameProgressLayout struct {
	header uint64 // the message header word
	// length is the encoded length; math.MaxInt for a Version this package does not speak,
	// so that Encode's length check refuses it too.
	length int
	// Offsets in the encoded message of the fields whose place differs between versions.
	payloadBytesFilled, state uint8
	refused                   error // Encode's error when the length check fails
}

// frameProgressLayouts holds an entry for every Version value, so Encode indexes it
// without a check and stays small enough to be inlined.
var frameProgressLayouts = func() (t [256]frameProgressLayout) {
	bad := fixedBadVersion("FrameProgress")
	for v := range t {
		t[v] = frameProgressLayout{length: math.MaxInt, refused: bad}
	}
	t[V1_1] = frameProgressLayout{header: frameProgressHeader, length: FrameProgressLength,
		payloadBytesFilled: HeaderLength + 24, state: HeaderLength + 32,
		refused: fixedShortBuffer("FrameProgress", FrameProgressLength)}
	t[V1_2] = frameProgressLayout{header: frameProgressHeaderV1_2, length: FrameProgressLengthV1_2,
		payloadBytesFilled: HeaderLength + 20, state: HeaderLength + 28,
		refused: fixedShortBuffer("FrameProgress", FrameProgressLengthV1_2)}
	return t
}()

// EncodedLength is the encoded size in m's Version, header included.
func (m *FrameProgress) EncodedLength() int {
	if m.Version == V1_2 {
		return FrameProgressLengthV1_2
	}
	return FrameProgressLength
}

// Encode writes m in its Version's layout at buf[0:] and returns its length. It does not
// allocate, and it is inlined (TestHotPathEncodersInline).
//
// One run of stores serves both layouts, so the order of the stores matters: in v1.2
// HeaderIndex, which it lacks, is stored where payloadBytesFilled then overwrites it.
func (m *FrameProgress) Encode(buf []byte) (int, error) {
	l := &frameProgressLayouts[m.Version]
	if len(buf) < l.length {
		return 0, l.refused
	}
	le.PutUint64(buf, l.header)
	le.PutUint32(buf[HeaderLength:], m.StreamID)
	le.PutUint64(buf[HeaderLength+4:], m.Epoch)
	le.PutUint64(buf[HeaderLength+12:], m.FrameID)
	le.PutUint32(buf[HeaderLength+20:], m.HeaderIndex)
	le.PutUint64(buf[l.payloadBytesFilled:], m.PayloadBytesFilled)
	buf[l.state] = byte(m.State)
	return l.length, nil
}

// Decode validates buf and fills m in the layout its block length selects, setting
// Version (see the package comment for the errors). It does not allocate unless buf is
// malformed.
func (m *FrameProgress) Decode(buf []byte) error {
	h, readable, err := frameProgressGate.open(buf)
	if !readable {
		return err
	}
	// Field by field rather than *m = FrameProgress{...}: the composite goes through a
	// temporary whose narrow stores the copy then reads wide, a store-forwarding stall.
	if int(h.BlockLength) == frameProgressBlockV1_2 {
		f := buf[HeaderLength : HeaderLength+frameProgressBlockV1_2]
		m.Version, m.StreamID, m.Epoch, m.FrameID = V1_2, le.Uint32(f), le.Uint64(f[4:]), le.Uint64(f[12:])
		m.HeaderIndex, m.PayloadBytesFilled, m.State = 0, le.Uint64(f[20:]), FrameProgressState(f[28])
		return err
	}
	f := buf[HeaderLength : HeaderLength+frameProgressBlock]
	m.Version, m.StreamID, m.Epoch, m.FrameID = V1_1, le.Uint32(f), le.Uint64(f[4:]), le.Uint64(f[12:])
	m.HeaderIndex, m.PayloadBytesFilled, m.State = le.Uint32(f[20:]), le.Uint64(f[24:]), FrameProgressState(f[32])
	return err
}

package wire

import (
	"math"

	"github.com/tensorpool/tensorpool/wire/sbe/control"
	v12control "github.com/tensorpool/tensorpool/wire/sbe/v12/control"
)

// FrameDescriptor announces a committed frame (control schema, Wire spec §10.2.1): one per
// frame on the data path, so encoding and decoding it allocate nothing. Encode is a run of
// stores at the schema's offsets (TestEncodeDescriptorMatchesCodec holds the bytes to the
// generated codecs'); a producer may encode before it commits the frame and stamp the
// commit time after (StampFrameDescriptor).
//
// Its layout depends on Version (see Version for how a receiver tells them apart):
//
//	v1.1 (block 36): streamId@0 epoch@4 seq@12 headerIndex@20 timestampNs@24 metaVersion@32
//	v1.2 (block 40): streamId@0 epoch@4 seq@12 timestampNs@20 metaVersion@28 traceId@32
//
// HeaderIndex exists in v1.1 only: a v1.2 descriptor decodes with HeaderIndex 0, and its
// receiver derives the slot as seq & (header_nslots-1) (Wire spec v1.2 §10.2.1, §15.21 rule
// 1; a role's rule, shm.HeaderRing.HeaderIndex). TraceID exists in v1.2 only, 0 when absent
// (TraceLink spec §8.1); a v1.1 descriptor decodes with TraceID 0.
type FrameDescriptor struct {
	Version     Version // the layout Encode writes and Decode read; V1_1 unless set
	StreamID    uint32
	Epoch       uint64
	Seq         uint64
	HeaderIndex uint32 // v1.1 only
	TimestampNs uint64 // optional: NullU64 when absent
	MetaVersion uint32 // optional: NullU32 when absent
	TraceID     uint64 // v1.2 only; optional: 0 when absent
}

// FrameDescriptorLength is a v1.1 FrameDescriptor's encoded size, header included;
// FrameDescriptorLengthV1_2 a v1.2 one's, and FrameDescriptorMaxLength the larger, for
// buffers that hold either.
const (
	FrameDescriptorLength     = HeaderLength + frameDescriptorBlock
	FrameDescriptorLengthV1_2 = HeaderLength + frameDescriptorBlockV1_2
	FrameDescriptorMaxLength  = FrameDescriptorLengthV1_2
)

const (
	frameDescriptorBlock      = int(control.FrameDescriptorSbeBlockLength)
	frameDescriptorBlockV1_2  = int(v12control.FrameDescriptorSbeBlockLength)
	frameDescriptorHeader     = uint64(frameDescriptorBlock) | frameDescriptorHeaderID
	frameDescriptorHeaderV1_2 = uint64(frameDescriptorBlockV1_2) | frameDescriptorHeaderID
	frameDescriptorHeaderID   = uint64(control.FrameDescriptorSbeTemplateID)<<16 | uint64(ControlSchemaID)<<32 | uint64(ControlSchemaVersion)<<48
	// headerWordWithoutVersion masks a header word's version out: block length, template
	// and schema.
	headerWordWithoutVersion = 1<<48 - 1
	// frameDescriptorTimestamp and frameDescriptorTimestampV1_2 are timestampNs's offsets in
	// the encoded message.
	frameDescriptorTimestamp     = HeaderLength + 24
	frameDescriptorTimestampV1_2 = HeaderLength + 20
)

var frameDescriptorGate = messageGate(FrameDescriptorID)

// frameDescriptorLayout is where Encode puts the fields of one Version.
type frameDescriptorLayout struct {
	header uint64 // the message header word
	// length is the encoded length; math.MaxInt for a Version this package does not speak,
	// so that Encode's length check refuses it too.
	length int
	// Offsets in the encoded message of the fields whose place differs between versions.
	traceID, timestampNs, metaVersion uint8
	refused                           error // Encode's error when the length check fails
}

// frameDescriptorLayouts holds an entry for every Version value, so Encode indexes it
// without a check and stays small enough to be inlined into a producer's commit.
var frameDescriptorLayouts = func() (t [256]frameDescriptorLayout) {
	bad := fixedBadVersion("FrameDescriptor")
	for v := range t {
		t[v] = frameDescriptorLayout{length: math.MaxInt, refused: bad}
	}
	t[V1_1] = frameDescriptorLayout{header: frameDescriptorHeader, length: FrameDescriptorLength,
		traceID: HeaderLength + 20, timestampNs: frameDescriptorTimestamp, metaVersion: HeaderLength + 32,
		refused: fixedShortBuffer("FrameDescriptor", FrameDescriptorLength)}
	t[V1_2] = frameDescriptorLayout{header: frameDescriptorHeaderV1_2, length: FrameDescriptorLengthV1_2,
		traceID: HeaderLength + 32, timestampNs: frameDescriptorTimestampV1_2, metaVersion: HeaderLength + 28,
		refused: fixedShortBuffer("FrameDescriptor", FrameDescriptorLengthV1_2)}
	return t
}()

// EncodedLength is the encoded size in m's Version, header included.
func (m *FrameDescriptor) EncodedLength() int {
	if m.Version == V1_2 {
		return FrameDescriptorLengthV1_2
	}
	return FrameDescriptorLength
}

// Encode writes m in its Version's layout at buf[0:] and returns its length. It does not
// allocate, and it is inlined (TestHotPathEncodersInline). A producer that sends one
// stream's descriptors keeps them in an EncodedFrameDescriptor instead, which stores only
// the fields that change from frame to frame.
//
// One run of stores serves both layouts, so the order of the stores matters: the field a
// version lacks is stored where the stores after it overwrite it (in v1.1 TraceID, under
// headerIndex and timestampNs; in v1.2 HeaderIndex, under timestampNs).
func (m *FrameDescriptor) Encode(buf []byte) (int, error) {
	l := &frameDescriptorLayouts[m.Version]
	if len(buf) < l.length {
		return 0, l.refused
	}
	le.PutUint64(buf, l.header)
	le.PutUint32(buf[HeaderLength:], m.StreamID)
	le.PutUint64(buf[HeaderLength+4:], m.Epoch)
	le.PutUint64(buf[HeaderLength+12:], m.Seq)
	le.PutUint64(buf[l.traceID:], m.TraceID)
	le.PutUint32(buf[HeaderLength+20:], m.HeaderIndex)
	le.PutUint64(buf[l.timestampNs:], m.TimestampNs)
	le.PutUint32(buf[l.metaVersion:], m.MetaVersion)
	return l.length, nil
}

// StampFrameDescriptor sets timestampNs of the FrameDescriptor Encode wrote at the start of
// buf, in either version (its header's block length says which).
func StampFrameDescriptor(buf []byte, timestampNs uint64) {
	if int(le.Uint16(buf)) >= frameDescriptorBlockV1_2 {
		le.PutUint64(buf[frameDescriptorTimestampV1_2:], timestampNs)
		return
	}
	le.PutUint64(buf[frameDescriptorTimestamp:], timestampNs)
}

// EncodedFrameDescriptor is one stream's FrameDescriptor kept encoded: Init writes the
// whole message once, and each frame then stores only what changes (SetFrame, Stamp)
// instead of encoding every field again. Its bytes are exactly Encode's for the same
// field values (TestEncodedFrameDescriptorMatchesEncode).
type EncodedFrameDescriptor struct {
	b   [FrameDescriptorMaxLength]byte
	v12 bool
}

// Init encodes m in its Version's layout; the fields SetFrame and Stamp leave alone
// (version, stream id, epoch) stay as m has them.
func (e *EncodedFrameDescriptor) Init(m *FrameDescriptor) error {
	if _, err := m.Encode(e.b[:]); err != nil {
		return err
	}
	e.v12 = m.Version == V1_2
	return nil
}

// SetFrame stores a frame's seq, header index (v1.1 only: v1.2 has no such field), meta
// version and trace id (v1.2 only) and returns the encoded message, valid until the next
// call. It is inlined (TestHotPathEncodersInline).
func (e *EncodedFrameDescriptor) SetFrame(seq uint64, headerIndex, metaVersion uint32, traceID uint64) []byte {
	le.PutUint64(e.b[HeaderLength+12:], seq)
	if e.v12 {
		le.PutUint32(e.b[HeaderLength+28:], metaVersion)
		le.PutUint64(e.b[HeaderLength+32:], traceID)
		return e.b[:FrameDescriptorLengthV1_2]
	}
	le.PutUint32(e.b[HeaderLength+20:], headerIndex)
	le.PutUint32(e.b[HeaderLength+32:], metaVersion)
	return e.b[:FrameDescriptorLength]
}

// Stamp stores timestampNs (StampFrameDescriptor). It is inlined
// (TestHotPathEncodersInline).
func (e *EncodedFrameDescriptor) Stamp(timestampNs uint64) { StampFrameDescriptor(e.b[:], timestampNs) }

// Decode validates buf and fills m in the layout its block length selects, setting
// Version (see the package comment for the errors). It does not allocate unless buf is
// malformed.
func (m *FrameDescriptor) Decode(buf []byte) error {
	// The layouts this package writes, whose header the gate would pass as it is (a
	// block length the root's or longer and within buf, any schema version): one word
	// compare instead of the gate's call.
	if len(buf) >= FrameDescriptorLength {
		switch le.Uint64(buf) & headerWordWithoutVersion {
		case frameDescriptorHeader & headerWordWithoutVersion:
			f := buf[HeaderLength:FrameDescriptorLength]
			m.StreamID, m.Epoch, m.Seq = le.Uint32(f), le.Uint64(f[4:]), le.Uint64(f[12:])
			m.Version, m.HeaderIndex = V1_1, le.Uint32(f[20:])
			m.TimestampNs, m.MetaVersion, m.TraceID = le.Uint64(f[24:]), le.Uint32(f[32:]), 0
			return nil
		case frameDescriptorHeaderV1_2 & headerWordWithoutVersion:
			if len(buf) < FrameDescriptorLengthV1_2 {
				break
			}
			f := buf[HeaderLength:FrameDescriptorLengthV1_2]
			m.StreamID, m.Epoch, m.Seq = le.Uint32(f), le.Uint64(f[4:]), le.Uint64(f[12:])
			m.Version, m.HeaderIndex = V1_2, 0
			m.TimestampNs, m.MetaVersion, m.TraceID = le.Uint64(f[20:]), le.Uint32(f[28:]), le.Uint64(f[32:])
			return nil
		}
	}
	return m.decodeGated(buf)
}

// decodeGated is Decode through the gate, for every buffer: what the word compare above
// passes, it decodes the same (TestFrameDescriptorDecodeFastPathIsTheGates).
func (m *FrameDescriptor) decodeGated(buf []byte) error {
	h, readable, err := frameDescriptorGate.open(buf)
	if !readable {
		return err
	}
	// Field by field rather than *m = FrameDescriptor{...}: the composite goes through a
	// temporary whose narrow stores the copy then reads wide, a store-forwarding stall.
	f := buf[HeaderLength : HeaderLength+frameDescriptorBlock]
	m.StreamID, m.Epoch, m.Seq = le.Uint32(f), le.Uint64(f[4:]), le.Uint64(f[12:])
	if int(h.BlockLength) >= frameDescriptorBlockV1_2 {
		f = buf[HeaderLength : HeaderLength+frameDescriptorBlockV1_2]
		m.Version, m.HeaderIndex = V1_2, 0
		m.TimestampNs, m.MetaVersion, m.TraceID = le.Uint64(f[20:]), le.Uint32(f[28:]), le.Uint64(f[32:])
		return err
	}
	m.Version, m.HeaderIndex = V1_1, le.Uint32(f[20:])
	m.TimestampNs, m.MetaVersion, m.TraceID = le.Uint64(f[24:]), le.Uint32(f[32:]), 0
	return err
}

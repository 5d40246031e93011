package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/tracelink"
)

// TraceLinkSet records the parent traces of a derived frame (tracelink schema 904, TraceLink
// spec v1.0 §9), sent best-effort on the control stream. Its template id repeats the control
// schema's ShmPoolAnnounce, so receivers switch on the MessageID, never on the template
// alone. Decoding judges structure only: at least one parent, none zero, none repeated
// (§9.2) are the receiver's rules.
type TraceLinkSet struct {
	StreamID uint32 // the derived frame's FrameDescriptor's stream, epoch and seq
	Epoch    uint64
	Seq      uint64
	TraceID  uint64   // the derived frame's trace
	Parents  []uint64 // the parents' trace ids, in the order the join stage saw them
}

const (
	traceLinkSetBlock = int(tracelink.TraceLinkSetSbeBlockLength)
	traceParentBlock  = 8
)

var traceLinkSetGate = messageGate(TraceLinkSetID)

// EncodedLength is the encoded size, header included.
func (m *TraceLinkSet) EncodedLength() int {
	return HeaderLength + traceLinkSetBlock + groupHeaderLength + len(m.Parents)*traceParentBlock
}

// Encode writes m at buf[0:] and returns its length.
func (m *TraceLinkSet) Encode(buf []byte) (int, error) {
	const name = "TraceLinkSet"
	if err := checkCount(name, "parents", len(m.Parents)); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(tracelink.TraceLinkSetSbeBlockLength, tracelink.TraceLinkSetSbeTemplateID, TraceLinkSchemaID, TraceLinkSchemaVersion))
	f := b[HeaderLength:]
	le.PutUint32(f, m.StreamID)
	le.PutUint64(f[4:], m.Epoch)
	le.PutUint64(f[12:], m.Seq)
	le.PutUint64(f[20:], m.TraceID)
	pos := putGroup(b, HeaderLength+traceLinkSetBlock, traceParentBlock, len(m.Parents))
	for _, p := range m.Parents {
		le.PutUint64(b[pos:], p)
		pos += traceParentBlock
	}
	return n, nil
}

// Decode validates buf and fills m (see the package comment for the errors); no parents
// decode as nil.
func (m *TraceLinkSet) Decode(buf []byte) error {
	h, readable, err := traceLinkSetGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+traceLinkSetBlock]
	*m = TraceLinkSet{
		StreamID: le.Uint32(f),
		Epoch:    le.Uint64(f[4:]),
		Seq:      le.Uint64(f[12:]),
		TraceID:  le.Uint64(f[20:]),
	}
	block, count, pos := getGroup(buf, HeaderLength+int(h.BlockLength))
	if count > 0 {
		m.Parents = make([]uint64, count)
		for i := range m.Parents {
			m.Parents[i] = le.Uint64(buf[pos : pos+block])
			pos += block
		}
	}
	return err
}

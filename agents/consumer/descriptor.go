package consumer

import (
	"github.com/tensorpool/tensorpool/wire"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// Descriptor is a decoded FrameDescriptor (§10.2.1).
type Descriptor struct {
	StreamID    uint32
	Epoch       uint64
	Seq         uint64
	HeaderIndex uint32
	TimestampNs uint64 // 0xFFFF_FFFF_FFFF_FFFF when absent
	MetaVersion uint32 // 0xFFFF_FFFF when absent
}

var descriptorGate = func() wire.Gate {
	g, ok := wire.GateFor(control.FrameDescriptorSbeSchemaID, control.FrameDescriptorSbeTemplateID)
	if !ok {
		panic("wire has no FrameDescriptor layout")
	}
	return g
}()

// DecodeDescriptor decodes a FrameDescriptor at the start of buf. It reports isDescriptor
// false, without judging further, for any other message (another schema or template: the
// descriptor stream may be shared, and template ids collide across schemas), and
// DropDescriptorMalformed for a descriptor the wire gate rejects. It does not allocate
// unless buf is malformed.
func DecodeDescriptor(buf []byte, d *Descriptor) (isDescriptor bool, drop Drop) {
	if len(buf) < wire.HeaderLength {
		return true, DropDescriptorMalformed
	}
	h, _ := wire.PeekHeader(buf) // cannot fail: the length is checked
	if !descriptorGate.Is(h) {
		return false, DropNone
	}
	if _, err := descriptorGate.Validate(buf, h); err != nil {
		return true, DropDescriptorMalformed
	}
	var m control.FrameDescriptor
	m.WrapForDecode(buf, wire.HeaderLength, uint64(h.BlockLength), uint64(h.Version), uint64(len(buf)))
	*d = Descriptor{
		StreamID:    m.StreamId(),
		Epoch:       m.Epoch(),
		Seq:         m.Seq(),
		HeaderIndex: m.HeaderIndex(),
		TimestampNs: m.TimestampNs(),
		MetaVersion: m.MetaVersion(),
	}
	return true, DropNone
}

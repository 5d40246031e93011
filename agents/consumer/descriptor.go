package consumer

import (
	"github.com/tensorpool/tensorpool/wire"
)

// DecodeDescriptor decodes a FrameDescriptor (§10.2.1) at the start of buf. It reports
// isDescriptor false, without judging further, for any other message (another schema or
// template: the descriptor stream may be shared, and template ids collide across
// schemas), and DropDescriptorMalformed for a descriptor that fails validation. It does
// not allocate unless buf is malformed.
func DecodeDescriptor(buf []byte, d *wire.FrameDescriptor) (isDescriptor bool, drop Drop) {
	id, ok := wire.PeekID(buf)
	if !ok {
		return true, DropDescriptorMalformed
	}
	if id != wire.FrameDescriptorID {
		return false, DropNone
	}
	if d.Decode(buf) != nil {
		return true, DropDescriptorMalformed
	}
	return true, DropNone
}

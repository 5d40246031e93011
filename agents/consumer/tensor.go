package consumer

import (
	"github.com/tensorpool/tensorpool/agents/internal/extent"
	"github.com/tensorpool/tensorpool/shm"
)

// tensorVerdict is what a slot's tensor header bytes (its last 192: the embedded message
// header and the TensorHeader) say, decoded and checked. It depends on those bytes alone,
// so the consumer keeps the last one and, while frames repeat a shape, compares 192 bytes
// instead of decoding and validating again.
type tensorVerdict struct {
	known   bool
	encoded shm.EncodedTensorHeader
	// embedded is the embedded message header's verdict (§8.3 step 5), given a right
	// headerBytes length, which lies outside these bytes and is checked per frame.
	embedded shm.DropReason
	tensor   shm.TensorHeader
	strides  [shm.MaxDims]int64
	drop     shm.DropReason // from ResolvedStrides (§8.2, §15.8)
	bytes    uint64         // payload bytes the tensor addresses, when drop is DropNone
}

// read brings v up to date with slot's tensor header. It runs inside the seqlock window:
// the caller trusts v for this frame only after ReadEnd.
func (v *tensorVerdict) read(slot shm.HeaderSlot) {
	if v.known && slot.HasEncodedTensor(&v.encoded) {
		return
	}
	slot.LoadEncodedTensor(&v.encoded)
	v.embedded = v.encoded.ValidateMessageHeader()
	v.encoded.Decode(&v.tensor)
	v.strides, v.drop = v.tensor.ResolvedStrides()
	v.bytes = 0
	if v.drop == shm.DropNone {
		v.bytes = extent.Bytes(&v.tensor, &v.strides)
	}
	v.known = true
}

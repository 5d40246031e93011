// Package extent computes how many payload bytes a tensor header addresses, so producers
// and consumers can hold the header to the payload it describes.
package extent

import "github.com/tensorpool/tensorpool/shm"

// Bytes is one past the last byte a tensor with these dims and resolved strides (as
// shm.TensorHeader.ResolvedStrides returns them) touches: the offset of its last element
// plus the element size, or 0 when a dim is 0. ResolvedStrides already bounds every
// dimension's span by 2^63-1 and each outer stride covers the span inside it, so the sum
// cannot overflow.
func Bytes(t *shm.TensorHeader, strides *[shm.MaxDims]int64) uint64 {
	n := int(t.Ndims)
	if n < 1 || n > shm.MaxDims {
		return 0
	}
	last := uint64(t.Dtype.ElemSize())
	for i := range n {
		if t.Dims[i] <= 0 {
			return 0
		}
		last += uint64(t.Dims[i]-1) * uint64(strides[i])
	}
	return last
}

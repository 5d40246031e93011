package extent

import (
	"testing"

	"github.com/tensorpool/tensorpool/shm"
)

func TestBytes(t *testing.T) {
	for _, c := range []struct {
		name    string
		dtype   shm.Dtype
		order   shm.MajorOrder
		dims    []int32
		strides []int32
		want    uint64
	}{
		{"vector", shm.DtypeUint8, shm.MajorOrderRow, []int32{100}, nil, 100},
		{"row-major float32 3x4", shm.DtypeFloat32, shm.MajorOrderRow, []int32{3, 4}, nil, 48},
		{"column-major float64 3x4", shm.DtypeFloat64, shm.MajorOrderColumn, []int32{3, 4}, nil, 96},
		{"padded rows", shm.DtypeUint16, shm.MajorOrderRow, []int32{2, 3}, []int32{64, 0}, 64 + 6},
		{"zero dim", shm.DtypeUint8, shm.MajorOrderRow, []int32{4, 0}, nil, 0},
		{"scalar-like 1x1", shm.DtypeInt64, shm.MajorOrderRow, []int32{1, 1}, nil, 8},
	} {
		h := shm.TensorHeader{Dtype: c.dtype, MajorOrder: c.order, Ndims: uint8(len(c.dims))}
		copy(h.Dims[:], c.dims)
		copy(h.Strides[:], c.strides)
		strides, r := h.ResolvedStrides()
		if r != shm.DropNone {
			t.Fatalf("%s: %v", c.name, r)
		}
		if got := Bytes(&h, &strides); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

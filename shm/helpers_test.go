package shm

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// regionKinds lists the Region implementations every region-level test body runs
// against: heap memory (visible to the race detector) and a real MAP_SHARED file mapping.
var regionKinds = []struct {
	name string
	new  func(t *testing.T, size int) Region
}{
	{"heap", func(t *testing.T, size int) Region {
		r := NewHeapRegion(size)
		t.Cleanup(func() { r.Close() })
		return r
	}},
	{"mmap", func(t *testing.T, size int) Region {
		t.Helper()
		path := filepath.Join(t.TempDir(), "region")
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := unix.Ftruncate(int(f.Fd()), int64(size)); err != nil {
			t.Fatal(err)
		}
		r, err := MapFile(f, size, ReadWrite)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}},
}

func forEachRegionKind(t *testing.T, body func(t *testing.T, newRegion func(size int) Region)) {
	for _, kind := range regionKinds {
		t.Run(kind.name, func(t *testing.T) {
			body(t, func(size int) Region { return kind.new(t, size) })
		})
	}
}

// newTestRing builds a header ring of nslots slots over a fresh region.
func newTestRing(t *testing.T, newRegion func(size int) Region, nslots uint32) *HeaderRing {
	t.Helper()
	sb := HeaderRingSuperblock(7, 1001, nslots)
	size, err := sb.RegionSize()
	if err != nil {
		t.Fatal(err)
	}
	mem := newRegion(size).Bytes()
	if err := EncodeSuperblock(mem, &sb); err != nil {
		t.Fatal(err)
	}
	ring, err := NewHeaderRing(mem, nslots)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

func heapRing(t *testing.T, nslots uint32) *HeaderRing {
	return newTestRing(t, func(size int) Region { return NewHeapRegion(size) }, nslots)
}

// newHeapSlot is the single slot of a fresh one-slot heap ring.
func newHeapSlot() HeaderSlot {
	ring, err := NewHeaderRing(NewHeapRegion(SuperblockSize+HeaderSlotSize).Bytes(), 1)
	if err != nil {
		panic(err) // fixed, valid geometry
	}
	slot, _ := ring.Slot(0)
	return slot
}

// validTensor is a 2-D row-major float32 tensor of 3×4 with inferred strides.
func validTensor() TensorHeader {
	return TensorHeader{
		Dtype:      DtypeFloat32,
		MajorOrder: MajorOrderRow,
		Ndims:      2,
		Dims:       [MaxDims]int32{3, 4},
	}
}

func validSlotHeader(headerIndex uint32) SlotHeader {
	return SlotHeader{
		ValuesLenBytes: 48,
		PayloadSlot:    headerIndex,
		PoolID:         1,
		TimestampNs:    123456789,
		MetaVersion:    3,
	}
}

var testPool = PoolGeometry{PoolID: 1, Nslots: 8, StrideBytes: 4096}

func requireDrop(t *testing.T, got, want DropReason) {
	t.Helper()
	if got != want {
		t.Fatalf("drop reason = %v, want %v", got, want)
	}
}

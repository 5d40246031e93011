package shm

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Region is a span of memory holding one SHM region: a file mapping in production, heap
// memory in unit tests. Views (HeaderRing, PayloadPool) are built over Bytes.
type Region interface {
	// Bytes is the whole region. It must not be used after Close.
	Bytes() []byte
	// Close releases the memory. Calling it again is a no-op.
	Close() error
}

var (
	_ Region = (*HeapRegion)(nil)
	_ Region = (*MappedRegion)(nil)
)

// HeapRegion is a Region in ordinary Go memory. It is 8-byte aligned like a mapping and,
// unlike a mapping, visible to the race detector.
type HeapRegion struct {
	b []byte
}

// NewHeapRegion allocates a zeroed region of size bytes.
func NewHeapRegion(size int) *HeapRegion {
	words := make([]uint64, (size+7)/8)
	return &HeapRegion{b: unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), size)}
}

func (r *HeapRegion) Bytes() []byte { return r.b }

func (r *HeapRegion) Close() error {
	r.b = nil
	return nil
}

// Access selects how a region file is opened and mapped.
type Access int

const (
	// ReadOnly is for consumers: O_RDONLY and PROT_READ, so a stray write faults instead
	// of corrupting the producer's data.
	ReadOnly Access = iota
	// ReadWrite is for the producer that owns the region.
	ReadWrite
)

func (a Access) String() string {
	if a == ReadWrite {
		return "read-write"
	}
	return "read-only"
}

func (a Access) openFlags() int {
	if a == ReadWrite {
		return unix.O_RDWR
	}
	return unix.O_RDONLY
}

func (a Access) prot() int {
	if a == ReadWrite {
		return unix.PROT_READ | unix.PROT_WRITE
	}
	return unix.PROT_READ
}

// MappedRegion is a Region backed by a MAP_SHARED file mapping. The mapping is page
// aligned, so every 8-byte word at a multiple of 8 (seq_commit, magic) is atomically
// accessible. The file descriptor is closed once mapped; the mapping keeps the file alive.
type MappedRegion struct {
	b    []byte
	path string
}

// MapFile maps the first size bytes of f with the given access. The caller has already
// checked that the file is at least size bytes long: touching a mapped page beyond the
// end of the file raises SIGBUS.
func MapFile(f *os.File, size int, access Access) (*MappedRegion, error) {
	if size <= 0 {
		return nil, invalid("6", "mapping size", size, ErrRegionSize)
	}
	b, err := unix.Mmap(int(f.Fd()), 0, size, access.prot(), unix.MAP_SHARED)
	if err != nil {
		return nil, &os.PathError{Op: "mmap", Path: f.Name(), Err: err}
	}
	return &MappedRegion{b: b, path: f.Name()}, nil
}

func (r *MappedRegion) Bytes() []byte { return r.b }

// Path is the file the region maps.
func (r *MappedRegion) Path() string { return r.path }

func (r *MappedRegion) Close() error {
	if r.b == nil {
		return nil
	}
	b := r.b
	r.b = nil
	if err := unix.Munmap(b); err != nil {
		return &os.PathError{Op: "munmap", Path: r.path, Err: err}
	}
	return nil
}

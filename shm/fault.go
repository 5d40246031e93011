package shm

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"unsafe"
)

// ErrRegionFault: touching a mapped region raised SIGBUS or SIGSEGV. A MAP_SHARED file
// mapping faults where the file no longer backs it: the file was truncated under the
// mapping, or the filesystem had no space for a page first touched (a sparse file on a
// full tmpfs).
var ErrRegionFault = errors.New("shm: memory fault in a mapped region (file truncated, or no space to back a page)")

// FaultError names the region whose mapping faulted and where. It unwraps to
// ErrRegionFault.
type FaultError struct {
	Path   string
	Offset uint64 // of the faulting byte from the start of the mapping
	Size   int    // the mapping's length
}

func (e *FaultError) Error() string {
	return fmt.Sprintf("%v: %s at offset %d of %d mapped bytes", ErrRegionFault, e.Path, e.Offset, e.Size)
}

func (e *FaultError) Unwrap() error { return ErrRegionFault }

// Guard runs f over the region's bytes with memory faults inside the mapping turned
// into a *FaultError instead of killing the process (debug.SetPanicOnFault, on this
// goroutine only, for the duration of f). A panic that is not such a fault continues.
// Guard allocates nothing unless f faults; f must not keep b.
func (r *MappedRegion) Guard(f func(b []byte)) (err error) {
	prev := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(prev)
		if p := recover(); p != nil {
			fault := faultIn(p, r.b, r.path)
			if fault == nil {
				panic(p)
			}
			err = fault
		}
	}()
	f(r.b)
	return nil
}

// faultIn describes p if it is a memory fault at an address inside b.
func faultIn(p any, b []byte, path string) *FaultError {
	re, ok := p.(runtime.Error)
	if !ok {
		return nil
	}
	at, ok := re.(interface{ Addr() uintptr })
	if !ok || len(b) == 0 {
		return nil
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	addr := at.Addr()
	if addr < base || addr-base >= uintptr(len(b)) {
		return nil
	}
	return &FaultError{Path: path, Offset: uint64(addr - base), Size: len(b)}
}

package consumer

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"unsafe"
)

// ErrRegionTruncated: reading a mapped region faulted because its file was truncated
// under the mapping (SIGBUS past the new end). The consumer unmaps the epoch and waits
// for an announce whose regions map afresh (§15.14).
var ErrRegionTruncated = errors.New("consumer: mapped region truncated")

// RegionFaultError names the region whose mapping faulted and the offset read. It
// unwraps to ErrRegionTruncated.
type RegionFaultError struct {
	Epoch  uint64
	Path   string // the mapped file, or "region <i>" for regions without a path
	Offset uint64 // of the faulting byte from the start of the region
	Size   int    // the mapping's length
}

func (e *RegionFaultError) Error() string {
	return fmt.Sprintf("%v: epoch %d %s faulted at offset %d of %d mapped bytes (§15.14)", ErrRegionTruncated, e.Epoch, e.Path, e.Offset, e.Size)
}

func (e *RegionFaultError) Unwrap() error { return ErrRegionTruncated }

// recoverFault is deferred by every control-side entry point that reads mapped memory,
// after it set debug.SetPanicOnFault(true) so that a truncated file makes the read panic
// instead of killing the process. It restores prev; a fault inside the mapping unmaps it,
// counts DropRegionTruncated and is kept for ControlError (and stored in *err unless err
// is nil). Any other panic continues unchanged.
func (c *Consumer) recoverFault(prev bool, err *error) {
	debug.SetPanicOnFault(prev)
	r := recover()
	if r == nil {
		return
	}
	fault := c.m.fault(r)
	if fault == nil {
		panic(r)
	}
	c.Unmap()
	c.counters.Drops[DropRegionTruncated]++
	c.controlErr = fault
	if err != nil {
		*err = fault
	}
}

// recoverFault is the Reader's: a fault inside the mapping it reads makes it give that
// mapping up at once (descriptors are dropped as unmapped until the control side maps
// another), counts DropRegionTruncated and hands the fault to the control side.
func (r *Reader) recoverFault(prev bool) {
	debug.SetPanicOnFault(prev)
	if rec := recover(); rec != nil {
		r.regionFault(rec)
	}
}

// regionFault is the Reader's recoverFault once it recovered rec.
func (r *Reader) regionFault(rec any) {
	fault := r.m.fault(rec)
	if fault == nil {
		panic(rec)
	}
	r.frame.Payload = nil
	r.faulted.Store(r.m)
	r.use(nil)
	r.drop(DropRegionTruncated)
	r.faultErr.Store(fault)
}

// fault describes r if it is a memory fault at an address inside m (nil: none).
func (m *mapping) fault(r any) *RegionFaultError {
	re, ok := r.(runtime.Error)
	if !ok {
		return nil
	}
	at, ok := re.(interface{ Addr() uintptr })
	if !ok || m == nil {
		return nil
	}
	addr := at.Addr()
	for i, region := range m.regions {
		b := region.Bytes()
		base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		if len(b) == 0 || addr < base || addr-base >= uintptr(len(b)) {
			continue
		}
		path := fmt.Sprintf("region %d", i)
		if p, ok := region.(interface{ Path() string }); ok {
			path = p.Path()
		}
		return &RegionFaultError{Epoch: m.epoch, Path: path, Offset: uint64(addr - base), Size: len(b)}
	}
	return nil
}

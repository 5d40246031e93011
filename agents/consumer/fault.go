package consumer

import (
	"errors"
	"fmt"
	"github.com/tensorpool/tensorpool/shm"
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

// FrameValid is Frame.Valid for a frame handed to the handler earlier and marked then
// (Frame.Mark), checked after the handler returned, while Mapped still reports its epoch.
// A header ring truncated since is given up as in HandleDescriptor and reports false.
func (c *Consumer) FrameValid(m *FrameMark) (valid bool) {
	prev := debug.SetPanicOnFault(true)
	defer c.recoverFault(prev, nil)
	return m.slot.ReadEnd(m.word) == shm.DropNone
}

// recoverFault is deferred by every entry point that reads mapped memory, after it set
// debug.SetPanicOnFault(true) so that a truncated file makes the read panic instead of
// killing the process. It restores prev; a fault inside this consumer's mapping unmaps it,
// counts DropRegionTruncated and is kept for ControlError (and stored in *err unless err
// is nil). Any other panic continues unchanged.
func (c *Consumer) recoverFault(prev bool, err *error) {
	debug.SetPanicOnFault(prev)
	r := recover()
	if r == nil {
		return
	}
	fault := c.regionFault(r)
	if fault == nil {
		panic(r)
	}
	c.frame.Payload = nil
	c.Unmap()
	c.drop(DropRegionTruncated)
	c.controlErr = fault
	if err != nil {
		*err = fault
	}
}

// regionFault describes r if it is a memory fault at an address inside the mapping.
func (c *Consumer) regionFault(r any) *RegionFaultError {
	re, ok := r.(runtime.Error)
	if !ok {
		return nil
	}
	at, ok := re.(interface{ Addr() uintptr })
	if !ok || c.m == nil {
		return nil
	}
	addr := at.Addr()
	for i, region := range c.m.regions {
		b := region.Bytes()
		base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		if len(b) == 0 || addr < base || addr-base >= uintptr(len(b)) {
			continue
		}
		path := fmt.Sprintf("region %d", i)
		if p, ok := region.(interface{ Path() string }); ok {
			path = p.Path()
		}
		return &RegionFaultError{Epoch: c.m.epoch, Path: path, Offset: uint64(addr - base), Size: len(b)}
	}
	return nil
}

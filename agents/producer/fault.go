package producer

import (
	"runtime"
	"runtime/debug"
	"unsafe"

	"github.com/tensorpool/tensorpool/shm"
)

// The frame path writes the epoch's mapped regions with memory faults turned into panics
// (debug.SetPanicOnFault, for the call, on the caller's goroutine): a file truncated
// under its mapping, or a sparse page a full tmpfs cannot back, then ends the call with
// ErrRegionFault instead of killing the process with SIGBUS. The deferred recover costs
// no allocation; only a fault allocates its description.

// recoverFault is deferred by every frame-path call that writes mapped memory, after it
// set debug.SetPanicOnFault(true). It restores prev; a fault inside the epoch's regions
// closes the open claim, marks the epoch dead, records where (Fault) and sets *r to
// ErrRegionFault. Any other panic continues unchanged.
func (p *Producer) recoverFault(prev bool, r *Result) {
	debug.SetPanicOnFault(prev)
	if rec := recover(); rec != nil {
		*r = p.regionFault(rec)
	}
}

// regionFault is recoverFault's work once it recovered rec.
func (p *Producer) regionFault(rec any) Result {
	fault := p.regions.fault(rec)
	if fault == nil {
		panic(rec)
	}
	p.open, p.tracking = false, false
	p.fault.CompareAndSwap(nil, fault)
	return p.fail(ErrRegionFault)
}

// recoverControlFault is recoverFault for the Controller's writes of the epoch's regions
// (the activity timestamps), on the duty cycle: it records the fault only, and the frame
// path finds the epoch dead at its next call.
func (p *Producer) recoverControlFault(prev bool) {
	debug.SetPanicOnFault(prev)
	rec := recover()
	if rec == nil {
		return
	}
	fault := p.regions.fault(rec)
	if fault == nil {
		panic(rec)
	}
	p.fault.CompareAndSwap(nil, fault)
}

// Fault is where writing the epoch's regions faulted, nil while it never did; any
// goroutine. The epoch is dead once it is set.
func (p *Producer) Fault() *shm.FaultError { return p.fault.Load() }

// fault describes rec if it is a memory fault at an address inside one of the regions.
func (r *Regions) fault(rec any) *shm.FaultError {
	re, ok := rec.(runtime.Error)
	if !ok {
		return nil
	}
	at, ok := re.(interface{ Addr() uintptr })
	if !ok {
		return nil
	}
	addr := at.Addr()
	for i, region := range append([]shm.Region{r.header}, r.pools...) {
		b := region.Bytes()
		base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		if len(b) == 0 || addr < base || addr-base >= uintptr(len(b)) {
			continue
		}
		path := r.headerURI
		if i > 0 && i-1 < len(r.poolURIs) {
			path = r.poolURIs[i-1]
		}
		if m, ok := region.(interface{ Path() string }); ok {
			path = m.Path()
		}
		return &shm.FaultError{Path: path, Offset: uint64(addr - base), Size: len(b)}
	}
	return nil
}

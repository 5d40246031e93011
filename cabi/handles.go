package main

/*
#include "support.h"
*/
import "C"

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// The registry maps handle tokens to the objects behind them. A token is an index into
// a fixed table of slots and the generation of its slot: closing a handle frees the slot
// for a later one with the next generation, so a stale token never names a newer object
// (a slot whose generations run out is retired, never reused). Tokens start well above 0
// (NULL) and step by 8, so they look like aligned pointers to tools that print them.
//
// Every data-path call looks its handle up, from whichever thread it runs on: the atomic
// load of its slot, whose address the token gives, then a compare of the entry's token
// and of its object's type, with no hashing and nothing written, so lookups of one handle
// from many cores share its cache lines read-only. Registering and unregistering (the
// control path) take mu. The table is fixed so that a lookup is two dependent loads;
// untouched, its pages cost no memory.
var registry struct {
	mu    sync.Mutex
	slots [maxHandles]atomic.Pointer[handleEntry] // written under mu
	used  uintptr                                 // slots ever issued, in order; under mu
	free  []uintptr                               // the next token value of each freed slot; under mu
}

// handleEntry is one live handle, never changed once stored in its slot.
type handleEntry struct {
	token uintptr
	obj   any
}

const (
	firstToken = 0x1000
	// maxHandles is how many handles may be open at once; the next open fails with
	// TP_ERR_NOMEM.
	maxHandles = 1 << indexBits
	// indexBits of a token (above its 3 alignment bits) number its slot, the bits above
	// them its generation, which stops one bit short of the top so that firstToken plus
	// the token never wraps.
	indexBits = 16
	ptrBits   = 32 << (^uintptr(0) >> 63)
	genBits   = ptrBits - 3 - indexBits - 1
	indexMask = maxHandles - 1
	genOne    = 1 << indexBits // one generation, in a token's value
	maxGen    = 1<<genBits - 1
)

// tokenValue is a token's slot index and generation; tokenOf is its inverse.
func tokenValue(h uintptr) uintptr { return (h - firstToken) / 8 }
func tokenOf(v uintptr) uintptr    { return firstToken + 8*v }

// register issues a token for x; false when every slot is taken (TP_ERR_NOMEM).
func register(x any) (uintptr, bool) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	var v uintptr
	switch n := len(registry.free); {
	case n > 0:
		v, registry.free = registry.free[n-1], registry.free[:n-1]
	case registry.used < maxHandles:
		v = registry.used
		registry.used++
	default:
		return 0, false
	}
	h := tokenOf(v)
	registry.slots[v&indexMask].Store(&handleEntry{token: h, obj: x})
	return h, true
}

// entryOf is the live entry of token h, nil if h is not live.
func entryOf(h uintptr) *handleEntry {
	e := registry.slots[tokenValue(h)&indexMask].Load()
	if e == nil || e.token != h {
		return nil
	}
	return e
}

// lookup returns the live object of type T behind token h.
func lookup[T any](h uintptr) (T, bool) {
	if e := entryOf(h); e != nil {
		t, ok := e.obj.(T)
		return t, ok
	}
	var none T
	return none, false
}

// unregister removes token h and returns its object; false if h was not live (never
// issued, or closed already) or not a T, so closing twice is harmless. Of closes
// racing for one token, only the first (under the registry's lock) gets the object.
func unregister[T any](h uintptr) (T, bool) {
	var none T
	registry.mu.Lock()
	defer registry.mu.Unlock()
	e := entryOf(h)
	if e == nil {
		return none, false
	}
	t, ok := e.obj.(T)
	if !ok {
		return none, false
	}
	v := tokenValue(h)
	registry.slots[v&indexMask].Store(nil)
	if v/genOne < maxGen {
		registry.free = append(registry.free, v+genOne)
	}
	return t, true
}

// token is the registry key of an opaque handle pointer.
func token(p unsafe.Pointer) uintptr { return uintptr(p) }

// handle is the opaque pointer C receives for token h.
func handle(h uintptr) unsafe.Pointer { return C.tp_token(C.uintptr_t(h)) }

var msgTooManyHandles = "tp: too many open handles"

// tooManyHandles is the error of a register that found no free slot.
func tooManyHandles() C.tp_err_t { return failStatic(C.TP_ERR_NOMEM, msgTooManyHandles) }

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

// The registry maps handle tokens to the objects behind them. Tokens are never
// reused, so a stale token can never name a newer object; they start well above 0
// (NULL) and step by 8 so they look like aligned pointers to tools that print them.
//
// Every data-path call looks its handle up, from whichever thread it runs on. A
// sync.Map's lookups of keys written once are atomic loads that write nothing shared,
// where the read lock of an RWMutex bounces its reader count between cores.
var registry struct {
	issued atomic.Uintptr // tokens issued so far
	objs   sync.Map       // token -> object
}

const firstToken = 0x1000

func register(x any) uintptr {
	h := firstToken + 8*registry.issued.Add(1)
	registry.objs.Store(h, x)
	return h
}

// lookup returns the live object of type T behind token h.
func lookup[T any](h uintptr) (T, bool) {
	x, _ := registry.objs.Load(h)
	t, ok := x.(T)
	return t, ok
}

// unregister removes token h and returns its object; false if h was not live (never
// issued, or closed already) or not a T, so closing twice is harmless. Of closes
// racing for one token, only the one whose delete succeeds gets the object.
func unregister[T any](h uintptr) (T, bool) {
	x, _ := registry.objs.Load(h)
	t, ok := x.(T)
	if !ok || !registry.objs.CompareAndDelete(h, x) {
		var none T
		return none, false
	}
	return t, true
}

// token is the registry key of an opaque handle pointer.
func token(p unsafe.Pointer) uintptr { return uintptr(p) }

// handle is the opaque pointer C receives for token h.
func handle(h uintptr) unsafe.Pointer { return C.tp_token(C.uintptr_t(h)) }

package main

/*
#include "support.h"
*/
import "C"

import (
	"sync"
	"unsafe"
)

// The registry maps handle tokens to the objects behind them. Tokens are never
// reused, so a stale token can never name a newer object; they start well above 0
// (NULL) and step by 8 so they look like aligned pointers to tools that print them.
var registry = struct {
	mu   sync.RWMutex
	next uintptr
	objs map[uintptr]any
}{next: 0x1000, objs: map[uintptr]any{}}

func register(x any) uintptr {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	h := registry.next
	registry.next += 8
	registry.objs[h] = x
	return h
}

// lookup returns the live object of type T behind token h.
func lookup[T any](h uintptr) (T, bool) {
	registry.mu.RLock()
	x, ok := registry.objs[h]
	registry.mu.RUnlock()
	t, ok2 := x.(T)
	return t, ok && ok2
}

// unregister removes token h and returns its object; false if h was not live (never
// issued, or closed already), so closing twice is harmless.
func unregister[T any](h uintptr) (T, bool) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	x, ok := registry.objs[h].(T)
	if ok {
		delete(registry.objs, h)
	}
	return x, ok
}

// token is the registry key of an opaque handle pointer.
func token(p unsafe.Pointer) uintptr { return uintptr(p) }

// handle is the opaque pointer C receives for token h.
func handle(h uintptr) unsafe.Pointer { return C.tp_token(C.uintptr_t(h)) }

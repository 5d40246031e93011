//go:build !race

package main

import (
	"testing"

	"github.com/tensorpool/tensorpool/tp"
)

// The data path looks a handle up on every call: that must not allocate.
func TestLookupDoesNotAllocate(t *testing.T) {
	h, _ := register(&testObjA{})
	defer unregister[*testObjA](h)
	if n := testing.AllocsPerRun(1000, func() { lookup[*testObjA](h) }); n != 0 {
		t.Fatalf("lookup allocates %v times a call", n)
	}
}

// A failing data-path call (a claim with no consumer, a lost lease) records its error
// without allocating.
func TestFailDataDoesNotAllocate(t *testing.T) {
	for _, err := range []error{tp.ErrNoSubscriber, tp.ErrBackPressured, errNotAttached} {
		if n := testing.AllocsPerRun(100, func() { failData(err) }); n != 0 {
			t.Errorf("failData(%v) allocates %v times", err, n)
		}
	}
}

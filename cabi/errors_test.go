package main

import (
	"fmt"
	"testing"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/tp"
)

// Error types are classified whether bare or wrapped.
func TestCodeOfErrorTypes(t *testing.T) {
	for _, c := range []struct {
		err  error
		like error
	}{
		{&shm.ValidationError{Field: "f", Problem: shm.ErrInvalidLayout}, shm.ErrInvalidURI},
		{fmt.Errorf("mapping: %w", &shm.ValidationError{Field: "f"}), shm.ErrInvalidURI},
		{&aeron.DriverError{Message: "m"}, aeron.ErrClientTimedOut},
		{fmt.Errorf("attach: %w", &aeron.DriverError{Message: "m"}), aeron.ErrClientTimedOut},
	} {
		if got, want := codeOf(c.err), codeOf(c.like); got != want {
			t.Errorf("codeOf(%v) = %d, want %d", c.err, got, want)
		}
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

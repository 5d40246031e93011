package main

import (
	"fmt"
	"testing"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/shm"
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

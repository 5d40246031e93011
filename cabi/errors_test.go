package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/agents/driverclient"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/wire"
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

// An attach refused for good returns at once with a code of its response code, none of
// them TP_ERR_TIMEOUT, which stays for an attach nothing granted in time.
func TestCodeOfRefusals(t *testing.T) {
	refused := func(code wire.ResponseCode) error {
		return fmt.Errorf("attach: %w: %w", tp.ErrRefused, &driverclient.RefusedError{Code: code, Message: "m"})
	}
	for _, c := range []struct {
		err  error
		like error
	}{
		{refused(wire.CodeUnsupported), tp.ErrNoQosStream},      // TP_ERR_UNSUPPORTED
		{refused(wire.CodeInvalidParams), tp.ErrInvalidOptions}, // TP_ERR_ARG
		{refused(wire.CodeRejected), errors.New("other")},       // TP_ERR_PROTOCOL
		{refused(wire.CodeInternalError), errors.New("other")},
		{fmt.Errorf("attach: %w (last attempt: %w)", context.DeadlineExceeded, &driverclient.RefusedError{Code: wire.CodeRejected}), context.DeadlineExceeded},
	} {
		if got, want := codeOf(c.err), codeOf(c.like); got != want {
			t.Errorf("codeOf(%v) = %d, want %d", c.err, got, want)
		}
	}
	if codeOf(refused(wire.CodeRejected)) == codeOf(context.DeadlineExceeded) {
		t.Error("a refusal has the code of a timeout")
	}
}

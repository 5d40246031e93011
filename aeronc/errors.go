//go:build aeronc

package aeronc

/*
#include "capi.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tensorpool/tensorpool/transport"
)

// Error is an error the Aeron C client reported, for an operation of this package or
// asynchronously (Config.ErrorHandler).
type Error struct {
	// Op is what failed: "connect", "add publication aeron:ipc stream 10", ..., or
	// "client" for an asynchronous error.
	Op string
	// Code is the C client's error code: an errno value for a local failure, a media
	// driver error code negated for a refused add, or one of the Code* values below for
	// an asynchronous error.
	Code int32
	// Message is the C client's message.
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("aeronc: %s: %s (code %d)", e.Op, e.Message, e.Code)
}

// The C client's asynchronous error codes. The first three end the client: it closes its
// resources and Client.Err reports the error.
const (
	CodeDriverTimeout           = C.TP_AERONC_ERROR_DRIVER_TIMEOUT
	CodeClientTimeout           = C.TP_AERONC_ERROR_CLIENT_TIMEOUT
	CodeConductorServiceTimeout = C.TP_AERONC_ERROR_CONDUCTOR_SERVICE_TIMEOUT
)

// Terminal reports whether the error ended its client.
func (e *Error) Terminal() bool {
	return e.Code == CodeDriverTimeout || e.Code == CodeClientTimeout || e.Code == CodeConductorServiceTimeout
}

var (
	// ErrClientClosed is Client.Err after Close, and the error of adds made or polled
	// after it. It matches transport.ErrClosed.
	ErrClientClosed = fmt.Errorf("aeronc: client closed: %w", transport.ErrClosed)
	// ErrClientEnded is Client.Err when the C client closed itself without reporting
	// why through its error handler.
	ErrClientEnded = errors.New("aeronc: the C client closed itself")
)

// cError turns a C error record into an Error for op.
func cError(op string, e *C.tp_aeronc_error) *Error {
	return &Error{Op: op, Code: int32(e.code), Message: strings.TrimSpace(C.GoString(&e.message[0]))}
}

package main

/*
#include "support.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"unsafe"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/agents/driverclient"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/wire"
)

// fail records code and message as the calling thread's last error and returns code.
// Exported calls run on the C caller's thread, so the error lands in its slot.
func fail(code C.tp_err_t, format string, args ...any) C.tp_err_t {
	msg := fmt.Sprintf(format, args...)
	p := unsafe.StringData(msg)
	C.tp_set_error(code, (*C.char)(unsafe.Pointer(p)), C.size_t(len(msg)))
	return code
}

// Preallocated messages for the data path, which must not allocate.
var (
	msgNullArg  = "tp: NULL argument"
	msgBadToken = "tp: handle is NULL, closed or not of this type"
)

// failStatic records a constant message without formatting it.
func failStatic(code C.tp_err_t, msg string) C.tp_err_t {
	C.tp_set_error(code, (*C.char)(unsafe.Pointer(unsafe.StringData(msg))), C.size_t(len(msg)))
	return code
}

func badHandle() C.tp_err_t { return failStatic(C.TP_ERR_ARG, msgBadToken) }

func nullArg() C.tp_err_t { return failStatic(C.TP_ERR_ARG, msgNullArg) }

// codeOf classifies a Go error as a tp_err_t.
func codeOf(err error) C.tp_err_t {
	switch {
	case err == nil:
		return C.TP_OK
	case errors.Is(err, tp.ErrAeronLost):
		return C.TP_ERR_AERON
	case errors.Is(err, context.DeadlineExceeded):
		return C.TP_ERR_TIMEOUT
	case errors.Is(err, tp.ErrRefused):
		return refusedCode(err)
	case errors.Is(err, tp.ErrBusy), errors.Is(err, tp.ErrClaimState):
		return C.TP_ERR_BUSY
	case errors.Is(err, tp.ErrInvalidOptions), errors.Is(err, tp.ErrInvalidTensor), errors.Is(err, tp.ErrTooLarge),
		errors.Is(err, tp.ErrNoSuchPool), errors.Is(err, tp.ErrClosed):
		return C.TP_ERR_ARG
	case errors.Is(err, tp.ErrDiscoveryUnavailable):
		// Nothing subscribes to the request stream: the reference's client reports its
		// failed claim as TP_ERR_AERON.
		return C.TP_ERR_AERON
	case errors.Is(err, tp.ErrDiscoveryBusy):
		return C.TP_ERR_BUSY
	case errors.Is(err, tp.ErrNoQosStream), errors.Is(err, tp.ErrNoMetadataStream):
		return C.TP_ERR_UNSUPPORTED
	case errors.Is(err, tp.ErrRegionFault), wraps[*shm.ValidationError](err), errors.Is(err, shm.ErrInvalidURI), errors.Is(err, shm.ErrInvalidSuperblock),
		errors.Is(err, shm.ErrInvalidLayout), errors.Is(err, shm.ErrPathRejected), errors.Is(err, shm.ErrInvalidStride),
		errors.Is(err, shm.ErrHugepages):
		return C.TP_ERR_SHM
	case wraps[*aeron.DriverError](err), errors.Is(err, aeron.ErrClientTimedOut), errors.Is(err, aeron.ErrResponseTimeout),
		errors.Is(err, aeron.ErrClientClosed), errors.Is(err, aeron.ErrDriverBufferFull), errors.Is(err, aeron.ErrResourceClosed),
		errors.Is(err, aeron.ErrConductorServiceTimeout):
		return C.TP_ERR_AERON
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return C.TP_ERR_IO
	}
	return C.TP_ERR_PROTOCOL
}

// refusedCode is the code of an attach the driver refused for good, by its response code.
func refusedCode(err error) C.tp_err_t {
	refused, _ := errors.AsType[*driverclient.RefusedError](err)
	switch {
	case refused == nil:
		return C.TP_ERR_PROTOCOL
	case refused.Code == wire.CodeUnsupported:
		return C.TP_ERR_UNSUPPORTED
	case refused.Code == wire.CodeInvalidParams:
		return C.TP_ERR_ARG
	}
	return C.TP_ERR_PROTOCOL
}

// wraps reports whether err is or wraps an E. Unlike errors.As with a local target,
// which moves the target to the heap, it does not allocate: codeOf runs on the data path.
func wraps[E error](err error) bool {
	_, ok := errors.AsType[E](err)
	return ok
}

// failErr records err and returns its code; nil is TP_OK.
func failErr(err error) C.tp_err_t {
	if err == nil {
		return C.TP_OK
	}
	code := codeOf(err)
	return fail(code, "%v", err)
}

// failData records err on the data path: the known errors are preallocated values,
// whose text is recorded without formatting. Small enough to inline, so the data path's
// usual nil costs no call.
func failData(err error) C.tp_err_t {
	if err == nil {
		return C.TP_OK
	}
	return failDataErr(err)
}

func failDataErr(err error) C.tp_err_t { return failStatic(codeOf(err), err.Error()) }

// errNotAttached is the data path's report of a lease that is gone.
var errNotAttached = errors.New("tp: not attached: the lease was revoked or expired, or the driver shut down")

package aeron

import (
	"errors"
	"fmt"

	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/transport"
)

// Client errors. A client that reports ErrDriverInactive, ErrClientTimedOut
// or ErrConductorServiceTimeout is finished: every later call returns the
// same error; Close it and connect again.
var (
	// ErrDriverInactive: no driver, or its heartbeat stopped.
	ErrDriverInactive = cnc.ErrDriverInactive
	// ErrClientTimedOut: the driver declared this client dead and released
	// its resources (its keepalive stopped for the client liveness timeout).
	ErrClientTimedOut = errors.New("aeron: the media driver timed out this client")
	// ErrConductorServiceTimeout: the client's conductor was not run for
	// longer than the client liveness timeout (an invoker not called).
	ErrConductorServiceTimeout = errors.New("aeron: client conductor not serviced within the client liveness timeout")
	// ErrClientClosed: Close was called. It matches transport.ErrClosed.
	ErrClientClosed error = clientClosed{}
	// ErrResponseTimeout: the driver did not answer a request within the
	// driver timeout.
	ErrResponseTimeout = errors.New("aeron: no response from the media driver within the driver timeout")
	// ErrDriverBufferFull: the to-driver command buffer stayed full.
	ErrDriverBufferFull = errors.New("aeron: to-driver command buffer full")
	// ErrResourceClosed: the publication, subscription or counter was closed.
	ErrResourceClosed = errors.New("aeron: resource closed")
	// ErrInvalidArgument: the request cannot be encoded (too long, bad id).
	ErrInvalidArgument = errors.New("aeron: invalid argument")
)

type clientClosed struct{}

func (clientClosed) Error() string        { return "aeron: client closed" }
func (clientClosed) Is(target error) bool { return target == transport.ErrClosed }

// ErrorCode is the code the driver sends in ON_ERROR. It is an error itself,
// so errors.Is(err, aeron.ErrorInvalidChannel) matches a DriverError with
// that code.
type ErrorCode int32

// Driver error codes (aeron_control_protocol.h, ErrorCode.java).
const (
	ErrorUnused                         ErrorCode = 0
	ErrorInvalidChannel                 ErrorCode = 1
	ErrorUnknownSubscription            ErrorCode = 2
	ErrorUnknownPublication             ErrorCode = 3
	ErrorChannelEndpoint                ErrorCode = 4
	ErrorUnknownCounter                 ErrorCode = 5
	ErrorUnknownCommandTypeID           ErrorCode = 6
	ErrorMalformedCommand               ErrorCode = 7
	ErrorNotSupported                   ErrorCode = 8
	ErrorUnknownHost                    ErrorCode = 9
	ErrorResourceTemporarilyUnavailable ErrorCode = 10
	ErrorGenericError                   ErrorCode = 11
	ErrorStorageSpace                   ErrorCode = 12
	ErrorImageRejected                  ErrorCode = 13
	ErrorPublicationRevoked             ErrorCode = 14
)

var errorCodeNames = map[ErrorCode]string{
	ErrorUnused:                         "UNUSED",
	ErrorInvalidChannel:                 "INVALID_CHANNEL",
	ErrorUnknownSubscription:            "UNKNOWN_SUBSCRIPTION",
	ErrorUnknownPublication:             "UNKNOWN_PUBLICATION",
	ErrorChannelEndpoint:                "CHANNEL_ENDPOINT_ERROR",
	ErrorUnknownCounter:                 "UNKNOWN_COUNTER",
	ErrorUnknownCommandTypeID:           "UNKNOWN_COMMAND_TYPE_ID",
	ErrorMalformedCommand:               "MALFORMED_COMMAND",
	ErrorNotSupported:                   "NOT_SUPPORTED",
	ErrorUnknownHost:                    "UNKNOWN_HOST",
	ErrorResourceTemporarilyUnavailable: "RESOURCE_TEMPORARILY_UNAVAILABLE",
	ErrorGenericError:                   "GENERIC_ERROR",
	ErrorStorageSpace:                   "STORAGE_SPACE",
	ErrorImageRejected:                  "IMAGE_REJECTED",
	ErrorPublicationRevoked:             "PUBLICATION_REVOKED",
}

func (c ErrorCode) Error() string {
	if name, ok := errorCodeNames[c]; ok {
		return name
	}
	return fmt.Sprintf("UNKNOWN_ERROR_CODE(%d)", int32(c))
}

// DriverError is an ON_ERROR response to one of this client's requests.
type DriverError struct {
	Code          ErrorCode
	Message       string
	CorrelationID int64
	// Request names the command that failed, e.g. "add publication aeron:bogus stream 1".
	Request string
}

func (e *DriverError) Error() string {
	return fmt.Sprintf("aeron: media driver rejected %s: %v: %s", e.Request, e.Code, e.Message)
}

// Is matches the error's code.
func (e *DriverError) Is(target error) bool {
	code, ok := target.(ErrorCode)
	return ok && code == e.Code
}

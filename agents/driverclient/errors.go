package driverclient

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tensorpool/tensorpool/wire"
)

// ErrAttachTimeout: no attach response arrived within the attach timeout.
var ErrAttachTimeout = errors.New("driverclient: no attach response within the attach timeout")

// RefusedError is an attach response with a code other than OK.
type RefusedError struct {
	Code    wire.ResponseCode
	Message string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("driverclient: attach refused: %s: %s", e.Code, e.Message)
}

// permanentRejections are the REJECTED reasons of tp-driver that no retry changes: the
// stream or the regions asked for do not exist in this driver's configuration. Every
// other REJECTED (a lease or producer still held, an attach already waiting, a driver
// draining, a stream not provisioned yet, an id range exhausted) can pass, and the
// client retries it. The driver's tests hold its messages to these texts.
var permanentRejections = []string{
	"no producer can create it",
	"dynamic streams are disabled",
	"hugepage",
	"expectedLayoutVersion",
}

// Permanent reports whether retrying the attach cannot succeed against the same driver
// configuration: UNSUPPORTED, INVALID_PARAMS and INTERNAL_ERROR (a failed provisioning)
// always, REJECTED for the reasons listed in permanentRejections. A client waiting for
// its first lease gives up on these at once instead of waiting out its timeout.
func (e *RefusedError) Permanent() bool {
	switch e.Code {
	case wire.CodeUnsupported, wire.CodeInvalidParams, wire.CodeInternalError:
		return true
	case wire.CodeRejected:
		for _, reason := range permanentRejections {
			if strings.Contains(e.Message, reason) {
				return true
			}
		}
	}
	return false
}

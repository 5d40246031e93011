package driverclient

import (
	"errors"
	"fmt"

	"github.com/tensorpool/tensorpool/wire"
)

// ErrAttachTimeout: no attach response arrived within the attach timeout.
var ErrAttachTimeout = errors.New("driverclient: no attach response within the attach timeout")

// ErrPermanentRefusal is what a RefusedError whose code says the answer will not change
// unwraps to: UNSUPPORTED or INVALID_PARAMS (Driver spec §4.3). A REJECTED attach may
// succeed later (a producer or an older lease of the client id still there, a stream not
// provisioned yet, a driver draining), so it is retried.
var ErrPermanentRefusal = errors.New("driverclient: attach refused for a reason that will not change")

// RefusedError is an attach response with a code other than OK.
type RefusedError struct {
	Code    wire.ResponseCode
	Message string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("driverclient: attach refused: %s: %s", e.Code, e.Message)
}

// Permanent reports whether retrying cannot help: the code is UNSUPPORTED or
// INVALID_PARAMS.
func (e *RefusedError) Permanent() bool {
	return e.Code == wire.CodeUnsupported || e.Code == wire.CodeInvalidParams
}

// Unwrap is ErrPermanentRefusal for a permanent refusal, else nil.
func (e *RefusedError) Unwrap() error {
	if e.Permanent() {
		return ErrPermanentRefusal
	}
	return nil
}

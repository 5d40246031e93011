package driverclient

import (
	"errors"
	"fmt"

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

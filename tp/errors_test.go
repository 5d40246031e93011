package tp

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tensorpool/tensorpool/agents/producer"
)

// ErrBusy groups the frame path's drops that pass, as TP_ERR_BUSY does in C: a caller
// retries on it and stops on anything else, so it must match those four and nothing the
// caller has to act on.
func TestErrBusyMatchesTheDropsThatPass(t *testing.T) {
	for _, err := range []error{ErrNotAttached, ErrNotReady, ErrNoSubscriber, ErrBackPressured, fmt.Errorf("offer: %w", ErrBackPressured)} {
		if !errors.Is(err, ErrBusy) {
			t.Errorf("errors.Is(%v, ErrBusy) = false", err)
		}
	}
	for _, err := range []error{ErrClosed, ErrTooLarge, ErrInvalidTensor, ErrPublication, ErrClaimState, ErrInvalidOptions,
		ErrAeronLost, ErrRegionFault, ErrRefused, ErrNoSuchPool, errors.New("tp: busy (the frame was dropped; try again)")} {
		if errors.Is(err, ErrBusy) {
			t.Errorf("errors.Is(%v, ErrBusy) = true", err)
		}
	}
	// Each still matches itself only.
	if errors.Is(ErrNotReady, ErrBackPressured) || !errors.Is(ErrNotReady, ErrNotReady) {
		t.Error("ErrNotReady matches ErrBackPressured, or not itself")
	}
	// What a producer's results map to: the drops that pass are busy, the rest not.
	for r, busy := range map[producer.Result]bool{
		producer.DropNotConnected: true, producer.DropBackPressured: true, producer.DropAdminAction: true,
		producer.DropNoPoolFits: false, producer.DropInvalidTensor: false, producer.ErrRegionFault: false, producer.ErrNoClaim: false,
	} {
		if got := errors.Is(resultErr(r), ErrBusy); got != busy {
			t.Errorf("resultErr(%v) = %v: busy %v, want %v", r, resultErr(r), got, busy)
		}
	}
}

package tp

import (
	"errors"

	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/transport"
)

// Errors of the frame path. They are values, not wrapped, so returning one allocates
// nothing; compare with errors.Is.
var (
	// ErrClosed: the Producer, Consumer or Client was closed.
	ErrClosed = errors.New("tp: closed")
	// ErrNotAttached: no lease is held right now; the client is reattaching to the driver.
	ErrNotAttached error = &busyError{"tp: not attached to the driver (reattaching)"}
	// ErrNotReady: the lease is held but a publication the frame needs is still being
	// added by the media driver; the frame was dropped, try again.
	ErrNotReady error = &busyError{"tp: the stream's publications are not in place yet"}
	// ErrTooLarge: no payload pool of the stream holds a frame this size (Wire §9).
	ErrTooLarge = errors.New("tp: frame larger than every payload pool")
	// ErrInvalidTensor: the shape is not one consumers accept (Wire §8.2), or it addresses
	// more bytes than the payload.
	ErrInvalidTensor = errors.New("tp: invalid tensor shape")
	// ErrNoSubscriber: nobody subscribes to the descriptor stream, so the frame was dropped.
	ErrNoSubscriber error = &busyError{"tp: no consumer on the descriptor stream"}
	// ErrBackPressured: the descriptor stream is full (a consumer is behind), or the
	// media driver has not yet raised its limit for a consumer that just joined; the
	// frame was dropped, try again.
	ErrBackPressured error = &busyError{"tp: descriptor stream back-pressured"}
	// ErrPublication: the descriptor publication failed or was closed.
	ErrPublication = errors.New("tp: descriptor publication failed")
	// ErrClaimState: Claim while a claim is open, or Commit/Abort of a claim that is not open.
	ErrClaimState = errors.New("tp: claim already open or not open")
	// ErrInvalidOptions is what every configuration error of Connect, NewProducer and
	// NewConsumer wraps.
	ErrInvalidOptions = errors.New("tp: invalid options")
	// ErrAeronLost is what Client.Err, and every producer's and consumer's error, wraps
	// once the Client's Aeron client is dead (the media driver was lost, or timed this
	// process out after a pause), until Client.Reconnect brings it back; Reconnect
	// wraps it too while there is no media driver to reconnect to.
	ErrAeronLost = errors.New("tp: the Aeron client is dead (media driver lost, or this process timed out)")
	// ErrRegionFault: writing the stream's shared memory faulted (its file truncated, or a
	// full filesystem that cannot back a page): the frame is lost and so is the epoch.
	// The producer gives its lease back and reattaches to a new epoch by itself;
	// Producer.Err names the file. Frames fail with ErrNotAttached meanwhile.
	ErrRegionFault = errors.New("tp: memory fault in the stream's shared memory (file truncated, or filesystem full)")
)

// ErrBusy is matched (errors.Is) by every error of the frame path that drops one frame for
// a reason that passes: ErrNotAttached, ErrNotReady, ErrNoSubscriber and ErrBackPressured.
// Offer or claim again, later or at once; C calls say TP_ERR_BUSY for them, Python raises
// BusyError.
var ErrBusy = errors.New("tp: busy (the frame was dropped; try again)")

// busyError is an error of the frame path that matches ErrBusy.
type busyError struct{ msg string }

func (e *busyError) Error() string        { return e.msg }
func (e *busyError) Is(target error) bool { return target == ErrBusy }

// ErrRefused: the driver refused the attach for a reason no retry changes (a stream it
// does not serve, parameters or pages it does not offer, a provisioning that failed).
// NewProducer and NewConsumer return it at once, with the *driverclient.RefusedError
// that carries the response code and the driver's message (errors.As); refusals that can
// pass (a lease still held, a driver draining) are retried until ctx ends.
var ErrRefused = errors.New("tp: the driver refused the attach")

// resultErr maps a producer Result to this package's errors.
func resultErr(r producer.Result) error {
	switch r {
	case producer.OK:
		return nil
	case producer.DropNoPoolFits:
		return ErrTooLarge
	case producer.DropInvalidSize, producer.DropInvalidTensor, producer.DropTensorExceedsPayload:
		return ErrInvalidTensor
	case producer.ErrClaimOutstanding, producer.ErrNoClaim:
		return ErrClaimState
	case producer.DropNotConnected:
		return ErrNoSubscriber
	case producer.DropBackPressured, producer.DropAdminAction:
		return ErrBackPressured
	case producer.ErrRegionFault:
		return ErrRegionFault
	default:
		return ErrPublication
	}
}

// ErrNoSuchPool reports a claim in a payload pool the stream does not have.
var ErrNoSuchPool = errors.New("tp: no payload pool with that id")

// offerErr turns an Aeron offer result into an error: nil once the message is in the log.
func offerErr(pos int64) error {
	switch {
	case pos >= 0:
		return nil
	case pos == transport.NotConnected:
		return ErrNoSubscriber
	case pos == transport.BackPressured || pos == transport.AdminAction:
		return ErrBackPressured
	default:
		return ErrPublication
	}
}

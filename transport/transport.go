// Package transport is the interface every role reaches the others through: a client
// of a media driver that adds publications, subscriptions and counters, and the
// publications, subscriptions and counters themselves. Backends implement it: the
// pure-Go Aeron client (package aeron) and an in-memory one for tests
// (transport/mem); transport/transporttest holds the one conformance test every
// backend passes.
//
// Adding a resource is asynchronous, as in Aeron's C client: Add* returns a Pending
// that a duty cycle polls until the driver has answered, so no role ever waits on the
// media driver. Init paths that may wait use Await.
//
// The data path is Aeron's: Offer and TryClaim return the new stream position or one
// of the negative results below; a Claim is committed or aborted in place; a
// Subscription delivers whole messages, its fragments reassembled, to a Handler that
// sees plain bytes and a small Header. Nothing on that path allocates or takes a lock.
package transport

import (
	"context"
	"errors"
	"fmt"

	"github.com/tensorpool/tensorpool/agent"
)

// Results of Offer and TryClaim when nothing was appended; a successful call returns
// the new stream position, which is positive. The values are Aeron's.
const (
	// NotConnected: no subscriber (IPC) or receiver is connected.
	NotConnected int64 = -1
	// BackPressured: a subscriber lags the publication's window; retry later.
	BackPressured int64 = -2
	// AdminAction: the log is rotating to a new term; retry at once.
	AdminAction int64 = -3
	// Closed: the publication, or its client, is closed.
	Closed int64 = -4
	// MaxPositionExceeded: the stream reached the largest position its term length
	// allows.
	MaxPositionExceeded int64 = -5
	// PublicationError: the length is negative or beyond MaxPayloadLength (TryClaim)
	// or MaxMessageLength (Offer).
	PublicationError int64 = -6
)

// ResultName names an Offer or TryClaim result: "NOT_CONNECTED", ..., or "position"
// for a positive one.
func ResultName(result int64) string {
	switch result {
	case NotConnected:
		return "NOT_CONNECTED"
	case BackPressured:
		return "BACK_PRESSURED"
	case AdminAction:
		return "ADMIN_ACTION"
	case Closed:
		return "CLOSED"
	case MaxPositionExceeded:
		return "MAX_POSITION_EXCEEDED"
	case PublicationError:
		return "PUBLICATION_ERROR"
	}
	if result > 0 {
		return "position"
	}
	return fmt.Sprintf("UNKNOWN_RESULT(%d)", result)
}

var (
	// ErrPending is what Pending.Poll returns, unwrapped, while the add is not
	// answered yet.
	ErrPending = errors.New("transport: add not answered yet")
	// ErrCanceled is what Pending.Poll returns after Cancel.
	ErrCanceled = errors.New("transport: add canceled")
	// ErrClosed matches the error of a client that was closed (Client.Err, and the
	// adds that fail because of it). Backends wrap it in their own error.
	ErrClosed = errors.New("transport: client closed")
)

// Client is a connection to a media driver. Its methods are safe for concurrent use.
type Client interface {
	// AddPublication adds a concurrent publication: every add of the same channel
	// and stream shares one session.
	AddPublication(channel string, streamID int32) Pending[Publication]
	// AddExclusivePublication adds a publication with a session of its own, for a
	// single writer.
	AddExclusivePublication(channel string, streamID int32) Pending[Publication]
	// AddSubscription adds a subscription; it receives every session of the
	// channel and stream, one image each.
	AddSubscription(channel string, streamID int32) Pending[Subscription]
	// AddCounter allocates a counter other processes can read, with Aeron's type
	// id, key (at most 112 bytes) and label (at most 380 bytes).
	AddCounter(typeID int32, key []byte, label string) Pending[Counter]
	// Conductor is the client's duty cycle when the caller runs it (invoker mode:
	// in an agent.Runner or Invoker, alone or in an agent.Composite with other
	// agents); nil when the client runs its own. Adds complete, and the client
	// stays alive, only while the conductor runs.
	Conductor() agent.Agent
	// Err is nil while the client is usable, else the terminal error that ended it
	// (driver dead, client timed out by the driver, conductor not run, closed):
	// every later add fails with it and the resources are closed.
	Err() error
	// Close releases everything the client holds. Nothing obtained from it may be
	// used concurrently with or after Close; Err reports an error matching
	// ErrClosed afterwards.
	Close() error
}

// Pending is an add in progress. Poll it from one goroutine, typically once per duty
// cycle: it never blocks.
type Pending[T any] interface {
	// Poll returns the resource once the driver has answered, the error if it
	// refused or the client ended, and ErrPending until then. After success the
	// caller owns the resource and closes it.
	Poll() (T, error)
	// Cancel abandons the add: a resource that was not yet handed out by Poll is
	// closed, now or when the driver's answer arrives. Poll returns ErrCanceled
	// from then on (unless it already handed the resource out).
	Cancel()
}

// Await polls p with a backing-off wait until it completes or ctx ends, then cancels
// it. For init paths; a duty cycle polls its Pending instead. The client must make
// progress meanwhile: with a client in invoker mode, another goroutine runs its
// conductor.
func Await[T any](ctx context.Context, p Pending[T]) (T, error) {
	idle := agent.NewBackoff()
	for {
		v, err := p.Poll()
		if !errors.Is(err, ErrPending) {
			return v, err
		}
		if ctx.Err() != nil {
			p.Cancel()
			var zero T
			return zero, fmt.Errorf("transport: add not answered: %w", context.Cause(ctx))
		}
		idle.Idle(0)
	}
}

// Publication appends messages to a stream. A concurrent publication may be used from
// any number of goroutines; an exclusive one by one at a time.
type Publication interface {
	// TryClaim reserves length bytes (at most MaxPayloadLength) in one frame and
	// wraps c around them; on success (a positive result) fill c.Buffer() and
	// Commit or Abort c promptly: an open claim stalls every subscriber.
	TryClaim(length int, c *Claim) int64
	// Offer copies msg (at most MaxMessageLength) into the stream, fragmenting it
	// beyond MaxPayloadLength.
	Offer(msg []byte) int64
	// Position is where the next message will be appended, or Closed.
	Position() int64
	// IsConnected reports whether a subscriber (IPC) or receiver is connected.
	IsConnected() bool
	// MaxPayloadLength is the largest TryClaim and the largest unfragmented
	// message: the MTU minus the frame header.
	MaxPayloadLength() int
	// MaxMessageLength is the largest Offer.
	MaxMessageLength() int
	Channel() string
	StreamID() int32
	// SessionID is the session the driver assigned: shared by the concurrent
	// publications of a channel and stream, unique to an exclusive one.
	SessionID() int32
	// Close removes the publication; Offer and TryClaim return Closed from now
	// on. Closing twice is harmless.
	Close() error
}

// Header is what a Handler learns about a message besides its bytes.
type Header struct {
	// SessionID is the publication session the message came from, StreamID its
	// stream.
	SessionID, StreamID int32
	// Position is the stream position just past the message.
	Position int64
	// ReservedValue is the 64-bit value a publisher may set in the frame header
	// (that of the first fragment of a fragmented message).
	ReservedValue int64
}

// Handler receives one whole message. msg points into the log (or the reassembly
// buffer of a fragmented message) and h is reused: both are valid only during the
// call, so copy what outlives it.
type Handler func(msg []byte, h *Header)

// Subscription receives a stream: one image per publication session. Poll it from one
// goroutine at a time.
type Subscription interface {
	// Poll reads up to fragmentLimit fragments from the images, starting with a
	// different image each time so none is starved, reassembles fragmented
	// messages and hands every whole message to h. It returns the fragments read
	// (the messages, when none is fragmented). The subscriber position, which holds
	// publishers back (flow control), passes a message only once h has been given it.
	Poll(h Handler, fragmentLimit int) int
	// IsConnected reports whether at least one image is available.
	IsConnected() bool
	// ImageCount is the number of images (publication sessions) available.
	ImageCount() int
	Channel() string
	StreamID() int32
	// Close removes the subscription; Poll reads nothing from now on. Closing
	// twice is harmless.
	Close() error
}

// Counter is a 64-bit counter other processes can read. Its value operations are
// atomic and lock-free; once it is closed they do nothing and Get returns 0.
type Counter interface {
	// ID is the counter's id: its index among the driver's counters.
	ID() int32
	Get() int64
	Set(v int64)
	// Add adds d and returns the new value.
	Add(d int64) int64
	// Close frees the counter. Closing twice is harmless.
	Close() error
}

// Ready is a Pending that is already complete: Poll returns v and err. For resources a
// caller has in hand (tests, a backend that adds synchronously).
func Ready[T any](v T, err error) Pending[T] { return &ready[T]{v: v, err: err} }

type ready[T any] struct {
	v   T
	err error
}

func (r *ready[T]) Poll() (T, error) { return r.v, r.err }
func (r *ready[T]) Cancel()          {}

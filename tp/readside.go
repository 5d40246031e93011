package tp

import (
	"context"
	"errors"
	"fmt"

	"github.com/tensorpool/tensorpool/transport"
)

// What the read-side helpers (QosMonitor, MetadataCache, DiscoveryClient) share: the
// error they report for a message they ignored, a bounded table of the newest value per
// id, and the subscription plumbing.

// ErrMalformed is matched (errors.Is) by every MessageError: a received message, or one
// result inside it, that broke a rule of its spec and was ignored.
var ErrMalformed = errors.New("tp: malformed message")

// MessageError says which received message a read-side helper ignored, and why. When
// the message's structure was unsound Err is the wire package's error (a
// *wire.DecodeError), so errors.Is(err, wire.ErrShortBuffer) and the like work too.
type MessageError struct {
	Message string // e.g. "QosConsumer", "DiscoveryResponse"
	Section string // the spec rule broken, e.g. "Discovery §5.2"
	Field   string // e.g. "results[2].driverControlStreamId"; "" for the message as a whole
	Problem string // what was wrong, with the value seen
	Err     error  // the underlying decode error, if any
}

func (e *MessageError) Error() string {
	where := e.Message
	if e.Field != "" {
		where += "." + e.Field
	}
	s := fmt.Sprintf("tp: %s ignored (%s): %s", where, e.Section, e.Problem)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *MessageError) Unwrap() error { return e.Err }

// Is makes every MessageError match ErrMalformed.
func (e *MessageError) Is(target error) bool { return target == ErrMalformed }

// decodeFailure wraps a wire validation error of message name.
func decodeFailure(name, section string, err error) *MessageError {
	return &MessageError{Message: name, Section: section, Problem: "failed validation", Err: err}
}

// tableCapacity bounds the entries of the QoS and metadata tables (the reference C
// client's TP_MAX_QOS_ENTRIES and TP_MAX_METADATA_ENTRIES).
const tableCapacity = 64

// newestTable keeps one value per uint32 id, at most tableCapacity of them. When full, a
// new id evicts the entry updated least recently: a departed producer or consumer (a
// restarted process comes back under a new id) must not lock newcomers out forever. It
// allocates nothing.
type newestTable[T any] struct {
	n       int
	tick    uint64
	ids     [tableCapacity]uint32
	touched [tableCapacity]uint64 // tick of the last update
	vals    [tableCapacity]T
}

func (t *newestTable[T]) find(id uint32) int {
	for i := range t.n {
		if t.ids[i] == id {
			return i
		}
	}
	return -1
}

// slot returns the entry for id, creating it (zeroed) if needed; evicted reports that
// another id's entry was dropped to make room.
func (t *newestTable[T]) slot(id uint32) (v *T, created, evicted bool) {
	t.tick++
	i := t.find(id)
	if i < 0 {
		created = true
		if t.n < tableCapacity {
			i = t.n
			t.n++
		} else {
			i = 0
			for j := 1; j < t.n; j++ {
				if t.touched[j] < t.touched[i] {
					i = j
				}
			}
			evicted = true
		}
		t.ids[i] = id
		var zero T
		t.vals[i] = zero
	}
	t.touched[i] = t.tick
	return &t.vals[i], created, evicted
}

func (t *newestTable[T]) get(id uint32) (*T, bool) {
	if i := t.find(id); i >= 0 {
		return &t.vals[i], true
	}
	return nil, false
}

func (t *newestTable[T]) len() int { return t.n }

// subscribeMessages adds a subscription whose messages go to handle (the message slice is
// only valid during the call).
func (c *Client) subscribeMessages(channel string, streamID int32, handle func(msg []byte)) (transport.Subscription, transport.Handler, error) {
	if channel == "" {
		return nil, nil, fmt.Errorf("%w: a channel is required", ErrInvalidOptions)
	}
	if err := c.usable(); err != nil {
		return nil, nil, err
	}
	sub, err := await(context.Background(), c, c.transportNow().AddSubscription(channel, streamID))
	if err != nil {
		return nil, nil, fmt.Errorf("tp: subscription %s stream %d: %w", channel, streamID, err)
	}
	return sub, func(msg []byte, _ *transport.Header) { handle(msg) }, nil
}

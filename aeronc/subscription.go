//go:build aeronc

package aeronc

/*
#include <stdlib.h>
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/tensorpool/tensorpool/transport"
)

// A subscription's poll batch: the messages its list holds and the bytes its arena (for
// reassembled messages) does, per call into C. A poll that fills either calls again until
// the fragment limit.
const (
	batchArenaLength = 256 << 10
	batchMessages    = 1024
)

// Subscription is a subscription of the C client; it implements transport.Subscription.
// A Poll is one call into C per batch: it peeks at the images (libaeron's
// aeron_image_controlled_peek), listing each unfragmented message where it lies in the log
// and reassembling fragmented ones with libaeron's fragment assembler into the batch's
// arena, and moves no subscriber position; Go hands the messages to the Handler; then Go
// moves the images' subscriber positions past them (commit), as the pure-Go client does
// after its handler ran. The log space under the messages stays the subscriber's until
// then, and the images stay retained until the next call, so their logs stay mapped.
type Subscription struct {
	c        *Client
	batch    C.tp_aeronc_handle    // 0 once freed
	messages []C.tp_aeronc_message // the batch's list, in C memory
	commits  []C.tp_aeronc_commit  // the batch's commits, in C memory
	header   transport.Header      // handed to every Handler call
	// closed is set once the subscription or its client is closed, under the client's
	// lock; after that the batch is not polled again.
	closed atomic.Bool
	// polling: a Poll is delivering, so a Close from its Handler leaves the batch to it.
	polling bool
	// clientClosed: the client closed, freeing the images the batch may still hold.
	clientClosed bool
	channel      string
	streamID     int32
}

var _ transport.Subscription = (*Subscription)(nil)

// AddSubscription implements transport.Client.
func (c *Client) AddSubscription(channel string, streamID int32) transport.Pending[transport.Subscription] {
	op := fmt.Sprintf("add subscription %s stream %d", channel, streamID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usableLocked(); err != nil {
		return failed[transport.Subscription](c, err)
	}
	cchannel := C.CString(channel)
	defer C.free(unsafe.Pointer(cchannel))
	var async unsafe.Pointer
	var cerr C.tp_aeronc_error
	if C.tp_aeronc_add_subscription(c.aeron, cchannel, C.int32_t(streamID), &async, &cerr) != 0 {
		return failed[transport.Subscription](c, cError(op, &cerr))
	}
	return &pending[transport.Subscription]{
		c:     c,
		async: async,
		poll: func(async unsafe.Pointer) (transport.Subscription, bool, error) {
			var batch C.tp_aeronc_handle
			var messages *C.tp_aeronc_message
			var commits *C.tp_aeronc_commit
			var cerr C.tp_aeronc_error
			switch C.tp_aeronc_poll_subscription(c.aeron, async, batchArenaLength, batchMessages, &batch, &messages, &commits, &cerr) {
			case 0:
				return nil, false, nil
			case 1:
				s := &Subscription{
					c:        c,
					batch:    batch,
					messages: unsafe.Slice(messages, batchMessages),
					commits:  unsafe.Slice(commits, C.TP_AERONC_BATCH_IMAGES),
					channel:  channel,
					streamID: streamID,
				}
				c.live[s] = struct{}{}
				return s, true, nil
			}
			return nil, true, cError(op, &cerr)
		},
		cancel: func(async unsafe.Pointer) error {
			var cerr C.tp_aeronc_error
			if C.tp_aeronc_cancel_subscription(c.aeron, async, &cerr) != 0 {
				return cError("cancel "+op, &cerr)
			}
			return nil
		},
	}
}

// Poll implements transport.Subscription. The subscriber position passes only messages
// the Handler has been given: a producer held back by it (flow control) never gets ahead
// of what the Handler saw. A Poll whose Handler panics leaves its last batch unread, to
// be delivered again, as the pure-Go client does.
func (s *Subscription) Poll(h transport.Handler, fragmentLimit int) int {
	if s.closed.Load() || fragmentLimit <= 0 {
		return 0
	}
	s.polling = true
	defer s.pollDone()
	read := 0
	for read < fragmentLimit {
		r := C.tp_aeronc_poll(s.batch, C.size_t(fragmentLimit-read))
		read += int(r.fragments)
		for i := range int(r.count) {
			m := &s.messages[i]
			s.header = transport.Header{
				SessionID:     int32(m.session_id),
				StreamID:      int32(m.stream_id),
				Position:      int64(m.position),
				ReservedValue: int64(m.reserved_value),
			}
			h(unsafe.Slice((*byte)(unsafe.Pointer(m.data)), int(m.length)), &s.header)
			if s.closed.Load() {
				return read
			}
		}
		s.commit(int(r.images))
		if r.full == 0 {
			break
		}
	}
	return read
}

// commit moves the subscriber position of each of the first n images of the last batch
// past what the batch read from it. The compare and swap is the release libaeron's image
// poll makes with its store (the Handler's reads of the log come before it), and it leaves
// a position that moved meanwhile alone: no one else moves it while the image lives. The
// counter stays mapped while the client is open, and the subscription is checked open
// after each Handler call; the image is retained until the next call into C, but its
// counter, like libaeron's own, is the driver's, which frees it once the image is gone and
// reuses it only after its free-to-reuse timeout (1 s by default), far longer than a
// batch's handling.
func (s *Subscription) commit(n int) {
	for i := range n {
		c := &s.commits[i]
		atomic.CompareAndSwapInt64((*int64)(unsafe.Pointer(c.subscriber_position)), int64(c.from), int64(c.to))
	}
}

// pollDone ends a Poll, also one cut short by a panic: a subscription closed meanwhile
// has its batch freed here.
func (s *Subscription) pollDone() {
	s.polling = false
	if s.closed.Load() {
		s.freeBatch()
	}
}

// IsConnected implements transport.Subscription.
func (s *Subscription) IsConnected() bool {
	return !s.closed.Load() && C.tp_aeronc_subscription_is_connected(s.batch) != 0
}

// ImageCount implements transport.Subscription.
func (s *Subscription) ImageCount() int {
	if s.closed.Load() {
		return 0
	}
	return int(C.tp_aeronc_subscription_image_count(s.batch))
}

// Channel implements transport.Subscription.
func (s *Subscription) Channel() string { return s.channel }

// StreamID implements transport.Subscription.
func (s *Subscription) StreamID() int32 { return s.streamID }

// Close implements transport.Subscription. Like Poll, it runs on the subscription's
// goroutine (or in a Handler of its Poll).
func (s *Subscription) Close() error {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.closed.Load() {
		return nil
	}
	s.closed.Store(true)
	delete(c.live, s)
	var cerr C.tp_aeronc_error
	rc := C.tp_aeronc_close_subscription(s.batch, nil, &cerr)
	if !s.polling {
		s.freeBatch()
	}
	if rc != 0 {
		return cError(fmt.Sprintf("close subscription %s stream %d", s.channel, s.streamID), &cerr)
	}
	return nil
}

// removeLocked closes the C subscription; clientGoneLocked frees the batch after.
func (s *Subscription) removeLocked(closed *C.int64_t) bool {
	s.closed.Store(true)
	var cerr C.tp_aeronc_error
	return C.tp_aeronc_close_subscription(s.batch, closed, &cerr) == 0
}

// clientGoneLocked: a closed client took the C subscription with it; the batch is ours.
// A client that ended but is not closed keeps the C subscription until Close, when its
// images are still there to give back.
func (s *Subscription) clientGoneLocked(closed bool) {
	s.closed.Store(true)
	if closed && !s.polling {
		s.freeBatch()
	}
	s.clientClosed = closed
}

// freeBatch frees the batch of a closed subscription; before its client closed, it gives
// back the images the batch holds (after, they are gone with the client).
func (s *Subscription) freeBatch() {
	if s.batch != 0 {
		release := C.int32_t(1)
		if s.clientClosed {
			release = 0
		}
		C.tp_aeronc_free_batch(s.batch, release)
		s.batch, s.messages, s.commits = 0, nil, nil
	}
}

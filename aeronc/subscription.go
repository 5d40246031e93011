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

// A subscription's poll batch: the bytes its arena holds and the messages its list does,
// per call into C. A poll that fills either calls again until the fragment limit.
const (
	batchArenaLength = 256 << 10
	batchMessages    = 1024
)

// Subscription is a subscription of the C client; it implements transport.Subscription.
// A Poll is one call into C per batch: libaeron's controlled poll reassembles fragmented
// messages (its fragment assembler) and a C handler copies each whole message and its
// header into the batch; then Go hands them to the Handler. The copy is what keeps a
// message valid during the Handler: by then the poll has moved the subscriber position
// past it, and the log space is the publisher's again.
type Subscription struct {
	c        *Client
	batch    C.tp_aeronc_handle    // 0 once freed
	messages []C.tp_aeronc_message // the batch's list, in C memory
	header   transport.Header      // handed to every Handler call
	// closed is set once the subscription or its client is closed, under the client's
	// lock; after that the batch is not polled again.
	closed   atomic.Bool
	polling  bool // a Poll is delivering: a Close from its Handler leaves the batch to it
	channel  string
	streamID int32
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
			var cerr C.tp_aeronc_error
			switch C.tp_aeronc_poll_subscription(async, batchArenaLength, batchMessages, &batch, &messages, &cerr) {
			case 0:
				return nil, false, nil
			case 1:
				s := &Subscription{
					c:        c,
					batch:    batch,
					messages: unsafe.Slice(messages, batchMessages),
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

// Poll implements transport.Subscription.
func (s *Subscription) Poll(h transport.Handler, fragmentLimit int) int {
	if s.closed.Load() || fragmentLimit <= 0 {
		return 0
	}
	s.polling = true
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
				break
			}
		}
		if s.closed.Load() || r.full == 0 {
			break
		}
	}
	s.polling = false
	if s.closed.Load() {
		// The subscription or its client closed during the poll: the batch is freed here.
		s.freeBatch()
	}
	return read
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
	rc := C.tp_aeronc_close_subscription(s.batch, &cerr)
	if !s.polling {
		s.freeBatch()
	}
	if rc != 0 {
		return cError(fmt.Sprintf("close subscription %s stream %d", s.channel, s.streamID), &cerr)
	}
	return nil
}

// clientGoneLocked: a closed client took the C subscription with it; the batch is ours.
func (s *Subscription) clientGoneLocked(closed bool) {
	s.closed.Store(true)
	if closed && !s.polling {
		s.freeBatch()
	}
}

func (s *Subscription) freeBatch() {
	if s.batch != 0 {
		C.tp_aeronc_free_batch(s.batch)
		s.batch, s.messages = 0, nil
	}
}

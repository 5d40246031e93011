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

// dataHeaderLength is the length of an Aeron data frame header, in front of a claimed
// payload.
const dataHeaderLength = 32

// Publication is a concurrent or exclusive publication of the C client; it implements
// transport.Publication. Offer and TryClaim are one cgo call each, and a claim commits
// in Go: libaeron's term buffers lay frames out as transport.Claim expects.
type Publication struct {
	c         *Client
	handle    C.tp_aeronc_handle // the aeron_publication_t, or aeron_exclusive_publication_t
	exclusive C.int32_t
	// closed is set once the publication or its client is closed, under the client's
	// lock; after that handle is never passed to C again.
	closed         atomic.Bool
	channel        string
	streamID       int32
	sessionID      int32
	registrationID int64
	maxPayload     int
	maxMessage     int
}

var _ transport.Publication = (*Publication)(nil)

// AddPublication implements transport.Client.
func (c *Client) AddPublication(channel string, streamID int32) transport.Pending[transport.Publication] {
	return c.addPublication(channel, streamID, false)
}

// AddExclusivePublication implements transport.Client.
func (c *Client) AddExclusivePublication(channel string, streamID int32) transport.Pending[transport.Publication] {
	return c.addPublication(channel, streamID, true)
}

func (c *Client) addPublication(channel string, streamID int32, exclusive bool) transport.Pending[transport.Publication] {
	kind := "publication"
	var excl C.int32_t
	if exclusive {
		kind, excl = "exclusive publication", 1
	}
	op := fmt.Sprintf("add %s %s stream %d", kind, channel, streamID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usableLocked(); err != nil {
		return failed[transport.Publication](c, err)
	}
	cchannel := C.CString(channel)
	defer C.free(unsafe.Pointer(cchannel))
	var async unsafe.Pointer
	var cerr C.tp_aeronc_error
	if C.tp_aeronc_add_publication(c.aeron, cchannel, C.int32_t(streamID), excl, &async, &cerr) != 0 {
		return failed[transport.Publication](c, cError(op, &cerr))
	}
	return &pending[transport.Publication]{
		c:     c,
		async: async,
		poll: func(async unsafe.Pointer) (transport.Publication, bool, error) {
			var info C.tp_aeronc_publication_info
			var cerr C.tp_aeronc_error
			switch C.tp_aeronc_poll_publication(async, excl, &info, &cerr) {
			case 0:
				return nil, false, nil
			case 1:
				p := &Publication{
					c:              c,
					handle:         info.publication,
					exclusive:      excl,
					channel:        channel,
					streamID:       int32(info.stream_id),
					sessionID:      int32(info.session_id),
					registrationID: int64(info.registration_id),
					maxPayload:     int(info.max_payload_length),
					maxMessage:     int(info.max_message_length),
				}
				c.live[p] = struct{}{}
				return p, true, nil
			}
			return nil, true, cError(op, &cerr)
		},
		cancel: func(async unsafe.Pointer) error {
			var cerr C.tp_aeronc_error
			if C.tp_aeronc_cancel_publication(c.aeron, async, excl, &cerr) != 0 {
				return cError("cancel "+op, &cerr)
			}
			return nil
		},
	}
}

// TryClaim implements transport.Publication: one call into libaeron, which writes the
// frame header with its length negated; Claim.Commit's release store of the length
// publishes it, from Go.
func (p *Publication) TryClaim(length int, claim *transport.Claim) int64 {
	if p.closed.Load() {
		return transport.Closed
	}
	if length < 0 || length > p.maxPayload {
		return transport.PublicationError
	}
	r := C.tp_aeronc_try_claim(p.handle, p.exclusive, C.size_t(length))
	if r.result > 0 {
		claim.Wrap(unsafe.Slice((*byte)(unsafe.Pointer(r.frame)), dataHeaderLength+length))
	}
	return int64(r.result)
}

// Offer implements transport.Publication: one call into libaeron, which copies msg.
func (p *Publication) Offer(msg []byte) int64 {
	if p.closed.Load() {
		return transport.Closed
	}
	if len(msg) > p.maxMessage {
		return transport.PublicationError
	}
	return int64(C.tp_aeronc_offer(p.handle, p.exclusive, (*C.uint8_t)(unsafe.SliceData(msg)), C.size_t(len(msg))))
}

// Position implements transport.Publication.
func (p *Publication) Position() int64 {
	if p.closed.Load() {
		return transport.Closed
	}
	return int64(C.tp_aeronc_publication_position(p.handle, p.exclusive))
}

// IsConnected implements transport.Publication.
func (p *Publication) IsConnected() bool {
	return !p.closed.Load() && C.tp_aeronc_publication_is_connected(p.handle, p.exclusive) != 0
}

// MaxPayloadLength implements transport.Publication.
func (p *Publication) MaxPayloadLength() int { return p.maxPayload }

// MaxMessageLength implements transport.Publication.
func (p *Publication) MaxMessageLength() int { return p.maxMessage }

// Channel implements transport.Publication.
func (p *Publication) Channel() string { return p.channel }

// StreamID implements transport.Publication.
func (p *Publication) StreamID() int32 { return p.streamID }

// SessionID implements transport.Publication.
func (p *Publication) SessionID() int32 { return p.sessionID }

// RegistrationID is the id the driver registered the publication under.
func (p *Publication) RegistrationID() int64 { return p.registrationID }

// IsExclusive reports whether the publication is an exclusive one.
func (p *Publication) IsExclusive() bool { return p.exclusive != 0 }

// Close implements transport.Publication. The C client frees the publication when it
// closes it, so Close must come after every Offer and TryClaim on it has returned (as
// in the C client); later ones return Closed.
func (p *Publication) Close() error {
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.closed.Load() {
		return nil
	}
	p.closed.Store(true)
	delete(c.live, p)
	var cerr C.tp_aeronc_error
	if C.tp_aeronc_close_publication(p.handle, p.exclusive, nil, &cerr) != 0 {
		return cError(fmt.Sprintf("close publication %s stream %d", p.channel, p.streamID), &cerr)
	}
	return nil
}

func (p *Publication) clientGoneLocked(bool) { p.closed.Store(true) }

func (p *Publication) removeLocked(closed *C.int64_t) bool {
	p.closed.Store(true)
	var cerr C.tp_aeronc_error
	return C.tp_aeronc_close_publication(p.handle, p.exclusive, closed, &cerr) == 0
}

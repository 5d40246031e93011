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

// Limits of a counter's key and label (Aeron's counter metadata record).
const (
	MaxCounterKeyLength   = 112
	MaxCounterLabelLength = 380
)

// Counter is a counter allocated through the C client; it implements transport.Counter.
// Its value is a word in the driver's counters file that Go reads and writes with
// sync/atomic, no cgo call.
type Counter struct {
	c              *Client
	ptr            *C.aeron_counter_t
	value          *int64 // in the mapped counters values buffer
	id             int32
	registrationID int64
	// closed is set once the counter or its client is closed, under the client's lock;
	// after that value is not touched again.
	closed atomic.Bool
}

var _ transport.Counter = (*Counter)(nil)

// AddCounter implements transport.Client.
func (c *Client) AddCounter(typeID int32, key []byte, label string) transport.Pending[transport.Counter] {
	op := fmt.Sprintf("add counter type %d %q", typeID, label)
	if len(key) > MaxCounterKeyLength {
		return failed[transport.Counter](c, fmt.Errorf("aeronc: %s: key of %d bytes, at most %d", op, len(key), MaxCounterKeyLength))
	}
	if len(label) > MaxCounterLabelLength {
		return failed[transport.Counter](c, fmt.Errorf("aeronc: %s: label of %d bytes, at most %d", op, len(label), MaxCounterLabelLength))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usableLocked(); err != nil {
		return failed[transport.Counter](c, err)
	}
	clabel := C.CString(label)
	defer C.free(unsafe.Pointer(clabel))
	var async unsafe.Pointer
	var cerr C.tp_aeronc_error
	if C.tp_aeronc_add_counter(c.aeron, C.int32_t(typeID), (*C.uint8_t)(unsafe.SliceData(key)), C.size_t(len(key)),
		clabel, C.size_t(len(label)), &async, &cerr) != 0 {
		return failed[transport.Counter](c, cError(op, &cerr))
	}
	return &pending[transport.Counter]{
		c:     c,
		async: async,
		poll: func(async unsafe.Pointer) (transport.Counter, bool, error) {
			var info C.tp_aeronc_counter_info
			var cerr C.tp_aeronc_error
			switch C.tp_aeronc_poll_counter(async, &info, &cerr) {
			case 0:
				return nil, false, nil
			case 1:
				k := &Counter{
					c:              c,
					ptr:            info.counter,
					value:          (*int64)(unsafe.Pointer(info.value)),
					id:             int32(info.counter_id),
					registrationID: int64(info.registration_id),
				}
				c.live[k] = struct{}{}
				return k, true, nil
			}
			return nil, true, cError(op, &cerr)
		},
		cancel: func(async unsafe.Pointer) error {
			var cerr C.tp_aeronc_error
			if C.tp_aeronc_cancel_counter(c.aeron, async, &cerr) != 0 {
				return cError("cancel "+op, &cerr)
			}
			return nil
		},
	}
}

// ID implements transport.Counter.
func (k *Counter) ID() int32 { return k.id }

// RegistrationID is the id the driver registered the counter under.
func (k *Counter) RegistrationID() int64 { return k.registrationID }

// Get implements transport.Counter.
func (k *Counter) Get() int64 {
	if k.closed.Load() {
		return 0
	}
	return atomic.LoadInt64(k.value)
}

// Set implements transport.Counter.
func (k *Counter) Set(v int64) {
	if !k.closed.Load() {
		atomic.StoreInt64(k.value, v)
	}
}

// Add implements transport.Counter.
func (k *Counter) Add(d int64) int64 {
	if k.closed.Load() {
		return 0
	}
	return atomic.AddInt64(k.value, d)
}

// Close implements transport.Counter. As with a publication, the C client frees the
// counter when it closes it: Close comes after every other call on it has returned.
func (k *Counter) Close() error {
	c := k.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if k.closed.Load() {
		return nil
	}
	k.closed.Store(true)
	delete(c.live, k)
	var cerr C.tp_aeronc_error
	if C.tp_aeronc_close_counter(k.ptr, nil, &cerr) != 0 {
		return cError(fmt.Sprintf("close counter %d", k.id), &cerr)
	}
	return nil
}

func (k *Counter) clientGoneLocked(bool) { k.closed.Store(true) }

func (k *Counter) removeLocked(closed *C.int64_t) bool {
	k.closed.Store(true)
	var cerr C.tp_aeronc_error
	return C.tp_aeronc_close_counter(k.ptr, closed, &cerr) == 0
}

package aeron

import (
	"fmt"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/transport"
)

// Counter is a counter this client allocated in the driver; it implements
// transport.Counter. Its value lives in the driver's counters values buffer, so other processes (AeronStat, the
// counters reader) see every update. Value operations are atomic and
// lock-free; after the counter is closed they do nothing and Get returns 0.
type Counter struct {
	client         *Client
	registrationID int64
	id             int32
	value          *int64
	closed         atomic.Bool
}

// AddCounter implements transport.Client: a counter with the given type id,
// key (at most 112 bytes) and label (at most 380 bytes).
func (c *Client) AddCounter(typeID int32, key []byte, label string) transport.Pending[transport.Counter] {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.terminal != nil {
		return failedPending[transport.Counter](c, c.terminal)
	}
	correlationID, err := c.proxy.addCounter(typeID, key, label)
	if err != nil {
		return failedPending[transport.Counter](c, fmt.Errorf("aeron: add counter type %d %q: %w", typeID, label, err))
	}
	req := c.registerLocked(correlationID, fmt.Sprintf("add counter type %d %q", typeID, label))
	req.ready = func(req *request) (resource, error) { return c.newCounterLocked(req) }
	return pending[transport.Counter]{c: c, req: req}
}

func (c *Client) newCounterLocked(req *request) (*Counter, error) {
	value := c.counters.Addr(req.counterID)
	if value == nil {
		return nil, fmt.Errorf("aeron: driver allocated counter id %d, outside its counters buffer (max %d)",
			req.counterID, c.counters.MaxCounterID())
	}
	counter := &Counter{client: c, registrationID: req.correlationID, id: req.counterID, value: value}
	c.counterByID[req.correlationID] = counter
	return counter, nil
}

// ID is the counter id: its index in the counters buffers.
func (k *Counter) ID() int32 { return k.id }

// RegistrationID is the id the driver registered the counter under.
func (k *Counter) RegistrationID() int64 { return k.registrationID }

// IsClosed reports whether the counter was closed, by Close, by the client
// closing, or by the driver.
func (k *Counter) IsClosed() bool { return k.closed.Load() }

// Get returns the current value.
func (k *Counter) Get() int64 {
	if k.closed.Load() {
		return 0
	}
	return atomic.LoadInt64(k.value)
}

// Set stores v.
func (k *Counter) Set(v int64) {
	if !k.closed.Load() {
		atomic.StoreInt64(k.value, v)
	}
}

// Add adds delta and returns the new value.
func (k *Counter) Add(delta int64) int64 {
	if k.closed.Load() {
		return 0
	}
	return atomic.AddInt64(k.value, delta)
}

// Increment adds one and returns the new value.
func (k *Counter) Increment() int64 { return k.Add(1) }

// Close implements transport.Counter: the counter stops counting at once, and
// the driver is asked to free it (a refusal goes to the error handler).
func (k *Counter) Close() error {
	k.client.mu.Lock()
	defer k.client.mu.Unlock()
	return k.removeLocked()
}

func (k *Counter) removeLocked() error {
	c := k.client
	if !k.closed.CompareAndSwap(false, true) {
		return nil
	}
	delete(c.counterByID, k.registrationID)
	if c.terminal != nil {
		return nil
	}
	correlationID, err := c.proxy.removeCounter(k.registrationID)
	if err != nil {
		return fmt.Errorf("aeron: remove counter %d: %w", k.id, err)
	}
	c.registerRemoveLocked(correlationID, fmt.Sprintf("remove counter %d", k.id))
	return nil
}

var _ transport.Counter = (*Counter)(nil)

package mem

import (
	"fmt"
	"sync"
	"time"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
)

// ErrClientClosed is the terminal error of a closed client; it matches transport.ErrClosed.
var ErrClientClosed = fmt.Errorf("mem: %w", transport.ErrClosed)

// ClientConfig configures a Client.
type ClientConfig struct {
	// UseInvoker leaves the conductor to the caller (Client.Conductor); otherwise a
	// goroutine runs it until Close.
	UseInvoker bool
}

// Client is a client of a Driver; it implements transport.Client. Its methods are safe
// for concurrent use.
type Client struct {
	driver *Driver
	runner *agent.Runner
	invoke bool

	// mu guards what follows; it is taken before Driver.mu.
	mu            sync.Mutex
	queue         []add
	hold          bool
	fail          error
	terminal      error
	publications  map[*Publication]struct{}
	subscriptions map[*Subscription]struct{}
	counters      map[*Counter]struct{}
}

// add is an add in the client's queue, completed by the conductor.
type add interface {
	// completeLocked creates the resource, or fails with err when it is not nil.
	completeLocked(err error)
}

// Connect makes a client of d.
func (d *Driver) Connect(cfg ClientConfig) *Client {
	c := &Client{
		driver:        d,
		invoke:        cfg.UseInvoker,
		publications:  make(map[*Publication]struct{}),
		subscriptions: make(map[*Subscription]struct{}),
		counters:      make(map[*Counter]struct{}),
	}
	if !cfg.UseInvoker {
		idle := agent.NewBackoff()
		c.runner = agent.NewRunner(conductor{c}, agent.RunnerConfig{Idle: idle, CloseTimeout: 5 * time.Second})
		_ = c.runner.Start() // a new runner always starts
	}
	return c
}

// conductor is the client's duty cycle: it completes the queued adds.
type conductor struct{ c *Client }

func (a conductor) DoWork(clock.Mono) int { return a.c.doWork() }
func (a conductor) OnClose()              {}
func (a conductor) RoleName() string      { return "mem-client-conductor" }

func (c *Client) doWork() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hold || c.terminal != nil || len(c.queue) == 0 {
		return 0
	}
	work := len(c.queue)
	for _, a := range c.queue {
		a.completeLocked(c.fail)
	}
	clear(c.queue)
	c.queue = c.queue[:0]
	return work
}

// Conductor implements transport.Client: the duty cycle in invoker mode, else nil.
func (c *Client) Conductor() agent.Agent {
	if c.invoke {
		return conductor{c}
	}
	return nil
}

// Err implements transport.Client.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.terminal
}

// HoldAdds is a test hook: while hold is true the conductor completes no add, so every
// Pending stays pending (until the client ends).
func (c *Client) HoldAdds(hold bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hold = hold
}

// FailAdds is a test hook: while err is not nil every add the conductor completes fails
// with it, as if the driver had refused it.
func (c *Client) FailAdds(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail = err
}

// Kill is a test hook: the client ends as if its driver had died or timed it out. Err
// reports err from now on, pending adds fail with it and every resource is closed.
func (c *Client) Kill(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.terminateLocked(err)
}

// Close implements transport.Client.
func (c *Client) Close() error {
	var err error
	if c.runner != nil {
		err = c.runner.Close()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.terminateLocked(ErrClientClosed)
	return err
}

func (c *Client) terminateLocked(err error) {
	if c.terminal != nil {
		return
	}
	c.terminal = err
	for _, a := range c.queue {
		a.completeLocked(err)
	}
	clear(c.queue)
	c.queue = nil
	for p := range c.publications {
		p.closeLocked()
	}
	for s := range c.subscriptions {
		s.closeLocked()
	}
	for k := range c.counters {
		k.closeLocked()
	}
}

// enqueue registers an add for the next duty cycle, or fails it at once when the client
// has ended.
func (c *Client) enqueue(a add, check error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.terminal != nil:
		a.completeLocked(c.terminal)
	case check != nil:
		a.completeLocked(check)
	default:
		c.queue = append(c.queue, a)
	}
}

// pending is an add of a T; its state is guarded by the client's lock.
type pending[T any] struct {
	c      *Client
	create func() (T, func())
	done   bool
	value  T
	close  func() // closes value; needs the client's lock
	err    error
	taken  bool
	cancel bool
}

func (p *pending[T]) completeLocked(err error) {
	if p.done {
		return
	}
	p.done = true
	if err != nil {
		p.err = err
		return
	}
	p.value, p.close = p.create()
	if p.cancel {
		p.close()
	}
}

// Poll implements transport.Pending.
func (p *pending[T]) Poll() (T, error) {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	var zero T
	switch {
	case p.cancel:
		return zero, transport.ErrCanceled
	case !p.done:
		return zero, transport.ErrPending
	case p.err != nil:
		return zero, p.err
	}
	p.taken = true
	return p.value, nil
}

// Cancel implements transport.Pending.
func (p *pending[T]) Cancel() {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	if p.cancel || p.taken {
		return
	}
	p.cancel = true
	if p.done && p.err == nil {
		p.close()
	}
}

// AddPublication implements transport.Client.
func (c *Client) AddPublication(channel string, streamID int32) transport.Pending[transport.Publication] {
	return c.addPublication(channel, streamID, false)
}

// AddExclusivePublication implements transport.Client.
func (c *Client) AddExclusivePublication(channel string, streamID int32) transport.Pending[transport.Publication] {
	return c.addPublication(channel, streamID, true)
}

func (c *Client) addPublication(channel string, streamID int32, exclusive bool) transport.Pending[transport.Publication] {
	p := &pending[transport.Publication]{c: c}
	p.create = func() (transport.Publication, func()) {
		pub := c.newPublicationLocked(channel, streamID, exclusive)
		return pub, pub.closeLocked
	}
	c.enqueue(p, checkChannel(channel))
	return p
}

// AddSubscription implements transport.Client.
func (c *Client) AddSubscription(channel string, streamID int32) transport.Pending[transport.Subscription] {
	p := &pending[transport.Subscription]{c: c}
	p.create = func() (transport.Subscription, func()) {
		sub := c.newSubscriptionLocked(channel, streamID)
		return sub, sub.closeLocked
	}
	c.enqueue(p, checkChannel(channel))
	return p
}

// Aeron's counter limits.
const (
	maxKeyLength   = 112
	maxLabelLength = 380
)

// AddCounter implements transport.Client.
func (c *Client) AddCounter(typeID int32, key []byte, label string) transport.Pending[transport.Counter] {
	p := &pending[transport.Counter]{c: c}
	p.create = func() (transport.Counter, func()) {
		k := c.newCounterLocked()
		return k, k.closeLocked
	}
	var check error
	if len(key) > maxKeyLength || len(label) > maxLabelLength {
		check = fmt.Errorf("%w: counter type %d: key of %d bytes (max %d), label of %d bytes (max %d)",
			ErrInvalidArgument, typeID, len(key), maxKeyLength, len(label), maxLabelLength)
	}
	c.enqueue(p, check)
	return p
}

var _ transport.Client = (*Client)(nil)

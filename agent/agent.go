// Package agent runs duty-cycle agents: a unit of work that is polled in a
// loop, either on its own goroutine (Runner) or by its caller (Invoker).
// Each duty cycle reads the clock once and hands that time to the agent, so
// an agent never pays for more than one clock read per cycle.
//
// Every agent runs on clock.Mono (CLOCK_MONOTONIC), so the agents of one
// process (a transport's conductor, the SHM driver, the roles) can share one
// duty cycle through a Composite.
package agent

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tensorpool/tensorpool/clock"
)

// Agent is polled by a Runner or an Invoker. DoWork returns how much work it
// did; zero lets the idle strategy back off. OnClose runs once, on the
// goroutine that ran DoWork, after the last DoWork.
type Agent interface {
	DoWork(now clock.Mono) int
	OnClose()
	RoleName() string
}

// CachedClock holds the time read at the start of the current duty cycle.
// Other goroutines may read it (atomically) to get a cheap, slightly stale
// time.
type CachedClock struct {
	now atomic.Int64
}

// Now returns the cached time.
func (c *CachedClock) Now() clock.Mono { return clock.Mono(c.now.Load()) }

// Update stores a new time.
func (c *CachedClock) Update(now clock.Mono) { c.now.Store(int64(now)) }

// ErrCloseTimeout is returned by Runner.Close when the agent's goroutine did
// not finish its current duty cycle in time. The goroutine keeps running and
// will stop (and call OnClose) when DoWork returns.
var ErrCloseTimeout = errors.New("agent: runner did not stop within the close timeout")

// ErrAlreadyStarted is returned by Runner.Start on a second call.
var ErrAlreadyStarted = errors.New("agent: runner already started")

// RunnerConfig configures a Runner. Zero values pick the defaults.
type RunnerConfig struct {
	// Idle is the idle strategy; default NewBackoff().
	Idle IdleStrategy
	// LockOSThread pins the runner goroutine to one OS thread, for agents
	// that want a stable thread (CPU affinity, thread-local state).
	LockOSThread bool
	// Clock is read once per duty cycle: clock.Now, which tests may replace.
	Clock func() clock.Mono
	// Cached, when set, receives the time read each duty cycle.
	Cached *CachedClock
	// CloseTimeout bounds how long Close waits; default 5s.
	CloseTimeout time.Duration
}

// Runner runs an agent's duty cycle on its own goroutine until Close.
type Runner struct {
	agent   Agent
	cfg     RunnerConfig
	stop    atomic.Bool
	started atomic.Bool
	done    chan struct{}
	close   sync.Once
}

// NewRunner prepares a runner; call Start to launch its goroutine.
func NewRunner(a Agent, cfg RunnerConfig) *Runner {
	if cfg.Idle == nil {
		cfg.Idle = NewBackoff()
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Now
	}
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = 5 * time.Second
	}
	return &Runner{agent: a, cfg: cfg, done: make(chan struct{})}
}

// Start launches the runner goroutine.
func (r *Runner) Start() error {
	if !r.started.CompareAndSwap(false, true) {
		return ErrAlreadyStarted
	}
	go r.run()
	return nil
}

func (r *Runner) run() {
	if r.cfg.LockOSThread {
		// Never unlocked: the goroutine exits right after, and the runtime
		// then retires the thread rather than reuse one we may have tuned.
		runtime.LockOSThread()
	}
	defer close(r.done)
	defer r.agent.OnClose()
	idle := r.cfg.Idle
	for !r.stop.Load() {
		now := r.cfg.Clock()
		if r.cfg.Cached != nil {
			r.cfg.Cached.Update(now)
		}
		idle.Idle(r.agent.DoWork(now))
	}
}

// Close stops the duty cycle and waits, up to the close timeout, for the
// goroutine to run OnClose and exit. Closing a runner that was never started
// runs OnClose on the caller's goroutine.
func (r *Runner) Close() error {
	var err error
	r.close.Do(func() {
		r.stop.Store(true)
		if r.started.CompareAndSwap(false, true) {
			r.agent.OnClose()
			close(r.done)
			return
		}
		timer := time.NewTimer(r.cfg.CloseTimeout)
		defer timer.Stop()
		select {
		case <-r.done:
		case <-timer.C:
			err = fmt.Errorf("%w: role %q after %v", ErrCloseTimeout, r.agent.RoleName(), r.cfg.CloseTimeout)
		}
	})
	return err
}

// Done is closed once the agent has run OnClose.
func (r *Runner) Done() <-chan struct{} { return r.done }

// Invoker lets the caller drive the duty cycle: each Invoke is one cycle.
// It is not safe for concurrent use.
type Invoker struct {
	agent  Agent
	clock  func() clock.Mono
	cached *CachedClock
	closed bool
}

// NewInvoker wraps an agent. now is the clock, nil for clock.Now (tests may
// pass their own); cached may be nil.
func NewInvoker(a Agent, now func() clock.Mono, cached *CachedClock) *Invoker {
	if now == nil {
		now = clock.Now
	}
	return &Invoker{agent: a, clock: now, cached: cached}
}

// Invoke runs one duty cycle and returns its work count; 0 once closed.
func (i *Invoker) Invoke() int {
	if i.closed {
		return 0
	}
	now := i.clock()
	if i.cached != nil {
		i.cached.Update(now)
	}
	return i.agent.DoWork(now)
}

// Close runs the agent's OnClose once.
func (i *Invoker) Close() {
	if !i.closed {
		i.closed = true
		i.agent.OnClose()
	}
}

// IsClosed reports whether Close was called.
func (i *Invoker) IsClosed() bool { return i.closed }

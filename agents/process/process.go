// Package process runs the agents of one process on one duty cycle: the transport's
// conductor (when the transport leaves it to its caller), the control plane (one
// subscription per control stream, package controlplane) and every role the process
// hosts (the SHM driver, producers, consumers, ...). The cycle runs on a goroutine of its
// own (Start) or on the caller's, which calls DoWork (invoker mode).
//
// Everything the agents own is touched on the duty cycle only. Other goroutines reach
// them through Do, Add and Remove, which queue work for the next cycle; a data path
// reaches its role through lock-free hand-offs (internal/handoff), never through the
// duty cycle, so it never waits for it.
package process

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
)

// ErrClosed is returned once the process's duty cycle has stopped.
var ErrClosed = errors.New("process: closed")

// Starter is an agent that wants to set itself up on the duty cycle before its first
// DoWork: register its control-plane routes, add its publications.
type Starter interface {
	OnStart(p *Process)
}

// Rebinder is an agent that can move to another transport after the process's died
// (Rebind): it holds publications, subscriptions or routes of the transport and drops
// them for new ones.
type Rebinder interface {
	// Rebind runs on the duty cycle once the process is on its new transport and hub:
	// the agent lets go of what it held of the old ones (closing its routes on the old
	// hub, dropping the old transport's publications and counters without waiting for
	// them) and sets itself up again on p.Transport and p.Hub, as in OnStart.
	Rebind(p *Process)
}

// Config configures a Process. Zero values pick the defaults.
type Config struct {
	// Hub configures the control plane.
	Hub controlplane.Config
	// Idle is the idle strategy of the goroutine Start runs; default agent.NewBackoff().
	Idle agent.IdleStrategy
	// Clock replaces clock.Now, for tests.
	Clock func() clock.Mono
}

// Process is the duty cycle of a process's agents.
type Process struct {
	client    transport.Client
	conductor agent.Agent
	hub       *controlplane.Hub
	hubConfig controlplane.Config
	clock     func() clock.Mono
	idle      agent.IdleStrategy

	// cycle serialises duty cycles: the runner goroutine's, or DoWork callers' in invoker
	// mode. Only the control path takes it.
	cycle  sync.Mutex
	agents []agent.Agent
	closed bool

	// queueMu guards queue, which other goroutines append to.
	queueMu sync.Mutex
	queue   []func()
	stopped bool

	stop, done chan struct{}
	stopOnce   sync.Once
	started    bool
}

// New makes a Process over client; nothing runs until Start or DoWork.
func New(client transport.Client, cfg Config) *Process {
	if cfg.Clock == nil {
		cfg.Clock = clock.Now
	}
	if cfg.Idle == nil {
		cfg.Idle = agent.NewBackoff()
	}
	return &Process{
		client:    client,
		conductor: client.Conductor(),
		hub:       controlplane.New(client, cfg.Hub),
		hubConfig: cfg.Hub,
		clock:     cfg.Clock,
		idle:      cfg.Idle,
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
}

// Rebind moves the process onto client after its transport died, and returns the old
// one, which the caller closes once nothing can touch it any more: the next cycles run
// client's conductor and a new control plane over it, every Rebinder agent moves over
// (Rebind, in the order of Add), then the old control plane closes. Duty cycle only
// (run it through Do or Wait).
func (p *Process) Rebind(client transport.Client) (old transport.Client) {
	old, oldHub := p.client, p.hub
	p.client, p.conductor, p.hub = client, client.Conductor(), controlplane.New(client, p.hubConfig)
	for _, a := range p.agents {
		if r, ok := a.(Rebinder); ok {
			r.Rebind(p)
		}
	}
	oldHub.OnClose()
	return old
}

// Hub is the process's control plane. Use it on the duty cycle only.
func (p *Process) Hub() *controlplane.Hub { return p.hub }

// Transport is the client the process's agents use. Duty cycle only: Rebind replaces it.
func (p *Process) Transport() transport.Client { return p.client }

// Do runs fn on the next duty cycle. It fails with ErrClosed once the process stopped.
func (p *Process) Do(fn func()) error {
	p.queueMu.Lock()
	defer p.queueMu.Unlock()
	if p.stopped {
		return ErrClosed
	}
	p.queue = append(p.queue, fn)
	return nil
}

// Add hosts a on the duty cycle from the next cycle on (OnStart first, if a is a
// Starter).
func (p *Process) Add(a agent.Agent) error {
	return p.Do(func() {
		p.agents = append(p.agents, a)
		if s, ok := a.(Starter); ok {
			s.OnStart(p)
		}
	})
}

// Remove stops hosting a: on the next duty cycle its OnClose runs and it is dropped;
// done is closed after. Removing an agent the process does not host closes done only.
func (p *Process) Remove(a agent.Agent) (done <-chan struct{}, err error) {
	ch := make(chan struct{})
	err = p.Do(func() {
		defer close(ch)
		for i, x := range p.agents {
			if x == a {
				p.agents = append(p.agents[:i], p.agents[i+1:]...)
				a.OnClose()
				return
			}
		}
	})
	return ch, err
}

// DoWork runs one duty cycle on the caller's goroutine, for invoker mode (and while a
// blocking call of the caller waits, see Wait). It returns the work done.
func (p *Process) DoWork() int {
	p.cycle.Lock()
	defer p.cycle.Unlock()
	if p.closed {
		return 0
	}
	return p.dutyCycle(p.clock())
}

func (p *Process) dutyCycle(now clock.Mono) int {
	work := p.runQueue()
	if p.conductor != nil {
		work += p.conductor.DoWork(now)
	}
	work += p.hub.DoWork(now)
	for _, a := range p.agents {
		work += a.DoWork(now)
	}
	return work
}

func (p *Process) runQueue() int {
	p.queueMu.Lock()
	q := p.queue
	p.queue = nil
	p.queueMu.Unlock()
	for _, fn := range q {
		fn()
	}
	return len(q)
}

// Start runs the duty cycle on a goroutine of its own until Close.
func (p *Process) Start() {
	p.cycle.Lock()
	defer p.cycle.Unlock()
	if p.started || p.closed {
		return
	}
	p.started = true
	go p.run()
}

func (p *Process) run() {
	defer close(p.done)
	for {
		select {
		case <-p.stop:
			return
		default:
		}
		p.cycle.Lock()
		work := 0
		if !p.closed {
			work = p.dutyCycle(p.clock())
		}
		p.cycle.Unlock()
		p.idle.Idle(work)
	}
}

// Running reports whether a goroutine runs the duty cycle (Start), rather than DoWork
// callers.
func (p *Process) Running() bool {
	p.cycle.Lock()
	defer p.cycle.Unlock()
	return p.started
}

// Wait blocks until cond, evaluated on the duty cycle after each cycle, holds or ctx
// ends. In invoker mode it runs the duty cycle itself meanwhile. For control-path calls
// (attach, detach); never for a data path.
func (p *Process) Wait(ctx context.Context, cond func() bool) error {
	idle := agent.NewBackoff()
	for {
		met := make(chan bool, 1)
		if err := p.Do(func() { met <- cond() }); err != nil {
			return err
		}
		running := p.Running()
		if !running {
			p.DoWork()
		}
		select {
		case ok := <-met:
			if ok {
				return nil
			}
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-p.done:
			return ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		idle.Idle(0)
	}
}

// Close stops the duty cycle: the queued work runs, every agent's OnClose runs (in
// reverse order of Add), then the hub's; the transport client is left to the caller. In
// invoker mode Close runs them on the caller's goroutine.
func (p *Process) Close() error {
	p.queueMu.Lock()
	p.stopped = true
	p.queueMu.Unlock()
	p.cycle.Lock()
	started := p.started
	p.cycle.Unlock()
	if started {
		p.stopOnce.Do(func() { close(p.stop) })
		select {
		case <-p.done:
		case <-time.After(closeTimeout):
			return errors.New("process: the duty cycle did not stop within the close timeout")
		}
	}
	p.cycle.Lock()
	defer p.cycle.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	p.runQueue()
	for i := len(p.agents) - 1; i >= 0; i-- {
		p.agents[i].OnClose()
	}
	p.agents = nil
	p.hub.OnClose()
	return nil
}

// closeTimeout bounds how long Close waits for a duty cycle in progress.
const closeTimeout = 5 * time.Second

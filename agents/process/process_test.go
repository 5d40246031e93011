package process

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport/mem"
)

// counter is an agent that counts its duty cycles and records its life.
type counter struct {
	name    string
	cycles  atomic.Int64
	started atomic.Bool
	closed  atomic.Bool
	log     *[]string
}

func (c *counter) DoWork(clock.Mono) int { c.cycles.Add(1); return 0 }
func (c *counter) OnClose() {
	c.closed.Store(true)
	if c.log != nil {
		*c.log = append(*c.log, c.name)
	}
}
func (c *counter) RoleName() string { return c.name }
func (c *counter) OnStart(p *Process) {
	if p.Hub() == nil {
		panic("no hub on the duty cycle")
	}
	c.started.Store(true)
}

func newProcess(t *testing.T, invoker bool) *Process {
	t.Helper()
	d := mem.NewDriver(mem.Config{})
	c := d.Connect(mem.ClientConfig{UseInvoker: invoker})
	t.Cleanup(func() { _ = c.Close() })
	p := New(c, Config{})
	if !invoker {
		p.Start()
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestAgentsRunOnTheDutyCycleInBothModes(t *testing.T) {
	for _, invoker := range []bool{false, true} {
		name := map[bool]string{false: "runner", true: "invoker"}[invoker]
		t.Run(name, func(t *testing.T) {
			p := newProcess(t, invoker)
			a := &counter{name: "a"}
			if err := p.Add(a); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := p.Wait(ctx, func() bool { return a.cycles.Load() >= 3 }); err != nil {
				t.Fatal(err)
			}
			if !a.started.Load() {
				t.Fatal("OnStart did not run before DoWork")
			}
			done, err := p.Remove(a)
			if err != nil {
				t.Fatal(err)
			}
			if invoker {
				p.DoWork()
			}
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Remove never completed")
			}
			if !a.closed.Load() {
				t.Fatal("OnClose did not run on removal")
			}
			before := a.cycles.Load()
			if invoker {
				p.DoWork()
			} else {
				_ = p.Wait(ctx, func() bool { return true })
			}
			if a.cycles.Load() != before {
				t.Fatal("a removed agent still ran")
			}
		})
	}
}

func TestWaitEndsWithTheContext(t *testing.T) {
	p := newProcess(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.Wait(ctx, func() bool { return false }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want the deadline", err)
	}
}

func TestCloseRunsOnCloseInReverseOrderAndRefusesWork(t *testing.T) {
	p := newProcess(t, false)
	var log []string
	a, b := &counter{name: "a", log: &log}, &counter{name: "b", log: &log}
	_ = p.Add(a)
	_ = p.Add(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Wait(ctx, func() bool { return b.cycles.Load() > 0 }); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0] != "b" || log[1] != "a" {
		t.Fatalf("OnClose order %v, want [b a]", log)
	}
	if err := p.Do(func() {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Do after Close = %v", err)
	}
	if err := p.Wait(ctx, func() bool { return true }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Wait after Close = %v", err)
	}
}

// rebinder records, in a shared log, the transport each Rebind found the process on.
type rebinder struct {
	counter
	rebound []any
	order   *[]string
}

func (r *rebinder) Rebind(p *Process) {
	r.rebound = append(r.rebound, p.Transport())
	*r.order = append(*r.order, r.name)
}

// Rebind moves the duty cycle onto a new transport: the Rebinder agents see the new
// transport, in the order of Add, the others are left alone and keep running, the
// control plane is replaced, and the old transport is handed back for the caller to
// close.
func TestRebindMovesTheAgentsToTheNewTransport(t *testing.T) {
	p := newProcess(t, true)
	var order []string
	first := &rebinder{counter: counter{name: "first"}, order: &order}
	second := &rebinder{counter: counter{name: "second"}, order: &order}
	plain := &counter{name: "plain"}
	for _, err := range []error{p.Add(first), p.Add(plain), p.Add(second)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	p.DoWork()
	oldHub, before := p.Hub(), p.Transport()
	next := mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{UseInvoker: true})
	t.Cleanup(func() { _ = next.Close() })

	var old any
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Wait(ctx, func() bool {
		if old == nil {
			old = p.Rebind(next)
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if old != before {
		t.Fatalf("Rebind returned %v, want the old transport %v", old, before)
	}
	if p.Transport() != next || p.Hub() == oldHub {
		t.Fatalf("after Rebind: transport %v (want %v), hub replaced %v", p.Transport(), next, p.Hub() != oldHub)
	}
	for _, r := range []*rebinder{first, second} {
		if len(r.rebound) != 1 || r.rebound[0] != next {
			t.Fatalf("%s rebound onto %v, want once onto the new transport", r.name, r.rebound)
		}
	}
	if len(order) != 2 || order[0] != "first" || order[1] != "second" {
		t.Fatalf("rebound in the order %v, want [first second]", order)
	}
	if plain.closed.Load() || first.closed.Load() || second.closed.Load() {
		t.Fatal("Rebind closed an agent")
	}
	cycles := plain.cycles.Load()
	p.DoWork()
	if plain.cycles.Load() == cycles {
		t.Fatal("the agents stopped running after Rebind")
	}
}

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

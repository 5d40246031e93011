package agent

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/clock"
)

type countingAgent struct {
	cycles   atomic.Int64
	closed   atomic.Int32
	lastNow  atomic.Int64
	clockErr atomic.Bool
	work     int
}

func (a *countingAgent) DoWork(now clock.Mono) int {
	if int64(now) < a.lastNow.Load() {
		a.clockErr.Store(true)
	}
	a.lastNow.Store(int64(now))
	a.cycles.Add(1)
	return a.work
}
func (a *countingAgent) OnClose()         { a.closed.Add(1) }
func (a *countingAgent) RoleName() string { return "counting" }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRunnerRunsAndClosesOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		idle IdleStrategy
		lock bool
	}{
		{"backoff", NewBackoff(), false},
		{"sleeping", Sleeping{Period: 100 * time.Microsecond}, true},
		{"yielding", Yielding{}, false},
		{"busyspin", BusySpin{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &countingAgent{}
			var cached CachedClock
			r := NewRunner(a, RunnerConfig{Idle: tc.idle, LockOSThread: tc.lock, Cached: &cached})
			if err := r.Start(); err != nil {
				t.Fatal(err)
			}
			if err := r.Start(); !errors.Is(err, ErrAlreadyStarted) {
				t.Fatalf("second Start: got %v, want ErrAlreadyStarted", err)
			}
			waitFor(t, "100 duty cycles", func() bool { return a.cycles.Load() >= 100 })
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if got := a.closed.Load(); got != 1 {
				t.Fatalf("OnClose ran %d times, want 1", got)
			}
			if a.clockErr.Load() {
				t.Fatal("clock went backwards between duty cycles")
			}
			if int64(cached.Now()) != a.lastNow.Load() {
				t.Fatalf("cached clock %d, last DoWork time %d", cached.Now(), a.lastNow.Load())
			}
			if since := clock.Since(clock.Mono(a.lastNow.Load())); since < 0 || since > time.Minute {
				t.Fatalf("the runner's clock is not clock.Now: last DoWork %v ago", since)
			}
		})
	}
}

func TestRunnerCloseWithoutStartRunsOnClose(t *testing.T) {
	a := &countingAgent{}
	r := NewRunner(a, RunnerConfig{})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if a.closed.Load() != 1 || a.cycles.Load() != 0 {
		t.Fatalf("closed=%d cycles=%d, want 1 and 0", a.closed.Load(), a.cycles.Load())
	}
	select {
	case <-r.Done():
	default:
		t.Fatal("Done not closed")
	}
}

type blockingAgent struct {
	release chan struct{}
	entered chan struct{}
}

func (a *blockingAgent) DoWork(clock.Mono) int {
	select {
	case a.entered <- struct{}{}:
	default:
	}
	<-a.release
	return 0
}
func (a *blockingAgent) OnClose()         {}
func (a *blockingAgent) RoleName() string { return "blocking" }

func TestRunnerCloseTimesOut(t *testing.T) {
	a := &blockingAgent{release: make(chan struct{}), entered: make(chan struct{}, 1)}
	r := NewRunner(a, RunnerConfig{CloseTimeout: 20 * time.Millisecond})
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	<-a.entered
	if err := r.Close(); !errors.Is(err, ErrCloseTimeout) {
		t.Fatalf("got %v, want ErrCloseTimeout", err)
	}
	close(a.release)
	select {
	case <-r.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("runner did not stop after DoWork returned")
	}
}

func TestInvokerDrivesDutyCycle(t *testing.T) {
	a := &countingAgent{work: 3}
	var now clock.Mono = 100
	var cached CachedClock
	inv := NewInvoker(a, func() clock.Mono { now += 10; return now }, &cached)
	if got := inv.Invoke(); got != 3 {
		t.Fatalf("Invoke = %d, want 3", got)
	}
	if a.lastNow.Load() != 110 || cached.Now() != 110 {
		t.Fatalf("agent saw %d, cache %d, want 110", a.lastNow.Load(), cached.Now())
	}
	inv.Invoke()
	if a.lastNow.Load() != 120 {
		t.Fatalf("clock read more than once per cycle: %d", a.lastNow.Load())
	}
	inv.Close()
	inv.Close()
	if !inv.IsClosed() || a.closed.Load() != 1 {
		t.Fatalf("closed=%v OnClose=%d", inv.IsClosed(), a.closed.Load())
	}
	if got := inv.Invoke(); got != 0 || a.cycles.Load() != 2 {
		t.Fatalf("Invoke after Close ran the agent: work=%d cycles=%d", got, a.cycles.Load())
	}
}

func TestInvokerDefaultsToClockNow(t *testing.T) {
	a := &countingAgent{}
	before := clock.Now()
	NewInvoker(a, nil, nil).Invoke()
	if seen := clock.Mono(a.lastNow.Load()); seen < before || seen > clock.Now() {
		t.Fatalf("agent saw %d, not a clock.Now reading after %d", seen, before)
	}
}

func TestCompositeSharesOneClockReadPerCycle(t *testing.T) {
	first, second := &countingAgent{work: 2}, &countingAgent{work: 3}
	c := NewComposite(first, nil, second)
	if c.RoleName() != "[counting,counting]" {
		t.Fatalf("RoleName %q", c.RoleName())
	}
	reads := 0
	inv := NewInvoker(c, func() clock.Mono { reads++; return clock.Mono(1000 * reads) }, nil)
	if got := inv.Invoke(); got != 5 {
		t.Fatalf("work %d, want the sum 5", got)
	}
	inv.Invoke()
	if reads != 2 || first.lastNow.Load() != 2000 || second.lastNow.Load() != 2000 {
		t.Fatalf("%d clock reads for 2 cycles; agents saw %d and %d, want 2000", reads, first.lastNow.Load(), second.lastNow.Load())
	}
	inv.Close()
	if first.closed.Load() != 1 || second.closed.Load() != 1 {
		t.Fatalf("OnClose ran %d and %d times, want once each", first.closed.Load(), second.closed.Load())
	}
}

func TestBackoffSequence(t *testing.T) {
	b := &Backoff{MaxSpins: 2, MaxYields: 2, MinPark: time.Microsecond, MaxPark: 8 * time.Microsecond}
	for i := 0; i < 4; i++ { // 2 spins + 2 yields
		b.Idle(0)
	}
	if b.park != 0 {
		t.Fatalf("parked before spins and yields were used up: %v", b.park)
	}
	want := []time.Duration{2, 4, 8, 8}
	for i, w := range want {
		b.Idle(0)
		if b.park != w*time.Microsecond {
			t.Fatalf("park %d: next period %v, want %v", i, b.park, w*time.Microsecond)
		}
	}
	b.Idle(1)
	if b.spins != 0 || b.yields != 0 || b.park != 0 {
		t.Fatalf("work did not reset backoff: %+v", b)
	}
}

func TestSleepingSleepsOnlyWhenIdle(t *testing.T) {
	start := time.Now()
	Sleeping{Period: time.Second}.Idle(1)
	if time.Since(start) > 500*time.Millisecond {
		t.Fatal("slept although there was work")
	}
	start = time.Now()
	Sleeping{Period: 20 * time.Millisecond}.Idle(0)
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("did not sleep when idle")
	}
}

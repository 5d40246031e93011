package consumer

import (
	"errors"
	"os"
	"testing"

	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/wire"
)

// Streams of the agent tests' in-memory driver.
var (
	controlEP = controlplane.Endpoint{Channel: "aeron:ipc", StreamID: 2001}
	sharedEP  = controlplane.Endpoint{Channel: "aeron:ipc", StreamID: 2002}
)

// agentRig is a process in invoker mode over an in-memory transport, on a fake clock: the
// test runs each duty cycle.
type agentRig struct {
	t      *testing.T
	client *mem.Client
	proc   *process.Process
	clock  *fakeClock
}

func newAgentRig(t *testing.T) *agentRig {
	t.Helper()
	client := mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{UseInvoker: true})
	clock := &fakeClock{now: rigNow}
	proc := process.New(client, process.Config{Clock: clock.Now})
	t.Cleanup(func() {
		proc.Close()
		client.Close()
	})
	return &agentRig{t: t, client: client, proc: proc, clock: clock}
}

// cycles runs n duty cycles.
func (r *agentRig) cycles(n int) {
	for range n {
		r.proc.DoWork()
	}
}

// publication adds a publication of the transport, running duty cycles until it is in place.
func (r *agentRig) publication(ep controlplane.Endpoint) transport.Publication {
	r.t.Helper()
	return awaitAdd(r, r.client.AddPublication(ep.Channel, ep.StreamID))
}

// subscription adds a subscription of the transport.
func (r *agentRig) subscription(ep controlplane.Endpoint) transport.Subscription {
	r.t.Helper()
	return awaitAdd(r, r.client.AddSubscription(ep.Channel, ep.StreamID))
}

func awaitAdd[T any](r *agentRig, p transport.Pending[T]) T {
	r.t.Helper()
	for range 100 {
		r.proc.DoWork()
		v, err := p.Poll()
		if errors.Is(err, transport.ErrPending) {
			continue
		}
		if err != nil {
			r.t.Fatal(err)
		}
		return v
	}
	r.t.Fatal("add not answered")
	panic("unreachable")
}

// start runs cycles until a, hosted on the process, is started.
func (r *agentRig) start(a *Agent) {
	r.t.Helper()
	for range 100 {
		r.proc.DoWork()
		var ready bool
		var err error
		done := make(chan struct{})
		r.proc.Do(func() { ready, err = a.Started(); close(done) })
		r.proc.DoWork()
		<-done
		if err != nil {
			r.t.Fatal(err)
		}
		if ready {
			return
		}
	}
	r.t.Fatal("agent not started")
}

// remove stops polling and removes a from the process.
func (r *agentRig) remove(a *Agent) {
	a.StopPolling()
	done, err := r.proc.Remove(a)
	if err != nil {
		r.t.Fatal(err)
	}
	r.proc.DoWork()
	<-done
}

// TestAgentDutyCycle runs a standalone consumer agent on a process: the announce on the
// control stream maps the regions, frames on the descriptor stream reach the handler
// through Poll, and a producer that stops refreshing its activity timestamp is reported
// and unmapped.
func TestAgentDutyCycle(t *testing.T) {
	base := t.TempDir()
	regions := standalone(t, base, 3)
	r := newAgentRig(t)
	control, descriptors := r.publication(controlEP), r.publication(sharedEP)
	p, err := producer.New(regions, producer.Config{Descriptors: descriptors, Announce: control, Clock: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var frames int
	a, err := NewAgent(AgentConfig{Consumer: Config{StreamID: 7, ConsumerID: 9, AllowedBaseDirs: []string{base}, Clock: r.clock.Now},
		Control: controlEP, Descriptors: sharedEP}, func(*Frame) { frames++ })
	if err != nil {
		t.Fatal(err)
	}
	a.c.SetJoinTime(0)
	if err := r.proc.Add(a); err != nil {
		t.Fatal(err)
	}
	r.cycles(3) // routes and subscriptions in place
	p.DoWork(r.clock.now)
	r.start(a)
	if st := a.Status(); !st.Mapped || st.Epoch != 3 {
		t.Fatalf("not mapped after the announce: %+v", st)
	}
	for range 5 {
		if res := p.Offer(make([]byte, 100), vector(100)); res != producer.OK {
			t.Fatal(res)
		}
	}
	if n := a.Poll(10); n != 5 || frames != 5 {
		t.Fatalf("Poll read %d descriptors, %d frames handled", n, frames)
	}
	r.clock.now += a.c.cfg.FreshnessNs + 1 // the producer went silent
	r.cycles(1)
	if st := a.Status(); st.Mapped || !errors.Is(a.Err(), ErrStaleActivity) {
		t.Fatalf("status %+v after the producer went silent", st)
	}
	r.remove(a)
}

// TestWireSpec_15_14_AgentErrReportsAReaderFaultAtOnce: from the moment the Reader gives
// a truncated mapping up, Err reports the fault, whatever the control side's duty cycle is
// doing (its entry points see the fault first, to unmap; Err must not lose sight of it
// until the cycle's end publishes it), and reports it once.
func TestWireSpec_15_14_AgentErrReportsAReaderFaultAtOnce(t *testing.T) {
	base := t.TempDir()
	regions := standalone(t, base, 3)
	r := newAgentRig(t)
	control, descriptors := r.publication(controlEP), r.publication(sharedEP)
	p, err := producer.New(regions, producer.Config{Descriptors: descriptors, Announce: control, Clock: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var sum byte
	a, err := NewAgent(AgentConfig{Consumer: Config{StreamID: 7, ConsumerID: 9, AllowedBaseDirs: []string{base}, Clock: r.clock.Now},
		Control: controlEP, Descriptors: sharedEP}, func(f *Frame) { sum += f.Payload[0] })
	if err != nil {
		t.Fatal(err)
	}
	a.c.SetJoinTime(0)
	if err := r.proc.Add(a); err != nil {
		t.Fatal(err)
	}
	r.cycles(3)
	p.DoWork(r.clock.now)
	r.start(a)
	for range 3 {
		if res := p.Offer(make([]byte, 100), vector(100)); res != producer.OK {
			t.Fatal(res)
		}
	}
	// The producer must not touch the pool again: it would fault outside any guard.
	if err := os.Truncate(shm.PayloadPoolPath(regions.EpochDir(), 1), 0); err != nil {
		t.Fatal(err)
	}
	a.Poll(10)
	if got := a.rd.snapshot().Drops[DropRegionTruncated]; got != 1 {
		t.Fatalf("%d truncation drops, want 1", got)
	}
	a.c.sync() // what every control-side entry point does first
	if !a.ErrPending() {
		t.Fatal("ErrPending false after the fault")
	}
	if err := a.Err(); !errors.Is(err, ErrRegionTruncated) {
		t.Fatalf("Err = %v right after the fault, want ErrRegionTruncated", err)
	}
	r.cycles(2)
	if err := a.Err(); err != nil || a.ErrPending() {
		t.Fatalf("Err = %v (pending %v) after it reported the fault", err, a.ErrPending())
	}
	if st := a.Status(); st.Mapped {
		t.Fatalf("still mapped after the fault: %+v", st)
	}
	r.remove(a)
}

// TestWireSpec_10_1_3_AgentFollowsAssignment runs hello → ConsumerConfig → per-consumer
// descriptor stream with a max_rate_hz cap, between a producer and a consumer agent. The
// per-consumer subscription is added without waiting, and the shared one is closed once
// the Reader moved off it.
func TestWireSpec_10_1_3_AgentFollowsAssignment(t *testing.T) {
	base := t.TempDir()
	regions := standalone(t, base, 3)
	r := newAgentRig(t)
	control, shared := r.publication(controlEP), r.publication(sharedEP)
	hellos, unread := r.subscription(controlEP), r.subscription(sharedEP)
	perConsumer := map[int32]transport.Publication{}
	table, err := producer.NewConsumers(7, 5_000_000_000, func(channel string, id int32) transport.Pending[transport.Publication] {
		perConsumer[id] = r.publication(controlplane.Endpoint{Channel: channel, StreamID: id})
		return transport.Ready(perConsumer[id], nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := producer.New(regions, producer.Config{Descriptors: shared, Announce: control, Control: control, Consumers: table, Clock: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var frames int
	a, err := NewAgent(AgentConfig{Consumer: Config{StreamID: 7, ConsumerID: 5, AllowedBaseDirs: []string{base}, Clock: r.clock.Now,
		Mode: wire.ModeRateLimited, MaxRateHz: 100, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1105},
		Control: controlEP, Descriptors: sharedEP}, func(*Frame) { frames++ })
	if err != nil {
		t.Fatal(err)
	}
	a.c.SetJoinTime(0)
	if err := r.proc.Add(a); err != nil {
		t.Fatal(err)
	}
	r.cycles(3)
	p.DoWork(r.clock.now) // announce
	r.start(a)            // map, hello
	hellos.Poll(func(buf []byte, _ *transport.Header) {
		if h, _ := wire.PeekHeader(buf); h.ID() != wire.ConsumerHelloID {
			return
		}
		if err := p.HandleControl(buf); err != nil {
			t.Fatal(err)
		}
	}, 10)
	r.cycles(5) // ConsumerConfig, the per-consumer subscription added
	if st := a.Status(); st.DescriptorStreamID != 1105 || perConsumer[1105] == nil {
		t.Fatalf("status %+v, err %v", st, a.Err())
	}
	a.Poll(10) // moves to the per-consumer stream; the shared one is released after
	r.cycles(2)
	for range 20 { // 1 kHz against the 100 Hz cap
		r.clock.now += 1_000_000
		if res := p.Offer(make([]byte, 100), vector(100)); res != producer.OK {
			t.Fatal(res)
		}
		a.Poll(10)
	}
	if frames != 2 || p.Counters().PerConsumerRateLimited != 18 {
		t.Fatalf("%d frames on the per-consumer stream, counters %+v", frames, p.Counters())
	}
	var n int
	unread.Poll(func([]byte, *transport.Header) { n++ }, 100)
	if n != 20 || a.Status().Counters.Drops[DropEpochMismatch] != 0 {
		t.Fatalf("%d descriptors on the shared stream, want 20 unread by the consumer", n)
	}
	if shared.IsConnected() != true {
		t.Fatal("the test's own subscription to the shared stream is gone")
	}
	r.remove(a)
	r.cycles(2)
	if perConsumer[1105].IsConnected() {
		t.Fatal("per-consumer subscription left open")
	}
}

// TestAgentNeverWaitsForAnAdd: a ConsumerConfig assigning a per-consumer descriptor
// stream makes the agent add a subscription; while the media driver answers no add, the
// duty cycle carries on and Poll keeps reading the shared stream; once the add is
// answered the Reader moves, and the shared subscription goes after it moved.
func TestAgentNeverWaitsForAnAdd(t *testing.T) {
	base := t.TempDir()
	regions := standalone(t, base, 3)
	r := newAgentRig(t)
	control, shared := r.publication(controlEP), r.publication(sharedEP)
	p, err := producer.New(regions, producer.Config{Descriptors: shared, Announce: control, Clock: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var frames int
	a, err := NewAgent(AgentConfig{Consumer: Config{StreamID: 7, ConsumerID: 5, AllowedBaseDirs: []string{base}, Clock: r.clock.Now},
		Control: controlEP, Descriptors: sharedEP}, func(*Frame) { frames++ })
	if err != nil {
		t.Fatal(err)
	}
	a.c.SetJoinTime(0)
	if err := r.proc.Add(a); err != nil {
		t.Fatal(err)
	}
	r.cycles(3)
	p.DoWork(r.clock.now)
	r.start(a)
	r.client.HoldAdds(true)
	assign := encoded(&wire.ConsumerConfig{StreamID: 7, ConsumerID: 5, UseShm: true, Mode: wire.ModeStream, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1105})
	if res := control.Offer(assign); res < 0 {
		t.Fatal(transport.ResultName(res))
	}
	r.cycles(20)
	for i := range 5 {
		if res := p.Offer(make([]byte, 100), vector(100)); res != producer.OK {
			t.Fatal(res)
		}
		if n := a.Poll(10); n != 1 || frames != i+1 {
			t.Fatalf("Poll read %d descriptors, %d frames, with the per-consumer stream's add pending", n, frames)
		}
		r.cycles(1)
	}
	if st := a.Status(); st.Counters.Configs != 1 || st.DescriptorStreamID != 0 || !a.IsConnected() {
		t.Fatalf("status %+v with the add pending", st)
	}
	r.client.HoldAdds(false)
	r.cycles(3)
	if st := a.Status(); st.DescriptorStreamID != 1105 {
		t.Fatalf("status %+v once the add was answered", st)
	}
	a.Poll(10) // the Reader moves; the shared subscription is released on the next cycle
	r.cycles(2)
	if shared.IsConnected() {
		t.Fatal("the shared descriptor subscription is still open")
	}
	r.remove(a)
}

package consumer

import (
	"errors"
	"testing"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/wire"
)

// TestAgentDutyCycle drives a consumer agent with an invoker: the announce on the control
// stream maps the regions, frames on the descriptor stream reach the handler, and a
// producer that stops refreshing its activity timestamp is reported and unmapped.
func TestAgentDutyCycle(t *testing.T) {
	base := t.TempDir()
	r := standalone(t, base, 3)
	control, descriptors := newPipe(t), newPipe(t)
	clock := &fakeClock{now: rigNow}
	p, err := producer.New(r, producer.Config{Descriptors: descriptors, Announce: control, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var frames int
	c, err := New(Config{StreamID: 7, AllowedBaseDirs: []string{base}, Clock: clock.Now}, func(*Frame) { frames++ })
	if err != nil {
		t.Fatal(err)
	}
	c.SetJoinTime(0)
	var errs []error
	inv := agent.NewInvoker(&Agent{Consumer: c, Control: control, Descriptors: descriptors, OnError: func(err error) { errs = append(errs, err) }}, clock.Now, nil)
	defer inv.Close()

	p.DoWork(clock.now) // announce
	inv.Invoke()
	if _, ok := c.Mapped(); !ok {
		t.Fatalf("not mapped after the announce: %v", errs)
	}
	for range 5 {
		if res := p.Offer(make([]byte, 100), vector(100)); res != producer.OK {
			t.Fatal(res)
		}
	}
	inv.Invoke()
	if frames != 5 {
		t.Fatalf("%d frames handled", frames)
	}
	clock.now += c.cfg.FreshnessNs + 1 // the producer went silent
	inv.Invoke()
	if _, ok := c.Mapped(); ok || len(errs) != 1 || !errors.Is(errs[0], ErrStaleActivity) {
		t.Fatalf("mapped %v errors %v", ok, errs)
	}
}

type closablePipe struct {
	*mem.Pipe
	closed bool
}

func (p *closablePipe) Close() error { p.closed = true; return nil }

// TestWireSpec_10_1_3_AgentFollowsAssignment runs hello → ConsumerConfig → per-consumer
// descriptor stream with a max_rate_hz cap, between a producer and a consumer agent.
func TestWireSpec_10_1_3_AgentFollowsAssignment(t *testing.T) {
	base := t.TempDir()
	r := standalone(t, base, 3)
	pipe := func() *closablePipe {
		p := newPipe(t)
		return &closablePipe{Pipe: p}
	}
	toConsumer, toProducer, shared := pipe(), pipe(), pipe()
	perConsumer := map[int32]*closablePipe{}
	table, err := producer.NewConsumers(7, 5_000_000_000, func(_ string, id int32) transport.Pending[transport.Publication] {
		perConsumer[id] = pipe()
		return transport.Ready[transport.Publication](perConsumer[id], nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: rigNow}
	p, err := producer.New(r, producer.Config{Descriptors: shared, Announce: toConsumer, Control: toConsumer, Consumers: table, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var frames int
	c, err := New(Config{StreamID: 7, ConsumerID: 5, AllowedBaseDirs: []string{base}, Clock: clock.Now,
		Mode: wire.ModeRateLimited, MaxRateHz: 100, Hellos: toProducer,
		DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1105}, func(*Frame) { frames++ })
	if err != nil {
		t.Fatal(err)
	}
	c.SetJoinTime(0)
	var errs []error
	a := &Agent{Consumer: c, Control: toConsumer, Descriptors: shared, OnError: func(err error) { errs = append(errs, err) },
		Subscribe: func(_ string, id int32) (transport.Subscription, error) {
			if perConsumer[id] == nil {
				return nil, errors.New("no such stream")
			}
			return perConsumer[id], nil
		}}
	inv := agent.NewInvoker(a, clock.Now, nil)
	defer inv.Close()

	p.DoWork(clock.now) // announce
	inv.Invoke()        // map, hello
	toProducer.Poll(func(buf []byte, _ *transport.Header) {
		if err := p.HandleControl(buf); err != nil {
			t.Fatal(err)
		}
	}, 10)
	inv.Invoke() // ConsumerConfig, follow
	if as := c.Assigned(); as.DescriptorStreamID != 1105 || a.assigned.sub == nil || len(errs) != 0 {
		t.Fatalf("assignment %+v, errors %v", as, errs)
	}
	for range 20 { // 1 kHz against the 100 Hz cap
		clock.now += 1_000_000
		if res := p.Offer(make([]byte, 100), vector(100)); res != producer.OK {
			t.Fatal(res)
		}
		inv.Invoke()
	}
	if frames != 2 || p.Counters().PerConsumerRateLimited != 18 {
		t.Fatalf("%d frames on the per-consumer stream, counters %+v", frames, p.Counters())
	}
	var unread int
	shared.Poll(func([]byte, *transport.Header) { unread++ }, 100)
	if unread != 20 {
		t.Fatalf("the consumer read %d descriptors from the shared stream", 20-unread)
	}
	inv.Close()
	if !perConsumer[1105].closed {
		t.Fatal("per-consumer subscription left open")
	}
}

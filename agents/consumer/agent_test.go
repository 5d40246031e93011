package consumer

import (
	"errors"
	"testing"

	"github.com/tensorpool/tensorpool/aeron/agent"
	"github.com/tensorpool/tensorpool/agents/internal/tptest"
	"github.com/tensorpool/tensorpool/agents/producer"
)

// TestAgentDutyCycle drives a consumer agent with an invoker: the announce on the control
// stream maps the regions, frames on the descriptor stream reach the handler, and a
// producer that stops refreshing its activity timestamp is reported and unmapped.
func TestAgentDutyCycle(t *testing.T) {
	base := t.TempDir()
	r := standalone(t, base, 3)
	pipe := func() *tptest.LogPipe {
		p, err := tptest.NewLogPipe(64 << 10)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	control, descriptors := pipe(), pipe()
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

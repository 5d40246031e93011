package producer

import (
	"testing"
)

// TestPublishAllocatesNothing holds the data path to zero allocations per frame: Offer,
// Claim/Progress/Commit with progress messages on, and the timers.
func TestPublishAllocatesNothing(t *testing.T) {
	clock := &fakeClock{now: 1}
	control := newPipe(t)
	qos := newPipe(t)
	p, _, pipe := newTestProducer(t, testLayout(), Config{Clock: clock.Now, Control: control, Qos: qos, QosIntervalNs: 10, ActivityIntervalNs: 10})
	payload := make([]byte, 3000)
	tensor := vector(len(payload))
	// Progress on throughout: turning it on or off is a control-path change (a new Targets
	// for the frame path), not a frame's.
	p.ctl.SetProgress(true, ProgressPolicy{IntervalNs: 1, BytesDelta: 1})
	var i int
	frame := func() {
		i++
		clock.now += 1000
		if i%2 == 0 {
			if res := p.Offer(payload, tensor); res != OK {
				t.Fatal(res)
			}
		} else {
			c, res := p.Claim(len(payload))
			if res != OK {
				t.Fatal(res)
			}
			p.Progress(c, 100)
			clock.now += 10
			p.Progress(c, 2000)
			if res := p.Commit(c, tensor); res != OK {
				t.Fatal(res)
			}
		}
		p.DoWork(clock.now)
		if i%32 == 0 {
			pipe.Drain()
			control.Drain()
			qos.Drain()
		}
	}
	if allocs := testing.AllocsPerRun(5000, frame); allocs != 0 {
		t.Fatalf("%v allocations per frame", allocs)
	}
	if p.Counters().Frames < 5000 {
		t.Fatalf("only %d frames published", p.Counters().Frames)
	}
}

//go:build !race

package producer

import (
	"testing"

	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// TestPublishAllocatesNothing holds the data path to zero allocations per frame: Offer,
// Claim/Progress/Commit with progress messages on, and the timers, in both wire versions
// (v1.2 with a trace id and a capture time on every claimed frame).
func TestPublishAllocatesNothing(t *testing.T) {
	for _, version := range []wire.Version{wire.V1_1, wire.V1_2} {
		t.Run(version.String(), func(t *testing.T) { publishAllocatesNothing(t, version) })
	}
}

func publishAllocatesNothing(t *testing.T, version wire.Version) {
	clock := &fakeClock{now: 1}
	control := newPipe(t)
	qos := newPipe(t)
	p, _, pipe := newTestProducer(t, testLayout(), Config{Clock: clock.Now, Control: control, Qos: qos, QosIntervalNs: 10, ActivityIntervalNs: 10, WireVersion: version})
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
			c.SetTraceID(uint64(i))
			c.SetCaptureTimeNs(uint64(clock.now))
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

func TestRateLimitedDescribeAllocatesNothing(t *testing.T) {
	c, p := newTable(t)
	h := wire.ConsumerHello{StreamID: 7, ConsumerID: 1, Mode: wire.ModeRateLimited, MaxRateHz: 1000, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1101}
	c.HandleHello(&h, 0)
	f := &frameSide{c: c}
	f.sync()
	pipe := p.opened[1101].Pipe
	d := wire.FrameDescriptor{StreamID: 7}
	buf := make([]byte, wire.FrameDescriptorLength)
	var now int64
	allocs := testing.AllocsPerRun(5000, func() {
		now += 100_000
		d.Seq++
		d.Encode(buf)
		f.ft.describe(buf, now, &f.counters)
		if d.Seq%64 == 0 {
			pipe.Poll(func([]byte, *transport.Header) {}, 100)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per frame", allocs)
	}
	if k := f.counters; k.RateLimited == 0 || k.Described == 0 || k.SendFailed != 0 {
		t.Fatalf("counters %+v", k)
	}
}

// TestRateLimitedPublishAllocatesNothing: Offer with a rate-capped per-consumer stream.
func TestRateLimitedPublishAllocatesNothing(t *testing.T) {
	clock := &fakeClock{now: 1}
	table, pubs := newTable(t)
	p, _, shared := newTestProducer(t, testLayout(), Config{Clock: clock.Now, Consumers: table})
	h := wire.ConsumerHello{StreamID: 7, ConsumerID: 1, Mode: wire.ModeRateLimited, MaxRateHz: 1000, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1101}
	if _, _, err := table.HandleHello(&h, 0); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 256)
	tensor := vector(len(payload))
	var i int
	allocs := testing.AllocsPerRun(5000, func() {
		i++
		clock.now += 300_000
		if r := p.Offer(payload, tensor); r != OK {
			t.Fatal(r)
		}
		p.DoWork(clock.now)
		if i%32 == 0 {
			shared.Drain()
			pubs.opened[1101].Drain()
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per frame", allocs)
	}
	if k := p.Counters(); k.PerConsumerRateLimited == 0 || k.PerConsumerDescriptors == 0 || k.PerConsumerSendFailed != 0 {
		t.Fatalf("counters %+v", k)
	}
}

// TestProgressToConsumersAllocatesNothing: progress on the shared and per-consumer
// control streams costs no allocation per frame.
func TestProgressToConsumersAllocatesNothing(t *testing.T) {
	table, pubs := newTable(t)
	clock := &fakeClock{now: 1}
	ctrl := newPipe(t)
	p, _, descs := newTestProducer(t, testLayout(), Config{Clock: clock.Now, Control: ctrl, Consumers: table})
	for id := uint32(1); id <= 2; id++ {
		h := wire.ConsumerHello{StreamID: 7, ConsumerID: id, Mode: wire.ModeStream, SupportsProgress: true, ProgressIntervalUs: 1, ProgressBytesDelta: 1}
		if id == 1 {
			h.ControlChannel, h.ControlStreamID = "aeron:ipc", 1201
		}
		if err := p.HandleControl(encodeHelloForTest(&h)); err != nil {
			t.Fatal(err)
		}
	}
	perConsumer := pubs.opened[1201].Pipe
	tensor := vector(10000)
	var i int
	allocs := testing.AllocsPerRun(2000, func() {
		i++
		clock.now += 1_000_000
		c, r := p.Claim(10000)
		if r != OK {
			t.Fatal(r)
		}
		clock.now += 1_000_000
		p.Progress(c, 5000) // above the floor's 4 KiB delta
		if r := p.Commit(c, tensor); r != OK {
			t.Fatal(r)
		}
		if i%16 == 0 {
			ctrl.Drain()
			descs.Drain()
			perConsumer.Drain()
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per frame", allocs)
	}
	if k := p.Counters(); k.PerConsumerProgress < 3*2000 || k.ProgressSent < 3*2000 {
		t.Fatalf("progress sent: %+v", k)
	}
}

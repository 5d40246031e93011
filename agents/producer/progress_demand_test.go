package producer

import (
	"testing"

	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// TestWireSpec_10_2_2_ProgressFollowsLiveConsumers walks a producer through hellos,
// QoS and expiry: progress is on only while a live consumer supports it, with the
// smallest hints above the producer's floor (§10.1.2, §10.2.2).
func TestWireSpec_10_2_2_ProgressFollowsLiveConsumers(t *testing.T) {
	const second = 1_000_000_000
	floor := ProgressPolicy{IntervalNs: 100_000, BytesDelta: 4096}
	type step struct {
		name     string
		now      int64
		hello    *wire.ConsumerHello // sent at now
		qos      uint32              // consumer id whose QosConsumer arrives at now (0: none)
		on       bool
		want     ProgressPolicy
		expected int // live consumers after the step
	}
	hello := func(id uint32, progress bool, interval, bytes uint32) *wire.ConsumerHello {
		return &wire.ConsumerHello{StreamID: 7, ConsumerID: id, SupportsShm: true, SupportsProgress: progress, Mode: wire.ModeStream,
			ProgressIntervalUs: interval, ProgressBytesDelta: bytes}
	}
	steps := []step{
		{name: "no consumers", now: 0, want: DefaultProgressPolicy},
		{name: "consumer without progress", now: 1, hello: hello(1, false, 10, 1), want: DefaultProgressPolicy, expected: 1},
		{name: "progress without hints: defaults", now: 2, hello: hello(2, true, 0, 0), on: true, want: DefaultProgressPolicy, expected: 2},
		{name: "finer hints", now: 3, hello: hello(3, true, 150, 8192), on: true, want: ProgressPolicy{IntervalNs: 150_000, BytesDelta: 8192}, expected: 3},
		{name: "hints below the floor", now: 4, hello: hello(4, true, 10, 1), on: true, want: floor, expected: 4},
		{name: "hint withdrawn by a later hello", now: 5, hello: hello(4, false, 0, 0), on: true, want: ProgressPolicy{IntervalNs: 150_000, BytesDelta: 8192}, expected: 4},
		{name: "consumer 3 kept alive by QoS", now: 4 * second, qos: 3, on: true, want: ProgressPolicy{IntervalNs: 150_000, BytesDelta: 8192}, expected: 4},
		{name: "1, 2 and 4 stale", now: 5*second + 10, on: true, want: ProgressPolicy{IntervalNs: 150_000, BytesDelta: 8192}, expected: 1},
		{name: "last progress consumer stale: off", now: 9*second + 10, want: DefaultProgressPolicy},
		{name: "a new consumer turns it back on", now: 10 * second, hello: hello(5, true, 0, 32768), on: true, want: ProgressPolicy{IntervalNs: 250_000, BytesDelta: 32768}, expected: 1},
	}
	clock := &fakeClock{}
	table, err := NewConsumers(7, 5*second, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctrl := newPipe(t)
	p, _, _ := newTestProducer(t, testLayout(), Config{Clock: clock.Now, Control: ctrl, Consumers: table, ProgressFloor: floor})
	for _, s := range steps {
		clock.now = s.now
		if s.hello != nil {
			if err := p.HandleControl(encodeHelloForTest(s.hello)); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		if s.qos != 0 {
			if err := p.HandleControl(encodeQosConsumerForTest(7, s.qos)); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		p.DoWork(s.now)
		ctrl.Drain()
		policy, on := p.ProgressPolicy()
		if on != s.on || (on && policy != s.want) || table.Len() != s.expected {
			t.Fatalf("%s: on %v policy %+v with %d consumers, want %v %+v with %d", s.name, on, policy, table.Len(), s.on, s.want, s.expected)
		}
		if d := table.ProgressDemand(DefaultProgressPolicy, floor); d.Policy != s.want || (d.Consumers > 0) != s.on {
			t.Fatalf("%s: demand %+v", s.name, d)
		}
	}
}

// progressOn reads the FrameProgress messages of a pipe, skipping other messages.
func progressOn(t *testing.T, msgs [][]byte) []wire.FrameProgress {
	t.Helper()
	var out []wire.FrameProgress
	for _, m := range msgs {
		if h, err := wire.PeekHeader(m); err == nil && h.ID() == wire.FrameProgressID {
			out = append(out, decodeProgress(t, m))
		}
	}
	return out
}

// TestWireSpec_5_ProgressOnPerConsumerControlStreams: a consumer assigned a per-consumer
// control stream reads FrameProgress there; the shared control stream carries it only
// while some progress consumer has no stream of its own, and a per-consumer control
// stream carries nothing but FrameProgress.
func TestWireSpec_5_ProgressOnPerConsumerControlStreams(t *testing.T) {
	table, pubs := newTable(t)
	clock := &fakeClock{now: 1}
	ctrl := newPipe(t)
	p, _, _ := newTestProducer(t, testLayout(), Config{Clock: clock.Now, Control: ctrl, Consumers: table})
	frame := func() { // as large as the default bytes delta: smaller frames carry no progress
		if r := p.Offer(make([]byte, 64<<10), vector(64<<10)); r != OK {
			t.Fatal(r)
		}
	}
	send := func(h *wire.ConsumerHello) {
		if err := p.HandleControl(encodeHelloForTest(h)); err != nil {
			t.Fatal(err)
		}
	}
	send(&wire.ConsumerHello{StreamID: 7, ConsumerID: 1, Mode: wire.ModeStream, SupportsProgress: true, ControlChannel: "aeron:ipc", ControlStreamID: 1201})
	send(&wire.ConsumerHello{StreamID: 7, ConsumerID: 2, Mode: wire.ModeStream, ControlChannel: "aeron:ipc", ControlStreamID: 1202})
	ctrl.Drain() // the ConsumerConfigs
	frame()
	if got := progressOn(t, collect(pubs.opened[1201].Pipe)); len(got) != 2 || got[0].State != wire.ProgressStateStarted || got[1].State != wire.ProgressStateComplete {
		t.Fatalf("per-consumer stream of a progress consumer: %+v", got)
	}
	if n := len(collect(pubs.opened[1202].Pipe)); n != 0 {
		t.Fatalf("%d messages on the control stream of a consumer without progress", n)
	}
	if n := len(collect(ctrl)); n != 0 {
		t.Fatalf("%d messages on the shared control stream with no progress consumer reading it", n)
	}
	send(&wire.ConsumerHello{StreamID: 7, ConsumerID: 3, Mode: wire.ModeStream, SupportsProgress: true})
	ctrl.Drain()
	frame()
	if got := progressOn(t, collect(ctrl)); len(got) != 2 || got[0].FrameID != 1 {
		t.Fatalf("shared control stream: %+v", got)
	}
	for _, msg := range collect(pubs.opened[1201].Pipe) {
		if h, _ := wire.PeekHeader(msg); h.ID() != wire.FrameProgressID {
			t.Fatalf("template %d on a per-consumer control stream", h.TemplateID)
		}
	}
	if k := p.Counters(); k.PerConsumerProgress != 4 || k.PerConsumerSendFailed != 0 {
		t.Fatalf("counters %+v", k)
	}
}

// TestWireSpec_10_2_2_RetriedFrameNotReannounced: a claim whose progress went out and
// that is given up reuses its sequence number; the retry must not report bytes below
// those already reported for that frame_id, so it goes unannounced.
func TestWireSpec_10_2_2_RetriedFrameNotReannounced(t *testing.T) {
	for _, giveUp := range []string{"abort", "descriptor refused"} {
		t.Run(giveUp, func(t *testing.T) {
			clock := &fakeClock{now: 1}
			ctrl := newPipe(t)
			desc := &refusing{Publication: newPipe(t), code: transport.BackPressured, pass: 1 << 30}
			p, _, _ := newTestProducer(t, testLayout(), Config{Clock: clock.Now, Control: ctrl, Descriptors: desc})
			p.ctl.SetProgress(true, ProgressPolicy{IntervalNs: 1, BytesDelta: 1})
			c, _ := p.Claim(1000)
			clock.now += 10
			p.Progress(c, 600)
			if giveUp == "abort" {
				p.Abort(c)
			} else {
				desc.pass = 0
				if r := p.Commit(c, vector(1000)); r != DropBackPressured {
					t.Fatal(r)
				}
				desc.pass = 1 << 30
			}
			c, _ = p.Claim(1000) // the same frame id again
			clock.now += 10
			if r := p.Progress(c, 100); r != OK {
				t.Fatal(r)
			}
			if r := p.Commit(c, vector(1000)); r != OK {
				t.Fatal(r)
			}
			p.Offer(make([]byte, 10), vector(10)) // the next frame is announced again
			var states []wire.FrameProgressState
			var ids []uint64
			for _, m := range progressOn(t, collect(ctrl)) {
				states, ids = append(states, m.State), append(ids, m.FrameID)
			}
			wantStates := []wire.FrameProgressState{1, 2, 1, 3}
			wantIDs := []uint64{0, 0, 1, 1}
			if len(states) != len(wantStates) {
				t.Fatalf("states %v frames %v, want %v %v", states, ids, wantStates, wantIDs)
			}
			for i := range states {
				if states[i] != wantStates[i] || ids[i] != wantIDs[i] {
					t.Fatalf("states %v frames %v, want %v %v", states, ids, wantStates, wantIDs)
				}
			}
		})
	}
}

// TestWireSpec_10_2_2_ProgressWithinValuesLen: payload_bytes_filled never exceeds the
// frame's values_len_bytes, including a claim trimmed with SetLength.
func TestWireSpec_10_2_2_ProgressWithinValuesLen(t *testing.T) {
	clock := &fakeClock{now: 1}
	ctrl := newPipe(t)
	p, _, _ := newTestProducer(t, testLayout(), Config{Clock: clock.Now, Control: ctrl})
	p.ctl.SetProgress(true, ProgressPolicy{IntervalNs: 1, BytesDelta: 1})
	c, _ := p.Claim(1000)
	if r := p.Progress(c, 1001); r != ErrProgressOverrun {
		t.Fatalf("progress past the claimed length: %v", r)
	}
	p.Abort(c)
	p.Offer(make([]byte, 10), vector(10)) // the aborted frame id, retried
	ctrl.Drain()
	c, _ = p.ClaimPool(1)
	clock.now += 10
	p.Progress(c, 1000)
	c.SetLength(1200)
	if r := p.Commit(c, vector(1200)); r != OK {
		t.Fatal(r)
	}
	got := progressOn(t, collect(ctrl))
	if n := len(got); n == 0 || got[n-1].State != wire.ProgressStateComplete || got[n-1].PayloadBytesFilled != 1200 {
		t.Fatalf("progress %+v: COMPLETE must carry values_len_bytes 1200", got)
	}
	for _, m := range got {
		if m.PayloadBytesFilled > 1200 {
			t.Fatalf("payload_bytes_filled %d beyond values_len_bytes", m.PayloadBytesFilled)
		}
	}
}

// TestWireSpec_10_2_2_SmallFramesCarryNoProgress: a frame smaller than the policy's bytes
// delta can never earn a PROGRESS, so it gets no STARTED or COMPLETE either (the producer
// MAY omit FrameProgress; the FrameDescriptor is the signal); one at least that large gets
// both.
func TestWireSpec_10_2_2_SmallFramesCarryNoProgress(t *testing.T) {
	ctrl := newPipe(t)
	p, _, _ := newTestProducer(t, testLayout(), Config{Control: ctrl})
	p.ctl.SetProgress(true, ProgressPolicy{IntervalNs: 1, BytesDelta: 4096})
	for _, c := range []struct {
		size int
		want []wire.FrameProgressState
	}{
		{4095, nil},
		{4096, []wire.FrameProgressState{wire.ProgressStateStarted, wire.ProgressStateComplete}},
	} {
		if r := p.Offer(make([]byte, c.size), vector(c.size)); r != OK {
			t.Fatal(r)
		}
		var got []wire.FrameProgressState
		for _, m := range progressOn(t, collect(ctrl)) {
			got = append(got, m.State)
		}
		if len(got) != len(c.want) || (len(got) == 2 && (got[0] != c.want[0] || got[1] != c.want[1])) {
			t.Fatalf("%d-byte frame: progress %v, want %v", c.size, got, c.want)
		}
	}
}

package consumer

import (
	"testing"

	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

const (
	stUnknown  = wire.ProgressStateUnknown
	stStarted  = wire.ProgressStateStarted
	stProgress = wire.ProgressStateProgress
	stComplete = wire.ProgressStateComplete
)

func encodeProgress(p wire.FrameProgress) []byte {
	buf := make([]byte, wire.FrameProgressLength)
	p.Encode(buf)
	return buf
}

// progressFor is a valid FrameProgress of the rig's stream and epoch for frame seq.
func (r *rig) progressFor(seq, bytes uint64, state wire.FrameProgressState) wire.FrameProgress {
	return wire.FrameProgress{StreamID: r.layout.StreamID, Epoch: r.layout.Epoch, FrameID: seq,
		HeaderIndex: r.ring.HeaderIndex(seq), PayloadBytesFilled: bytes, State: state}
}

func TestWireSpec_10_2_2_ProgressRules(t *testing.T) {
	type msg struct {
		seq, bytes uint64
		state      wire.FrameProgressState
	}
	cases := []struct {
		name   string
		before []msg                           // kept first
		setup  func(r *rig)                    // runs before the message under test
		msg    msg                             // the message under test
		mutate func(*wire.FrameProgress)       // applied to it before encoding
		raw    func(r *rig, buf []byte) []byte // replaces the encoding
		want   ProgressVerdict
		latest *msg // what Progress returns afterwards (nil: nothing)
	}{
		{name: "started", msg: msg{5, 0, stStarted}, want: ProgressKept, latest: &msg{5, 0, stStarted}},
		{name: "progress without started", msg: msg{5, 4096, stProgress}, want: ProgressKept, latest: &msg{5, 4096, stProgress}},
		{name: "another stream", msg: msg{5, 0, stStarted}, mutate: func(p *wire.FrameProgress) { p.StreamID = 8 }, want: ProgressStreamMismatch},
		{name: "another epoch", msg: msg{5, 0, stStarted}, mutate: func(p *wire.FrameProgress) { p.Epoch = 4 }, want: ProgressEpochMismatch},
		{name: "header index beyond the ring", msg: msg{5, 0, stStarted}, mutate: func(p *wire.FrameProgress) { p.HeaderIndex = 8 }, want: ProgressHeaderIndex},
		{name: "header index of another slot", msg: msg{5, 0, stStarted}, mutate: func(p *wire.FrameProgress) { p.HeaderIndex = 4 }, want: ProgressHeaderIndex},
		{name: "state UNKNOWN", msg: msg{5, 0, stUnknown}, want: ProgressUnknownState},
		{name: "state outside the enum", msg: msg{5, 0, stStarted}, want: ProgressMalformed,
			raw: func(_ *rig, b []byte) []byte { b[len(b)-1] = 7; return b }},
		{name: "truncated", msg: msg{5, 0, stStarted}, want: ProgressMalformed,
			raw: func(_ *rig, b []byte) []byte { return b[:len(b)-1] }},
		{name: "bytes beyond the largest payload slot", msg: msg{5, 64<<10 + 1, stProgress}, want: ProgressOverrun},
		{name: "bytes up to the largest payload slot", msg: msg{5, 64 << 10, stProgress}, want: ProgressKept, latest: &msg{5, 64 << 10, stProgress}},
		{name: "complete beyond the committed values_len_bytes", setup: func(r *rig) { r.write(5, 100, 1) },
			msg: msg{5, 101, stComplete}, want: ProgressOverrun},
		{name: "complete at the committed values_len_bytes", setup: func(r *rig) { r.write(5, 100, 1) },
			msg: msg{5, 100, stComplete}, want: ProgressKept, latest: &msg{5, 100, stComplete}},
		{name: "bytes regress", before: []msg{{5, 0, stStarted}, {5, 1000, stProgress}}, msg: msg{5, 999, stProgress},
			want: ProgressRegressed, latest: &msg{5, 1000, stProgress}},
		{name: "state regresses", before: []msg{{5, 1000, stComplete}}, msg: msg{5, 1000, stProgress},
			want: ProgressRegressed, latest: &msg{5, 1000, stComplete}},
		{name: "started again after progress", before: []msg{{5, 1000, stProgress}}, msg: msg{5, 0, stStarted},
			want: ProgressRegressed, latest: &msg{5, 1000, stProgress}},
		{name: "repeated state is not a regression", before: []msg{{5, 1000, stProgress}}, msg: msg{5, 1000, stProgress},
			want: ProgressKept, latest: &msg{5, 1000, stProgress}},
		{name: "next frame starts over", before: []msg{{5, 1000, stComplete}}, msg: msg{6, 0, stStarted},
			want: ProgressKept, latest: &msg{6, 0, stStarted}},
		{name: "older frame", before: []msg{{6, 0, stStarted}}, msg: msg{5, 2000, stProgress},
			want: ProgressStale, latest: &msg{6, 0, stStarted}},
		{name: "older than the newest descriptor", setup: func(r *rig) { r.write(6, 10, 1); r.deliver(6) },
			msg: msg{5, 0, stStarted}, want: ProgressStale},
		{name: "complete after the frame's descriptor", setup: func(r *rig) { r.write(6, 10, 1); r.deliver(6) },
			msg: msg{6, 10, stComplete}, want: ProgressKept, latest: &msg{6, 10, stComplete}},
		{name: "unmapped", setup: func(r *rig) { r.c.Unmap() }, msg: msg{5, 0, stStarted}, want: ProgressNotMapped},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.c.cfg.Progress = true
			for _, m := range tc.before {
				if v := r.c.HandleProgress(encodeProgress(r.progressFor(m.seq, m.bytes, m.state))); v != ProgressKept {
					t.Fatalf("setup message %+v: %v", m, v)
				}
			}
			if tc.setup != nil {
				tc.setup(r)
			}
			p := r.progressFor(tc.msg.seq, tc.msg.bytes, tc.msg.state)
			if tc.mutate != nil {
				tc.mutate(&p)
			}
			buf := encodeProgress(p)
			if tc.raw != nil {
				buf = tc.raw(r, buf)
			}
			before, frames := r.c.Counters().Progress, r.c.Counters().Frames
			if v := r.c.HandleProgress(buf); v != tc.want {
				t.Fatalf("verdict %v, want %v", v, tc.want)
			}
			if got := r.c.Counters().Progress[tc.want] - before[tc.want]; got != 1 {
				t.Fatalf("verdict counted %d times", got)
			}
			got, ok := r.c.Progress()
			switch {
			case tc.latest == nil && ok:
				t.Fatalf("progress kept: %+v", got)
			case tc.latest != nil && (!ok || got.FrameID != tc.latest.seq || got.PayloadBytesFilled != tc.latest.bytes || got.State != tc.latest.state ||
				got.StreamID != 7 || got.Epoch != 3 || got.HeaderIndex != uint32(tc.latest.seq&7)):
				t.Fatalf("latest progress %+v (%v), want %+v", got, ok, *tc.latest)
			}
			if r.c.Counters().Frames != frames {
				t.Fatal("a frame was delivered on progress alone")
			}
		})
	}
	for v := range progressVerdictCount {
		if v.Section() == "" || v.String() == "" {
			t.Fatalf("verdict %d has no description", v)
		}
	}
}

// TestWireSpec_10_2_2_ProgressIsOnlyAHint: a consumer that did not opt in ignores
// FrameProgress; one that did keeps it, but COMPLETE delivers nothing — the descriptor
// does — and an epoch boundary forgets it.
func TestWireSpec_10_2_2_ProgressIsOnlyAHint(t *testing.T) {
	r := newRig(t)
	r.write(2, 100, 1)
	complete := encodeProgress(r.progressFor(2, 100, stComplete))
	if err := r.c.HandleControl(complete); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.c.Progress(); ok || r.c.Counters().Progress[ProgressIgnored] != 1 {
		t.Fatalf("progress kept without opting in: %+v", r.c.Counters().Progress)
	}
	r.c.cfg.Progress = true
	if err := r.c.HandleControl(complete); err != nil {
		t.Fatal(err)
	}
	if p, ok := r.c.Progress(); !ok || p.State != stComplete || len(r.got) != 0 || r.c.Counters().Frames != 0 {
		t.Fatalf("progress %+v %v, frames %d: COMPLETE is not a commit signal", p, ok, len(r.got))
	}
	if d := r.deliver(2); d != DropNone || len(r.got) != 1 {
		t.Fatalf("descriptor after COMPLETE: %v", d)
	}
	r.attach() // a remap is an epoch boundary
	if _, ok := r.c.Progress(); ok {
		t.Fatal("progress survived a remap")
	}
	// Malformed or not, progress is never a control error.
	if err := r.c.HandleControl(complete[:len(complete)-2]); err != nil {
		t.Fatal(err)
	}
}

// TestWireSpec_5_ProgressReadOnPerConsumerControlStream: once a ConsumerConfig assigns a
// per-consumer control stream, progress is read there and not on the shared stream.
func TestWireSpec_5_ProgressReadOnPerConsumerControlStream(t *testing.T) {
	r := newRig(t)
	r.c.cfg.Progress = true
	msg := encodeProgress(r.progressFor(1, 0, stStarted))
	if err := r.c.HandleControl(msg); err != nil || r.c.Counters().Progress[ProgressKept] != 1 {
		t.Fatalf("shared progress without an assignment: %v %+v", err, r.c.Counters().Progress)
	}
	a := wire.ConsumerConfig{StreamID: 7, ConsumerID: 11, UseShm: true, Mode: wire.ModeStream, ControlChannel: "aeron:ipc", ControlStreamID: 1211}
	if err := r.c.HandleControl(encoded(&a)); err != nil {
		t.Fatal(err)
	}
	next := encodeProgress(r.progressFor(1, 4096, stProgress))
	if err := r.c.HandleControl(next); err != nil || r.c.Counters().Progress[ProgressIgnored] != 1 {
		t.Fatalf("shared progress with a per-consumer control stream: %v %+v", err, r.c.Counters().Progress)
	}
	if v := r.c.HandleProgress(next); v != ProgressKept {
		t.Fatalf("per-consumer progress: %v", v)
	}
	if v := r.c.HandleProgress(encode(r.descriptor(1))); v != ProgressIgnored {
		t.Fatalf("a descriptor on the per-consumer control stream: %v", v)
	}
}

func TestWireSpec_10_1_2_HelloAdvertisesProgress(t *testing.T) {
	cases := []struct {
		name     string
		cfg      Config
		supports bool
		hint     producer.ProgressHint
	}{
		{"not opted in: hints withheld", Config{ProgressIntervalUs: 100, ProgressBytesDelta: 4096}, false, producer.ProgressHint{}},
		{"opted in without hints: null", Config{Progress: true}, true, producer.ProgressHint{}},
		{"opted in with hints", Config{Progress: true, ProgressIntervalUs: 100, ProgressBytesDelta: 4096, ProgressMajorDeltaUnits: 2}, true,
			producer.ProgressHint{IntervalUs: 100, BytesDelta: 4096, MajorDeltaUnits: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.StreamID, cfg.ConsumerID = 7, 11
			c, err := New(cfg, func(*Frame) {})
			if err != nil {
				t.Fatal(err)
			}
			h := c.Hello()
			buf := make([]byte, h.EncodedLength())
			n, err := EncodeHello(buf, &h)
			if err != nil {
				t.Fatal(err)
			}
			var ph wire.ConsumerHello
			if err := ph.Decode(buf[:n]); err != nil {
				t.Fatal(err)
			}
			hint := producer.ProgressHint{IntervalUs: ph.ProgressIntervalUs, BytesDelta: ph.ProgressBytesDelta, MajorDeltaUnits: ph.ProgressMajorDeltaUnits}
			if ph.SupportsProgress != tc.supports || hint != tc.hint {
				t.Fatalf("supports_progress %v hint %+v, want %v %+v", ph.SupportsProgress, hint, tc.supports, tc.hint)
			}
		})
	}
}

// TestWireSpec_10_2_2_ProgressEndToEnd: a consumer agent that opted in says so in its
// hello, the producer turns progress on with its hints, and the agent reads the frame's
// progress on its per-consumer control stream, then the frame on the descriptor stream.
func TestWireSpec_10_2_2_ProgressEndToEnd(t *testing.T) {
	base := t.TempDir()
	regions := standalone(t, base, 3)
	r := newAgentRig(t)
	control, shared := r.publication(controlEP), r.publication(sharedEP)
	hellos, onControl := r.subscription(controlEP), r.subscription(controlEP)
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
	var seen []wire.FrameProgress
	var a *Agent
	a, err = NewAgent(AgentConfig{Consumer: Config{StreamID: 7, ConsumerID: 5, AllowedBaseDirs: []string{base}, Clock: r.clock.Now,
		ControlChannel: "aeron:ipc", ControlStreamID: 1205, Progress: true, ProgressIntervalUs: 200, ProgressBytesDelta: 8192},
		Control: controlEP, Descriptors: sharedEP},
		func(f *Frame) {
			if pv, ok := a.Progress(); ok {
				seen = append(seen, pv)
			}
		})
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
	if policy, on := p.ProgressPolicy(); !on || policy.IntervalNs != 200_000 || policy.BytesDelta != 8192 {
		t.Fatalf("producer progress %v %+v after the hello", on, policy)
	}
	r.cycles(5) // ConsumerConfig: follow the control stream
	if a.progress == nil || !a.progress.Ready() {
		t.Fatalf("per-consumer control stream not followed: %v", a.Err())
	}
	claim, res := p.Claim(20000)
	if res != producer.OK {
		t.Fatal(res)
	}
	r.clock.now += 300_000
	p.Progress(claim, 10000)
	r.cycles(1)
	if pv, ok := a.Progress(); !ok || pv.FrameID != 0 || pv.State != stProgress || pv.PayloadBytesFilled != 10000 || a.Status().Counters.Frames != 0 {
		t.Fatalf("progress %+v %v before the commit", pv, ok)
	}
	if res := p.Commit(claim, vector(20000)); res != producer.OK {
		t.Fatal(res)
	}
	r.cycles(1) // the COMPLETE progress, before the frame
	a.Poll(10)
	if a.Status().Counters.Frames != 1 || len(seen) != 1 || seen[0].State != stComplete || seen[0].PayloadBytesFilled != 20000 {
		t.Fatalf("frames %d, progress seen by the handler %+v", a.Status().Counters.Frames, seen)
	}
	if k := a.Status().Counters.Progress; k[ProgressKept] != 3 || k[ProgressIgnored] != 0 {
		t.Fatalf("progress verdicts %v", k)
	}
	var onShared int
	onControl.Poll(func(buf []byte, _ *transport.Header) {
		if h, _ := wire.PeekHeader(buf); h.ID() == wire.FrameProgressID {
			onShared++
		}
	}, 100)
	if onShared != 0 {
		t.Fatalf("%d FrameProgress on the shared control stream with no consumer reading it there", onShared)
	}
	r.remove(a)
	r.cycles(2)
	if perConsumer[1205].IsConnected() {
		t.Fatal("per-consumer control subscription left open")
	}
}

package producer

import (
	"testing"

	"github.com/tensorpool/tensorpool/wire"
)

func TestWireSpec_10_2_2_ProgressTracker(t *testing.T) {
	type step struct {
		op     string // start, update, tick, complete (at bytes, its final length)
		bytes  uint64
		now    int64
		send   bool
		state  wire.FrameProgressState
		result Result
		phase  ProgressPhase
	}
	const (
		started  = wire.ProgressStateStarted
		progress = wire.ProgressStateProgress
		complete = wire.ProgressStateComplete
	)
	cases := []struct {
		name  string
		steps []step
	}{
		{"started, throttled progress, complete", []step{
			{op: "start", now: 0, send: true, state: started, phase: PhaseStarted},
			{op: "update", bytes: 500, now: 200, result: OK, phase: PhaseStarted}, // delta not reached
			{op: "update", bytes: 1500, now: 50, result: OK, phase: PhaseStarted}, // interval not reached
			{op: "update", bytes: 1500, now: 100, send: true, state: progress, phase: PhaseProgress},
			{op: "update", bytes: 3000, now: 150, result: OK, phase: PhaseProgress},                // held back
			{op: "tick", now: 199, phase: PhaseProgress},                                           // still held back
			{op: "tick", now: 200, send: true, state: progress, bytes: 3000, phase: PhaseProgress}, // latest flushed
			{op: "tick", now: 500, phase: PhaseProgress},                                           // nothing new
			{op: "complete", bytes: 4000, now: 501, send: true, state: complete, phase: PhaseComplete},
		}},
		{"complete at a trimmed length", []step{
			{op: "start", now: 0, send: true, state: started, phase: PhaseStarted},
			{op: "update", bytes: 1000, now: 100, send: true, state: progress, phase: PhaseProgress},
			{op: "complete", bytes: 1200, now: 101, send: true, state: complete, phase: PhaseComplete},
		}},
		{"complete below the bytes reported is not sent", []step{
			{op: "start", now: 0, send: true, state: started, phase: PhaseStarted},
			{op: "update", bytes: 3000, now: 100, send: true, state: progress, phase: PhaseProgress},
			{op: "complete", bytes: 2000, now: 101, phase: PhaseComplete},
		}},
		{"regression and overrun rejected", []step{
			{op: "start", now: 0, send: true, state: started, phase: PhaseStarted},
			{op: "update", bytes: 2000, now: 100, send: true, state: progress, phase: PhaseProgress},
			{op: "update", bytes: 1999, now: 300, result: ErrProgressRegressed, phase: PhaseProgress},
			{op: "update", bytes: 4001, now: 300, result: ErrProgressOverrun, phase: PhaseProgress},
		}},
		{"update without a frame", []step{
			{op: "update", bytes: 1, now: 1, result: ErrNoClaim, phase: PhaseIdle},
			{op: "tick", now: 1000, phase: PhaseIdle},
		}},
		{"update after complete", []step{
			{op: "start", now: 0, send: true, state: started, phase: PhaseStarted},
			{op: "complete", bytes: 4000, now: 1, send: true, state: complete, phase: PhaseComplete},
			{op: "update", bytes: 4000, now: 1000, result: ErrNoClaim, phase: PhaseComplete},
			{op: "complete", bytes: 4000, now: 1001, phase: PhaseComplete}, // closed once
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := ProgressTracker{Policy: ProgressPolicy{IntervalNs: 100, BytesDelta: 1000}}
			for i, s := range c.steps {
				var u ProgressUpdate
				var sent bool
				var r Result
				switch s.op {
				case "start":
					u, sent = tr.Start(9, 4000, s.now), true
				case "update":
					u, sent, r = tr.Update(s.bytes, s.now)
				case "tick":
					u, sent = tr.Tick(s.now)
				case "complete":
					u, sent = tr.Complete(s.bytes, s.now)
				}
				if sent != s.send || r != s.result || tr.Phase() != s.phase {
					t.Fatalf("step %d %s: sent %v result %v phase %v, want %v %v %v", i, s.op, sent, r, tr.Phase(), s.send, s.result, s.phase)
				}
				if sent && (u.State != s.state || u.FrameID != 9 || u.Bytes != s.bytes) {
					t.Fatalf("step %d %s: update %+v", i, s.op, u)
				}
			}
		})
	}
}

func TestWireSpec_10_2_2_CombineProgressHints(t *testing.T) {
	defaults := DefaultProgressPolicy // 250 µs, 64 KiB, no major delta
	floor := ProgressPolicy{IntervalNs: 100_000, BytesDelta: 4096}
	cases := []struct {
		name  string
		hints []ProgressHint
		want  ProgressPolicy
	}{
		{"no consumers: defaults", nil, defaults},
		{"absent hints: defaults", []ProgressHint{{}}, defaults},
		{"finer hints win", []ProgressHint{{IntervalUs: 150, BytesDelta: 8192, MajorDeltaUnits: 4}}, ProgressPolicy{150_000, 8192, 4}},
		{"coarser hints of the only consumer", []ProgressHint{{IntervalUs: 1000, BytesDelta: 1 << 20}}, ProgressPolicy{1_000_000, 1 << 20, 0}},
		{"not below the floor", []ProgressHint{{IntervalUs: 10, BytesDelta: 1}}, ProgressPolicy{100_000, 4096, 0}},
		{"smallest of each field across consumers", []ProgressHint{{IntervalUs: 200, BytesDelta: 1 << 20, MajorDeltaUnits: 8}, {IntervalUs: 900, BytesDelta: 16384, MajorDeltaUnits: 2}},
			ProgressPolicy{200_000, 16384, 2}},
		{"a consumer without hints asks for the defaults", []ProgressHint{{IntervalUs: 1000, BytesDelta: 1 << 20, MajorDeltaUnits: 8}, {}},
			ProgressPolicy{250_000, 64 << 10, 0}},
		{"interval from one, bytes from the other", []ProgressHint{{IntervalUs: 120}, {BytesDelta: 5000}}, ProgressPolicy{120_000, 5000, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := CombineProgress(defaults, floor, c.hints); got != c.want {
				t.Fatalf("%+v, want %+v", got, c.want)
			}
		})
	}
	// The floor holds the defaults too, and its major-delta minimum applies.
	if got := CombineProgress(ProgressPolicy{IntervalNs: 1, BytesDelta: 1}, ProgressPolicy{IntervalNs: 50, BytesDelta: 64, MajorDeltaUnits: 1}, nil); got != (ProgressPolicy{50, 64, 1}) {
		t.Fatalf("defaults below the floor: %+v", got)
	}
}

func decodeProgress(t testing.TB, buf []byte) wire.FrameProgress {
	t.Helper()
	var p wire.FrameProgress
	if err := p.Decode(buf); err != nil {
		t.Fatalf("not a FrameProgress: %v", err)
	}
	return p
}

func decodeQos(t testing.TB, buf []byte) wire.QosProducer {
	t.Helper()
	var q wire.QosProducer
	if err := q.Decode(buf); err != nil {
		t.Fatalf("not a QosProducer: %v", err)
	}
	return q
}

package producer

import (
	"testing"

	"github.com/tensorpool/tensorpool/wire"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

func TestWireSpec_10_2_2_ProgressTracker(t *testing.T) {
	type step struct {
		op     string // start, update, tick, complete
		bytes  uint64
		now    int64
		send   bool
		state  control.FrameProgressState
		result Result
		phase  ProgressPhase
	}
	const (
		started  = control.FrameProgressState_STARTED
		progress = control.FrameProgressState_PROGRESS
		complete = control.FrameProgressState_COMPLETE
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
			{op: "complete", now: 501, send: true, state: complete, bytes: 4000, phase: PhaseComplete},
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
			{op: "complete", now: 1, send: true, state: complete, bytes: 4000, phase: PhaseComplete},
			{op: "update", bytes: 4000, now: 1000, result: ErrNoClaim, phase: PhaseComplete},
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
					u, sent = tr.Complete(s.now), true
				}
				if sent != s.send || r != s.result || tr.Phase() != s.phase {
					t.Fatalf("step %d %s: sent %v result %v phase %v, want %v %v %v", i, s.op, sent, r, tr.Phase(), s.send, s.result, s.phase)
				}
				if sent && (u.State != s.state || u.FrameID != 9 || (s.op != "update" && u.Bytes != s.bytes) || (s.op == "update" && u.Bytes != s.bytes)) {
					t.Fatalf("step %d %s: update %+v", i, s.op, u)
				}
			}
		})
	}
}

func TestWireSpec_10_2_2_PolicyTakesSmallestHintAboveFloor(t *testing.T) {
	floor := ProgressPolicy{IntervalNs: 100_000, BytesDelta: 4096}
	cases := []struct {
		cur      ProgressPolicy
		interval int64
		delta    uint64
		want     ProgressPolicy
	}{
		{DefaultProgressPolicy, 0, 0, DefaultProgressPolicy},                             // no hints
		{DefaultProgressPolicy, 150_000, 8192, ProgressPolicy{150_000, 8192}},            // smaller hints win
		{DefaultProgressPolicy, 10, 1, floor},                                            // not below the floor
		{ProgressPolicy{150_000, 8192}, 200_000, 1 << 20, ProgressPolicy{150_000, 8192}}, // larger hints ignored
	}
	for i, c := range cases {
		if got := c.cur.WithHint(floor, c.interval, c.delta); got != c.want {
			t.Errorf("case %d: %+v, want %+v", i, got, c.want)
		}
	}
}

func decodeProgress(t testing.TB, buf []byte) Progress {
	t.Helper()
	msg, err := wire.ValidateSchema(buf, wire.ControlSchemaID)
	if err != nil || msg.TemplateID != control.FrameProgressSbeTemplateID {
		t.Fatalf("not a FrameProgress: %v", err)
	}
	var m control.FrameProgress
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	return Progress{StreamID: m.StreamId(), Epoch: m.Epoch(), FrameID: m.FrameId(), HeaderIndex: m.HeaderIndex(), PayloadBytesFilled: m.PayloadBytesFilled(), State: m.State()}
}

func decodeQos(t testing.TB, buf []byte) Qos {
	t.Helper()
	msg, err := wire.ValidateSchema(buf, wire.ControlSchemaID)
	if err != nil || msg.TemplateID != control.QosProducerSbeTemplateID {
		t.Fatalf("not a QosProducer: %v", err)
	}
	var m control.QosProducer
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	return Qos{StreamID: m.StreamId(), ProducerID: m.ProducerId(), Epoch: m.Epoch(), CurrentSeq: m.CurrentSeq(), Watermark: m.Watermark()}
}

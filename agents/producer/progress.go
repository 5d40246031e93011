package producer

import (
	"github.com/tensorpool/tensorpool/wire"
)

// ProgressPolicy throttles FrameProgress (§10.2.2): a PROGRESS update goes out only once
// IntervalNs has passed since the last message for the frame and the filled byte count
// has advanced by at least BytesDelta. STARTED and COMPLETE are never throttled.
// MajorDeltaUnits is the combined progress_major_delta_units hint (0: unset); the tracker
// counts bytes, so it is there for a writer that reports whole rows or columns to pick
// how often it calls Producer.Progress.
type ProgressPolicy struct {
	IntervalNs      int64
	BytesDelta      uint64
	MajorDeltaUnits uint32
}

// DefaultProgressPolicy is the spec's recommended default: 250 µs, 64 KiB and no
// major-axis delta (§10.2.2). A producer applies it for consumers that send no hints.
var DefaultProgressPolicy = ProgressPolicy{IntervalNs: 250_000, BytesDelta: 64 << 10}

// DefaultProgressFloor is the producer's safety minimum, below which no consumer hint can
// push the policy (§10.2.2 "not below producer minima"): at most 10 000 PROGRESS messages
// a second per stream, each at least a page further than the last. The spec leaves the
// value to the producer; this is ours.
var DefaultProgressFloor = ProgressPolicy{IntervalNs: 100_000, BytesDelta: 4 << 10}

// ProgressHint is one consumer's progress_interval_us, progress_bytes_delta and
// progress_major_delta_units from its ConsumerHello (§10.1.2). Zero means "not provided":
// the wire's null value decodes to 0, and a 0 hint asks for nothing finer than the
// producer's defaults (for the major-axis delta, 0 is the spec's "unknown").
type ProgressHint struct {
	IntervalUs      uint32
	BytesDelta      uint32
	MajorDeltaUnits uint32
}

// Policy is the policy this consumer asks for: its hints where it gave them, the
// producer's defaults where it did not (§10.1.2 "if absent, producer defaults apply").
func (h ProgressHint) Policy(defaults ProgressPolicy) ProgressPolicy {
	p := defaults
	if h.IntervalUs != 0 {
		p.IntervalNs = int64(h.IntervalUs) * 1000
	}
	if h.BytesDelta != 0 {
		p.BytesDelta = uint64(h.BytesDelta)
	}
	if h.MajorDeltaUnits != 0 {
		p.MajorDeltaUnits = h.MajorDeltaUnits
	}
	return p
}

// WithHint folds one more progress-capable consumer into p, the policy combined so far
// (§10.2.2): field by field the smaller of p and what the consumer asks for (Policy), so
// every consumer gets updates at least as often as it asked. Clamp the result AtLeast the
// producer's floor before use.
func (p ProgressPolicy) WithHint(defaults ProgressPolicy, h ProgressHint) ProgressPolicy {
	q := h.Policy(defaults)
	return ProgressPolicy{
		IntervalNs:      min(p.IntervalNs, q.IntervalNs),
		BytesDelta:      min(p.BytesDelta, q.BytesDelta),
		MajorDeltaUnits: min(p.MajorDeltaUnits, q.MajorDeltaUnits),
	}
}

// AtLeast raises every field of p to floor's: the producer keeps final authority over the
// control-plane load (§10.1.2, §10.2.2).
func (p ProgressPolicy) AtLeast(floor ProgressPolicy) ProgressPolicy {
	return ProgressPolicy{
		IntervalNs:      max(p.IntervalNs, floor.IntervalNs),
		BytesDelta:      max(p.BytesDelta, floor.BytesDelta),
		MajorDeltaUnits: max(p.MajorDeltaUnits, floor.MajorDeltaUnits),
	}
}

// CombineProgress is the producer's rule for the hints of the consumers that support
// progress (§10.1.2, §10.2.2): the smallest interval and the smallest deltas asked for,
// a consumer without a hint asking for the defaults, and never below floor. With no
// hints at all it is the defaults (still held to the floor).
func CombineProgress(defaults, floor ProgressPolicy, hints []ProgressHint) ProgressPolicy {
	if len(hints) == 0 {
		return defaults.AtLeast(floor)
	}
	p := hints[0].Policy(defaults)
	for _, h := range hints[1:] {
		p = p.WithHint(defaults, h)
	}
	return p.AtLeast(floor)
}

// ProgressPhase is where the frame being written stands (§10.2.2 state machine:
// STARTED → PROGRESS (0..N) → COMPLETE, no regression within a frame).
type ProgressPhase uint8

const (
	PhaseIdle     ProgressPhase = iota // no frame open
	PhaseStarted                       // STARTED sent, no PROGRESS yet
	PhaseProgress                      // at least one PROGRESS sent
	PhaseComplete                      // COMPLETE sent; the next frame starts over
)

// ProgressTracker is the per-frame progress state machine. It is pure: inputs are the
// frame's events and the current time, outputs the message to send, if any.
type ProgressTracker struct {
	Policy ProgressPolicy

	phase      ProgressPhase
	frameID    uint64
	valuesLen  uint64
	sent       uint64 // bytes in the last message sent
	latest     uint64 // bytes reported by the writer
	lastSendNs int64
}

// ProgressUpdate is a message the tracker decided to send.
type ProgressUpdate struct {
	FrameID uint64
	State   wire.FrameProgressState
	Bytes   uint64
}

// Phase is the tracker's current phase.
func (t *ProgressTracker) Phase() ProgressPhase { return t.phase }

// Start opens frame frameID of valuesLen bytes; STARTED is always sent.
func (t *ProgressTracker) Start(frameID, valuesLen uint64, nowNs int64) ProgressUpdate {
	t.phase, t.frameID, t.valuesLen = PhaseStarted, frameID, valuesLen
	t.sent, t.latest, t.lastSendNs = 0, 0, nowNs
	return ProgressUpdate{FrameID: frameID, State: wire.ProgressStateStarted}
}

// Update records that filled bytes are written. It returns a PROGRESS message when the
// policy allows one now. Bytes must not regress and must not exceed the frame (§10.2.2).
func (t *ProgressTracker) Update(filled uint64, nowNs int64) (ProgressUpdate, bool, Result) {
	switch {
	case t.phase != PhaseStarted && t.phase != PhaseProgress:
		return ProgressUpdate{}, false, ErrNoClaim
	case filled < t.latest:
		return ProgressUpdate{}, false, ErrProgressRegressed
	case filled > t.valuesLen:
		return ProgressUpdate{}, false, ErrProgressOverrun
	}
	t.latest = filled
	u, ok := t.Tick(nowNs)
	return u, ok, OK
}

// Tick sends the latest count if it was held back by the interval and is now due, so a
// burst of updates ends with its last state rather than a silence.
func (t *ProgressTracker) Tick(nowNs int64) (ProgressUpdate, bool) {
	if t.phase != PhaseStarted && t.phase != PhaseProgress {
		return ProgressUpdate{}, false
	}
	if t.latest == t.sent || t.latest-t.sent < t.Policy.BytesDelta || nowNs-t.lastSendNs < t.Policy.IntervalNs {
		return ProgressUpdate{}, false
	}
	t.phase, t.sent, t.lastSendNs = PhaseProgress, t.latest, nowNs
	return ProgressUpdate{FrameID: t.frameID, State: wire.ProgressStateProgress, Bytes: t.latest}, true
}

// Complete closes the frame at its final valuesLen bytes (values_len_bytes, at most the
// length given to Start); COMPLETE with that length is sent unless a PROGRESS already
// reported more, which COMPLETE may not regress from (§10.2.2): then the frame closes
// without one, as FrameDescriptor is the canonical signal anyway.
func (t *ProgressTracker) Complete(valuesLen uint64, nowNs int64) (ProgressUpdate, bool) {
	if t.phase != PhaseStarted && t.phase != PhaseProgress {
		return ProgressUpdate{}, false
	}
	valuesLen = min(valuesLen, t.valuesLen)
	regressed := valuesLen < t.sent
	t.phase, t.sent, t.latest, t.lastSendNs = PhaseComplete, valuesLen, valuesLen, nowNs
	if regressed {
		return ProgressUpdate{}, false
	}
	return ProgressUpdate{FrameID: t.frameID, State: wire.ProgressStateComplete, Bytes: valuesLen}, true
}

// Abandon forgets the open frame without a message (the claim was aborted).
func (t *ProgressTracker) Abandon() { t.phase = PhaseIdle }

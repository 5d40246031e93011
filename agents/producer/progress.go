package producer

import "github.com/tensorpool/tensorpool/wire/sbe/control"

// ProgressPolicy throttles FrameProgress (§10.2.2): a PROGRESS update goes out only once
// IntervalNs has passed since the last message for the frame and the filled byte count
// has advanced by at least BytesDelta. STARTED and COMPLETE are never throttled.
type ProgressPolicy struct {
	IntervalNs int64
	BytesDelta uint64
}

// DefaultProgressPolicy is the spec's recommended default: 250 µs and 64 KiB (§10.2.2).
var DefaultProgressPolicy = ProgressPolicy{IntervalNs: 250_000, BytesDelta: 64 << 10}

// WithHint applies one consumer's hint (§10.1.2, §10.2.2): the most aggressive policy
// offered wins, but never below the producer's floor. A zero hint field means "absent".
func (p ProgressPolicy) WithHint(floor ProgressPolicy, intervalNs int64, bytesDelta uint64) ProgressPolicy {
	if intervalNs > 0 {
		p.IntervalNs = max(floor.IntervalNs, min(p.IntervalNs, intervalNs))
	}
	if bytesDelta > 0 {
		p.BytesDelta = max(floor.BytesDelta, min(p.BytesDelta, bytesDelta))
	}
	return p
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
	State   control.FrameProgressState
	Bytes   uint64
}

// Phase is the tracker's current phase.
func (t *ProgressTracker) Phase() ProgressPhase { return t.phase }

// Start opens frame frameID of valuesLen bytes; STARTED is always sent.
func (t *ProgressTracker) Start(frameID, valuesLen uint64, nowNs int64) ProgressUpdate {
	t.phase, t.frameID, t.valuesLen = PhaseStarted, frameID, valuesLen
	t.sent, t.latest, t.lastSendNs = 0, 0, nowNs
	return ProgressUpdate{FrameID: frameID, State: control.FrameProgressState_STARTED}
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
	return ProgressUpdate{FrameID: t.frameID, State: control.FrameProgressState_PROGRESS, Bytes: t.latest}, true
}

// Complete closes the frame; COMPLETE with the full length is always sent.
func (t *ProgressTracker) Complete(nowNs int64) ProgressUpdate {
	t.phase, t.sent, t.latest, t.lastSendNs = PhaseComplete, t.valuesLen, t.valuesLen, nowNs
	return ProgressUpdate{FrameID: t.frameID, State: control.FrameProgressState_COMPLETE, Bytes: t.valuesLen}
}

// Abandon forgets the open frame without a message (the claim was aborted).
func (t *ProgressTracker) Abandon() { t.phase = PhaseIdle }

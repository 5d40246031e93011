package consumer

import (
	"github.com/tensorpool/tensorpool/wire"
)

// seqTracker follows descriptor sequence numbers (§15.4): a jump forward counts the
// skipped frames as drops_gap, a jump beyond the configured max_outstanding_seq_gap is a
// resync, and a step backwards (or a repeat) is a regression (§15.2).
type seqTracker struct {
	maxGap uint64 // 0: no limit
	last   uint64
	seen   bool
}

type seqStep struct {
	gap       uint64 // frames skipped before this one
	resync    bool   // gap exceeded maxGap
	regressed bool   // seq ≤ last: tracking restarts at seq
}

func (t *seqTracker) observe(seq uint64) seqStep {
	if !t.seen {
		t.last, t.seen = seq, true
		return seqStep{}
	}
	if seq <= t.last {
		t.last = seq
		return seqStep{regressed: true}
	}
	gap := seq - t.last - 1
	t.last = seq
	return seqStep{gap: gap, resync: t.maxGap > 0 && gap > t.maxGap}
}

func (t *seqTracker) reset() { t.last, t.seen = 0, false }

// newest is the last descriptor seq observed since the last reset, if any.
func (t *seqTracker) newest() (uint64, bool) { return t.last, t.seen }

// rateGate is the local decimation a RATE_LIMITED consumer MAY apply on the shared stream
// (§11): after a frame is accepted, frames are dropped until periodNs has passed.
type rateGate struct {
	periodNs int64 // 0: no limit
	nextNs   int64
}

func newRateGate(mode wire.Mode, maxRateHz uint32) rateGate {
	if mode != wire.ModeRateLimited || maxRateHz == 0 {
		return rateGate{}
	}
	return rateGate{periodNs: max(1, 1_000_000_000/int64(maxRateHz))}
}

func (g *rateGate) open(nowNs int64) bool { return nowNs >= g.nextNs }

func (g *rateGate) accepted(nowNs int64) { g.nextNs = nowNs + g.periodNs }

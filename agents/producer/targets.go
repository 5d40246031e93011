package producer

import (
	"github.com/tensorpool/tensorpool/internal/ordered"
	"github.com/tensorpool/tensorpool/transport"
)

// Targets is what the frame path sends besides the shared descriptor stream, as the
// control side last decided it: the per-consumer descriptor and control streams of the
// consumers that said hello (§10.1.2–10.1.3, Driver spec §11) and the FrameProgress
// policy their hints combine to (§10.2.2). The Controller builds a new Targets for every
// change and hands it to the frame path (internal/handoff); a Targets is never modified
// once handed over.
type Targets struct {
	Consumers []Target
	// Shared is the shared control stream, where FrameProgress goes while ProgressShared;
	// nil when the producer has none (yet).
	Shared transport.Publication
	// ProgressOn: send FrameProgress at all (some live consumer supports it, or SetProgress
	// said so); ProgressShared: also on the shared control stream, where some consumer
	// without a per-consumer control stream reads it.
	ProgressOn, ProgressShared bool
	Progress                   ProgressPolicy
}

// Target is one consumer's per-consumer streams.
type Target struct {
	ConsumerID uint32
	// Descriptors is nil when the consumer reads the shared descriptor stream; Control is
	// nil when it reads FrameProgress there too.
	Descriptors, Control transport.Publication
	// Progress: the consumer supports FrameProgress.
	Progress bool
	// MaxRateHz caps its descriptor stream (RATE_LIMITED mode), 0 for none.
	MaxRateHz uint32
}

// frameTargets is the frame path's state for the Targets it adopted: one rate limiter per
// target, carried over by consumer id when the Targets change, so periodic hellos cannot
// let extra frames through.
type frameTargets struct {
	t        *Targets
	limiters []RateLimiter
	// describers counts the targets with a descriptor stream, so that a frame path
	// without any skips describe.
	describers int
}

// adopt switches to t, keeping the limiters of consumers t still names with the same cap.
func (f *frameTargets) adopt(t *Targets) {
	prev, prevLimiters := f.t, f.limiters
	f.t = t
	f.limiters = make([]RateLimiter, len(t.Consumers)) // the control path: a change of consumers
	f.describers = 0
	for i, c := range t.Consumers {
		if c.Descriptors != nil {
			f.describers++
		}
		f.limiters[i] = NewRateLimiter(c.MaxRateHz)
		if prev == nil {
			continue
		}
		for j, o := range prev.Consumers {
			if o.ConsumerID == c.ConsumerID && o.MaxRateHz == c.MaxRateHz {
				f.limiters[i] = prevLimiters[j]
			}
		}
	}
}

// describe sends the encoded FrameDescriptor msg on every per-consumer descriptor stream
// whose max_rate_hz allows a frame at nowNs and returns how many took it; the shared
// stream is never gated (§10.1.2). It does not allocate.
func (f *frameTargets) describe(msg []byte, nowNs int64, c *frameCounters) int {
	if f.t == nil {
		return 0
	}
	sent := 0
	for i := range f.t.Consumers {
		pub := f.t.Consumers[i].Descriptors
		if pub == nil {
			continue
		}
		if !f.limiters[i].Allow(nowNs) {
			c.add(&c.RateLimited, 1)
			continue
		}
		if offer(pub, msg) != OK {
			c.add(&c.SendFailed, 1)
			continue
		}
		c.add(&c.Described, 1)
		sent++
	}
	return sent
}

// sendProgress offers an encoded FrameProgress on the per-consumer control stream of
// every consumer that supports progress; no other control message goes there (§5).
func (f *frameTargets) sendProgress(msg []byte, c *frameCounters) {
	if f.t == nil {
		return
	}
	for i := range f.t.Consumers {
		t := &f.t.Consumers[i]
		if !t.Progress || t.Control == nil {
			continue
		}
		if offer(t.Control, msg) != OK {
			c.add(&c.SendFailed, 1)
			continue
		}
		c.add(&c.ConsumerProgressSent, 1)
	}
}

// frameCounters are the frame path's statistics. The frame path is their only writer:
// each update is a release store (internal/ordered), so Counters may load them from any
// goroutine, and the frame path pays no locked instruction for them.
type frameCounters struct {
	Frames               uint64
	Bytes                uint64
	ProgressSent         uint64
	Described            uint64 // descriptors sent on per-consumer streams
	RateLimited          uint64 // descriptors withheld by a consumer's max_rate_hz
	ConsumerProgressSent uint64 // FrameProgress sent on per-consumer control streams
	SendFailed           uint64 // per-consumer offers that failed
	Results              [ResultCount]uint64
}

func (c *frameCounters) add(field *uint64, n uint64) { ordered.StoreUint64(field, *field+n) }

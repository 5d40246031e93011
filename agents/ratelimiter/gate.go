package ratelimiter

import "github.com/tensorpool/tensorpool/wire"

// Gate is the rate-limit policy of one mapping (RateLimiter spec §4), a state machine
// without I/O or clock reads: it says whether a frame may pass at a given time, and
// learns when one did. Rate slots open at a fixed period from the first frame that
// passed, so over any long window the frames passed come to the rate, neither drifting
// below it by the gaps between source frames nor bursting above it: a frame passes when
// a slot is open, and takes that slot; a source quiet for longer than a period starts the
// schedule over from its next frame. Rate 0 is unlimited.
type Gate struct {
	periodNs int64
	next     int64 // when the next slot opens
	started  bool  // a frame passed since the last reset
}

// NewGate returns a gate for rateHz frames a second, 0 for unlimited.
func NewGate(rateHz uint32) Gate {
	var g Gate
	g.SetRate(rateHz)
	return g
}

// SetRate changes the rate; the slot already scheduled stays, unless the new period is
// shorter and brings it forward.
func (g *Gate) SetRate(rateHz uint32) {
	period := int64(0)
	if rateHz != 0 {
		period = (1_000_000_000 + int64(rateHz) - 1) / int64(rateHz) // never above the rate
	}
	if period == g.periodNs {
		return
	}
	if g.started && period < g.periodNs {
		g.next = min(g.next, g.next-g.periodNs+period)
	}
	g.periodNs = period
}

// RateHz is the rate the gate holds to, 0 for unlimited.
func (g *Gate) RateHz() uint32 {
	if g.periodNs == 0 {
		return 0
	}
	return uint32((1_000_000_000 + g.periodNs - 1) / g.periodNs)
}

// Open reports whether a frame at nowNs may pass. The first frame after a reset always may
// (§4: eligible immediately after start or remap).
func (g *Gate) Open(nowNs int64) bool {
	return g.periodNs == 0 || !g.started || nowNs >= g.next
}

// Take records that a frame passed at nowNs, which must be Open.
func (g *Gate) Take(nowNs int64) {
	if g.periodNs == 0 {
		return
	}
	if !g.started || nowNs-g.next >= g.periodNs {
		g.next = nowNs + g.periodNs
	} else {
		g.next += g.periodNs
	}
	g.started = true
}

// Reset starts the schedule over: the next frame passes at once. The rate timer resets on
// a restart and on a source epoch change (§4).
func (g *Gate) Reset() { g.started = false }

// RateAuthority decides which rate a mapping's Gate holds to (RateLimiter spec §4, §8):
// the max_rate_hz of the destination consumer it serves, from that consumer's
// ConsumerHello, when the hello gives one; otherwise the mapping's max_rate_hz, else the
// instance's. A hello gives a rate when its consumer asks to be rate limited (mode
// RATE_LIMITED, Wire §11) with a max_rate_hz that is not the wire's null value; a consumer
// in STREAM mode asks for no rate (its max_rate_hz, 0 by default, would otherwise lift
// every configured limit). It serves one consumer: the configured one, or the first to say hello on
// the destination stream; other consumers' hellos are never followed nor combined with
// it. A served consumer silent for the timeout is let go, and the next one to say hello
// is served.
type RateAuthority struct {
	fallback   uint32
	consumerID uint32 // configured; 0: the first to say hello
	timeoutNs  int64

	bound     bool
	served    uint32
	helloRate uint32
	hasRate   bool
	lastNs    int64
}

// NewRateAuthority returns the authority of a mapping whose configured rate is fallback,
// serving consumerID (0: the first consumer to say hello), which it lets go after
// timeoutNs without a hello.
func NewRateAuthority(fallback, consumerID uint32, timeoutNs int64) RateAuthority {
	return RateAuthority{fallback: fallback, consumerID: consumerID, timeoutNs: timeoutNs}
}

// HelloVerdict says what a ConsumerHello did.
type HelloVerdict uint8

const (
	// HelloFollowed: the served consumer's hello; its max_rate_hz rules, if it gives one.
	HelloFollowed HelloVerdict = iota
	// HelloOtherConsumer: another consumer's hello; its rate is not applied (§4).
	HelloOtherConsumer
)

// OnHello takes a ConsumerHello for the destination stream at nowNs.
func (r *RateAuthority) OnHello(h *wire.ConsumerHello, nowNs int64) HelloVerdict {
	r.expire(nowNs)
	if !r.bound {
		if r.consumerID != 0 && h.ConsumerID != r.consumerID {
			return HelloOtherConsumer
		}
		r.bound, r.served = true, h.ConsumerID
	}
	if h.ConsumerID != r.served {
		return HelloOtherConsumer
	}
	r.lastNs = nowNs
	// The wire's null value (0xFFFFFFFF) is an absent max_rate_hz: the configured rate
	// applies (§8). 0 is unlimited.
	r.hasRate, r.helloRate = h.Mode == wire.ModeRateLimited && h.MaxRateHz != wire.NullU32, h.MaxRateHz
	return HelloFollowed
}

// expire lets a served consumer go once it has been silent for the timeout.
func (r *RateAuthority) expire(nowNs int64) {
	if r.bound && nowNs-r.lastNs >= r.timeoutNs {
		r.bound, r.hasRate = false, false
	}
}

// RateHz is the rate that rules at nowNs, 0 for unlimited.
func (r *RateAuthority) RateHz(nowNs int64) uint32 {
	r.expire(nowNs)
	if r.hasRate {
		return r.helloRate
	}
	return r.fallback
}

// Served is the consumer whose hellos rule, ok false while none is.
func (r *RateAuthority) Served() (consumerID uint32, ok bool) { return r.served, r.bound }

package agent

import (
	"runtime"
	"time"
)

// IdleStrategy decides what a duty cycle does when it found no work. Idle is
// called after every cycle with that cycle's work count; Reset is called when
// work is found again so a strategy with state (Backoff) starts over.
//
// A strategy holds per-loop state and must not be shared between goroutines.
type IdleStrategy interface {
	Idle(workCount int)
	Reset()
}

// BusySpin never gives up the CPU. Use it only on a dedicated core.
type BusySpin struct{}

// Idle does nothing; the loop immediately runs its next cycle.
func (BusySpin) Idle(int) {}

// Reset has no state to reset.
func (BusySpin) Reset() {}

// Yielding yields the processor to other goroutines when there was no work.
type Yielding struct{}

// Idle yields when workCount is zero.
func (Yielding) Idle(workCount int) {
	if workCount <= 0 {
		runtime.Gosched()
	}
}

// Reset has no state to reset.
func (Yielding) Reset() {}

// Sleeping sleeps for a fixed period when there was no work. It is the
// cheapest choice on a shared machine at the cost of wake-up latency.
type Sleeping struct {
	Period time.Duration
}

// Idle sleeps for Period (at least 1µs) when workCount is zero.
func (s Sleeping) Idle(workCount int) {
	if workCount <= 0 {
		time.Sleep(max(s.Period, time.Microsecond))
	}
}

// Reset has no state to reset.
func (Sleeping) Reset() {}

// Backoff spins, then yields, then parks with an exponentially growing period
// capped at MaxPark. It keeps latency low right after work and CPU use low
// during long idle stretches.
type Backoff struct {
	MaxSpins  int
	MaxYields int
	MinPark   time.Duration
	MaxPark   time.Duration

	spins  int
	yields int
	park   time.Duration
}

// Default backoff parameters, the same shape as Agrona's defaults.
const (
	DefaultBackoffMaxSpins  = 10
	DefaultBackoffMaxYields = 5
	DefaultBackoffMinPark   = time.Microsecond
	DefaultBackoffMaxPark   = time.Millisecond
)

// NewBackoff returns a Backoff with the default parameters.
func NewBackoff() *Backoff {
	return &Backoff{
		MaxSpins:  DefaultBackoffMaxSpins,
		MaxYields: DefaultBackoffMaxYields,
		MinPark:   DefaultBackoffMinPark,
		MaxPark:   DefaultBackoffMaxPark,
	}
}

// Idle advances the spin → yield → park sequence when workCount is zero and
// restarts it otherwise.
func (b *Backoff) Idle(workCount int) {
	if workCount > 0 {
		b.Reset()
		return
	}
	switch {
	case b.spins < b.MaxSpins:
		b.spins++
	case b.yields < b.MaxYields:
		b.yields++
		runtime.Gosched()
	default:
		if b.park == 0 {
			b.park = max(b.MinPark, time.Nanosecond)
		}
		time.Sleep(b.park)
		b.park = min(b.park*2, max(b.MaxPark, b.MinPark))
	}
}

// Reset restarts the sequence at spinning.
func (b *Backoff) Reset() {
	b.spins, b.yields, b.park = 0, 0, 0
}

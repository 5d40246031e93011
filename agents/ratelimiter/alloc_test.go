//go:build !race

package ratelimiter

import (
	"testing"
)

// TestRateLimiterAllocatesNothingInSteadyState holds the rate limiter's steady state to
// zero allocations per source frame, whether the frame passes (and is republished), is
// held, or is replaced by a newer one, on one duty cycle with the SHM driver, the
// source's producer and the destination's consumer.
func TestRateLimiterAllocatesNothingInSteadyState(t *testing.T) {
	for _, rate := range []uint32{0, 2000} {
		h, src, rl, dst := start(t, rate, nil)
		step := func() {
			if _, res := src.Offer(4000); res != "" {
				t.Fatal(res)
			}
			h.Cycle()
			h.Cycle()
			dst.A.Poll(16)
		}
		for range 500 {
			step()
		}
		before := rl.metrics.FramesForwarded.Load()
		if allocs := testing.AllocsPerRun(2000, step); allocs != 0 {
			t.Fatalf("%d Hz: %v allocations per source frame", rate, allocs)
		}
		if rl.metrics.FramesForwarded.Load() == before || dst.Bad != 0 {
			t.Fatalf("%d Hz: nothing republished during the measurement (%d bad)", rate, dst.Bad)
		}
	}
}

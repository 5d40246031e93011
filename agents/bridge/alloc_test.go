//go:build !race

package bridge

import (
	"testing"
)

// TestBridgeAllocatesNothingInSteadyState holds the bridge's steady state to zero
// allocations per frame: the sender reading a source frame and sending its chunks, the
// receiver assembling them into a destination slot and publishing it, on one duty cycle
// with the SHM driver, the source's producer and the destination's consumer. (Decoding a
// forwarded announce allocates its URIs: the control path, once an announce period.)
func TestBridgeAllocatesNothingInSteadyState(t *testing.T) {
	h := newRig(t, rigDest)
	src := h.AddProducer(rigSource)
	b := addBridge(t, h, bridgeConfig(h, rigDest))
	h.Until("the bridge's first frame", func() bool {
		src.Offer(100)
		return b.metrics.FramesRematerialised.Load() > 0
	})
	dst := h.AddConsumer(rigDest)
	step := func() {
		if _, res := src.Offer(20_000); res != "" {
			t.Fatal(res)
		}
		for range 4 {
			h.Cycle()
		}
		dst.A.Poll(16)
	}
	for range 500 {
		step()
	}
	before := b.metrics.FramesRematerialised.Load()
	if allocs := testing.AllocsPerRun(2000, step); allocs != 0 {
		t.Fatalf("%v allocations per bridged frame", allocs)
	}
	if got := b.metrics.FramesRematerialised.Load() - before; got < 2000 || dst.Bad != 0 {
		t.Fatalf("%d frames bridged during the measurement, %d bad", got, dst.Bad)
	}
}

//go:build !race

package bridge

import (
	"testing"

	"github.com/tensorpool/tensorpool/wire"
)

// TestBridgeAllocatesNothingInSteadyState holds the bridge's steady state to zero
// allocations per frame: the sender reading a source frame and sending its chunks, the
// receiver assembling them into a destination slot and publishing it, on one duty cycle
// with the SHM driver, the source's producer and the destination's consumer. (Decoding a
// forwarded announce allocates its URIs: the control path, once an announce period.)
func TestBridgeAllocatesNothingInSteadyState(t *testing.T) {
	checkSteadyStateAllocs(t, wire.V1_1)
}

// TestBridgeAllocatesNothingInSteadyStateV1_2 is the same with every hop speaking v1.2:
// traced frames, chunks carrying the trace id and their CRC32C, which the sender computes
// and the receiver verifies, and destination descriptors carrying the trace id.
func TestBridgeAllocatesNothingInSteadyStateV1_2(t *testing.T) {
	checkSteadyStateAllocs(t, wire.V1_2)
}

func checkSteadyStateAllocs(t *testing.T, v wire.Version) {
	h := newRig(t, rigDest)
	src := h.AddProducerAs(rigSource, v)
	cfg := bridgeConfig(h, rigDest)
	cfg.Bridge.WireVersion = v
	b := addBridge(t, h, cfg)
	h.Until("the bridge's first frame", func() bool {
		src.Offer(100)
		return b.metrics.FramesRematerialised.Load() > 0
	})
	dst := h.AddConsumer(rigDest)
	trace := uint64(0)
	step := func() {
		if v == wire.V1_2 {
			trace++
		}
		if _, res := src.OfferTraced(20_000, trace); res != "" {
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
	if last := dst.Last(); last.Version != v || v == wire.V1_2 && last.TraceID == 0 {
		t.Fatalf("last frame %+v: not carried in v%v", last, v)
	}
}

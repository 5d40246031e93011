package bridge

import (
	"fmt"
	"testing"

	"github.com/tensorpool/tensorpool/agents/consumer"
	"github.com/tensorpool/tensorpool/agents/internal/hosttest"
	"github.com/tensorpool/tensorpool/wire"
)

// Bridge spec v1.1 §5.1, §5.2, §5.4: a bridge speaking v1.2 sends every chunk of a
// frame in the v1.2 layout with the source FrameDescriptor's trace id (0 when it has
// none) and the chunk's CRC32C; one speaking v1.1 sends the v1.1 layout.
func TestBridgeSpec_1_1_5_2_SenderSetsTraceIDAndCrc(t *testing.T) {
	for _, v := range []wire.Version{wire.V1_1, wire.V1_2} {
		t.Run("bridge v"+v.String(), func(t *testing.T) {
			h := newRig(t, rigDest)
			payload := h.Subscribe("aeron:udp?endpoint=localhost:40456", 3000)
			src := h.AddProducerAs(rigSource, wire.V1_2)
			cfg := bridgeConfig(h, rigDest)
			cfg.Bridge.WireVersion = v
			b := addBridge(t, h, cfg)
			traces := map[uint64]uint64{} // by seq
			var seen []hosttest.Watched
			h.Until("traced frames bridged", func() bool {
				trace := uint64(0)
				if len(traces)%2 == 1 {
					trace = 0xabc0000 + uint64(len(traces))
				}
				if seq, res := src.OfferTraced(2500, trace); res == "" {
					traces[seq] = trace
				}
				hosttest.Drain(payload, &seen)
				return b.metrics.FramesRematerialised.Load() >= 4
			})
			if len(seen) == 0 {
				t.Fatal("no chunk seen")
			}
			for _, w := range seen {
				var c wire.BridgeFrameChunk
				if err := c.Decode(w.Msg); err != nil {
					t.Fatal(err)
				}
				want := traces[c.Seq]
				crc := ChunkCRC32C(&c)
				if v == wire.V1_1 {
					want, crc = 0, 0
				}
				if c.Version != v || c.TraceID != want || c.PayloadCrc32c != crc {
					t.Fatalf("chunk %d of seq %d: v%v trace %#x crc %#x, want v%v trace %#x crc %#x",
						c.ChunkIndex, c.Seq, c.Version, c.TraceID, c.PayloadCrc32c, v, want, crc)
				}
			}
		})
	}
}

// Bridge spec v1.1 §6, Wire spec v1.2 mixed fleets (issue 18): frames cross the bridge
// whatever versions the source producer, the bridge and the destination consumer speak;
// the destination's descriptors are in the bridge's version, and a trace id set on a
// source frame arrives with it when every hop speaks v1.2 ("If BridgeFrameChunk.traceId
// is non-zero, the receiver MUST set FrameDescriptor.trace_id to the same value"), and is
// dropped (0) where a hop speaks v1.1.
func TestBridgeSpec_1_1_6_MixedVersionsAndTraceIDs(t *testing.T) {
	for _, tc := range []struct {
		source, bridge, dest wire.Version
	}{
		{wire.V1_1, wire.V1_2, wire.V1_2},
		{wire.V1_2, wire.V1_1, wire.V1_1},
		{wire.V1_2, wire.V1_2, wire.V1_1},
		{wire.V1_2, wire.V1_2, wire.V1_2},
		{wire.V1_1, wire.V1_1, wire.V1_2},
	} {
		t.Run(fmt.Sprintf("producer v%v, bridge v%v, consumer v%v", tc.source, tc.bridge, tc.dest), func(t *testing.T) {
			h := newRig(t, rigDest)
			src := h.AddProducerAs(rigSource, tc.source)
			cfg := bridgeConfig(h, rigDest)
			cfg.Bridge.WireVersion = tc.bridge
			b := addBridge(t, h, cfg)
			bridgeFirstFrame(h, src, b)
			waitDestReady(h, b)
			dst := h.AddConsumerAs(rigDest, consumer.Config{WireVersion: tc.dest})
			carried := tc.source == wire.V1_2 && tc.bridge == wire.V1_2
			for i, n := range []int{0, 999, 40_000} {
				trace := uint64(0x7e57_0000 + i)
				seq, res := src.OfferTraced(n, trace)
				if res != "" {
					t.Fatal(res)
				}
				h.Until("the frame through", func() bool { dst.A.Poll(64); return len(dst.Frames) > 0 && dst.Last().Seq == seq })
				f := dst.Last()
				want := uint64(0)
				if carried {
					want = trace
				}
				if f.Len != n || f.MetaVersion != uint32(seq)+5 || f.Version != tc.bridge || f.TraceID != want {
					t.Fatalf("frame %d: %+v, want %d bytes, descriptor v%v, trace %#x", seq, f, n, tc.bridge, want)
				}
			}
			if dst.Bad != 0 || b.receiver.mappings[0].asm.Counts()[DropCrc] != 0 {
				t.Fatalf("%d bad frames, verdicts %v", dst.Bad, b.receiver.mappings[0].asm.Counts())
			}
		})
	}
}

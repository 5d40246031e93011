package bridge

import (
	"testing"

	"github.com/tensorpool/tensorpool/agents/internal/remat"
)

// waitDestReady runs the rig until the bridge's first mapping has a local epoch.
func (r *rig) waitDestReady(b *Bridge) *mapping {
	r.t.Helper()
	mp := b.receiver.mappings[0]
	r.until("the destination attached", func() bool { return mp.dest.State() == remat.Ready })
	return mp
}

// Bridge spec §6: frames of the source stream arrive on the destination stream byte for
// byte, with their sequence numbers (seq = seq_commit >> 1, checked by the consumer),
// timestamps and meta_versions; §7: as local FrameDescriptors on the local descriptor
// stream.
func TestBridgeSpec_6_FramesRematerialisedOnTheDestination(t *testing.T) {
	r := newRig(t, rigDest)
	src := r.addProducer(rigSource)
	b := r.addBridge(r.bridgeConfig(rigDest))
	var sent []uint64
	r.until("the bridge's first frame", func() bool {
		if seq, res := src.offer(3000); res == "" {
			sent = append(sent, seq)
		}
		return b.metrics.FramesRematerialised.Load() > 0
	})
	mp := r.waitDestReady(b)
	dst := r.addConsumer(rigDest)
	from := len(sent)
	for _, n := range []int{0, 1, 999, 1000, 2999, 4096, 4097, 300_000} {
		seq, res := src.offer(n)
		if res != "" {
			t.Fatalf("offer %d bytes: %s", n, res)
		}
		sent = append(sent, seq)
		r.until("the frame through", func() bool { dst.a.Poll(64); return len(dst.frames) > 0 && dst.frames[len(dst.frames)-1].seq == seq })
		f := dst.frames[len(dst.frames)-1]
		if f.n != n || f.meta != uint32(seq)+5 || f.ts == 0 {
			t.Fatalf("frame %d: %+v", seq, f)
		}
	}
	if dst.bad != 0 {
		t.Fatalf("%d bad frames", dst.bad)
	}
	if got := dst.frames[0].seq; got != sent[from] {
		t.Fatalf("first frame read: seq %d, want %d", got, sent[from])
	}
	if mp.dest.StreamID() != rigDest || mp.dest.Epochs() != 1 {
		t.Fatalf("destination %d, %d epochs", mp.dest.StreamID(), mp.dest.Epochs())
	}
}

package bridge

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/agents/internal/hosttest"
	"github.com/tensorpool/tensorpool/agents/internal/remat"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/wire"
)

// Bridge spec §6: frames of the source stream arrive on the destination stream byte for
// byte, with their sequence numbers (seq = seq_commit >> 1, checked by the consumer),
// timestamps and meta_versions; §7: as local FrameDescriptors on the local descriptor
// stream.
func TestBridgeSpec_6_FramesRematerialisedOnTheDestination(t *testing.T) {
	h := newRig(t, rigDest)
	src := h.AddProducer(rigSource)
	b := addBridge(t, h, bridgeConfig(h, rigDest))
	var sent []uint64
	h.Until("the bridge's first frame", func() bool {
		if seq, res := src.Offer(3000); res == "" {
			sent = append(sent, seq)
		}
		return b.metrics.FramesRematerialised.Load() > 0
	})
	mp := waitDestReady(h, b)
	dst := h.AddConsumer(rigDest)
	from := len(sent)
	for _, n := range []int{0, 1, 999, 1000, 2999, 4096, 4097, 300_000} {
		seq, res := src.Offer(n)
		if res != "" {
			t.Fatalf("offer %d bytes: %s", n, res)
		}
		sent = append(sent, seq)
		h.Until("the frame through", func() bool { dst.A.Poll(64); return len(dst.Frames) > 0 && dst.Last().Seq == seq })
		f := dst.Frames[len(dst.Frames)-1]
		if f.Len != n || f.MetaVersion != uint32(seq)+5 || f.TimestampNs == 0 {
			t.Fatalf("frame %d: %+v", seq, f)
		}
	}
	if dst.Bad != 0 {
		t.Fatalf("%d bad frames", dst.Bad)
	}
	if got := dst.Frames[0].Seq; got != sent[from] {
		t.Fatalf("first frame read: seq %d, want %d", got, sent[from])
	}
	if mp.dest.StreamID() != rigDest || mp.dest.Epochs() != 1 {
		t.Fatalf("destination %d, %d epochs", mp.dest.StreamID(), mp.dest.Epochs())
	}
}

// Bridge spec §4: a mapping with dest_stream_id 0 takes a stream from the range, skipping
// one another producer holds ("remap to a different destination").
func TestBridgeSpec_4_DestinationTakenFromTheRange(t *testing.T) {
	h := newRig(t, 20000, 20001)
	h.AddProducer(20000) // someone else's stream
	src := h.AddProducer(rigSource)
	b := addBridge(t, h, bridgeConfig(h, 0))
	bridgeFirstFrame(h, src, b)
	mp := waitDestReady(h, b)
	if got := mp.dest.StreamID(); got != 20001 {
		t.Fatalf("destination %d, want 20001 (20000 is taken)", got)
	}
	dst := h.AddConsumer(20001)
	seq, _ := src.Offer(2000)
	h.Until("a frame on the allocated stream", func() bool { dst.A.Poll(16); return len(dst.Frames) > 0 && dst.Last().Seq == seq })
	st, err := b.Status(h.Proc)
	if err != nil || len(st) != 1 || st[0].DestStreamID != 20001 || st[0].Dest != "ready" {
		t.Fatalf("status %+v %v", st, err)
	}
}

// Bridge spec §4: a configured destination another producer holds fails the mapping; the
// bridge says so and writes nothing there.
func TestBridgeSpec_4_OccupiedDestinationFails(t *testing.T) {
	h := newRig(t, rigDest)
	h.AddProducer(rigDest)
	src := h.AddProducer(rigSource)
	b := addBridge(t, h, bridgeConfig(h, rigDest))
	mp := b.receiver.mappings[0]
	h.Until("the mapping to fail", func() bool {
		src.Offer(100)
		return mp.dest.State() == remat.Failed
	})
	if !errors.Is(b.Err(), remat.ErrOccupied) || !strings.Contains(b.Err().Error(), "20000") {
		t.Fatalf("bridge error %v", b.Err())
	}
	if n := b.metrics.FramesRematerialised.Load(); n != 0 {
		t.Fatalf("%d frames written to someone else's stream", n)
	}
}

// Bridge spec §4 and §7: the sender consumes the shared descriptor stream (its hellos ask
// for no per-consumer stream), and the bridge's channels carry BridgeFrameChunks (payload)
// and wire-schema control messages of the source stream (control), never a
// FrameDescriptor; §7.2: the receiver republishes no ShmPoolAnnounce locally.
func TestBridgeSpec_7_WhatTravelsWhere(t *testing.T) {
	h := newRig(t, rigDest)
	payload := h.Subscribe("aeron:udp?endpoint=localhost:40456", 3000)
	control := h.Subscribe("aeron:udp?endpoint=localhost:40457", 3001)
	local := h.Subscribe(hosttest.Channel, hosttest.Control)
	src := h.AddProducer(rigSource)
	b := addBridge(t, h, bridgeConfig(h, rigDest))
	var onPayload, onControl, onLocal []hosttest.Watched
	deadline := time.Now().Add(2500 * time.Millisecond) // two announce periods and more
	h.Until("announce periods to pass", func() bool {
		src.Offer(5000)
		hosttest.Drain(payload, &onPayload) // watching streams read as fast as the bridge
		hosttest.Drain(control, &onControl)
		hosttest.Drain(local, &onLocal)
		return time.Now().After(deadline)
	})
	if b.metrics.FramesRematerialised.Load() == 0 {
		t.Fatal("no frame bridged")
	}
	for _, w := range onPayload {
		if h, err := wire.PeekHeader(w.Msg); err != nil || h.ID() != wire.BridgeFrameChunkID {
			t.Fatalf("payload stream carried %v (%v)", h, err)
		}
	}
	announces := 0
	for _, w := range onControl {
		h, err := wire.PeekHeader(w.Msg)
		if err != nil || h.SchemaID != wire.ControlSchemaID || h.ID() == wire.FrameDescriptorID {
			t.Fatalf("bridge control stream carried %v (%v)", h, err)
		}
		if id, _ := streamIDOf(w.Msg); id != rigSource {
			t.Fatalf("bridge control message of stream %d", id)
		}
		if h.ID() == wire.ShmPoolAnnounceID {
			announces++
		}
	}
	if announces < 2 {
		t.Fatalf("%d announces forwarded in 2.5 s", announces)
	}
	sessions := map[int32]bool{}
	hellos := 0
	for _, w := range onLocal {
		h, _ := wire.PeekHeader(w.Msg)
		switch h.ID() {
		case wire.ShmPoolAnnounceID:
			sessions[w.Session] = true
		case wire.ConsumerHelloID:
			var hello wire.ConsumerHello
			if err := hello.Decode(w.Msg); err != nil {
				t.Fatal(err)
			}
			if hello.StreamID == rigSource {
				hellos++
				if hello.DescriptorStreamID != 0 || hello.ControlStreamID != 0 || hello.DescriptorChannel != "" {
					t.Fatalf("the sender asked for per-consumer streams: %+v", hello)
				}
			}
		}
	}
	if len(sessions) != 1 || hellos == 0 {
		t.Fatalf("announces from %d sessions (the driver's only), %d hellos of the sender", len(sessions), hellos)
	}
}

// Bridge spec §7.1: DataSourceAnnounce and DataSourceMeta of the source stream reach the
// destination host's local metadata stream, their stream_id the mapping's
// metadata_stream_id (else the destination's), their meta_version kept.
func TestBridgeSpec_7_1_MetadataForwarded(t *testing.T) {
	for _, metaStream := range []uint32{0, 20555} {
		h := newRig(t, rigDest)
		src := h.AddProducer(rigSource)
		cfg := bridgeConfig(h, rigDest)
		cfg.Mappings[0].MetadataStreamID = metaStream
		b := addBridge(t, h, cfg)
		bridgeFirstFrame(h, src, b)
		waitDestReady(h, b)
		out := h.Subscribe(hosttest.Channel, hosttest.Metadata)
		in := h.Publication(hosttest.Channel, hosttest.Metadata)
		h.OfferAll(in, hosttest.Encode(t, &wire.DataSourceAnnounce{StreamID: rigSource, ProducerID: 1, Epoch: 2, MetaVersion: 41, Name: "cam", Summary: "u8[3000]"}))
		h.OfferAll(in, hosttest.Encode(t, &wire.DataSourceMeta{StreamID: rigSource, MetaVersion: 42, TimestampNs: 9,
			Attributes: []wire.Attribute{{Key: "serial", Format: "text/plain", Value: []byte("A1")}}}))
		want := metaStream
		if want == 0 {
			want = rigDest
		}
		var seen []hosttest.Watched
		var ann wire.DataSourceAnnounce
		var meta wire.DataSourceMeta
		h.Until("forwarded metadata", func() bool {
			hosttest.Drain(out, &seen)
			for _, w := range seen {
				h, _ := wire.PeekHeader(w.Msg)
				switch {
				case h.ID() == wire.DataSourceAnnounceID && ann.StreamID != want:
					ann.Decode(w.Msg)
				case h.ID() == wire.DataSourceMetaID && meta.StreamID != want:
					meta.Decode(w.Msg)
				}
			}
			return ann.StreamID == want && meta.StreamID == want
		})
		if ann.MetaVersion != 41 || ann.Name != "cam" || meta.MetaVersion != 42 || len(meta.Attributes) != 1 || string(meta.Attributes[0].Value) != "A1" {
			t.Fatalf("metadata stream %d: %+v %+v", metaStream, ann, meta)
		}
	}
}

// Bridge spec §9: with forward_progress and forward_qos, FrameProgress and QoS of the
// source stream from source_control_stream_id reach dest_control_stream_id with streamId
// the destination's; FrameProgress's headerIndex is the frame's slot in the local ring,
// frameId, payloadBytesFilled and state are the source's; progress of another source epoch
// is dropped.
func TestBridgeSpec_9_ProgressAndQosForwarded(t *testing.T) {
	h := newRig(t, rigDest)
	src := h.AddProducer(rigSource)
	b := addBridge(t, h, bridgeConfig(h, rigDest))
	bridgeFirstFrame(h, src, b)
	mp := waitDestReady(h, b)
	out := h.Subscribe(hosttest.Channel, 2201)
	in := h.Publication(hosttest.Channel, 1201)
	srcEpoch := src.D.Producer().Epoch()
	h.OfferAll(in, hosttest.Encode(t, &wire.FrameProgress{StreamID: rigSource, Epoch: srcEpoch + 1, FrameID: 36, HeaderIndex: 4, PayloadBytesFilled: 10, State: wire.ProgressStateProgress}))
	h.OfferAll(in, hosttest.Encode(t, &wire.FrameProgress{StreamID: rigSource, Epoch: srcEpoch, FrameID: 37, HeaderIndex: 5, PayloadBytesFilled: 4096, State: wire.ProgressStateProgress}))
	h.OfferAll(in, hosttest.Encode(t, &wire.QosProducer{StreamID: rigSource, ProducerID: 3, Epoch: srcEpoch, CurrentSeq: 99}))
	var seen []hosttest.Watched
	var progress []wire.FrameProgress
	var qos wire.QosProducer
	h.Until("forwarded progress and QoS", func() bool {
		hosttest.Drain(out, &seen)
		for _, w := range seen {
			h, _ := wire.PeekHeader(w.Msg)
			switch h.ID() {
			case wire.FrameProgressID:
				var p wire.FrameProgress
				p.Decode(w.Msg)
				progress = append(progress, p)
			case wire.QosProducerID:
				qos.Decode(w.Msg)
			}
		}
		seen = seen[:0]
		return len(progress) > 0 && qos.StreamID != 0
	})
	local := mp.dest.Producer()
	want := wire.FrameProgress{StreamID: rigDest, Epoch: local.Epoch(), FrameID: 37, HeaderIndex: 37 & (hosttest.Slots - 1), PayloadBytesFilled: 4096, State: wire.ProgressStateProgress}
	if len(progress) != 1 || progress[0] != want {
		t.Fatalf("progress %+v, want only %+v", progress, want)
	}
	if qos.StreamID != rigDest || qos.ProducerID != 3 || qos.CurrentSeq != 99 {
		t.Fatalf("QoS %+v", qos)
	}
}

// Bridge spec §8: a source epoch change is a remap boundary: the receiver starts a new
// local epoch (its driver's next), and the new epoch's frames, their sequence numbers
// starting over, arrive in it.
func TestBridgeSpec_8_SourceEpochChangeStartsANewLocalEpoch(t *testing.T) {
	h := newRig(t, rigDest)
	src := h.AddProducer(rigSource)
	b := addBridge(t, h, bridgeConfig(h, rigDest))
	bridgeFirstFrame(h, src, b)
	mp := waitDestReady(h, b)
	dst := h.AddConsumer(rigDest)
	for range 20 {
		src.Offer(3000)
	}
	h.Until("frames of the first epoch", func() bool { dst.A.Poll(16); return len(dst.Frames) >= 5 })
	localEpoch := mp.dest.Producer().Epoch()
	oldSource := src.D.Producer().Epoch()

	h.Proc.Do(func() { src.D.Renew(clock.Now()) }) // the source producer restarts: a new source epoch
	h.Until("the source's new epoch", func() bool { p := src.D.Producer(); return p != nil && p.Epoch() != oldSource })
	// Frames of the new epoch, until one is read in the new local epoch: the first ones
	// meet the destination renewing its epoch and are dropped.
	h.Until("a frame of the new epoch", func() bool {
		src.Offer(3000)
		dst.A.Poll(64)
		p := mp.dest.Producer()
		return p != nil && p.Epoch() != localEpoch && dst.Frames[len(dst.Frames)-1].Epoch == p.Epoch()
	})
	if mp.dest.Epochs() != 2 || mp.dest.Producer().Epoch() <= localEpoch {
		t.Fatalf("%d local epochs, epoch %d after %d", mp.dest.Epochs(), mp.dest.Producer().Epoch(), localEpoch)
	}
	if c := mp.asm.Counts(); c[DropEpochChange]+c[DropNotAttached]+c[DropEpoch] == 0 {
		t.Fatalf("no frame met the change: %v", c)
	}
	if dst.Bad != 0 {
		t.Fatalf("%d bad frames", dst.Bad)
	}
}

// Bridge spec §5.3 (and the "never sent torn"): a frame whose slot the producer
// overwrites while it is being sent is abandoned; the receiver, missing its last chunks,
// drops it, and no torn frame reaches the destination.
func TestBridgeSpec_5_3_FrameOverwrittenMidSendIsAbandoned(t *testing.T) {
	h := newRig(t, rigDest)
	src := h.AddProducer(rigSource)
	b := addBridge(t, h, bridgeConfig(h, rigDest))
	bridgeFirstFrame(h, src, b)
	waitDestReady(h, b)
	dst := h.AddConsumer(rigDest)
	sending := b.sender.sources[0]
	for round := range 3 {
		big, res := src.Offer(800_000) // 800 chunks: more than a cycle sends
		if res != "" {
			t.Fatal(res)
		}
		h.Cycle()
		if !sending.inflight || sending.chunk.Seq != big {
			t.Fatalf("round %d: frame %d not in flight after a cycle (in flight %v, seq %d)", round, big, sending.inflight, sending.chunk.Seq)
		}
		abandoned := b.metrics.SendsAbandoned.Load()
		for range hosttest.Slots { // the ring wraps: the big frame's slot is rewritten
			if _, res := src.Offer(100); res != "" {
				t.Fatal(res)
			}
		}
		h.Until("the frame abandoned", func() bool { dst.A.Poll(64); return b.metrics.SendsAbandoned.Load() > abandoned })
	}
	after := b.metrics.FramesRematerialised.Load()
	h.Until("frames after", func() bool {
		src.Offer(5000)
		dst.A.Poll(64)
		return b.metrics.FramesRematerialised.Load() > after+50
	})
	if c := b.receiver.mappings[0].asm.Counts(); c[DropSuperseded]+c[DropTimedOut] < 3 {
		t.Fatalf("the abandoned frames' assemblies were not dropped: %v", c)
	}
	if dst.Bad != 0 {
		t.Fatalf("%d torn frames reached the destination", dst.Bad)
	}
	for _, f := range dst.Frames {
		if f.Len == 800_000 {
			t.Fatalf("an abandoned frame %d was published", f.Seq)
		}
	}
}

// A sender that restarts (a new instance: a new publication session) carries on into the
// same destination epoch: the receiver takes the new session's chunks, and the frame the
// old sender left half-sent is dropped, never published.
func TestSenderRestartCarriesOn(t *testing.T) {
	h := newRig(t, rigDest)
	src := h.AddProducer(rigSource)
	recvCfg := bridgeConfig(h, rigDest)
	recvCfg.Bridge.Role = config.BridgeReceiver
	recv := addBridge(t, h, recvCfg)
	sendCfg := bridgeConfig(h, rigDest)
	sendCfg.Bridge.Role = config.BridgeSender
	send := addBridge(t, h, sendCfg)
	bridgeFirstFrame(h, src, recv)
	mp := waitDestReady(h, recv)
	dst := h.AddConsumer(rigDest)
	// The old sender goes mid-frame.
	src.Offer(800_000)
	h.Cycle()
	if !send.sender.sources[0].inflight {
		t.Fatal("no frame in flight")
	}
	done, err := send.Remove(h.Proc)
	if err != nil {
		t.Fatal(err)
	}
	h.Until("the old sender gone", func() bool { return isClosed(done) })
	sendCfg = bridgeConfig(h, rigDest)
	sendCfg.Bridge.Role = config.BridgeSender
	again := addBridge(t, h, sendCfg)
	before := recv.metrics.FramesRematerialised.Load()
	h.Until("frames from the new sender", func() bool {
		src.Offer(5000)
		dst.A.Poll(64)
		return recv.metrics.FramesRematerialised.Load() > before+20 && again.metrics.FramesSent.Load() > 20
	})
	if mp.dest.Epochs() != 1 || dst.Bad != 0 {
		t.Fatalf("%d local epochs, %d bad frames", mp.dest.Epochs(), dst.Bad)
	}
	for _, f := range dst.Frames {
		if f.Len == 800_000 {
			t.Fatalf("the half-sent frame %d was published", f.Seq)
		}
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Bridge spec §2, §10: one instance carries many mappings, each source onto its own
// destination over the same payload and control streams, none of their frames crossing
// to the other's destination.
func TestBridgeSpec_2_ManyMappingsInOneInstance(t *testing.T) {
	const otherSource, otherDest = rigSource + 1, rigDest + 1
	h := hosttest.New(t, rigSource, otherSource, rigDest, otherDest)
	srcA, srcB := h.AddProducer(rigSource), h.AddProducer(otherSource)
	cfg := bridgeConfig(h, rigDest)
	cfg.Mappings = append(cfg.Mappings, config.BridgeMapping{SourceStreamID: otherSource, DestStreamID: otherDest, SourceControlStreamID: 1202, DestControlStreamID: 2202})
	b := addBridge(t, h, cfg)
	h.Until("both destinations attached", func() bool {
		srcA.Offer(1000)
		srcB.Offer(2000)
		return b.receiver.mappings[0].dest.State() == remat.Ready && b.receiver.mappings[1].dest.State() == remat.Ready
	})
	dstA, dstB := h.AddConsumer(rigDest), h.AddConsumer(otherDest)
	h.Until("frames of both mappings", func() bool {
		srcA.Offer(1000)
		srcB.Offer(2000)
		dstA.A.Poll(64)
		dstB.A.Poll(64)
		return len(dstA.Frames) >= 50 && len(dstB.Frames) >= 50
	})
	for _, c := range []struct {
		dst  *hosttest.Consumer
		size int
	}{{dstA, 1000}, {dstB, 2000}} {
		if c.dst.Bad != 0 {
			t.Fatalf("%d bad frames", c.dst.Bad)
		}
		for _, f := range c.dst.Frames {
			if f.Len != c.size {
				t.Fatalf("a %d-byte frame on the destination of the %d-byte source", f.Len, c.size)
			}
		}
	}
}

// Bridge spec §8 with the source's epoch changing while the destination is still
// attaching (the source producer's own attach provisions a new epoch just after the first
// announce): the attach in flight is kept, its epoch being new already, rather than
// given up, whose late grant held the stream at the driver and had the next attach
// refused as another producer's, failing the mapping.
func TestBridgeSpec_8_SourceEpochChangeWhileAttaching(t *testing.T) {
	h := newRig(t, rigDest)
	src := h.AddProducer(rigSource)
	b := addBridge(t, h, bridgeConfig(h, rigDest))
	mp := b.receiver.mappings[0]
	h.Until("the destination attaching", func() bool { src.Offer(1000); return mp.dest.State() == remat.Attaching })
	h.Proc.DoWork() // the attach request goes out; the driver has not answered it
	mp.dest.Renew(clock.Now())
	h.Until("the destination attached or failed", func() bool {
		src.Offer(1000)
		return mp.dest.State() == remat.Ready || mp.dest.State() == remat.Failed
	})
	if mp.dest.State() != remat.Ready {
		t.Fatalf("destination %s: %v", mp.dest.State(), mp.dest.Err())
	}
	dst := h.AddConsumer(rigDest)
	h.Until("a frame through", func() bool { src.Offer(1000); dst.A.Poll(16); return len(dst.Frames) > 0 })
}

package bridge

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/agents/internal/remat"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
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

// bridgeFirstFrame offers frames until the bridge has re-materialised one.
func (r *rig) bridgeFirstFrame(src *producerAgent, b *Bridge) {
	r.t.Helper()
	r.until("the bridge's first frame", func() bool {
		src.offer(1000)
		return b.metrics.FramesRematerialised.Load() > 0
	})
}

// Bridge spec §4: a mapping with dest_stream_id 0 takes a stream from the range, skipping
// one another producer holds ("remap to a different destination").
func TestBridgeSpec_4_DestinationTakenFromTheRange(t *testing.T) {
	r := newRig(t, 20000, 20001)
	r.addProducer(20000) // someone else's stream
	src := r.addProducer(rigSource)
	b := r.addBridge(r.bridgeConfig(0))
	r.bridgeFirstFrame(src, b)
	mp := r.waitDestReady(b)
	if got := mp.dest.StreamID(); got != 20001 {
		t.Fatalf("destination %d, want 20001 (20000 is taken)", got)
	}
	dst := r.addConsumer(20001)
	seq, _ := src.offer(2000)
	r.until("a frame on the allocated stream", func() bool { dst.a.Poll(16); return len(dst.frames) > 0 && dst.frames[len(dst.frames)-1].seq == seq })
	st, err := b.Status(r.proc)
	if err != nil || len(st) != 1 || st[0].DestStreamID != 20001 || st[0].Dest != "ready" {
		t.Fatalf("status %+v %v", st, err)
	}
}

// Bridge spec §4: a configured destination another producer holds fails the mapping; the
// bridge says so and writes nothing there.
func TestBridgeSpec_4_OccupiedDestinationFails(t *testing.T) {
	r := newRig(t, rigDest)
	r.addProducer(rigDest)
	src := r.addProducer(rigSource)
	b := r.addBridge(r.bridgeConfig(rigDest))
	mp := b.receiver.mappings[0]
	r.until("the mapping to fail", func() bool {
		src.offer(100)
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
	r := newRig(t, rigDest)
	payload := r.subscribe("aeron:udp?endpoint=localhost:40456", 3000)
	control := r.subscribe("aeron:udp?endpoint=localhost:40457", 3001)
	local := r.subscribe("aeron:ipc", rigControl)
	src := r.addProducer(rigSource)
	b := r.addBridge(r.bridgeConfig(rigDest))
	var onPayload, onControl, onLocal []watched
	deadline := time.Now().Add(2500 * time.Millisecond) // two announce periods and more
	r.until("announce periods to pass", func() bool {
		src.offer(5000)
		drain(payload, &onPayload) // watching streams read as fast as the bridge
		drain(control, &onControl)
		drain(local, &onLocal)
		return time.Now().After(deadline)
	})
	if b.metrics.FramesRematerialised.Load() == 0 {
		t.Fatal("no frame bridged")
	}
	for _, w := range onPayload {
		if h, err := wire.PeekHeader(w.msg); err != nil || h.ID() != wire.BridgeFrameChunkID {
			t.Fatalf("payload stream carried %v (%v)", h, err)
		}
	}
	announces := 0
	for _, w := range onControl {
		h, err := wire.PeekHeader(w.msg)
		if err != nil || h.SchemaID != wire.ControlSchemaID || h.ID() == wire.FrameDescriptorID {
			t.Fatalf("bridge control stream carried %v (%v)", h, err)
		}
		if id, _ := streamIDOf(w.msg); id != rigSource {
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
		h, _ := wire.PeekHeader(w.msg)
		switch h.ID() {
		case wire.ShmPoolAnnounceID:
			sessions[w.session] = true
		case wire.ConsumerHelloID:
			var hello wire.ConsumerHello
			if err := hello.Decode(w.msg); err != nil {
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

func encodeMsg(t *testing.T, m interface {
	EncodedLength() int
	Encode([]byte) (int, error)
}) []byte {
	t.Helper()
	buf := make([]byte, m.EncodedLength())
	if _, err := m.Encode(buf); err != nil {
		t.Fatal(err)
	}
	return buf
}

// offerAll offers msg on pub, running cycles until it goes out.
func (r *rig) offerAll(pub transport.Publication, msg []byte) {
	r.t.Helper()
	r.until("an offer", func() bool { return pub.Offer(msg) > 0 })
}

// Bridge spec §7.1: DataSourceAnnounce and DataSourceMeta of the source stream reach the
// destination host's local metadata stream, their stream_id the mapping's
// metadata_stream_id (else the destination's), their meta_version kept.
func TestBridgeSpec_7_1_MetadataForwarded(t *testing.T) {
	for _, metaStream := range []uint32{0, 20555} {
		r := newRig(t, rigDest)
		src := r.addProducer(rigSource)
		cfg := r.bridgeConfig(rigDest)
		cfg.Mappings[0].MetadataStreamID = metaStream
		b := r.addBridge(cfg)
		r.bridgeFirstFrame(src, b)
		r.waitDestReady(b)
		out := r.subscribe("aeron:ipc", rigMetadata)
		in := r.publication("aeron:ipc", rigMetadata)
		r.offerAll(in, encodeMsg(t, &wire.DataSourceAnnounce{StreamID: rigSource, ProducerID: 1, Epoch: 2, MetaVersion: 41, Name: "cam", Summary: "u8[3000]"}))
		r.offerAll(in, encodeMsg(t, &wire.DataSourceMeta{StreamID: rigSource, MetaVersion: 42, TimestampNs: 9,
			Attributes: []wire.Attribute{{Key: "serial", Format: "text/plain", Value: []byte("A1")}}}))
		want := metaStream
		if want == 0 {
			want = rigDest
		}
		var seen []watched
		var ann wire.DataSourceAnnounce
		var meta wire.DataSourceMeta
		r.until("forwarded metadata", func() bool {
			drain(out, &seen)
			for _, w := range seen {
				h, _ := wire.PeekHeader(w.msg)
				switch {
				case h.ID() == wire.DataSourceAnnounceID && ann.StreamID != want:
					ann.Decode(w.msg)
				case h.ID() == wire.DataSourceMetaID && meta.StreamID != want:
					meta.Decode(w.msg)
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
	r := newRig(t, rigDest)
	src := r.addProducer(rigSource)
	b := r.addBridge(r.bridgeConfig(rigDest))
	r.bridgeFirstFrame(src, b)
	mp := r.waitDestReady(b)
	out := r.subscribe("aeron:ipc", 2201)
	in := r.publication("aeron:ipc", 1201)
	srcEpoch := src.d.Producer().Epoch()
	r.offerAll(in, encodeMsg(t, &wire.FrameProgress{StreamID: rigSource, Epoch: srcEpoch + 1, FrameID: 36, HeaderIndex: 4, PayloadBytesFilled: 10, State: wire.ProgressStateProgress}))
	r.offerAll(in, encodeMsg(t, &wire.FrameProgress{StreamID: rigSource, Epoch: srcEpoch, FrameID: 37, HeaderIndex: 5, PayloadBytesFilled: 4096, State: wire.ProgressStateProgress}))
	r.offerAll(in, encodeMsg(t, &wire.QosProducer{StreamID: rigSource, ProducerID: 3, Epoch: srcEpoch, CurrentSeq: 99}))
	var seen []watched
	var progress []wire.FrameProgress
	var qos wire.QosProducer
	r.until("forwarded progress and QoS", func() bool {
		drain(out, &seen)
		for _, w := range seen {
			h, _ := wire.PeekHeader(w.msg)
			switch h.ID() {
			case wire.FrameProgressID:
				var p wire.FrameProgress
				p.Decode(w.msg)
				progress = append(progress, p)
			case wire.QosProducerID:
				qos.Decode(w.msg)
			}
		}
		seen = seen[:0]
		return len(progress) > 0 && qos.StreamID != 0
	})
	local := mp.dest.Producer()
	want := wire.FrameProgress{StreamID: rigDest, Epoch: local.Epoch(), FrameID: 37, HeaderIndex: 37 & (rigSlots - 1), PayloadBytesFilled: 4096, State: wire.ProgressStateProgress}
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
	r := newRig(t, rigDest)
	src := r.addProducer(rigSource)
	b := r.addBridge(r.bridgeConfig(rigDest))
	r.bridgeFirstFrame(src, b)
	mp := r.waitDestReady(b)
	dst := r.addConsumer(rigDest)
	for range 20 {
		src.offer(3000)
	}
	r.until("frames of the first epoch", func() bool { dst.a.Poll(16); return len(dst.frames) >= 5 })
	localEpoch := mp.dest.Producer().Epoch()
	oldSource := src.d.Producer().Epoch()

	r.proc.Do(func() { src.d.Renew(clock.Now()) }) // the source producer restarts: a new source epoch
	r.until("the source's new epoch", func() bool { p := src.d.Producer(); return p != nil && p.Epoch() != oldSource })
	// Frames of the new epoch, until one is read in the new local epoch: the first ones
	// meet the destination renewing its epoch and are dropped.
	r.until("a frame of the new epoch", func() bool {
		src.offer(3000)
		dst.a.Poll(64)
		p := mp.dest.Producer()
		return p != nil && p.Epoch() != localEpoch && dst.frames[len(dst.frames)-1].epoch == p.Epoch()
	})
	if mp.dest.Epochs() != 2 || mp.dest.Producer().Epoch() <= localEpoch {
		t.Fatalf("%d local epochs, epoch %d after %d", mp.dest.Epochs(), mp.dest.Producer().Epoch(), localEpoch)
	}
	if c := mp.asm.Counts(); c[DropEpochChange]+c[DropNotAttached]+c[DropEpoch] == 0 {
		t.Fatalf("no frame met the change: %v", c)
	}
	if dst.bad != 0 {
		t.Fatalf("%d bad frames", dst.bad)
	}
}

// Bridge spec §5.3 (and the "never sent torn"): a frame whose slot the producer
// overwrites while it is being sent is abandoned; the receiver, missing its last chunks,
// drops it, and no torn frame reaches the destination.
func TestBridgeSpec_5_3_FrameOverwrittenMidSendIsAbandoned(t *testing.T) {
	r := newRig(t, rigDest)
	src := r.addProducer(rigSource)
	b := r.addBridge(r.bridgeConfig(rigDest))
	r.bridgeFirstFrame(src, b)
	r.waitDestReady(b)
	dst := r.addConsumer(rigDest)
	sending := b.sender.sources[0]
	for round := range 3 {
		big, res := src.offer(800_000) // 800 chunks: more than a cycle sends
		if res != "" {
			t.Fatal(res)
		}
		r.cycle()
		if !sending.inflight || sending.chunk.Seq != big {
			t.Fatalf("round %d: frame %d not in flight after a cycle (in flight %v, seq %d)", round, big, sending.inflight, sending.chunk.Seq)
		}
		abandoned := b.metrics.SendsAbandoned.Load()
		for range rigSlots { // the ring wraps: the big frame's slot is rewritten
			if _, res := src.offer(100); res != "" {
				t.Fatal(res)
			}
		}
		r.until("the frame abandoned", func() bool { dst.a.Poll(64); return b.metrics.SendsAbandoned.Load() > abandoned })
	}
	after := b.metrics.FramesRematerialised.Load()
	r.until("frames after", func() bool {
		src.offer(5000)
		dst.a.Poll(64)
		return b.metrics.FramesRematerialised.Load() > after+50
	})
	if c := b.receiver.mappings[0].asm.Counts(); c[DropSuperseded]+c[DropTimedOut] < 3 {
		t.Fatalf("the abandoned frames' assemblies were not dropped: %v", c)
	}
	if dst.bad != 0 {
		t.Fatalf("%d torn frames reached the destination", dst.bad)
	}
	for _, f := range dst.frames {
		if f.n == 800_000 {
			t.Fatalf("an abandoned frame %d was published", f.seq)
		}
	}
}

// A sender that restarts (a new instance: a new publication session) carries on into the
// same destination epoch: the receiver takes the new session's chunks, and the frame the
// old sender left half-sent is dropped, never published.
func TestSenderRestartCarriesOn(t *testing.T) {
	r := newRig(t, rigDest)
	src := r.addProducer(rigSource)
	recvCfg := r.bridgeConfig(rigDest)
	recvCfg.Bridge.Role = config.BridgeReceiver
	recv := r.addBridge(recvCfg)
	sendCfg := r.bridgeConfig(rigDest)
	sendCfg.Bridge.Role = config.BridgeSender
	send := r.addBridge(sendCfg)
	r.bridgeFirstFrame(src, recv)
	mp := r.waitDestReady(recv)
	dst := r.addConsumer(rigDest)
	// The old sender goes mid-frame.
	src.offer(800_000)
	r.cycle()
	if !send.sender.sources[0].inflight {
		t.Fatal("no frame in flight")
	}
	done, err := send.Remove(r.proc)
	if err != nil {
		t.Fatal(err)
	}
	r.until("the old sender gone", func() bool { return isClosed(done) })
	sendCfg = r.bridgeConfig(rigDest)
	sendCfg.Bridge.Role = config.BridgeSender
	again := r.addBridge(sendCfg)
	before := recv.metrics.FramesRematerialised.Load()
	r.until("frames from the new sender", func() bool {
		src.offer(5000)
		dst.a.Poll(64)
		return recv.metrics.FramesRematerialised.Load() > before+20 && again.metrics.FramesSent.Load() > 20
	})
	if mp.dest.Epochs() != 1 || dst.bad != 0 {
		t.Fatalf("%d local epochs, %d bad frames", mp.dest.Epochs(), dst.bad)
	}
	for _, f := range dst.frames {
		if f.n == 800_000 {
			t.Fatalf("the half-sent frame %d was published", f.seq)
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

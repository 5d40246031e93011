package bridge

import (
	"testing"

	"github.com/tensorpool/tensorpool/wire"
)

// Kinds of message FuzzBridgeMessages hands over: one per handler of network input.
const (
	fuzzChunk          = iota // the receiver's payload stream
	fuzzAnnounce              // the receiver's control stream: forwarded ShmPoolAnnounce
	fuzzControl               // the receiver's control stream: forwarded QoS and progress
	fuzzMetadata              // the receiver's metadata stream
	fuzzSourceAnnounce        // the sender's source control stream: announces
	fuzzSourceControl         // the sender's source control stream: QoS and progress
	fuzzSourceMetadata        // the sender's source metadata stream
	fuzzKinds
)

// FuzzBridgeMessages hands arbitrary messages to every handler of a running bridge's
// network input (the receiver's payload, control and metadata streams, the sender's
// source control and metadata streams), on a host whose source frames the bridge carries
// meanwhile: nothing panics, no failure is reported, and the bridge keeps its invariants
// (no destination slot claimed without a frame in assembly). The seeds in
// testdata/fuzz/FuzzBridgeMessages are valid messages of each kind for the host's
// source stream: chunks of a frame in both layouts (v1.2's with a trace id and their
// CRC32C, one with a wrong CRC32C), an announce, progress, QoS and metadata.
func FuzzBridgeMessages(f *testing.F) {
	h := newRig(f, rigDest)
	src := h.AddProducer(rigSource)
	b := addBridge(f, h, bridgeConfig(h, rigDest))
	bridgeFirstFrame(h, src, b)
	mp := waitDestReady(h, b)
	dst := h.AddConsumer(rigDest)
	f.Fuzz(func(t *testing.T, kind uint8, msg []byte) {
		var handled bool
		if err := h.Proc.Do(func() { handled = deliver(b, kind%fuzzKinds, msg) }); err != nil {
			t.Fatal(err)
		}
		src.Offer(3000)
		for range 4 {
			h.Cycle()
		}
		dst.A.Poll(16)
		if !handled {
			return
		}
		if err := b.Err(); err != nil {
			t.Fatalf("kind %d: %v", kind%fuzzKinds, err)
		}
		if mp.sink.claim != nil && !mp.asm.active {
			t.Fatal("a destination slot open with no frame in assembly")
		}
	})
}

// deliver hands msg to the handler of kind as its stream's route would: control-plane
// handlers only get messages whose header reads. Duty cycle.
func deliver(b *Bridge, kind uint8, msg []byte) bool {
	r, s := b.receiver, b.sender
	if kind == fuzzChunk {
		r.onChunk(msg, nil)
		return true
	}
	h, err := wire.PeekHeader(msg)
	if err != nil {
		return false
	}
	switch kind {
	case fuzzAnnounce:
		r.onAnnounce(msg, h, nil)
	case fuzzControl:
		r.onControl(msg, h, nil)
	case fuzzMetadata:
		r.onMetadata(msg, h, nil)
	case fuzzSourceAnnounce:
		s.forwardAnnounce(msg, h, nil)
	case fuzzSourceControl:
		s.forwardControl(msg, h, nil)
	case fuzzSourceMetadata:
		s.forwardMetadata(msg, h, nil)
	}
	return true
}

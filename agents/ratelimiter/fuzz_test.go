package ratelimiter

import (
	"testing"

	"github.com/tensorpool/tensorpool/agents/internal/remat"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/wire"
)

// Kinds of message FuzzRateLimiterMessages hands over: one per handler of control-plane
// input.
const (
	fuzzDriverControl = iota // the driver's control stream: the destination consumers' hellos
	fuzzMetadata             // the source metadata stream
	fuzzProgress             // the source control stream: FrameProgress
	fuzzQos                  // the source QoS stream
	fuzzKinds
)

// FuzzRateLimiterMessages hands arbitrary messages to every handler of a running rate
// limiter's control-plane input, forwarding of all kinds on, while it republishes the
// source's frames: nothing panics, no failure is reported, and the destination never
// fails. The seeds in
// testdata/fuzz/FuzzRateLimiterMessages are valid messages of each kind: a hello, metadata,
// progress and QoS of the host's streams.
func FuzzRateLimiterMessages(f *testing.F) {
	h, src, rl, dst := start(f, 100, func(cfg *config.RateLimiterConfig) {
		s := &cfg.RateLimiter
		s.ForwardProgress, s.SourceControlStreamID, s.DestControlStreamID = true, 1201, 2201
		s.ForwardQos, s.SourceQosStreamID, s.DestQosStreamID = true, 1202, 2202
	})
	mp := rl.mappings[0]
	f.Fuzz(func(t *testing.T, kind uint8, msg []byte) {
		var handled bool
		if err := h.Proc.Do(func() { handled = deliverMessage(rl, mp, kind%fuzzKinds, msg) }); err != nil {
			t.Fatal(err)
		}
		src.Offer(3000)
		h.Cycle()
		h.Cycle()
		dst.A.Poll(16)
		if !handled {
			return
		}
		if err := rl.Err(); err != nil {
			t.Fatalf("kind %d: %v", kind%fuzzKinds, err)
		}
		if st := mp.dest.State(); st == remat.Failed {
			t.Fatalf("kind %d: destination %v: %v", kind%fuzzKinds, st, mp.dest.Err())
		}
	})
}

// deliverMessage hands msg to the handler of kind as its stream's route would: only
// messages whose header reads. Duty cycle.
func deliverMessage(rl *RateLimiter, mp *mapping, kind uint8, msg []byte) bool {
	h, err := wire.PeekHeader(msg)
	if err != nil {
		return false
	}
	switch kind {
	case fuzzDriverControl:
		mp.onDriverControl(msg, h)
	case fuzzMetadata:
		rl.onMetadata(msg, h, nil)
	case fuzzProgress:
		rl.onProgress(msg, h, nil)
	case fuzzQos:
		rl.onQos(msg, h, nil)
	}
	return true
}

//go:build !race

package logbuffer

import (
	"testing"

	"github.com/tensorpool/tensorpool/transport"
)

// The hot paths must not allocate: per try-claim/commit, per offer, per poll, per assembled message.

func benchLogConfig() LogConfig {
	cfg := testLogConfig()
	cfg.TermLength = 4 << 20 // the reference's aeron:ipc?term-length=4m
	return cfg
}

func assertNoAllocs(t *testing.T, name string, f func()) {
	t.Helper()
	if n := testing.AllocsPerRun(2000, f); n != 0 {
		t.Errorf("%s: %v allocations per run, want 0", name, n)
	}
}

func TestTryClaimCommitDoesNotAllocate(t *testing.T) {
	log := newTestLog(t, benchLogConfig())
	concurrent := NewConcurrentPublisher(log, unlimited())
	var claim transport.Claim
	assertNoAllocs(t, "concurrent", func() {
		if concurrent.TryClaim(32, &claim) > 0 {
			claim.Buffer()[0] = 1
			claim.Commit()
		}
	})
	exclusive := NewExclusivePublisher(newTestLog(t, benchLogConfig()), unlimited())
	assertNoAllocs(t, "exclusive", func() {
		if exclusive.TryClaim(32, &claim) > 0 {
			claim.Abort()
		}
	})
}

func TestOfferDoesNotAllocate(t *testing.T) {
	msg := payload(256, 1)
	concurrent := NewConcurrentPublisher(newTestLog(t, benchLogConfig()), unlimited())
	assertNoAllocs(t, "concurrent", func() { concurrent.Offer(msg) })
	exclusive := NewExclusivePublisher(newTestLog(t, benchLogConfig()), unlimited())
	assertNoAllocs(t, "exclusive", func() { exclusive.Offer(msg) })
}

func TestPollDoesNotAllocate(t *testing.T) {
	log := newTestLog(t, benchLogConfig())
	pub := NewConcurrentPublisher(log, unlimited())
	for range 100 {
		pub.Offer(payload(100, 2))
		pub.Offer(payload(3*testMaxPayload, 3))
	}
	r := NewImageReader(log)
	var total int
	handler := func(msg []byte, h *transport.Header) { total += len(msg) + int(h.Position&1) }
	subscriberPosition := new(int64)
	r.Poll(log, subscriberPosition, handler, 1000) // warm up: the reassembly buffer grows once
	*subscriberPosition = 0
	assertNoAllocs(t, "image poll", func() {
		if r.Poll(log, subscriberPosition, handler, 10) == 0 {
			*subscriberPosition = 0
		}
	})
	assertNoAllocs(t, "block scan", func() { ScanTermBlock(log.Term(0), 0, 1<<20) })
}

func BenchmarkTryClaimCommit32B(b *testing.B) {
	pub := NewConcurrentPublisher(newTestLog(b, benchLogConfig()), unlimited())
	var claim transport.Claim
	b.ReportAllocs()
	for b.Loop() {
		if pub.TryClaim(32, &claim) > 0 {
			claim.Buffer()[0] = 1
			claim.Commit()
		}
	}
}

func BenchmarkExclusiveTryClaimCommit32B(b *testing.B) {
	pub := NewExclusivePublisher(newTestLog(b, benchLogConfig()), unlimited())
	var claim transport.Claim
	b.ReportAllocs()
	for b.Loop() {
		if pub.TryClaim(32, &claim) > 0 {
			claim.Buffer()[0] = 1
			claim.Commit()
		}
	}
}

func BenchmarkOffer256B(b *testing.B) {
	pub := NewConcurrentPublisher(newTestLog(b, benchLogConfig()), unlimited())
	msg := payload(256, 1)
	b.SetBytes(256)
	b.ReportAllocs()
	for b.Loop() {
		pub.Offer(msg)
	}
}

// BenchmarkPoll polls an image over a term full of 32-byte messages, 10 per poll.
func BenchmarkPoll(b *testing.B) {
	log := newTestLog(b, benchLogConfig())
	pub := NewExclusivePublisher(log, unlimited())
	msg := payload(32, 1)
	for filled := false; !filled; {
		filled = pub.Offer(msg) == transport.AdminAction // the term is full
	}
	r := NewImageReader(log)
	var total int
	handler := func(msg []byte, h *transport.Header) { total += int(msg[0]) }
	subscriberPosition := new(int64)
	fragments := 0
	b.ReportAllocs()
	for b.Loop() {
		fragments += r.Poll(log, subscriberPosition, handler, 10)
		if *subscriberPosition == int64(log.TermLength()) {
			*subscriberPosition = 0 // read the same term again
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(fragments), "ns/fragment")
}

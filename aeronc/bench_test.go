//go:build aeronc

package aeronc

import (
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/transport"
)

// The data path's costs in one goroutine, on the shared Java driver (no second core in
// play): a try-claim with its commit and an offer per 32-byte message, polls of batches,
// and one trivial call into libaeron; the timer stops while the other side catches up.
//
//	AERON_C_LIBRARY=... go test -tags aeronc -run '^$' -bench . ./aeronc/

const benchBatch = 1024

func benchPair(b *testing.B) (*Publication, *Subscription) {
	b.Helper()
	c, err := Connect(Config{Dir: drivertest.Dir(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	const channel = "aeron:ipc?term-length=16m"
	stream := nextStream()
	sub, err := transport.Await(b.Context(), c.AddSubscription(channel, stream))
	if err != nil {
		b.Fatal(err)
	}
	pub, err := transport.Await(b.Context(), c.AddExclusivePublication(channel, stream))
	if err != nil {
		b.Fatal(err)
	}
	for !pub.IsConnected() || !sub.IsConnected() {
		time.Sleep(time.Millisecond)
	}
	return pub.(*Publication), sub.(*Subscription)
}

func drain(sub *Subscription, want int) {
	got := 0
	for got < want {
		got += sub.Poll(func([]byte, *transport.Header) {}, benchBatch)
	}
}

func BenchmarkTryClaimCommit32B(b *testing.B) {
	pub, sub := benchPair(b)
	var claim transport.Claim
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for pub.TryClaim(32, &claim) <= 0 {
		}
		claim.Commit()
		if i%benchBatch == benchBatch-1 {
			b.StopTimer()
			drain(sub, benchBatch)
			b.StartTimer()
		}
	}
}

func BenchmarkOffer32B(b *testing.B) {
	pub, sub := benchPair(b)
	msg := make([]byte, 32)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for pub.Offer(msg) <= 0 {
		}
		if i%benchBatch == benchBatch-1 {
			b.StopTimer()
			drain(sub, benchBatch)
			b.StartTimer()
		}
	}
}

// BenchmarkPoll32B polls batches of 256 messages; ns/msg is the time per message.
func BenchmarkPoll32B(b *testing.B) {
	pub, sub := benchPair(b)
	msg := make([]byte, 32)
	handler := func([]byte, *transport.Header) {}
	const perPoll = 256
	messages := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for range perPoll {
			for pub.Offer(msg) <= 0 {
			}
		}
		b.StartTimer()
		for got := 0; got < perPoll; {
			got += sub.Poll(handler, perPoll)
		}
		messages += perPoll
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(messages), "ns/msg")
}

// BenchmarkPosition is one cgo call into libaeron that does almost nothing: the floor under
// every call above.
func BenchmarkPosition(b *testing.B) {
	pub, _ := benchPair(b)
	for b.Loop() {
		_ = pub.Position()
	}
}

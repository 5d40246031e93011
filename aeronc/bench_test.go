//go:build aeronc

package aeronc

import (
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/agents/consumer"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
)

// The data path's costs in one goroutine, on the shared Java driver (no second core in
// play), on the C client and, in the same command, on the pure-Go client (package aeron):
// a try-claim with its commit and an offer per 32-byte message, polls of batches, and a
// position read (for aeronc one trivial call into libaeron); the timer stops while the
// other side catches up. Both go through the transport interfaces.
//
//	AERON_C_LIBRARY=... go test -tags aeronc -run '^$' -bench . ./aeronc/

const benchBatch = 1024

// benchClients are the two backends every benchmark runs on.
var benchClients = []struct {
	name    string
	connect func(dir string) (transport.Client, error)
}{
	{"aeronc", func(dir string) (transport.Client, error) {
		c, err := Connect(Config{Dir: dir})
		if err != nil {
			return nil, err
		}
		return c, nil
	}},
	{"aeron", func(dir string) (transport.Client, error) {
		c, err := aeron.Connect(aeron.Config{Dir: dir})
		if err != nil {
			return nil, err
		}
		return c, nil
	}},
}

// onBothClients runs bench as a sub-benchmark per client, with a connected exclusive
// publication and a subscription of its own.
func onBothClients(b *testing.B, bench func(b *testing.B, pub transport.Publication, sub transport.Subscription)) {
	for _, client := range benchClients {
		b.Run(client.name, func(b *testing.B) {
			c, err := client.connect(drivertest.Dir(b))
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
			bench(b, pub, sub)
		})
	}
}

func drain(sub transport.Subscription, want int) {
	got := 0
	for got < want {
		got += sub.Poll(func([]byte, *transport.Header) {}, benchBatch)
	}
}

func BenchmarkTryClaimCommit32B(b *testing.B) { onBothClients(b, benchTryClaimCommit32B) }

func benchTryClaimCommit32B(b *testing.B, pub transport.Publication, sub transport.Subscription) {
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

func BenchmarkOffer32B(b *testing.B) { onBothClients(b, benchOffer32B) }

func benchOffer32B(b *testing.B, pub transport.Publication, sub transport.Subscription) {
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
func BenchmarkPoll32B(b *testing.B) { onBothClients(b, benchPoll32B) }

func benchPoll32B(b *testing.B, pub transport.Publication, sub transport.Subscription) {
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

// BenchmarkPollOneMessage32B polls with a fragment limit of 1: the cost of a Poll that
// finds one message, as a consumer keeping up with its producer meets it.
func BenchmarkPollOneMessage32B(b *testing.B) { onBothClients(b, benchPollOneMessage32B) }

func benchPollOneMessage32B(b *testing.B, pub transport.Publication, sub transport.Subscription) {
	msg := make([]byte, 32)
	handler := func([]byte, *transport.Header) {}
	const perRound = 256
	messages := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for range perRound {
			for pub.Offer(msg) <= 0 {
			}
		}
		b.StartTimer()
		for got := 0; got < perRound; {
			got += sub.Poll(handler, 1)
		}
		messages += perRound
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(messages), "ns/msg")
}

// BenchmarkPosition is, on aeronc, one cgo call into libaeron that does almost nothing: the
// floor under every call above (on the pure-Go client, a load).
func BenchmarkPosition(b *testing.B) {
	onBothClients(b, func(b *testing.B, pub transport.Publication, _ transport.Subscription) {
		for b.Loop() {
			_ = pub.Position()
		}
	})
}

// BenchmarkFrameRoundTrip64B is tensorpool's frame path over each client in one
// goroutine: a standalone producer publishes a frame (claim, copy, commit, descriptor
// offered on an exclusive IPC publication) and a consumer polls its descriptor and reads
// the frame from the mapped regions (tp-bench's geometry). One goroutine keeps cross-core
// transfers out of it, so the two clients' ns/frame compare the frame path's cost on each
// where tp-bench's two-goroutine rates swing with this VM's state.
func BenchmarkFrameRoundTrip64B(b *testing.B) {
	onBothClients(b, func(b *testing.B, pub transport.Publication, sub transport.Subscription) {
		benchFrameRoundTrip(b, pub, sub, 64, 4096, 1024)
	})
}

// BenchmarkFrameRoundTrip640KiB is BenchmarkFrameRoundTrip64B's loop with 640 KiB frames.
func BenchmarkFrameRoundTrip640KiB(b *testing.B) {
	onBothClients(b, func(b *testing.B, pub transport.Publication, sub transport.Subscription) {
		benchFrameRoundTrip(b, pub, sub, 640<<10, 1<<20, 64)
	})
}

func benchFrameRoundTrip(b *testing.B, pub transport.Publication, sub transport.Subscription, size int, stride, nslots uint32) {
	base := "/dev/shm"
	if _, err := os.Stat(base); err != nil {
		base = os.TempDir()
	}
	dir, err := os.MkdirTemp(base, "tp-aeronc-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	layout := producer.Layout{StreamID: 1, Epoch: 1, Nslots: nslots, Pools: []producer.PoolSpec{{PoolID: 1, StrideBytes: stride}}}
	regions, err := producer.CreateStandalone(producer.StandaloneConfig{BaseDir: dir, Namespace: "bench", InstanceID: "aeronc", Layout: layout})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { regions.Remove() })
	p, err := producer.New(regions, producer.Config{ProducerID: 1, Descriptors: pub})
	if err != nil {
		b.Fatal(err)
	}
	var frames, sum, retries uint64
	c, err := consumer.New(consumer.Config{StreamID: layout.StreamID, ConsumerID: 1, AllowedBaseDirs: []string{dir}}, func(f *consumer.Frame) {
		sum += binary.LittleEndian.Uint64(f.Payload)
		if f.Valid() {
			frames++
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	announce, err := regions.Announce(1)
	if err != nil {
		b.Fatal(err)
	}
	announce.AnnounceTimestampNs = uint64(clock.Now().Nanos())
	if _, err := c.ApplyAnnounce(&announce); err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, size)
	tensor := &shm.TensorHeader{Dtype: shm.DtypeUint8, MajorOrder: shm.MajorOrderRow, Ndims: 1, Dims: [shm.MaxDims]int32{int32(size)}}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i++; i%4096 == 0 {
			p.DoWork(clock.Now().Nanos()) // the activity timestamp a consumer checks
		}
		binary.LittleEndian.PutUint64(payload, uint64(i))
		// The media driver moves the publication's limit on its own thread: one that
		// waits for a CPU back-pressures the descriptor, and the frame is offered again.
		for r := p.Offer(payload, tensor); r != producer.OK; r = p.Offer(payload, tensor) {
			if r != producer.DropBackPressured && r != producer.DropAdminAction {
				b.Fatalf("frame %d: %v", i, r)
			}
			retries++
		}
		for c.Reader().Poll(sub, 10) == 0 {
		}
	}
	if frames != uint64(i) {
		b.Fatalf("%d of %d frames read intact: %+v", frames, i, c.Counters())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/frame")
	b.ReportMetric(float64(retries), "retries")
}

package consumer

import (
	"testing"

	"github.com/tensorpool/tensorpool/agents/producer"
)

// benchmarkRoundTrip publishes a frame and polls it back in one goroutine over /dev/shm
// mappings: the whole data path, descriptor log included, without cross-core effects.
// The handler reads one byte per 4 KiB page so the payload is actually touched.
func benchmarkRoundTrip(b *testing.B, size int, stride uint32) {
	l := producer.Layout{StreamID: 1, Epoch: 1, Nslots: 64, Pools: []producer.PoolSpec{{PoolID: 1, StrideBytes: stride}}}
	pipe := newPipe(b)
	var sink byte
	p, _, c := mmapPair(b, l, pipe, func(f *Frame) {
		for i := 0; i < len(f.Payload); i += 4096 {
			sink += f.Payload[i]
		}
		f.Valid()
	})
	payload := make([]byte, size)
	tensor := vector(size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if res := p.Offer(payload, tensor); res != producer.OK {
			b.Fatal(res)
		}
		c.rd.Poll(pipe, 10)
	}
	for c.rd.Poll(pipe, 10) > 0 { // a poll stops at a term's end padding, so a few may remain
	}
	b.StopTimer()
	if cs := c.Counters(); cs.Frames != uint64(b.N) {
		b.Fatalf("%d of %d frames accepted: %+v", cs.Frames, b.N, cs)
	}
	_ = sink
}

func BenchmarkRoundTrip640KiB(b *testing.B) { benchmarkRoundTrip(b, 640<<10, 1<<20) }
func BenchmarkRoundTrip64B(b *testing.B)    { benchmarkRoundTrip(b, 64, 4096) }

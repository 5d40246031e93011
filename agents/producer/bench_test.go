package producer

import (
	"os"
	"testing"

	"github.com/tensorpool/tensorpool/shm"
)

// shmRegions creates standalone regions under /dev/shm (falling back to the temp dir) and
// removes them when the test ends.
func shmRegions(tb testing.TB, l Layout) *Regions {
	tb.Helper()
	base := "/dev/shm"
	if _, err := os.Stat(base); err != nil {
		base = os.TempDir()
	}
	dir, err := os.MkdirTemp(base, "tp-producer-test-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	r, err := CreateStandalone(StandaloneConfig{BaseDir: dir, Namespace: "ns", InstanceID: "bench", Layout: l})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Remove() })
	return r
}

func benchLayout(stride uint32) Layout {
	return Layout{StreamID: 1, Epoch: 1, Nslots: 64, Pools: []PoolSpec{{PoolID: 1, StrideBytes: stride}}}
}

// drainEvery keeps the descriptor log from back-pressuring: the pipe's window holds a few
// hundred descriptors.
const drainEvery = 128

func benchmarkPublish(b *testing.B, size int, stride uint32) {
	r := shmRegions(b, benchLayout(stride))
	pipe := newPipe(b)
	p, err := New(r, Config{Descriptors: pipe})
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i)
	}
	tensor := vector(size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if res := p.Offer(payload, tensor); res != OK {
			b.Fatalf("frame %d: %v", i, res)
		}
		if i%drainEvery == drainEvery-1 {
			pipe.Drain()
		}
	}
}

// benchmarkMemcpy is the physical limit of the publish path: the same payload copied into
// the same pool's slots in the same order, with nothing else.
func benchmarkMemcpy(b *testing.B, size int, stride uint32) {
	l := benchLayout(stride)
	r := shmRegions(b, l)
	pool, err := shm.NewPayloadPool(r.pools[0].Bytes(), shm.PoolGeometry{PoolID: 1, Nslots: l.Nslots, StrideBytes: stride})
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		slot, _ := pool.Slot(uint32(i) & (l.Nslots - 1))
		copy(slot, payload)
	}
}

func BenchmarkPublishFrame640KiB(b *testing.B)   { benchmarkPublish(b, 640<<10, 1<<20) }
func BenchmarkBaselineMemcpy640KiB(b *testing.B) { benchmarkMemcpy(b, 640<<10, 1<<20) }
func BenchmarkPublishFrame64B(b *testing.B)      { benchmarkPublish(b, 64, 4096) }
func BenchmarkBaselineMemcpy64B(b *testing.B)    { benchmarkMemcpy(b, 64, 4096) }

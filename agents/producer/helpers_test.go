package producer

import (
	"testing"

	"github.com/tensorpool/tensorpool/agents/internal/tptest"
	monotonic "github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/wire"
)

func testLayout() Layout {
	return Layout{StreamID: 7, Epoch: 3, Nslots: 8, Pools: []PoolSpec{{PoolID: 2, StrideBytes: 64 << 10}, {PoolID: 1, StrideBytes: 4096}}}
}

// heapRegions lays a layout out in heap memory, visible to the race detector.
func heapRegions(t testing.TB, l Layout) *Regions {
	t.Helper()
	header, err := tptest.HeapRegion(l.HeaderSuperblock())
	if err != nil {
		t.Fatal(err)
	}
	var pools []shm.Region
	for i := range l.Pools {
		p, err := tptest.HeapRegion(l.PoolSuperblock(i))
		if err != nil {
			t.Fatal(err)
		}
		pools = append(pools, p)
	}
	r, err := NewRegions(l, header, pools)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// newPipe is an in-memory stream, closed when the test ends.
func newPipe(t testing.TB) *mem.Pipe {
	t.Helper()
	p, err := mem.NewPipe(mem.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

type fakeClock struct{ now int64 }

func (c *fakeClock) Now() monotonic.Mono { return monotonic.Mono(c.now) }

func newTestProducer(t testing.TB, l Layout, cfg Config) (*Producer, *Regions, *mem.Pipe) {
	t.Helper()
	r := heapRegions(t, l)
	pipe := newPipe(t)
	if cfg.Descriptors == nil {
		cfg.Descriptors = pipe
	}
	p, err := New(r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p, r, pipe
}

// collect polls every message from pipe and returns copies.
func collect(pipe *mem.Pipe) [][]byte {
	var out [][]byte
	for pipe.Poll(func(msg []byte, _ *transport.Header) { out = append(out, append([]byte(nil), msg...)) }, 100) > 0 {
	}
	return out
}

func decodeDescriptor(t testing.TB, buf []byte) wire.FrameDescriptor {
	t.Helper()
	var d wire.FrameDescriptor
	if err := d.Decode(buf); err != nil {
		t.Fatalf("not a FrameDescriptor: %v", err)
	}
	return d
}

func vector(n int) *shm.TensorHeader {
	return &shm.TensorHeader{Dtype: shm.DtypeUint8, MajorOrder: shm.MajorOrderRow, Ndims: 1, Dims: [shm.MaxDims]int32{int32(n)}}
}

func slotOf(t testing.TB, r *Regions, i uint32) shm.HeaderSlot {
	t.Helper()
	ring, err := shm.NewHeaderRing(r.header.Bytes(), r.layout.Nslots)
	if err != nil {
		t.Fatal(err)
	}
	s, d := ring.Slot(i)
	if d != shm.DropNone {
		t.Fatal(d)
	}
	return s
}

// refusing is a publication that refuses every message with one Aeron code, after letting
// through the first pass messages to the publication it wraps (nil when pass is 0).
type refusing struct {
	transport.Publication
	code int64
	pass int
}

func (r *refusing) TryClaim(n int, c *transport.Claim) int64 {
	if r.pass > 0 {
		r.pass--
		return r.Publication.TryClaim(n, c)
	}
	return r.code
}

func (r *refusing) Offer(msg []byte) int64 {
	if r.pass > 0 {
		r.pass--
		return r.Publication.Offer(msg)
	}
	return r.code
}

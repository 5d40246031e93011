package consumer

import (
	"encoding/binary"
	"testing"

	"github.com/tensorpool/tensorpool/agents/internal/tptest"
	"github.com/tensorpool/tensorpool/agents/producer"
	monotonic "github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/wire"
)

type fakeClock struct{ now int64 }

func (c *fakeClock) Now() monotonic.Mono { return monotonic.Mono(c.now) }

const rigNow = 1_000_000_000_000

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

func rigLayout() producer.Layout {
	return producer.Layout{StreamID: 7, Epoch: 3, Nslots: 8, Pools: []producer.PoolSpec{{PoolID: 1, StrideBytes: 4096}, {PoolID: 2, StrideBytes: 64 << 10}}}
}

// announceFor describes a layout as a producer would announce it at nowNs.
func announceFor(l producer.Layout, headerURI string, poolURIs []string, nowNs int64) *wire.ShmPoolAnnounce {
	a := &wire.ShmPoolAnnounce{
		StreamID: l.StreamID, ProducerID: 1, Epoch: l.Epoch, AnnounceTimestampNs: uint64(nowNs),
		AnnounceClockDomain: wire.ClockMonotonic, LayoutVersion: shm.LayoutVersion,
		HeaderNslots: l.Nslots, HeaderSlotBytes: shm.HeaderSlotSize, HeaderRegionURI: headerURI,
	}
	for i, p := range l.Pools {
		a.PayloadPools = append(a.PayloadPools, wire.PayloadPool{PoolID: p.PoolID, PoolNslots: l.Nslots, StrideBytes: p.StrideBytes, RegionURI: poolURIs[i]})
	}
	return a
}

// rig is a consumer attached to heap regions that the test writes with the shm package
// directly, so every field of a slot can be crafted.
type rig struct {
	t      testing.TB
	layout producer.Layout
	clock  *fakeClock
	ring   *shm.HeaderRing
	pools  map[uint16]*shm.PayloadPool
	c      *Consumer
	got    []Frame
	// onFrame, when set, runs inside the handler (after the frame is recorded).
	onFrame func(*Frame)
}

func newRig(t testing.TB) *rig {
	t.Helper()
	r := &rig{t: t, layout: rigLayout(), clock: &fakeClock{now: rigNow}, pools: map[uint16]*shm.PayloadPool{}}
	c, err := New(Config{StreamID: 7, ConsumerID: 11, Clock: r.clock.Now}, func(f *Frame) {
		r.got = append(r.got, *f)
		if r.onFrame != nil {
			r.onFrame(f)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	r.c = c
	t.Cleanup(c.Close)
	r.attach()
	return r
}

// attach (re)creates heap regions for r.layout and attaches the consumer to them.
func (r *rig) attach() {
	r.t.Helper()
	l := r.layout
	hsb := l.HeaderSuperblock()
	hsb.ActivityTimestampNs = uint64(r.clock.now)
	header, err := tptest.HeapRegion(hsb)
	if err != nil {
		r.t.Fatal(err)
	}
	regions := []shm.Region{header}
	var uris []string
	for i, p := range l.Pools {
		sb := l.PoolSuperblock(i)
		sb.ActivityTimestampNs = uint64(r.clock.now)
		region, err := tptest.HeapRegion(sb)
		if err != nil {
			r.t.Fatal(err)
		}
		regions = append(regions, region)
		uris = append(uris, "shm:file?path=/heap/pool")
		view, _ := shm.NewPayloadPool(region.Bytes(), shm.PoolGeometry{PoolID: p.PoolID, Nslots: l.Nslots, StrideBytes: p.StrideBytes})
		r.pools[p.PoolID] = view
	}
	r.ring, _ = shm.NewHeaderRing(header.Bytes(), l.Nslots)
	if err := r.c.AttachRegions(announceFor(l, "shm:file?path=/heap/header", uris, r.clock.now), regions); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) slot(seq uint64) shm.HeaderSlot {
	s, _ := r.ring.Slot(r.ring.HeaderIndex(seq))
	return s
}

// write commits a valid frame for seq: payload bytes = byte(seq), a 1-D UINT8 tensor.
func (r *rig) write(seq uint64, n int, poolID uint16) {
	idx := r.ring.HeaderIndex(seq)
	s := r.slot(seq)
	s.BeginWrite(seq)
	payload, _ := r.pools[poolID].Slot(idx)
	for i := range n {
		payload[i] = byte(seq)
	}
	h := shm.SlotHeader{ValuesLenBytes: uint32(n), PayloadSlot: idx, PoolID: poolID, TimestampNs: seq + 100, MetaVersion: 5}
	t := shm.TensorHeader{Dtype: shm.DtypeUint8, MajorOrder: shm.MajorOrderRow, Ndims: 1, Dims: [shm.MaxDims]int32{int32(n)}}
	s.EncodeHeader(&h, &t)
	s.Commit(seq)
}

func (r *rig) descriptor(seq uint64) *wire.FrameDescriptor {
	return &wire.FrameDescriptor{StreamID: r.layout.StreamID, Epoch: r.layout.Epoch, Seq: seq, HeaderIndex: r.ring.HeaderIndex(seq), TimestampNs: seq + 100, MetaVersion: 5}
}

func encode(d *wire.FrameDescriptor) []byte { return encoded(d) }

// message is a typed message of package wire.
type message interface {
	EncodedLength() int
	Encode(buf []byte) (int, error)
}

// encoded returns m's encoding.
func encoded(m message) []byte {
	buf := make([]byte, m.EncodedLength())
	if _, err := m.Encode(buf); err != nil {
		panic(err)
	}
	return buf
}

// announceBytes encodes the ShmPoolAnnounce of r's regions, from producerID at ts.
func announceBytes(t testing.TB, r *producer.Regions, producerID uint32, ts uint64) []byte {
	t.Helper()
	a, err := r.Announce(producerID)
	if err != nil {
		t.Fatal(err)
	}
	a.AnnounceTimestampNs = ts
	return encoded(&a)
}

// deliver sends the descriptor for seq and returns the verdict.
func (r *rig) deliver(seq uint64) Drop { return r.c.rd.HandleDescriptor(encode(r.descriptor(seq))) }

// headerBytes maps the header ring of r read-write, as its producer sees it.
func headerBytes(t *testing.T, r *producer.Regions) []byte {
	t.Helper()
	policy, err := shm.NewPathPolicy(r.EpochDir())
	if err != nil {
		t.Fatal(err)
	}
	l := r.Layout()
	region, err := shm.OpenURI(policy, r.HeaderURI(), shm.OpenOptions{Access: shm.ReadWrite, Expect: l.HeaderSuperblock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { region.Close() })
	return region.Bytes()
}

func binaryPutPid(sb []byte, pid uint64) { binary.LittleEndian.PutUint64(sb[40:], pid) }

package consumer

import (
	"errors"
	"testing"

	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// trackedRegion lends a producer's heap region to a consumer and records when the
// consumer lets go of it.
type trackedRegion struct {
	b      []byte
	closed *int
}

func (r trackedRegion) Bytes() []byte { return r.b }
func (r trackedRegion) Close() error  { *r.closed++; return nil }

// epochRig is a producer of one epoch over heap regions, publishing on a pipe the
// consumer polls, and the number of that epoch's regions the consumer released.
type epochRig struct {
	layout   producer.Layout
	producer *producer.Producer
	regions  []shm.Region
	released int
}

func newEpochRig(t *testing.T, epoch uint64, pipe transport.Publication) *epochRig {
	t.Helper()
	l := rigLayout()
	l.Epoch = epoch
	h := heapProducerRegions(t, l)
	p, err := producer.New(h.r, producer.Config{Descriptors: pipe})
	if err != nil {
		t.Fatal(err)
	}
	e := &epochRig{layout: l, producer: p}
	for _, r := range h.regions {
		e.regions = append(e.regions, trackedRegion{b: r.Bytes(), closed: &e.released})
	}
	return e
}

// attach maps e's epoch in c.
func (e *epochRig) attach(t *testing.T, c *Consumer) {
	t.Helper()
	a := announceFor(e.layout, "shm:file?path=/heap/h", []string{"shm:file?path=/heap/1", "shm:file?path=/heap/2"}, clock.Now().Nanos())
	if err := c.AttachRegions(a, e.regions); err != nil {
		t.Fatal(err)
	}
}

func (e *epochRig) publish(t *testing.T, n int) {
	t.Helper()
	for range n {
		if res := e.producer.Offer(make([]byte, 100), vector(100)); res != producer.OK {
			t.Fatal(res)
		}
	}
}

func newViewConsumer(t *testing.T, handler FrameHandler) *Consumer {
	t.Helper()
	c, err := New(Config{StreamID: 7, ConsumerID: 11}, handler)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestDriverSpec_4_9_DrainReadsThePublishedDescriptorsFirst: once the stream's producer
// lease has ended, the control side stops mapping its epoch at once, but the Reader's
// next Poll first reads out every descriptor already published for it, whatever the
// fragment limit; later ones are dropped, the regions are released only after the Reader
// moved on, and the successor epoch maps as usual.
func TestDriverSpec_4_9_DrainReadsThePublishedDescriptorsFirst(t *testing.T) {
	pipe := newPipe(t)
	var frames []uint64
	c := newViewConsumer(t, func(f *Frame) { frames = append(frames, f.Epoch<<32|f.Seq) })
	e3 := newEpochRig(t, 3, pipe)
	e3.attach(t, c)
	e3.publish(t, 5)
	revoked := encoded(&wire.ShmLeaseRevoked{LeaseID: 9, StreamID: 7, ClientID: 1, Role: wire.RoleProducer, Reason: wire.RevokeDetached})
	if err := c.HandleControl(revoked); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Mapped(); ok {
		t.Fatal("still mapped after the producer's lease ended")
	}
	if n := c.rd.Poll(pipe, 1); n != 5 || len(frames) != 5 || frames[4] != 3<<32|4 {
		t.Fatalf("the drain read %d descriptors, frames %x", n, frames)
	}
	c.Counters() // the control side sees the drain done and withdraws the order
	if e3.released != 0 {
		t.Fatal("the drained regions were released before the Reader moved on")
	}
	e3.publish(t, 1)
	if d := c.rd.Poll(pipe, 10); d != 1 || len(frames) != 5 {
		t.Fatalf("a descriptor after the drain: %d read, %d frames", d, len(frames))
	}
	k := c.Counters()
	if e3.released != len(e3.regions) || k.Drops[DropNotMapped] != 1 || k.Unmaps != 1 {
		t.Fatalf("%d of %d regions released, counters %+v", e3.released, len(e3.regions), k)
	}
	e4 := newEpochRig(t, 4, pipe)
	e4.attach(t, c)
	e4.publish(t, 1)
	if c.rd.Poll(pipe, 10); len(frames) != 6 || frames[5] != 4<<32 {
		t.Fatalf("frames %x after the successor epoch", frames)
	}
}

// A revocation of another stream's producer, or of a consumer, drains nothing.
func TestDriverSpec_4_9_OnlyTheStreamsProducerDrains(t *testing.T) {
	c := newViewConsumer(t, func(*Frame) {})
	newEpochRig(t, 3, newPipe(t)).attach(t, c)
	for _, r := range []wire.ShmLeaseRevoked{
		{StreamID: 8, Role: wire.RoleProducer, Reason: wire.RevokeExpired},
		{StreamID: 7, Role: wire.RoleConsumer, Reason: wire.RevokeExpired},
	} {
		if err := c.HandleControl(encoded(&r)); err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Mapped(); !ok {
			t.Fatalf("%+v unmapped the stream", r)
		}
	}
}

// TestWireSpec_15_21_NewEpochDescriptorsWaitForItsMapping: a producer's first
// descriptors of a new epoch can reach the Reader before the control side has mapped the
// epoch from its announce; Poll holds them and reads them once it is mapped, and drops
// descriptors of older epochs at once.
func TestWireSpec_15_21_NewEpochDescriptorsWaitForItsMapping(t *testing.T) {
	pipe := newPipe(t)
	var frames []uint64
	c := newViewConsumer(t, func(f *Frame) { frames = append(frames, f.Epoch<<32|f.Seq) })
	e3 := newEpochRig(t, 3, pipe)
	e3.attach(t, c)
	e4 := newEpochRig(t, 4, pipe)
	e4.publish(t, 3)
	if c.rd.Poll(pipe, 10); len(frames) != 0 || c.Counters().Drops != ([DropCount]uint64{}) {
		t.Fatalf("frames %x, counters %+v before epoch 4 was mapped", frames, c.Counters())
	}
	e4.attach(t, c)
	e3.publish(t, 1) // the old epoch, after the new one mapped
	c.rd.Poll(pipe, 10)
	k := c.Counters()
	if len(frames) != 3 || frames[0] != 4<<32 || frames[2] != 4<<32|2 || k.Drops[DropEpochMismatch] != 1 {
		t.Fatalf("frames %x, counters %+v", frames, k)
	}
}

// At most maxHeldDescriptors wait for their epoch: the oldest gives way, counted as not
// mapped.
func TestHeldDescriptorsAreBounded(t *testing.T) {
	c := newViewConsumer(t, func(*Frame) {})
	newEpochRig(t, 3, newPipe(t)).attach(t, c)
	rd := c.rd
	rd.adopt(nil, false)
	rd.polling = true
	for seq := range uint64(maxHeldDescriptors + 6) {
		rd.read(&wire.FrameDescriptor{StreamID: 7, Epoch: 5, Seq: seq})
	}
	rd.polling = false
	rd.publish()
	if rd.held.size != maxHeldDescriptors || c.Counters().Drops[DropNotMapped] != 6 || rd.held.ring[rd.held.first].Seq != 6 {
		t.Fatalf("%d held from seq %d, counters %+v", rd.held.size, rd.held.ring[rd.held.first].Seq, c.Counters())
	}
}

// TestRemapReleasesTheOldEpochOnlyAfterTheReaderMoved: a new epoch replaces the mapped
// one at once for the control side, but the old regions stay mapped until the Reader has
// adopted the new view: a frame it is reading can never lose its memory.
func TestRemapReleasesTheOldEpochOnlyAfterTheReaderMoved(t *testing.T) {
	pipe := newPipe(t)
	c := newViewConsumer(t, func(*Frame) {})
	e3, e4 := newEpochRig(t, 3, pipe), newEpochRig(t, 4, pipe)
	e3.attach(t, c)
	c.rd.Poll(pipe, 10)
	e4.attach(t, c)
	for range 3 {
		c.Counters()
	}
	if e3.released != 0 {
		t.Fatal("the old epoch was released while the Reader could still read it")
	}
	c.rd.Poll(pipe, 10)
	c.Counters()
	if e3.released != len(e3.regions) || e4.released != 0 {
		t.Fatalf("released %d of epoch 3, %d of epoch 4", e3.released, e4.released)
	}
}

// TestWireSpec_15_22_RejectedEpochKeepsTheMappedOne: regions of a newer epoch are
// validated and mapped before the mapped epoch is let go, so an announce whose regions
// fail validation (forged, or wrong) costs the mapped epoch none of its frames.
func TestWireSpec_15_22_RejectedEpochKeepsTheMappedOne(t *testing.T) {
	allowed, other := t.TempDir(), t.TempDir()
	clock := &fakeClock{now: rigNow}
	in, out := standalone(t, allowed, 3), standalone(t, other, 4)
	pipe := newPipe(t)
	p, err := producer.New(in, producer.Config{Descriptors: pipe})
	if err != nil {
		t.Fatal(err)
	}
	var frames int
	c, err := New(Config{StreamID: 7, Clock: clock.Now, AllowedBaseDirs: []string{allowed}}, func(*Frame) { frames++ })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	c.SetJoinTime(0)
	if err := c.HandleControl(wireAnnounce(t, in, rigNow)); err != nil {
		t.Fatal(err)
	}
	if err := c.HandleControl(wireAnnounce(t, out, rigNow)); !errors.Is(err, shm.ErrPathOutsideBase) {
		t.Fatalf("announce of regions outside the allowed base: %v", err)
	}
	if epoch, ok := c.Mapped(); !ok || epoch != 3 {
		t.Fatalf("mapped %d %v after the rejected announce", epoch, ok)
	}
	if res := p.Offer(make([]byte, 100), vector(100)); res != producer.OK {
		t.Fatal(res)
	}
	c.rd.Poll(pipe, 10)
	if k := c.Counters(); frames != 1 || k.Unmaps != 0 || k.Rejections != 1 {
		t.Fatalf("%d frames after the rejected announce, counters %+v", frames, k)
	}
}

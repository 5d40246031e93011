package consumer

import (
	"errors"
	"runtime/debug"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/internal/handoff"
	"github.com/tensorpool/tensorpool/internal/ordered"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// Reader is a consumer's data path: it turns FrameDescriptors into frames read under the
// slot's seqlock from the mapping its Consumer handed over last, and calls the handler.
// It never waits and shares no lock with the control side: the mapping, the §4.9 drain
// order, the descriptor subscription and the rate cap arrive as one immutable view,
// taken with one atomic load per call when nothing changed, and what the Reader counts
// is published with release stores for the control side and other goroutines to load.
//
// A Reader is used by one goroutine at a time (or calls the caller serialises), which
// may differ from the one running its Consumer.
type Reader struct {
	streamID uint32
	clock    func() clock.Mono
	handler  FrameHandler

	views   handoff.Taker[*view]
	v       *view    // the view adopted last
	m       *mapping // the mapping frames are read from: v.m, v.drain while draining, nil after a fault
	gen     uint64   // m.gen, 0 without m
	drained *mapping // the last drain order carried out
	seqs    seqTracker
	rate    rateGate
	// maxEpoch is the highest epoch the Reader read frames of (mapped, drained or given
	// up). While polling, descriptors of a higher epoch are held until the control side
	// maps it: they are published once the producer has its grant, when the announce is
	// on its way, and the duty cycle may map it a little after the descriptors arrive.
	maxEpoch uint64
	polling  bool
	held     heldDescriptors

	desc  wire.FrameDescriptor
	frame Frame
	// handed: frame is the one handed to the handler last (a later descriptor that passed
	// validation but was overwritten before the handler ran has not replaced it).
	handed   bool
	header   shm.SlotHeader
	tensor   tensorVerdict
	counters readCounters // the Reader's own; published to shared at the end of each call
	dropped  bool         // counters other than Frames, Bytes and LastSeq changed since the last publish
	shared   readCounters // stored with ordered.StoreUint64, loaded with sync/atomic
	newest   newestSeq

	// faulted is the last mapping the Reader gave up because reading it faulted; faultErr
	// the fault, until someone reports it.
	faulted  atomic.Pointer[mapping]
	faultErr atomic.Pointer[RegionFaultError]

	onFragment transport.Handler
}

// readCounters are the Counters the Reader keeps.
type readCounters struct {
	Frames, Bytes, Ignored, DropsGap, DropsLate, Resyncs, LastSeq uint64
	Drops                                                         [DropCount]uint64
}

func newReader(cfg *Config, handler FrameHandler, views *handoff.Box[*view]) *Reader {
	r := &Reader{streamID: cfg.StreamID, clock: cfg.Clock, handler: handler, views: handoff.NewTaker(views),
		seqs: seqTracker{maxGap: cfg.MaxOutstandingSeqGap}, held: heldDescriptors{ring: make([]wire.FrameDescriptor, maxHeldDescriptors)}}
	r.onFragment = func(msg []byte, _ *transport.Header) { r.handle(msg) }
	return r
}

// maxDrainedDescriptors bounds the descriptors read out of an epoch whose producer's
// lease ended: more than any ring holds, since later ones would find their slots
// overwritten anyway.
const maxDrainedDescriptors = 1 << 16

// Poll reads up to fragmentLimit descriptors from sub and handles each one; a drain order
// adopted on the way first reads out what sub holds of the drained epoch (Driver spec
// §4.9). Descriptors of an epoch newer than any the Reader read are held (up to
// maxHeldDescriptors, the oldest giving way) until the control side maps that epoch, then
// read with it; an older one is dropped. It returns the descriptors read. A truncated
// region found on the way is given up as HandleDescriptor says.
func (r *Reader) Poll(sub transport.Subscription, fragmentLimit int) int {
	r.polling = true
	n := 0
	if r.views.Fresh() {
		n = r.adopt(sub, false)
	}
	if r.held.size != 0 {
		r.release()
	}
	n += sub.Poll(r.onFragment, fragmentLimit)
	r.polling = false
	r.publish()
	return n
}

// pollView is Poll on the descriptor subscription of the view, for the Agent; without
// one it reads nothing.
func (r *Reader) pollView(fragmentLimit int) int {
	r.polling = true
	n := 0
	if r.views.Fresh() {
		n = r.adopt(nil, true)
	}
	if r.v != nil && r.v.descs != nil {
		if r.held.size != 0 {
			r.release()
		}
		n += r.v.descs.Poll(r.onFragment, fragmentLimit)
	}
	r.polling = false
	r.publish()
	return n
}

// HandleDescriptor runs the consumer flow of §8.3/§15.18 for one FrameDescriptor and, if
// every check passes, calls the handler. It returns the verdict (DropNone: accepted): a
// descriptor of an epoch not mapped is dropped at once, never held as in Poll.
// Messages that are not FrameDescriptors are counted as ignored and return DropNone.
// A memory fault inside the mapping, the handler's reads of the payload included, gives
// the mapping up and returns DropRegionTruncated; the Consumer then unmaps it and reports
// the fault from ControlError.
func (r *Reader) HandleDescriptor(buf []byte) Drop {
	r.polling = false // after a handler's panic ended a Poll
	if r.views.Fresh() {
		r.adopt(nil, false)
	}
	d := r.handle(buf)
	r.publish()
	return d
}

// FrameValid is Frame.Valid for a frame handed to the handler earlier and marked then
// (Frame.Mark), checked after the handler returned: false once the Reader no longer
// reads the frame's mapping. A header ring truncated since is given up as in
// HandleDescriptor and reports false.
func (r *Reader) FrameValid(m *FrameMark) (valid bool) {
	if m.m == nil || m.m != r.m {
		return false
	}
	prev := debug.SetPanicOnFault(true)
	defer r.recoverFault(prev)
	return m.slot.ReadEnd(m.word) == shm.DropNone
}

// LastFrameValid is FrameValid for the frame handed to the handler last, if it has
// sequence seq in header slot headerIndex; false for any other frame.
func (r *Reader) LastFrameValid(seq uint64, headerIndex uint32) bool {
	f := &r.frame
	if !r.handed || f.Seq != seq || f.HeaderIndex != headerIndex {
		return false
	}
	m := f.Mark()
	return r.FrameValid(&m)
}

// adopt takes the newest view. A drain order it carries for the first time is carried
// out at once, reading sub (or the view's own subscription with fromView; nil: nothing to
// read) until it holds no more descriptors: the control side releases the drained epoch
// once the Reader adopted a later view, so the read-out cannot wait for a later call. It
// returns the descriptors read.
func (r *Reader) adopt(sub transport.Subscription, fromView bool) int {
	v, changed, _ := r.views.Take()
	if !changed {
		return 0
	}
	r.v = v
	if v == nil {
		r.use(nil)
		return 0
	}
	if fromView {
		sub = v.descs
	}
	if v.ratePeriodNs != r.rate.periodNs {
		r.rate = rateGate{periodNs: v.ratePeriodNs}
	}
	n := 0
	if v.drain != nil && v.drain != r.drained {
		r.drained = v.drain
		if sub != nil {
			n = r.readOut(sub, v.drain)
		}
	}
	r.use(v.m)
	return n
}

// readOut reads the descriptors sub already holds with d as the mapping (Driver spec
// §4.9): a producer that detaches right after its last frames would otherwise lose them
// to every consumer that had not polled yet.
func (r *Reader) readOut(sub transport.Subscription, d *mapping) int {
	r.use(d)
	n := 0
	for n < maxDrainedDescriptors {
		more := sub.Poll(r.onFragment, 256)
		if more == 0 {
			break
		}
		n += more
	}
	return n
}

// use makes m the mapping frames are read from; a mapping given up on a fault is not
// used again. A new mapping restarts sequence tracking (§15.21: the epoch is a hard
// boundary).
func (r *Reader) use(m *mapping) {
	if m != nil && m == r.faulted.Load() {
		m = nil
	}
	if m != r.m {
		r.m, r.gen = m, 0
		r.seqs.reset()
		if m != nil {
			r.gen = m.gen
			r.maxEpoch = max(r.maxEpoch, m.epoch)
		}
	}
}

func (r *Reader) drop(d Drop) Drop {
	r.counters.Drops[d]++
	r.dropped = true
	if d.late() {
		r.counters.DropsLate++
	}
	return d
}

// handle is HandleDescriptor without taking a view or publishing.
func (r *Reader) handle(buf []byte) (d Drop) {
	d = DropRegionTruncated // the verdict if a fault ends the call: no return runs then
	prev := debug.SetPanicOnFault(true)
	defer func() { // recoverFault, written out: a closure costs less than a deferred call with arguments
		debug.SetPanicOnFault(prev)
		if rec := recover(); rec != nil {
			r.regionFault(rec)
		}
	}()
	isDesc, malformed := DecodeDescriptor(buf, &r.desc)
	if !isDesc {
		r.counters.Ignored++
		r.dropped = true
		return DropNone
	}
	if malformed != DropNone {
		return r.drop(malformed)
	}
	return r.read(&r.desc)
}

func (r *Reader) read(desc *wire.FrameDescriptor) Drop {
	if desc.StreamID != r.streamID {
		return r.drop(DropStreamMismatch)
	}
	m := r.m
	if m == nil || desc.Epoch != m.epoch {
		if r.polling && desc.Epoch > r.maxEpoch {
			r.hold(desc)
			return DropNone // not judged yet
		}
		if m == nil {
			return r.drop(DropNotMapped)
		}
		return r.drop(DropEpochMismatch)
	}
	step := r.seqs.observe(desc.Seq)
	r.counters.LastSeq = desc.Seq
	if step.regressed {
		return r.drop(DropSeqRegression)
	}
	if step.gap != 0 {
		r.counters.DropsGap += step.gap
		r.dropped = true
		if step.resync {
			r.counters.Resyncs++
		}
	}
	var nowNs int64
	if r.rate.periodNs > 0 {
		if nowNs = r.clock().Nanos(); !r.rate.open(nowNs) {
			return r.drop(DropRateLimited)
		}
	}
	idx := desc.HeaderIndex
	if desc.Version == wire.V1_2 {
		idx = m.ring.HeaderIndex(desc.Seq) // v1.2 names no slot (Wire spec v1.2 §10.2.1)
	}
	slot, res := m.ring.Slot(idx)
	if res != shm.DropNone {
		return r.drop(Drop(res))
	}
	first, res := slot.ReadBegin(desc.Seq)
	if res != shm.DropNone {
		return r.drop(Drop(res))
	}
	f := &r.frame
	slot.DecodeFixed(&r.header)
	r.tensor.read(slot)
	if d := r.validate(m, slot, idx, f); d != DropNone {
		// A header read while the producer overwrote it is late, not invalid.
		if slot.ReadEnd(first) != shm.DropNone {
			return r.drop(Drop(shm.DropChanged))
		}
		return r.drop(d)
	}
	r.handed = false
	f.StreamID, f.Epoch, f.Seq, f.HeaderIndex = desc.StreamID, desc.Epoch, desc.Seq, idx
	f.Version, f.TraceID, f.PublishTimeNs = desc.Version, desc.TraceID, desc.TimestampNs
	f.TimestampNs, f.MetaVersion, f.PoolID = r.header.TimestampNs, r.header.MetaVersion, r.header.PoolID
	f.slot, f.word, f.m = slot, first, m
	// Skip the handler for a frame already overwritten; check again after it has read.
	if !f.Valid() {
		f.Payload = nil
		return r.drop(Drop(shm.DropChanged))
	}
	r.handed, f.deferred = true, false
	r.handler(f)
	f.Payload = nil
	if !f.deferred && !f.Valid() {
		return r.drop(Drop(shm.DropChanged))
	}
	if r.rate.periodNs > 0 {
		r.rate.accepted(nowNs)
	}
	r.counters.Frames++
	r.counters.Bytes += uint64(r.header.ValuesLenBytes)
	return DropNone
}

// maxHeldDescriptors bounds the descriptors held for an epoch not mapped yet: about a
// large ring's worth, since older ones would find their slots overwritten anyway.
const maxHeldDescriptors = 1024

// heldDescriptors is a ring of descriptors waiting for their epoch to be mapped.
type heldDescriptors struct {
	ring        []wire.FrameDescriptor
	first, size int
}

// hold keeps desc until its epoch is mapped; when the ring is full the oldest held
// descriptor is dropped.
func (r *Reader) hold(desc *wire.FrameDescriptor) {
	h := &r.held
	if h.size == len(h.ring) {
		r.drop(DropNotMapped)
		h.first = (h.first + 1) % len(h.ring)
		h.size--
	}
	h.ring[(h.first+h.size)%len(h.ring)] = *desc
	h.size++
}

// release reads the held descriptors of the mapped epoch, in order, and drops those of
// older epochs; those of newer ones stay held.
func (r *Reader) release() {
	h := &r.held
	if h.size == 0 || r.m == nil {
		return
	}
	n := h.size
	for range n {
		d := h.ring[h.first]
		h.first = (h.first + 1) % len(h.ring)
		h.size--
		if r.m == nil || d.Epoch > r.m.epoch { // not mapped yet, or a fault gave it up
			h.ring[(h.first+h.size)%len(h.ring)] = d
			h.size++
			continue
		}
		r.releaseOne(&d)
	}
}

// releaseOne judges a held descriptor as it would have been when it arrived; a fault is
// recovered as in handle.
func (r *Reader) releaseOne(d *wire.FrameDescriptor) {
	prev := debug.SetPanicOnFault(true)
	defer r.recoverFault(prev)
	r.read(d)
}

// validate applies the header rules to the decoded copy: embedded header (§8.3 step 5),
// known pool (§9), slot rules (§8.2, §10.2.1, §15.5), tensor rules (§8.2, §15.8) and a
// tensor that fits its payload; on success it sets f.Strides and f.Payload.
func (r *Reader) validate(m *mapping, slot shm.HeaderSlot, headerIndex uint32, f *Frame) Drop {
	t := &r.tensor
	if res := shm.ValidateEmbeddedWith(slot, t.embedded); res != shm.DropNone {
		return Drop(res)
	}
	pool := m.pool(r.header.PoolID)
	if pool == nil {
		return DropUnknownPool
	}
	if res := shm.ValidateSlotHeader(&r.header, headerIndex, pool.Geometry()); res != shm.DropNone {
		return Drop(res)
	}
	if t.drop != shm.DropNone {
		return Drop(t.drop)
	}
	// ValidateSlotHeader passed: payload_slot is headerIndex and inside the pool,
	// payload_offset 0, values_len_bytes within the stride (what pool.Payload checks again).
	stride, _ := pool.Slot(headerIndex)
	payload := stride[:r.header.ValuesLenBytes]
	if t.bytes > uint64(len(payload)) {
		return DropTensorExceedsPayload
	}
	f.Tensor, f.Strides, f.Payload = t.tensor, t.strides, payload
	return DropNone
}

// publish stores what changed in the counters since the last call into shared, and
// which mapping the newest seq (LastSeq) belongs to. Only the Reader writes them: it reads
// its own words plainly; a release store orders each after the reads and writes of the
// frames it counts, for a reader that loads it with sync/atomic. Frames, Bytes and
// LastSeq move with every frame; the rest only with a drop, a gap or a foreign message.
func (r *Reader) publish() {
	c, s := &r.counters, &r.shared
	publishWord(&s.Frames, c.Frames)
	publishWord(&s.Bytes, c.Bytes)
	if r.dropped {
		r.dropped = false
		publishWord(&s.Ignored, c.Ignored)
		publishWord(&s.DropsGap, c.DropsGap)
		publishWord(&s.DropsLate, c.DropsLate)
		publishWord(&s.Resyncs, c.Resyncs)
		for i := range c.Drops {
			publishWord(&s.Drops[i], c.Drops[i])
		}
	}
	gen := r.gen
	if _, seen := r.seqs.newest(); !seen {
		gen = 0
	}
	if gen == r.newest.lastGen {
		publishWord(&s.LastSeq, c.LastSeq)
		return
	}
	r.newest.publish(gen, &s.LastSeq, c.LastSeq)
}
func publishWord(dst *uint64, v uint64) {
	if *dst != v {
		ordered.StoreUint64(dst, v)
	}
}

// snapshot loads the published counters; any goroutine.
func (r *Reader) snapshot() readCounters {
	s := &r.shared
	c := readCounters{
		Frames: atomic.LoadUint64(&s.Frames), Bytes: atomic.LoadUint64(&s.Bytes), Ignored: atomic.LoadUint64(&s.Ignored),
		DropsGap: atomic.LoadUint64(&s.DropsGap), DropsLate: atomic.LoadUint64(&s.DropsLate),
		Resyncs: atomic.LoadUint64(&s.Resyncs), LastSeq: atomic.LoadUint64(&s.LastSeq),
	}
	for i := range c.Drops {
		c.Drops[i] = atomic.LoadUint64(&s.Drops[i])
	}
	return c
}

// takeFaultError returns and clears the last fault the Reader met; any goroutine.
func (r *Reader) takeFaultError() error {
	if f := r.faultErr.Swap(nil); f != nil {
		return f
	}
	return nil
}

// addFault returns err with the Reader's last fault, which it takes, joined to it; any
// goroutine.
func (r *Reader) addFault(err error) error {
	fault := r.takeFaultError()
	switch {
	case fault == nil:
		return err
	case err == nil:
		return fault
	}
	return errors.Join(err, fault)
}

// newestSeq says which mapping the published LastSeq was observed in, for the control
// side, which must not keep a FrameProgress older than the newest frame seen in the
// mapped epoch (§10.2.2). gen is stored around LastSeq when it changes, so that a load
// cannot pair one mapping's gen with another's seq: the Reader moves only to newer
// mappings.
type newestSeq struct {
	gen     uint64 // the mapping's gen; 0 while none, or while a change is being stored
	lastGen uint64 // the Reader's own copy of gen
}

// publish stores seq into *lastSeq as observed in the mapping named gen (0: none), which
// differs from the one published last.
func (n *newestSeq) publish(gen uint64, lastSeq *uint64, seq uint64) {
	if n.lastGen != 0 {
		ordered.StoreUint64(&n.gen, 0)
	}
	publishWord(lastSeq, seq)
	ordered.StoreUint64(&n.gen, gen)
	n.lastGen = gen
}

// load returns the newest seq observed in the mapping named gen, from lastSeq as
// published with it; any goroutine.
func (n *newestSeq) load(gen uint64, lastSeq *uint64) (uint64, bool) {
	g1 := atomic.LoadUint64(&n.gen)
	seq := atomic.LoadUint64(lastSeq)
	g2 := atomic.LoadUint64(&n.gen)
	if g1 != gen || g2 != gen || gen == 0 {
		return 0, false
	}
	return seq, true
}

package producer

import (
	"cmp"
	"math"
	"runtime/debug"
	"slices"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/agents/internal/extent"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/internal/handoff"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// Config configures a Producer. Zero values pick the defaults.
type Config struct {
	ProducerID uint32
	// Descriptors receives a FrameDescriptor per committed frame (required).
	Descriptors transport.Publication
	// Control is the shared control stream: it receives FrameProgress (and ConsumerConfig,
	// see HandleControl); nil sends progress only on per-consumer control streams.
	Control transport.Publication
	// Qos receives QosProducer on DoWork; nil disables them.
	Qos transport.Publication
	// Announce receives ShmPoolAnnounce on DoWork, for a standalone producer whose regions
	// have files (§10.1.1); nil disables them. In driver mode the driver announces.
	Announce transport.Publication
	// AnnounceIntervalNs is the announce period; default 1 s (§15.11).
	AnnounceIntervalNs int64
	// Clock stamps frames, descriptors and the superblocks' activity timestamp; default
	// clock.Now, CLOCK_MONOTONIC (§15.7), comparable across processes on the host.
	Clock func() clock.Mono
	// ActivityIntervalNs is how often DoWork refreshes activity_timestamp_ns; default 1 s
	// (§15.11, §15.14).
	ActivityIntervalNs int64
	// QosIntervalNs is how often DoWork publishes QosProducer; default 1 s (§15.11).
	QosIntervalNs int64
	// Progress is the FrameProgress policy for consumers that give no hints; default
	// DefaultProgressPolicy (§10.2.2). ProgressFloor is the minimum no hint can go below;
	// default DefaultProgressFloor.
	Progress      ProgressPolicy
	ProgressFloor ProgressPolicy
	// Metadata receives DataSourceAnnounce and DataSourceMeta (§10.3) every
	// AnnounceIntervalNs and, for DataSourceMeta, on change; nil disables them.
	Metadata transport.Publication
	// Consumers holds per-consumer descriptor streams of consumers that said hello
	// (§10.1.2); nil serves the shared streams only. Its stream must be the layout's.
	// With Consumers set, FrameProgress follows their hellos: on while a live consumer
	// supports it, with their combined hints (Consumers.ProgressDemand).
	Consumers *Consumers
	// AssignedByDriver says the producer is attached through a driver, which answers
	// ConsumerHello and assigns per-consumer streams from its ranges (Driver spec §11):
	// the producer then records hellos without answering them and follows the driver's
	// ConsumerConfig (HandleControl). A standalone producer answers hellos itself.
	AssignedByDriver bool
	// WireVersion is the layout of the FrameDescriptors and FrameProgress the producer
	// sends (wire.Version); default V1_1. In V1_2 the descriptor carries no header index
	// (consumers derive it from seq, Wire spec v1.2 §10.2.1) but a trace id
	// (Claim.SetTraceID), and its timestamp is the publish time, read after the commit,
	// while the slot header's is the capture time (Claim.SetCaptureTimeNs).
	WireVersion wire.Version
}

const defaultIntervalNs = 1_000_000_000

// Counters are the producer's own statistics; read them with Producer.Counters.
type Counters struct {
	Frames       uint64 // frames committed and announced by a FrameDescriptor
	Bytes        uint64 // payload bytes of those frames
	ProgressSent uint64 // FrameProgress on the shared control stream
	// Per-consumer streams (§10.1.2): descriptors sent there, descriptors a consumer's
	// max_rate_hz withheld, FrameProgress sent on per-consumer control streams, and the
	// offers there that failed.
	PerConsumerDescriptors uint64
	PerConsumerRateLimited uint64
	PerConsumerProgress    uint64
	PerConsumerSendFailed  uint64
	QosSent                uint64
	AnnouncesSent          uint64
	// DataSourceAnnounces and DataSourceMetas count the metadata messages sent (§10.3).
	DataSourceAnnounces uint64
	DataSourceMetas     uint64
	ActivityUpdates     uint64
	// Results counts every non-OK result by kind (frames dropped, misuse, failed sends).
	Results [ResultCount]uint64
}

type pool struct {
	id     uint16
	stride uint32
	view   *shm.PayloadPool
}

// Claim is an open frame: its header slot is marked in progress and Payload is the
// payload slot to fill. It stays valid until Commit or Abort.
type Claim struct {
	seq         uint64
	headerIndex uint32
	slot        shm.HeaderSlot
	pool        int
	payload     []byte
	metaVersion uint32
	traceID     uint64
	captureNs   uint64
}

// Payload is where the frame's bytes go, exactly as long as the size claimed.
func (c *Claim) Payload() []byte { return c.payload }

// Seq is the frame's sequence number (FrameDescriptor.seq).
func (c *Claim) Seq() uint64 { return c.seq }

// HeaderIndex is the header and payload slot the frame occupies.
func (c *Claim) HeaderIndex() uint32 { return c.headerIndex }

// SetMetaVersion overrides the meta_version the frame carries, by default the
// producer's at claim time (§10.3).
func (c *Claim) SetMetaVersion(v uint32) { c.metaVersion = v }

// SetTraceID sets the frame's trace id (TraceLink spec §8.1; 0, the default, is none). Only
// a v1.2 FrameDescriptor carries it: a producer speaking v1.1 drops it.
func (c *Claim) SetTraceID(id uint64) { c.traceID = id }

// SetCaptureTimeNs sets the slot header's timestamp_ns, the time the frame's data was
// captured (Wire spec v1.2 §10.2.1, on the producer's clock); by default it is the commit
// time, and 0 restores the default. A v1.1 descriptor carries the same timestamp, a v1.2
// one the publish time. A producer that re-materialises another stream's frames keeps
// theirs with it (Bridge spec §6 step 9, RateLimiter spec §5 step 4).
func (c *Claim) SetCaptureTimeNs(ns uint64) { c.captureNs = ns }

// Capacity is the stride of the claim's pool: the most bytes the frame can hold.
func (c *Claim) Capacity() int { return cap(c.payload) }

// SetLength sets how many payload bytes the frame carries (values_len_bytes), at most
// Capacity; Payload is resliced to it. It reports false, changing nothing, when n is
// out of range.
func (c *Claim) SetLength(n int) bool {
	if n < 0 || n > cap(c.payload) {
		return false
	}
	c.payload = c.payload[:n]
	return true
}

// Producer is the frame path of one epoch: it writes frames into the epoch's regions and
// publishes their descriptors. It is used by one goroutine at a time (the data path);
// what it shares with its Controller, which runs elsewhere, goes through atomics and
// hand-offs (see Controller).
type Producer struct {
	ctl         *Controller
	descriptors transport.Publication
	streamID    uint32
	epoch       uint64
	ring        *shm.HeaderRing
	pools       []pool // by stride, ascending
	superblocks [][]byte

	seq  uint64
	open bool
	cur  Claim
	// checked is the last tensor header that passed Commit's checks, checkedBytes the
	// payload bytes it addresses and encoded its slot encoding: streams repeat one
	// shape, which then costs a comparison instead of a validation and an encoding.
	checked      shm.TensorHeader
	checkedBytes uint64
	checkedOK    bool
	encoded      shm.EncodedTensorHeader
	// encodedGen numbers the encodings encoded has held (from 1); slotTensors[i] is the
	// number of the one header slot i's tensor lines hold (0: not known). This producer is
	// the ring's only writer, so a slot that already holds the frame's encoding needs its
	// first line written and nothing else read: the three tensor lines stay in the
	// consumers' caches, and out of this core's, which the C ABI's callers notice most.
	encodedGen  uint32
	slotTensors []uint32

	// targets hands over the Controller's per-consumer streams and progress policy; ft
	// is the set adopted last, taken at each claim.
	targets  handoff.Taker[*Targets]
	ft       frameTargets
	progress ProgressTracker
	// tracking: progress was started for the open claim. A frame id whose progress went
	// out and whose claim was then given up (retried) is not announced again, since its
	// new attempt would start below the bytes already reported (§10.2.2 no regression).
	tracking    bool
	retrySeq    uint64
	retryMuted  bool
	progressBuf [wire.FrameProgressMaxLength]byte
	// version is the layout of the descriptors and progress messages sent; desc is the
	// FrameDescriptor of the frame being committed, kept encoded: version, stream and epoch
	// are written once, the rest per frame.
	version  wire.Version
	desc     wire.EncodedFrameDescriptor
	counters frameCounters
	// clock stamps frames; nil for the default, clock.Now, which is then called directly
	// rather than through a func value.
	clock func() clock.Mono

	regions *Regions
	// fault is where writing the regions faulted (recoverFault); the epoch is dead once set.
	fault atomic.Pointer[shm.FaultError]
}

// New builds a standalone producer over regions: the frame path and its Controller
// together, for one goroutine that calls both the frame path and DoWork (tests, benchmarks,
// a producer without a driver). The regions stay owned by the caller, who closes them
// after the producer is done. The sequence starts at 0, as after an epoch change (§15.2).
func New(regions *Regions, cfg Config) (*Producer, error) {
	ctl, err := NewController(regions.layout.StreamID, cfg)
	if err != nil {
		return nil, err
	}
	return ctl.NewEpoch(regions, cfg.Descriptors)
}

// newEpoch builds the frame path of one epoch for ctl.
func newEpoch(ctl *Controller, regions *Regions, descriptors transport.Publication) (*Producer, error) {
	if descriptors == nil {
		return nil, configError("", "Descriptors", nil, "a descriptor publication is required")
	}
	l := regions.layout
	ring, err := shm.NewHeaderRing(regions.header.Bytes(), l.Nslots)
	if err != nil {
		return nil, err
	}
	p := &Producer{
		ctl: ctl, descriptors: descriptors, streamID: l.StreamID, epoch: l.Epoch, ring: ring,
		superblocks: [][]byte{ring.Superblock()},
		slotTensors: make([]uint32, l.Nslots),
		regions:     regions,
		version:     ctl.cfg.WireVersion,
		targets:     handoff.NewTaker(&ctl.targets),
	}
	if !ctl.defaultClock {
		p.clock = ctl.cfg.Clock
	}
	if err := p.desc.Init(&wire.FrameDescriptor{Version: p.version, StreamID: l.StreamID, Epoch: l.Epoch}); err != nil {
		return nil, err // NewController checked the version
	}
	for i, spec := range l.Pools {
		view, err := shm.NewPayloadPool(regions.pools[i].Bytes(), shm.PoolGeometry{PoolID: spec.PoolID, Nslots: l.Nslots, StrideBytes: spec.StrideBytes})
		if err != nil {
			return nil, err
		}
		p.pools = append(p.pools, pool{id: spec.PoolID, stride: spec.StrideBytes, view: view})
		p.superblocks = append(p.superblocks, view.Superblock())
	}
	slices.SortFunc(p.pools, func(a, b pool) int { return cmp.Compare(a.stride, b.stride) })
	p.progress.Policy = ctl.cfg.Progress
	p.takeTargets()
	return p, nil
}

// Seq is the sequence number the next frame will carry.
func (p *Producer) Seq() uint64 { return p.seq }

// Epoch is the epoch of the producer's regions.
func (p *Producer) Epoch() uint64 { return p.epoch }

// Regions are the regions the producer writes.
func (p *Producer) Regions() *Regions { return p.regions }

// Controller is the producer's control side.
func (p *Producer) Controller() *Controller { return p.ctl }

// Counters returns the frame path's statistics and its Controller's. Any goroutine may
// call it.
func (p *Producer) Counters() Counters {
	c := p.FrameCounters()
	p.ctl.addCounters(&c)
	return c
}

// FrameCounters returns the frame path's statistics alone; any goroutine may call it.
func (p *Producer) FrameCounters() Counters {
	f := &p.counters
	c := Counters{
		Frames:                 atomic.LoadUint64(&f.Frames),
		Bytes:                  atomic.LoadUint64(&f.Bytes),
		ProgressSent:           atomic.LoadUint64(&f.ProgressSent),
		PerConsumerDescriptors: atomic.LoadUint64(&f.Described),
		PerConsumerRateLimited: atomic.LoadUint64(&f.RateLimited),
		PerConsumerProgress:    atomic.LoadUint64(&f.ConsumerProgressSent),
		PerConsumerSendFailed:  atomic.LoadUint64(&f.SendFailed),
	}
	for i := range f.Results {
		c.Results[i] = atomic.LoadUint64(&f.Results[i])
	}
	return c
}

// ProgressPolicy returns the FrameProgress policy the frame path uses and whether
// progress is on, as of its last claim.
func (p *Producer) ProgressPolicy() (ProgressPolicy, bool) {
	p.takeTargets()
	return p.progress.Policy, p.progressOn()
}

// takeTargets adopts the Controller's newest Targets, if they changed. (claim has it
// written out: the compiler does not inline it.)
func (p *Producer) takeTargets() {
	if p.targets.Fresh() {
		p.adoptTargets()
	}
}

// adoptTargets is takeTargets once the Targets changed.
func (p *Producer) adoptTargets() {
	t, changed, ok := p.targets.Take()
	if !changed || !ok {
		return
	}
	p.ft.adopt(t)
	p.progress.Policy = t.Progress
}

func (p *Producer) progressOn() bool { return p.ft.t != nil && p.ft.t.ProgressOn }

// now reads the producer's clock.
func (p *Producer) now() int64 {
	if p.clock == nil {
		return clock.Now().Nanos()
	}
	return p.clock().Nanos()
}

func (p *Producer) fail(r Result) Result {
	p.counters.add(&p.counters.Results[r], 1)
	return r
}

// Claim opens the next frame for size payload bytes: it selects the smallest pool whose
// stride holds size (§9), marks header slot seq & (nslots-1) in progress (§8.3 step 1)
// and returns the payload slot for the caller to fill in place. When no pool fits the
// frame is dropped (DropNoPoolFits), never waited for.
func (p *Producer) Claim(size int) (c *Claim, r Result) {
	if p.open {
		return nil, p.fail(ErrClaimOutstanding)
	}
	if p.fault.Load() != nil {
		return nil, p.fail(ErrRegionFault)
	}
	prev := debug.SetPanicOnFault(true)
	defer p.recoverFault(prev, &r)
	return p.claim(size, -1)
}

// ClaimAt is Claim for the frame with sequence number seq, which must not be below Seq:
// a producer that re-materialises another stream's frames keeps their sequence numbers
// (Bridge spec §6, RateLimiter spec §4), leaving gaps where frames were dropped. An older
// seq is refused (ErrSeqRegressed); a claim that fails leaves Seq at seq.
func (p *Producer) ClaimAt(seq uint64, size int) (*Claim, Result) {
	if p.open {
		return nil, p.fail(ErrClaimOutstanding)
	}
	if seq < p.seq {
		return nil, p.fail(ErrSeqRegressed)
	}
	p.seq = seq
	return p.Claim(size)
}

// ClaimPool opens the next frame in the pool with id poolID, with the pool's whole
// stride as payload (Capacity); SetLength trims it to the bytes written. An unknown
// pool drops the frame (DropNoPoolFits).
func (p *Producer) ClaimPool(poolID uint16) (c *Claim, r Result) {
	if p.open {
		return nil, p.fail(ErrClaimOutstanding)
	}
	if p.fault.Load() != nil {
		return nil, p.fail(ErrRegionFault)
	}
	prev := debug.SetPanicOnFault(true)
	defer p.recoverFault(prev, &r)
	for i := range p.pools {
		if p.pools[i].id == poolID {
			return p.claim(int(p.pools[i].stride), i)
		}
	}
	return nil, p.fail(DropNoPoolFits)
}

// PoolID is the id of the pool the claim's payload lives in.
func (p *Producer) PoolID(c *Claim) uint16 { return p.pools[c.pool].id }

// claim opens the next frame for size payload bytes in pool pi, or with pi -1 in the
// smallest pool whose stride holds size (§9); the claim's capacity is the pool's stride.
// It is Claim, ClaimPool and Offer without their checks and fault guard.
func (p *Producer) claim(size, pi int) (*Claim, Result) {
	if p.targets.Fresh() { // takeTargets: one load while the Targets did not change
		p.adoptTargets()
	}
	if pi < 0 {
		if size < 0 || uint64(size) > math.MaxUint32 {
			return nil, p.fail(DropInvalidSize)
		}
		for i := range p.pools {
			if uint64(p.pools[i].stride) >= uint64(size) {
				pi = i
				break
			}
		}
		if pi < 0 {
			return nil, p.fail(DropNoPoolFits)
		}
	}
	capacity := int(p.pools[pi].stride)
	idx := p.ring.HeaderIndex(p.seq)
	slot, _ := p.ring.Slot(idx)
	payload, _ := p.pools[pi].view.Slot(idx)
	// Field by field: a composite literal would be built on the stack and copied, about
	// three times the stores. The slot is marked last, so few values live across the call.
	c := &p.cur
	c.seq, c.headerIndex, c.slot, c.pool, c.metaVersion = p.seq, idx, slot, pi, p.ctl.MetaVersion()
	c.traceID, c.captureNs = 0, 0
	c.payload = payload[:size:capacity]
	p.open = true
	slot.BeginWrite(c.seq) // before any header or payload store of the frame (§8.3 step 1)
	// A frame smaller than the policy's bytes delta can never earn a PROGRESS message, so
	// STARTED and COMPLETE would tell its consumers nothing its FrameDescriptor does not
	// (§10.2.2 lets a producer omit FrameProgress). Sending them anyway would put two
	// control messages beside every small frame.
	if p.progressOn() && uint64(size) >= p.progress.Policy.BytesDelta && !(p.retryMuted && p.retrySeq == p.seq) {
		p.tracking = true
		p.sendProgress(p.progress.Start(p.seq, uint64(capacity), p.now()))
	}
	return c, OK
}

// Progress reports that the first filled bytes of the claim's payload are written, for
// consumers that opted into FrameProgress; it sends a PROGRESS message when the policy
// allows (§10.2.2). It is a no-op when progress is off.
func (p *Producer) Progress(c *Claim, filled uint64) Result {
	if !p.isOpen(c) {
		return p.fail(ErrNoClaim)
	}
	if !p.progressOn() || !p.tracking {
		return OK
	}
	if filled > uint64(len(c.payload)) {
		return p.fail(ErrProgressOverrun) // beyond values_len_bytes (§10.2.2)
	}
	u, send, r := p.progress.Update(filled, p.now())
	if r != OK {
		return p.fail(r)
	}
	if send {
		return p.sendProgress(u)
	}
	return OK
}

// Abort gives up an open claim. The slot stays marked in progress, so a consumer holding
// an older descriptor for it drops that frame, and the next claim reuses the sequence
// number: no descriptor ever names the aborted frame.
func (p *Producer) Abort(c *Claim) Result {
	if !p.isOpen(c) {
		return p.fail(ErrNoClaim)
	}
	p.open = false
	p.giveUpProgress()
	return OK
}

// giveUpProgress forgets the open frame's progress; its sequence number will be claimed
// again, and if progress for it went out, the retry is not announced.
func (p *Producer) giveUpProgress() {
	if p.tracking {
		p.retrySeq, p.retryMuted = p.cur.seq, true
	}
	p.tracking = false
	p.progress.Abandon()
}

// Commit completes the claim: it checks t (§8.2, §15.8, and that its dims and strides fit
// the payload), writes the slot header and tensor header (§8.2, full overwrite) and the
// FrameDescriptor into a private buffer, stamps both, commits the seqlock (§8.3 step 4) and
// then publishes the descriptor (§10.2.1: only after the commit). If the descriptor cannot
// be sent the frame is dropped: no descriptor names the committed slot, the sequence
// number is not advanced, so consumers see no gap, and the next frame rewrites the slot
// under the same sequence number.
//
// The descriptor goes into the log in one burst (Offer), not field by field into
// try-claimed space: a consumer spinning on the log's next frame pulls that cache line
// back after every store to it, so stores spread over the commit cost a cross-core
// transfer each (+30 % frames/s at 64 B, BENCHMARKS.md).
func (p *Producer) Commit(c *Claim, t *shm.TensorHeader) (r Result) {
	if !p.isOpen(c) {
		return p.fail(ErrNoClaim)
	}
	prev := debug.SetPanicOnFault(true)
	defer p.recoverFault(prev, &r)
	return p.commit(c, t)
}

// commit is Commit of the open claim c without the fault guard.
func (p *Producer) commit(c *Claim, t *shm.TensorHeader) Result {
	need := p.checkedBytes
	if !p.checkedOK || !t.Equal(&p.checked) { // streams repeat one shape: then this is all
		var ok bool
		if need, ok = p.checkTensor(t); !ok {
			p.Abort(c)
			return p.fail(DropInvalidTensor)
		}
	}
	if need > uint64(len(c.payload)) {
		p.Abort(c)
		return p.fail(DropTensorExceedsPayload)
	}
	slot := c.slot
	if known := &p.slotTensors[c.headerIndex]; *known == p.encodedGen {
		slot.EncodeFrameFields(uint32(len(c.payload)), c.headerIndex, p.pools[c.pool].id, c.metaVersion)
	} else {
		slot.EncodeFrame(uint32(len(c.payload)), c.headerIndex, p.pools[c.pool].id, c.metaVersion, &p.encoded)
		*known = p.encodedGen
	}
	desc := p.desc.SetFrame(c.seq, c.headerIndex, c.metaVersion, c.traceID)
	// The clock is read once everything else is written, so the frame's timestamp leaves
	// out the time the writes took (a consumer measures latency from it).
	now := p.now()
	capture := c.captureNs
	if capture == 0 {
		capture = uint64(now)
	}
	slot.SetTimestampNs(capture)
	slot.Commit(c.seq)
	p.open = false
	stamp := capture // v1.1: one timestamp, the slot's
	if p.version == wire.V1_2 {
		// The descriptor's timestamp is the publish time, taken after the commit (Wire
		// spec v1.2 §10.2.1).
		now = p.now()
		stamp = uint64(now)
	}
	p.desc.Stamp(stamp)
	r := OK
	if position := p.descriptors.Offer(desc); position < 0 {
		r = offerAgain(p.descriptors, desc, position)
	}
	// The frame is published once any descriptor went out: consumers on per-consumer
	// streams may be all the readers there are, and the shared stream then has none.
	if p.ft.describers > 0 && p.ft.describe(desc, now, &p.counters) > 0 {
		r = OK
	}
	if r != OK {
		p.giveUpProgress()
		return p.fail(r)
	}
	if p.tracking && p.progressOn() {
		if u, ok := p.progress.Complete(uint64(len(c.payload)), now); ok {
			p.sendProgress(u)
		}
	}
	p.tracking, p.retryMuted = false, false
	p.seq++
	// Frames is the sequence the next frame takes: the Controller's QosProducer reads it.
	p.counters.add(&p.counters.Frames, 1)
	p.counters.add(&p.counters.Bytes, uint64(len(c.payload)))
	return OK
}

// checkTensor validates t (§8.2, §15.8) and returns the payload bytes it addresses; on
// success p.encoded holds t's slot encoding. Both are kept as checked, for commit to reuse
// while the frames' header equals it.
func (p *Producer) checkTensor(t *shm.TensorHeader) (uint64, bool) {
	strides, r := t.ResolvedStrides()
	if r != shm.DropNone {
		return 0, false
	}
	p.checked, p.checkedBytes, p.checkedOK = *t, extent.Bytes(t, &strides), true
	p.encoded.Encode(t)
	if p.encodedGen++; p.encodedGen == 0 { // wrapped: no slot's number can be trusted
		clear(p.slotTensors)
		p.encodedGen = 1
	}
	return p.checkedBytes, true
}

// Offer publishes a copy of payload as one frame: Claim, copy, Commit.
func (p *Producer) Offer(payload []byte, t *shm.TensorHeader) Result {
	return p.OfferTraced(payload, t, 0)
}

// OfferTraced is Offer of a frame with a trace id (Claim.SetTraceID; 0: none).
func (p *Producer) OfferTraced(payload []byte, t *shm.TensorHeader, traceID uint64) (r Result) {
	if p.open {
		return p.fail(ErrClaimOutstanding)
	}
	if p.fault.Load() != nil {
		return p.fail(ErrRegionFault)
	}
	prev := debug.SetPanicOnFault(true)
	defer func() { // recoverFault, written out: a closure costs less than a deferred call with arguments
		debug.SetPanicOnFault(prev)
		if rec := recover(); rec != nil {
			r = p.regionFault(rec)
		}
	}()
	c, r := p.claim(len(payload), -1)
	if r != OK {
		return r
	}
	copy(c.payload, payload)
	c.traceID = traceID
	return p.commit(c, t)
}

func (p *Producer) isOpen(c *Claim) bool {
	return p.open && c != nil && c.seq == p.cur.seq && c.headerIndex == p.cur.headerIndex
}

// sendProgress publishes u on the shared control stream (when a consumer reads it there)
// and on the per-consumer control streams of consumers that support progress (§5).
func (p *Producer) sendProgress(u ProgressUpdate) Result {
	m := wire.FrameProgress{
		Version: p.version, StreamID: p.streamID, Epoch: p.epoch, FrameID: u.FrameID,
		HeaderIndex: p.cur.headerIndex, PayloadBytesFilled: u.Bytes, State: u.State,
	}
	n, _ := m.Encode(p.progressBuf[:]) // cannot fail: progressBuf holds either version
	msg := p.progressBuf[:n]
	r := OK
	if shared := p.ft.t.Shared; p.ft.t.ProgressShared && shared != nil {
		if r = offer(shared, msg); r != OK {
			p.fail(r)
		} else {
			p.counters.add(&p.counters.ProgressSent, 1)
		}
	}
	p.ft.sendProgress(msg, &p.counters)
	return r
}

// TickProgress sends a PROGRESS update the policy's interval held back, if it is due now
// and a claim is still open (§10.2.2). The frame path calls it: a standalone producer in
// DoWork; a producer whose Controller runs elsewhere leaves it to its next Progress or
// Commit call.
func (p *Producer) TickProgress(nowNs int64) int {
	if !p.open || !p.tracking || !p.progressOn() {
		return 0
	}
	if u, ok := p.progress.Tick(nowNs); ok && p.sendProgress(u) == OK {
		return 1
	}
	return 0
}

// DoWork runs a standalone producer's Controller and the frame path's progress timer on
// the calling goroutine (Controller.DoWork, TickProgress). It returns the work done.
func (p *Producer) DoWork(nowNs int64) int {
	return p.ctl.DoWork(nowNs) + p.TickProgress(nowNs)
}

// HandleControl is Controller.HandleControl, for a standalone producer.
func (p *Producer) HandleControl(buf []byte) error { return p.ctl.HandleControl(buf) }

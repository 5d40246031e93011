package producer

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/tensorpool/tensorpool/agents/internal/extent"
	"github.com/tensorpool/tensorpool/clock"
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
}

const defaultIntervalNs = 1_000_000_000

// Counters are the producer's own statistics; read them with Producer.Counters.
type Counters struct {
	Frames        uint64 // frames committed and announced by a FrameDescriptor
	Bytes         uint64 // payload bytes of those frames
	ProgressSent  uint64
	QosSent       uint64
	AnnouncesSent uint64
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
	pool        int
	payload     []byte
	metaVersion uint32
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

// Producer writes frames into one epoch's regions. It is not safe for concurrent use.
type Producer struct {
	cfg         Config
	streamID    uint32
	epoch       uint64
	ring        *shm.HeaderRing
	pools       []pool // by stride, ascending
	superblocks [][]byte

	seq   uint64
	open  bool
	cur   Claim
	claim transport.Claim
	// checked is the last tensor header that passed Commit's checks, checkedBytes the
	// payload bytes it addresses and encoded its slot encoding: streams repeat one
	// shape, which then costs a comparison instead of a validation and an encoding.
	checked      shm.TensorHeader
	checkedBytes uint64
	checkedOK    bool
	encoded      shm.EncodedTensorHeader

	progressOn     bool
	progressShared bool // send progress on Config.Control
	progress       ProgressTracker
	// tracking: progress was started for the open claim. A frame id whose progress went
	// out and whose claim was then given up (retried) is not announced again, since its
	// new attempt would start below the bytes already reported (§10.2.2 no regression).
	tracking    bool
	retrySeq    uint64
	retryMuted  bool
	progressBuf [wire.FrameProgressLength]byte
	// desc is the FrameDescriptor of the frame being committed, encoded into descBuf:
	// stream and epoch are set once, the rest per frame.
	desc     wire.FrameDescriptor
	descBuf  [wire.FrameDescriptorLength]byte
	counters Counters

	metaVersion    uint32
	nextActivityNs int64
	nextQosNs      int64
	nextAnnounceNs int64
	nextMetaNs     int64
	meta           metadata

	regions *Regions
	// announce is this producer's ShmPoolAnnounce, re-stamped and re-encoded into
	// announceBuf every period without allocating.
	announce    wire.ShmPoolAnnounce
	announceBuf []byte
	configBuf   []byte
}

// New builds a producer over regions. The regions stay owned by the caller, who closes
// them after the producer is done. The sequence starts at 0, as after an epoch change
// (§15.2).
func New(regions *Regions, cfg Config) (*Producer, error) {
	if cfg.Descriptors == nil {
		return nil, configError("", "Descriptors", nil, "a descriptor publication is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Now
	}
	if cfg.ActivityIntervalNs <= 0 {
		cfg.ActivityIntervalNs = defaultIntervalNs
	}
	if cfg.QosIntervalNs <= 0 {
		cfg.QosIntervalNs = defaultIntervalNs
	}
	if cfg.AnnounceIntervalNs <= 0 {
		cfg.AnnounceIntervalNs = defaultIntervalNs
	}
	if cfg.Progress == (ProgressPolicy{}) {
		cfg.Progress = DefaultProgressPolicy
	}
	if cfg.ProgressFloor == (ProgressPolicy{}) {
		cfg.ProgressFloor = DefaultProgressFloor
	}
	l := regions.layout
	if cfg.Consumers != nil && cfg.Consumers.streamID != l.StreamID {
		return nil, configError("10.1.2", "Consumers stream", cfg.Consumers.streamID, fmt.Sprintf("the layout's stream is %d", l.StreamID))
	}
	ring, err := shm.NewHeaderRing(regions.header.Bytes(), l.Nslots)
	if err != nil {
		return nil, err
	}
	p := &Producer{
		cfg: cfg, streamID: l.StreamID, epoch: l.Epoch, ring: ring,
		superblocks: [][]byte{ring.Superblock()},
		metaVersion: math.MaxUint32, // absent until SetMetaVersion (§10.1)
		regions:     regions,
		desc:        wire.FrameDescriptor{StreamID: l.StreamID, Epoch: l.Epoch},
	}
	if cfg.Announce != nil {
		// Encoded once here so a bad layout fails New rather than every DoWork.
		if p.announce, err = regions.Announce(cfg.ProducerID); err != nil {
			return nil, err
		}
		p.announceBuf = make([]byte, p.announce.EncodedLength())
		if _, err := p.announce.Encode(p.announceBuf); err != nil {
			return nil, configError("10.1.1", "announce", p.announce.HeaderRegionURI, err.Error())
		}
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
	p.progress.Policy = cfg.Progress
	return p, nil
}

// Seq is the sequence number the next frame will carry.
func (p *Producer) Seq() uint64 { return p.seq }

// Epoch is the epoch of the producer's regions.
func (p *Producer) Epoch() uint64 { return p.epoch }

// Counters returns a snapshot of the statistics.
func (p *Producer) Counters() Counters { return p.counters }

// SetMetaVersion sets the meta_version later frames carry (§10.3).
func (p *Producer) SetMetaVersion(v uint32) { p.metaVersion = v }

// SetProgress turns FrameProgress on or off and sets its policy, the producer's final say
// (§10.2.2: on only when some consumer supports it). Progress goes to Config.Control and
// to the per-consumer control streams of consumers that support it. With
// Config.Consumers set, the next hello or expiry replaces this with what the consumers
// ask for (Consumers.ProgressDemand).
func (p *Producer) SetProgress(on bool, policy ProgressPolicy) {
	p.progressOn = on && (p.cfg.Control != nil || p.cfg.Consumers != nil)
	p.progressShared = true
	p.progress.Policy = policy
}

// ProgressPolicy returns the FrameProgress policy in force and whether progress is on.
func (p *Producer) ProgressPolicy() (ProgressPolicy, bool) { return p.progress.Policy, p.progressOn }

// applyProgressDemand sets progress from the live consumers (§10.1.2, §10.2.2): on while
// one supports it, with their combined hints, and on the shared control stream only while
// one of them reads it there.
func (p *Producer) applyProgressDemand() {
	t := p.cfg.Consumers
	if t == nil {
		return
	}
	d := t.ProgressDemand(p.cfg.Progress, p.cfg.ProgressFloor)
	p.progressShared = d.Shared > 0 && p.cfg.Control != nil
	p.progressOn = p.progressShared || d.Consumers > d.Shared
	p.progress.Policy = d.Policy
}

func (p *Producer) fail(r Result) Result {
	p.counters.Results[r]++
	return r
}

// Claim opens the next frame for size payload bytes: it selects the smallest pool whose
// stride holds size (§9), marks header slot seq & (nslots-1) in progress (§8.3 step 1)
// and returns the payload slot for the caller to fill in place. When no pool fits the
// frame is dropped (DropNoPoolFits), never waited for.
func (p *Producer) Claim(size int) (*Claim, Result) {
	if p.open {
		return nil, p.fail(ErrClaimOutstanding)
	}
	if size < 0 || uint64(size) > math.MaxUint32 {
		return nil, p.fail(DropInvalidSize)
	}
	pi := -1
	for i := range p.pools {
		if uint64(p.pools[i].stride) >= uint64(size) {
			pi = i
			break
		}
	}
	if pi < 0 {
		return nil, p.fail(DropNoPoolFits)
	}
	return p.claimIn(pi, size, int(p.pools[pi].stride)), OK
}

// ClaimPool opens the next frame in the pool with id poolID, with the pool's whole
// stride as payload (Capacity); SetLength trims it to the bytes written. An unknown
// pool drops the frame (DropNoPoolFits).
func (p *Producer) ClaimPool(poolID uint16) (*Claim, Result) {
	if p.open {
		return nil, p.fail(ErrClaimOutstanding)
	}
	for i := range p.pools {
		if p.pools[i].id == poolID {
			stride := int(p.pools[i].stride)
			return p.claimIn(i, stride, stride), OK
		}
	}
	return nil, p.fail(DropNoPoolFits)
}

// PoolID is the id of the pool the claim's payload lives in.
func (p *Producer) PoolID(c *Claim) uint16 { return p.pools[c.pool].id }

func (p *Producer) claimIn(pi, size, capacity int) *Claim {
	idx := p.ring.HeaderIndex(p.seq)
	slot, _ := p.ring.Slot(idx)
	payload, _ := p.pools[pi].view.Slot(idx)
	// Field by field: a composite literal would be built on the stack and copied, about
	// three times the stores. The slot is marked last, so few values live across the call.
	c := &p.cur
	c.seq, c.headerIndex, c.pool, c.metaVersion = p.seq, idx, pi, p.metaVersion
	c.payload = payload[:size:capacity]
	p.open = true
	slot.BeginWrite(c.seq) // before any header or payload store of the frame (§8.3 step 1)
	// A frame smaller than the policy's bytes delta can never earn a PROGRESS message, so
	// STARTED and COMPLETE would tell its consumers nothing its FrameDescriptor does not
	// (§10.2.2 lets a producer omit FrameProgress). Sending them anyway would put two
	// control messages beside every small frame.
	if p.progressOn && uint64(size) >= p.progress.Policy.BytesDelta && !(p.retryMuted && p.retrySeq == p.seq) {
		p.tracking = true
		p.sendProgress(p.progress.Start(p.seq, uint64(capacity), p.cfg.Clock().Nanos()))
	}
	return c
}

// Progress reports that the first filled bytes of the claim's payload are written, for
// consumers that opted into FrameProgress; it sends a PROGRESS message when the policy
// allows (§10.2.2). It is a no-op when progress is off.
func (p *Producer) Progress(c *Claim, filled uint64) Result {
	if !p.isOpen(c) {
		return p.fail(ErrNoClaim)
	}
	if !p.progressOn || !p.tracking {
		return OK
	}
	if filled > uint64(len(c.payload)) {
		return p.fail(ErrProgressOverrun) // beyond values_len_bytes (§10.2.2)
	}
	u, send, r := p.progress.Update(filled, p.cfg.Clock().Nanos())
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
func (p *Producer) Commit(c *Claim, t *shm.TensorHeader) Result {
	if !p.isOpen(c) {
		return p.fail(ErrNoClaim)
	}
	need, ok := p.tensorBytes(t)
	if !ok {
		p.Abort(c)
		return p.fail(DropInvalidTensor)
	}
	if need > uint64(len(c.payload)) {
		p.Abort(c)
		return p.fail(DropTensorExceedsPayload)
	}
	slot, _ := p.ring.Slot(c.headerIndex)
	slot.EncodeFrame(uint32(len(c.payload)), c.headerIndex, p.pools[c.pool].id, c.metaVersion, &p.encoded)
	desc := p.descBuf[:]
	p.desc.Seq, p.desc.HeaderIndex, p.desc.MetaVersion = c.seq, c.headerIndex, c.metaVersion
	p.desc.Encode(desc) // cannot fail: descBuf is FrameDescriptorLength bytes
	now := p.cfg.Clock().Nanos()
	slot.SetTimestampNs(uint64(now))
	slot.Commit(c.seq)
	p.open = false
	wire.StampFrameDescriptor(desc, uint64(now))
	r := OK
	if position := p.cfg.Descriptors.Offer(desc); position < 0 {
		r = offerAgain(p.cfg.Descriptors, desc, position)
	}
	// The frame is published once any descriptor went out: consumers on per-consumer
	// streams may be all the readers there are, and the shared stream then has none.
	if p.cfg.Consumers != nil && p.cfg.Consumers.Describe(desc, now) > 0 {
		r = OK
	}
	if r != OK {
		p.giveUpProgress()
		return p.fail(r)
	}
	if p.progressOn && p.tracking {
		if u, ok := p.progress.Complete(uint64(len(c.payload)), now); ok {
			p.sendProgress(u)
		}
	}
	p.tracking, p.retryMuted = false, false
	p.seq++
	p.counters.Frames++
	p.counters.Bytes += uint64(len(c.payload))
	return OK
}

// tensorBytes validates t (§8.2, §15.8) and returns the payload bytes it addresses; on
// success p.encoded holds t's slot encoding. Both are kept for the next frame with the
// same header.
func (p *Producer) tensorBytes(t *shm.TensorHeader) (uint64, bool) {
	if p.checkedOK && *t == p.checked {
		return p.checkedBytes, true
	}
	strides, r := t.ResolvedStrides()
	if r != shm.DropNone {
		return 0, false
	}
	p.checked, p.checkedBytes, p.checkedOK = *t, extent.Bytes(t, &strides), true
	p.encoded.Encode(t)
	return p.checkedBytes, true
}

// Offer publishes a copy of payload as one frame: Claim, copy, Commit.
func (p *Producer) Offer(payload []byte, t *shm.TensorHeader) Result {
	c, r := p.Claim(len(payload))
	if r != OK {
		return r
	}
	copy(c.payload, payload)
	return p.Commit(c, t)
}

func (p *Producer) isOpen(c *Claim) bool {
	return p.open && c != nil && c.seq == p.cur.seq && c.headerIndex == p.cur.headerIndex
}

// sendProgress publishes u on the shared control stream (when a consumer reads it there)
// and on the per-consumer control streams of consumers that support progress (§5).
func (p *Producer) sendProgress(u ProgressUpdate) Result {
	m := wire.FrameProgress{
		StreamID: p.streamID, Epoch: p.epoch, FrameID: u.FrameID,
		HeaderIndex: p.cur.headerIndex, PayloadBytesFilled: u.Bytes, State: u.State,
	}
	m.Encode(p.progressBuf[:]) // cannot fail: progressBuf is FrameProgressLength bytes
	msg := p.progressBuf[:]
	r := OK
	if p.progressShared && p.cfg.Control != nil {
		if r = offer(p.cfg.Control, msg); r != OK {
			p.fail(r)
		} else {
			p.counters.ProgressSent++
		}
	}
	if p.cfg.Consumers != nil {
		p.cfg.Consumers.sendProgress(msg)
	}
	return r
}

// DoWork runs the producer's timers, for an agent's duty cycle: it refreshes the
// superblocks' activity timestamp (§15.14), publishes QosProducer (§10.4.2) and, for a
// standalone producer, ShmPoolAnnounce (§10.1.1), and flushes a held-back PROGRESS
// update. It returns the work done.
func (p *Producer) DoWork(nowNs int64) int {
	work := 0
	if nowNs >= p.nextActivityNs {
		p.RefreshActivity(nowNs)
		p.nextActivityNs = nowNs + p.cfg.ActivityIntervalNs
		work++
	}
	if p.cfg.Qos != nil && nowNs >= p.nextQosNs {
		if p.sendQos() == OK {
			p.nextQosNs = nowNs + p.cfg.QosIntervalNs
			work++
		}
	}
	if p.cfg.Announce != nil && nowNs >= p.nextAnnounceNs {
		if p.sendAnnounce(nowNs) == OK {
			p.nextAnnounceNs = nowNs + p.cfg.AnnounceIntervalNs
			work++
		}
	}
	hasMeta := p.meta.announced || p.meta.dirty || len(p.meta.attrs) > 0
	if p.cfg.Metadata != nil && hasMeta && (p.meta.dirty || nowNs >= p.nextMetaNs) {
		refresh := nowNs >= p.nextMetaNs
		if p.sendMetadata(nowNs, refresh) == OK {
			if refresh {
				p.nextMetaNs = nowNs + p.cfg.AnnounceIntervalNs
			}
			work++
		}
	}
	if p.cfg.Consumers != nil {
		if n := p.cfg.Consumers.Expire(nowNs); n > 0 {
			p.applyProgressDemand() // a consumer that went stale no longer asks for progress
			work += n
		}
	}
	if p.progressOn && p.open && p.tracking {
		if u, ok := p.progress.Tick(nowNs); ok && p.sendProgress(u) == OK {
			work++
		}
	}
	return work
}

// RefreshActivity stores nowNs as activity_timestamp_ns in every superblock, the
// liveness signal consumers and supervisors check (§15.1, §15.14).
func (p *Producer) RefreshActivity(nowNs int64) {
	for _, sb := range p.superblocks {
		shm.StoreActivityTimestamp(sb, uint64(nowNs))
	}
	p.counters.ActivityUpdates++
}

func (p *Producer) sendQos() Result {
	if r := tryClaim(p.cfg.Qos, &p.claim, wire.QosProducerLength); r != OK {
		return p.fail(r)
	}
	q := wire.QosProducer{StreamID: p.streamID, ProducerID: p.cfg.ProducerID, Epoch: p.epoch, CurrentSeq: p.seq, Watermark: wire.NullU32}
	q.Encode(p.claim.Buffer()) // cannot fail: the claim is QosProducerLength bytes
	p.claim.Commit()
	p.counters.QosSent++
	return OK
}

// sendAnnounce offers the announce: it may be longer than one frame, which try-claim
// cannot carry, so it is copied in (and fragmented) by Offer.
func (p *Producer) sendAnnounce(nowNs int64) Result {
	p.announce.AnnounceTimestampNs = uint64(nowNs)
	n, _ := p.announce.Encode(p.announceBuf) // checked by New
	for range maxAdminRetries {
		position := p.cfg.Announce.Offer(p.announceBuf[:n])
		if position >= 0 {
			p.counters.AnnouncesSent++
			return OK
		}
		if position != transport.AdminAction {
			return p.fail(publicationResult(position))
		}
	}
	return p.fail(DropAdminAction)
}

package tp

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/driverclient"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/internal/handoff"
	"github.com/tensorpool/tensorpool/internal/ordered"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// Producer publishes frames on one stream through a driver lease. It is safe for
// concurrent use; concurrent publishers take turns.
//
// Its frame path (Offer, Claim, Commit, Abort) runs on the caller's goroutine and never
// waits on the control plane or the media driver: the lease, the mapping of each grant,
// the timers and the per-consumer streams are the producer's agent's, on the Client's
// duty cycle, which hands the frame path each epoch to write into without a lock
// (internal/handoff) and releases an epoch's regions only once the frame path has moved
// on. While there is no epoch to write into, the frame path fails at once with
// ErrNotAttached, or ErrNotReady while the descriptor publication is still being added.
type Producer struct {
	client   *Client
	streamID uint32
	role     *producerRole

	// state admits one caller to the frame path at a time: idle, in a call, or a claim
	// open. A caller takes it from idle with a compare-and-swap and gives it back with a
	// release store, one locked instruction per frame; publishers wait their turn
	// behind one another, never behind the duty cycle.
	state int32
	// Owned by whoever holds state: the epoch adopted last and why there is none.
	epochs handoff.Taker[epochPost]
	cur    *producer.Producer
	why    error
	hdr    shm.TensorHeader
	claim  Claim
	closed atomic.Bool
}

const (
	frameIdle int32 = iota
	frameBusy
	frameClaimed
)

// epochPost is what the producer's agent hands the frame path: the epoch to write into,
// or why there is none.
type epochPost struct {
	p   *producer.Producer
	why error
}

// Claim is an open frame whose payload the caller fills in place. It stays valid until
// Commit or Abort.
type Claim struct {
	p *Producer
	c *producer.Claim
}

// enter admits the caller to the frame path: it waits while another caller is in a call,
// and fails with ErrClaimState while a claim is open (it may be this goroutine's own), and
// with ErrClosed once Close began. It then adopts the newest epoch the agent handed over.
func (p *Producer) enter() error {
	for !atomic.CompareAndSwapInt32(&p.state, frameIdle, frameBusy) {
		if atomic.LoadInt32(&p.state) == frameClaimed {
			return ErrClaimState
		}
		runtime.Gosched()
	}
	return p.admit()
}

// admit is the rest of enter, for a caller that holds the frame path: it gives the path
// back when it fails.
func (p *Producer) admit() error {
	if p.closed.Load() {
		p.leave()
		return ErrClosed
	}
	if post, changed, ok := p.epochs.Take(); changed && ok {
		p.cur, p.why = post.p, post.why
	}
	if p.cur == nil {
		p.leave()
		if p.why == nil {
			return ErrNotAttached
		}
		return p.why
	}
	return nil
}

// leave gives the frame path back.
func (p *Producer) leave() { ordered.StoreInt32(&p.state, frameIdle) }

// NewProducer attaches to the driver as the producer of streamID, maps the granted
// regions read-write and keeps the lease alive on the Client's duty cycle. It blocks
// until the first grant is mapped or ctx's end; the publications it needs may still be
// being added then (the frame path says ErrNotReady meanwhile).
func (c *Client) NewProducer(ctx context.Context, streamID uint32) (*Producer, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	policy, err := shm.NewPathPolicy(c.opts.AllowedBaseDirs...)
	if err != nil {
		return nil, optionsError(err)
	}
	p := &Producer{client: c, streamID: streamID}
	p.claim.p = p
	r := &producerRole{p: p, o: &c.opts, clientID: c.clientID(), streamID: streamID, policy: policy}
	p.role = r
	p.epochs = handoff.NewTaker(&r.epochs)
	if err := c.proc.Add(r); err != nil {
		return nil, ErrClosed
	}
	// The condition runs on the duty cycle, and may run once more after a wait that ended
	// with ctx: the refusal it reads is handed over under a lock.
	var mu sync.Mutex
	var refused error
	werr := c.wait(ctx, func() bool {
		last := r.refusal()
		mu.Lock()
		refused = last
		mu.Unlock()
		return r.mapped || r.startErr != nil || r.mapErr != nil || c.Err() != nil || permanent(last)
	})
	mu.Lock()
	attachErr := c.attachError(werr, streamID, refused)
	mu.Unlock()
	if err := firstError(r.startErr, r.mapErr, c.Err(), attachErr); err != nil {
		p.shut()
		return nil, err
	}
	if err := c.track(p); err != nil {
		p.shut()
		return nil, err
	}
	return p, nil
}

// firstError is the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// producerRole is a producer's agent on the Client's duty cycle: its lease, the mapping
// of each grant into an epoch for the frame path, its publications, the per-consumer
// streams the driver assigns, the metadata and the timers (producer.Controller).
// Everything but the atomic fields belongs to the duty cycle.
type producerRole struct {
	p        *Producer
	o        *Options
	clientID uint32
	streamID uint32
	policy   *shm.PathPolicy
	startErr error

	// lease is the live driver lease, replaced by Rebind; leaseLog tells the Logger what
	// happens to every lease of the producer; rebindLosses counts the losses of the
	// leases Rebind dropped.
	lease        *driverclient.Lease
	leaseLog     *leaseLog
	rebindLosses uint64

	desc, qos, meta *pendingPublication
	control         *controlplane.Outbound
	// hasControl, hasQos, hasMeta: the publication was handed to the controller.
	hasControl, hasQos, hasMeta bool
	// refused: an add the media driver refused was reported.
	refused map[*pendingPublication]bool
	ctl     *producer.Controller
	// queued holds control-stream messages (copies) heard before the first grant.
	queued [][]byte

	// epochs hands the frame path each epoch; retired are the epochs it may still be
	// writing, released (their regions closed) once it has adopted a later post.
	epochs  handoff.Box[epochPost]
	retired handoff.Retired[*producer.Producer]
	// granted: a mapped grant waiting for the descriptor publication before it becomes an
	// epoch.
	granted *producer.Regions
	live    atomic.Pointer[[]*producer.Producer] // the epochs not yet released, for Stats
	totals  producerTotals                       // of the epochs released

	mapped bool // a grant was mapped once: NewProducer returns
	errMu  sync.Mutex
	mapErr error // why the latest grant could not be mapped

	// Published for any goroutine. leaseLosses is set once the frame path has been told
	// of the losses it counts (publishLosses).
	leaseRef    atomic.Pointer[driverclient.Lease]
	leaseLosses atomic.Uint64
	epoch       atomic.Uint64
	attached    atomic.Bool
	consumers   atomic.Int64
	descPub     atomic.Pointer[transport.Publication]

	// closing: Close asked for the lease back; finished once it is given back.
	closing, finished bool
	// dead: the Client's transport died; the producer stopped (stop).
	dead bool

	// counters are the producer's Aeron counters, set from its statistics by the duty
	// cycle (counterValues); releasedResults are the drops of the epochs released.
	counters        *counterSet
	fillCounters    func([]int64)
	releasedResults [producer.ResultCount]uint64
}

// producerTotals are the counters of the epochs already released, so Stats survive
// remaps.
type producerTotals struct {
	frames, bytes, dropped, perConsumer atomic.Uint64
}

func (r *producerRole) OnStart(proc *process.Process) {
	r.leaseLog = newLeaseLog(r.o.Logger, wire.RoleProducer, r.streamID, r.clientID)
	if r.lease, r.startErr = newLease(proc.Hub(), r.o, r.clientID, r.streamID, r.leaseLog, r.onControl); r.startErr != nil {
		return
	}
	r.leaseRef.Store(r.lease)
	r.setUp(proc)
}

// Rebind implements process.Rebinder (Client.Reconnect): the epoch written over the dead
// transport is withdrawn (if the transport watch has not stopped the producer yet) and
// released once the frame path has let go of it, as any epoch; the publications,
// counters and controller of the dead transport are dropped (it is closed later, once
// nothing can touch it); the lease attaches afresh, and its grant becomes a new epoch.
func (r *producerRole) Rebind(proc *process.Process) {
	if r.lease == nil || r.ctl == nil {
		return // never started: the producer could not be made
	}
	if !r.dead {
		r.endEpoch()
	}
	r.dead = false
	r.counters.close()
	r.control.Release()
	r.ctl.Close()
	r.refused = nil
	r.hasControl, r.hasQos, r.hasMeta = false, false, false
	r.descPub.Store(nil)
	// The lease held over the dead transport counts as lost: its driver lost the media
	// driver too, or revokes it as unknown.
	r.rebindLosses += r.lease.LossesIfDropped()
	r.lease.OnClose()
	r.leaseRef.Store(nil)
	if r.lease, r.startErr = newLease(proc.Hub(), r.o, r.clientID, r.streamID, r.leaseLog, r.onControl); r.startErr != nil {
		r.publishLosses()
		r.ctl = nil
		r.epochs.Post(epochPost{why: r.startErr})
		return
	}
	r.leaseRef.Store(r.lease)
	r.publishLosses()
	r.setUp(proc)
}

// setUp adds the producer's publications, controller and counters on proc's transport.
func (r *producerRole) setUp(proc *process.Process) {
	o, t := r.o, proc.Transport()
	r.control = proc.Hub().Publication(controlplane.Endpoint{Channel: o.ControlChannel, StreamID: o.ControlStreamID})
	r.desc = addPublication(t.AddExclusivePublication(controlplane.UntetheredLimits(o.DescriptorChannel), o.DescriptorStreamID), o.DescriptorChannel, o.DescriptorStreamID)
	if o.QosChannel != "" {
		r.qos = addPublication(t.AddPublication(o.QosChannel, o.QosStreamID), o.QosChannel, o.QosStreamID)
	}
	if o.MetadataChannel != "" {
		r.meta = addPublication(t.AddPublication(o.MetadataChannel, o.MetadataStreamID), o.MetadataChannel, o.MetadataStreamID)
	}
	consumers, err := producer.NewConsumers(r.streamID, consumerTimeout(o), func(channel string, streamID int32) transport.Pending[transport.Publication] {
		return t.AddPublication(channel, streamID)
	})
	if err != nil {
		r.startErr = fmt.Errorf("%w: %w", ErrInvalidOptions, err)
		return
	}
	r.ctl, r.startErr = producer.NewController(r.streamID, producer.Config{ProducerID: r.clientID, Clock: clock.Now,
		QosIntervalNs: o.QosInterval.Nanoseconds(), Consumers: consumers, AssignedByDriver: true, WireVersion: o.WireVersion})
	r.counters = newCounterSet(t, producerCounterInfos[:], r.streamID, r.clientID)
	r.fillCounters = r.counterValues
	r.epochs.Post(epochPost{why: ErrNotAttached})
}

// onControl takes a control-schema message off the driver's control stream: the
// consumers' hellos and the driver's ConsumerConfig answers (Driver spec §11), which the
// producer follows with per-consumer streams, and QosConsumer.
func (r *producerRole) onControl(msg []byte, h wire.Header) {
	switch h.ID() {
	case wire.ConsumerHelloID, wire.ConsumerConfigID, wire.QosConsumerID:
	default:
		return
	}
	if r.ctl != nil && r.mapped {
		_ = r.ctl.HandleControl(msg) // a malformed message changes nothing; others' are ignored
		return
	}
	// Hellos heard before the first grant are for it: a producer learns of its
	// consumers from them.
	const maxQueued = 1024
	if len(r.queued) < maxQueued {
		r.queued = append(r.queued, bytes.Clone(msg))
	}
}

func (r *producerRole) DoWork(now clock.Mono) int {
	if r.lease == nil || r.ctl == nil {
		return 0
	}
	if err := r.p.client.Err(); err != nil {
		return r.stop(err)
	}
	work := r.lease.DoWork(now)
	work += r.counters.update(now, r.fillCounters)
	if r.closing {
		r.lease.Detach(now)
		r.publishLosses() // the frame path is closed
		r.finished = r.lease.Done()
		return work
	}
	work += r.publications()
	work += r.checkFault(now)
	lost, granted, grant := r.lease.Take()
	if lost || granted {
		r.endEpoch()
		work++
	}
	r.publishLosses()
	if granted {
		r.mapGrant(&grant)
	}
	if r.granted != nil && r.desc.Get() != nil && !r.refused[r.desc] {
		r.beginEpoch()
		work++
	}
	if r.mapped && len(r.queued) > 0 {
		for _, msg := range r.queued {
			_ = r.ctl.HandleControl(msg)
		}
		clear(r.queued)
		r.queued = r.queued[:0]
	}
	work += r.ctl.DoWork(now.Nanos())
	r.consumers.Store(int64(r.ctl.Consumers().Len()))
	work += r.retired.Release(r.epochs.Adopted(), r.release)
	return work
}

// checkFault gives up an epoch whose regions faulted (the frame path, or the activity
// refresh, met a truncated file or a full filesystem): the lease goes back and a new
// attach gets a new epoch, its files allocated afresh by the driver.
func (r *producerRole) checkFault(now clock.Mono) int {
	cur := r.ctl.Current()
	if cur == nil || cur.Fault() == nil {
		return 0
	}
	err := fmt.Errorf("%w: stream %d epoch %d: %w", ErrRegionFault, r.streamID, cur.Epoch(), cur.Fault())
	r.setErr(err)
	r.p.client.log.Warn("producer epoch lost to a memory fault: reattaching", "stream", r.streamID, "epoch", cur.Epoch(), "err", err)
	r.endEpoch()
	r.lease.Abandon(now)
	return 1
}

// stop ends the producer for good once the Client's transport is dead: the frame path
// fails with err from its next call, the epoch is released once it has let go, and
// nothing reattaches (a detach could not reach the driver: Close finishes at once).
func (r *producerRole) stop(err error) int {
	work := 0
	if !r.dead {
		r.dead = true
		r.endEpoch()
		r.epochs.Post(epochPost{why: err})
		work++
	}
	if r.closing {
		r.finished = true
	}
	return work + r.retired.Release(r.epochs.Adopted(), r.release)
}

// publications takes the publications whose adds were answered since the last cycle, and
// reports those the media driver refused: a refused descriptor publication leaves the
// producer unable to publish, which the frame path then says.
func (r *producerRole) publications() int {
	work := 0
	for _, pp := range []*pendingPublication{r.desc, r.qos, r.meta} {
		if pp == nil || r.refused[pp] {
			continue
		}
		if err := pp.Err(); err != nil {
			if r.refused == nil {
				r.refused = map[*pendingPublication]bool{}
			}
			r.refused[pp] = true
			r.p.client.log.Error("producer publication refused", "stream", r.streamID, "channel", pp.channel, "stream_id", pp.streamID, "err", err)
			if pp == r.desc {
				r.epochs.Post(epochPost{why: fmt.Errorf("%w: %s stream %d: %w", ErrPublication, pp.channel, pp.streamID, err)})
			}
			work++
		}
	}
	if r.ctl != nil && r.control.Pub() != nil && !r.hasControl {
		r.ctl.SetControl(r.control.Pub())
		r.hasControl = true
		work++
	}
	if pub := r.desc.Get(); pub != nil && r.descPub.Load() == nil {
		r.descPub.Store(&pub)
		work++
	}
	if r.qos != nil && r.qos.Get() != nil && !r.hasQos {
		r.ctl.SetQos(r.qos.Get())
		r.hasQos = true
		work++
	}
	if r.meta != nil && r.meta.Get() != nil && !r.hasMeta {
		r.ctl.SetMetadata(r.meta.Get())
		r.hasMeta = true
		work++
	}
	return work
}

// mapGrant maps a grant's regions read-write; they become the frame path's epoch once
// the descriptor publication is in place.
func (r *producerRole) mapGrant(g *wire.ShmAttachResponse) {
	layout := producer.Layout{StreamID: g.StreamID, Epoch: g.Epoch, Nslots: g.HeaderNslots, WireVersion: r.o.WireVersion}
	uris := make([]string, len(g.PayloadPools))
	for i, pool := range g.PayloadPools {
		layout.Pools = append(layout.Pools, producer.PoolSpec{PoolID: pool.PoolID, StrideBytes: pool.StrideBytes})
		uris[i] = pool.RegionURI
	}
	regions, err := producer.OpenRegions(layout, r.policy, g.HeaderRegionURI, uris)
	if err != nil {
		err = fmt.Errorf("tp: mapping the regions of stream %d epoch %d: %w", g.StreamID, g.Epoch, err)
		r.p.client.log.Error("producer cannot map its grant", "stream", r.streamID, "client", r.clientID, "epoch", g.Epoch, "err", err)
		r.setErr(err)
		return
	}
	r.setErr(nil)
	r.granted = regions
	r.mapped = true
	// Attached from here: the lease is live and its regions mapped, whether or not the
	// descriptor publication is in place yet (the frame path says ErrNotReady meanwhile).
	r.attached.Store(true)
	if !r.refused[r.desc] {
		r.epochs.Post(epochPost{why: ErrNotReady})
	}
}

// beginEpoch turns the mapped grant into the frame path's next epoch.
func (r *producerRole) beginEpoch() {
	regions := r.granted
	r.granted = nil
	pr, err := r.ctl.NewEpoch(regions, r.desc.Get())
	if err != nil {
		regions.Close()
		err = fmt.Errorf("tp: producer for stream %d: %w", r.streamID, err)
		r.p.client.log.Error("producer cannot start its epoch", "stream", r.streamID, "client", r.clientID, "err", err)
		r.setErr(err)
		return
	}
	pr.Controller().RefreshActivity(clock.Now().Nanos())
	r.p.client.log.Info("producer writing a new epoch", "stream", r.streamID, "client", r.clientID, "epoch", pr.Epoch())
	r.epochs.Post(epochPost{p: pr})
	r.addLive(pr)
	r.epoch.Store(pr.Epoch())
}

// endEpoch withdraws the frame path's epoch (its lease ended, or a new grant replaces
// it): the frame path is told why at its next call, and the regions are released once it
// has let go of them.
func (r *producerRole) endEpoch() {
	r.attached.Store(false)
	r.epoch.Store(0)
	if r.granted != nil {
		r.granted.Close()
		r.granted = nil
	}
	gen := r.epochs.Post(epochPost{why: ErrNotAttached})
	if cur := r.ctl.Current(); cur != nil {
		r.ctl.EndEpoch(cur)
		r.retired.Add(cur, gen)
	}
}

// release closes a retired epoch's regions and adds its counters to the totals.
func (r *producerRole) release(pr *producer.Producer) {
	c := pr.FrameCounters()
	r.totals.frames.Add(c.Frames)
	r.totals.bytes.Add(c.Bytes)
	r.totals.perConsumer.Add(c.PerConsumerDescriptors)
	var dropped uint64
	for i, n := range c.Results {
		dropped += n
		r.releasedResults[i] += n
	}
	r.totals.dropped.Add(dropped)
	pr.Regions().Close()
	r.removeLive(pr)
}

// counterValues writes the producer's statistics in the order of producerCounterInfos:
// the epochs released and the live ones, drops by reason.
func (r *producerRole) counterValues(v []int64) {
	frames, bytes, perConsumer := r.totals.frames.Load(), r.totals.bytes.Load(), r.totals.perConsumer.Load()
	results := r.releasedResults
	if live := r.live.Load(); live != nil {
		for _, pr := range *live {
			c := pr.FrameCounters()
			frames += c.Frames
			bytes += c.Bytes
			perConsumer += c.PerConsumerDescriptors
			for i, n := range c.Results {
				results[i] += n
			}
		}
	}
	clear(v)
	v[counterProducerFrames] = int64(frames)
	v[counterProducerBytes] = int64(bytes)
	for i, n := range results {
		if k := producerResultCounter[i]; k >= 0 {
			v[k] += int64(n)
		}
	}
	v[counterProducerLeaseLosses] = int64(r.leaseLosses.Load())
	v[counterProducerPerConsumerDescriptors] = int64(perConsumer)
}

func (r *producerRole) addLive(pr *producer.Producer) {
	var next []*producer.Producer
	if cur := r.live.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, pr)
	r.live.Store(&next)
}

func (r *producerRole) removeLive(pr *producer.Producer) {
	var next []*producer.Producer
	if cur := r.live.Load(); cur != nil {
		for _, x := range *cur {
			if x != pr {
				next = append(next, x)
			}
		}
	}
	r.live.Store(&next)
}

// publishLosses sets the loss count Stats and the counters read. The role calls it once
// the frame path has been told of every loss it counts: after withdrawing the lost lease's
// epoch, or with the frame path closed.
func (r *producerRole) publishLosses() {
	n := r.rebindLosses
	if r.lease != nil {
		n += r.lease.Losses()
	}
	r.leaseLosses.Store(n)
}

func (r *producerRole) setErr(err error) {
	r.errMu.Lock()
	r.mapErr = err
	r.errMu.Unlock()
}

func (r *producerRole) OnClose() {
	if r.lease != nil {
		r.lease.OnClose()
	}
	if r.counters != nil {
		r.counters.close()
	}
	if r.control != nil {
		r.control.Release()
	}
	if r.granted != nil {
		r.granted.Close()
		r.granted = nil
	}
	// The frame path is closed: nothing uses the epochs or the publications any more.
	if r.ctl != nil {
		if cur := r.ctl.Current(); cur != nil {
			r.retired.Add(cur, 0)
		}
		r.ctl.Close()
	}
	r.retired.ReleaseAll(r.release)
	for _, pub := range []*pendingPublication{r.desc, r.qos, r.meta} {
		if pub != nil {
			_ = pub.Close() // best effort: the producer is going away
		}
	}
}

func (r *producerRole) RoleName() string { return fmt.Sprintf("tp-producer:%d", r.streamID) }

// refusal is why the lease is not granted yet. Duty cycle.
func (r *producerRole) refusal() error {
	if r.lease == nil {
		return nil
	}
	return r.lease.LastRefusal()
}

// consumerTimeout is how long a consumer's per-consumer streams outlive its last hello:
// five hello periods (1 s) or QoS intervals, whichever is longer (§10.1.3: 3–5×).
func consumerTimeout(o *Options) int64 {
	return 5 * max(int64(time.Second), o.QosInterval.Nanoseconds())
}

// Offer publishes a copy of t as one frame. It never waits: a frame that cannot be
// placed or announced is dropped and the error says why.
func (p *Producer) Offer(t Tensor) error {
	if err := p.enter(); err != nil {
		return err
	}
	defer p.leave()
	if !t.header(&p.hdr) {
		return ErrInvalidTensor
	}
	return p.frameErr(p.cur.OfferTraced(t.Data, &p.hdr, t.TraceID))
}

// Claim opens a frame of size bytes to be written in place (zero copy): fill
// Claim.Payload, then Commit or Abort. Until then other goroutines' frame-path calls
// wait, and this goroutine's other calls fail with ErrClaimState.
func (p *Producer) Claim(size int) (*Claim, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	c, r := p.cur.Claim(size)
	return p.opened(c, r)
}

// frameErr is the error of a frame-path result: a failed publication of a Client whose
// transport is dead is the Client's terminal error (ErrAeronLost), made terminal here if
// its duty cycle has not noticed yet (so the logger hears of it first).
func (p *Producer) frameErr(r producer.Result) error {
	err := resultErr(r)
	if err == ErrPublication {
		if terminal := p.client.Err(); terminal != nil {
			return terminal
		}
		if err := p.client.transportNow().Err(); err != nil {
			return p.client.lost(err)
		}
	}
	return err
}

// opened keeps the frame path for an open claim, or gives it back on a failure.
func (p *Producer) opened(c *producer.Claim, r producer.Result) (*Claim, error) {
	if r != producer.OK {
		p.leave()
		return nil, p.frameErr(r)
	}
	p.claim.c = c
	ordered.StoreInt32(&p.state, frameClaimed)
	return &p.claim, nil
}

// close turns an open claim back into a call in progress, so that of two racing
// Commits or Aborts of one claim exactly one proceeds.
func (c *Claim) close() bool {
	return atomic.CompareAndSwapInt32(&c.p.state, frameClaimed, frameBusy)
}

// Payload is where the frame's bytes go, exactly the size claimed.
func (c *Claim) Payload() []byte { return c.c.Payload() }

// Seq is the sequence number the frame will carry.
func (c *Claim) Seq() uint64 { return c.c.Seq() }

// Commit publishes the claimed frame with shape s.
func (c *Claim) Commit(s Shape) error {
	if !c.close() {
		return ErrClaimState
	}
	p := c.p
	defer p.leave()
	if !s.header(&p.hdr) {
		p.cur.Abort(c.c)
		return ErrInvalidTensor
	}
	return p.frameErr(p.cur.Commit(c.c, &p.hdr))
}

// Abort gives the claim up; no frame is published.
func (c *Claim) Abort() error {
	if !c.close() {
		return ErrClaimState
	}
	defer c.p.leave()
	return c.p.frameErr(c.p.cur.Abort(c.c))
}

// ProducerStats are a producer's totals across epochs.
type ProducerStats struct {
	Frames, Bytes uint64
	// Dropped counts frames not published, for any reason.
	Dropped uint64
	// Epoch is the mapped epoch, 0 while not attached.
	Epoch uint64
	// LeaseLosses counts leases that ended (revoked, expired, driver shutdown); a loss
	// is counted once the frame path has been told: an Offer or Claim begun after it
	// fails with ErrNotAttached until a new grant is mapped.
	LeaseLosses uint64
	// Consumers is the number of consumers heard from recently (their hellos);
	// PerConsumerDescriptors counts descriptors sent on per-consumer streams the driver
	// assigned them, besides the shared stream.
	Consumers              int
	PerConsumerDescriptors uint64
}

// Stats returns the producer's totals. It takes no lock the frame path or the duty
// cycle holds.
func (p *Producer) Stats() ProducerStats {
	r := p.role
	s := ProducerStats{
		Frames: r.totals.frames.Load(), Bytes: r.totals.bytes.Load(), Dropped: r.totals.dropped.Load(),
		PerConsumerDescriptors: r.totals.perConsumer.Load(),
		Epoch:                  r.epoch.Load(), LeaseLosses: r.leaseLosses.Load(), Consumers: int(r.consumers.Load()),
	}
	if live := r.live.Load(); live != nil {
		for _, pr := range *live {
			c := pr.FrameCounters()
			s.Frames += c.Frames
			s.Bytes += c.Bytes
			s.PerConsumerDescriptors += c.PerConsumerDescriptors
			for _, n := range c.Results {
				s.Dropped += n
			}
		}
	}
	return s
}

// Err returns the Client's terminal error (Client.Err) once its transport is dead, else
// why the latest grant could not be mapped, nil if it was.
func (p *Producer) Err() error {
	if err := p.client.Err(); err != nil {
		return err
	}
	r := p.role
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.mapErr
}

// Close detaches from the driver and unmaps the regions. An open claim must be
// committed or aborted first (else ErrClaimState).
func (p *Producer) Close() error {
	for !atomic.CompareAndSwapInt32(&p.state, frameIdle, frameBusy) {
		if atomic.LoadInt32(&p.state) == frameClaimed {
			return ErrClaimState
		}
		runtime.Gosched()
	}
	if p.closed.Swap(true) {
		p.leave()
		return nil
	}
	p.leave()
	p.shut()
	p.client.untrack(p)
	return nil
}

// detachTimeout bounds how long Close waits for the driver to take a lease back: the
// lease expires anyway.
const detachTimeout = time.Second

// shut gives the lease back (briefly waiting for the driver) and stops the role, which
// releases the mapping and publications.
func (p *Producer) shut() {
	p.closed.Store(true)
	c, r := p.client, p.role
	ctx, cancel := context.WithTimeout(context.Background(), detachTimeout)
	if c.proc.Do(func() { r.closing = true }) == nil {
		_ = c.wait(ctx, func() bool { return r.finished || r.lease == nil }) // best effort
	}
	cancel()
	if done, err := c.proc.Remove(r); err == nil {
		_ = c.wait(context.Background(), func() bool { return isClosed(done) })
	}
}

// isClosed reports whether ch is closed.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// control runs f on the producer's agent, on the duty cycle, and returns its error. For
// the metadata calls: control-path calls that may wait for a duty cycle.
func (p *Producer) control(f func(r *producerRole) error) error {
	if p.closed.Load() {
		return ErrClosed
	}
	r := p.role
	var err error
	ran := false
	ctx, cancel := context.WithTimeout(context.Background(), controlTimeout)
	defer cancel()
	if werr := p.client.wait(ctx, func() bool {
		if !ran {
			ran, err = true, f(r)
		}
		return true
	}); werr != nil {
		return werr
	}
	return err
}

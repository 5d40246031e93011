package tp

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/internal/ordered"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// Producer publishes frames on one stream through a driver lease. It is safe for
// concurrent use; concurrent publishers take turns.
type Producer struct {
	client *Client
	policy *shm.PathPolicy
	desc   transport.Publication
	qos    transport.Publication // nil without Options.QosChannel
	meta   transport.Publication // nil without Options.MetadataChannel
	// control carries FrameProgress on the shared control stream.
	control transport.Publication

	// mu guards everything below; the keeper takes it to service the lease, and an open
	// claim holds it until Commit or Abort, so the regions are never unmapped under a
	// writer.
	mu      sync.Mutex
	regions *producer.Regions
	p       *producer.Producer
	prev    *producer.Producer // the last epoch's producer, whose metadata the next inherits
	err     error              // last failure to map a grant
	closed  bool
	hdr     shm.TensorHeader
	claim   Claim
	// done totals the counters of epochs already unmapped, so Stats survive remaps.
	done producer.Counters
	// consumers are the consumers that said hello on the stream, with the per-consumer
	// streams the driver assigned them; kept across epochs.
	consumers *producer.Consumers

	// role is the producer's agent on the Client's duty cycle.
	role *producerRole
}

// Claim is an open frame whose payload the caller fills in place. It stays valid until
// Commit or Abort, which must follow promptly: the producer's lease is not serviced
// meanwhile.
type Claim struct {
	p    *Producer
	c    *producer.Claim
	open claimFlag
}

// claimFlag says whether a claim is open. Only the goroutine holding Producer.mu opens
// one, with a release store: sync/atomic's store is a full barrier, which would wait for
// the store buffer to drain into the cache lines consumers hold (a quarter of a 64 B
// frame's time through tp). Closing is a compare-and-swap, so that of two racing Commits
// or Aborts of one claim exactly one proceeds and unlocks.
type claimFlag struct{ v int32 }

func (f *claimFlag) Load() bool  { return atomic.LoadInt32(&f.v) != 0 }
func (f *claimFlag) open()       { ordered.StoreInt32(&f.v, 1) }
func (f *claimFlag) close() bool { return atomic.CompareAndSwapInt32(&f.v, 1, 0) }

// NewProducer attaches to the driver as the producer of streamID, maps the granted
// regions read-write and keeps the lease alive on the Client's duty cycle. It blocks
// until the first grant is mapped or ctx's end.
func (c *Client) NewProducer(ctx context.Context, streamID uint32) (*Producer, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	policy, err := shm.NewPathPolicy(c.opts.AllowedBaseDirs...)
	if err != nil {
		return nil, fmt.Errorf("%w: AllowedBaseDirs: %w", ErrInvalidOptions, err)
	}
	p := &Producer{client: c, policy: policy}
	p.claim.p = p
	if err := p.openPublications(ctx); err != nil {
		p.closePublications()
		return nil, err
	}
	if p.consumers, err = producer.NewConsumers(streamID, consumerTimeout(&c.opts), p.openConsumerStream); err != nil {
		p.closePublications()
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	p.role = &producerRole{p: p, clientID: c.clientID(), streamID: streamID}
	if err := c.proc.Add(p.role); err != nil {
		p.closePublications()
		return nil, ErrClosed
	}
	r := p.role
	werr := c.wait(ctx, func() bool { return r.mapped || r.startErr != nil || p.err != nil })
	if err := firstError(r.startErr, p.err, attachError(werr, r)); err != nil {
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

// attachError says why waiting for a grant ended: ctx's end, with the driver's last
// refusal when there was one.
func attachError(werr error, r leaseHolder) error {
	if werr == nil {
		return nil
	}
	if last := r.refusal(); last != nil {
		return fmt.Errorf("tp: attach to stream %d: %w (last attempt: %w)", r.stream(), werr, last)
	}
	return fmt.Errorf("tp: attach to stream %d: %w", r.stream(), werr)
}

// leaseHolder is a role with a lease, for attachError.
type leaseHolder interface {
	refusal() error
	stream() uint32
}

// producerRole is a producer's agent on the Client's duty cycle: its lease, the mapping
// of each grant, and the producer's timers. The data path (Offer, Claim, Commit) holds
// Producer.mu for a call or from Claim to Commit; while a claim is open the role only
// tries for it, so the duty cycle never waits for an application to commit, and what it
// could not do waits for a later cycle.
type producerRole struct {
	p        *Producer
	clientID uint32
	streamID uint32
	lease    *lease
	// control holds control-stream messages (copies) for the producer, until the role
	// gets Producer.mu.
	control [][]byte
	// mapped: a grant has been mapped once; startErr: the lease could not be set up.
	mapped   bool
	startErr error
	// closing: Close asked for the lease back; finished once it is given back.
	closing, finished bool
}

func (r *producerRole) OnStart(proc *process.Process) {
	o := &r.p.client.opts
	r.lease, r.startErr = newLease(proc.Hub(), o, r.clientID, wire.RoleProducer, r.streamID, r.onControl)
}

// onControl takes a control-schema message off the driver's control stream: the
// consumers' hellos and the driver's ConsumerConfig answers (Driver spec §11), which the
// producer follows with per-consumer streams.
func (r *producerRole) onControl(msg []byte, h wire.Header) {
	if h.ID() != wire.ConsumerHelloID && h.ID() != wire.ConsumerConfigID && h.ID() != wire.QosConsumerID {
		return
	}
	const maxQueued = 1024 // a flood waits for the producer to take it no further than this
	if len(r.control) < maxQueued {
		r.control = append(r.control, bytes.Clone(msg))
	}
}

func (r *producerRole) DoWork(now clock.Mono) int {
	if r.lease == nil {
		return 0
	}
	work := r.lease.service(now)
	if r.closing {
		r.lease.detach(now)
		r.finished = r.lease.done()
		return work
	}
	p := r.p
	// An open claim holds p.mu until the application commits: the duty cycle does not
	// wait for that. Otherwise the data path holds it for one call only.
	if p.claim.open.Load() {
		if !p.mu.TryLock() {
			return work
		}
	} else {
		p.mu.Lock()
	}
	defer p.mu.Unlock()
	if p.closed {
		return work
	}
	if p.react() {
		r.mapped = true
	}
	if p.p == nil {
		return work // hellos heard before the first grant wait for it
	}
	for _, msg := range r.control {
		_ = p.p.HandleControl(msg) // a malformed message changes nothing; others' are ignored
	}
	work += len(r.control) + p.p.DoWork(now.Nanos())
	clear(r.control)
	r.control = r.control[:0]
	return work
}

func (r *producerRole) OnClose() {
	if r.lease != nil {
		r.lease.close()
	}
}

func (r *producerRole) RoleName() string { return fmt.Sprintf("tp-producer:%d", r.streamID) }

func (r *producerRole) refusal() error {
	if r.lease == nil {
		return nil
	}
	return r.lease.refusal()
}

func (r *producerRole) stream() uint32 { return r.streamID }

// openPublications adds the producer's publications, waiting for them until ctx ends.
func (p *Producer) openPublications(ctx context.Context) (err error) {
	c := p.client
	o := &c.opts
	if p.desc, err = await(ctx, c, c.transport.AddExclusivePublication(o.DescriptorChannel, o.DescriptorStreamID)); err != nil {
		return fmt.Errorf("tp: descriptor publication: %w", err)
	}
	if p.control, err = await(ctx, c, c.transport.AddPublication(o.ControlChannel, o.ControlStreamID)); err != nil {
		return fmt.Errorf("tp: control publication: %w", err)
	}
	if o.QosChannel != "" {
		if p.qos, err = await(ctx, c, c.transport.AddPublication(o.QosChannel, o.QosStreamID)); err != nil {
			return fmt.Errorf("tp: QoS publication: %w", err)
		}
	}
	if o.MetadataChannel != "" {
		if p.meta, err = await(ctx, c, c.transport.AddPublication(o.MetadataChannel, o.MetadataStreamID)); err != nil {
			return fmt.Errorf("tp: metadata publication: %w", err)
		}
	}
	return nil
}

func (p *Producer) closePublications() {
	if p.consumers != nil {
		p.consumers.Close()
	}
	for _, pub := range []transport.Publication{p.desc, p.control, p.qos, p.meta} {
		if pub != nil {
			pub.Close()
		}
	}
}

// react drops the mapping of a lost lease and maps a new grant (with p.mu held); it
// reports whether it mapped one.
func (p *Producer) react() bool {
	lost, granted, grant := p.role.lease.take()
	if lost || granted {
		p.unmap()
	}
	if granted {
		p.err = p.mapGrant(&grant)
	}
	return granted && p.err == nil
}

// openConsumerStream opens a per-consumer publication the driver assigned; until the
// media driver adds it, it is not connected.
func (p *Producer) openConsumerStream(channel string, streamID int32) (transport.Publication, error) {
	return addPublication(p.client.transport.AddPublication(channel, streamID), channel, streamID), nil
}

// consumerTimeout is how long a consumer's per-consumer streams outlive its last hello:
// five hello periods (1 s) or QoS intervals, whichever is longer (§10.1.3: 3–5×).
func consumerTimeout(o *Options) int64 {
	return 5 * max(int64(time.Second), o.QosInterval.Nanoseconds())
}

func (p *Producer) mapGrant(g *wire.ShmAttachResponse) error {
	layout := producer.Layout{StreamID: g.StreamID, Epoch: g.Epoch, Nslots: g.HeaderNslots}
	uris := make([]string, len(g.PayloadPools))
	for i, pool := range g.PayloadPools {
		layout.Pools = append(layout.Pools, producer.PoolSpec{PoolID: pool.PoolID, StrideBytes: pool.StrideBytes})
		uris[i] = pool.RegionURI
	}
	regions, err := producer.OpenRegions(layout, p.policy, g.HeaderRegionURI, uris)
	if err != nil {
		return fmt.Errorf("tp: mapping the regions of stream %d epoch %d: %w", g.StreamID, g.Epoch, err)
	}
	cfg := producer.Config{ProducerID: p.role.clientID, Descriptors: p.desc, Clock: clock.Now,
		QosIntervalNs: p.client.opts.QosInterval.Nanoseconds(), Control: p.control,
		Consumers: p.consumers, AssignedByDriver: true}
	if p.qos != nil {
		cfg.Qos = p.qos
	}
	if p.meta != nil {
		cfg.Metadata = p.meta
	}
	pr, err := producer.New(regions, cfg)
	if err != nil {
		regions.Close()
		return fmt.Errorf("tp: producer for stream %d: %w", g.StreamID, err)
	}
	if p.prev != nil {
		pr.InheritMetadata(p.prev)
	}
	pr.RefreshActivity(clock.Now().Nanos())
	p.regions, p.p = regions, pr
	return nil
}

func (p *Producer) unmap() {
	if p.p == nil {
		return
	}
	c := p.p.Counters()
	p.done.Frames += c.Frames
	p.done.Bytes += c.Bytes
	for i, n := range c.Results {
		p.done.Results[i] += n
	}
	p.regions.Close()
	p.prev, p.p, p.regions = p.p, nil, nil
}

// Offer publishes a copy of t as one frame. It never waits: a frame that cannot be
// placed or announced is dropped and the error says why.
func (p *Producer) Offer(t Tensor) error {
	if p.claim.open.Load() {
		return ErrClaimState // the claim holds the lock: waiting for it here would deadlock
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.ready(); err != nil {
		return err
	}
	if !t.header(&p.hdr) {
		return ErrInvalidTensor
	}
	return resultErr(p.p.Offer(t.Data, &p.hdr))
}

func (p *Producer) ready() error {
	switch {
	case p.closed:
		return ErrClosed
	case p.p == nil:
		return ErrNotAttached
	}
	return nil
}

// Claim opens a frame of size bytes to be written in place (zero copy): fill
// Claim.Payload, then Commit or Abort. Until then the Producer is locked: other
// goroutines' calls wait, and this goroutine's calls other than Commit and Abort fail
// with ErrClaimState (Stats and Err would wait: do not call them with a claim open).
func (p *Producer) Claim(size int) (*Claim, error) {
	if p.claim.open.Load() {
		return nil, ErrClaimState
	}
	p.mu.Lock()
	if err := p.ready(); err != nil {
		p.mu.Unlock()
		return nil, err
	}
	c, r := p.p.Claim(size)
	if r != producer.OK {
		p.mu.Unlock()
		return nil, resultErr(r)
	}
	p.claim.c = c
	p.claim.open.open()
	return &p.claim, nil
}

// Payload is where the frame's bytes go, exactly the size claimed.
func (c *Claim) Payload() []byte { return c.c.Payload() }

// Seq is the sequence number the frame will carry.
func (c *Claim) Seq() uint64 { return c.c.Seq() }

// Commit publishes the claimed frame with shape s.
func (c *Claim) Commit(s Shape) error {
	if !c.open.close() {
		return ErrClaimState
	}
	p := c.p
	defer p.mu.Unlock()
	if !s.header(&p.hdr) {
		p.p.Abort(c.c)
		return ErrInvalidTensor
	}
	return resultErr(p.p.Commit(c.c, &p.hdr))
}

// Abort gives the claim up; no frame is published.
func (c *Claim) Abort() error {
	if !c.open.close() {
		return ErrClaimState
	}
	defer c.p.mu.Unlock()
	return resultErr(c.p.p.Abort(c.c))
}

// ProducerStats are a producer's totals across epochs.
type ProducerStats struct {
	Frames, Bytes uint64
	// Dropped counts frames not published, for any reason.
	Dropped uint64
	// Epoch is the mapped epoch, 0 while not attached.
	Epoch uint64
	// LeaseLosses counts leases that ended (revoked, expired, driver shutdown).
	LeaseLosses uint64
	// Consumers is the number of consumers heard from recently (their hellos);
	// PerConsumerDescriptors counts descriptors sent on per-consumer streams the driver
	// assigned them, besides the shared stream.
	Consumers              int
	PerConsumerDescriptors uint64
}

// Stats returns the producer's totals.
func (p *Producer) Stats() ProducerStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.done
	s := ProducerStats{LeaseLosses: p.role.lease.losses.Load(), Consumers: p.consumers.Len(), PerConsumerDescriptors: p.consumers.Counters().Described}
	if p.p != nil {
		cur := p.p.Counters()
		c.Frames += cur.Frames
		c.Bytes += cur.Bytes
		for i, n := range cur.Results {
			c.Results[i] += n
		}
		s.Epoch = p.p.Epoch()
	}
	s.Frames, s.Bytes = c.Frames, c.Bytes
	for _, n := range c.Results {
		s.Dropped += n
	}
	return s
}

// Err returns why the latest grant could not be mapped, nil if it was.
func (p *Producer) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Close detaches from the driver and unmaps the regions. An open claim must be
// committed or aborted first (else ErrClaimState).
func (p *Producer) Close() error {
	if p.claim.open.Load() {
		return ErrClaimState
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.shut()
	p.client.untrack(p)
	return nil
}

// detachTimeout bounds how long Close waits for the driver to take a lease back: the
// lease expires anyway.
const detachTimeout = time.Second

// shut gives the lease back (briefly waiting for the driver), stops the role and releases
// the mapping and publications.
func (p *Producer) shut() {
	c := p.client
	if r := p.role; r != nil {
		ctx, cancel := context.WithTimeout(context.Background(), detachTimeout)
		if c.proc.Do(func() { r.closing = true }) == nil {
			_ = c.wait(ctx, func() bool { return r.finished || r.lease == nil }) // best effort
		}
		cancel()
		if done, err := c.proc.Remove(r); err == nil {
			_ = c.wait(context.Background(), func() bool { return isClosed(done) })
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.unmap()
	p.closePublications()
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

package tp

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/agents/consumer"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// Consumer receives the frames of one stream through a driver lease. It is safe for
// concurrent use; the handler runs inside Poll, on the polling goroutine.
type Consumer struct {
	client    *Client
	announces transport.Subscription
	descs     transport.Subscription
	qos       transport.Publication // nil without Options.QosChannel
	hellos    transport.Publication

	// mu guards everything below; the role's duty cycle tries for it to service the
	// lease, so the mapping never changes while a handler reads a frame.
	mu        sync.Mutex
	role      *consumerRole
	c         *consumer.Consumer
	streamID  uint32
	onControl transport.Handler
	revoked   wire.ShmLeaseRevoked
	handler   func(*Frame)
	frame     Frame
	last      consumer.FrameMark // the frame handled last, for FrameValid
	lastMaps  uint64             // Counters().Remaps when last was taken
	err       error
	closed    bool
	// producerGone: a notice that the stream's producer lease ended arrived in this
	// Poll's control catch-up (Driver spec §4.9).
	producerGone bool

	// descsAssigned and progress are the per-consumer descriptor and control streams the
	// driver assigned (Wire §10.1.3): frames are read from the first instead of the shared
	// descriptor stream, FrameProgress from the second.
	descsAssigned, progress consumer.Follower
	// reading is the descriptor subscription frames come from, for IsConnected, which
	// takes no lock.
	reading atomic.Pointer[transport.Subscription]
}

// ConsumerStats are a consumer's totals.
type ConsumerStats struct {
	Frames, Bytes uint64
	// DropsGap counts frames never seen (overwritten before read or not announced);
	// DropsLate frames overwritten while read; DropsInvalid descriptors and headers that
	// failed validation, every other reason.
	DropsGap, DropsLate, DropsInvalid uint64
	// Remaps counts epochs mapped.
	Remaps uint64
	// Epoch is the mapped epoch, 0 while unmapped.
	Epoch uint64
	// LeaseLosses counts leases that ended (revoked, expired, driver shutdown).
	LeaseLosses uint64
	// DescriptorStreamID is the per-consumer descriptor stream frames are read from, 0
	// while they come from the shared one.
	DescriptorStreamID uint32
}

// NewConsumer attaches to the driver as a consumer of streamID, maps the granted regions
// read-only (only from Options.AllowedBaseDirs) and starts keeping the lease alive.
// handler receives each frame inside Poll (see Frame for how long it may be used) and
// must not call the Consumer's methods but ID, StreamID, LeaseID and IsConnected, which
// take no lock: the others would wait forever for the Poll it runs in. NewConsumer blocks
// until the first grant or ctx's end.
func (c *Client) NewConsumer(ctx context.Context, streamID uint32, handler func(*Frame)) (*Consumer, error) {
	if handler == nil {
		return nil, fmt.Errorf("%w: a frame handler is required", ErrInvalidOptions)
	}
	if err := c.usable(); err != nil {
		return nil, err
	}
	cs := &Consumer{client: c, streamID: streamID, handler: handler}
	cs.onControl = cs.handleControl
	var err error
	id := c.clientID() // the driver client id doubles as the consumer id (QoS)
	o := &c.opts
	if cs.hellos, err = await(ctx, c, c.transport.AddPublication(o.ControlChannel, o.ControlStreamID)); err != nil {
		return nil, fmt.Errorf("tp: control publication: %w", err)
	}
	if o.QosChannel != "" {
		if cs.qos, err = await(ctx, c, c.transport.AddPublication(o.QosChannel, o.QosStreamID)); err != nil {
			cs.closeSubs()
			return nil, fmt.Errorf("tp: QoS publication: %w", err)
		}
	}
	cfg := consumer.Config{
		StreamID: streamID, ConsumerID: id, AllowedBaseDirs: o.AllowedBaseDirs, Clock: clock.Now,
		Mode: o.Consumer.Mode, MaxRateHz: o.Consumer.MaxRateHz, FreshnessNs: o.Consumer.FreshnessNs,
		Hellos: cs.hellos, QosIntervalNs: o.QosInterval.Nanoseconds(), Progress: o.Consumer.Progress,
		DescriptorChannel: o.Consumer.DescriptorChannel, DescriptorStreamID: o.Consumer.DescriptorStreamID,
		ControlChannel: o.Consumer.ControlChannel, ControlStreamID: o.Consumer.ControlStreamID,
	}
	if cs.qos != nil {
		cfg.Qos = cs.qos
	}
	if cs.c, err = consumer.New(cfg, cs.onFrame); err != nil {
		cs.closeSubs()
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if cs.announces, err = await(ctx, c, c.transport.AddSubscription(o.AnnounceChannel, o.AnnounceStreamID)); err != nil {
		cs.closeSubs()
		return nil, fmt.Errorf("tp: announce subscription: %w", err)
	}
	if cs.descs, err = await(ctx, c, c.transport.AddSubscription(o.DescriptorChannel, o.DescriptorStreamID)); err != nil {
		cs.closeSubs()
		return nil, fmt.Errorf("tp: descriptor subscription: %w", err)
	}
	cs.reading.Store(&cs.descs)
	cs.role = &consumerRole{cs: cs, clientID: id, streamID: streamID}
	if err := c.proc.Add(cs.role); err != nil {
		cs.closeSubs()
		return nil, ErrClosed
	}
	r := cs.role
	werr := c.wait(ctx, func() bool { return r.mapped || r.startErr != nil || cs.err != nil })
	if err := firstError(r.startErr, cs.err, attachError(werr, r)); err != nil {
		cs.shut()
		return nil, err
	}
	if err := c.track(cs); err != nil {
		cs.shut()
		return nil, err
	}
	return cs, nil
}

// consumerRole is a consumer's agent on the Client's duty cycle: its lease, the mapping
// of each grant, the consumer's timers and the per-consumer streams it follows. It takes
// Consumer.mu, which Poll holds for one call, so the mapping never changes under a
// handler.
type consumerRole struct {
	cs       *Consumer
	clientID uint32
	streamID uint32
	lease    *lease
	mapped   bool
	startErr error
	// closing: Close asked for the lease back; finished once it is given back.
	closing, finished bool
}

func (r *consumerRole) OnStart(proc *process.Process) {
	r.lease, r.startErr = newLease(proc.Hub(), &r.cs.client.opts, r.clientID, wire.RoleConsumer, r.streamID, nil)
}

func (r *consumerRole) DoWork(now clock.Mono) int {
	if r.lease == nil {
		return 0
	}
	work := r.lease.service(now)
	if r.closing {
		r.lease.detach(now)
		r.finished = r.lease.done()
		return work
	}
	cs := r.cs
	cs.mu.Lock() // Poll holds it for one call
	defer cs.mu.Unlock()
	if cs.closed {
		return work
	}
	if cs.react() {
		r.mapped = true
	}
	work += cs.c.DoWork(now.Nanos())
	cs.followAssignment()
	if err := cs.c.ControlError(); err != nil {
		cs.err = err
	}
	return work
}

func (r *consumerRole) OnClose() {
	if r.lease != nil {
		r.lease.close()
	}
}

func (r *consumerRole) RoleName() string { return fmt.Sprintf("tp-consumer:%d", r.streamID) }

func (r *consumerRole) refusal() error {
	if r.lease == nil {
		return nil
	}
	return r.lease.refusal()
}

func (r *consumerRole) stream() uint32 { return r.streamID }

func (cs *Consumer) onFrame(f *consumer.Frame) {
	cs.last, cs.lastMaps = f.Mark(), cs.c.MapGeneration()
	cs.frame.f = f
	cs.handler(&cs.frame)
}

// followAssignment subscribes to the per-consumer streams of the latest ConsumerConfig, or
// returns to the shared ones when it assigns none (with cs.mu held, on the duty cycle).
// A new subscription reads nothing until the media driver has added it.
func (cs *Consumer) followAssignment() {
	as := cs.c.Assigned()
	if err := cs.descsAssigned.Follow(cs.subscribe, "descriptor", as.DescriptorChannel, as.DescriptorStreamID); err != nil {
		cs.err = err
	}
	// An image left unpolled holds its publication back (Aeron flow control): the shared
	// descriptor subscription is closed while frames come from the assigned stream, and
	// opened again when the assignment is withdrawn.
	if assigned := cs.descsAssigned.Sub(); assigned != nil {
		cs.reading.Store(&assigned)
		if cs.descs != nil {
			cs.descs.Close()
			cs.descs = nil
		}
	} else if cs.descs == nil {
		o := &cs.client.opts
		sub, _ := cs.subscribe(o.DescriptorChannel, o.DescriptorStreamID)
		cs.descs = sub
		cs.reading.Store(&sub)
	}
	if err := cs.progress.Follow(cs.subscribe, "control", as.ControlChannel, as.ControlStreamID); err != nil {
		cs.err = err
	}
}

// subscribe opens a subscription that reads nothing until the media driver added it.
func (cs *Consumer) subscribe(channel string, streamID int32) (transport.Subscription, error) {
	return addSubscription(cs.client.transport.AddSubscription(channel, streamID), channel, streamID), nil
}

// react unmaps on a lost lease and maps a new grant's epoch (with cs.mu held); it reports
// whether it mapped one. A grant of the epoch already mapped re-validates it; a newer one
// replaces it (Wire §15.21).
func (cs *Consumer) react() bool {
	lost, granted, grant := cs.role.lease.take()
	if lost {
		cs.c.Unmap()
	}
	if granted {
		a := grantAnnounce(&grant, clock.Now().Nanos())
		if _, err := cs.c.ApplyAnnounce(&a); err != nil {
			cs.err = fmt.Errorf("tp: mapping the regions of stream %d epoch %d: %w", grant.StreamID, grant.Epoch, err)
			return false
		}
		return true
	}
	return false
}

// grantAnnounce describes an attach response's regions as an announce received now.
func grantAnnounce(g *wire.ShmAttachResponse, nowNs int64) wire.ShmPoolAnnounce {
	return wire.ShmPoolAnnounce{
		StreamID: g.StreamID, Epoch: g.Epoch, AnnounceTimestampNs: uint64(nowNs), AnnounceClockDomain: wire.ClockMonotonic,
		LayoutVersion: g.LayoutVersion, HeaderNslots: g.HeaderNslots, HeaderSlotBytes: g.HeaderSlotBytes,
		HeaderRegionURI: g.HeaderRegionURI, PayloadPools: slices.Clone(g.PayloadPools),
	}
}

// maxControlMessages bounds the control-stream catch-up of one Poll, so a flood of
// control traffic cannot starve the frames.
const maxControlMessages = 128

// Poll handles the driver's announces (a new epoch is mapped) and up to limit
// descriptors, calling the handler for each frame that passes every check. It never
// blocks and returns the descriptors read, delivered or dropped: the work done, for an
// idle strategy (a consumer that backed off on dropped frames alone would stay behind
// the producer and find every later frame overwritten too).
func (cs *Consumer) Poll(limit int) int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return 0
	}
	// Catch up with the control stream first (it also carries other clients' requests),
	// so a new epoch's announce is mapped before that epoch's descriptors are read; one
	// message at a time, to stop right after a revoked producer's notice.
	for range maxControlMessages {
		if cs.announces.Poll(cs.onControl, 1) == 0 || cs.producerGone {
			break
		}
	}
	if sub := cs.progress.Sub(); sub != nil {
		cs.c.PollProgress(sub, limit)
	}
	n := cs.pollDescriptors(limit)
	if cs.producerGone {
		// Driver spec §4.9: once the producer's lease has ended, wait for the epoch-bumped
		// announce. The frames it published before that, whose descriptors are already
		// here, are read first: a producer that detaches right after its last frames
		// would otherwise lose them to every consumer that had not polled yet.
		for more := n; more > 0 && n < maxDrainedDescriptors; n += more {
			more = cs.pollDescriptors(limit)
		}
		cs.c.Unmap()
		cs.producerGone = false
	}
	// A region truncated under the mapping is given up inside Poll (the handler's reads
	// included): report it now, as the service loop reports other mapping failures.
	if err := cs.c.ControlError(); err != nil {
		cs.err = err
	}
	return n
}

// maxDrainedDescriptors bounds the descriptors read after a producer's lease ended: more
// than any ring holds, since later ones would find their slots overwritten anyway.
const maxDrainedDescriptors = 1 << 16

// pollDescriptors reads up to limit descriptors from the stream the consumer follows
// (with cs.mu held).
func (cs *Consumer) pollDescriptors(limit int) int {
	if sub := cs.descsAssigned.Sub(); sub != nil {
		return cs.c.Poll(sub, limit)
	}
	if cs.descs != nil {
		return cs.c.Poll(cs.descs, limit)
	}
	return 0
}

// handleControl takes one message of the announce stream (with cs.mu held).
func (cs *Consumer) handleControl(msg []byte, _ *transport.Header) {
	if producerRevoked(msg, cs.streamID, &cs.revoked) {
		// Driver spec §4.9: stop reading the revoked producer's epoch and wait for the
		// epoch-bumped announce, which maps its successor. Poll stops the catch-up here,
		// reads the descriptors already published, and unmaps.
		cs.producerGone = true
		return
	}
	if err := cs.c.HandleControl(msg); err != nil {
		cs.err = err
	}
}

// producerRevoked reports whether msg is a well-formed ShmLeaseRevoked for the producer
// of streamID; r receives the decoded notice. Notices with unknown enum values are not
// (§4.9: clients reject them).
func producerRevoked(msg []byte, streamID uint32, r *wire.ShmLeaseRevoked) bool {
	hdr, err := wire.PeekHeader(msg)
	if err != nil || hdr.ID() != wire.ShmLeaseRevokedID || hdr.Version > wire.DriverSchemaVersion {
		return false
	}
	if r.Decode(msg) != nil {
		return false
	}
	return r.Role == wire.RoleProducer && r.StreamID == streamID
}

// Stats returns the consumer's totals.
func (cs *Consumer) Stats() ConsumerStats {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.c.Counters()
	epoch, _ := cs.c.Mapped()
	s := ConsumerStats{Frames: c.Frames, Bytes: c.Bytes, DropsGap: c.DropsGap, DropsLate: c.DropsLate,
		Remaps: c.Remaps, Epoch: epoch, LeaseLosses: cs.role.lease.losses.Load()}
	for _, d := range c.Drops {
		s.DropsInvalid += d
	}
	s.DropsInvalid -= c.DropsLate // every late drop is also counted in Drops
	if cs.descsAssigned.Sub() != nil {
		s.DescriptorStreamID = cs.c.Assigned().DescriptorStreamID
	}
	return s
}

// Err returns and clears the last control-path problem: an announce or grant whose
// regions were refused, or a mapping given up for a dead producer or because its files
// were truncated (consumer.ErrRegionTruncated).
func (cs *Consumer) Err() error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	err := cs.err
	cs.err = nil
	return err
}

// Close detaches from the driver and unmaps the regions.
func (cs *Consumer) Close() error {
	cs.mu.Lock()
	if cs.closed {
		cs.mu.Unlock()
		return nil
	}
	cs.closed = true
	cs.mu.Unlock()
	cs.shut()
	cs.client.untrack(cs)
	return nil
}

// shut gives the lease back (briefly waiting for the driver), stops the role and releases
// the mapping, subscriptions and publications.
func (cs *Consumer) shut() {
	c := cs.client
	if r := cs.role; r != nil {
		ctx, cancel := context.WithTimeout(context.Background(), detachTimeout)
		if c.proc.Do(func() { r.closing = true }) == nil {
			_ = c.wait(ctx, func() bool { return r.finished || r.lease == nil }) // best effort
		}
		cancel()
		if done, err := c.proc.Remove(r); err == nil {
			_ = c.wait(context.Background(), func() bool { return isClosed(done) })
		}
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.closed = true
	cs.c.Close()
	cs.descsAssigned.Close()
	cs.progress.Close()
	cs.closeSubs()
}

// closeSubs closes the consumer's subscriptions and publications, those opened so far.
func (cs *Consumer) closeSubs() {
	for _, s := range []transport.Subscription{cs.announces, cs.descs} {
		if s != nil {
			s.Close()
		}
	}
	for _, p := range []transport.Publication{cs.hellos, cs.qos} {
		if p != nil {
			p.Close()
		}
	}
}

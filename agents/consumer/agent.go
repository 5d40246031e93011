package consumer

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/driverclient"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// AgentConfig configures an Agent.
type AgentConfig struct {
	// Consumer configures the consumer. Its Hellos and Qos are the Agent's: hellos go to
	// Control, QoS to Qos.
	Consumer Config
	// Control is the driver's control stream: the lease (with Lease) and the hellos.
	Control controlplane.Endpoint
	// Announce carries the ShmPoolAnnounces, and the ConsumerConfigs, DataSourceAnnounces,
	// DataSourceMetas, FrameProgress and the stream's producer's ShmLeaseRevoked the
	// consumer acts on; default Control.
	Announce controlplane.Endpoint
	// Descriptors is the shared descriptor stream.
	Descriptors controlplane.Endpoint
	// Qos carries QosConsumer every Consumer.QosIntervalNs; no channel: none are sent.
	Qos controlplane.Endpoint
	// Lease attaches to the SHM driver on Control as client Consumer.ConsumerID (Driver
	// spec §4) and maps each grant's regions; without it the Agent maps what announces
	// describe (a standalone producer's).
	Lease bool
	// KeepaliveInterval paces the lease's keepalives; default 1 s (Driver spec §4.4).
	KeepaliveInterval time.Duration
	// OnLeaseEvent, with Lease, receives the lease's Granted, Lost, Refused and Detached
	// events after the Agent's lease recorded them (driverclient.Config.OnEvent), on the
	// duty cycle: for a log. It must not call the Agent.
	OnLeaseEvent func(driverclient.Effect)
}

// Agent is a consumer role hosted on a process's duty cycle (package process): one
// consumer orchestration for tp and for library users. Its control side runs on the duty
// cycle: the lease (through driverclient, on the process's control plane), announces,
// configs, metadata, progress and the stream's producer's revocation arriving through
// controlplane routes (no subscription of its own), liveness, fallback, hellos and QoS,
// and the descriptor streams it follows, added without waiting. Its data path, Poll, runs
// on the application's goroutine and reads what the control side hands it through a
// lock-free hand-off: Poll never waits on the control plane or the media driver and
// shares no lock with the duty cycle.
//
// Methods say where they run: the duty cycle (OnStart, DoWork, OnClose, Detach,
// Detached, Started, LastRefusal, Consumer), the data path (Poll, FrameValid, StopPolling,
// which are safe for concurrent use and serialise among themselves), or any goroutine
// (the rest, which read what the control side published last).
type Agent struct {
	cfg AgentConfig
	c   *Consumer
	rd  *Reader

	// The duty cycle's.
	client        transport.Client
	hub           *controlplane.Hub
	lease         *driverclient.Lease
	routes        []*controlplane.Route
	progress      *controlplane.Route // the per-consumer control stream's
	progressOn    controlplane.Endpoint
	hellos, qos   outboundSender
	reading, next *descriptorStream
	// resubscribe: replace the descriptor subscription even if its stream is unchanged.
	resubscribe  bool
	failed       controlplane.Endpoint // a descriptor stream the media driver refused
	startErr     error                 // the lease could not be set up
	attachErr    error                 // why the first mapping failed so far
	staleGrant   error                 // a grant's regions failed the liveness check: waited out
	everMapped   bool                  // an epoch was mapped (with a lease: a grant's)
	rebindLosses uint64                // losses of the leases Rebind dropped, for Status
	closing      bool
	finished     bool

	// The data path's: Poll holds dataMu for one call.
	dataMu  sync.Mutex
	stopped bool

	// Published by the duty cycle, for any goroutine.
	pubMu      sync.Mutex
	pub        published
	readingSub atomic.Pointer[transport.Subscription]
	qosPub     atomic.Pointer[transport.Publication]
	leaseRef   atomic.Pointer[driverclient.Lease] // lease, for LeaseID and Status
	// mappedRef is pub.m and errPending pub.err != nil, for Live and ErrPending, which a
	// data path asks after every poll without taking pubMu.
	mappedRef  atomic.Pointer[mapping]
	errPending atomic.Bool

	// Whichever of OnClose and StopPolling comes second releases what the data path read.
	relMu       sync.Mutex
	roleClosed  bool
	dataStopped bool
}

// published is the control side's state as of the end of its last duty cycle.
type published struct {
	counters Counters // the control side's; Status adds the Reader's
	m        *mapping
	epoch    uint64
	// leaseLosses is published with epoch: whoever reads a loss finds the epoch unmapped.
	leaseLosses uint64
	descStream  uint32
	progress    wire.FrameProgress
	hasProgress bool
	source      wire.DataSourceAnnounce
	hasSource   bool
	meta        wire.DataSourceMeta
	hasMeta     bool
	fallbackURI string
	fallback    bool
	err         error
}

// descriptorStream is a descriptor subscription being added, or in use.
type descriptorStream struct {
	ep      controlplane.Endpoint
	pending transport.Pending[transport.Subscription]
}

// outboundSender sends through a publication the process's control plane shares; until
// the media driver added it, nothing is sent.
type outboundSender struct{ o *controlplane.Outbound }

func (s *outboundSender) TryClaim(length int, c *transport.Claim) int64 {
	if s.o == nil || s.o.Pub() == nil {
		return transport.NotConnected
	}
	return s.o.Pub().TryClaim(length, c)
}

// NewAgent makes the consumer role that delivers frames to handler, inside Poll. Hand it
// to a process (process.Process.Add); nothing happens before its OnStart.
func NewAgent(cfg AgentConfig, handler FrameHandler) (*Agent, error) {
	if cfg.Announce.Channel == "" {
		cfg.Announce = cfg.Control
	}
	if cfg.Control.Channel == "" || cfg.Descriptors.Channel == "" {
		return nil, errors.New("consumer: AgentConfig.Control and Descriptors need a channel")
	}
	a := &Agent{cfg: cfg}
	ccfg := cfg.Consumer
	ccfg.Hellos = &a.hellos
	ccfg.Qos = nil
	if cfg.Qos.Channel != "" {
		ccfg.Qos = &a.qos
	}
	c, err := New(ccfg, handler)
	if err != nil {
		return nil, err
	}
	a.c, a.rd = c, c.Reader()
	return a, nil
}

// OnStart implements process.Starter: the routes on the announce stream, the lease and
// the hello and QoS publications; the first duty cycle adds the descriptor subscription.
func (a *Agent) OnStart(p *process.Process) {
	a.client, a.hub = p.Transport(), p.Hub()
	a.routes = append(a.routes,
		a.hub.Route(a.cfg.Announce, controlplane.Messages(wire.ShmPoolAnnounceID, wire.ConsumerConfigID,
			wire.DataSourceAnnounceID, wire.DataSourceMetaID, wire.FrameProgressID), a.onControl),
		// Driver spec §4.9: the stream's producer's lease ended (HandleControl drains).
		a.hub.Route(a.cfg.Announce, controlplane.Messages(wire.ShmLeaseRevokedID), a.onControl))
	a.hellos.o = a.hub.Publication(a.cfg.Control)
	if a.cfg.Qos.Channel != "" {
		a.qos.o = a.hub.Publication(a.cfg.Qos)
	}
	if a.cfg.Lease {
		cc := &a.c.cfg
		a.lease, a.startErr = driverclient.NewLease(a.hub, driverclient.Config{
			Control: a.cfg.Control,
			Params: driverclient.Params{
				ClientID: cc.ConsumerID, Role: wire.RoleConsumer, StreamID: cc.StreamID,
				PublishMode: wire.PublishModeRequireExisting, ExpectedLayoutVersion: shm.LayoutVersion,
				KeepaliveInterval: a.cfg.KeepaliveInterval,
			},
			OnEvent: a.cfg.OnLeaseEvent,
		})
		if a.lease != nil {
			a.leaseRef.Store(a.lease)
		}
	}
}

// Rebind implements process.Rebinder: the process moved to a new transport after its
// own died. The epoch mapped is given up (as on a lost lease: the Reader lets go of it at
// its next Poll); the lease (counted lost if it was live), routes, publications and
// descriptor subscription of the dead transport are dropped; the Agent starts again on
// p's, with a new lease whose grant is mapped as any and its descriptor stream
// subscribed afresh.
func (a *Agent) Rebind(p *process.Process) {
	if a.hub == nil || a.startErr != nil {
		return
	}
	if a.lease != nil {
		a.leaseRef.Store(nil)
		a.rebindLosses += a.lease.LossesIfDropped()
		a.lease.OnClose()
		a.lease = nil
	}
	for _, r := range a.routes {
		r.Close()
	}
	a.routes = nil
	if a.progress != nil {
		a.progress.Close()
		a.progress = nil
	}
	a.progressOn = controlplane.Endpoint{}
	for _, s := range []*outboundSender{&a.hellos, &a.qos} {
		if s.o != nil {
			s.o.Release()
			s.o = nil
		}
	}
	a.qosPub.Store(nil)
	if a.next != nil {
		a.next.pending.Cancel()
		a.next = nil
	}
	a.reading, a.failed = nil, controlplane.Endpoint{}
	a.readingSub.Store(nil)
	a.c.Unmap()
	a.OnStart(p)
}

func (a *Agent) onControl(msg []byte, _ wire.Header, _ *transport.Header) {
	if err := a.c.HandleControl(msg); err != nil {
		a.c.controlErr = err
	}
}

// DoWork implements agent.Agent: the lease and what it grants, the consumer's timers,
// the streams a ConsumerConfig assigns; then the state is published. Announces and the
// rest arrive through the routes, on the control plane's part of the same duty cycle.
func (a *Agent) DoWork(now clock.Mono) int {
	if a.hub == nil || a.startErr != nil {
		return 0
	}
	if a.closing {
		return a.detach(now)
	}
	work := 0
	if a.lease != nil {
		if a.c.TakeAnnounced() && a.lease.ID() == 0 {
			// The driver announced the stream: an attach refused because it did not
			// exist yet (no producer had created it) is retried now, not after a backoff
			// of up to 2 s whose frames this consumer would miss.
			a.lease.RetryNow(now)
		}
		work += a.lease.DoWork(now) + a.react(now)
	}
	work += a.c.DoWork(now.Nanos())
	work += a.follow()
	if _, ok := a.c.mapped(); ok && (a.lease == nil || a.staleGrant != nil) {
		// Without a lease any mapping starts the Agent; with one, a grant's, or an
		// announce's after a live grant whose regions were stale.
		a.everMapped, a.staleGrant = true, nil
	}
	if a.qos.o != nil && a.qosPub.Load() == nil {
		if pub := a.qos.o.Pub(); pub != nil {
			a.qosPub.Store(&pub)
		}
	}
	a.publish()
	return work
}

// react unmaps on a lost lease and maps a new grant's epoch: a grant of the epoch already
// mapped re-validates it, a newer one replaces it (Wire §15.21).
func (a *Agent) react(now clock.Mono) int {
	lost, granted, grant := a.lease.Take()
	if lost {
		a.c.Unmap()
		a.staleGrant = nil // the grant it was is gone
		if reason, revoke := a.lease.LastLoss(); reason == driverclient.LossExpired ||
			(reason == driverclient.LossRevoked && revoke == wire.RevokeExpired) {
			// This process stopped for longer than its lease (the driver or its own timer
			// says so first): its untethered descriptor subscription was most likely
			// dropped for falling behind, and would rejoin only after the media driver's
			// resting timeout. A new one joins at once.
			a.resubscribe = true
		}
	}
	if !granted {
		return boolWork(lost)
	}
	ann := grantAnnounce(&grant, now.Nanos())
	if _, err := a.c.ApplyAnnounce(&ann); err != nil {
		err = fmt.Errorf("consumer: mapping the regions of stream %d epoch %d: %w", grant.StreamID, grant.Epoch, err)
		a.c.controlErr = err
		switch {
		case a.everMapped:
		case errors.Is(err, ErrStaleActivity):
			// The lease is live, but the regions' producer has not refreshed them within
			// the freshness window (stopped, or dead with its lease not yet expired). Like
			// a stale announce (Wire §15.1) the grant is ignored, not fatal: the next
			// announce of live regions maps them, the producer's once it runs again or
			// the driver's, which refreshes a stream without a producer.
			a.staleGrant = err
		default:
			a.attachErr = err
		}
		return 1
	}
	a.everMapped, a.staleGrant = true, nil
	return 1
}

func boolWork(b bool) int {
	if b {
		return 1
	}
	return 0
}

// grantAnnounce describes an attach response's regions as an announce received at nowNs.
func grantAnnounce(g *wire.ShmAttachResponse, nowNs int64) wire.ShmPoolAnnounce {
	return wire.ShmPoolAnnounce{
		StreamID: g.StreamID, Epoch: g.Epoch, AnnounceTimestampNs: uint64(nowNs), AnnounceClockDomain: wire.ClockMonotonic,
		LayoutVersion: g.LayoutVersion, HeaderNslots: g.HeaderNslots, HeaderSlotBytes: g.HeaderSlotBytes,
		HeaderRegionURI: g.HeaderRegionURI, PayloadPools: slices.Clone(g.PayloadPools),
	}
}

// follow moves the consumer to the streams of the latest ConsumerConfig, or back to the
// shared ones when it assigns none (§10.1.3).
func (a *Agent) follow() int {
	as := a.c.Assigned()
	want := a.cfg.Descriptors
	if as.DescriptorStreamID != 0 {
		want = controlplane.Endpoint{Channel: as.DescriptorChannel, StreamID: int32(as.DescriptorStreamID)}
	}
	work := a.followDescriptors(want)
	var progress controlplane.Endpoint
	if as.ControlStreamID != 0 {
		progress = controlplane.Endpoint{Channel: as.ControlChannel, StreamID: int32(as.ControlStreamID)}
	}
	if progress != a.progressOn {
		if a.progress != nil {
			a.progress.Close()
			a.progress = nil
		}
		a.progressOn = progress
		if progress.Channel != "" {
			a.progress = a.hub.Route(progress, controlplane.Messages(wire.FrameProgressID), func(msg []byte, _ wire.Header, _ *transport.Header) {
				a.c.HandleProgress(msg)
			})
		}
		work++
	}
	return work
}

// followDescriptors moves the Reader to the descriptor stream want: the subscription is
// added without waiting, and the Reader moves once it is in place; the one it leaves is
// closed once the Reader moved (an image left unpolled would hold its publication back).
// A stream the media driver refuses is not asked for again until the assignment changes.
func (a *Agent) followDescriptors(want controlplane.Endpoint) int {
	if a.next != nil && a.next.ep != want {
		a.next.pending.Cancel()
		a.next = nil
	}
	if a.next == nil {
		if (a.reading != nil && a.reading.ep == want && !a.resubscribe) || want == a.failed {
			return 0
		}
		a.resubscribe = false
		a.failed = controlplane.Endpoint{}
		a.next = &descriptorStream{ep: want, pending: a.client.AddSubscription(controlplane.UntetheredDescriptors(want.Channel), want.StreamID)}
	}
	sub, err := a.next.pending.Poll()
	switch {
	case errors.Is(err, transport.ErrPending):
		return 0
	case err != nil:
		err = fmt.Errorf("consumer: descriptor stream %v: %w", want, err)
		a.c.controlErr = err
		if a.reading == nil {
			a.attachErr = err
		}
		a.failed, a.next = want, nil
		return 1
	}
	a.reading, a.next = a.next, nil
	a.c.setDescriptors(sub)
	a.readingSub.Store(&sub)
	return 1
}

// publish copies the control side's state for other goroutines.
func (a *Agent) publish() {
	c := a.c
	var desc uint32
	if a.reading != nil && a.reading.ep != a.cfg.Descriptors {
		desc = uint32(a.reading.ep.StreamID)
	}
	a.pubMu.Lock()
	defer a.pubMu.Unlock()
	p := &a.pub
	p.counters, p.m, p.descStream = c.counters, c.m, desc
	p.epoch, _ = c.mapped()
	p.leaseLosses = a.rebindLosses
	if a.lease != nil {
		p.leaseLosses += a.lease.Losses()
	}
	p.progress, p.hasProgress = c.progress, c.hasProgress
	p.source, p.hasSource = c.source, c.hasSource
	p.meta, p.hasMeta = c.meta, c.hasMeta
	p.fallbackURI, p.fallback = c.Fallback()
	if err := c.ControlError(); err != nil {
		p.err = err
		a.errPending.Store(true)
	}
	a.mappedRef.Store(c.m)
}

// detach gives the lease back after Detach; Detached reports the end.
func (a *Agent) detach(now clock.Mono) int {
	if a.lease == nil {
		a.finished = true
		return 0
	}
	a.lease.Detach(now)
	work := a.lease.DoWork(now)
	a.finished = a.lease.Done()
	return work
}

// Detach begins giving the lease back; from then on the Agent maps nothing more. Duty
// cycle.
func (a *Agent) Detach() { a.closing = true }

// Detached reports whether the lease is given back after Detach (or the Agent holds
// none). Duty cycle.
func (a *Agent) Detached() bool { return a.finished || a.startErr != nil }

// Started reports whether the Agent is ready to deliver frames: an epoch mapped (with a
// lease, a grant's: its lease is live) and the descriptor subscription in place; err says why it is not yet, when it failed (the lease
// could not be set up, the first grant's regions were refused, the descriptor stream
// could not be added). Duty cycle.
func (a *Agent) Started() (ready bool, err error) {
	if a.startErr != nil {
		return false, a.startErr
	}
	return a.everMapped && a.reading != nil, a.attachErr
}

// LastRefusal is why the latest attach has not started the Agent yet: the driver's
// refusal, or a grant whose regions failed the liveness check and wait for an announce of
// live ones; nil once mapped, after a grant of live regions, or without a lease. Duty
// cycle.
func (a *Agent) LastRefusal() error {
	if a.lease == nil {
		return nil
	}
	if err := a.lease.LastRefusal(); err != nil || a.everMapped {
		return err
	}
	return a.staleGrant
}

// Consumer is the control side. Duty cycle.
func (a *Agent) Consumer() *Consumer { return a.c }

// OnClose implements agent.Agent: the lease, routes and publications go; the mapping
// and subscriptions the data path reads go too once StopPolling has returned (at once if
// it has).
func (a *Agent) OnClose() {
	if a.lease != nil {
		a.lease.OnClose()
	}
	for _, r := range a.routes {
		r.Close()
	}
	if a.progress != nil {
		a.progress.Close()
	}
	for _, s := range []*outboundSender{&a.hellos, &a.qos} {
		if s.o != nil {
			s.o.Release()
		}
	}
	a.qosPub.Store(nil)
	if a.next != nil {
		a.next.pending.Cancel()
		a.next = nil
	}
	a.relMu.Lock()
	a.roleClosed = true
	release := a.dataStopped
	a.relMu.Unlock()
	if release {
		a.c.Close()
	}
}

// RoleName implements agent.Agent.
func (a *Agent) RoleName() string { return fmt.Sprintf("tp-consumer:%d", a.c.cfg.StreamID) }

// Poll reads up to limit descriptors from the descriptor stream the consumer follows and
// hands each frame that passes every check to the handler; a drain order of the control
// side is carried out first (Driver spec §4.9). It never waits on the control plane and
// returns the descriptors read (0 before the first mapping, or after StopPolling). Data
// path; the handler must not call Poll, FrameValid or StopPolling.
func (a *Agent) Poll(limit int) int {
	a.dataMu.Lock()
	defer a.dataMu.Unlock()
	if a.stopped {
		return 0
	}
	return a.rd.pollView(limit)
}

// FrameValid is Reader.LastFrameValid: whether the frame handed to the handler last,
// if it has sequence seq in header slot headerIndex, is still intact. Data path.
func (a *Agent) FrameValid(seq uint64, headerIndex uint32) bool {
	a.dataMu.Lock()
	defer a.dataMu.Unlock()
	return !a.stopped && a.rd.LastFrameValid(seq, headerIndex)
}

// StopPolling ends the data path: it waits for a Poll in progress, and Poll reads nothing
// from then on. What the data path read is released once the Agent is closed too. Data
// path.
func (a *Agent) StopPolling() {
	a.dataMu.Lock()
	a.stopped = true
	a.dataMu.Unlock()
	a.relMu.Lock()
	release := a.roleClosed && !a.dataStopped
	a.dataStopped = true
	a.relMu.Unlock()
	if release {
		a.c.Close() // the duty cycle is done with the Consumer: OnClose ran
	}
}

// Status is what an Agent's control side published last, with what its Reader counted.
type Status struct {
	Counters Counters
	// Mapped and Epoch: the epoch frames are read from; a mapping the Reader gave up on a
	// fault counts as unmapped at once.
	Mapped bool
	Epoch  uint64
	// LeaseID is the live lease's id, 0 without one; LeaseLosses counts leases ended.
	LeaseID, LeaseLosses uint64
	// DescriptorStreamID is the per-consumer descriptor stream frames are read from, 0
	// while they come from the shared one.
	DescriptorStreamID uint32
}

// Status returns the consumer's state. Any goroutine.
func (a *Agent) Status() Status {
	a.pubMu.Lock()
	p := &a.pub
	s := Status{Counters: p.counters, Mapped: p.m != nil, Epoch: p.epoch, LeaseLosses: p.leaseLosses, DescriptorStreamID: p.descStream}
	m := p.m
	a.pubMu.Unlock()
	if m != nil && m == a.rd.faulted.Load() {
		s.Mapped, s.Epoch = false, 0
	}
	s.Counters = s.Counters.with(a.rd.snapshot())
	if l := a.leaseRef.Load(); l != nil {
		s.LeaseID = l.ID()
	}
	return s
}

// Live is Status's Mapped && LeaseID != 0 without the rest: whether the consumer holds a
// lease and an epoch mapped that the Reader has not given up. Any goroutine; it takes no
// lock, for a data path that asks after every poll.
func (a *Agent) Live() bool {
	m := a.mappedRef.Load()
	l := a.leaseRef.Load()
	return m != nil && m != a.rd.faulted.Load() && l != nil && l.ID() != 0
}

// ErrPending reports whether Err has something to return. Any goroutine; it takes no
// lock.
func (a *Agent) ErrPending() bool { return a.errPending.Load() || a.rd.faultErr.Load() != nil }

// ClientID is the driver client id of the lease, the consumer id. Any goroutine.
func (a *Agent) ClientID() uint32 { return a.c.cfg.ConsumerID }

// LeaseID is the live lease's id, 0 without one. Any goroutine; it takes no lock.
func (a *Agent) LeaseID() uint64 {
	if l := a.leaseRef.Load(); l != nil {
		return l.ID()
	}
	return 0
}

// Err returns and clears the last control-path problem: an announce or grant whose
// regions were refused, a descriptor stream the media driver refused, a mapping given up
// for a dead producer or because its files were truncated (ErrRegionTruncated, met by
// either side). Any goroutine.
func (a *Agent) Err() error {
	a.pubMu.Lock()
	defer a.pubMu.Unlock()
	err := a.pub.err
	a.pub.err = nil
	a.errPending.Store(false)
	// Under the lock that publish moves a Reader fault into pub.err with: the fault is in
	// one of the two, never between them.
	return a.rd.addFault(err)
}

// Progress is Consumer.Progress as the control side published it. Any goroutine.
func (a *Agent) Progress() (wire.FrameProgress, bool) {
	a.pubMu.Lock()
	defer a.pubMu.Unlock()
	return a.pub.progress, a.pub.hasProgress
}

// DataSource is Consumer.DataSource as the control side published it. Any goroutine.
func (a *Agent) DataSource() (wire.DataSourceAnnounce, bool) {
	a.pubMu.Lock()
	defer a.pubMu.Unlock()
	return a.pub.source, a.pub.hasSource
}

// Metadata is Consumer.Metadata as the control side published it. Any goroutine.
func (a *Agent) Metadata() (wire.DataSourceMeta, bool) {
	a.pubMu.Lock()
	defer a.pubMu.Unlock()
	return a.pub.meta, a.pub.hasMeta
}

// Fallback is Consumer.Fallback as the control side published it. Any goroutine.
func (a *Agent) Fallback() (uri string, active bool) {
	a.pubMu.Lock()
	defer a.pubMu.Unlock()
	return a.pub.fallbackURI, a.pub.fallback
}

// IsConnected reports whether some producer publishes on the descriptor stream the
// consumer reads. Any goroutine; it takes no lock.
func (a *Agent) IsConnected() bool {
	sub := a.readingSub.Load()
	return sub != nil && (*sub).IsConnected()
}

// OfferQos sends q on the QoS stream now, with the transport's result; ok is false
// without a QoS stream. Until the publication is added the result is
// transport.NotConnected. Any goroutine.
func (a *Agent) OfferQos(q *wire.QosConsumer) (result int64, ok bool) {
	if a.cfg.Qos.Channel == "" {
		return 0, false
	}
	pub := a.qosPub.Load()
	if pub == nil {
		return transport.NotConnected, true
	}
	var buf [wire.QosConsumerLength]byte
	q.Encode(buf[:]) // cannot fail: buf is QosConsumerLength bytes
	return (*pub).Offer(buf[:]), true
}

var (
	_ agent.Agent     = (*Agent)(nil)
	_ process.Starter = (*Agent)(nil)
)

package driver

import (
	"fmt"
	"slices"

	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/wire"
)

// ActionKind names an effect the driver agent carries out for the core.
type ActionKind uint8

const (
	// ActionSendLeaseRevoked: publish Action.Revoked as ShmLeaseRevoked.
	ActionSendLeaseRevoked ActionKind = iota + 1
	// ActionProvisionEpoch: create the SHM files of Action.Epoch for
	// Action.StreamID (layout from Core.Stream) off the duty cycle, then run
	// epoch GC; report the outcome with Core.Provisioned.
	ActionProvisionEpoch
	// ActionSendPoolAnnounce: publish ShmPoolAnnounce for Action.StreamID.
	ActionSendPoolAnnounce
	// ActionRetireStream: a dynamic stream lost its last lease and was
	// forgotten; stop announcing it. Its files are left to epoch GC.
	ActionRetireStream
	// ActionSendDriverShutdown: publish Action.Shutdown as ShmDriverShutdown.
	ActionSendDriverShutdown
	// ActionSendAttachResponse: publish Action.Response as ShmAttachResponse;
	// an OK one first gets the URIs of Action.Epoch's files of Action.StreamID.
	ActionSendAttachResponse
	// ActionSendUnknownLeaseRevoked: publish Action.Revoked, which tells a
	// client of another driver run that its lease is unknown here.
	ActionSendUnknownLeaseRevoked
)

// Action is one effect, in the order the agent must carry it out.
type Action struct {
	Kind     ActionKind
	StreamID uint32
	Epoch    uint64
	Revoked  wire.ShmLeaseRevoked
	Shutdown wire.ShmDriverShutdown
	Response wire.ShmAttachResponse
}

// Stream is the driver's view of one stream.
type Stream struct {
	ID      uint32
	Profile config.Profile
	// Dynamic streams were created on attach and are forgotten when their
	// last lease ends.
	Dynamic bool
	// Epoch is the stream's newest epoch: 0 until the stream is first
	// provisioned; while Provisioning, the epoch being provisioned.
	Epoch        uint64
	EpochStartNs uint64
	// Ready: Epoch's files exist, so it is granted and announced.
	Ready bool
	// Provisioning: an ActionProvisionEpoch for Epoch awaits Provisioned.
	Provisioning bool
	// ProducerLeaseID is 0 when no producer is attached; ProducerClientID is
	// then 0 too, which is ShmPoolAnnounce.producerId for "no producer" (§8).
	ProducerLeaseID  uint64
	ProducerClientID uint32
	ConsumerLeases   int
}

// Core is the driver's protocol state: streams, leases, epochs, per-consumer
// stream assignments and the driver lifecycle. It is used by one goroutine.
// The []Action a method returns is reused by the next call.
//
// Provisioning is asynchronous: an attach that needs a new epoch waits
// (ActionProvisionEpoch) while the core keeps serving keepalives, detaches
// and other attaches, and is granted when the agent reports the epoch with
// Provisioned. A lease's expiry counts from its grant.
//
// Lease identity across driver runs: every lease id carries this run's
// random instance nonce in its high half (leaseIDs), so no two runs issue
// the same id, and a keepalive or detach naming a lease this run never
// issued (a client of a driver that died) is answered with ShmLeaseRevoked
// for exactly that lease id, client, stream and role, reason REVOKED,
// paced per client (noticeLimiter). Epochs come from the monotonic clock
// and from the epochs earlier runs left (RecordEpochOnDisk), so they keep
// increasing across restarts (Driver spec §10).
type Core struct {
	cfg           *config.DriverConfig
	leaseExpiryNs uint64
	life          lifecycle

	streams map[uint32]*Stream
	// epochFloor remembers the last epoch of streams not in streams
	// (forgotten dynamic streams, epochs found on disk) so a recreated
	// stream still moves its epoch forward.
	epochFloor map[uint32]uint64
	dynamicIDs idPool

	leases  map[uint64]*Lease
	leaseOf map[uint32]uint64 // client id → its one live lease (§4.8)
	// leaseOfNode maps the TraceLink node ids of v1.2 leases to them; nextNode is the last
	// node id assigned without being asked for.
	leaseOfNode map[uint32]uint64
	nextNode    uint32
	ids         leaseIDs
	// unknownNotices paces the ShmLeaseRevoked answering keepalives and
	// detaches for leases this instance never issued; pacedNotices counts
	// those it held back.
	unknownNotices noticeLimiter
	pacedNotices   uint64

	// waiting are attaches granted once their stream's epoch is provisioned,
	// in arrival order.
	waiting []AttachPlan

	descriptorIDs idPool
	controlIDs    idPool

	actions []Action
	scratch []uint64
}

// NewCore builds the state for a validated configuration. Static streams
// exist from the start, unprovisioned (epoch 0). instance is this driver
// run's nonce (NewInstanceNonce): the high half of every lease id it issues.
func NewCore(cfg *config.DriverConfig, instance uint32) *Core {
	c := &Core{
		cfg:            cfg,
		leaseExpiryNs:  uint64(cfg.Policies.LeaseExpiry()),
		life:           lifecycle{state: Running},
		streams:        make(map[uint32]*Stream, len(cfg.Streams)),
		epochFloor:     map[uint32]uint64{},
		dynamicIDs:     newIDPool(cfg.Driver.StreamIDRange),
		leases:         map[uint64]*Lease{},
		leaseOf:        map[uint32]uint64{},
		leaseOfNode:    map[uint32]uint64{},
		ids:            leaseIDs{instance: instance},
		unknownNotices: newNoticeLimiter(uint64(cfg.Policies.KeepaliveInterval())),
		descriptorIDs:  newIDPool(cfg.Driver.DescriptorStreamIDRange),
		controlIDs:     newIDPool(cfg.Driver.ControlStreamIDRange),
	}
	for _, s := range cfg.Streams {
		c.streams[s.StreamID] = &Stream{ID: s.StreamID, Profile: cfg.Profiles[s.Profile]}
	}
	return c
}

// State is the driver lifecycle state.
func (c *Core) State() LifecycleState { return c.life.state }

// Stream returns a copy of a known stream.
func (c *Core) Stream(id uint32) (Stream, bool) {
	s, ok := c.streams[id]
	if !ok {
		return Stream{}, false
	}
	return *s, true
}

// LeaseCount is the number of live leases.
func (c *Core) LeaseCount() int { return len(c.leases) }

// PacedNotices is how many unknown-lease notices the per-client pacing has
// held back.
func (c *Core) PacedNotices() uint64 { return c.pacedNotices }

// Lease returns a copy of a live lease.
func (c *Core) Lease(id uint64) (Lease, bool) {
	l, ok := c.leases[id]
	if !ok {
		return Lease{}, false
	}
	return *l, true
}

// AppendProvisionedStreams appends the ids of streams whose epoch is ready
// (those ShmPoolAnnounce covers), in ascending order.
func (c *Core) AppendProvisionedStreams(dst []uint32) []uint32 {
	start := len(dst)
	for id, s := range c.streams {
		if s.Ready {
			dst = append(dst, id)
		}
	}
	slices.Sort(dst[start:])
	return dst
}

// RecordEpochOnDisk tells the core that an epoch directory of a stream
// exists from an earlier run, so the stream's next epoch is above it.
func (c *Core) RecordEpochOnDisk(streamID uint32, epoch uint64) {
	c.epochFloor[streamID] = max(c.epochFloor[streamID], epoch)
}

// bumpEpoch starts a stream's next epoch, unless one is already under way.
func (c *Core) bumpEpoch(s *Stream, nowNs uint64) {
	if !s.Provisioning {
		c.startEpoch(s, nextEpoch(s.Epoch, c.epochFloor[s.ID], nowNs), nowNs)
	}
}

// Keepalive applies a ShmLeaseKeepalive. It extends the lease only when
// lease id, stream, client and role all match and the deadline has not
// passed. A keepalive for a lease this instance never issued (a client of
// an earlier driver run) is answered with ShmLeaseRevoked for exactly that
// lease, client, stream and role, paced per client (noticeLimiter); one for
// a lease it issued and ended is ignored, its end was announced then. It
// does not allocate, except to remember a client an unknown-lease notice
// went to.
func (c *Core) Keepalive(k wire.ShmLeaseKeepalive, nowNs uint64) (KeepaliveResult, []Action) {
	c.actions = c.actions[:0]
	l, ok := c.leases[k.LeaseID]
	if !ok {
		if c.ids.issued(k.LeaseID) {
			return KeepaliveEndedLease, c.actions
		}
		c.noticeUnknownLease(k.LeaseID, k.StreamID, k.ClientID, k.Role, nowNs)
		return KeepaliveUnknownLease, c.actions
	}
	if l.StreamID != k.StreamID || l.ClientID != k.ClientID || l.Role != k.Role {
		return KeepaliveMismatch, c.actions
	}
	if nowNs >= l.ExpiresAtNs {
		return KeepaliveLate, c.actions
	}
	l.State, _ = l.State.next(eventKeepalive)
	l.ExpiresAtNs = nowNs + c.leaseExpiryNs
	return KeepaliveExtended, c.actions
}

// UnknownLeaseMessage is the diagnostic of a ShmLeaseRevoked answering a
// keepalive or detach for a lease this driver instance never issued.
const UnknownLeaseMessage = "unknown lease (driver restarted?)"

// noticeUnknownLease appends the ShmLeaseRevoked (REVOKED) that tells a
// client of an earlier driver run its lease is gone, unless the client had
// one within the pacing window.
func (c *Core) noticeUnknownLease(leaseID uint64, streamID, clientID uint32, role wire.Role, nowNs uint64) {
	if !c.unknownNotices.allow(clientID, nowNs) {
		c.pacedNotices++
		return
	}
	c.actions = append(c.actions, Action{
		Kind:     ActionSendUnknownLeaseRevoked,
		StreamID: streamID,
		Revoked: wire.ShmLeaseRevoked{
			TimestampNs:  nowNs,
			LeaseID:      leaseID,
			StreamID:     streamID,
			ClientID:     clientID,
			Role:         role,
			Reason:       wire.RevokeRevoked,
			ErrorMessage: UnknownLeaseMessage,
		},
	})
}

// Detach applies a ShmDetachRequest (Driver spec §4.9): a live lease whose
// id, stream, client and role match ends as DETACHED with code OK; anything
// else is REJECTED. A lease this instance never issued also gets the
// ShmLeaseRevoked a keepalive for it would.
func (c *Core) Detach(req wire.ShmDetachRequest, nowNs uint64) (wire.ShmDetachResponse, []Action) {
	c.actions = c.actions[:0]
	l, ok := c.leases[req.LeaseID]
	if !ok {
		if !c.ids.issued(req.LeaseID) {
			c.noticeUnknownLease(req.LeaseID, req.StreamID, req.ClientID, req.Role, nowNs)
		}
		return wire.ShmDetachResponse{CorrelationID: req.CorrelationID, Code: wire.CodeRejected, ErrorMessage: "unknown lease"}, c.actions
	}
	if l.StreamID != req.StreamID || l.ClientID != req.ClientID || l.Role != req.Role {
		return wire.ShmDetachResponse{CorrelationID: req.CorrelationID, Code: wire.CodeRejected, ErrorMessage: "lease does not match streamId, clientId and role"}, c.actions
	}
	c.endLease(l, eventDetach, "", nowNs, true)
	return wire.ShmDetachResponse{CorrelationID: req.CorrelationID, Code: wire.CodeOK}, c.actions
}

// ExpireLeases ends every lease whose deadline has passed, in lease id
// order, and forgets unknown-lease notices older than their pacing window.
func (c *Core) ExpireLeases(nowNs uint64) []Action {
	c.actions = c.actions[:0]
	c.unknownNotices.prune(nowNs)
	c.scratch = c.scratch[:0]
	for id, l := range c.leases {
		if nowNs >= l.ExpiresAtNs {
			c.scratch = append(c.scratch, id)
		}
	}
	slices.Sort(c.scratch)
	for _, id := range c.scratch {
		c.endLease(c.leases[id], eventExpire, "lease expired: no keepalive before the deadline", nowNs, true)
	}
	return c.actions
}

// ForgiveStall moves every lease's deadline later by stallNs, a time the driver itself
// did not run: keepalives sent meanwhile wait unread in the control log, and their
// senders are not silent for it.
func (c *Core) ForgiveStall(stallNs uint64) {
	for _, l := range c.leases {
		l.ExpiresAtNs += stallNs
	}
}

// RevokeLease ends a live lease for administrative or safety reasons.
func (c *Core) RevokeLease(leaseID uint64, message string, nowNs uint64) ([]Action, bool) {
	c.actions = c.actions[:0]
	l, ok := c.leases[leaseID]
	if !ok {
		return c.actions, false
	}
	c.endLease(l, eventRevoke, message, nowNs, true)
	return c.actions, true
}

// endLease moves a live lease to its end state and emits, in order:
// ShmLeaseRevoked (§4.9, for every role), then for a producer the epoch
// bump (§4.7a, §6), whose announce follows when it is provisioned: revoke
// before announce. Without bumpEpoch (driver shutdown) no new epoch is
// provisioned: the next driver run bumps it before issuing leases (§10).
func (c *Core) endLease(l *Lease, e leaseEvent, message string, nowNs uint64, bumpEpoch bool) {
	l.State, _ = l.State.next(e)
	c.actions = append(c.actions, Action{
		Kind:     ActionSendLeaseRevoked,
		StreamID: l.StreamID,
		Revoked: wire.ShmLeaseRevoked{
			TimestampNs:  nowNs,
			LeaseID:      l.ID,
			StreamID:     l.StreamID,
			ClientID:     l.ClientID,
			Role:         l.Role,
			Reason:       l.State.revokeReason(),
			ErrorMessage: message,
		},
	})
	delete(c.leases, l.ID)
	delete(c.leaseOf, l.ClientID)
	if l.NodeID != wire.NullU32 {
		delete(c.leaseOfNode, l.NodeID)
	}
	s := c.streams[l.StreamID]
	if l.Role == wire.RoleProducer {
		s.ProducerLeaseID, s.ProducerClientID = 0, 0
	} else {
		s.ConsumerLeases--
		c.descriptorIDs.release(l.DescriptorStreamID)
		c.controlIDs.release(l.ControlStreamID)
	}
	if c.forgetIfUnused(s) {
		return
	}
	if l.Role == wire.RoleProducer && bumpEpoch {
		c.bumpEpoch(s, nowNs)
	}
}

// forgetIfUnused forgets a dynamic stream that has no lease, no waiting
// attach and no provisioning under way, and reports whether it did.
// Forgetting keeps its epoch as the floor, so recreating the stream bumps
// the epoch as §6 asks of the producer's end.
func (c *Core) forgetIfUnused(s *Stream) bool {
	if !s.Dynamic || s.ProducerLeaseID != 0 || s.ConsumerLeases != 0 || s.Provisioning {
		return false
	}
	for i := range c.waiting {
		if c.waiting[i].StreamID == s.ID {
			return false
		}
	}
	c.epochFloor[s.ID] = s.Epoch
	delete(c.streams, s.ID)
	c.dynamicIDs.release(s.ID)
	c.actions = append(c.actions, Action{Kind: ActionRetireStream, StreamID: s.ID, Epoch: s.Epoch})
	return true
}

// RegionsLost tells the core that the files of a stream's ready epoch were
// deleted, replaced or truncated under the driver (message says how): the
// epoch is no longer granted or announced. A producer lease on it is
// revoked (REVOKED, naming the cause), which moves the stream to a new
// epoch as any producer's end does (§4.7a); with only consumers a new epoch
// is provisioned for them to follow; a stream without leases gets one on
// its next attach. Anything else (another epoch, one not ready) changes
// nothing.
func (c *Core) RegionsLost(streamID uint32, epoch uint64, message string, nowNs uint64) []Action {
	c.actions = c.actions[:0]
	s, ok := c.streams[streamID]
	if !ok || !s.Ready || s.Epoch != epoch {
		return c.actions
	}
	s.Ready = false
	switch {
	case s.ProducerLeaseID != 0:
		c.endLease(c.leases[s.ProducerLeaseID], eventRevoke, truncateMessage(fmt.Sprintf("SHM regions of epoch %d lost: %s", epoch, message)), nowNs, true)
	case s.ConsumerLeases > 0:
		c.bumpEpoch(s, nowNs)
	}
	return c.actions
}

// RequestShutdown applies a ShmDriverShutdownRequest: only a request whose
// token matches the configured one starts the drain (§4.13).
func (c *Core) RequestShutdown(req wire.ShmDriverShutdownRequest, nowNs uint64) (ShutdownOutcome, []Action) {
	c.actions = c.actions[:0]
	outcome := checkToken(c.cfg.Policies.ShutdownToken, req.Token)
	if outcome != ShutdownAccepted {
		return outcome, c.actions
	}
	return c.BeginShutdown(req.Reason, req.ErrorMessage, nowNs)
}

// BeginShutdown starts the drain without a token, for local triggers such
// as a signal. Draining announces every provisioned stream one last time.
func (c *Core) BeginShutdown(reason wire.ShutdownReason, message string, nowNs uint64) (ShutdownOutcome, []Action) {
	c.actions = c.actions[:0]
	if !c.life.beginDrain(reason, message, nowNs, uint64(c.cfg.Policies.ShutdownTimeout())) {
		return ShutdownAlreadyStopping, c.actions
	}
	for _, id := range c.AppendProvisionedStreams(nil) {
		c.actions = append(c.actions, Action{Kind: ActionSendPoolAnnounce, StreamID: id, Epoch: c.streams[id].Epoch})
	}
	return ShutdownAccepted, c.actions
}

// Tick advances timers that belong to the core: when a drain reaches its
// deadline the driver stops.
func (c *Core) Tick(nowNs uint64) []Action {
	c.actions = c.actions[:0]
	if c.life.drainOver(nowNs) {
		c.stop(nowNs)
	}
	return c.actions
}

// StopNow stops at once (the agent is closing): a running driver stops with
// reason NORMAL, a draining one with the reason it was asked to stop for.
func (c *Core) StopNow(nowNs uint64) []Action {
	c.actions = c.actions[:0]
	if c.life.state == Running {
		c.life.beginDrain(wire.ShutdownNormal, "driver closing", nowNs, 0)
	}
	if c.life.state == Draining {
		c.stop(nowNs)
	}
	return c.actions
}

// stop refuses the attaches still waiting for their epoch, revokes every
// lease (REVOKED, so clients need not wait for expiry), then announces
// ShmDriverShutdown.
func (c *Core) stop(nowNs uint64) {
	for i := range c.waiting {
		c.reject(&c.waiting[i].Request, wire.CodeRejected, "driver is stopping")
	}
	clear(c.waiting)
	c.waiting = c.waiting[:0]
	c.scratch = c.scratch[:0]
	for id := range c.leases {
		c.scratch = append(c.scratch, id)
	}
	slices.Sort(c.scratch)
	for _, id := range c.scratch {
		c.endLease(c.leases[id], eventRevoke, "driver shutdown", nowNs, false)
	}
	c.life.state = Stopped
	c.actions = append(c.actions, Action{
		Kind:     ActionSendDriverShutdown,
		Shutdown: wire.ShmDriverShutdown{TimestampNs: nowNs, Reason: c.life.reason, ErrorMessage: c.life.message},
	})
}

// idPool hands out stream ids from a configured range, round robin, so a
// just-released id is not reused at once.
type idPool struct {
	rng   config.StreamIDRange
	used  map[uint32]bool
	after uint32 // last id handed out
}

func newIDPool(r config.StreamIDRange) idPool {
	return idPool{rng: r, used: map[uint32]bool{}, after: r.Last}
}

// next returns preferred when it is in range and free, else the first free
// id after the last one handed out, or 0 when the range is unset or full.
// It does not claim the id.
func (p *idPool) next(preferred uint32) uint32 {
	if !p.rng.IsSet() {
		return 0
	}
	if p.rng.Contains(preferred) && !p.used[preferred] {
		return preferred
	}
	if uint64(len(p.used)) > uint64(p.rng.Last-p.rng.First) {
		return 0
	}
	id := p.after
	for {
		if id >= p.rng.Last {
			id = p.rng.First
		} else {
			id++
		}
		if !p.used[id] {
			return id
		}
	}
}

// claim marks an id from next as used.
func (p *idPool) claim(id uint32) {
	p.used[id] = true
	p.after = id
}

// take is next followed by claim; 0 means none was available.
func (p *idPool) take(preferred uint32) uint32 {
	id := p.next(preferred)
	if id != 0 {
		p.claim(id)
	}
	return id
}

// release frees an id; 0 (nothing assigned) is ignored.
func (p *idPool) release(id uint32) {
	delete(p.used, id)
}

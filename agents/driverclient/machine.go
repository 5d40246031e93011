// Package driverclient is the producers' and consumers' side of the SHM
// driver protocol (Driver Model spec v1.0 §4): attach with timeout and
// backoff, response validation, keepalive pacing, detach, and the reaction
// to revocation and driver shutdown.
//
// The rules live in Machine, a state machine without I/O or clock reads:
// inputs are decoded driver messages and the time, outputs are Effects to
// carry out. Client wraps it with an Aeron publication and subscription on
// the driver's control stream.
package driverclient

import (
	"math/rand/v2"
	"time"

	"github.com/tensorpool/tensorpool/wire"
)

// State is the attach state of §4.12.1.
type State uint8

const (
	// Unattached: nothing requested yet.
	Unattached State = iota + 1
	// Attaching: an attach request is in flight.
	Attaching
	// Attached: the lease is live and keepalives run.
	Attached
	// Backoff: waiting to retry after a refusal, a timeout, a protocol
	// error, a revocation or a driver shutdown.
	Backoff
	// Detaching: a detach request is in flight.
	Detaching
	// Closed: detached on request; the machine does nothing more.
	Closed
)

func (s State) String() string {
	switch s {
	case Unattached:
		return "Unattached"
	case Attaching:
		return "Attaching"
	case Attached:
		return "Attached"
	case Backoff:
		return "Backoff"
	case Detaching:
		return "Detaching"
	case Closed:
		return "Closed"
	}
	return "State(?)"
}

// Params fix who the client is and how it paces itself.
type Params struct {
	// ClientID is the driver client id; 0 asks the machine to pick a random non-zero one
	// before the first attach, and a new one each time the driver refuses it as taken
	// (Driver spec Appendix B.2).
	ClientID uint32
	Role     wire.Role
	// StreamID 0 asks the driver to pick a dynamic stream (EXISTING_OR_CREATE).
	StreamID              uint32
	PublishMode           wire.PublishMode
	RequireHugepages      wire.HugepagesPolicy
	ExpectedLayoutVersion uint32
	// AttachTimeout bounds one attempt; no answer by then means retry.
	AttachTimeout time.Duration
	// KeepaliveInterval paces keepalives (Driver spec §4.4: 1 s baseline).
	KeepaliveInterval time.Duration
	// BackoffMin and BackoffMax bound the retry delay, which doubles after
	// each failed attempt and resets on a grant.
	BackoffMin, BackoffMax time.Duration
	// DetachTimeout bounds waiting for a detach response.
	DetachTimeout time.Duration
	// WireVersion is the layout of the attach requests (wire.Version); default V1_1. The
	// driver answers in the same version; responses of either are accepted.
	WireVersion wire.Version
	// DesiredNodeID asks the driver for this TraceLink node id (Driver spec §4.2); 0 asks
	// for none. Only a V1_2 request carries it.
	DesiredNodeID uint32
	// Rand draws the random per-process values of Appendix B (the correlation id seed and
	// auto-assigned client ids); default math/rand/v2's Uint32, seeded randomly per
	// process. Tests fix it.
	Rand func() uint32
}

// withDefaults fills zero durations with the spec's baselines.
func (p Params) withDefaults() Params {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&p.AttachTimeout, time.Second)
	def(&p.KeepaliveInterval, time.Second)
	def(&p.BackoffMin, 50*time.Millisecond)
	def(&p.BackoffMax, 2*time.Second)
	def(&p.DetachTimeout, time.Second)
	p.BackoffMax = max(p.BackoffMax, p.BackoffMin)
	if p.PublishMode == 0 {
		p.PublishMode = wire.PublishModeNull
	}
	if p.Rand == nil {
		p.Rand = rand.Uint32
	}
	return p
}

// EffectKind names what the client shell must do for the machine.
type EffectKind uint8

const (
	// SendAttach: publish Effect.Attach.
	SendAttach EffectKind = iota + 1
	// SendKeepalive: publish Effect.Keepalive; report failure with KeepaliveFailed.
	SendKeepalive
	// SendDetach: publish Effect.Detach.
	SendDetach
	// Granted: a validated lease is live (Effect.Grant); map its regions.
	Granted
	// Lost: the lease ended (Effect.Reason); stop using its regions now.
	Lost
	// Refused: an attach attempt failed (Effect.Err); the machine retries.
	Refused
	// Detached: the requested detach completed (or timed out).
	Detached
)

// LossReason says why a lease ended.
type LossReason uint8

const (
	LossRevoked LossReason = iota + 1 // ShmLeaseRevoked for this lease
	LossDriverShutdown
	LossExpired          // the lease's hard deadline passed without a successful keepalive
	LossKeepaliveFailure // a keepalive could not be sent (§4.4: fatal, reattach)
	LossAbandoned        // the client gave the lease back itself (Abandon), to reattach
)

func (r LossReason) String() string {
	switch r {
	case LossRevoked:
		return "revoked"
	case LossDriverShutdown:
		return "driver shutdown"
	case LossExpired:
		return "expired"
	case LossKeepaliveFailure:
		return "keepalive failure"
	case LossAbandoned:
		return "abandoned"
	}
	return "LossReason(?)"
}

// Effect is one output of the machine.
type Effect struct {
	Kind      EffectKind
	Attach    wire.ShmAttachRequest
	Keepalive wire.ShmLeaseKeepalive
	Detach    wire.ShmDetachRequest
	Grant     wire.ShmAttachResponse
	Reason    LossReason
	// Revoked is the notice behind LossRevoked.
	Revoked wire.ShmLeaseRevoked
	Err     error
}

// Machine is the driver client protocol of one client for one stream and
// role. It is used by one goroutine; the Effects a method returns are
// reused by the next call.
type Machine struct {
	p     Params
	state State

	// clientID is the id the requests carry: Params.ClientID, or the one picked for it
	// (autoID) when that is 0.
	clientID uint32
	autoID   bool
	// Correlation ids are clientID<<32 | (seed + n mod 2^30), n counting the ids issued:
	// a random seed per machine keeps a restarted process's ids off the stale responses
	// of its earlier run (Driver spec Appendix B.1), and the client id in the upper half
	// keeps them off every other client's. The low half's top two bits stay 0: ids with
	// them set are the process's one-shot requests' (tp.Client.Detach).
	seed   uint32
	issued uint32
	// accepted is the correlation id of the OK response that granted the live (or last)
	// lease, hasAccepted false before the first: its duplicates are ignored (B.1).
	accepted    int64
	hasAccepted bool

	pending    int64 // correlation id in flight (attach or detach)
	deadlineNs uint64

	lease           wire.ShmAttachResponse
	nextKeepaliveNs uint64
	leaseDeadlineNs uint64
	lifetimeNs      uint64 // lease lifetime per keepalive; 0 when the driver gave no expiry
	backoff         time.Duration
	lastRefusal     error
	effects         []Effect
}

// NewMachine returns an Unattached machine with a random correlation id seed and, when
// Params.ClientID is 0, a random client id (Driver spec Appendix B).
func NewMachine(p Params) *Machine {
	p = p.withDefaults()
	m := &Machine{p: p, state: Unattached, clientID: p.ClientID, seed: p.Rand(), backoff: p.BackoffMin}
	if m.clientID == 0 {
		m.autoID = true
		m.pickClientID()
	}
	return m
}

// pickClientID draws a non-zero client id other than the current one (B.2).
func (m *Machine) pickClientID() {
	old := m.clientID
	for m.clientID == old || m.clientID == 0 {
		m.clientID = m.p.Rand()
	}
}

// ClientIDTaken is the diagnostic a driver gives when the client id of an attach
// already holds a lease; a client whose id was auto-assigned picks another on it (Driver
// spec Appendix B.2, which fixes the text).
const ClientIDTaken = "client_id already attached"

// State is the current state.
func (m *Machine) State() State { return m.state }

// ClientID is the client id the machine's requests carry: Params.ClientID, or the one it
// picked (and may pick again) when that is 0.
func (m *Machine) ClientID() uint32 { return m.clientID }

// CorrelationLowMask is the part of a correlation id's low half a Machine counts in; the
// bits above it are left to other requesters of the same client id.
const CorrelationLowMask = 1<<30 - 1

// nextCorrelation issues the next correlation id (B.1).
func (m *Machine) nextCorrelation() int64 {
	low := (m.seed + m.issued) & CorrelationLowMask
	m.issued++
	return int64(m.clientID)<<32 | int64(low)
}

// Lease is the live grant; ok is false unless Attached.
func (m *Machine) Lease() (wire.ShmAttachResponse, bool) {
	return m.lease, m.state == Attached
}

// LastRefusal is why the latest attach attempt failed, nil after a grant.
func (m *Machine) LastRefusal() error { return m.lastRefusal }

// Start begins attaching from Unattached.
func (m *Machine) Start(nowNs uint64) []Effect {
	m.effects = m.effects[:0]
	if m.state == Unattached {
		m.sendAttach(nowNs)
	}
	return m.effects
}

func (m *Machine) sendAttach(nowNs uint64) {
	m.pending = m.nextCorrelation()
	m.state = Attaching
	m.deadlineNs = nowNs + uint64(m.p.AttachTimeout)
	desiredNode := uint32(wire.NullU32)
	if m.p.DesiredNodeID != 0 {
		desiredNode = m.p.DesiredNodeID
	}
	m.effects = append(m.effects, Effect{Kind: SendAttach, Attach: wire.ShmAttachRequest{
		Version:               m.p.WireVersion,
		CorrelationID:         m.pending,
		StreamID:              m.p.StreamID,
		ClientID:              m.clientID,
		Role:                  m.p.Role,
		ExpectedLayoutVersion: m.p.ExpectedLayoutVersion,
		// maxDims (v1.1) is left 0: the driver ignores it and answers the constant (§4.3).
		PublishMode:      m.p.PublishMode,
		RequireHugepages: m.p.RequireHugepages,
		DesiredNodeID:    desiredNode,
	}})
}

// enterBackoff schedules the next attempt and doubles the delay.
func (m *Machine) enterBackoff(nowNs uint64) {
	m.state = Backoff
	m.pending = 0
	m.deadlineNs = nowNs + uint64(m.backoff)
	m.backoff = min(2*m.backoff, m.p.BackoffMax)
}

// OnAttachResponse applies a ShmAttachResponse of either wire version. Responses to
// other clients are ignored, and so is every response carrying the correlation id of the
// OK that granted the lease, OK or not (Driver spec Appendix B.1). A grant answering one
// of this client's earlier attempts (its response came after the attempt timed out) is
// given back at once: left alone, it would make every retry a second lease of this
// clientId, refused until it expired (§4.8). A grant is followed by a keepalive at once,
// so a driver that lost the grant revokes it now rather than at the first interval.
func (m *Machine) OnAttachResponse(r *wire.ShmAttachResponse, nowNs uint64) []Effect {
	m.effects = m.effects[:0]
	if m.hasAccepted && r.CorrelationID == m.accepted {
		return m.effects
	}
	if m.state != Attaching || r.CorrelationID != m.pending {
		if m.isEarlierAttempt(r.CorrelationID) && r.Code == wire.CodeOK &&
			r.LeaseID != wire.NullU64 && r.LeaseID != m.lease.LeaseID {
			m.effects = append(m.effects, Effect{Kind: SendDetach, Detach: m.detachRequest(r)})
		}
		return m.effects
	}
	if r.Code != wire.CodeOK {
		m.lastRefusal = &RefusedError{Code: r.Code, Message: r.ErrorMessage}
		m.effects = append(m.effects, Effect{Kind: Refused, Err: m.lastRefusal})
		m.enterBackoff(nowNs)
		if m.autoID && r.ErrorMessage == ClientIDTaken {
			m.pickClientID() // the retry, after the backoff, tries another (B.2)
		}
		return m.effects
	}
	if err := ValidateGrant(r, m.p.StreamID); err != nil {
		// Fail closed (§4.7a): never use it, and give the lease back so the
		// retry is not refused as a second lease of this clientId (§4.8).
		m.lastRefusal = err
		if r.LeaseID != wire.NullU64 {
			m.effects = append(m.effects, Effect{Kind: SendDetach, Detach: m.detachRequest(r)})
		}
		m.effects = append(m.effects, Effect{Kind: Refused, Err: err})
		m.enterBackoff(nowNs)
		return m.effects
	}
	m.lease = *r
	m.lease.PayloadPools = append([]wire.PayloadPool(nil), r.PayloadPools...)
	m.accepted, m.hasAccepted = r.CorrelationID, true
	m.lastRefusal = nil
	m.backoff = m.p.BackoffMin
	m.state = Attached
	m.pending = 0
	m.nextKeepaliveNs = nowNs + uint64(m.p.KeepaliveInterval)
	m.leaseDeadlineNs = r.LeaseExpiryTimestampNs // NullU64 (absent) never passes
	m.lifetimeNs = 0
	if r.LeaseExpiryTimestampNs != wire.NullU64 && r.LeaseExpiryTimestampNs > nowNs {
		m.lifetimeNs = r.LeaseExpiryTimestampNs - nowNs
	}
	m.effects = append(m.effects, Effect{Kind: Granted, Grant: m.lease}, m.keepalive(nowNs))
	return m.effects
}

// keepalive is the SendKeepalive effect for the live lease.
func (m *Machine) keepalive(nowNs uint64) Effect {
	return Effect{Kind: SendKeepalive, Keepalive: wire.ShmLeaseKeepalive{
		LeaseID: m.lease.LeaseID, StreamID: m.lease.StreamID, ClientID: m.clientID,
		Role: m.p.Role, ClientTimestampNs: nowNs,
	}}
}

// isEarlierAttempt reports whether corr is a correlation id this machine issued, under
// its current client id, before the one in flight.
func (m *Machine) isEarlierAttempt(corr int64) bool {
	low := uint32(corr)
	return uint32(corr>>32) == m.clientID && low&^CorrelationLowMask == 0 &&
		(low-m.seed)&CorrelationLowMask < m.issued && corr != m.pending
}

func (m *Machine) detachRequest(r *wire.ShmAttachResponse) wire.ShmDetachRequest {
	return wire.ShmDetachRequest{CorrelationID: m.nextCorrelation(), LeaseID: r.LeaseID, StreamID: r.StreamID, ClientID: m.clientID, Role: m.p.Role}
}

// OnLeaseRevoked applies a ShmLeaseRevoked (§4.9): only a notice naming this
// client's live lease, stream, role and client id ends it. Notices with an unknown reason or role are
// rejected (ignored).
func (m *Machine) OnLeaseRevoked(r *wire.ShmLeaseRevoked, nowNs uint64) []Effect {
	m.effects = m.effects[:0]
	if r.Reason < wire.RevokeDetached || r.Reason > wire.RevokeRevoked ||
		(r.Role != wire.RoleProducer && r.Role != wire.RoleConsumer) {
		return m.effects
	}
	if (m.state != Attached && m.state != Detaching) || r.LeaseID != m.lease.LeaseID ||
		r.StreamID != m.lease.StreamID || r.Role != m.p.Role || r.ClientID != m.clientID {
		return m.effects
	}
	if m.state == Detaching {
		return m.effects // our own detach; the response completes it
	}
	m.effects = append(m.effects, Effect{Kind: Lost, Reason: LossRevoked, Revoked: *r})
	m.loseLease(nowNs)
	return m.effects
}

// OnDriverShutdown applies ShmDriverShutdown (§4.13): the lease is invalid
// at once; the machine keeps retrying so it reattaches once a driver is back.
func (m *Machine) OnDriverShutdown(nowNs uint64) []Effect {
	m.effects = m.effects[:0]
	switch m.state {
	case Attached:
		m.effects = append(m.effects, Effect{Kind: Lost, Reason: LossDriverShutdown})
		m.loseLease(nowNs)
	case Attaching:
		m.enterBackoff(nowNs)
	case Detaching:
		m.finishDetach()
	}
	return m.effects
}

func (m *Machine) loseLease(nowNs uint64) {
	m.lease = wire.ShmAttachResponse{}
	m.backoff = m.p.BackoffMin
	m.enterBackoff(nowNs)
}

// AttachNotSent reports that the SendAttach effect could not be published
// (no driver subscribed, or back pressure): retry after the backoff rather
// than waiting out the attach timeout.
func (m *Machine) AttachNotSent(nowNs uint64) []Effect {
	m.effects = m.effects[:0]
	if m.state == Attaching {
		m.enterBackoff(nowNs)
	}
	return m.effects
}

// KeepaliveDeferred reports that the SendKeepalive effect met back pressure: the
// keepalive is sent again on the next Tick after a short pause, and the lease stands until
// its deadline. A busy control stream must not end healthy leases.
func (m *Machine) KeepaliveDeferred(nowNs uint64) []Effect {
	m.effects = m.effects[:0]
	if m.state == Attached {
		m.nextKeepaliveNs = nowNs + uint64(keepaliveRetry(m.p.KeepaliveInterval))
	}
	return m.effects
}

// keepaliveRetry is how soon a deferred keepalive is tried again: a tenth of the
// interval, at least a millisecond.
func keepaliveRetry(interval time.Duration) time.Duration {
	return max(interval/10, time.Millisecond)
}

// KeepaliveFailed reports that the SendKeepalive effect could not reach the
// driver (no subscriber, publication closed). §4.4 makes that fatal for the
// lease: the client gives it back (best effort) and reattaches.
func (m *Machine) KeepaliveFailed(nowNs uint64) []Effect {
	m.effects = m.effects[:0]
	if m.state != Attached {
		return m.effects
	}
	m.effects = append(m.effects,
		Effect{Kind: SendDetach, Detach: m.detachRequest(&m.lease)},
		Effect{Kind: Lost, Reason: LossKeepaliveFailure})
	m.loseLease(nowNs)
	return m.effects
}

// RetryNow ends a wait in Backoff: the next Tick attempts the attach, for a hint that it
// may now succeed (the driver announced the stream a refused attach asked for). The
// delay after a further refusal grows as before. In any other state it does nothing.
func (m *Machine) RetryNow(nowNs uint64) {
	if m.state == Backoff {
		m.deadlineNs = min(m.deadlineNs, nowNs)
	}
}

// Abandon gives the live lease back (best effort) and attaches again after the backoff:
// for a lease whose regions the client can no longer use (a memory fault writing them),
// which a new attach replaces with a new epoch.
func (m *Machine) Abandon(nowNs uint64) []Effect {
	m.effects = m.effects[:0]
	if m.state != Attached {
		return m.effects
	}
	m.effects = append(m.effects,
		Effect{Kind: SendDetach, Detach: m.detachRequest(&m.lease)},
		Effect{Kind: Lost, Reason: LossAbandoned})
	m.loseLease(nowNs)
	return m.effects
}

// Detach gives the lease back. From Attached it sends ShmDetachRequest and
// waits for the response; in any other state it just stops.
func (m *Machine) Detach(nowNs uint64) []Effect {
	m.effects = m.effects[:0]
	switch m.state {
	case Attached:
		req := m.detachRequest(&m.lease)
		m.pending = req.CorrelationID
		m.state = Detaching
		m.deadlineNs = nowNs + uint64(m.p.DetachTimeout)
		m.effects = append(m.effects, Effect{Kind: SendDetach, Detach: req})
	case Detaching, Closed:
	default:
		m.finishDetach()
	}
	return m.effects
}

// OnDetachResponse completes a detach in flight, whatever its code: the
// lease is given up either way (§4.9 makes detach idempotent).
func (m *Machine) OnDetachResponse(r *wire.ShmDetachResponse) []Effect {
	m.effects = m.effects[:0]
	if m.state == Detaching && r.CorrelationID == m.pending {
		m.finishDetach()
	}
	return m.effects
}

func (m *Machine) finishDetach() {
	m.state = Closed
	m.pending = 0
	m.lease = wire.ShmAttachResponse{}
	m.effects = append(m.effects, Effect{Kind: Detached})
}

// Tick runs the timers: attach timeout, backoff end, keepalive pacing,
// the lease's hard deadline and the detach timeout.
func (m *Machine) Tick(nowNs uint64) []Effect {
	m.effects = m.effects[:0]
	switch m.state {
	case Attaching:
		if nowNs >= m.deadlineNs {
			m.lastRefusal = ErrAttachTimeout
			m.effects = append(m.effects, Effect{Kind: Refused, Err: ErrAttachTimeout})
			m.enterBackoff(nowNs)
		}
	case Backoff:
		if nowNs >= m.deadlineNs {
			m.sendAttach(nowNs)
		}
	case Attached:
		if nowNs >= m.leaseDeadlineNs {
			// The driver has expired the lease by now (§4.2: a hard deadline).
			m.effects = append(m.effects, Effect{Kind: Lost, Reason: LossExpired})
			m.loseLease(nowNs)
			return m.effects
		}
		if nowNs >= m.nextKeepaliveNs {
			m.nextKeepaliveNs = nowNs + uint64(m.p.KeepaliveInterval)
			m.effects = append(m.effects, m.keepalive(nowNs))
		}
	case Detaching:
		if nowNs >= m.deadlineNs {
			m.finishDetach()
		}
	}
	return m.effects
}

// KeepaliveSent tells the machine a keepalive went out. The driver extends
// the lease by the lifetime it granted, counted from when it receives the
// keepalive, so now + lifetime is a deadline the driver's is never earlier than.
func (m *Machine) KeepaliveSent(nowNs uint64) {
	if m.state == Attached && m.lifetimeNs != 0 {
		m.leaseDeadlineNs = nowNs + m.lifetimeNs
	}
}

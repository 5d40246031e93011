package driver

import (
	"github.com/tensorpool/tensorpool/wire"
)

// LeaseState is the lease lifecycle of Driver spec §4.7.
type LeaseState uint8

const (
	// LeaseStateAttached: granted by an OK attach response, no keepalive yet.
	LeaseStateAttached LeaseState = iota + 1
	// LeaseStateActive: at least one valid keepalive arrived before expiry.
	LeaseStateActive
	// LeaseStateDetached: ended by a matching detach request.
	LeaseStateDetached
	// LeaseStateExpired: ended because no keepalive arrived before expiry.
	LeaseStateExpired
	// LeaseStateRevoked: ended by the driver (administration or shutdown).
	LeaseStateRevoked
)

func (s LeaseState) String() string {
	switch s {
	case LeaseStateAttached:
		return "ATTACHED"
	case LeaseStateActive:
		return "ACTIVE"
	case LeaseStateDetached:
		return "DETACHED"
	case LeaseStateExpired:
		return "EXPIRED"
	case LeaseStateRevoked:
		return "REVOKED"
	}
	return "LeaseState(?)"
}

// Live reports whether the lease still authorizes its client.
func (s LeaseState) Live() bool { return s == LeaseStateAttached || s == LeaseStateActive }

// leaseEvent is an input of the lease lifecycle.
type leaseEvent uint8

const (
	eventKeepalive leaseEvent = iota + 1
	eventDetach
	eventExpire
	eventRevoke
)

// next is the lease transition function. A live lease accepts every event;
// an ended lease accepts none (ok is false and the state is unchanged).
func (s LeaseState) next(e leaseEvent) (LeaseState, bool) {
	if !s.Live() {
		return s, false
	}
	switch e {
	case eventKeepalive:
		return LeaseStateActive, true
	case eventDetach:
		return LeaseStateDetached, true
	case eventExpire:
		return LeaseStateExpired, true
	case eventRevoke:
		return LeaseStateRevoked, true
	}
	return s, false
}

// revokeReason is the ShmLeaseRevoked reason announcing an ended state.
func (s LeaseState) revokeReason() wire.LeaseRevokeReason {
	switch s {
	case LeaseStateDetached:
		return wire.RevokeDetached
	case LeaseStateExpired:
		return wire.RevokeExpired
	}
	return wire.RevokeRevoked
}

// Lease is one client's authorization for one stream in one role.
type Lease struct {
	ID       uint64
	StreamID uint32
	ClientID uint32
	Role     wire.Role
	State    LeaseState
	// ExpiresAtNs is the hard deadline: the last keepalive (or the grant)
	// plus keepalive interval × expiry grace.
	ExpiresAtNs uint64
	// NodeID is the TraceLink node id of a lease attached in wire v1.2 (Driver spec §4.2),
	// unique among the live leases and stable for the lease; wire.NullU32 for a v1.1 one.
	NodeID uint32
	// Per-consumer stream assignment (consumer leases); 0 and "" when none.
	DescriptorStreamID uint32
	DescriptorChannel  string
	ControlStreamID    uint32
	ControlChannel     string
}

// KeepaliveResult says what a keepalive did; the agent counts each kind.
type KeepaliveResult uint8

const (
	// KeepaliveExtended: the lease expiry moved forward.
	KeepaliveExtended KeepaliveResult = iota + 1
	// KeepaliveUnknownLease: this driver instance never issued that lease id
	// (a client of an earlier run); it is answered with ShmLeaseRevoked.
	KeepaliveUnknownLease
	// KeepaliveMismatch: the lease exists but stream, client or role differ.
	KeepaliveMismatch
	// KeepaliveLate: the lease deadline had already passed; it will expire.
	KeepaliveLate
	// KeepaliveEndedLease: a lease this instance issued and has ended; its
	// ShmLeaseRevoked went out when it ended.
	KeepaliveEndedLease
)

func (r KeepaliveResult) String() string {
	switch r {
	case KeepaliveExtended:
		return "extended"
	case KeepaliveUnknownLease:
		return "unknown_lease"
	case KeepaliveMismatch:
		return "mismatch"
	case KeepaliveLate:
		return "late"
	case KeepaliveEndedLease:
		return "ended_lease"
	}
	return "KeepaliveResult(?)"
}

// Lease ids carry the driver instance in their high half: a random nonce
// drawn at each start, so a restarted driver never issues an id an earlier
// run issued (its revoke of lease "1" cannot end another run's lease 1), and
// a keepalive naming another run's lease is recognised as such. The low half
// counts leases of this run from 1. An id is never 0 or NullU64: the counter
// stays within [1, 2^32-2].
type leaseIDs struct {
	instance uint32
	// last is the low half of the last id issued; 0 before the first.
	last uint32
	// wrapped is set once the counter has gone round: every low half was issued.
	wrapped bool
}

const maxLeaseCounter = 1<<32 - 2

func (ids *leaseIDs) id(counter uint32) uint64 { return uint64(ids.instance)<<32 | uint64(counter) }

// next issues the next id, skipping any still live after a wrap.
func (ids *leaseIDs) next(live map[uint64]*Lease) uint64 {
	for {
		if ids.last == maxLeaseCounter {
			ids.last, ids.wrapped = 0, true
		}
		ids.last++
		if _, taken := live[ids.id(ids.last)]; !taken {
			return ids.id(ids.last)
		}
	}
}

// issued reports whether this instance has issued id.
func (ids *leaseIDs) issued(id uint64) bool {
	counter := uint32(id)
	if uint32(id>>32) != ids.instance || counter == 0 || counter > maxLeaseCounter {
		return false
	}
	return ids.wrapped || counter <= ids.last
}

// noticeLimiter paces the ShmLeaseRevoked a driver sends for leases it does
// not know: at most one per client id per window (the keepalive interval,
// so a client of an earlier run hears once per keepalive it sends, and a
// flood of keepalives for one client yields one notice a window), and at
// most maxClients clients a window, so a flood of made-up client ids cannot
// make the driver flood the control stream or grow without bound.
type noticeLimiter struct {
	windowNs uint64
	lastNs   map[uint32]uint64 // client id → when its last notice went out
}

// maxUnknownLeaseClients bounds the clients an unknown-lease notice goes to
// in one window.
const maxUnknownLeaseClients = 1024

func newNoticeLimiter(windowNs uint64) noticeLimiter {
	return noticeLimiter{windowNs: windowNs, lastNs: map[uint32]uint64{}}
}

// allow reports whether a notice to client may go out now, and records it.
func (n *noticeLimiter) allow(client uint32, nowNs uint64) bool {
	if last, ok := n.lastNs[client]; ok {
		if nowNs-last < n.windowNs {
			return false
		}
	} else if len(n.lastNs) >= maxUnknownLeaseClients {
		n.prune(nowNs)
		if len(n.lastNs) >= maxUnknownLeaseClients {
			return false
		}
	}
	n.lastNs[client] = nowNs
	return true
}

// prune forgets clients whose window has passed.
func (n *noticeLimiter) prune(nowNs uint64) {
	for client, last := range n.lastNs {
		if nowNs-last >= n.windowNs {
			delete(n.lastNs, client)
		}
	}
}

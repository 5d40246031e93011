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
	// KeepaliveUnknownLease: no live lease has that id.
	KeepaliveUnknownLease
	// KeepaliveMismatch: the lease exists but stream, client or role differ.
	KeepaliveMismatch
	// KeepaliveLate: the lease deadline had already passed; it will expire.
	KeepaliveLate
)

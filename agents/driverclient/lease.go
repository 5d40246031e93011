package driverclient

import (
	"sync/atomic"

	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/wire"
)

// Lease is the lease of one role (a producer or a consumer) run by that role's agent on
// the process's duty cycle: a Client that starts attaching once its control stream is in
// place, whose grant and loss events are kept for the role to act on after the Client
// returns (a role must not re-enter the Client from its event callback). Everything but
// ID, NodeID and Losses belongs to the duty cycle.
type Lease struct {
	c          *Client
	started    bool
	granted    bool
	lost       bool
	lastLoss   LossReason
	lastRevoke wire.LeaseRevokeReason
	// losses counts lease endings and id is the live lease's id (0 without one), for any
	// goroutine; node is its TraceLink node id plus one (0: none).
	losses atomic.Uint64
	id     atomic.Uint64
	node   atomic.Uint64
}

// NewLease registers a lease's Client on hub (New). cfg.OnEvent, if set, is called after
// the Lease recorded each event.
func NewLease(hub *controlplane.Hub, cfg Config) (*Lease, error) {
	l := &Lease{}
	onEvent := cfg.OnEvent
	cfg.OnEvent = func(e Effect) {
		l.record(e)
		if onEvent != nil {
			onEvent(e)
		}
	}
	c, err := New(hub, cfg)
	if err != nil {
		return nil, err
	}
	l.c = c
	return l, nil
}

func (l *Lease) record(e Effect) {
	switch e.Kind {
	case Granted:
		l.granted = true
		l.id.Store(e.Grant.LeaseID)
		l.node.Store(0)
		if node, ok := e.Grant.Node(); ok {
			l.node.Store(uint64(node) + 1)
		}
	case Lost:
		l.lost = true
		l.lastLoss, l.lastRevoke = e.Reason, e.Revoked.Reason
		l.losses.Add(1)
		l.id.Store(0)
		l.node.Store(0)
	case Detached:
		l.id.Store(0)
		l.node.Store(0)
	}
}

// DoWork runs the Client's timers, starting to attach once its control stream is in
// place. It returns the work done.
func (l *Lease) DoWork(now clock.Mono) int {
	if !l.started {
		if !l.c.Ready() {
			return 0
		}
		l.started = true
		l.c.Start(now)
		return 1
	}
	return l.c.DoWork(now)
}

// Take returns and clears the events since the last call; grant is the live lease when
// granted is true (a grant lost again in the same cycle is not).
func (l *Lease) Take() (lost, granted bool, grant wire.ShmAttachResponse) {
	lost, granted = l.lost, l.granted
	l.lost, l.granted = false, false
	if granted {
		grant, granted = l.c.Lease()
	}
	return lost, granted, grant
}

// Detach begins giving the lease back (Client.Detach), unless it is given back already
// or on its way.
func (l *Lease) Detach(now clock.Mono) {
	if s := l.c.State(); s != Closed && s != Detaching {
		l.c.Detach(now)
	}
}

// Abandon gives the lease back and attaches again (Client.Abandon).
func (l *Lease) Abandon(now clock.Mono) { l.c.Abandon(now) }

// RetryNow attempts the attach at the next DoWork if the lease waits to retry one
// (Client.RetryNow).
func (l *Lease) RetryNow(now clock.Mono) { l.c.RetryNow(now) }

// Done reports whether the lease was given back (or there was none to give).
func (l *Lease) Done() bool { return l.c.State() == Closed }

// LastRefusal is why the lease is not granted yet, for an attach that gave up.
func (l *Lease) LastRefusal() error { return l.c.LastRefusal() }

// LastLoss is why the last lease ended, with the revoke reason when it was revoked.
func (l *Lease) LastLoss() (LossReason, wire.LeaseRevokeReason) { return l.lastLoss, l.lastRevoke }

// ID is the live lease's id, 0 while there is none; any goroutine.
func (l *Lease) ID() uint64 { return l.id.Load() }

// NodeID is the live lease's TraceLink node id (Driver spec §4.2); ok is false without a
// lease or a node id (wire v1.1). Any goroutine.
func (l *Lease) NodeID() (id uint32, ok bool) {
	n := l.node.Load()
	return uint32(n - 1), n != 0
}

// Losses counts the leases that ended (revoked, expired, driver shutdown); any goroutine.
func (l *Lease) Losses() uint64 { return l.losses.Load() }

// LossesIfDropped is Losses with the live lease, if any, counted as lost: what a role
// dropping this Lease for a new one (its transport replaced, the driver beyond it lost
// too) carries over.
func (l *Lease) LossesIfDropped() uint64 {
	n := l.Losses()
	if l.ID() != 0 {
		n++
	}
	return n
}

// OnClose closes the Client (Client.OnClose): Detach first to give the lease back.
func (l *Lease) OnClose() { l.c.OnClose() }

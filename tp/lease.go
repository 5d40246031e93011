package tp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/driverclient"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// lease is one driver lease of a producer or consumer: a driverclient.Client on the
// Client's control plane, run by its role on the duty cycle. The grant and loss events of
// a cycle are kept for the role to act on afterwards (the client must not be re-entered
// from its event callback). Everything but the atomic fields belongs to the duty cycle.
type lease struct {
	dc       *driverclient.Client
	clientID uint32
	stream   uint32
	role     wire.Role
	started  bool
	log      *leaseLog
	granted  bool
	// lost counts the losses since take, which countLosses adds to losses.
	lost     int
	lastLoss driverclient.LossReason
	// lastRevoke is the reason of the notice behind lastLoss when it is LossRevoked.
	lastRevoke wire.LeaseRevokeReason
	// losses counts lease endings and id is the live lease's id (0 without one), for
	// Stats and LeaseID on any goroutine. A loss is counted once the role has withdrawn
	// the epoch (countLosses): whoever reads it in Stats finds the frame path told.
	losses atomic.Uint64
	id     atomic.Uint64
	// node is the live lease's TraceLink node id plus one (0: none), for NodeID.
	node atomic.Uint64
}

// newLease registers a driver client on hub. onControl, if not nil, receives the
// control-schema messages of the driver's control stream (driverclient.Config.OnControl).
func newLease(hub *controlplane.Hub, o *Options, clientID uint32, role wire.Role, streamID uint32, onControl func([]byte, wire.Header)) (*lease, error) {
	l := &lease{clientID: clientID, stream: streamID, role: role, log: newLeaseLog(o.Logger, role, streamID, clientID)}
	if err := l.dial(hub, o, onControl); err != nil {
		return nil, err
	}
	return l, nil
}

// dial makes the lease's driver client on hub.
func (l *lease) dial(hub *controlplane.Hub, o *Options, onControl func([]byte, wire.Header)) error {
	// As the reference C client: a producer may create its stream where the driver
	// allows dynamic streams (tp-driver's built-in configuration does); a consumer
	// attaches only to a stream that exists.
	mode := wire.PublishModeRequireExisting
	if l.role == wire.RoleProducer {
		mode = wire.PublishModeExistingOrCreate
	}
	dc, err := driverclient.New(hub, driverclient.Config{
		Control: controlplane.Endpoint{Channel: o.ControlChannel, StreamID: o.ControlStreamID},
		Params: driverclient.Params{
			ClientID:              l.clientID,
			Role:                  l.role,
			StreamID:              l.stream,
			PublishMode:           mode,
			ExpectedLayoutVersion: shm.LayoutVersion,
			KeepaliveInterval:     o.KeepaliveInterval,
			WireVersion:           o.WireVersion,
		},
		OnEvent:   l.onEvent,
		OnControl: onControl,
	})
	if err != nil {
		return fmt.Errorf("tp: driver client: %w", err)
	}
	l.dc = dc
	return nil
}

// rebind moves the lease onto hub, the control plane of a new transport (Client.Reconnect):
// the lease held over the dead one counts as lost (its driver lost the media driver too,
// or revokes it as unknown), and a new driver client attaches afresh.
func (l *lease) rebind(hub *controlplane.Hub, o *Options, onControl func([]byte, wire.Header)) error {
	l.dc.OnClose()
	if l.id.Swap(0) != 0 {
		l.lost++
	}
	l.countLosses()
	l.node.Store(0)
	l.started, l.granted = false, false
	return l.dial(hub, o, onControl)
}

func (l *lease) onEvent(e driverclient.Effect) {
	switch e.Kind {
	case driverclient.Granted:
		l.granted = true
		l.id.Store(e.Grant.LeaseID)
		l.node.Store(0)
		if node, ok := e.Grant.Node(); ok {
			l.node.Store(uint64(node) + 1)
		}
	case driverclient.Lost:
		l.lost++
		l.lastLoss, l.lastRevoke = e.Reason, e.Revoked.Reason
		l.id.Store(0)
		l.node.Store(0)
	case driverclient.Detached:
		l.id.Store(0)
		l.node.Store(0)
	}
	l.log.event(e)
}

// leaseLog tells Options.Logger what happens to a lease, in words, naming its role,
// stream and client: grants and reattaches (Info), losses with their reason and refused
// attaches (Warn; a refusal's repeats at Debug), detaches. It is a lease's event
// callback (driverclient.Config.OnEvent), on the duty cycle.
type leaseLog struct {
	log      *slog.Logger
	role     wire.Role
	stream   uint32
	clientID uint32
	// leaseID is the live lease's, losses counts its endings, refusedWith is the last
	// refusal logged, whose repeats go to Debug.
	leaseID     uint64
	losses      int
	refusedWith string
}

func newLeaseLog(log *slog.Logger, role wire.Role, streamID, clientID uint32) *leaseLog {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &leaseLog{log: log, role: role, stream: streamID, clientID: clientID}
}

func (l *leaseLog) event(e driverclient.Effect) {
	switch e.Kind {
	case driverclient.Granted:
		l.leaseID = e.Grant.LeaseID
		msg := "lease granted"
		if l.losses > 0 {
			msg = "lease granted again (reattached)"
		}
		l.log.Info(msg, l.attrs(slog.Uint64("lease", e.Grant.LeaseID), slog.Uint64("epoch", e.Grant.Epoch))...)
		l.refusedWith = ""
	case driverclient.Lost:
		l.losses++
		attrs := l.attrs(slog.Uint64("lease", l.leaseID), slog.String("reason", e.Reason.String()))
		if e.Reason == driverclient.LossRevoked {
			attrs = append(attrs, slog.String("revoke_reason", e.Revoked.Reason.String()))
			if e.Revoked.ErrorMessage != "" {
				attrs = append(attrs, slog.String("driver_message", e.Revoked.ErrorMessage))
			}
		}
		l.leaseID = 0
		l.log.Warn("lease lost; reattaching", attrs...)
	case driverclient.Refused:
		// The first refusal of a kind is news; its repeats, every retry, are not.
		level := slog.LevelWarn
		if text := e.Err.Error(); text == l.refusedWith {
			level = slog.LevelDebug
		} else {
			l.refusedWith = text
		}
		l.log.Log(context.Background(), level, "attach refused; retrying", l.attrs(slog.Any("err", e.Err))...)
	case driverclient.Detached:
		if l.leaseID != 0 {
			l.log.Info("lease detached", l.attrs(slog.Uint64("lease", l.leaseID))...)
		} else {
			l.log.Debug("attach abandoned", l.attrs()...)
		}
		l.leaseID = 0
	}
}

// attrs are the log attributes naming the lease's client, followed by more.
func (l *leaseLog) attrs(more ...any) []any {
	return append([]any{slog.String("role", l.role.String()), slog.Uint64("stream", uint64(l.stream)), slog.Uint64("client", uint64(l.clientID))}, more...)
}

// nodeID is the live lease's TraceLink node id; ok is false without one.
func (l *lease) nodeID() (uint32, bool) {
	n := l.node.Load()
	return uint32(n - 1), n != 0
}

// service runs the driver client's timers, starting to attach once its control stream
// is in place.
func (l *lease) service(now clock.Mono) int {
	if !l.started {
		if !l.dc.Ready() {
			return 0
		}
		l.started = true
		l.dc.Start(now)
		return 1
	}
	return l.dc.DoWork(now)
}

// take returns the events since the last call and clears the grant; grant is the live
// lease when granted is true. The losses stay pending until countLosses.
func (l *lease) take() (lost, granted bool, grant wire.ShmAttachResponse) {
	lost, granted = l.lost > 0, l.granted
	l.granted = false
	if granted {
		grant, granted = l.dc.Lease()
	}
	return lost, granted, grant
}

// countLosses adds the pending losses to the count Stats reads. The role calls it after
// withdrawing the lost lease's epoch from the frame path.
func (l *lease) countLosses() {
	if l.lost > 0 {
		l.losses.Add(uint64(l.lost))
		l.lost = 0
	}
}

// detach begins giving the lease back; done reports when it is given back (or there was
// none to give).
func (l *lease) detach(now clock.Mono) {
	if l.dc.State() != driverclient.Closed && l.dc.State() != driverclient.Detaching {
		l.dc.Detach(now)
	}
}

// abandon gives the lease back and attaches again (driverclient.Client.Abandon).
func (l *lease) abandon(now clock.Mono) { l.dc.Abandon(now) }

func (l *lease) done() bool { return l.dc.State() == driverclient.Closed }

// refusal is why the lease is not granted yet, for an attach that gave up.
func (l *lease) refusal() error { return l.dc.LastRefusal() }

func (l *lease) close() { l.dc.OnClose() }

// pendingPublication is a publication whose add may not be answered yet: Get polls it
// until it is. It is used by one goroutine at a time.
type pendingPublication struct {
	pending  transport.Pending[transport.Publication]
	pub      transport.Publication
	err      error
	channel  string
	streamID int32
}

func addPublication(p transport.Pending[transport.Publication], channel string, streamID int32) *pendingPublication {
	return &pendingPublication{pending: p, channel: channel, streamID: streamID}
}

// Get is the publication once added, nil until then or after a refusal (Err).
func (p *pendingPublication) Get() transport.Publication {
	if p.pub == nil && p.err == nil {
		pub, err := p.pending.Poll()
		switch {
		case err == nil:
			p.pub = pub
		case !errors.Is(err, transport.ErrPending):
			p.err = err
		}
	}
	return p.pub
}

// Err is why the add failed, nil while pending or once added.
func (p *pendingPublication) Err() error {
	p.Get()
	return p.err
}

// Close closes the publication, or abandons the add.
func (p *pendingPublication) Close() error {
	if p.pub != nil {
		return p.pub.Close()
	}
	p.pending.Cancel()
	return nil
}

// The data path reaches a per-consumer publication through these, as through a
// transport.Publication: until the add is answered it is not connected.

func (p *pendingPublication) Position() int64 {
	if pub := p.Get(); pub != nil {
		return pub.Position()
	}
	return transport.NotConnected
}

func (p *pendingPublication) IsConnected() bool {
	pub := p.Get()
	return pub != nil && pub.IsConnected()
}

func (p *pendingPublication) MaxPayloadLength() int {
	if pub := p.Get(); pub != nil {
		return pub.MaxPayloadLength()
	}
	return 0
}

func (p *pendingPublication) MaxMessageLength() int {
	if pub := p.Get(); pub != nil {
		return pub.MaxMessageLength()
	}
	return 0
}

func (p *pendingPublication) Channel() string { return p.channel }
func (p *pendingPublication) StreamID() int32 { return p.streamID }

func (p *pendingPublication) SessionID() int32 {
	if pub := p.Get(); pub != nil {
		return pub.SessionID()
	}
	return 0
}

func (p *pendingPublication) TryClaim(length int, c *transport.Claim) int64 {
	if pub := p.Get(); pub != nil {
		return pub.TryClaim(length, c)
	}
	return transport.NotConnected
}

func (p *pendingPublication) Offer(msg []byte) int64 {
	if pub := p.Get(); pub != nil {
		return pub.Offer(msg)
	}
	return transport.NotConnected
}

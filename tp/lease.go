package tp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/driverclient"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// newLease registers a producer's driver lease on hub, its events told to log.
// onControl, if not nil, receives the control-schema messages of the driver's control
// stream (driverclient.Config.OnControl).
func newLease(hub *controlplane.Hub, o *Options, clientID, streamID uint32, log *leaseLog, onControl func([]byte, wire.Header)) (*driverclient.Lease, error) {
	// As the reference C client: a producer may create its stream where the driver
	// allows dynamic streams (tp-driver's built-in configuration does).
	l, err := driverclient.NewLease(hub, driverclient.Config{
		Control: controlplane.Endpoint{Channel: o.ControlChannel, StreamID: o.ControlStreamID},
		Params: driverclient.Params{
			ClientID:              clientID,
			Role:                  wire.RoleProducer,
			StreamID:              streamID,
			PublishMode:           wire.PublishModeExistingOrCreate,
			ExpectedLayoutVersion: shm.LayoutVersion,
			KeepaliveInterval:     o.KeepaliveInterval,
			WireVersion:           o.WireVersion,
		},
		OnEvent:   log.event,
		OnControl: onControl,
	})
	if err != nil {
		return nil, fmt.Errorf("tp: driver client: %w", err)
	}
	return l, nil
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

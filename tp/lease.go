package tp

import (
	"context"
	"fmt"
	"time"

	"github.com/tensorpool/tensorpool/agents/driverclient"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// lease is one driver lease of a producer or consumer: the driverclient shell plus the
// grant and loss events of the last DoWork, which the owner acts on afterwards (the
// client must not be re-entered from its event callback).
type lease struct {
	dc       *driverclient.Client
	clientID uint32
	stream   uint32
	granted  bool
	lost     bool
	// losses counts lease endings; lastLoss and lastRevoke say why the latest one ended
	// (lastRevoke only for LossRevoked).
	losses     uint64
	lastLoss   driverclient.LossReason
	lastRevoke wire.LeaseRevokeReason
}

// onControl, if not nil, receives the control-schema messages of the driver's control
// stream (driverclient.Config.OnControl).
func newLease(c *Client, clientID uint32, role wire.Role, streamID uint32, onControl func([]byte)) (*lease, error) {
	l := &lease{clientID: clientID, stream: streamID}
	// Its adds end as await's do: with the media driver's answer or at its timeout.
	dc, err := driverclient.New(context.Background(), driverclient.Config{
		Transport:       c.aeron,
		ControlChannel:  c.opts.ControlChannel,
		ControlStreamID: c.opts.ControlStreamID,
		Params: driverclient.Params{
			ClientID:              l.clientID,
			Role:                  role,
			StreamID:              streamID,
			PublishMode:           wire.PublishModeRequireExisting,
			ExpectedLayoutVersion: shm.LayoutVersion,
			KeepaliveInterval:     c.opts.KeepaliveInterval,
		},
		OnEvent:   l.onEvent,
		OnControl: onControl,
	})
	if err != nil {
		return nil, fmt.Errorf("tp: driver client: %w", err)
	}
	l.dc = dc
	return l, nil
}

func (l *lease) onEvent(e driverclient.Effect) {
	switch e.Kind {
	case driverclient.Granted:
		l.granted = true
	case driverclient.Lost:
		l.lost = true
		l.losses++
		l.lastLoss, l.lastRevoke = e.Reason, e.Revoked.Reason
	}
}

// attach blocks until the first grant or ctx's end.
func (l *lease) attach(ctx context.Context) error {
	if _, err := l.dc.Attach(ctx); err != nil {
		return fmt.Errorf("tp: %w", err)
	}
	return nil
}

// take returns and clears the events since the last call; grant is the live lease when
// granted is true.
func (l *lease) take() (lost, granted bool, grant wire.ShmAttachResponse) {
	lost, granted = l.lost, l.granted
	l.lost, l.granted = false, false
	if granted {
		grant, granted = l.dc.Lease()
	}
	return lost, granted, grant
}

// close gives the lease back (briefly waiting for the driver) and closes the client.
func (l *lease) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if l.dc.State() == driverclient.Attached {
		_ = l.dc.Detach(ctx) // best effort: the lease expires anyway
	}
	l.dc.Close()
}

// keeper runs service every period on its own goroutine until stop is closed, so leases
// stay alive while the application is between calls.
func keeper(period time.Duration, stop <-chan struct{}, done chan<- struct{}, service func()) {
	defer close(done)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			service()
		}
	}
}

// servicePeriod is how often a keeper runs: well inside any keepalive interval, and
// quick to notice a revocation, yet idle enough for a shared machine.
func servicePeriod(keepalive time.Duration) time.Duration {
	return min(max(keepalive/10, time.Millisecond), 20*time.Millisecond)
}

func (l *lease) id() uint64 {
	if g, ok := l.dc.Lease(); ok {
		return g.LeaseID
	}
	return 0
}

func (l *lease) streamID() uint32 { return l.stream }

package driverclient

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/wire"
)

// leaseRole hosts a Lease on a duty cycle, as a producer or consumer role does.
type leaseRole struct{ l *Lease }

func (r leaseRole) DoWork(now clock.Mono) int { return r.l.DoWork(now) }
func (r leaseRole) OnClose()                  { r.l.OnClose() }
func (r leaseRole) RoleName() string          { return "lease" }

func newLease(s *side, cfg *config.DriverConfig, id uint32) *Lease {
	s.t.Helper()
	var l *Lease
	var err error
	require.NoError(s.t, s.p.Do(func() {
		l, err = NewLease(s.p.Hub(), Config{
			Control: controlplane.Endpoint{Channel: cfg.Driver.ControlChannel, StreamID: int32(cfg.Driver.ControlStreamID)},
			Params:  Params{ClientID: id, Role: wire.RoleConsumer, StreamID: 10000},
		})
		if err == nil {
			err = s.p.Add(leaseRole{l})
		}
	}))
	s.p.DoWork()
	require.NoError(s.t, err)
	return l
}

// A Lease starts attaching once its control stream is in place and keeps each cycle's
// grant and loss for its role: the grant's id and the loss count are readable from any
// goroutine; Detach gives the lease back.
func TestLeaseKeepsGrantsAndLossesForItsRole(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	stop := runDriver(t, cfg, a)
	s := newSide(t, a)
	l := newLease(s, cfg, 31)
	var grant wire.ShmAttachResponse
	s.runUntil("granted", func() bool {
		_, granted, g := l.Take()
		grant = g
		return granted
	})
	require.NotZero(t, grant.LeaseID)
	require.Equal(t, grant.LeaseID, l.ID())
	require.Zero(t, l.Losses())
	require.Equal(t, uint64(1), l.LossesIfDropped(), "the live lease counts as lost when dropped")
	_, hasNode := l.NodeID()
	require.False(t, hasNode, "a wire v1.1 grant has no node id")
	stop() // the driver shuts down: the lease ends
	s.runUntil("lost", func() bool { lost, _, _ := l.Take(); return lost })
	reason, _ := l.LastLoss()
	require.Contains(t, []LossReason{LossDriverShutdown, LossRevoked}, reason)
	require.Equal(t, uint64(1), l.Losses())
	require.Zero(t, l.ID())
	require.Equal(t, uint64(1), l.LossesIfDropped(), "no live lease to add")
	l.Detach(clock.Now())
	s.runUntil("detached", l.Done)
}

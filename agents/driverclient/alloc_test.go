//go:build !race

package driverclient

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/wire"
)

// The client's keepalive duty cycle allocates nothing once attached.
func TestClient_KeepaliveDutyCycleDoesNotAllocate(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	runDriver(t, cfg, a)
	s, c := newClient(t, cfg, a, 61, wire.RoleConsumer, nil)
	s.attach(c)
	now := clock.Now()
	allocs := testing.AllocsPerRun(200, func() {
		now = now.Add(50 * time.Millisecond)
		c.DoWork(now)
	})
	require.Zero(t, allocs)
	_, ok := c.Lease()
	require.True(t, ok)
}

func TestMachine_KeepaliveTickDoesNotAllocate(t *testing.T) {
	m := attached(t, 0)
	now := uint64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		now += 50 * ms
		m.Tick(now)
		m.KeepaliveSent(now)
	})
	require.Zero(t, allocs)
}

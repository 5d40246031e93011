//go:build !race

package driver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/wire"
)

func TestDriverSpec_4_4_KeepaliveDoesNotAllocate(t *testing.T) {
	c := newTestCore(t)
	resp := attach(t, c, request(camStream, 1, wire.RoleConsumer), 0)
	k := keepaliveFor(resp, 1, wire.RoleConsumer)
	now := uint64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		now += second
		if keepalive(c, k, now) != KeepaliveExtended {
			panic("keepalive not extended")
		}
	})
	assert.Zero(t, allocs)
}

func TestExpireLeasesDoesNotAllocateWhenNothingExpires(t *testing.T) {
	c := newTestCore(t)
	attach(t, c, request(camStream, 1, wire.RoleConsumer), 0)
	c.ExpireLeases(0) // sizes the scratch buffer
	assert.Zero(t, testing.AllocsPerRun(1000, func() { c.ExpireLeases(second) }))
}

// The keepalive and announce paths allocate nothing in steady state.
func TestAgent_KeepaliveAndAnnounceDoNotAllocate(t *testing.T) {
	d := startTestDriver(t, "")
	prod := d.attach(producerRequest(1, 10000, 1))
	require.Equal(t, wire.CodeOK, prod.Code)

	k := wire.ShmLeaseKeepalive{LeaseID: prod.LeaseID, StreamID: 10000, ClientID: 1, Role: wire.RoleProducer}
	buf := encoded(make([]byte, k.EncodedLength()), &k)
	d.agent.nowNs = uint64(clock.Now())
	allocs := testing.AllocsPerRun(1000, func() { d.agent.onMessage(buf, nil) })
	require.Zero(t, allocs, "keepalive")

	d.run(50 * time.Millisecond) // drain what the announces below fill
	allocs = testing.AllocsPerRun(200, func() { d.agent.sendAnnounce(10000, false) })
	require.Zero(t, allocs, "announce")
	allocs = testing.AllocsPerRun(200, func() { d.invoker.Invoke() })
	require.Zero(t, allocs, "idle duty cycle")
}

func TestAnnounceInputsDoNotAllocate(t *testing.T) {
	c := newTestCore(t)
	attach(t, c, request(camStream, 1, wire.RoleProducer), 5)
	ids := make([]uint32, 0, 8)
	allocs := testing.AllocsPerRun(1000, func() {
		ids = c.AppendProvisionedStreams(ids[:0])
		for _, id := range ids {
			if s, ok := c.Stream(id); !ok || s.Epoch == 0 {
				panic("provisioned stream without epoch")
			}
		}
	})
	assert.Zero(t, allocs)
}

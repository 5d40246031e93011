package driverclient

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/wire"
)

var nextControlStream atomic.Int32

func init() { nextControlStream.Store(43000) }

func driverConfig(t *testing.T) *config.DriverConfig {
	t.Helper()
	text := fmt.Sprintf(`
[driver]
instance_id = "client-test"
control_channel = "aeron:ipc?term-length=64k"
control_stream_id = %d
announce_stream_id = %[1]d
announce_channel = "aeron:ipc?term-length=64k"
[shm]
base_dir = %q
[policies]
announce_period_ms = 100
lease_keepalive_interval_ms = 100
lease_expiry_grace_intervals = 5
epoch_gc_min_age_ns = 1
[profiles.cam]
header_nslots = 16
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }]
[streams.cam]
stream_id = 10000
profile = "cam"
`, nextControlStream.Add(1), t.TempDir())
	cfg, err := config.ParseDriverConfig(strings.NewReader(text))
	require.NoError(t, err)
	return cfg
}

// connect is an in-memory transport of its own, shared by a test's driver and clients:
// what these tests check is the client's protocol over some transport, not the media
// driver (tp's and tp-driver's tests run it over the real one).
func connect(t *testing.T) transport.Client {
	t.Helper()
	c := mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{})
	t.Cleanup(func() { c.Close() })
	return c
}

// runDriver runs a driver agent on its own goroutine until stopped.
func runDriver(t *testing.T, cfg *config.DriverConfig, client transport.Client) (stop func()) {
	t.Helper()
	a, err := driver.NewAgent(context.Background(), cfg, client, nil)
	require.NoError(t, err)
	r := agent.NewRunner(a, agent.RunnerConfig{Idle: agent.NewBackoff()})
	require.NoError(t, r.Start())
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			require.NoError(t, r.Close())
		}
	}
	t.Cleanup(stop)
	return stop
}

// side is one client process: its control plane and duty cycle, driven by the test
// (invoker mode) over a transport it shares with the driver.
type side struct {
	t *testing.T
	p *process.Process
}

func newSide(t *testing.T, tc transport.Client) *side {
	t.Helper()
	p := process.New(tc, process.Config{})
	t.Cleanup(func() { _ = p.Close() })
	return &side{t: t, p: p}
}

// client makes a Client on the side's control plane and hosts it on its duty cycle.
func (s *side) client(cfg *config.DriverConfig, id uint32, role wire.Role, events *[]Effect) *Client {
	s.t.Helper()
	var c *Client
	var err error
	require.NoError(s.t, s.p.Do(func() {
		c, err = New(s.p.Hub(), Config{
			Control: controlplane.Endpoint{Channel: cfg.Driver.ControlChannel, StreamID: int32(cfg.Driver.ControlStreamID)},
			Params: Params{
				ClientID: id, Role: role, StreamID: 10000,
				AttachTimeout: 500 * time.Millisecond, KeepaliveInterval: 50 * time.Millisecond,
				BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
			},
			OnEvent: func(e Effect) {
				if events != nil {
					*events = append(*events, e)
				}
			},
		})
		if err == nil {
			err = s.p.Add(c)
		}
	}))
	s.p.DoWork()
	require.NoError(s.t, err)
	return c
}

// newClient is a client alone in a process of its own.
func newClient(t *testing.T, cfg *config.DriverConfig, tc transport.Client, id uint32, role wire.Role, events *[]Effect) (*side, *Client) {
	s := newSide(t, tc)
	return s, s.client(cfg, id, role, events)
}

// attach starts c attaching and runs the side until it is granted.
func (s *side) attach(c *Client) wire.ShmAttachResponse {
	s.t.Helper()
	s.p.DoWork() // the route and publication get added
	c.Start(clock.Now())
	s.runUntil("granted", func() bool { _, ok := c.Lease(); return ok })
	lease, _ := c.Lease()
	return lease
}

// runFor drives the side on the test goroutine.
func (s *side) runFor(d time.Duration) {
	end := time.Now().Add(d)
	idle := agent.NewBackoff()
	for time.Now().Before(end) {
		idle.Idle(s.p.DoWork())
	}
}

// runUntil drives the side until cond holds or the timeout passes.
func (s *side) runUntil(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	idle := agent.NewBackoff()
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s", what)
		}
		idle.Idle(s.p.DoWork())
	}
}

// detach gives c's lease back and runs the side until the detach completes.
func (s *side) detach(c *Client) {
	s.t.Helper()
	c.Detach(clock.Now())
	s.runUntil("detached", func() bool { return c.State() == Closed })
}

// Driver spec §4.2, §4.4, §4.9 end to end through the client API; the
// granted regions open with the superblocks the grant implies.
func TestClient_AttachKeepaliveDetach(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	runDriver(t, cfg, a)
	var events []Effect
	s, c := newClient(t, cfg, a, 21, wire.RoleConsumer, &events)

	lease := s.attach(c)
	require.NoError(t, ValidateGrant(&lease, 10000))
	policy, err := shm.NewPathPolicy(cfg.Shm.BaseDir)
	require.NoError(t, err)
	m, err := shm.OpenURI(policy, lease.HeaderRegionURI, shm.OpenOptions{Expect: shm.HeaderRingSuperblock(lease.Epoch, 10000, lease.HeaderNslots)})
	require.NoError(t, err)
	m.Close()

	// Several lease lifetimes (500 ms) of keepalives keep the lease.
	s.runFor(time.Second)
	got, ok := c.Lease()
	require.True(t, ok)
	require.Equal(t, lease.LeaseID, got.LeaseID)
	require.Equal(t, []EffectKind{Granted}, kinds(events))

	s.detach(c)
	require.Equal(t, []EffectKind{Granted, Detached}, kinds(events))
}

// Checklist 50, 45: a client that stops running past its lease is expired
// by the driver; when it runs again it sees the revocation and reattaches
// with a new lease (and, as producer, a new epoch).
func TestClient_SlowClientLosesLeaseAndReattaches(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	runDriver(t, cfg, a)
	var events []Effect
	s, c := newClient(t, cfg, a, 22, wire.RoleProducer, &events)
	first := s.attach(c)

	time.Sleep(time.Second) // twice the lease lifetime without a duty cycle
	s.runUntil("reattached", func() bool {
		l, ok := c.Lease()
		return ok && l.LeaseID != first.LeaseID
	})
	second, _ := c.Lease()
	require.Greater(t, second.Epoch, first.Epoch, "§7: a new producer lease comes with a new epoch")
	var lost *Effect
	for i := range events {
		if events[i].Kind == Lost {
			lost = &events[i]
		}
	}
	require.NotNil(t, lost)
	// Either the driver's notice or the client's own deadline noticed first.
	require.Contains(t, []LossReason{LossRevoked, LossExpired}, lost.Reason)
}

// Driver spec §4.13, §10: a driver that stops tells clients; they reattach
// to its successor, in a newer epoch.
func TestClient_DriverRestartClientsReattachToNewEpoch(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	stop := runDriver(t, cfg, a)
	var prodEvents, consEvents []Effect
	s := newSide(t, a)
	prod := s.client(cfg, 31, wire.RoleProducer, &prodEvents)
	cons := s.client(cfg, 32, wire.RoleConsumer, &consEvents)
	p1 := s.attach(prod)
	c1 := s.attach(cons)

	stop()
	s.runUntil("leases lost on shutdown", func() bool {
		_, ok1 := prod.Lease()
		_, ok2 := cons.Lease()
		return !ok1 && !ok2
	})
	// A stopping driver revokes every lease, then sends ShmDriverShutdown; the first ends the lease.
	lost := prodEvents[len(prodEvents)-1]
	require.Equal(t, Lost, lost.Kind)
	require.Equal(t, LossRevoked, lost.Reason)
	require.Equal(t, wire.RevokeRevoked, lost.Revoked.Reason)

	runDriver(t, cfg, a)
	s.runUntil("both reattached", func() bool {
		_, ok1 := prod.Lease()
		_, ok2 := cons.Lease()
		return ok1 && ok2
	})
	p2, _ := prod.Lease()
	c2, _ := cons.Lease()
	require.Greater(t, p2.Epoch, p1.Epoch)
	require.Equal(t, p2.Epoch, c2.Epoch)
	require.Greater(t, c2.Epoch, c1.Epoch)
}

// A refusal is retried; LastRefusal names it.
func TestClient_RefusalIsRetriedAndNamed(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	runDriver(t, cfg, a)
	s := newSide(t, a)
	holder := s.client(cfg, 41, wire.RoleProducer, nil)
	s.attach(holder)
	var events []Effect
	second := s.client(cfg, 42, wire.RoleProducer, &events)
	second.Start(clock.Now())
	s.runUntil("two refusals", func() bool { return count(events, Refused) >= 2 })
	var refused *RefusedError
	require.ErrorAs(t, second.LastRefusal(), &refused)
	require.Equal(t, wire.CodeRejected, refused.Code)
	require.Contains(t, refused.Message, "already has a producer")
	_, ok := holder.Lease()
	require.True(t, ok, "the holder kept its lease meanwhile")
}

// No driver: attach keeps retrying. (The client's own subscription makes the
// IPC publication connected, so requests go out and time out rather than
// fail to send.)
func TestClient_AttachWithoutDriverKeepsTrying(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	var events []Effect
	s, c := newClient(t, cfg, a, 51, wire.RoleConsumer, &events)
	s.p.DoWork()
	c.Start(clock.Now())
	// Two 500 ms attach timeouts and the backoff between, however slow the machine.
	s.runUntil("a second attach timing out", func() bool { return count(events, Refused) >= 2 })
	require.Contains(t, []State{Attaching, Backoff}, c.State())
	require.ErrorIs(t, c.LastRefusal(), ErrAttachTimeout)
}

// A busy control stream defers keepalives rather than ending the lease (issue: a
// back-pressured keepalive used to be fatal).
func TestClient_BackPressuredKeepaliveIsRetriedNotFatal(t *testing.T) {
	m := attached(t, 0)
	require.Equal(t, []EffectKind{SendKeepalive}, kinds(m.Tick(50*ms)))
	require.Empty(t, m.KeepaliveDeferred(50*ms))
	require.Equal(t, Attached, m.State())
	require.Empty(t, m.Tick(51*ms), "not again within the retry pause")
	require.Equal(t, []EffectKind{SendKeepalive}, kinds(m.Tick(56*ms)))
}

func count(events []Effect, kind EffectKind) int {
	n := 0
	for _, e := range events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// 100 clients in one process attach at once over one control-plane subscription, and
// four processes of 25 clients each do so concurrently; correlation ids keep every
// answer with its client.
func TestClient_HundredClientsAttach(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	runDriver(t, cfg, a)
	check := func(t *testing.T, leases []wire.ShmAttachResponse) {
		seen := map[uint64]bool{}
		for i, l := range leases {
			require.False(t, seen[l.LeaseID], "lease ids are unique (§4.8), client %d", i)
			seen[l.LeaseID] = true
			require.Equal(t, leases[0].Epoch, l.Epoch)
		}
	}
	t.Run("one process", func(t *testing.T) {
		s := newSide(t, a)
		clients := make([]*Client, 100)
		for i := range clients {
			clients[i] = s.client(cfg, uint32(1000+i), wire.RoleConsumer, nil)
		}
		s.p.DoWork()
		for _, c := range clients {
			c.Start(clock.Now())
		}
		leases := make([]wire.ShmAttachResponse, len(clients))
		s.runUntil("all granted", func() bool {
			for i, c := range clients {
				l, ok := c.Lease()
				if !ok {
					return false
				}
				leases[i] = l
			}
			return true
		})
		check(t, leases)
		require.Equal(t, 1, s.p.Hub().Subscriptions(), "one subscription for a hundred clients")
	})
	t.Run("four processes", func(t *testing.T) {
		var granted, running sync.WaitGroup
		allGranted := make(chan struct{})
		leases := make([]wire.ShmAttachResponse, 100)
		for p := range 4 {
			s := newSide(t, a)
			clients := make([]*Client, 25)
			for i := range clients {
				clients[i] = s.client(cfg, uint32(2000+25*p+i), wire.RoleConsumer, nil)
			}
			granted.Add(1)
			running.Add(1)
			go func() {
				defer running.Done()
				s.p.DoWork()
				for _, c := range clients {
					c.Start(clock.Now())
				}
				deadline := time.Now().Add(30 * time.Second)
				idle := agent.NewBackoff()
				done := false
				// A process keeps running once its clients are granted: one that stopped
				// reading the control stream would hold it back for everyone.
				for {
					select {
					case <-allGranted:
						return
					default:
					}
					if !done {
						done = true
						for i, c := range clients {
							l, ok := c.Lease()
							done = done && ok
							leases[25*p+i] = l
						}
						if done || time.Now().After(deadline) {
							done = true
							granted.Done()
						}
					}
					idle.Idle(s.p.DoWork())
				}
			}()
		}
		granted.Wait()
		close(allGranted)
		running.Wait()
		for i, l := range leases {
			require.NotZero(t, l.LeaseID, "client %d not granted", i)
		}
		check(t, leases)
	})
}

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
	"github.com/tensorpool/tensorpool/agents/driver"
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

func newClient(t *testing.T, cfg *config.DriverConfig, a transport.Client, id uint32, role wire.Role, events *[]Effect) *Client {
	t.Helper()
	c, err := New(context.Background(), Config{
		Transport: a, ControlChannel: cfg.Driver.ControlChannel, ControlStreamID: int32(cfg.Driver.ControlStreamID),
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
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func attach(t *testing.T, c *Client) wire.ShmAttachResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	lease, err := c.Attach(ctx)
	require.NoError(t, err)
	return lease
}

// runFor drives the client on the test goroutine.
func runFor(c *Client, d time.Duration) {
	end := time.Now().Add(d)
	idle := agent.NewBackoff()
	for time.Now().Before(end) {
		idle.Idle(c.DoWork(clock.Now()))
	}
}

// runUntil drives the client until cond holds or the timeout passes.
func runUntil(t *testing.T, c *Client, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	idle := agent.NewBackoff()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (state %s)", what, c.State())
		}
		idle.Idle(c.DoWork(clock.Now()))
	}
}

// Driver spec §4.2, §4.4, §4.9 end to end through the client API; the
// granted regions open with the superblocks the grant implies.
func TestClient_AttachKeepaliveDetach(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	runDriver(t, cfg, a)
	var events []Effect
	c := newClient(t, cfg, a, 21, wire.RoleConsumer, &events)

	lease := attach(t, c)
	require.NoError(t, ValidateGrant(&lease, 10000))
	policy, err := shm.NewPathPolicy(cfg.Shm.BaseDir)
	require.NoError(t, err)
	m, err := shm.OpenURI(policy, lease.HeaderRegionURI, shm.OpenOptions{Expect: shm.HeaderRingSuperblock(lease.Epoch, 10000, lease.HeaderNslots)})
	require.NoError(t, err)
	m.Close()

	// Several lease lifetimes (500 ms) of keepalives keep the lease.
	runFor(c, time.Second)
	got, ok := c.Lease()
	require.True(t, ok)
	require.Equal(t, lease.LeaseID, got.LeaseID)
	require.Equal(t, []EffectKind{Granted}, kinds(events))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.Detach(ctx))
	require.Equal(t, Closed, c.State())
}

// Checklist 50, 45: a client that stops running past its lease is expired
// by the driver; when it runs again it sees the revocation and reattaches
// with a new lease (and, as producer, a new epoch).
func TestClient_SlowClientLosesLeaseAndReattaches(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	runDriver(t, cfg, a)
	var events []Effect
	c := newClient(t, cfg, a, 22, wire.RoleProducer, &events)
	first := attach(t, c)

	time.Sleep(time.Second) // twice the lease lifetime without DoWork
	runUntil(t, c, "reattached", func() bool {
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
	prod := newClient(t, cfg, a, 31, wire.RoleProducer, &prodEvents)
	cons := newClient(t, cfg, a, 32, wire.RoleConsumer, &consEvents)
	p1 := attach(t, prod)
	c1 := attach(t, cons)

	stop()
	for _, c := range []*Client{prod, cons} {
		runUntil(t, c, "lease lost on shutdown", func() bool { _, ok := c.Lease(); return !ok })
	}
	// A stopping driver revokes every lease, then sends ShmDriverShutdown; the first ends the lease.
	lost := prodEvents[len(prodEvents)-1]
	require.Equal(t, Lost, lost.Kind)
	require.Equal(t, LossRevoked, lost.Reason)
	require.Equal(t, wire.RevokeRevoked, lost.Revoked.Reason)

	runDriver(t, cfg, a)
	p2 := attach(t, prod)
	c2 := attach(t, cons)
	require.Greater(t, p2.Epoch, p1.Epoch)
	require.Equal(t, p2.Epoch, c2.Epoch)
	require.Greater(t, c2.Epoch, c1.Epoch)
}

// A refusal is retried until the context ends; the error names it.
func TestClient_AttachTimesOutWithTheLastRefusal(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	runDriver(t, cfg, a)
	holder := newClient(t, cfg, a, 41, wire.RoleProducer, nil)
	attach(t, holder)
	// The holder keeps its lease alive meanwhile, on its own goroutine.
	stop := make(chan struct{})
	held := make(chan struct{})
	go func() {
		defer close(held)
		idle := agent.NewBackoff()
		for {
			select {
			case <-stop:
				return
			default:
				idle.Idle(holder.DoWork(clock.Now()))
			}
		}
	}()
	defer func() { close(stop); <-held }()
	second := newClient(t, cfg, a, 42, wire.RoleProducer, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := second.Attach(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var refused *RefusedError
	require.ErrorAs(t, err, &refused)
	require.Equal(t, wire.CodeRejected, refused.Code)
	require.Contains(t, refused.Message, "already has a producer")
}

// No driver: attach keeps retrying and reports the context's end. (The
// client's own subscription makes the IPC publication connected, so
// requests go out and time out rather than fail to send.)
func TestClient_AttachWithoutDriverEndsWithContext(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	c := newClient(t, cfg, a, 51, wire.RoleConsumer, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Attach(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Contains(t, []State{Attaching, Backoff}, c.State())
}

// The client's keepalive duty cycle allocates nothing once attached.
func TestClient_KeepaliveDutyCycleDoesNotAllocate(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	runDriver(t, cfg, a)
	c := newClient(t, cfg, a, 61, wire.RoleConsumer, nil)
	attach(t, c)
	now := clock.Now()
	allocs := testing.AllocsPerRun(200, func() {
		now = now.Add(50 * time.Millisecond)
		c.DoWork(now)
	})
	require.Zero(t, allocs)
	_, ok := c.Lease()
	require.True(t, ok)
}

// 100 clients, each on its own goroutine, attach at once through one Aeron
// connection; correlation ids keep every answer with its client.
func TestClient_HundredConcurrentClientsAttach(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	runDriver(t, cfg, a)
	const n = 100
	clients := make([]*Client, n)
	for i := range clients {
		clients[i] = newClient(t, cfg, a, uint32(1000+i), wire.RoleConsumer, nil)
	}
	leases := make([]wire.ShmAttachResponse, n)
	errs := make([]error, n)
	var attaching, running sync.WaitGroup
	allAttached := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i, c := range clients {
		attaching.Add(1)
		running.Add(1)
		go func() {
			defer running.Done()
			leases[i], errs[i] = c.Attach(ctx)
			attaching.Done()
			// An attached client keeps running: one that stopped polling would
			// hold the shared control stream back for everyone.
			idle := agent.NewBackoff()
			for {
				select {
				case <-allAttached:
					return
				default:
					idle.Idle(c.DoWork(clock.Now()))
				}
			}
		}()
	}
	attaching.Wait()
	close(allAttached)
	running.Wait()
	seen := map[uint64]bool{}
	for i := range clients {
		require.NoError(t, errs[i], "client %d", i)
		require.False(t, seen[leases[i].LeaseID], "lease ids are unique (§4.8)")
		seen[leases[i].LeaseID] = true
		require.Equal(t, leases[0].Epoch, leases[i].Epoch)
	}
}

package driver

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/backend"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/wire"
)

// Each test gets its own control stream so nothing one test leaves in the
// shared media driver reaches the next.
var nextControlStream atomic.Int32

func init() { nextControlStream.Store(41000) }

const waitTimeout = 15 * time.Second

// agentConfig is a driver configuration for the integration tests: a
// static stream 10000, dynamic ids 20000-20009, per-consumer ranges, a
// 100 ms announce period, files under a temporary base dir. Leases live 2 s
// (100 ms × 20), long enough that a test not about expiry never sees one on
// a loaded machine; startShortLeaseDriver makes them 300 ms.
func agentConfig(t testing.TB, base string, controlStream int32, policies string) *config.DriverConfig {
	t.Helper()
	text := fmt.Sprintf(`
[driver]
instance_id = "itest"
control_channel = "aeron:ipc?term-length=64k"
control_stream_id = %d
announce_channel = "aeron:ipc?term-length=64k"
announce_stream_id = %d
stream_id_range = "20000-20009"
descriptor_stream_id_range = "31000-31001"
control_stream_id_range = "32000-32001"
[shm]
base_dir = %q
[policies]
allow_dynamic_streams = true
announce_period_ms = 100
lease_keepalive_interval_ms = 100
lease_expiry_grace_intervals = 20
shutdown_timeout_ms = 50
shutdown_token = "let-me-stop"
epoch_gc_min_age_ns = 1
%s
[profiles.cam]
header_nslots = 16
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }, { pool_id = 2, stride_bytes = 16384 }]
[streams.cam]
stream_id = 10000
profile = "cam"
`, controlStream, controlStream, base, policies)
	cfg, err := config.ParseDriverConfig(strings.NewReader(text))
	require.NoError(t, err)
	return cfg
}

// testDriver is a driver agent driven by an Invoker on the test goroutine,
// with a probe client on the same control stream: no goroutine of the test
// touches the agent, and every wait runs both.
type testDriver struct {
	t       testing.TB
	cfg     *config.DriverConfig
	client  transport.Client
	agent   *Agent
	invoker *agent.Invoker
	probe   *probe
}

// connect is an in-memory transport of its own: the agent's tests need a transport, not
// the media driver. The multi-process tests, whose clients are other processes, use
// connectAeron.
func connect(t testing.TB) transport.Client {
	t.Helper()
	c := mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{})
	t.Cleanup(func() { c.Close() })
	return c
}

// connectAeron is a client of the package's Java media driver.
func connectAeron(t testing.TB) transport.Client {
	t.Helper()
	c, err := backend.Connect(backend.Config{Dir: drivertest.Dir(t), IdleStrategy: agent.NewBackoff()})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// added waits for an add, failing the test if it fails or takes longer than waitTimeout.
func added[T any](t testing.TB, p transport.Pending[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	v, err := transport.Await(ctx, p)
	require.NoError(t, err)
	return v
}

func startTestDriver(t testing.TB, policies string) *testDriver {
	t.Helper()
	stream := nextControlStream.Add(2)
	cfg := agentConfig(t, t.TempDir(), stream, policies)
	return startTestDriverWith(t, cfg)
}

// startShortLeaseDriver is startTestDriver with 300 ms leases on client, for
// tests that wait for expiry.
func startShortLeaseDriver(t testing.TB, client transport.Client) *testDriver {
	t.Helper()
	cfg := agentConfig(t, t.TempDir(), nextControlStream.Add(2), "")
	cfg.Policies.LeaseExpiryGraceIntervals = 3
	return startTestDriverOn(t, cfg, client)
}

func startTestDriverWith(t testing.TB, cfg *config.DriverConfig) *testDriver {
	t.Helper()
	return startTestDriverOn(t, cfg, connect(t))
}

func startTestDriverOn(t testing.TB, cfg *config.DriverConfig, client transport.Client) *testDriver {
	t.Helper()
	a, err := NewAgent(context.Background(), cfg, client, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	d := &testDriver{t: t, cfg: cfg, client: client, agent: a, invoker: agent.NewInvoker(a, nil, nil)}
	t.Cleanup(d.invoker.Close)
	d.probe = newProbe(t, client, cfg.Driver.ControlChannel, int32(cfg.Driver.ControlStreamID))
	d.waitFor("probe connected to the driver", func() bool { return d.probe.pub.IsConnected() && d.probe.sub.IsConnected() })
	return d
}

// waitFor runs the driver and the probe until cond holds, failing the test
// after waitTimeout.
func (d *testDriver) waitFor(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %s", what)
		}
		if d.invoker.Invoke()+d.probe.poll() == 0 {
			time.Sleep(200 * time.Microsecond)
		}
	}
}

// run keeps the driver and probe going for a while.
func (d *testDriver) run(dur time.Duration) {
	end := time.Now().Add(dur)
	d.waitFor("time to pass", func() bool { return time.Now().After(end) })
}

func (d *testDriver) attach(req wire.ShmAttachRequest) wire.ShmAttachResponse {
	d.t.Helper()
	d.probe.sendAttach(req)
	var resp wire.ShmAttachResponse
	d.waitFor(fmt.Sprintf("attach response %d", req.CorrelationID), func() bool {
		r, ok := d.probe.attaches[req.CorrelationID]
		resp = r
		return ok
	})
	return resp
}

func (d *testDriver) detach(req wire.ShmDetachRequest) wire.ShmDetachResponse {
	d.t.Helper()
	d.probe.send(&req)
	var resp wire.ShmDetachResponse
	d.waitFor("detach response", func() bool {
		r, ok := d.probe.detaches[req.CorrelationID]
		resp = r
		return ok
	})
	return resp
}

// awaitAnnounce waits for a ShmPoolAnnounce of stream with an epoch above
// after and returns it.
func (d *testDriver) awaitAnnounce(stream uint32, after uint64) wire.ShmPoolAnnounce {
	d.t.Helper()
	var got wire.ShmPoolAnnounce
	d.waitFor(fmt.Sprintf("announce of stream %d above epoch %d", stream, after), func() bool {
		for _, a := range d.probe.announces {
			if a.StreamID == stream && a.Epoch > after {
				got = a
				return true
			}
		}
		return false
	})
	return got
}

func (d *testDriver) awaitRevoked(lease uint64) wire.ShmLeaseRevoked {
	d.t.Helper()
	var got wire.ShmLeaseRevoked
	d.waitFor(fmt.Sprintf("ShmLeaseRevoked for lease %d", lease), func() bool {
		for _, r := range d.probe.revoked {
			if r.LeaseID == lease {
				got = r
				return true
			}
		}
		return false
	})
	return got
}

// probe is a raw client of the control stream: it sends what a test
// encodes and records every driver message it sees, in order.
type probe struct {
	t         testing.TB
	pub       transport.Publication
	sub       transport.Subscription
	onMessage transport.Handler
	buf       []byte

	attaches map[int64]wire.ShmAttachResponse
	// attachOrder lists attach responses' correlation ids in arrival order.
	attachOrder []int64
	detaches    map[int64]wire.ShmDetachResponse
	revoked     []wire.ShmLeaseRevoked
	shutdowns   []wire.ShmDriverShutdown
	announces   []wire.ShmPoolAnnounce
	configs     []wire.ConsumerConfig
	// order records template names as seen, e.g. "revoked", "announce".
	order []string
	// sessions records the publication session of every driver message seen.
	sessions map[int32]int
}

func newProbe(t testing.TB, client transport.Client, channel string, stream int32) *probe {
	t.Helper()
	pub := added(t, client.AddPublication(channel, stream))
	sub := added(t, client.AddSubscription(channel, stream))
	p := &probe{t: t, pub: pub, sub: sub, buf: make([]byte, 1<<20),
		attaches: map[int64]wire.ShmAttachResponse{}, detaches: map[int64]wire.ShmDetachResponse{}, sessions: map[int32]int{}}
	p.onMessage = p.record
	return p
}

func (p *probe) poll() int { return p.sub.Poll(p.onMessage, 64) }

// record keeps one driver message.
func (p *probe) record(msg []byte, hdr *transport.Header) {
	h, err := wire.PeekHeader(msg)
	if err != nil {
		return
	}
	switch h.ID() {
	case wire.ShmAttachResponseID, wire.ShmDetachResponseID, wire.ShmLeaseRevokedID, wire.ShmDriverShutdownID,
		wire.ShmPoolAnnounceID, wire.ConsumerConfigID:
		p.sessions[hdr.SessionID]++
	}
	switch h.ID() {
	case wire.ShmAttachResponseID:
		var r wire.ShmAttachResponse
		if r.Decode(msg) == nil {
			p.attaches[r.CorrelationID] = r
			p.attachOrder = append(p.attachOrder, r.CorrelationID)
			p.order = append(p.order, "attach")
		}
	case wire.ShmDetachResponseID:
		var r wire.ShmDetachResponse
		if r.Decode(msg) == nil {
			p.detaches[r.CorrelationID] = r
			p.order = append(p.order, "detach")
		}
	case wire.ShmLeaseRevokedID:
		var r wire.ShmLeaseRevoked
		if r.Decode(msg) == nil {
			p.revoked = append(p.revoked, r)
			p.order = append(p.order, "revoked")
		}
	case wire.ShmDriverShutdownID:
		var s wire.ShmDriverShutdown
		if s.Decode(msg) == nil {
			p.shutdowns = append(p.shutdowns, s)
			p.order = append(p.order, "shutdown")
		}
	case wire.ShmPoolAnnounceID:
		var a wire.ShmPoolAnnounce
		if a.Decode(msg) == nil {
			p.announces = append(p.announces, a)
			p.order = append(p.order, "announce")
		}
	case wire.ConsumerConfigID:
		var c wire.ConsumerConfig
		if c.Decode(msg) == nil {
			p.configs = append(p.configs, c)
			p.order = append(p.order, "config")
		}
	}
}

// send encodes m and offers it, retrying briefly on back pressure.
func (p *probe) send(m message) {
	p.t.Helper()
	n, err := m.Encode(p.buf)
	require.NoError(p.t, err)
	p.sendBytes(p.buf[:n])
}

func (p *probe) sendBytes(msg []byte) {
	p.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for p.pub.Offer(msg) < 0 {
		if time.Now().After(deadline) {
			p.t.Fatalf("offer on the control stream timed out")
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func (p *probe) sendAttach(req wire.ShmAttachRequest) { p.send(&req) }

func (p *probe) sendKeepalive(k wire.ShmLeaseKeepalive) { p.send(&k) }

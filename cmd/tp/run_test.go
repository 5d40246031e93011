package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tpc "github.com/tensorpool/tensorpool/tp"
)

// The tests here run `tp run ROLE` as the separate processes they are, over a media
// driver `tp media-driver` runs, with Go producers and consumers (and, for the slow
// consumer, a child process of this test binary) as their clients.

// roleProc is a `tp run ROLE` in the background.
type roleProc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	logs   lockedBuffer
	exited chan struct{}
}

func startRole(t *testing.T, args ...string) *roleProc {
	t.Helper()
	p := &roleProc{t: t, name: strings.Join(args[:2], " "), exited: make(chan struct{})}
	p.cmd = exec.Command(command(t, "tp"), args...)
	p.cmd.Env = append(os.Environ(), "AERON_DIR=", "TP_AERON_DIR=")
	p.cmd.Stdout, p.cmd.Stderr = &p.logs, &p.logs
	require.NoError(t, p.cmd.Start())
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		// A clean stop removes the lock file the role keeps beside the Aeron directory.
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("tp %s output:\n%s", strings.Join(args, " "), p.logs.String())
		}
	})
	return p
}

// waitLog waits for a log line containing text and returns it.
func (p *roleProc) waitLog(text string, timeout time.Duration) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, l := range strings.Split(p.logs.String(), "\n") {
			if strings.Contains(l, text) {
				return l
			}
		}
		select {
		case <-p.exited:
			p.t.Fatalf("tp %s exited (%v) before logging %q:\n%s", p.name, p.cmd.ProcessState, text, p.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("tp %s did not log %q within %v:\n%s", p.name, text, timeout, p.logs.String())
		}
	}
}

// exit waits for the process to end on its own and returns its status.
func (p *roleProc) exit() int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.t.Fatalf("tp %s still running:\n%s", p.name, p.logs.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// stop sends SIGTERM and returns the exit status.
func (p *roleProc) stop() int {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGTERM))
	return p.exit()
}

var metricsURL = regexp.MustCompile(`url=(http://\S+/metrics)`)

// scrape reads the role's Prometheus endpoint.
func (p *roleProc) scrape() string {
	p.t.Helper()
	m := metricsURL.FindStringSubmatch(p.waitLog("metrics served", 10*time.Second))
	require.NotNil(p.t, m)
	resp, err := http.Get(m[1])
	require.NoError(p.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(p.t, err)
	return string(body)
}

// metric is the value of one sample of a scrape, -1 when absent.
func metric(scrape, sample string) float64 {
	for _, l := range strings.Split(scrape, "\n") {
		if v, ok := strings.CutPrefix(l, sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// system is a media driver and the settings of one SHM driver on it.
type system struct {
	dir, base string
	control   int
}

func (s system) file(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

// driverConfig is a driver with static stream 10000 of 16 4 KiB slots, announcing every
// 200 ms on its control stream, and its embedded discovery provider.
func (s system) driverConfig(t *testing.T) string {
	return s.file(t, "driver.toml", fmt.Sprintf(`
[driver]
instance_id = "run-test"
control_channel = "aeron:ipc"
control_stream_id = %[1]d
qos_channel = "aeron:ipc"
qos_stream_id = %[2]d
[shm]
base_dir = %[3]q
[policies]
announce_period_ms = 200
cleanup_shm_on_exit = true
[profiles.small]
header_nslots = 16
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }]
[streams.cam]
stream_id = 10000
profile = "small"
[discovery]
channel = "aeron:ipc"
stream_id = %[4]d
metadata_channel = "aeron:ipc"
metadata_stream_id = %[5]d
expiry_ns = 1_000_000_000
`, s.control, s.control+2, s.base, s.control+10, s.control+3))
}

func (s system) clientOptions() tpc.Options {
	return tpc.Options{AeronDir: s.dir, ControlChannel: "aeron:ipc", ControlStreamID: int32(s.control),
		DescriptorChannel: "aeron:ipc", DescriptorStreamID: int32(s.control + 1),
		QosChannel: "aeron:ipc", QosStreamID: int32(s.control + 2), QosInterval: 250 * time.Millisecond,
		MetadataChannel: "aeron:ipc", MetadataStreamID: int32(s.control + 3), AllowedBaseDirs: []string{s.base}}
}

func newSystem(t *testing.T, control int) (system, *mediaDriver) {
	dir := aeronTestDir(t)
	md := startMediaDriver(t, nil, "media-driver", "--dir", dir, "--", "-Daeron.threading.mode=SHARED",
		"-Daeron.ipc.term.buffer.length=1m", "-Daeron.term.buffer.length=1m")
	base := filepath.Join(aeronTestDir(t), "shm")
	return system{dir: dir, base: base, control: control}, md
}

// discover asks the discovery service on requestStream until it answers with a result,
// and returns the response.
func discover(t *testing.T, c *tpc.Client, requestStream int32, q tpc.DiscoveryQuery) tpc.DiscoveryResponse {
	t.Helper()
	d, err := c.NewDiscoveryClient("aeron:ipc", requestStream, "aeron:ipc", requestStream+100)
	require.NoError(t, err)
	defer d.Close()
	deadline := time.Now().Add(20 * time.Second)
	var last tpc.DiscoveryResponse
	for time.Now().Before(deadline) {
		id, err := d.Request(q)
		if err != nil {
			time.Sleep(100 * time.Millisecond) // the service is not subscribed yet
			continue
		}
		for wait := time.Now().Add(time.Second); time.Now().Before(wait); time.Sleep(5 * time.Millisecond) {
			d.Poll(10)
			if r, ok := d.Response(id); ok {
				last = r
				break
			}
		}
		if len(last.Entries) > 0 {
			return last
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no result from the discovery service on stream %d for %+v (last response %+v)", requestStream, q, last)
	return last
}

// Every `tp run` role against a real system: the driver (with its embedded discovery
// provider), a supervisor, a standalone provider and a registry, each serving its clients,
// its metrics, refusing a second instance, refusing a bad configuration naming the key,
// and stopping on SIGTERM with exit 0.
func TestRun_EveryRoleServes(t *testing.T) {
	s, _ := newSystem(t, 46000)
	drv := startRole(t, "run", "driver", "--config", s.driverConfig(t), "--aeron-dir", s.dir, "--metrics-addr", "127.0.0.1:0")
	drv.waitLog("driver ready", 60*time.Second)
	drv.waitLog("discovery service ready", 10*time.Second)
	sup := startRole(t, "run", "supervisor", "--aeron-dir", s.dir, "--metrics-addr", "127.0.0.1:0", "--config", s.file(t, "sup.toml", fmt.Sprintf(`
[supervisor]
aeron_uri = "aeron:ipc"
control_stream_id = %d
qos_stream_id = %d
stream_id = 0
`, s.control, s.control+2)))
	sup.waitLog("supervisor ready", 30*time.Second)
	discCfg := s.file(t, "discovery.toml", fmt.Sprintf(`
[discovery]
channel = "aeron:ipc"
stream_id = %d
announce_channel = "aeron:ipc"
announce_stream_id = %d
metadata_channel = "aeron:ipc"
metadata_stream_id = %d
driver_instance_id = "run-test"
driver_control_channel = "aeron:ipc"
driver_control_stream_id = %[2]d
`, s.control+11, s.control, s.control+3))
	disc := startRole(t, "run", "discovery", "--config", discCfg, "--aeron-dir", s.dir)
	disc.waitLog("discovery service ready", 30*time.Second)
	reg := startRole(t, "run", "registry", "--aeron-dir", s.dir, "--log-format", "json", "--config", s.file(t, "registry.toml", fmt.Sprintf(`
[discovery_registry]
channel = "aeron:ipc"
stream_id = %d
[[discovery_registry.endpoints]]
driver_instance_id = "run-test"
announce_channel = "aeron:ipc"
announce_stream_id = %d
metadata_channel = "aeron:ipc"
metadata_stream_id = %d
driver_control_channel = "aeron:ipc"
driver_control_stream_id = %[2]d
`, s.control+12, s.control, s.control+3)))
	reg.waitLog(`"msg":"discovery service ready"`, 30*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := tpc.Connect(ctx, s.clientOptions())
	require.NoError(t, err)
	defer c.Close()
	p, err := c.NewProducer(ctx, 10000)
	require.NoError(t, err)
	require.NoError(t, p.SetDataSource("cam-run", "640x480 rgb"))
	require.NoError(t, p.SetAttribute(tpc.Attribute{Key: "tag", Format: "text/plain", Value: []byte("rgb")}))
	frames := 0
	cs, err := c.NewConsumer(ctx, 10000, func(*tpc.Frame) { frames++ })
	require.NoError(t, err)
	defer cs.Close()
	data := make([]byte, 1024)
	for deadline := time.Now().Add(20 * time.Second); frames < 20 && time.Now().Before(deadline); {
		_ = p.Offer(tpc.Tensor{Shape: tpc.Shape{DType: tpc.Uint8, Dims: []int32{1024}}, Data: data})
		cs.Poll(16)
		time.Sleep(5 * time.Millisecond)
	}
	require.GreaterOrEqual(t, frames, 20)

	// Each discovery service finds the stream by name and tag and names the driver.
	for _, stream := range []int32{int32(s.control + 10), int32(s.control + 11), int32(s.control + 12)} {
		r := discover(t, c, stream, tpc.DiscoveryQuery{DataSourceName: "cam-run", Tags: []string{"rgb"}})
		require.Len(t, r.Entries, 1, "service on stream %d", stream)
		e := r.Entries[0]
		require.Equal(t, uint32(10000), e.StreamID)
		require.Equal(t, "run-test", e.DriverInstanceID)
		require.Equal(t, "aeron:ipc", e.DriverControlChannel)
		require.Equal(t, uint32(s.control), e.DriverControlStreamID)
		require.Equal(t, []string{"rgb"}, e.Tags)
	}

	// The supervisor sees the producer and the consumer (their QoS) and says so.
	var scrape string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		cs.Poll(16)
		if scrape = sup.scrape(); metric(scrape, "tp_supervisor_consumers") == 1 && metric(scrape, "tp_supervisor_producers") == 1 {
			break
		}
	}
	require.Equal(t, 1.0, metric(scrape, "tp_supervisor_producers"), scrape)
	require.Equal(t, 1.0, metric(scrape, "tp_supervisor_consumers"), scrape)
	require.Contains(t, scrape, fmt.Sprintf(`tp_supervisor_consumer_rate_limited{consumer="%d",stream="10000"} 0`, cs.ID()))
	driverScrape := drv.scrape()
	require.Positive(t, metric(driverScrape, `tp_discovery_requests_total{outcome="ok"}`), driverScrape)
	require.Equal(t, 1.0, metric(driverScrape, "tp_discovery_entries"))
	require.Equal(t, 2.0, metric(driverScrape, `tp_driver_attaches_total{outcome="ok"}`), "the producer and the consumer")

	// One instance per endpoint; a bad configuration names the key.
	second := startRole(t, "run", "discovery", "--config", discCfg, "--aeron-dir", s.dir)
	require.Equal(t, exitFailure, second.exit())
	require.Contains(t, second.logs.String(), "another instance serves this endpoint")
	require.Contains(t, second.logs.String(), fmt.Sprintf("pid %d", disc.cmd.Process.Pid))
	bad := startRole(t, "run", "supervisor", "--config", s.file(t, "bad.toml", "[supervisor]\nqos_stream_id = 0\n"), "--aeron-dir", s.dir)
	require.Equal(t, exitUsage, bad.exit())
	require.Contains(t, bad.logs.String(), "supervisor.qos_stream_id")
	noConfig := startRole(t, "run", "registry", "--aeron-dir", s.dir)
	require.Equal(t, exitUsage, noConfig.exit())
	require.Contains(t, noConfig.logs.String(), "a registry needs --config")

	require.NoError(t, cs.Close())
	require.NoError(t, p.Close())
	for _, r := range []*roleProc{reg, disc, sup, drv} {
		require.Equal(t, exitOK, r.stop(), "tp %s:\n%s", r.name, r.logs.String())
	}
}

// childConsumerEnv makes this test binary a slow consumer process (runChildConsumer).
const childConsumerEnv = "TP_RUN_TEST_CHILD_CONSUMER"

type childConsumerSpec struct {
	Options tpc.Options
	// SlowFor is how long the handler takes 10 ms a frame; then it takes none.
	SlowFor   time.Duration
	MaxRateHz uint32
	RunFor    time.Duration
}

// runChildConsumer consumes stream 10000 slowly, then fast, printing its stats every
// 500 ms.
func runChildConsumer(encoded string) int {
	var spec childConsumerSpec
	if err := json.Unmarshal([]byte(encoded), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	spec.Options.Consumer.MaxRateHz = spec.MaxRateHz // its rate once rate-limited (Wire §11)
	c, err := tpc.Connect(ctx, spec.Options)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer c.Close()
	start := time.Now()
	cs, err := c.NewConsumer(ctx, 10000, func(*tpc.Frame) {
		if time.Since(start) < spec.SlowFor {
			time.Sleep(10 * time.Millisecond)
		}
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer cs.Close()
	next := time.Now()
	for time.Since(start) < spec.RunFor {
		if cs.Poll(64) == 0 {
			time.Sleep(time.Millisecond)
		}
		if time.Now().After(next) {
			st := cs.Stats()
			fmt.Printf("child consumer %d: frames %d drops gap %d late %d\n", cs.ID(), st.Frames, st.DropsGap, st.DropsLate)
			next = next.Add(500 * time.Millisecond)
		}
	}
	return 0
}

// The supervisor acting, across processes over the real media driver: a consumer process
// too slow for the stream falls behind and is moved to RATE_LIMITED (where it runs at the
// 20 Hz it declared), then restored to STREAM once it keeps up; the producer never waits
// meanwhile: every Offer returns at once and it keeps its rate.
func TestRun_SupervisorRateLimitsASlowConsumerAndRestoresIt(t *testing.T) {
	s, _ := newSystem(t, 46100)
	drv := startRole(t, "run", "driver", "--config", s.driverConfig(t), "--aeron-dir", s.dir)
	drv.waitLog("driver ready", 60*time.Second)
	sup := startRole(t, "run", "supervisor", "--aeron-dir", s.dir, "--metrics-addr", "127.0.0.1:0", "--config", s.file(t, "sup.toml", fmt.Sprintf(`
[supervisor]
aeron_uri = "aeron:ipc"
control_stream_id = %d
qos_stream_id = %d
stream_id = 10000
slow_after_reports = 2
min_limited_ns = 3_000_000_000
max_limited_ns = 60_000_000_000
`, s.control, s.control+2)))
	sup.waitLog("supervisor ready", 30*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c, err := tpc.Connect(ctx, s.clientOptions())
	require.NoError(t, err)
	defer c.Close()
	p, err := c.NewProducer(ctx, 10000)
	require.NoError(t, err)
	defer p.Close()

	spec, err := json.Marshal(childConsumerSpec{Options: s.clientOptions(), SlowFor: 4 * time.Second, MaxRateHz: 20, RunFor: 45 * time.Second})
	require.NoError(t, err)
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childConsumerEnv+"="+string(spec))
	var childOut lockedBuffer
	child.Stdout, child.Stderr = &childOut, &childOut
	require.NoError(t, child.Start())
	childDone := make(chan error, 1)
	go func() { childDone <- child.Wait() }()
	t.Cleanup(func() {
		_ = child.Process.Kill()
		<-childDone
		if t.Failed() {
			t.Logf("child consumer:\n%s", childOut.String())
		}
	})

	// The producer: 500 frames a second, each Offer timed, until the consumer was moved and
	// restored (a loaded machine may take longer than the 14 s it takes on a quiet one).
	data := make([]byte, 1024)
	tensor := tpc.Tensor{Shape: tpc.Shape{DType: tpc.Uint8, Dims: []int32{1024}}, Data: data}
	var offers, failed int
	var slowest time.Duration
	moved, restored := false, false
	start := time.Now()
	for tick := time.NewTicker(2 * time.Millisecond); time.Since(start) < 40*time.Second; <-tick.C {
		t0 := time.Now()
		if p.Offer(tensor) != nil {
			failed++
		}
		slowest = max(slowest, time.Since(t0))
		offers++
		if offers%500 == 0 {
			logs := sup.logs.String()
			moved = moved || strings.Contains(logs, "moved to RATE_LIMITED")
			restored = restored || (moved && strings.Contains(logs, "restored to STREAM"))
			if restored && time.Since(start) > 14*time.Second {
				break
			}
		}
	}
	elapsed := time.Since(start)
	t.Logf("producer: %d offers in %v (%d refused), slowest Offer %v", offers, elapsed, failed, slowest)
	require.True(t, moved, "the slow consumer was moved to RATE_LIMITED:\n%s", sup.logs.String())
	require.True(t, restored, "and restored once it kept up:\n%s", sup.logs.String())
	// Offer never waits on the consumer or the supervisor: a wait would last seconds (the
	// consumer's slow phase, the supervisor's hold); the bound leaves room for a loaded
	// machine's scheduling stalls. (Its rate is a benchmark's business, not this test's.)
	require.Less(t, slowest, 500*time.Millisecond, "an Offer waited")

	line := sup.waitLog("moved to RATE_LIMITED", time.Second)
	require.Contains(t, line, "max_rate_hz=20")
	t.Log(line)
	t.Log(sup.waitLog("restored to STREAM", time.Second))
	scrape := sup.scrape()
	require.GreaterOrEqual(t, metric(scrape, `tp_supervisor_moves_total{to="rate_limited"}`), 1.0, scrape)
	require.GreaterOrEqual(t, metric(scrape, `tp_supervisor_moves_total{to="stream"}`), 1.0, scrape)
	require.Equal(t, 0.0, metric(scrape, "tp_supervisor_consumers_rate_limited"), scrape)
	require.Equal(t, exitOK, sup.stop())
	require.Equal(t, exitOK, drv.stop())
}

// Every role configuration in config/examples/roles serves as written, beside tp-driver's
// built-in configuration (which they point at): the supervisor starts, the discovery
// provider and the registry answer a query with the stream a producer made and the
// driver their file names, and each stops on SIGTERM with exit 0.
func TestRun_ExampleRoleConfigsServe(t *testing.T) {
	s, _ := newSystem(t, 1000)
	t.Setenv("SHM_BASE_DIR", s.base) // the built-in driver's, moved off /dev/shm/tensorpool
	drv := startRole(t, "run", "driver", "--aeron-dir", s.dir)
	drv.waitLog("driver ready", 60*time.Second)
	examples := "../../config/examples/roles/"
	roles := []*roleProc{
		startRole(t, "run", "supervisor", "--aeron-dir", s.dir, "--config", examples+"supervisor.toml"),
		startRole(t, "run", "discovery", "--aeron-dir", s.dir, "--config", examples+"discovery.toml"),
		startRole(t, "run", "registry", "--aeron-dir", s.dir, "--config", examples+"registry.toml"),
	}
	roles[0].waitLog("supervisor ready", 30*time.Second)
	roles[1].waitLog("discovery service ready", 30*time.Second)
	roles[2].waitLog("discovery service ready", 30*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := tpc.Connect(ctx, tpc.Options{AeronDir: s.dir, AllowedBaseDirs: []string{s.base}})
	require.NoError(t, err)
	defer c.Close()
	p, err := c.NewProducer(ctx, 1)
	require.NoError(t, err)
	defer p.Close()
	for stream, driver := range map[int32]string{7000: "driver-01", 7100: "driver-a"} {
		r := discover(t, c, stream, tpc.DiscoveryQuery{})
		require.NotEmpty(t, r.Entries, "service on stream %d", stream)
		require.Equal(t, uint32(1), r.Entries[0].StreamID)
		require.Equal(t, driver, r.Entries[0].DriverInstanceID)
	}
	require.NoError(t, p.Close())
	require.NoError(t, c.Close())
	for _, r := range append(roles, drv) {
		require.Equal(t, exitOK, r.stop(), "tp %s:\n%s", r.name, r.logs.String())
	}
}

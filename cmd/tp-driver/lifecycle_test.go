package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/aeron/counters"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/cmd/internal/role"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/wire"
)

// Issues 14.11 and 14.12: with no flags and no file tp-driver starts a media
// driver in the Aeron directory ($AERON_DIR here, a fresh one) and serves
// the built-in configuration; with --log-format json every line it writes is
// JSON, the media driver's output included; Ctrl-C (SIGINT to its process
// group, as a terminal sends it) drains, sends ShmDriverShutdown while the
// media driver still runs, then stops the media driver and exits 0, leaving
// nothing in /dev/shm.
func TestProcess_DefaultsJSONLogsAndCtrlC(t *testing.T) {
	aeronDir, base := shmDir(t, "aeron"), shmDir(t, "base")
	p := startProcess(t, []string{"--log-format", "json"}, "AERON_DIR="+aeronDir, "SHM_BASE_DIR="+base)
	p.ready()
	require.Contains(t, p.logs.String(), `"msg":"media driver started"`)

	c := newRawClient(t, aeronDir, "aeron:ipc", 1000)
	req := wire.ShmAttachRequest{CorrelationID: 1, StreamID: 1, ClientID: 11, Role: wire.RoleProducer, PublishMode: wire.PublishModeExistingOrCreate}
	grant := c.attach(req)
	require.Equal(t, wire.CodeOK, grant.Code, grant.ErrorMessage)
	require.Equal(t, uint32(1), grant.StreamID, "stream 1 created on attach")

	mediaPid := loggedMediaDriverPid(t, p.logs.String())
	sent := time.Now()
	require.NoError(t, syscall.Kill(-p.pid(), syscall.SIGINT))
	k := wire.ShmLeaseKeepalive{LeaseID: grant.LeaseID, StreamID: 1, ClientID: 11, Role: wire.RoleProducer}
	c.keepAlive(k, 100*time.Millisecond, 15*time.Second, func() bool { return len(c.shutdowns) > 0 })
	noticed := time.Since(sent)
	rev, ok := c.revokedFor(grant.LeaseID)
	require.True(t, ok, "the lease was revoked before the shutdown notice")
	require.Equal(t, wire.RevokeRevoked, rev.Reason)
	require.Equal(t, wire.ShutdownNormal, c.shutdowns[0].Reason)
	require.Len(t, c.sessions, 1, "every driver message from one session")

	require.Equal(t, exitOK, p.wait(15*time.Second), "Ctrl-C is a clean stop")
	exited := time.Since(sent)
	require.False(t, processAlive(mediaPid), "the media driver it started is stopped")
	for _, l := range lines(p.logs.String()) {
		require.True(t, json.Valid([]byte(l)), "not JSON: %s", l)
	}
	out := p.logs.String()
	require.Contains(t, out, `"msg":"media driver output"`, "the JVM's output is in the log")
	require.Less(t, strings.Index(out, "ShmDriverShutdown sent"), strings.Index(out, "tp-driver exiting"))
	bytes, entries := shmBytes(t, aeronDir, base, role.LockPath(aeronDir, "driver", builtin(t).Driver.ControlChannel, builtin(t).Driver.ControlStreamID))
	require.Zero(t, bytes, "nothing left in /dev/shm")
	require.Zero(t, entries)
	t.Logf("Ctrl-C: ShmDriverShutdown seen after %v, exit 0 after %v", noticed, exited)
}

func builtin(t *testing.T) *config.DriverConfig {
	t.Helper()
	cfg, err := config.Builtin(nil)
	require.NoError(t, err)
	return cfg
}

var mediaPidField = regexp.MustCompile(`"msg":"media driver started"[^\n]*"pid":(\d+)`)

// loggedMediaDriverPid is the pid of the media driver tp-driver says it started.
func loggedMediaDriverPid(t *testing.T, logs string) int {
	t.Helper()
	m := mediaPidField.FindStringSubmatch(logs)
	require.NotNil(t, m, "no media driver pid in:\n%s", logs)
	pid, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return pid
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// A second signal stops at once, without waiting out the drain.
func TestProcess_SecondSignalStopsAtOnce(t *testing.T) {
	path := writeTestConfig(t, shmDir(t, "base"), 44101, "")
	p := startProcess(t, []string{"--config", path, "--aeron-dir", drivertest.Dir(t)}, "POLICIES_SHUTDOWN_TIMEOUT_MS=60000")
	p.ready()
	require.NoError(t, syscall.Kill(p.pid(), syscall.SIGTERM))
	p.waitLog("draining", 10*time.Second)
	start := time.Now()
	require.NoError(t, syscall.Kill(p.pid(), syscall.SIGTERM))
	require.Equal(t, exitOK, p.wait(10*time.Second))
	took := time.Since(start)
	require.Less(t, took, 5*time.Second)
	require.Contains(t, p.logs.String(), "second signal: stopping now")
	t.Logf("second signal: exit 0 after %v (drain timeout 60 s)", took)
}

// Issue 14.8: one driver per SHM base directory and per control stream of a
// media driver. A second refuses to start naming the running one's pid; once
// that one is killed (-9), its locks are taken over.
func TestProcess_OneDriverPerBaseDirAndControlStream(t *testing.T) {
	dir := drivertest.Dir(t)
	base := shmDir(t, "base")
	path := writeTestConfig(t, base, 44111, "")
	first := startProcess(t, []string{"--config", path, "--aeron-dir", dir})
	first.ready()

	refusedAt := time.Now()
	sameControl := startProcess(t, []string{"--config", path, "--aeron-dir", dir}, "SHM_BASE_DIR="+shmDir(t, "other"))
	require.Equal(t, exitFailure, sameControl.wait(15*time.Second))
	refused := time.Since(refusedAt)
	require.Contains(t, sameControl.logs.String(), fmt.Sprintf("in use by tp-driver pid %d", first.pid()))
	require.Contains(t, sameControl.logs.String(), "control stream aeron:ipc?term-length=64k 44111")

	sameBase := startProcess(t, []string{"--config", path, "--aeron-dir", dir}, "DRIVER_CONTROL_STREAM_ID=44113")
	require.Equal(t, exitFailure, sameBase.wait(15*time.Second))
	require.Contains(t, sameBase.logs.String(), fmt.Sprintf("in use by tp-driver pid %d", first.pid()))
	require.Contains(t, sameBase.logs.String(), "shm.base_dir "+base)

	require.NoError(t, syscall.Kill(-first.pid(), syscall.SIGKILL))
	first.wait(10 * time.Second)
	startedAt := time.Now()
	next := startProcess(t, []string{"--config", path, "--aeron-dir", dir})
	next.ready()
	require.Contains(t, next.logs.String(), fmt.Sprintf("pid %d", first.pid()), "says whose lock it took over")
	t.Logf("a second driver exited 1 after %v; after kill -9 the next was ready %v after its start", refused, time.Since(startedAt))
}

// Issue 13.1: after tp-driver is killed (-9) and restarted, a client still
// keepaliving its dead lease is told: ShmLeaseRevoked for exactly its lease,
// client, stream and role. The new run's lease ids are others, its epochs
// higher.
func TestProcess_RestartedDriverRevokesTheDeadRunsLeases(t *testing.T) {
	dir := drivertest.Dir(t)
	path := writeTestConfig(t, shmDir(t, "base"), 44121, "")
	first := startProcess(t, []string{"--config", path, "--aeron-dir", dir})
	first.ready()
	c := newRawClient(t, dir, "aeron:ipc?term-length=64k", 44121)
	old := c.attach(wire.ShmAttachRequest{CorrelationID: 1, StreamID: 10000, ClientID: 21, Role: wire.RoleProducer})
	require.Equal(t, wire.CodeOK, old.Code, old.ErrorMessage)
	// A subscriber joins an IPC stream where its slowest subscriber is, as the
	// media driver last computed it: a driver restarted within milliseconds of
	// its predecessor's last read may see that read's requests again (see
	// docs/faults.md). Here the kill comes later, as it would in practice.
	time.Sleep(200 * time.Millisecond)

	require.NoError(t, syscall.Kill(-first.pid(), syscall.SIGKILL))
	killed := time.Now()
	first.wait(10 * time.Second)
	next := startProcess(t, []string{"--config", path, "--aeron-dir", dir})
	ready := next.ready()
	k := wire.ShmLeaseKeepalive{LeaseID: old.LeaseID, StreamID: 10000, ClientID: 21, Role: wire.RoleProducer}
	c.keepAlive(k, 100*time.Millisecond, 15*time.Second, func() bool { _, ok := c.revokedFor(old.LeaseID); return ok })
	told := time.Now()
	rev, _ := c.revokedFor(old.LeaseID)
	require.Equal(t, wire.ShmLeaseRevoked{TimestampNs: rev.TimestampNs, LeaseID: old.LeaseID, StreamID: 10000, ClientID: 21,
		Role: wire.RoleProducer, Reason: wire.RevokeRevoked, ErrorMessage: driver.UnknownLeaseMessage}, rev)

	again := c.attach(wire.ShmAttachRequest{CorrelationID: 2, StreamID: 10000, ClientID: 21, Role: wire.RoleProducer})
	require.Equal(t, wire.CodeOK, again.Code, again.ErrorMessage)
	require.NotEqual(t, old.LeaseID>>32, again.LeaseID>>32, "another run, another lease id prefix")
	require.Greater(t, again.Epoch, old.Epoch)
	t.Logf("restart: the dead run's lease revoked %v after the new driver was ready (%v after the kill)", told.Sub(ready), told.Sub(killed))
}

// Issue 14.10: no leaked SHM. /dev/shm holds nothing of the driver after a
// clean exit; after kill -9 what it left is reclaimed when the next one
// starts (epochs still increasing), and that one leaves nothing either.
func TestProcess_NoLeakedSHM(t *testing.T) {
	dir := drivertest.Dir(t)
	base := shmDir(t, "base")
	// A control stream of its own each run (-count=N): the killed driver's subscription
	// outlives it on the shared media driver, and the next run's driver would read the
	// requests it left unread.
	control := 46131 + int(noLeakedSHMRuns.Add(1))
	path := writeTestConfig(t, base, control, "cleanup_shm_on_exit = true\nepoch_gc_enabled = false")
	lockFile := dir + fmt.Sprintf(".tp-driver-ipc-%d.lock", control)
	measure := func() (int64, int) { return shmBytes(t, base, lockFile) }
	bytes, entries := measure()
	require.Zero(t, bytes+int64(entries), "nothing before")

	lifecycle := func(kill bool, corr int64) (epoch uint64, p *process) {
		p = startProcess(t, []string{"--config", path, "--aeron-dir", dir})
		p.ready()
		c := newRawClient(t, dir, "aeron:ipc?term-length=64k", int32(control))
		// A producer, then another: two epochs of the stream, and a dynamic stream.
		for i, stream := range []uint32{10000, 10000, 20001} {
			r := c.attach(wire.ShmAttachRequest{CorrelationID: corr + int64(i), StreamID: stream, ClientID: uint32(corr) + uint32(i),
				Role: wire.RoleProducer, PublishMode: wire.PublishModeExistingOrCreate})
			require.Equal(t, wire.CodeOK, r.Code, r.ErrorMessage)
			epoch = max(epoch, r.Epoch)
			if i == 0 {
				c.send(&wire.ShmDetachRequest{CorrelationID: corr + 100, LeaseID: r.LeaseID, StreamID: stream, ClientID: uint32(corr), Role: wire.RoleProducer})
			}
		}
		bytes, _ := measure()
		require.NotZero(t, bytes)
		c.close()
		if kill {
			require.NoError(t, syscall.Kill(-p.pid(), syscall.SIGKILL))
			p.wait(10 * time.Second)
			return epoch, p
		}
		require.NoError(t, syscall.Kill(p.pid(), syscall.SIGTERM))
		require.Equal(t, exitOK, p.wait(15*time.Second))
		bytes, entries := measure()
		require.Zero(t, bytes, "clean exit leaves no bytes")
		require.Zero(t, entries, "nor files or directories")
		return epoch, p
	}

	lifecycle(false, 100)
	killedEpoch, _ := lifecycle(true, 200)
	left, _ := measure()
	require.NotZero(t, left, "kill -9 leaves its files")

	next := startProcess(t, []string{"--config", path, "--aeron-dir", dir})
	next.ready()
	require.Contains(t, next.logs.String(), "reclaimed the epochs a dead driver left")
	afterReclaim, _ := measure()
	require.LessOrEqual(t, afterReclaim, int64(2*os.Getpagesize()), "only the new driver's lock file")
	c := newRawClient(t, dir, "aeron:ipc?term-length=64k", int32(control))
	r := c.attach(wire.ShmAttachRequest{CorrelationID: 300, StreamID: 10000, ClientID: 300, Role: wire.RoleProducer})
	require.Equal(t, wire.CodeOK, r.Code, r.ErrorMessage)
	require.Greater(t, r.Epoch, killedEpoch, "epochs keep increasing")
	require.NoError(t, syscall.Kill(next.pid(), syscall.SIGTERM))
	require.Equal(t, exitOK, next.wait(15*time.Second))
	bytes, entries = measure()
	require.Zero(t, bytes+int64(entries), "nothing after")
	t.Logf("kill -9 left %d bytes; the next start reclaimed them down to %d (its lock file)", left, afterReclaim)
}

var noLeakedSHMRuns atomic.Int32

// Issue 14.9: --metrics-addr serves the driver's counters in Prometheus
// format, and the same counters are Aeron counters in the media driver's
// CnC file, where AeronStat lists them.
func TestProcess_MetricsInPrometheusAndTheCnC(t *testing.T) {
	dir := drivertest.Dir(t)
	path := writeTestConfig(t, shmDir(t, "base"), 44141, "")
	p := startProcess(t, []string{"--config", path, "--aeron-dir", dir, "--metrics-addr", "127.0.0.1:0"})
	p.ready()
	c := newRawClient(t, dir, "aeron:ipc?term-length=64k", 44141)
	require.Equal(t, wire.CodeOK, c.attach(wire.ShmAttachRequest{CorrelationID: 1, StreamID: 10000, ClientID: 41, Role: wire.RoleConsumer}).Code)
	refused := c.attach(wire.ShmAttachRequest{CorrelationID: 2, StreamID: 4242, ClientID: 42, Role: wire.RoleConsumer})
	require.Equal(t, wire.CodeRejected, refused.Code)
	// The response can reach the client before the driver's log line reaches the pipe.
	require.Contains(t, p.waitLogLine(`msg="attach refused"`), "code=REJECTED")

	url := regexp.MustCompile(`url=(http://\S+/metrics)`).FindStringSubmatch(p.waitLogLine("metrics served"))
	require.NotNil(t, url)
	resp, err := http.Get(url[1])
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	text := string(body)
	for _, want := range []string{
		`tp_driver_attaches_total{outcome="ok"} 1`,
		`tp_driver_attaches_total{outcome="rejected"} 1`,
		`tp_driver_leases_active 1`,
		`tp_driver_epochs_provisioned_total 1`,
		"# TYPE tp_driver_leases_active gauge",
		"# TYPE tp_driver_provisioning_seconds_total counter",
	} {
		require.Contains(t, text, want)
	}

	file, err := cnc.Open(dir, 5*time.Second)
	require.NoError(t, err)
	defer file.Close()
	reader, err := counters.NewReader(file.CountersMetadata, file.CountersValues)
	require.NoError(t, err)
	found := map[string]int64{}
	reader.ForEach(func(k counters.Counter) bool {
		if k.TypeID >= 1000 && k.TypeID < 1100 && binary.LittleEndian.Uint32(k.Key[4:]) == 44141 {
			found[k.Label[:strings.Index(k.Label, ":")]] = k.Value
		}
		return true
	})
	require.Len(t, found, len(driver.MetricInfos()))
	require.Equal(t, int64(1), found["tp_driver_attaches_total outcome=ok"])
	require.Equal(t, int64(1), found["tp_driver_attaches_total outcome=rejected"])
	require.Equal(t, int64(1), found["tp_driver_leases_active"])
}

// waitLogLine waits for a log line containing text and returns it.
func (p *process) waitLogLine(text string) string {
	p.t.Helper()
	p.waitLog(text, 15*time.Second)
	for _, l := range lines(p.logs.String()) {
		if strings.Contains(l, text) {
			return l
		}
	}
	return ""
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/driverclient"
	agentprocess "github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/backend"
	"github.com/tensorpool/tensorpool/wire"
)

func TestMain(m *testing.M) {
	drivertest.Main(m, nil, func() {
		if buildDir != "" {
			os.RemoveAll(buildDir)
		}
	})
}

// syncBuffer collects the command's log output while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func writeConfig(t *testing.T, controlStream int, extra string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "driver.toml")
	text := fmt.Sprintf(`
[driver]
instance_id = "cmd-test"
control_channel = "aeron:ipc?term-length=64k"
control_stream_id = %d
announce_channel = "aeron:ipc?term-length=64k"
announce_stream_id = %[1]d
[shm]
base_dir = %q
[policies]
lease_keepalive_interval_ms = 100
shutdown_timeout_ms = 100
shutdown_token = "stop-now"
%s
[profiles.cam]
header_nslots = 16
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }]
[streams.cam]
stream_id = 10000
profile = "cam"
`, controlStream, filepath.Join(dir, "shm"), extra)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

func TestHelpAndUsageErrors(t *testing.T) {
	var out bytes.Buffer
	require.Equal(t, exitOK, run([]string{"--help"}, &out, nil))
	require.Contains(t, out.String(), "Usage: tp-driver [--config FILE]")
	require.Contains(t, out.String(), "-aeron-dir")
	require.Contains(t, out.String(), "Without --config the built-in configuration serves")
	require.Contains(t, out.String(), "aeron:ipc stream 1000")
	require.Contains(t, out.String(), "$AERON_DIR")
	require.Contains(t, out.String(), "-metrics-addr")

	out.Reset()
	require.Equal(t, exitUsage, run([]string{"extra"}, &out, nil))
	require.Contains(t, out.String(), `unexpected argument "extra"`)

	out.Reset()
	require.Equal(t, exitUsage, run([]string{"--config", "x", "--log-format", "xml"}, &out, nil))

	out.Reset()
	path := writeConfig(t, 1, "no_such_key = 1")
	require.Equal(t, exitUsage, run([]string{"--config", path}, &out, nil))
	require.Contains(t, out.String(), "policies.no_such_key")
}

// startCommand runs the command on a goroutine against the shared media
// driver and waits for it to serve.
func startCommand(t *testing.T, path string, signals chan os.Signal) (*syncBuffer, <-chan int) {
	t.Helper()
	logs := &syncBuffer{}
	done := make(chan int, 1)
	args := []string{"--config", path, "--aeron-dir", drivertest.Dir(t), "--log-format", "json"}
	go func() {
		done <- run(args, logs, signals)
	}()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(logs.String(), "driver ready") {
		select {
		case status := <-done:
			t.Fatalf("command exited with %d: %s", status, logs.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "driver not ready: %s", logs.String())
		time.Sleep(10 * time.Millisecond)
	}
	return logs, done
}

// leaseHolder is a driver client in a process of its own, driven by the test.
type leaseHolder struct {
	p *agentprocess.Process
	c *driverclient.Client
}

func (h *leaseHolder) DoWork(clock.Mono) int { return h.p.DoWork() }

func (h *leaseHolder) Lease() (wire.ShmAttachResponse, bool) { return h.c.Lease() }

func attachedClient(t *testing.T, stream int, clientID uint32) *leaseHolder {
	t.Helper()
	a, err := backend.Connect(backend.Config{Dir: drivertest.Dir(t), IdleStrategy: agent.NewBackoff()})
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	h := &leaseHolder{p: agentprocess.New(a, agentprocess.Config{})}
	t.Cleanup(func() { h.p.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	require.NoError(t, h.p.Do(func() {
		h.c, err = driverclient.New(h.p.Hub(), driverclient.Config{
			Control: controlplane.Endpoint{Channel: "aeron:ipc?term-length=64k", StreamID: int32(stream)},
			Params:  driverclient.Params{ClientID: clientID, Role: wire.RoleConsumer, StreamID: 10000, KeepaliveInterval: 50 * time.Millisecond},
		})
		if err == nil {
			err = h.p.Add(h.c)
		}
	}))
	require.NoError(t, h.p.Wait(ctx, func() bool { return h.c == nil || h.c.Ready() }))
	require.NoError(t, err)
	require.NoError(t, h.p.Do(func() { h.c.Start(clock.Now()) }))
	require.NoError(t, h.p.Wait(ctx, func() bool { _, ok := h.c.Lease(); return ok }))
	return h
}

func awaitExit(t *testing.T, c *leaseHolder, done <-chan int) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case status := <-done:
			return status
		default:
		}
		if c.DoWork(clock.Now()) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	t.Fatal("command did not exit")
	return -1
}

func TestSignalDrainsAndStops(t *testing.T) {
	path := writeConfig(t, 44001, "")
	signals := make(chan os.Signal, 1)
	logs, done := startCommand(t, path, signals)
	c := attachedClient(t, 44001, 5)

	signals <- syscall.SIGTERM
	require.Equal(t, exitOK, awaitExit(t, c, done), logs.String())
	// The notice was sent before the command exited; the client may read it after.
	deadline := time.Now().Add(5 * time.Second)
	for _, ok := c.Lease(); ok && time.Now().Before(deadline); _, ok = c.Lease() {
		if c.DoWork(clock.Now()) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	_, ok := c.Lease()
	require.False(t, ok, "the client saw its lease end")
	require.Contains(t, logs.String(), `"msg":"ShmDriverShutdown sent"`)
}

func TestShutdownRequestStopsTheCommand(t *testing.T) {
	path := writeConfig(t, 44003, "")
	logs, done := startCommand(t, path, make(chan os.Signal))
	c := attachedClient(t, 44003, 6)

	a, err := backend.Connect(backend.Config{Dir: drivertest.Dir(t)})
	require.NoError(t, err)
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pub, err := transport.Await(ctx, a.AddPublication("aeron:ipc?term-length=64k", 44003))
	require.NoError(t, err)
	req := wire.ShmDriverShutdownRequest{CorrelationID: 1, Reason: wire.ShutdownAdmin, Token: "stop-now"}
	buf := make([]byte, req.EncodedLength())
	_, err = req.Encode(buf)
	require.NoError(t, err)
	for pub.Offer(buf) < 0 {
		time.Sleep(time.Millisecond)
	}
	require.Equal(t, exitOK, awaitExit(t, c, done), logs.String())
	require.Contains(t, logs.String(), `"msg":"shutdown requested"`)
}

// The built binary, with its own embedded media driver (a JVM) in a
// directory of its own, stops cleanly on SIGTERM.
func TestBinaryWithEmbeddedMediaDriver(t *testing.T) {
	p := startProcess(t, []string{"--config", writeConfig(t, 44005, ""), "--aeron-dir", shmDir(t, "aeron")})
	p.ready()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, exitOK, p.wait(30*time.Second), p.logs.String())
	require.Contains(t, p.logs.String(), "driver stopped")
	require.Contains(t, p.logs.String(), "media driver started")
}

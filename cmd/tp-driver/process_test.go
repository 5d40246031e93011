package main

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/backend"
	"github.com/tensorpool/tensorpool/wire"
)

// The tests here run tp-driver as the separate process it is: built once,
// started with its own flags and environment, signalled and killed.

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// tpDriverBinary is tp-driver built from this package, once per test run.
func tpDriverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "tp-driver-bin-"); buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(buildDir, "tp-driver"), ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return filepath.Join(buildDir, "tp-driver")
}

// process is a running tp-driver.
type process struct {
	t    *testing.T
	cmd  *exec.Cmd
	logs *syncBuffer
	exit chan int
}

// startProcess starts tp-driver with args and extra environment, in a
// process group of its own (as a shell's job would be), and kills what is
// left of it at cleanup. AERON_DIR and TP_AERON_DIR are cleared unless env
// sets them.
func startProcess(t *testing.T, args []string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(tpDriverBinary(t), args...)
	cmd.Env = append(os.Environ(), "AERON_DIR=", "TP_AERON_DIR=")
	cmd.Env = append(cmd.Env, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &process{t: t, cmd: cmd, logs: &syncBuffer{}, exit: make(chan int, 1)}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	require.NoError(t, cmd.Start())
	go func() {
		cmd.Wait()
		p.exit <- cmd.ProcessState.ExitCode()
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("tp-driver pid %d output:\n%s", cmd.Process.Pid, p.logs.String())
		}
	})
	return p
}

// stop ends a tp-driver the test left running as an operator would
// (SIGTERM, so it cleans up after itself), else kills it and removes the
// lock files it held, which a killed driver leaves for its successor.
func (p *process) stop() {
	select {
	case code := <-p.exit:
		p.exit <- code
		return
	default:
	}
	syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case code := <-p.exit:
		p.exit <- code
		return
	case <-time.After(15 * time.Second):
	}
	syscall.Kill(-p.pid(), syscall.SIGKILL)
	<-p.exit
	locks, _ := filepath.Glob("/dev/shm/*.tp-driver-*.lock")
	for _, lock := range locks {
		if data, err := os.ReadFile(lock); err == nil && strings.HasPrefix(string(data), fmt.Sprintf("pid=%d\n", p.pid())) {
			os.Remove(lock)
		}
	}
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// waitLog waits for a log line containing text and returns when it appeared.
func (p *process) waitLog(text string, timeout time.Duration) time.Time {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.logs.String(), text) {
		select {
		case code := <-p.exit:
			p.exit <- code
			p.t.Fatalf("tp-driver exited with %d before logging %q:\n%s", code, text, p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("tp-driver did not log %q within %v:\n%s", text, timeout, p.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Now()
}

// ready waits until the driver serves.
func (p *process) ready() time.Time { return p.waitLog("driver ready", 60*time.Second) }

// wait waits for the process to exit and returns its status.
func (p *process) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case code := <-p.exit:
		p.exit <- code
		return code
	case <-time.After(timeout):
		p.t.Fatalf("tp-driver did not exit within %v:\n%s", timeout, p.logs.String())
		return -1
	}
}

// shmDir is a fresh directory path under /dev/shm for a test (not created),
// removed at cleanup.
func shmDir(t *testing.T, what string) string {
	t.Helper()
	dir := fmt.Sprintf("/dev/shm/tp-test-%s-%d-%d", what, os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// writeTestConfig writes a configuration for the process tests: stream
// 10000 of 4 KiB slots, dynamic ids 20000-20009, 100 ms keepalives, the given
// base directory and control stream.
func writeTestConfig(t *testing.T, base string, controlStream int, policies string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "driver.toml")
	text := fmt.Sprintf(`
[driver]
instance_id = "proc-test"
control_channel = "aeron:ipc?term-length=64k"
control_stream_id = %d
stream_id_range = "20000-20009"
[shm]
base_dir = %q
[policies]
allow_dynamic_streams = true
lease_keepalive_interval_ms = 100
shutdown_timeout_ms = 100
%s
[profiles.cam]
header_nslots = 16
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }]
[streams.cam]
stream_id = 10000
profile = "cam"
`, controlStream, base, policies)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

// rawClient speaks the driver protocol message by message on a control
// stream, and records everything the driver sends.
type rawClient struct {
	t       *testing.T
	client  transport.Client
	pub     transport.Publication
	sub     transport.Subscription
	buf     []byte
	handler transport.Handler

	attaches  map[int64]wire.ShmAttachResponse
	revoked   []wire.ShmLeaseRevoked
	shutdowns []wire.ShmDriverShutdown
	sessions  map[int32]bool // sessions the driver's messages came from
}

func newRawClient(t *testing.T, dir, channel string, stream int32) *rawClient {
	t.Helper()
	a, err := backend.Connect(backend.Config{Dir: dir, IdleStrategy: agent.NewBackoff()})
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c := &rawClient{t: t, client: a, buf: make([]byte, 4096),
		attaches: map[int64]wire.ShmAttachResponse{}, sessions: map[int32]bool{}}
	c.pub, err = transport.Await(ctx, a.AddPublication(channel, stream))
	require.NoError(t, err)
	c.sub, err = transport.Await(ctx, a.AddSubscription(channel, stream))
	require.NoError(t, err)
	c.handler = c.record
	return c
}

func (c *rawClient) record(msg []byte, h *transport.Header) {
	hdr, err := wire.PeekHeader(msg)
	if err != nil {
		return
	}
	switch hdr.ID() {
	case wire.ShmAttachResponseID:
		var r wire.ShmAttachResponse
		if r.Decode(msg) == nil {
			c.attaches[r.CorrelationID] = r
			c.sessions[h.SessionID] = true
		}
	case wire.ShmLeaseRevokedID:
		var r wire.ShmLeaseRevoked
		if r.Decode(msg) == nil {
			c.revoked = append(c.revoked, r)
			c.sessions[h.SessionID] = true
		}
	case wire.ShmDriverShutdownID:
		var s wire.ShmDriverShutdown
		if s.Decode(msg) == nil {
			c.shutdowns = append(c.shutdowns, s)
			c.sessions[h.SessionID] = true
		}
	}
}

func (c *rawClient) poll() int { return c.sub.Poll(c.handler, 64) }

// send offers m, retrying while the stream is not connected or back-pressured.
func (c *rawClient) send(m interface {
	Encode([]byte) (int, error)
}) {
	c.t.Helper()
	n, err := m.Encode(c.buf)
	require.NoError(c.t, err)
	c.until("the message sent", 15*time.Second, func() bool { return c.pub.Offer(c.buf[:n]) > 0 })
}

// until polls until cond holds, failing the test after timeout.
func (c *rawClient) until(what string, timeout time.Duration, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		if c.poll() == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

// close ends the client: a subscription nobody polls would hold back where
// a later subscriber of the stream (a restarted driver) joins it.
func (c *rawClient) close() { c.client.Close() }

// attach sends req, resending every 500 ms until it is answered. A zero
// publishMode is sent as the null value (REQUIRE_EXISTING).
func (c *rawClient) attach(req wire.ShmAttachRequest) wire.ShmAttachResponse {
	c.t.Helper()
	if req.PublishMode == 0 {
		req.PublishMode = wire.PublishModeNull
	}
	var resp wire.ShmAttachResponse
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.send(&req)
		resend := time.Now().Add(500 * time.Millisecond)
		for time.Now().Before(resend) {
			if r, ok := c.attaches[req.CorrelationID]; ok {
				resp = r
				return resp
			}
			if c.poll() == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		require.True(c.t, time.Now().Before(deadline), "attach %d not answered", req.CorrelationID)
	}
}

// keepAlive sends k every interval until cond holds or timeout passes.
func (c *rawClient) keepAlive(k wire.ShmLeaseKeepalive, interval, timeout time.Duration, cond func() bool) {
	c.t.Helper()
	next := time.Now()
	c.until("the keepalives' answer", timeout, func() bool {
		if time.Now().After(next) {
			n, _ := k.Encode(c.buf)
			c.pub.Offer(c.buf[:n])
			next = time.Now().Add(interval)
		}
		return cond()
	})
}

func (c *rawClient) revokedFor(lease uint64) (wire.ShmLeaseRevoked, bool) {
	for _, r := range c.revoked {
		if r.LeaseID == lease {
			return r, true
		}
	}
	return wire.ShmLeaseRevoked{}, false
}

// shmBytes is the space the files under each path (and the path itself, if a
// file) take, and how many entries exist: what a driver leaves in /dev/shm.
func shmBytes(t *testing.T, paths ...string) (bytes int64, entries int) {
	t.Helper()
	for _, root := range paths {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			entries++
			if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
				bytes += info.Sys().(*syscall.Stat_t).Blocks * 512
			}
			return nil
		})
	}
	return bytes, entries
}

// lines splits output into its lines.
func lines(out string) []string {
	var ls []string
	s := bufio.NewScanner(strings.NewReader(out))
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		ls = append(ls, s.Text())
	}
	return ls
}

package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// lockedBuffer collects a running command's output.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// mediaDriver is a `tp media-driver` running in the background.
type mediaDriver struct {
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	exited         chan struct{}
	javaPid        int
}

// aeronTestDir is a fresh aeron.dir under /dev/shm, removed when the test ends (after
// the driver has gone).
func aeronTestDir(t *testing.T) string {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	dir := filepath.Join("/dev/shm", "tp-cmd-test-aeron-"+strconv.Itoa(os.Getpid())+"-"+hex.EncodeToString(b[:]))
	t.Cleanup(func() { require.NoError(t, os.RemoveAll(dir)) })
	return dir
}

var readyLine = regexp.MustCompile(`tp: media driver ready: aeron.dir=(\S+) pid=(\d+) aeron-all `)

// startMediaDriver runs tp media-driver with small test settings plus args, and waits
// until it reports the driver ready.
func startMediaDriver(t *testing.T, env []string, args ...string) *mediaDriver {
	t.Helper()
	md := &mediaDriver{exited: make(chan struct{})}
	md.cmd = exec.Command(command(t, "tp"), args...)
	md.cmd.Env = append(os.Environ(), env...)
	md.cmd.Stdout, md.cmd.Stderr = &md.stdout, &md.stderr
	require.NoError(t, md.cmd.Start())
	go func() {
		_ = md.cmd.Wait()
		close(md.exited)
	}()
	// Registered after aeronTestDir's cleanup, so it runs first: the driver is gone
	// before its directory is removed.
	t.Cleanup(func() {
		_ = md.cmd.Process.Kill() // the driver follows: it gets SIGTERM when tp dies
		<-md.exited
		md.awaitJavaGone(t)
	})
	deadline := time.After(90 * time.Second)
	for {
		if m := readyLine.FindStringSubmatch(md.stderr.String()); m != nil {
			md.javaPid, _ = strconv.Atoi(m[2])
			return md
		}
		select {
		case <-md.exited:
			t.Fatalf("tp media-driver exited before it was ready: %v\nstdout:\n%s\nstderr:\n%s", md.cmd.ProcessState, md.stdout.String(), md.stderr.String())
		case <-deadline:
			t.Fatalf("tp media-driver not ready after 90 s\nstdout:\n%s\nstderr:\n%s", md.stdout.String(), md.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop sends sig to tp and returns its exit status.
func (md *mediaDriver) stop(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	require.NoError(t, md.cmd.Process.Signal(sig))
	select {
	case <-md.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("tp media-driver still running 60 s after %v\nstderr:\n%s", sig, md.stderr.String())
	}
	return md.cmd.ProcessState.ExitCode()
}

// awaitJavaGone waits until the driver's JVM has exited.
func (md *mediaDriver) awaitJavaGone(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if errors.Is(syscall.Kill(md.javaPid, 0), syscall.ESRCH) {
			return
		}
	}
	t.Errorf("media driver pid %d still running", md.javaPid)
}

// Settings that keep a test driver small and idle.
var smallDriver = []string{
	"-Daeron.threading.mode=SHARED",
	"-Daeron.term.buffer.length=64k",
	"-Daeron.ipc.term.buffer.length=64k",
	"-Daeron.counters.buffer.length=1m",
}

func TestMediaDriverRunsUntilSIGTERM(t *testing.T) {
	dir := aeronTestDir(t)
	md := startMediaDriver(t, nil, append([]string{"media-driver", "--dir", dir, "--"}, smallDriver...)...)
	require.Equal(t, dir, readyLine.FindStringSubmatch(md.stderr.String())[1])
	require.FileExists(t, filepath.Join(dir, "cnc.dat"))

	// The JVM runs with the options the jar needs on Java 17+, Aeron's defaults where
	// the embedded test driver would differ, and the properties given after --.
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(md.javaPid) + "/cmdline")
	require.NoError(t, err)
	args := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")
	for _, want := range [][]string{
		{"--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"},
		{"--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"},
		{"--add-opens", "java.base/java.util.zip=ALL-UNNAMED"},
	} {
		require.Subset(t, pairs(args), [][2]string{{want[0], want[1]}})
	}
	require.Subset(t, args, append([]string{
		"-Daeron.dir=" + dir,
		"-Daeron.dir.delete.on.start=false",
		"-Daeron.dir.delete.on.shutdown=false",
		"io.aeron.driver.MediaDriver",
	}, smallDriver...))
	require.Equal(t, "io.aeron.driver.MediaDriver", args[len(args)-1])

	// A second driver in the same directory is refused, and leaves the first alone.
	r := tp(t, "media-driver", "--dir", dir)
	require.Equal(t, exitFailure, r.code)
	require.Contains(t, r.stderr, "tp: a media driver is already running in "+dir+" (heartbeat ")
	require.NoError(t, syscall.Kill(md.javaPid, 0))

	require.Equal(t, exitOK, md.stop(t, syscall.SIGTERM), md.stderr.String())
	require.Contains(t, md.stderr.String(), "tp: terminated: stopping the media driver\ntp: media driver stopped\n")
	require.ErrorIs(t, syscall.Kill(md.javaPid, 0), syscall.ESRCH)
	// tp removes nothing: with Aeron's default the driver leaves its directory.
	require.FileExists(t, filepath.Join(dir, "cnc.dat"))

	// The next start takes the stopped driver's directory over, as a restart does.
	md = startMediaDriver(t, nil, append([]string{"media-driver", "--dir", dir, "--"}, smallDriver...)...)
	require.Equal(t, exitOK, md.stop(t, syscall.SIGTERM), md.stderr.String())
}

// Properties after -- reach the driver (here: it deletes its directory at shutdown);
// SIGINT stops it too, and systemd hears READY and STOPPING.
func TestMediaDriverPassesPropertiesAndNotifiesSystemd(t *testing.T) {
	dir := aeronTestDir(t)
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(t.TempDir(), "notify"), Net: "unixgram"})
	require.NoError(t, err)
	defer notify.Close()

	md := startMediaDriver(t, []string{"NOTIFY_SOCKET=" + notify.LocalAddr().String()},
		append([]string{"media-driver", "--", "-Daeron.dir=" + dir, "-Daeron.dir.delete.on.shutdown=true"}, smallDriver...)...)
	require.FileExists(t, filepath.Join(dir, "cnc.dat"))
	require.Equal(t, "READY=1\nMAINPID="+strconv.Itoa(md.cmd.Process.Pid), readDatagram(t, notify))

	require.Equal(t, exitOK, md.stop(t, syscall.SIGINT), md.stderr.String())
	require.Equal(t, "STOPPING=1", readDatagram(t, notify))
	require.NoDirExists(t, dir)
}

func TestMediaDriverWithoutJarOrJava(t *testing.T) {
	dir := aeronTestDir(t)
	r := tp(t, "media-driver", "--dir", dir, "--jar", filepath.Join(t.TempDir(), "missing.jar"))
	require.Equal(t, exitFailure, r.code)
	require.Contains(t, r.stderr, "aeron-all.jar not found")
	r = tp(t, "media-driver", "--dir", dir, "--java", filepath.Join(t.TempDir(), "java"))
	require.Equal(t, exitFailure, r.code)
	require.Contains(t, r.stderr, "java not found")
	require.NoDirExists(t, dir)
}

func readDatagram(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
	buf := make([]byte, 256)
	n, err := conn.Read(buf)
	require.NoError(t, err)
	return string(buf[:n])
}

func pairs(args []string) [][2]string {
	var p [][2]string
	for i := 0; i+1 < len(args); i++ {
		p = append(p, [2]string{args[i], args[i+1]})
	}
	return p
}

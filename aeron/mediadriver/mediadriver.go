// Package mediadriver runs the official Aeron media driver for a process or a
// test: by default an embedded Java driver (io.aeron.driver.MediaDriver from
// aeron-all.jar) as a child process with its own aeron.dir under /dev/shm,
// or an external driver (Java or C) already running in a given directory.
package mediadriver

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tensorpool/tensorpool/aeron/cnc"
)

// Environment variables that override the configuration.
const (
	// EnvJar is the path of aeron-all.jar.
	EnvJar = "TP_AERON_JAR"
	// EnvDir selects an external driver: the aeron.dir of a driver that is
	// already running. Launch then starts nothing.
	EnvDir = "TP_AERON_DIR"
)

// MainClass is the Java media driver's entry point.
const MainClass = "io.aeron.driver.MediaDriver"

// Errors for a driver that cannot be started; both mean setup has not run.
var (
	ErrJavaNotFound = errors.New("mediadriver: java not found (install a JDK 17+ or set JAVA_HOME; `make deps` lists the requirements)")
	ErrJarNotFound  = errors.New("mediadriver: aeron-all.jar not found (run `make deps`, or set " + EnvJar + ")")
	ErrStartTimeout = errors.New("mediadriver: driver did not become ready in time")
	ErrExited       = errors.New("mediadriver: driver process exited")
)

// Config configures an embedded driver. Zero values pick the defaults.
type Config struct {
	// Dir is the driver's aeron.dir; default a fresh /dev/shm/tp-aeron-<pid>-<random>.
	Dir string
	// JarPath defaults to $TP_AERON_JAR, then <module root>/third_party/aeron-all.jar.
	JarPath string
	// JavaPath defaults to $JAVA_HOME/bin/java, then java on PATH.
	JavaPath string
	// Properties are extra -D system properties; they override the defaults
	// set by DefaultProperties.
	Properties map[string]string
	// StartTimeout bounds the wait for a ready CnC file; default 30s (a cold
	// JVM on a busy 2-core machine).
	StartTimeout time.Duration
	// StopTimeout bounds the wait after SIGTERM before SIGKILL; default 10s.
	StopTimeout time.Duration
	// Output, when set, receives the driver's stdout and stderr as well.
	Output io.Writer
}

// DefaultProperties are the driver settings every embedded driver gets:
// a private directory removed at start and at shutdown, all driver agents on
// one thread, a backing-off idle strategy so an idle driver does not take
// a core, and a 100 ms timer interval (Aeron's is 1 s): the untethered
// subscription timeouts advance on its ticks, so a stopped consumer releases a
// descriptor stream within about 1.2 s rather than 3 s
// (controlplane.DescriptorLimits).
func DefaultProperties(dir string) map[string]string {
	return map[string]string{
		"aeron.dir":                    dir,
		"aeron.dir.delete.on.start":    "true",
		"aeron.dir.delete.on.shutdown": "true",
		"aeron.threading.mode":         "SHARED",
		"aeron.shared.idle.strategy":   "backoff",
		"aeron.timer.interval":         "100ms",
	}
}

// Driver is a running media driver, embedded (a child process) or external.
type Driver struct {
	dir      string
	embedded bool
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
	output   *tailBuffer
	stopWait time.Duration
	close    sync.Once
	closeErr error
}

// Launch returns the driver selected by the environment: the external driver
// in $TP_AERON_DIR if set, otherwise a new embedded driver.
func Launch(cfg Config) (*Driver, error) {
	if dir := os.Getenv(EnvDir); dir != "" {
		timeout := cfg.StartTimeout
		if timeout <= 0 {
			timeout = 10 * time.Second
		}
		return External(dir, timeout)
	}
	return Start(cfg)
}

// activeTimeout is how old a driver heartbeat may be for the driver to count
// as running: Aeron's default driver timeout.
const activeTimeout = 10 * time.Second

// StartOrUse returns the driver active in cfg.Dir when there is one, else
// starts an embedded driver there. Unlike Start's private directories, cfg.Dir
// may be shared (Aeron's /dev/shm/aeron-<user>), so the embedded driver does
// not delete it on start: the Java driver itself refuses to start over an
// active driver that appeared meanwhile, which ends in using that one.
func StartOrUse(cfg Config) (*Driver, error) {
	if cfg.Dir == "" {
		return nil, errors.New("mediadriver: StartOrUse needs a directory")
	}
	if d, err := External(cfg.Dir, 0); err == nil {
		return d, nil
	}
	props := map[string]string{"aeron.dir.delete.on.start": "false"}
	for k, v := range cfg.Properties {
		props[k] = v
	}
	cfg.Properties = props
	d, err := Start(cfg)
	if errors.Is(err, ErrExited) {
		if ext, extErr := External(cfg.Dir, 0); extErr == nil {
			return ext, nil
		}
	}
	return d, err
}

// External waits up to timeout for an active driver in dir (0: only looks
// once). Close on the result leaves that driver alone.
func External(dir string, timeout time.Duration) (*Driver, error) {
	c, err := cnc.OpenWithin(dir, max(timeout, activeTimeout), timeout)
	if err != nil {
		return nil, fmt.Errorf("mediadriver: external driver in %s: %w", dir, err)
	}
	_ = c.Close()
	return &Driver{dir: dir}, nil
}

// Start launches an embedded Java media driver and waits until its CnC file
// is ready. The child gets SIGTERM if this process dies first.
func Start(cfg Config) (*Driver, error) {
	java, err := FindJava(cfg.JavaPath)
	if err != nil {
		return nil, err
	}
	jar, err := FindJar(cfg.JarPath)
	if err != nil {
		return nil, err
	}
	dir := cfg.Dir
	if dir == "" {
		dir, err = uniqueDir()
		if err != nil {
			return nil, err
		}
	}
	props := DefaultProperties(dir)
	for k, v := range cfg.Properties {
		props[k] = v
	}
	props["aeron.dir"] = dir

	args := []string{
		"--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
		"--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
		"--add-opens", "java.base/java.util.zip=ALL-UNNAMED",
		"-cp", jar,
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-D"+k+"="+props[k])
	}
	args = append(args, MainClass)

	d := &Driver{
		dir:      dir,
		embedded: true,
		exited:   make(chan struct{}),
		output:   &tailBuffer{limit: 16 << 10},
		stopWait: cfg.StopTimeout,
	}
	if d.stopWait <= 0 {
		d.stopWait = 10 * time.Second
	}
	var out io.Writer = d.output
	if cfg.Output != nil {
		out = io.MultiWriter(d.output, cfg.Output)
	}
	d.cmd = exec.Command(java, args...)
	d.cmd.Stdout, d.cmd.Stderr = out, out
	// Pdeathsig fires when the thread that forked the child exits, not the
	// process; spawn from a goroutine that holds its thread until the child
	// is gone so the signal means "parent process died". Its own process
	// group keeps the terminal's SIGINT (Ctrl-C goes to the foreground group)
	// from reaching the driver: the parent decides when it stops, last.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM, Setpgid: true}
	launchedMs := time.Now().UnixMilli()
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := d.cmd.Start(); err != nil {
			started <- err
			close(d.exited)
			return
		}
		started <- nil
		d.waitErr = d.cmd.Wait()
		close(d.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("mediadriver: start %s: %w", java, err)
	}

	timeout := cfg.StartTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if err := d.awaitReady(timeout, launchedMs); err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

// awaitReady polls for a CnC file with a compatible version and a heartbeat the
// child wrote, failing early if the child exits. The heartbeat (epoch ms, the clock
// time.Now reads) must be no older than launchedMs: a CnC file a dead driver left in
// a directory not deleted on start still shows that driver's last heartbeat.
func (d *Driver) awaitReady(timeout time.Duration, launchedMs int64) error {
	deadline := time.Now().Add(timeout)
	path := cnc.Path(d.dir)
	var lastErr error
	for {
		c, err := cnc.Map(path)
		if err == nil {
			hb := c.DriverHeartbeatMs()
			_ = c.Close()
			if hb >= launchedMs {
				return nil
			}
			err = fmt.Errorf("%w: no driver heartbeat since the launch (last %d ms, launched %d ms)", cnc.ErrNotReady, hb, launchedMs)
		}
		if errors.Is(err, cnc.ErrVersion) || errors.Is(err, cnc.ErrCorrupt) {
			return fmt.Errorf("mediadriver: %w", err)
		}
		lastErr = err
		select {
		case <-d.exited:
			return fmt.Errorf("%w before it was ready (%v); output:\n%s", ErrExited, d.waitErr, d.output.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %v in %s (last: %v); output:\n%s", ErrStartTimeout, timeout, d.dir, lastErr, d.output.String())
		}
	}
}

// Dir is the driver's aeron.dir.
func (d *Driver) Dir() string { return d.dir }

// Embedded reports whether this process started the driver.
func (d *Driver) Embedded() bool { return d.embedded }

// Pid is the embedded driver's process id, 0 for an external driver.
func (d *Driver) Pid() int {
	if d.cmd == nil || d.cmd.Process == nil {
		return 0
	}
	return d.cmd.Process.Pid
}

// Exited is closed when the embedded driver process has exited; it is never
// closed for an external driver.
func (d *Driver) Exited() <-chan struct{} { return d.exited }

// Output returns the tail of the embedded driver's stdout and stderr.
func (d *Driver) Output() string {
	if d.output == nil {
		return ""
	}
	return d.output.String()
}

// Kill sends SIGKILL to the embedded driver and waits for it to exit, as a
// crash would: the driver gets no chance to mark itself shut down. The
// directory stays until Close.
func (d *Driver) Kill() error {
	if !d.embedded {
		return errors.New("mediadriver: cannot kill an external driver")
	}
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-d.exited:
		return nil
	case <-time.After(d.stopWait):
		return fmt.Errorf("mediadriver: pid %d still running %v after SIGKILL", d.Pid(), d.stopWait)
	}
}

// Close stops an embedded driver: SIGTERM lets it shut down cleanly (and
// delete its directory); after the stop timeout it is killed. The directory
// is then removed in any case. Close on an external driver does nothing.
func (d *Driver) Close() error {
	if !d.embedded {
		return nil
	}
	d.close.Do(func() {
		select {
		case <-d.exited:
		default:
			_ = d.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-d.exited:
			case <-time.After(d.stopWait):
				_ = d.cmd.Process.Signal(syscall.SIGKILL)
				select {
				case <-d.exited:
				case <-time.After(d.stopWait):
					d.closeErr = fmt.Errorf("mediadriver: pid %d survived SIGKILL for %v", d.Pid(), d.stopWait)
				}
			}
		}
		if err := os.RemoveAll(d.dir); err != nil && d.closeErr == nil {
			d.closeErr = fmt.Errorf("mediadriver: remove %s: %w", d.dir, err)
		}
	})
	return d.closeErr
}

func uniqueDir() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("mediadriver: random dir name: %w", err)
	}
	base := "/dev/shm"
	if st, err := os.Stat(base); err != nil || !st.IsDir() {
		base = os.TempDir()
	}
	return filepath.Join(base, fmt.Sprintf("tp-aeron-%d-%s", os.Getpid(), hex.EncodeToString(b[:]))), nil
}

// FindJava returns configured if it is executable, else $JAVA_HOME/bin/java,
// else java on PATH.
func FindJava(configured string) (string, error) {
	if configured != "" {
		if isExecutable(configured) {
			return configured, nil
		}
		return "", fmt.Errorf("%w: %s is not executable", ErrJavaNotFound, configured)
	}
	if home := os.Getenv("JAVA_HOME"); home != "" {
		if p := filepath.Join(home, "bin", "java"); isExecutable(p) {
			return p, nil
		}
	}
	p, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrJavaNotFound, err)
	}
	return p, nil
}

// FindJar returns configured, else $TP_AERON_JAR, else
// <module root>/third_party/aeron-all.jar, if that file exists.
func FindJar(configured string) (string, error) {
	if configured == "" {
		configured = os.Getenv(EnvJar)
	}
	if configured == "" {
		root, err := ModuleRoot()
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrJarNotFound, err)
		}
		configured = filepath.Join(root, "third_party", "aeron-all.jar")
	}
	if st, err := os.Stat(configured); err != nil || st.IsDir() {
		return "", fmt.Errorf("%w: no file at %s", ErrJarNotFound, configured)
	}
	return configured, nil
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

const modulePath = "github.com/tensorpool/tensorpool"

// ModuleRoot finds the directory of this module's go.mod: upwards from the
// working directory (tests and tools run inside the tree), then from this
// source file's location (binaries built from the tree).
func ModuleRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for {
			data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err == nil && declaresModule(data) {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("no go.mod for %s above %s", modulePath, strings.Join(starts, " or "))
}

func declaresModule(goMod []byte) bool {
	for _, line := range strings.Split(string(goMod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" && f[1] == modulePath {
			return true
		}
	}
	return false
}

// tailBuffer keeps the last limit bytes written to it, for error messages.
type tailBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	limit int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.limit; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

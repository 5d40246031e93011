package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/tp"
)

const (
	testStream  = 10000
	frameBytes  = 1024
	waitTimeout = 30 * time.Second
	// childEnv makes the test binary a producer or consumer process (childMain).
	childEnv = "TP_FAULTS_CHILD"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(childMain(spec))
	}
	drivertest.Main(m, nil, func() {
		if buildDir != "" {
			os.RemoveAll(buildDir)
		}
	})
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// tpDriverBinary is tp-driver built from cmd/tp-driver, once per run.
func tpDriverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "tp-faults-bin-"); buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(buildDir, "tp-driver"), "github.com/tensorpool/tensorpool/cmd/tp-driver").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "tp-driver")
}

// logBuffer collects a process's output while it runs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// setup is one scenario's SHM driver settings: its control stream (descriptors on the
// next id), base directory and configuration file.
type setup struct {
	aeronDir string
	channel  string
	control  int32
	base     string
	config   string
	// lease is how long a lease lasts without a keepalive.
	lease time.Duration
}

// keepaliveInterval is the driver's and the clients' keepalive interval.
const keepaliveInterval = 100 * time.Millisecond

var nextControl = int32(52000 + os.Getpid()%1000*4)

// newSetup writes a tp-driver configuration: stream 10000 of 64 slots of 4 KiB (frames
// of 1 KiB), 100 ms keepalives and announces (a lease expires 1 s after its last
// keepalive: 2 cores shared by a JVM and four processes), a base directory under /dev/shm
// removed at cleanup, on the shared media driver.
func newSetup(t *testing.T) *setup {
	t.Helper()
	return newSetupOn(t, drivertest.Dir(t))
}

// newSetupOn is newSetup on the media driver in aeronDir.
func newSetupOn(t *testing.T, aeronDir string) *setup {
	t.Helper()
	return newSetupWith(t, setupConfig{aeronDir: aeronDir})
}

// setupConfig is what newSetupWith changes: zero values keep newSetup's.
type setupConfig struct {
	aeronDir string
	// channel is the control channel; default 1 MiB terms, which take minutes of this
	// suite's control traffic to fill (a 64 KiB one fills in seconds, as
	// TestFault_FloodedControlStream wants).
	channel string
	base    string // default a fresh directory under /dev/shm
	slots   int    // header slots; default 64
	// graceIntervals is lease_expiry_grace_intervals: a lease lasts that many 100 ms
	// keepalive intervals without a keepalive; default 10 (1 s).
	graceIntervals int
	// policies are more lines of the [policies] table.
	policies string
}

func newSetupWith(t *testing.T, c setupConfig) *setup {
	t.Helper()
	if c.aeronDir == "" {
		c.aeronDir = drivertest.Dir(t)
	}
	if c.channel == "" {
		c.channel = "aeron:ipc?term-length=1m"
	}
	if c.base == "" {
		c.base = fmt.Sprintf("/dev/shm/tp-faults-%d-%d", os.Getpid(), time.Now().UnixNano())
	}
	if c.slots == 0 {
		c.slots = 64
	}
	if c.graceIntervals == 0 {
		c.graceIntervals = 10
	}
	nextControl += 4
	s := &setup{aeronDir: c.aeronDir, channel: c.channel, control: nextControl, base: c.base,
		lease: time.Duration(c.graceIntervals) * keepaliveInterval}
	t.Cleanup(func() { os.RemoveAll(s.base) })
	s.config = filepath.Join(t.TempDir(), "driver.toml")
	text := fmt.Sprintf(`
[driver]
instance_id = "faults"
control_channel = %q
control_stream_id = %d
[shm]
base_dir = %q
[policies]
lease_keepalive_interval_ms = %d
lease_expiry_grace_intervals = %d
announce_period_ms = 100
shutdown_timeout_ms = 100
cleanup_shm_on_exit = true
%s
[profiles.p]
header_nslots = %d
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }]
[streams.s]
stream_id = %d
profile = "p"
`, s.channel, s.control, s.base, keepaliveInterval.Milliseconds(), c.graceIntervals, c.policies, c.slots, testStream)
	if err := os.WriteFile(s.config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// proc is a process of a scenario: tp-driver or a child of the test binary.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  *logBuffer
	done chan struct{}
}

func start(t *testing.T, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{t: t, name: name, cmd: cmd, out: &logBuffer{}, done: make(chan struct{})}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if cmd.Stdout == nil {
		cmd.Stdout = p.out
	}
	cmd.Stderr = p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill(syscall.SIGTERM, 10*time.Second)
		p.kill(syscall.SIGKILL, 10*time.Second)
		if t.Failed() {
			t.Logf("%s (pid %d):\n%s", name, cmd.Process.Pid, p.out)
		}
	})
	return p
}

// kill signals the process's group (a stopped one is continued first) and waits up to
// timeout for it to exit.
func (p *proc) kill(sig syscall.Signal, timeout time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	syscall.Kill(-p.cmd.Process.Pid, sig)
	if sig != syscall.SIGKILL {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGCONT)
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
	}
}

func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := syscall.Kill(p.cmd.Process.Pid, sig); err != nil {
		p.t.Fatalf("%s: %v: %v", p.name, sig, err)
	}
}

func (p *proc) waitLog(text string) time.Time {
	p.t.Helper()
	for deadline := time.Now().Add(waitTimeout); !strings.Contains(p.out.String(), text); time.Sleep(5 * time.Millisecond) {
		select {
		case <-p.done:
			p.t.Fatalf("%s exited before logging %q:\n%s", p.name, text, p.out)
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s did not log %q:\n%s", p.name, text, p.out)
		}
	}
	return time.Now()
}

// startDriver starts tp-driver on s and waits until it serves.
func (s *setup) startDriver(t *testing.T) *proc {
	t.Helper()
	cmd := exec.Command(tpDriverBinary(t), "--config", s.config, "--aeron-dir", s.aeronDir)
	cmd.Env = append(os.Environ(), "AERON_DIR=", "TP_AERON_DIR=")
	p := start(t, "tp-driver", cmd)
	t.Cleanup(func() {
		// A killed driver leaves its lock files; the next run would take them over.
		locks, _ := filepath.Glob(s.aeronDir + ".tp-driver-*.lock")
		for _, lock := range locks {
			if data, err := os.ReadFile(lock); err == nil && strings.HasPrefix(string(data), fmt.Sprintf("pid=%d\n", p.cmd.Process.Pid)) {
				os.Remove(lock)
			}
		}
	})
	p.waitLog("driver ready")
	return p
}

// childSpec is what a child process runs.
type childSpec struct {
	Role        string // "producer" or "consumer"
	AeronDir    string
	Channel     string // the control channel
	Control     int32
	BaseDir     string
	KeepaliveMs int
	// IntervalUs paces a producer's frames.
	IntervalUs int
	// Reconnect: on tp.ErrAeronLost the child keeps its producer or consumer and calls
	// Client.Reconnect until it succeeds ("lost WHERE: ERR", then "reconnected MS").
	Reconnect bool
}

// child is a producer or consumer process. A consumer reports every frame on stdout.
type child struct {
	*proc
	stdin io.WriteCloser

	mu     sync.Mutex
	frames []frameSeen
	bad    []string
	stats  map[string]uint64
}

// frameSeen is one frame a consumer child accepted: the producer's counter, the epoch,
// and when the parent read it.
type frameSeen struct {
	counter, epoch uint64
	at             time.Time
}

// spec is what a child process of role needs to reach s.
func (s *setup) spec(role string) childSpec {
	return childSpec{Role: role, AeronDir: s.aeronDir, Channel: s.channel, Control: s.control, BaseDir: s.base, KeepaliveMs: int(keepaliveInterval.Milliseconds()), IntervalUs: 1000}
}

// clientOptions are the tp.Options of a client reaching the setup spec describes.
func (spec *childSpec) clientOptions() tp.Options {
	return tp.Options{
		AeronDir: spec.AeronDir, ControlChannel: spec.Channel, ControlStreamID: spec.Control,
		DescriptorStreamID: spec.Control + 1, AllowedBaseDirs: []string{spec.BaseDir},
		KeepaliveInterval: time.Duration(spec.KeepaliveMs) * time.Millisecond,
	}
}

func (s *setup) startChild(t *testing.T, role string, tune func(*childSpec)) *child {
	t.Helper()
	spec := s.spec(role)
	if tune != nil {
		tune(&spec)
	}
	encoded, _ := json.Marshal(spec)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(encoded))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{stdin: stdin, stats: map[string]uint64{}}
	c.proc = start(t, role, cmd)
	go c.read(stdout)
	c.waitLog("ready")
	return c
}

// read parses the child's reports: "frame COUNTER EPOCH", "bad WHY", "stat NAME VALUE".
func (c *child) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(c.out, line)
		f := strings.Fields(line)
		c.mu.Lock()
		switch {
		case len(f) == 3 && f[0] == "frame":
			counter, _ := strconv.ParseUint(f[1], 10, 64)
			epoch, _ := strconv.ParseUint(f[2], 10, 64)
			c.frames = append(c.frames, frameSeen{counter: counter, epoch: epoch, at: time.Now()})
		case len(f) >= 1 && f[0] == "bad":
			c.bad = append(c.bad, line)
		case len(f) == 3 && f[0] == "stat":
			v, _ := strconv.ParseUint(f[2], 10, 64)
			c.stats[f[1]] = v
		}
		c.mu.Unlock()
	}
}

func (c *child) seen() []frameSeen {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]frameSeen(nil), c.frames...)
}

// until waits for cond over the frames seen, failing on a bad frame.
func (c *child) until(what string, cond func(frames []frameSeen) bool) {
	c.t.Helper()
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(5 * time.Millisecond) {
		c.mu.Lock()
		bad := append([]string(nil), c.bad...)
		c.mu.Unlock()
		if len(bad) > 0 {
			c.t.Fatalf("%s: bad frames: %v", c.name, bad)
		}
		if cond(c.seen()) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: timed out waiting for %s (%d frames)", c.name, what, len(c.seen()))
		}
	}
}

// finish closes the child's stdin, waits for its exit and returns its final stats.
func (c *child) finish() map[string]uint64 {
	c.t.Helper()
	c.stdin.Close()
	select {
	case <-c.done:
	case <-time.After(waitTimeout):
		c.t.Fatalf("%s did not exit:\n%s", c.name, c.out)
	}
	if code := c.cmd.ProcessState.ExitCode(); code != 0 {
		c.t.Fatalf("%s exited %d:\n%s", c.name, code, c.out)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bad) > 0 {
		c.t.Fatalf("%s: bad frames: %v", c.name, c.bad)
	}
	return c.stats
}

// fill writes frame counter n: the counter (8 bytes, little-endian), then bytes that
// depend on it and their offset.
func fill(b []byte, n uint64) {
	binary.LittleEndian.PutUint64(b, n)
	for i := 8; i < len(b); i++ {
		b[i] = byte(n*31 + uint64(i))
	}
}

// check returns the counter of a frame written by fill, or an error naming the first
// byte that differs.
func check(b []byte) (uint64, error) {
	if len(b) != frameBytes {
		return 0, fmt.Errorf("%d bytes, want %d", len(b), frameBytes)
	}
	n := binary.LittleEndian.Uint64(b)
	for i := 8; i < len(b); i++ {
		if b[i] != byte(n*31+uint64(i)) {
			return n, fmt.Errorf("frame %d: byte %d is %d, want %d", n, i, b[i], byte(n*31+uint64(i)))
		}
	}
	return n, nil
}

func childMain(encoded string) int {
	var spec childSpec
	if err := json.Unmarshal([]byte(encoded), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := tp.Connect(ctx, spec.clientOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: connect:", err)
		return 1
	}
	defer c.Close()
	stop := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(stop)
	}()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	switch spec.Role {
	case "producer":
		return runProducer(ctx, c, &spec, stop, out)
	case "consumer":
		return runConsumer(ctx, c, &spec, stop, out)
	}
	return 2
}

// runProducer offers frames counted from 0 (a counter that goes on across epochs) every
// IntervalUs until stop; a frame not taken is offered again.
func runProducer(ctx context.Context, c *tp.Client, spec *childSpec, stop <-chan struct{}, out *bufio.Writer) int {
	p, err := c.NewProducer(ctx, testStream)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: producer:", err)
		return 1
	}
	fmt.Fprintln(out, "ready")
	out.Flush()
	data := make([]byte, frameBytes)
	shape := tp.Shape{DType: tp.Uint8, Dims: []int32{frameBytes}}
	var n, refused, faults uint64
	interval := time.Duration(spec.IntervalUs) * time.Microsecond
	for {
		select {
		case <-stop:
			st := p.Stats()
			fmt.Fprintf(out, "stat sent %d\nstat refused %d\nstat lease_losses %d\nstat region_faults %d\n", n, refused, st.LeaseLosses, faults)
			if err := p.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "child: close:", err)
				return 1
			}
			return 0
		default:
		}
		fill(data, n)
		switch err := p.Offer(tp.Tensor{Shape: shape, Data: data}); {
		case err == nil:
			n++
		case errors.Is(err, tp.ErrNotAttached), errors.Is(err, tp.ErrNotReady), errors.Is(err, tp.ErrNoSubscriber), errors.Is(err, tp.ErrBackPressured):
			refused++
		case errors.Is(err, tp.ErrRegionFault):
			faults++
			fmt.Fprintf(out, "fault %v\n", err)
			out.Flush()
		case errors.Is(err, tp.ErrAeronLost) && spec.Reconnect:
			if code := reconnect(out, "offer", err, c); code != 0 {
				return code
			}
		case errors.Is(err, tp.ErrAeronLost):
			return terminal(out, "offer", err, c, p.Close)
		default:
			fmt.Fprintln(os.Stderr, "child: offer:", err)
			return 1
		}
		time.Sleep(interval)
	}
}

// runConsumer reports each frame it reads, checked byte for byte, until stop.
func runConsumer(ctx context.Context, c *tp.Client, spec *childSpec, stop <-chan struct{}, out *bufio.Writer) int {
	cs, err := c.NewConsumer(ctx, testStream, func(f *tp.Frame) {
		n, err := check(f.Payload())
		if !f.Valid() {
			return // overwritten while read: counted by the consumer, not a bad frame
		}
		if err != nil {
			fmt.Fprintf(out, "bad epoch %d seq %d: %v\n", f.Epoch(), f.Seq(), err)
			return
		}
		fmt.Fprintf(out, "frame %d %d\n", n, f.Epoch())
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: consumer:", err)
		return 1
	}
	fmt.Fprintln(out, "ready")
	out.Flush()
	for {
		select {
		case <-stop:
			st := cs.Stats()
			fmt.Fprintf(out, "stat frames %d\nstat lease_losses %d\nstat drops_gap %d\nstat drops_late %d\n", st.Frames, st.LeaseLosses, st.DropsGap, st.DropsLate)
			if err := cs.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "child: close:", err)
				return 1
			}
			return 0
		default:
		}
		if cs.Poll(64) == 0 {
			time.Sleep(200 * time.Microsecond)
		}
		if attached, err := cs.Status(); !attached && errors.Is(err, tp.ErrAeronLost) {
			if !spec.Reconnect {
				return terminal(out, "poll", err, c, cs.Close)
			}
			if code := reconnect(out, "poll", err, c); code != 0 {
				return code
			}
		}
		out.Flush()
	}
}

// reconnectTimeout bounds how long a child tries to reconnect: the test starts a new media
// driver after the old one's death is noticed (Aeron's driver timeout, 10 s).
const reconnectTimeout = 60 * time.Second

// reconnect reports a terminal error seen by the data path ("lost WHERE: ERR") and calls
// Client.Reconnect, each call waiting up to a second for a media driver, until it
// succeeds ("reconnected MS", the time since the loss was seen) or reconnectTimeout.
func reconnect(out *bufio.Writer, where string, err error, c *tp.Client) int {
	fmt.Fprintf(out, "lost %s: %v\n", where, err)
	out.Flush()
	seen := time.Now()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		rerr := c.Reconnect(ctx)
		cancel()
		switch {
		case rerr == nil:
			if cerr := c.Err(); cerr != nil {
				fmt.Fprintf(os.Stderr, "child: reconnected, but Client.Err is %v\n", cerr)
				return 1
			}
			fmt.Fprintf(out, "reconnected %d\n", time.Since(seen).Milliseconds())
			out.Flush()
			return 0
		case !errors.Is(rerr, tp.ErrAeronLost):
			fmt.Fprintf(os.Stderr, "child: reconnect: %v is not tp.ErrAeronLost\n", rerr)
			return 1
		case time.Since(seen) > reconnectTimeout:
			fmt.Fprintf(os.Stderr, "child: no media driver to reconnect to after %v: %v\n", reconnectTimeout, rerr)
			return 1
		}
	}
}

// terminal reports a terminal error seen by the data path, checks the Client reports it
// too (its duty cycle notices within 50 ms), closes the role and says how long that took:
// "terminal WHERE: ERR", "stat close_ms N".
func terminal(out *bufio.Writer, where string, err error, c *tp.Client, close func() error) int {
	clientErr := c.Err()
	for deadline := time.Now().Add(time.Second); clientErr == nil && time.Now().Before(deadline); clientErr = c.Err() {
		time.Sleep(5 * time.Millisecond)
	}
	if !errors.Is(clientErr, tp.ErrAeronLost) {
		fmt.Fprintf(os.Stderr, "child: %s failed with %v, but Client.Err is %v\n", where, err, clientErr)
		return 1
	}
	start := time.Now()
	if cerr := close(); cerr != nil {
		fmt.Fprintln(os.Stderr, "child: close:", cerr)
	}
	fmt.Fprintf(out, "terminal %s: %v\nstat close_ms %d\n", where, err, time.Since(start).Milliseconds())
	return 0
}

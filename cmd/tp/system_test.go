package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
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

	"github.com/stretchr/testify/require"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	tpclient "github.com/tensorpool/tensorpool/tp"
)

// The commands that watch a system (list, tap, hz, bw, stat) are tested against one
// that runs as it would in production, shared by those tests: the Java media driver, a
// tp-driver process, and a producer and a consumer, each a process of its own (this
// test binary, started in a child mode).

// Endpoints of the test system, away from tp-driver's defaults.
const (
	sysControlStream    = 41000
	sysQosStream        = 41200
	sysDescriptorStream = 41100
	sysStream           = 10000
	sysProducerID       = 7001
	sysConsumerID       = 7101
	sysFrameBytes       = 3000
	sysFrameInterval    = 20 * time.Millisecond
)

// childEnv makes the test binary a producer or consumer of the test system; its value
// is the JSON of a childSpec.
const childEnv = "TP_CMD_TEST_CHILD"

type childSpec struct {
	Role     string
	AeronDir string
	BaseDir  string
}

type testSystem struct {
	aeronDir, baseDir, configPath string
	driver                        *exec.Cmd
	driverLog                     lockedBuffer
	children                      []*exec.Cmd
	stdins                        []io.Closer
	childLogs                     []*lockedBuffer
}

var (
	sysOnce   sync.Once
	sharedSys *testSystem
	sysErr    error
)

// runningSystem starts the test system on first use; it runs until the tests end.
func runningSystem(t *testing.T) *testSystem {
	t.Helper()
	dir := drivertest.Dir(t)
	tpDriver := command(t, "tp-driver")
	sysOnce.Do(func() { sharedSys, sysErr = startSystem(dir, tpDriver) })
	if sysErr != nil {
		t.Fatalf("starting the test system: %v", sysErr)
	}
	return sharedSys
}

func randomSuffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}

func startSystem(aeronDir, tpDriver string) (*testSystem, error) {
	s := &testSystem{aeronDir: aeronDir, baseDir: filepath.Join("/dev/shm", "tp-cmd-test-shm-"+randomSuffix())}
	s.configPath = filepath.Join(binDir, "system.toml")
	cfg := fmt.Sprintf(`
[driver]
instance_id = "cmd-tp-test"
control_channel = "aeron:ipc"
control_stream_id = %d
qos_channel = "aeron:ipc"
qos_stream_id = %d
descriptor_stream_id_range = "41300-41399"
control_stream_id_range = "41400-41499"
[shm]
base_dir = %q
[policies]
cleanup_shm_on_exit = true
shutdown_timeout_ms = 100
[profiles.small]
header_nslots = 16
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }]
[streams.cam]
stream_id = %d
profile = "small"
`, sysControlStream, sysQosStream, s.baseDir, sysStream)
	if err := os.WriteFile(s.configPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	s.driver = exec.Command(tpDriver, "--config", s.configPath, "--aeron-dir", aeronDir)
	s.driver.Stderr = &s.driverLog
	if err := s.driver.Start(); err != nil {
		return nil, err
	}
	if err := waitFor(20*time.Second, func() bool { return strings.Contains(s.driverLog.String(), "driver ready") }); err != nil {
		s.stop()
		return nil, fmt.Errorf("tp-driver not ready: %w\n%s", err, s.driverLog.String())
	}
	for _, role := range []string{"producer", "consumer"} {
		if err := s.startChild(role); err != nil {
			s.stop()
			return nil, err
		}
	}
	return s, nil
}

// startChild runs this test binary as a producer or consumer and waits until it has
// its lease.
func (s *testSystem) startChild(role string) error {
	spec, _ := json.Marshal(childSpec{Role: role, AeronDir: s.aeronDir, BaseDir: s.baseDir})
	c := exec.Command(os.Args[0], "-test.run=^$")
	c.Env = append(os.Environ(), childEnv+"="+string(spec))
	log := &lockedBuffer{}
	c.Stdout, c.Stderr = log, log
	stdin, err := c.StdinPipe()
	if err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return err
	}
	s.children, s.stdins, s.childLogs = append(s.children, c), append(s.stdins, stdin), append(s.childLogs, log)
	if err := waitFor(20*time.Second, func() bool { return strings.Contains(log.String(), role+" ready") }); err != nil {
		return fmt.Errorf("%s not ready: %w\n%s", role, err, log.String())
	}
	return nil
}

// stop ends the children (their stdin closes), then tp-driver (SIGTERM), as an
// operator would, and removes what they left.
func (s *testSystem) stop() {
	for _, in := range s.stdins {
		_ = in.Close()
	}
	for i, c := range s.children {
		if waitProcess(c, 10*time.Second) != nil {
			fmt.Fprintf(os.Stderr, "test system: child %d did not stop:\n%s\n", i, s.childLogs[i].String())
		}
	}
	if s.driver != nil && s.driver.Process != nil {
		_ = s.driver.Process.Signal(syscall.SIGTERM)
		if err := waitProcess(s.driver, 20*time.Second); err != nil {
			fmt.Fprintf(os.Stderr, "test system: tp-driver: %v\n%s\n", err, s.driverLog.String())
		}
	}
	_ = os.RemoveAll(s.baseDir)
}

// waitProcess waits for c to exit, killing it after d.
func waitProcess(c *exec.Cmd, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		_ = c.Process.Kill()
		<-done
		return errors.New("killed after " + d.String())
	}
}

func waitFor(d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timed out after " + d.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// stopSystem stops the test system if a test started it.
func stopSystem() {
	if sharedSys != nil {
		sharedSys.stop()
	}
}

// runChild is the test binary as a producer or consumer of the test system: it attaches,
// says it is ready, and moves frames until its stdin closes.
func runChild(encoded string) int {
	var spec childSpec
	if err := json.Unmarshal([]byte(encoded), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	attach, attached := context.WithTimeout(ctx, 20*time.Second)
	defer attached()
	opts := tpclient.Options{
		AeronDir: spec.AeronDir, ControlStreamID: sysControlStream, DescriptorStreamID: sysDescriptorStream,
		QosChannel: "aeron:ipc", QosStreamID: sysQosStream, AllowedBaseDirs: []string{spec.BaseDir},
	}
	switch spec.Role {
	case "producer":
		opts.ClientID = sysProducerID
	case "consumer":
		opts.ClientID = sysConsumerID
		opts.Consumer.DescriptorChannel, opts.Consumer.DescriptorStreamID = "aeron:ipc", 41300
		opts.Consumer.ControlChannel, opts.Consumer.ControlStreamID = "aeron:ipc", 41400
	}
	client, err := tpclient.Connect(attach, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer client.Close()
	if spec.Role == "producer" {
		return produce(ctx, attach, client)
	}
	return consume(ctx, attach, client)
}

func produce(ctx, attach context.Context, client *tpclient.Client) int {
	p, err := client.NewProducer(attach, sysStream)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer p.Close()
	fmt.Println("producer ready")
	data := make([]byte, sysFrameBytes)
	tensor := tpclient.Tensor{Shape: tpclient.Shape{DType: tpclient.Uint8, Dims: []int32{sysFrameBytes}}, Data: data}
	tick := time.NewTicker(sysFrameInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return 0
		case <-tick.C:
		}
		data[0]++
		if err := p.Offer(tensor); err != nil && !transient(err) {
			fmt.Fprintln(os.Stderr, "child: offer:", err)
			return 1
		}
	}
}

func transient(err error) bool {
	return errors.Is(err, tpclient.ErrNoSubscriber) || errors.Is(err, tpclient.ErrNotReady) ||
		errors.Is(err, tpclient.ErrNotAttached) || errors.Is(err, tpclient.ErrBackPressured)
}

func consume(ctx, attach context.Context, client *tpclient.Client) int {
	frames := 0
	c, err := client.NewConsumer(attach, sysStream, func(*tpclient.Frame) { frames++ })
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer c.Close()
	fmt.Println("consumer ready")
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for ctx.Err() == nil {
		if c.Poll(16) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	fmt.Fprintf(out, "consumer read %d frames\n", frames)
	return 0
}

// runIn runs tp against the test system and returns what it printed; it fails the test
// on a status other than want.
func (s *testSystem) tp(t *testing.T, want int, args ...string) result {
	t.Helper()
	r := runCommand(t, []string{"AERON_DIR=" + s.aeronDir}, "tp", args...)
	require.Equal(t, want, r.code, "tp %v\nstdout:\n%s\nstderr:\n%s", args, r.stdout, r.stderr)
	return r
}

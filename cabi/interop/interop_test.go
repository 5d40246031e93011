package interop

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/tp/local"
)

const (
	testStream   = 10000
	testSlots    = 64 // header slots of testStream: a power of two
	payloadBytes = 4096
	waitTimeout  = 30 * time.Second
)

var nextControl atomic.Int32

func init() { nextControl.Store(47000) }

// stack is one Go client with an in-process SHM driver, and the settings C programs
// need to reach the same driver.
type stack struct {
	client *tp.Client
	opts   tp.Options // the client's, for more clients of the same driver
	env    map[string]string
}

func startStack(t *testing.T) *stack {
	t.Helper()
	return startStackWith(t, nil)
}

// startStackWith is startStack with the driver's configuration adjusted by tune.
func startStackWith(t *testing.T, tune func(*config.DriverConfig)) *stack {
	t.Helper()
	return startStackOf(t, tune, testStream)
}

// startStackOf is startStackWith whose driver serves the given streams, each like
// testStream.
func startStackOf(t *testing.T, tune func(*config.DriverConfig), streams ...uint32) *stack {
	t.Helper()
	control := nextControl.Add(2)
	base := t.TempDir()
	var specs []config.StreamSpec
	for _, id := range streams {
		specs = append(specs, config.StreamSpec{StreamID: id, Slots: testSlots, Strides: []uint32{payloadBytes, 64 << 10}})
	}
	cfg, err := config.Local(base, control, specs...)
	if err != nil {
		t.Fatal(err)
	}
	if tune != nil {
		tune(cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	// The driver's and the test's client's logs (grants, refusals, provisioning times, lease
	// events) are printed when the test fails, after both stopped.
	inProcess := &output{}
	log := slog.New(slog.NewTextHandler(inProcess, nil))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("in-process tp-driver and tp.Client:\n%s", inProcess.String())
		}
	})
	drv, err := local.Start(ctx, local.Config{AeronDir: aeronDir, Driver: cfg, Logger: log.With("who", "tp-driver")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drv.Close(); err != nil {
			t.Errorf("local driver Close: %v", err)
		}
	})
	opts := drv.Options()
	opts.DescriptorStreamID = control + 1
	opts.Logger = log.With("who", "tp.Client")
	c, err := tp.Connect(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Client.Close: %v", err)
		}
	})
	return &stack{client: c, opts: opts, env: map[string]string{
		"TP_AERON_DIR":            aeronDir,
		"TP_CONTROL_CHANNEL":      "aeron:ipc",
		"TP_CONTROL_STREAM_ID":    strconv.Itoa(int(control)),
		"TP_DESCRIPTOR_CHANNEL":   "aeron:ipc",
		"TP_DESCRIPTOR_STREAM_ID": strconv.Itoa(int(control + 1)),
		"TP_STREAM_ID":            strconv.Itoa(testStream),
		"TP_SHM_BASE_DIRS":        base,
		"TP_PAYLOAD_BYTES":        strconv.Itoa(payloadBytes),
		"TP_TIMEOUT_MS":           "20000",
	}}
}

// proc is a C or C++ program running against the stack.
type proc struct {
	cmd    *exec.Cmd
	out    *output
	exited chan struct{} // closed once err holds what Wait returned
	err    error
}

func (s *stack) start(t *testing.T, bin string, env map[string]string) *proc {
	t.Helper()
	all := map[string]string{}
	for k, v := range s.env {
		all[k] = v
	}
	for k, v := range env {
		all[k] = v
	}
	p := &proc{cmd: exec.Command(bin), out: &output{}, exited: make(chan struct{})}
	p.cmd.Env = environ(all)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// finish waits for the program to exit, killing it after the timeout, and returns its
// output and why it did not exit 0.
func (p *proc) finish() (string, error) {
	select {
	case <-p.exited:
		return p.out.String(), p.err
	case <-time.After(waitTimeout + 10*time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		return p.out.String(), fmt.Errorf("%s did not finish in time", p.cmd.Path)
	}
}

// wait fails t unless the program exits 0 within the timeout.
func (p *proc) wait(t *testing.T) string {
	t.Helper()
	out, err := p.finish()
	if err != nil {
		t.Fatalf("%s: %v\n%s", p.cmd.Path, err, out)
	}
	return out
}

// pattern is what the example producers write into frame seq (tp_example_common.h).
func pattern(buf []byte, seq uint64) {
	for i := range buf {
		if i < 8 {
			buf[i] = byte(seq >> (8 * i))
		} else {
			buf[i] = byte(seq + uint64(i))
		}
	}
}

func patternOK(buf []byte, seq uint64) bool {
	if len(buf) < 8 || binary.LittleEndian.Uint64(buf) != seq {
		return false
	}
	for i := 8; i < len(buf); i++ {
		if buf[i] != byte(seq+uint64(i)) {
			return false
		}
	}
	return true
}

// goConsumer collects frames checked against the pattern.
type goConsumer struct {
	mu   sync.Mutex
	good int
	bad  int
	cs   *tp.Consumer
}

func (s *stack) goConsumer(t *testing.T) *goConsumer {
	t.Helper()
	return s.goConsumerWith(t, testStream, patternOK)
}

// goConsumerOn is a goConsumer of stream.
func (s *stack) goConsumerOn(t *testing.T, stream uint32) *goConsumer {
	t.Helper()
	return s.goConsumerWith(t, stream, patternOK)
}

// goConsumerChecking is goConsumer with another pattern check.
func (s *stack) goConsumerChecking(t *testing.T, patternOK func(buf []byte, seq uint64) bool) *goConsumer {
	t.Helper()
	return s.goConsumerWith(t, testStream, patternOK)
}

// goConsumerWith is a goConsumer of stream whose frames must pass patternOK.
func (s *stack) goConsumerWith(t *testing.T, stream uint32, patternOK func(buf []byte, seq uint64) bool) *goConsumer {
	t.Helper()
	g := &goConsumer{}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	scratch := make([]byte, 64<<10)
	cs, err := s.client.NewConsumer(ctx, stream, func(f *tp.Frame) {
		n := copy(scratch, f.Payload())
		if !f.Valid() {
			return // overwritten while copied: counted as late by the consumer
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		if patternOK(scratch[:n], f.Seq()) {
			g.good++
		} else {
			g.bad++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	g.cs = cs
	return g
}

// pollUntil polls until want frames passed the pattern check; it returns why not.
func (g *goConsumer) pollUntil(want int) error {
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if g.cs.Poll(64) == 0 {
			time.Sleep(100 * time.Microsecond)
		}
		g.mu.Lock()
		good, bad := g.good, g.bad
		g.mu.Unlock()
		if bad > 0 {
			return fmt.Errorf("%d frames failed the pattern check", bad)
		}
		if good >= want {
			return nil
		}
	}
	attached, err := g.cs.Status()
	return fmt.Errorf("Go consumer got %d of %d frames (attached %v, last error %v, stats %+v)", g.good, want, attached, err, g.cs.Stats())
}

func (s *stack) goProducer(t *testing.T) *tp.Producer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	p, err := s.client.NewProducer(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// publish offers frames with the pattern until the done channel closes.
func publish(t *testing.T, p *tp.Producer, done <-chan struct{}) {
	t.Helper()
	data := make([]byte, payloadBytes)
	for {
		select {
		case <-done:
			return
		default:
		}
		c, err := p.Claim(payloadBytes)
		if err != nil {
			time.Sleep(200 * time.Microsecond)
			continue
		}
		pattern(data, c.Seq())
		copy(c.Payload(), data)
		if err := c.Commit(tp.Shape{DType: tp.Uint8, Dims: []int32{payloadBytes}}); err != nil {
			time.Sleep(200 * time.Microsecond)
			continue
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func TestInterop_CProducerToGoConsumer(t *testing.T) {
	s := startStack(t)
	bin := program(t, "cabi/examples/tp_example_producer.c")
	g := s.goConsumer(t)
	p := s.start(t, bin, map[string]string{"TP_COUNT": "200", "TP_WAIT_CONNECT": "1", "TP_FRAME_INTERVAL_US": "500", "TP_LINGER_MS": "2000"})
	if err := g.pollUntil(150); err != nil {
		t.Fatal(err)
	}
	p.wait(t)
}

// goFeedsCPrograms runs a Go producer until every program has exited.
func goFeedsCPrograms(t *testing.T, s *stack, progs ...*proc) []string {
	t.Helper()
	p := s.goProducer(t)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); publish(t, p, done) }()
	outs := make([]string, len(progs))
	for i, pr := range progs {
		outs[i] = pr.wait(t)
	}
	close(done)
	wg.Wait()
	return outs
}

func TestInterop_GoProducerToCConsumer(t *testing.T) {
	s := startStack(t)
	c := s.start(t, program(t, "cabi/examples/tp_example_consumer.c"), map[string]string{"TP_COUNT": "100"})
	out := goFeedsCPrograms(t, s, c)
	t.Log(out[0])
}

func TestInterop_GoProducerToCxxConsumer(t *testing.T) {
	s := startStack(t)
	c := s.start(t, program(t, "cabi/examples/tp_example_consumer.cpp"), map[string]string{"TP_COUNT": "100"})
	t.Log(goFeedsCPrograms(t, s, c)[0])
}

// Wire spec §15.4: a stream serves any number of consumers, each on its own; here C
// (callback and try-read) and Go consumers read the same Go producer at once.
func TestInterop_CAndGoConsumersOnOneStream(t *testing.T) {
	s := startStack(t)
	g := s.goConsumer(t)
	cb := s.start(t, program(t, "cabi/examples/tp_example_consumer_callback.c"), map[string]string{"TP_COUNT": "100"})
	tr := s.start(t, program(t, "cabi/examples/tp_example_consumer.c"), map[string]string{"TP_COUNT": "100"})
	goErr := make(chan error, 1)
	go func() { goErr <- g.pollUntil(100) }()
	outs := goFeedsCPrograms(t, s, cb, tr)
	if err := <-goErr; err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		t.Log(o)
	}
}

func TestInterop_CProducerToCConsumer(t *testing.T) {
	s := startStack(t)
	c := s.start(t, program(t, "cabi/examples/tp_example_consumer_callback.c"), map[string]string{"TP_COUNT": "100"})
	p := s.start(t, program(t, "cabi/examples/tp_example_producer.c"),
		map[string]string{"TP_COUNT": "100", "TP_WAIT_CONNECT": "1", "TP_FRAME_INTERVAL_US": "2000", "TP_LINGER_MS": "1000"})
	t.Log(c.wait(t))
	t.Log(p.wait(t))
}

// Calls from inside frame handlers get their documented results, and a close made there
// takes effect when the poll returns (cabi/tests/tp_handler_reentry_test.c).
func TestInterop_CallsFromInsideFrameHandlers(t *testing.T) {
	s := startStack(t)
	c := s.start(t, program(t, "cabi/tests/tp_handler_reentry_test.c"), nil)
	t.Log(goFeedsCPrograms(t, s, c)[0])
}

// The one-crossing data path: a C producer committing each frame and claiming the next in
// one call, a C consumer polling batches and re-checking them in C; overwritten frames of
// a kept batch are detected; a batch of offers in one call (cabi/tests/tp_batch_poll_test.c).
func TestInterop_BatchPollAndCommitAndClaimNext(t *testing.T) {
	s := startStack(t)
	p := s.start(t, program(t, "cabi/tests/tp_batch_poll_test.c"), map[string]string{"TP_SLOTS": strconv.Itoa(testSlots)})
	t.Log(p.wait(t))
}

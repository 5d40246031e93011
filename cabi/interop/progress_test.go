package interop

import (
	"context"
	"fmt"
	"github.com/tensorpool/tensorpool/config"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/backend"
	"github.com/tensorpool/tensorpool/wire"
)

// controlTap is a raw Aeron client on the stack's control stream: it records what the
// consumers' ConsumerHellos say and publishes FrameProgress as a producer that honours
// them would.
type controlTap struct {
	client transport.Client
	sub    transport.Subscription
	pub    transport.Publication
	onMsg  transport.Handler

	mu     sync.Mutex
	hellos map[uint32]bool // consumer id -> supportsProgress of its latest hello
}

func (s *stack) controlTap(t *testing.T) *controlTap {
	t.Helper()
	stream, err := strconv.Atoi(s.env["TP_CONTROL_STREAM_ID"])
	if err != nil {
		t.Fatal(err)
	}
	channel := s.env["TP_CONTROL_CHANNEL"]
	c := &controlTap{hellos: map[uint32]bool{}}
	if c.client, err = backend.Connect(backend.Config{Dir: aeronDir}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c.sub, err = transport.Await(ctx, c.client.AddSubscription(channel, int32(stream))); err != nil {
		t.Fatal(err)
	}
	if c.pub, err = transport.Await(ctx, c.client.AddPublication(channel, int32(stream))); err != nil {
		t.Fatal(err)
	}
	c.onMsg = c.onControl
	return c
}

func (c *controlTap) onControl(msg []byte, _ *transport.Header) {
	h, err := wire.PeekHeader(msg)
	if err != nil || h.ID() != wire.ConsumerHelloID {
		return
	}
	var m wire.ConsumerHello
	if err := m.Decode(msg); err != nil {
		return
	}
	c.mu.Lock()
	c.hellos[m.ConsumerID] = m.SupportsProgress
	c.mu.Unlock()
}

// poll reads the control stream; one goroutine at a time. It must keep up: an IPC
// stream moves no faster than its slowest subscriber.
func (c *controlTap) poll() int { return c.sub.Poll(c.onMsg, 64) }

func (c *controlTap) hello(id uint32) (supportsProgress, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.hellos[id]
	return v, ok
}

// sendProgress offers a FrameProgress for the frame claimed as seq, valid for consumers
// of epoch with nslots header slots (Wire spec §10.2.2).
func (c *controlTap) sendProgress(epoch, seq uint64, nslots uint32, filled uint64) {
	m := wire.FrameProgress{StreamID: testStream, Epoch: epoch, FrameID: seq, HeaderIndex: uint32(seq) & (nslots - 1),
		PayloadBytesFilled: filled, State: wire.ProgressStateProgress}
	var buf [wire.FrameProgressLength]byte
	m.Encode(buf[:])
	c.pub.Offer(buf[:]) // a hint: a lost one is fine
}

// publishWithProgress is publish, with a FrameProgress for every frame before its commit,
// and the control stream polled in between; it stops when done closes. It publishes only
// while some consumer is connected, and at most one frame per frameGap: the progress
// shares the control stream with the lease traffic, whose readers poll it on a timer, and
// a flood would hold that traffic up.
func publishWithProgress(p *tp.Producer, tap *controlTap, done <-chan struct{}) {
	const frameGap = 2 * time.Millisecond
	data := make([]byte, payloadBytes)
	for {
		select {
		case <-done:
			return
		default:
		}
		tap.poll()
		if !p.IsConnected() {
			time.Sleep(frameGap)
			continue
		}
		epoch := p.Stats().Epoch // not with the claim open: Stats would wait for it
		c, err := p.Claim(payloadBytes)
		if err != nil {
			time.Sleep(frameGap)
			continue
		}
		tap.sendProgress(epoch, c.Seq(), testSlots, payloadBytes/2)
		pattern(data, c.Seq())
		copy(c.Payload(), data)
		c.Commit(tp.Shape{DType: tp.Uint8, Dims: []int32{payloadBytes}}) // a dropped frame's seq is claimed again
		time.Sleep(frameGap)
	}
}

// C consumers take FrameProgress only when their context asks for it
// (tp_context_set_consumer_progress): by default their ConsumerHello says
// supportsProgress FALSE, as the reference C client's does, and tp_consumer_get_progress
// reports none; with the setting on, the hello says TRUE and progress is reported
// (cabi/tests/tp_consumer_progress_test.c).
func TestInterop_CConsumerProgressIsOptIn(t *testing.T) {
	s := startStack(t)
	tap := s.controlTap(t)
	bin := program(t, "cabi/tests/tp_consumer_progress_test.c")
	p := s.goProducer(t)
	c := s.start(t, bin, nil)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); publishWithProgress(p, tap, done) }()
	out := c.wait(t)
	close(done)
	wg.Wait()
	t.Log(out)

	var plainID, optedID uint32
	found := false
	for _, line := range strings.Split(out, "\n") {
		if _, err := fmt.Sscanf(line, "consumer ids: default %d progress %d", &plainID, &optedID); err == nil {
			found = true
			break
		}
	}
	if !found {
		t.Fatalf("no consumer ids in the program's output")
	}
	// Hellos repeat every second while a consumer is attached; the program has exited,
	// so whatever it sent is in the log by now.
	deadline := time.Now().Add(5 * time.Second)
	for {
		tap.poll()
		_, plainOK := tap.hello(plainID)
		_, optedOK := tap.hello(optedID)
		if plainOK && optedOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hellos seen: consumer %d %v, consumer %d %v", plainID, plainOK, optedID, optedOK)
		}
		time.Sleep(time.Millisecond)
	}
	if v, _ := tap.hello(plainID); v {
		t.Errorf("default consumer %d: ConsumerHello supportsProgress = %v, want false", plainID, v)
	}
	if v, _ := tap.hello(optedID); !v {
		t.Errorf("consumer %d with tp_context_set_consumer_progress(true): ConsumerHello supportsProgress = %v, want true", optedID, v)
	}
}

// Invoker mode in C: the program runs the client's duty cycle with tp_client_do_work,
// frames flow without it for longer than a lease lasts, the lease is then renewed by the
// next duty cycles, and a refused control channel reaches tp_context_set_error_handler's
// handler (cabi/tests/tp_invoker_test.c).
func TestInterop_CInvokerModeAndErrorHandler(t *testing.T) {
	// Leases of 500 ms, so a duty cycle that stands still outlives one well within the
	// Aeron client's own liveness timeout (2 s in these tests' media driver).
	s := startStackWith(t, func(cfg *config.DriverConfig) {
		cfg.Policies.LeaseKeepaliveIntervalMs = 100
		cfg.Policies.LeaseExpiryGraceIntervals = 5
	})
	bin := program(t, "cabi/tests/tp_invoker_test.c")
	out := s.start(t, bin, map[string]string{"TP_COUNT": "50", "TP_LEASE_MS": "500", "TP_KEEPALIVE_MS": "100"}).wait(t)
	t.Log(out)
	if !strings.Contains(out, "invoker: ") || !strings.Contains(out, "error handler: ") {
		t.Fatalf("the program did not report both parts:\n%s", out)
	}
}

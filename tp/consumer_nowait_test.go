package tp

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/wire"
)

// memStack is an in-memory transport with the SHM driver running over it and a Client
// for producers: these tests are about who waits for whom inside one process, not about
// the media driver.
type memStack struct {
	driver *mem.Driver
	shm    *testDriver
	drv    *Client // the producers' Client
}

func startMemStack(t *testing.T, tune func(*config.DriverConfig)) *memStack {
	t.Helper()
	control := nextStream.Add(2)
	cfg, err := config.Local(t.TempDir(), control, config.StreamSpec{StreamID: testStream, Slots: 16, Strides: []uint32{4096}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Policies.AnnouncePeriodMs = 100
	if tune != nil {
		tune(cfg)
	}
	s := &memStack{driver: mem.NewDriver(mem.Config{})}
	tc := s.driver.Connect(mem.ClientConfig{})
	t.Cleanup(func() { tc.Close() })
	s.shm = startDriver(t, cfg, tc)
	s.drv = s.connect(t, Options{}, false)
	return s
}

// connect makes a Client over a client of the stack's transport, reaching its driver. In
// invoker mode nothing runs its duty cycle but the test (and the Client's own waits, as in
// NewConsumer).
func (s *memStack) connect(t *testing.T, o Options, invoker bool) *Client {
	t.Helper()
	tc := s.driver.Connect(mem.ClientConfig{UseInvoker: invoker})
	t.Cleanup(func() { tc.Close() })
	o.Transport, o.Invoker = tc, invoker
	o.DescriptorStreamID = int32(s.shm.cfg.Driver.ControlStreamID) + 1
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := Connect(ctx, s.shm.options(o))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Client.Close: %v", err)
		}
	})
	return c
}

// promptly runs call on another goroutine and fails t unless it returns within a bound
// far above any scheduling delay: a call that waits for a duty cycle that never runs
// would not return at all.
func promptly[T any](t *testing.T, what string, call func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- call() }()
	select {
	case v := <-done:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("%s waited", what)
		panic("unreachable")
	}
}

// stuck is an agent whose DoWork blocks until release: a duty cycle that runs it stalls.
type stuck struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newStuck() *stuck { return &stuck{entered: make(chan struct{}), release: make(chan struct{})} }

func (s *stuck) DoWork(clock.Mono) int {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	return 0
}
func (s *stuck) OnClose()         {}
func (s *stuck) RoleName() string { return "stuck" }

// Poll, and the consumer's getters, never wait for the duty cycle: with the consumer's
// Client's duty cycle stalled (a role stuck in DoWork, or an invoker nobody drives), they
// return at once, and frames whose descriptors are already on the consumer's stream are
// delivered all the same.
func TestPollNeverWaitsForTheDutyCycle(t *testing.T) {
	for _, invoker := range []bool{false, true} {
		name := map[bool]string{false: "stalled runner", true: "invoker not driven"}[invoker]
		t.Run(name, func(t *testing.T) {
			s := startMemStack(t, nil)
			var got []received
			cc := s.connect(t, Options{}, invoker)
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			cs, err := cc.NewConsumer(ctx, testStream, recorder(&got))
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.drv.NewProducer(ctx, testStream)
			if err != nil {
				t.Fatal(err)
			}
			if invoker {
				stop := driveOne(cc)
				sameEpoch(t, p, cs)
				stop()
			} else {
				sameEpoch(t, p, cs)
				block := newStuck()
				t.Cleanup(func() { close(block.release) })
				if err := cc.proc.Add(block); err != nil {
					t.Fatal(err)
				}
				<-block.entered
			}
			// The duty cycle no longer runs: Poll and the getters return at once.
			for range 100 {
				promptly(t, "Poll", func() int { return cs.Poll(10) })
			}
			promptly(t, "Stats", cs.Stats)
			promptly(t, "Err", cs.Err)
			promptly(t, "IsConnected", cs.IsConnected)
			promptly(t, "Progress", func() bool { _, ok := cs.Progress(); return ok })
			if err := cs.Err(); err != nil {
				t.Fatal(err)
			}
			// Frames flow on the data path alone.
			tensor := Tensor{Shape: Shape{DType: Uint8, Dims: []int32{64}}, Data: pattern(64, 4)}
			offer(t, p, nil, tensor)
			deadline := time.Now().Add(waitTimeout)
			for len(got) == 0 && time.Now().Before(deadline) {
				if promptly(t, "Poll", func() int { return cs.Poll(10) }) == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			if len(got) != 1 || got[0].seq != 0 {
				t.Fatalf("frames read with the duty cycle stalled: %+v", got)
			}
		})
	}
}

// driveOne runs c's duty cycle on a goroutine until stop returns.
func driveOne(c *Client) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			default:
			}
			if c.DoWork() == 0 {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()
	return func() { close(quit); <-done }
}

// A Poll running on one goroutine while the duty cycle handles a stream of control
// traffic — announces of the mapped epoch and forged ones, ConsumerConfigs changing the
// mode, revocations of the stream's producer (each a §4.9 drain and a remap) — shares no
// memory with it but through the hand-off: the race detector finds nothing, and frames
// keep arriving.
func TestPollRacesNoControlTraffic(t *testing.T) {
	s := startMemStack(t, nil)
	cc := s.connect(t, Options{}, false)
	var frames atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cs, err := cc.NewConsumer(ctx, testStream, func(f *Frame) {
		if len(f.Payload()) == 64 && f.Valid() {
			frames.Add(1)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.drv.NewProducer(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	sameEpoch(t, p, cs)
	d := &s.shm.cfg.Driver
	control, err := transport.Await(ctx, s.driver.Connect(mem.ClientConfig{}).AddPublication(d.ControlChannel, int32(d.ControlStreamID)))
	if err != nil {
		t.Fatal(err)
	}
	defer control.Close()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // the application's thread
		for {
			select {
			case <-stop:
				return
			default:
			}
			if cs.Poll(16) == 0 {
				time.Sleep(50 * time.Microsecond)
			}
		}
	})
	wg.Go(func() { // the producer
		tensor := Tensor{Shape: Shape{DType: Uint8, Dims: []int32{64}}, Data: pattern(64, 6)}
		for {
			select {
			case <-stop:
				return
			default:
			}
			p.Offer(tensor) // a reattach or back pressure only skips a frame
			time.Sleep(100 * time.Microsecond)
		}
	})
	revoke := encoded(&wire.ShmLeaseRevoked{TimestampNs: 1, LeaseID: 1, StreamID: testStream, ClientID: p.ID(), Role: wire.RoleProducer, Reason: wire.RevokeRevoked})
	end := time.Now().Add(2 * time.Second)
	for i := 0; time.Now().Before(end); i++ {
		epoch := p.Stats().Epoch
		var msg []byte
		switch i % 4 {
		case 0:
			msg = revoke // the consumer drains and waits for the driver's next announce
		case 1:
			mode := []wire.Mode{wire.ModeStream, wire.ModeRateLimited}[i/4%2]
			msg = encoded(&wire.ConsumerConfig{StreamID: testStream, ConsumerID: cs.ID(), UseShm: true, Mode: mode})
		case 2:
			msg = encoded(&wire.ShmPoolAnnounce{StreamID: testStream, Epoch: epoch + 1_000_000, AnnounceTimestampNs: uint64(clock.Now()),
				AnnounceClockDomain: wire.ClockMonotonic, LayoutVersion: 1, HeaderNslots: 16, HeaderSlotBytes: 256,
				HeaderRegionURI: "shm:file?path=/nowhere/header.ring",
				PayloadPools:    []wire.PayloadPool{{PoolID: 1, PoolNslots: 16, StrideBytes: 4096, RegionURI: "shm:file?path=/nowhere/1.pool"}}})
		case 3:
			time.Sleep(20 * time.Millisecond) // room for the driver's announce to map the epoch again
			continue
		}
		control.Offer(msg)
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	st := cs.Stats()
	if frames.Load() == 0 || st.Remaps < 2 {
		t.Fatalf("%d frames, stats %+v", frames.Load(), st)
	}
}

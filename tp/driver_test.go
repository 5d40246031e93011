package tp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/agents/driverclient"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

const (
	testStream  = 10000
	waitTimeout = 20 * time.Second
)

// Each test gets its own control and descriptor streams so nothing one test leaves in the
// shared media driver reaches the next.
var nextStream atomic.Int32

func init() { nextStream.Store(43000) }

// startClient connects to the shared media driver with an in-process SHM driver serving
// stream 10000 (16 slots, 4 KiB and 64 KiB pools) from a temporary directory, announcing
// every 100 ms; tune adjusts the driver's configuration.
func startClient(t *testing.T, tune func(*config.DriverConfig)) *Client {
	t.Helper()
	c, _, _ := startClientWith(t, []uint32{4096, 64 << 10}, func(cfg *config.DriverConfig) {
		cfg.Policies.AnnouncePeriodMs = 100
		if tune != nil {
			tune(cfg)
		}
	}, Options{})
	return c
}

// startClientWith is startClient with the pools' strides, the driver's configuration
// left at its defaults but for tune, and opts for the client (its media driver, SHM driver
// and descriptor stream are filled in). It returns the driver's base directory and
// control stream too; the client closes when the test ends.
func startClientWith(t *testing.T, strides []uint32, tune func(*config.DriverConfig), opts Options) (c *Client, base string, control int32) {
	t.Helper()
	control = nextStream.Add(2)
	base = t.TempDir()
	cfg, err := config.Local(base, control, config.StreamSpec{StreamID: testStream, Slots: 16, Strides: strides})
	if err != nil {
		t.Fatal(err)
	}
	if tune != nil {
		tune(cfg)
	}
	d := startDriver(t, cfg, nil)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	opts.DescriptorStreamID = control + 1
	if c, err = Connect(ctx, d.options(opts)); err != nil {
		t.Fatal(err)
	}
	driverOf.Store(c, d)
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Client.Close: %v", err)
		}
	})
	return c, base, control
}

func attachBoth(t *testing.T, c *Client, handler func(*Frame)) (*Producer, *Consumer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cs, err := c.NewConsumer(ctx, testStream, handler)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	p, err := c.NewProducer(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, cs
}

// eventually polls cond (every poll runs the consumer) until it holds.
func eventually(t *testing.T, what string, cs *Consumer, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		if cs == nil || cs.Poll(10) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

// sameEpoch waits until the consumer has mapped the producer's epoch.
func sameEpoch(t *testing.T, p *Producer, cs *Consumer) uint64 {
	t.Helper()
	var epoch uint64
	eventually(t, "consumer mapping the producer's epoch", cs, func() bool {
		epoch = p.Stats().Epoch
		return epoch != 0 && cs.Stats().Epoch == epoch
	})
	return epoch
}

// offer retries a frame the stream is not ready for yet (no subscriber image, back
// pressure, a reattach in progress).
func offer(t *testing.T, p *Producer, cs *Consumer, tensor Tensor) {
	t.Helper()
	eventually(t, "frame offered", cs, func() bool {
		err := p.Offer(tensor)
		if err != nil && !errors.Is(err, ErrNoSubscriber) && !errors.Is(err, ErrBackPressured) && !errors.Is(err, ErrNotAttached) && !errors.Is(err, ErrNotReady) {
			t.Fatalf("Offer: %v", err)
		}
		return err == nil
	})
}

type received struct {
	seq, epoch uint64
	dims       []int32
	payload    []byte
}

func recorder(got *[]received) func(*Frame) {
	return func(f *Frame) {
		r := received{seq: f.Seq(), epoch: f.Epoch(), dims: append([]int32(nil), f.Dims()...), payload: bytes.Clone(f.Payload())}
		if f.Valid() {
			*got = append(*got, r)
		}
	}
}

func pattern(n int, salt byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + salt
	}
	return b
}

// Checklist 44 and 78: a driver-mode producer's frames reach a driver-mode consumer, the
// first with seq 0, every payload byte-identical, through the handler.
func TestWireSpec_8_3_DriverModeFramesArriveIntact(t *testing.T) {
	c := startClient(t, nil)
	var got []received
	p, cs := attachBoth(t, c, recorder(&got))
	epoch := sameEpoch(t, p, cs)

	const frames = 8
	for i := range frames {
		data := pattern(3000+i, byte(i))
		offer(t, p, cs, Tensor{Shape: Shape{DType: Uint8, Dims: []int32{int32(len(data))}}, Data: data})
	}
	eventually(t, "every frame read", cs, func() bool { return len(got) == frames })
	for i, r := range got {
		want := pattern(3000+i, byte(i))
		if r.seq != uint64(i) || r.epoch != epoch || !bytes.Equal(r.payload, want) || len(r.dims) != 1 || r.dims[0] != int32(len(want)) {
			t.Fatalf("frame %d: seq %d epoch %d (want %d) dims %v, payload equal %v", i, r.seq, r.epoch, epoch, r.dims, bytes.Equal(r.payload, want))
		}
	}
	if s := cs.Stats(); s.Frames != frames || s.DropsGap != 0 || s.DropsLate != 0 {
		t.Fatalf("consumer stats %+v", s)
	}
	if s := p.Stats(); s.Frames != frames {
		t.Fatalf("producer stats %+v", s)
	}
}

// Claim/Commit writes in place; the consumer sees the shape and strides given.
func TestClaimCommit(t *testing.T) {
	c := startClient(t, nil)
	var dims []int32
	var strides []int64
	var payload []byte
	p, cs := attachBoth(t, c, func(f *Frame) {
		dims, strides, payload = append(dims[:0], f.Dims()...), append(strides[:0], f.Strides()...), bytes.Clone(f.Payload())
		if f.DType() != Float32 || !f.Valid() {
			t.Errorf("frame dtype %v valid %v", f.DType(), f.Valid())
		}
	})
	sameEpoch(t, p, cs)
	want := pattern(2*3*4, 9)
	eventually(t, "claimed frame committed", cs, func() bool {
		claim, err := p.Claim(len(want))
		if err != nil {
			t.Fatalf("Claim: %v", err)
		}
		copy(claim.Payload(), want)
		err = claim.Commit(Shape{DType: Float32, Dims: []int32{2, 3}})
		if err != nil && !errors.Is(err, ErrNoSubscriber) && !errors.Is(err, ErrBackPressured) {
			t.Fatalf("Commit: %v", err)
		}
		return err == nil
	})
	eventually(t, "frame read", cs, func() bool { return payload != nil })
	if !bytes.Equal(payload, want) || len(dims) != 2 || dims[0] != 2 || dims[1] != 3 || strides[0] != 12 || strides[1] != 4 {
		t.Fatalf("dims %v strides %v payload %x", dims, strides, payload)
	}

	claim, err := p.Claim(8)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Claim(8); !errors.Is(err, ErrClaimState) {
		t.Fatalf("Claim with a claim open: %v", err)
	}
	if err := p.Offer(Tensor{Data: want}); !errors.Is(err, ErrClaimState) {
		t.Fatalf("Offer with a claim open: %v", err)
	}
	if err := claim.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := claim.Commit(Shape{DType: Uint8, Dims: []int32{8}}); !errors.Is(err, ErrClaimState) {
		t.Fatalf("Commit after Abort: %v", err)
	}
	if _, err := p.Claim(1 << 20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Claim beyond every pool: %v", err)
	}
	if err := p.Offer(Tensor{Shape: Shape{DType: Uint8, Dims: make([]int32, 9)}, Data: want}); !errors.Is(err, ErrInvalidTensor) {
		t.Fatalf("Offer of 9 dims: %v", err)
	}
}

// shortLeases makes leases expire 500 ms after the last keepalive; starve runs every
// driven Client but one for well past that.
func shortLeases(cfg *config.DriverConfig) {
	cfg.Policies.LeaseKeepaliveIntervalMs = 100
	cfg.Policies.LeaseExpiryGraceIntervals = 5
}

// invokerClient is a Client of the driver that drv runs, in invoker mode: its duty cycle
// runs only when the test calls DoWork, as a stopped or overloaded process's would not.
func invokerClient(t *testing.T, drv *Client, tune func(*Options)) *Client {
	t.Helper()
	o := drv.opts
	o.Invoker = true
	if tune != nil {
		tune(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := Connect(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// driving runs clients' duty cycles in the background until the test ends, except while
// starve holds one back.
type driving struct {
	mu      sync.Mutex
	clients []*Client
	starved *Client
}

func drive(t *testing.T, clients ...*Client) *driving {
	d := &driving{clients: clients}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			d.mu.Lock()
			for _, c := range d.clients {
				if c != d.starved {
					c.DoWork()
				}
			}
			d.mu.Unlock()
			time.Sleep(100 * time.Microsecond)
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return d
}

// starve holds c's duty cycle back past a short lease's expiry.
func (d *driving) starve(c *Client) {
	d.mu.Lock()
	d.starved = c
	d.mu.Unlock()
	time.Sleep(1200 * time.Millisecond)
	d.mu.Lock()
	d.starved = nil
	d.mu.Unlock()
}

func (p *Producer) leaseID() uint64 { return p.LeaseID() }

func (cs *Consumer) leaseID() uint64 { return cs.LeaseID() }

// Checklist 45, 38 and 19: a producer whose lease expires (no keepalives) loses it, the
// driver moves the stream to a new epoch, the producer reattaches with a new lease and
// maps the newer epoch, and the consumer remaps to it from the driver's announce; frames
// flow again. Then the consumer's lease expires and it reattaches too.
func TestDriverSpec_4_9_ReattachAfterExpiry(t *testing.T) {
	drv := startClient(t, shortLeases)
	pc, cc := invokerClient(t, drv, nil), invokerClient(t, drv, nil)
	var got []received
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cs, err := cc.NewConsumer(ctx, testStream, recorder(&got))
	if err != nil {
		t.Fatal(err)
	}
	p, err := pc.NewProducer(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	d := drive(t, pc, cc)
	epoch1 := sameEpoch(t, p, cs)
	lease1 := p.leaseID()
	data := pattern(1000, 1)
	tensor := Tensor{Shape: Shape{DType: Uint8, Dims: []int32{1000}}, Data: data}
	offer(t, p, cs, tensor)
	eventually(t, "first frame", cs, func() bool { return len(got) == 1 })

	// Starve the producer's duty cycle past the lease's expiry.
	d.starve(pc)
	eventually(t, "producer reattached to a new epoch", cs, func() bool {
		s := p.Stats()
		return s.LeaseLosses >= 1 && s.Epoch > epoch1
	})
	var loss driverclient.LossReason
	var revoke wire.LeaseRevokeReason
	d.mu.Lock() // the duty cycle of pc is not running
	loss, revoke = p.role.lease.LastLoss()
	d.mu.Unlock()
	// The driver's EXPIRED notice, or the client's own deadline if it read that first.
	if !(loss == driverclient.LossRevoked && revoke == wire.RevokeExpired) && loss != driverclient.LossExpired {
		t.Fatalf("lease ended by %v (revoke reason %d), want an expiry", loss, revoke)
	}
	if lease2 := p.leaseID(); lease2 == 0 || lease2 == lease1 {
		t.Fatalf("lease after reattach %d, before %d", lease2, lease1)
	}
	epoch2 := sameEpoch(t, p, cs)
	if epoch2 <= epoch1 {
		t.Fatalf("epoch %d after reattach, %d before", epoch2, epoch1)
	}
	offer(t, p, cs, tensor)
	eventually(t, "frame of the new epoch", cs, func() bool { return len(got) == 2 })
	if r := got[1]; r.epoch != epoch2 || r.seq != 0 || !bytes.Equal(r.payload, data) {
		t.Fatalf("frame after remap: epoch %d seq %d", r.epoch, r.seq)
	}

	// The consumer's turn.
	consumerLease := cs.leaseID()
	d.starve(cc)
	eventually(t, "consumer reattached", cs, func() bool {
		return cs.Stats().LeaseLosses >= 1 && cs.leaseID() != 0
	})
	if l := cs.leaseID(); l == consumerLease {
		t.Fatalf("consumer lease %d unchanged", l)
	}
	sameEpoch(t, p, cs)
	offer(t, p, cs, tensor)
	eventually(t, "frame after the consumer's reattach", cs, func() bool { return len(got) == 3 })
	if err := cs.Err(); err != nil {
		t.Fatalf("consumer control error: %v", err)
	}
}

// A driver shutdown ends every lease: the producer and consumer drop their mappings and
// keep trying to reattach, failing with ErrNotAttached meanwhile.
func TestDriverSpec_4_13_ShutdownEndsLeases(t *testing.T) {
	c := startClient(t, nil)
	p, cs := attachBoth(t, c, func(*Frame) {})
	sameEpoch(t, p, cs)
	d, _ := driverOf.Load(c)
	d.(*testDriver).stop() // the in-process driver stops: revocations and ShmDriverShutdown
	eventually(t, "leases lost", cs, func() bool {
		return p.Stats().LeaseLosses >= 1 && cs.Stats().LeaseLosses >= 1
	})
	if err := p.Offer(Tensor{Shape: Shape{DType: Uint8, Dims: []int32{1}}, Data: []byte{1}}); !errors.Is(err, ErrNotAttached) {
		t.Fatalf("Offer without a lease: %v", err)
	}
	if s := cs.Stats(); s.Epoch != 0 {
		t.Fatalf("consumer still maps epoch %d", s.Epoch)
	}
}

// A driver that stops and a new one on the same control stream: the producer and consumer
// of a Client without an in-process driver lose their leases, reattach to the new driver
// and map its newer epoch; frames flow again.
func TestDriverSpec_4_13_ReattachAfterDriverRestart(t *testing.T) {
	control := nextStream.Add(2)
	base := t.TempDir()
	newDriver := func() *testDriver {
		cfg, err := config.Local(base, control, config.StreamSpec{StreamID: testStream, Slots: 16, Strides: []uint32{4096}})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Policies.AnnouncePeriodMs = 100
		return startDriver(t, cfg, nil)
	}
	driver1 := newDriver()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := Connect(ctx, Options{
		AeronDir: sharedAeronDir, ControlChannel: "aeron:ipc", ControlStreamID: control,
		DescriptorStreamID: control + 1, AllowedBaseDirs: []string{base}, KeepaliveInterval: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got []received
	p, cs := attachBoth(t, c, recorder(&got))
	epoch1 := sameEpoch(t, p, cs)
	tensor := Tensor{Shape: Shape{DType: Uint8, Dims: []int32{100}}, Data: pattern(100, 5)}
	offer(t, p, cs, tensor)
	eventually(t, "frame from the first driver's epoch", cs, func() bool { return len(got) == 1 })

	driver1.stop()
	eventually(t, "leases lost", cs, func() bool { return p.Stats().LeaseLosses >= 1 && cs.Stats().LeaseLosses >= 1 })
	newDriver()
	epoch2 := sameEpoch(t, p, cs)
	if epoch2 <= epoch1 {
		t.Fatalf("epoch %d after the restart, %d before", epoch2, epoch1)
	}
	offer(t, p, cs, tensor)
	eventually(t, "frame from the second driver's epoch", cs, func() bool { return len(got) == 2 })
	if r := got[1]; r.epoch != epoch2 || r.seq != 0 || !bytes.Equal(r.payload, tensor.Data) {
		t.Fatalf("frame after the restart: epoch %d seq %d", r.epoch, r.seq)
	}
}

// Zero Options reach a tp-driver with its defaults on Aeron's default directory; what
// cannot be right is refused.
func TestOptionsDefaultsAndRefusals(t *testing.T) {
	ctx := context.Background()
	o, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.ControlChannel != "aeron:ipc" || o.ControlStreamID != DefaultControlStreamID || o.AnnounceStreamID != DefaultControlStreamID ||
		o.DescriptorStreamID != DefaultDescriptorStreamID || len(o.AllowedBaseDirs) != 1 || o.AllowedBaseDirs[0] != shm.DefaultBaseDir || o.AeronDir == "" {
		t.Fatalf("defaults %+v", o)
	}
	if _, err := Connect(ctx, Options{AeronDir: sharedAeronDir, Consumer: ConsumerOptions{Mode: 9}}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("consumer mode 9: %v", err)
	}
	c := startClient(t, nil)
	if _, err := c.NewConsumer(ctx, testStream, nil); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("nil handler: %v", err)
	}
	// A refusal no retry changes ends the attach at once, even with no deadline, and
	// says why.
	start := time.Now()
	_, err = c.NewProducer(ctx, 4242)
	refused, ok := errors.AsType[*driverclient.RefusedError](err)
	if !errors.Is(err, ErrRefused) || !ok || !refused.Permanent() || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("producer of a stream the driver does not serve: %v", err)
	} else if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the refusal took %v", took)
	} else {
		t.Logf("after %v: %v", took.Round(time.Millisecond), err)
	}
	if _, err := c.NewConsumer(ctx, 4243, func(*Frame) {}); !errors.Is(err, ErrRefused) {
		t.Errorf("consumer of a stream the driver does not serve: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NewConsumer(ctx, testStream, func(*Frame) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("NewConsumer on a closed Client: %v", err)
	}
	if _, err := c.NewProducer(ctx, testStream); !errors.Is(err, ErrClosed) {
		t.Errorf("NewProducer on a closed Client: %v", err)
	}
}

// Regions are mapped only from the allowed directories (Wire §15.21a.5): a grant whose
// files lie elsewhere is refused, by the consumer and by the producer.
func TestWireSpec_15_21a_5_GrantOutsideAllowedDirsRefused(t *testing.T) {
	control := nextStream.Add(2)
	cfg, err := config.Local(t.TempDir(), control, config.StreamSpec{StreamID: testStream, Slots: 16, Strides: []uint32{4096}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	d := startDriver(t, cfg, nil)
	c, err := Connect(ctx, d.options(Options{DescriptorStreamID: control + 1, AllowedBaseDirs: []string{t.TempDir()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.NewConsumer(ctx, testStream, func(*Frame) {}); !errors.Is(err, shm.ErrPathRejected) {
		t.Errorf("consumer of regions outside the allowed dirs: %v", err)
	}
	if _, err := c.NewProducer(ctx, testStream); !errors.Is(err, shm.ErrPathRejected) {
		t.Errorf("producer of regions outside the allowed dirs: %v", err)
	}
}

// Checklist 38: a consumer that hears no announces at all still follows the producer to a
// newer epoch through the regions of its next attach response.
func TestWireSpec_15_21_ConsumerRemapsFromAttachResponse(t *testing.T) {
	control := nextStream.Add(2)
	base := t.TempDir()
	cfg, err := config.Local(base, control, config.StreamSpec{StreamID: testStream, Slots: 16, Strides: []uint32{4096}})
	if err != nil {
		t.Fatal(err)
	}
	shortLeases(cfg)
	// 800 ms leases: the starved client's expires within a starvation (1.2 s), while the
	// driven ones survive the stalls of a loaded machine.
	cfg.Policies.LeaseExpiryGraceIntervals = 8
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	withDriver, err := Connect(ctx, startDriver(t, cfg, nil).options(Options{DescriptorStreamID: control + 1}))
	if err != nil {
		t.Fatal(err)
	}
	defer withDriver.Close()
	pc := invokerClient(t, withDriver, nil)
	deaf := invokerClient(t, withDriver, func(o *Options) {
		o.AnnounceStreamID = control + 2_000_000 // nobody announces there
		o.KeepaliveInterval = 100 * time.Millisecond
	})
	d := drive(t, pc, deaf)

	p, err := pc.NewProducer(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var got []received
	cs, err := deaf.NewConsumer(ctx, testStream, recorder(&got))
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if p.ID() == cs.ID() {
		t.Fatalf("two Clients of one process share driver client id %d", p.ID())
	}
	epoch1 := sameEpoch(t, p, cs)

	d.starve(pc) // the producer's lease expires; it reattaches to a newer epoch
	eventually(t, "producer on a newer epoch", cs, func() bool { return p.Stats().Epoch > epoch1 })
	cs.Poll(10)
	// Still on epoch1, or, once nobody refreshed epoch1 for the freshness window (a slow
	// machine's eventually), unmapped by its liveness check (epoch 0): never on the newer
	// epoch, which only an announce or a grant could name.
	if s := cs.Stats(); s.Epoch != epoch1 && s.Epoch != 0 {
		t.Fatalf("a consumer without announces moved to epoch %d (its leases lost: %d)", s.Epoch, s.LeaseLosses)
	}
	d.starve(deaf) // now the consumer's; its new grant names the newer epoch
	epoch2 := sameEpoch(t, p, cs)
	if epoch2 <= epoch1 {
		t.Fatalf("consumer epoch %d, was %d", epoch2, epoch1)
	}
	tensor := Tensor{Shape: Shape{DType: Uint8, Dims: []int32{64}}, Data: pattern(64, 2)}
	offer(t, p, cs, tensor)
	eventually(t, "frame of the newer epoch", cs, func() bool { return len(got) == 1 })
	if got[0].epoch != epoch2 || !bytes.Equal(got[0].payload, tensor.Data) {
		t.Fatalf("frame epoch %d, want %d", got[0].epoch, epoch2)
	}
}

// A deadline on Connect's context bounds the wait for a media driver that is not there,
// rather than Aeron's 10 s driver timeout.
func TestConnectWaitsForTheMediaDriverOnlyUntilTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	c, err := Connect(ctx, Options{AeronDir: t.TempDir(), ControlChannel: "aeron:ipc", ControlStreamID: 1000, AllowedBaseDirs: []string{t.TempDir()}})
	if err == nil {
		c.Close()
		t.Fatal("connected without a media driver")
	}
	if !errors.Is(err, cnc.ErrNotFound) {
		t.Fatalf("%v, want cnc.ErrNotFound", err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond || waited > 5*time.Second {
		t.Fatalf("waited %v for a 300ms deadline: %v", waited, err)
	}
}

// Of a Commit and an Abort racing on one claim, or two Commits, exactly one proceeds and
// the other gets ErrClaimState; the producer is usable afterwards (no double unlock).
func TestClaimClosesOnce(t *testing.T) {
	c := startClient(t, nil)
	p, _ := attachBoth(t, c, func(*Frame) {})
	shape := Shape{DType: Uint8, Dims: []int32{8}}
	deadline := time.Now().Add(10 * time.Second)
	for round := range 200 {
		claim, err := p.Claim(8)
		for errors.Is(err, ErrBusy) && time.Now().Before(deadline) { // the descriptor publication not in place yet
			time.Sleep(time.Millisecond)
			claim, err = p.Claim(8)
		}
		if err != nil {
			t.Fatalf("round %d: Claim: %v", round, err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() {
				if i == 0 || round%2 == 0 {
					errs[i] = claim.Commit(shape)
				} else {
					errs[i] = claim.Abort()
				}
			})
		}
		wg.Wait()
		stateErrs := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, ErrClaimState):
				stateErrs++
			case err != nil && !errors.Is(err, ErrNoSubscriber) && !errors.Is(err, ErrBackPressured):
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if stateErrs != 1 {
			t.Fatalf("round %d: %d of 2 calls refused, want 1 (%v)", round, stateErrs, errs)
		}
	}
}

// ConsumerStats.DropsInvalid counts a descriptor that fails validation (here a header
// index beyond the ring), and not gaps or late frames.
func TestConsumerStatsCountInvalidDescriptors(t *testing.T) {
	c := startClient(t, nil)
	p, cs := attachBoth(t, c, func(*Frame) {})
	epoch := sameEpoch(t, p, cs)
	pub, err := await(context.Background(), c, c.transportNow().AddPublication(c.opts.DescriptorChannel, c.opts.DescriptorStreamID))
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	buf := encoded(&wire.FrameDescriptor{StreamID: testStream, Epoch: epoch, Seq: 0, HeaderIndex: 1 << 20})
	eventually(t, "the crafted descriptor offered", cs, func() bool { return pub.Offer(buf) > 0 })
	eventually(t, "the crafted descriptor dropped as invalid", cs, func() bool { return cs.Stats().DropsInvalid == 1 })
	if s := cs.Stats(); s.DropsGap != 0 || s.DropsLate != 0 || s.Frames != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// Driver spec §4.9: when the stream's producer detaches right after its last frames, a
// consumer that had not polled them yet still reads them before it stops reading that
// epoch, and later maps the epoch-bumped announce.
func TestDriverSpec_4_9_FramesBeforeProducerDetachAreRead(t *testing.T) {
	c := startClient(t, nil)
	var got int
	p, cs := attachBoth(t, c, func(*Frame) { got++ })
	epoch := sameEpoch(t, p, cs)
	offer(t, p, cs, Tensor{Shape: Shape{DType: Uint8, Dims: []int32{8}}, Data: make([]byte, 8)}) // the image is up
	eventually(t, "the first frame", cs, func() bool { return got == 1 })
	got = 0
	const frames = 10
	for i := range frames {
		if err := p.Offer(Tensor{Shape: Shape{DType: Uint8, Dims: []int32{8}}, Data: pattern(8, byte(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil { // detaches: the driver sends ShmLeaseRevoked (DETACHED)
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the notice is on the control stream before the consumer polls
	eventually(t, "the frames published before the detach", cs, func() bool { return got == frames })
	eventually(t, "the epoch-bumped announce mapped", cs, func() bool { return cs.Stats().Epoch > epoch })
	if got != frames {
		t.Fatalf("%d frames read, want %d", got, frames)
	}
}

// A producer may create its stream where the driver allows dynamic streams, as the
// reference C client's does (publishMode EXISTING_OR_CREATE, Driver spec §4.3); a
// consumer attaches only to a stream that exists (REQUIRE_EXISTING).
func TestDriverSpec_4_3_ProducerCreatesADynamicStream(t *testing.T) {
	c := startClient(t, func(cfg *config.DriverConfig) {
		cfg.Policies.AllowDynamicStreams = true
		cfg.Driver.StreamIDRange = config.StreamIDRange{First: 4000, Last: 4099}
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	if _, err := c.NewConsumer(short, 4050, func(*Frame) {}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("consumer of a stream nobody created: %v", err)
	}
	p, err := c.NewProducer(ctx, 4050)
	if err != nil {
		t.Fatalf("producer of a dynamic stream: %v", err)
	}
	defer p.Close()
	var got []received
	cs, err := c.NewConsumer(ctx, 4050, recorder(&got))
	if err != nil {
		t.Fatalf("consumer of the stream the producer created: %v", err)
	}
	defer cs.Close()
	offer(t, p, cs, Tensor{Shape: Shape{DType: Uint8, Dims: []int32{3}}, Data: []byte{1, 2, 3}})
	eventually(t, "the frame", cs, func() bool { return len(got) == 1 })
}

// $TP_SHM_BASE_DIRS sets the default allowed directories, as it does for the C library.
func TestOptionsAllowedBaseDirsFromTheEnvironment(t *testing.T) {
	t.Setenv("TP_SHM_BASE_DIRS", "/dev/shm/a:/dev/shm/b")
	o, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/dev/shm/a", "/dev/shm/b"}; !slices.Equal(o.AllowedBaseDirs, want) {
		t.Fatalf("AllowedBaseDirs %v, want %v", o.AllowedBaseDirs, want)
	}
	if o, _ := (Options{AllowedBaseDirs: []string{"/x"}}).withDefaults(); !slices.Equal(o.AllowedBaseDirs, []string{"/x"}) {
		t.Fatalf("set AllowedBaseDirs overridden: %v", o.AllowedBaseDirs)
	}
}

// An attach nothing answers ends with ctx, and the error says where it went: the aeron
// dir, the control channel and stream, and whether a media driver is alive there.
func TestAttachNobodyAnswersNamesWhereItWent(t *testing.T) {
	control := nextStream.Add(2)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := Connect(ctx, Options{AeronDir: sharedAeronDir, ControlStreamID: control, DescriptorStreamID: control + 1, AllowedBaseDirs: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	short, cancelShort := context.WithTimeout(ctx, 700*time.Millisecond)
	defer cancelShort()
	_, err = c.NewConsumer(short, testStream, func(*Frame) {})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrRefused) {
		t.Fatalf("no driver: %v", err)
	}
	for _, want := range []string{fmt.Sprintf("no SHM driver answered on aeron:ipc stream %d", control), sharedAeronDir, "media driver alive"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	t.Log(err)
}

// An allowed base directory that does not exist (tp-driver not started yet) is an
// invalid option that says who makes it.
func TestMissingBaseDirSaysWhoMakesIt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	missing := filepath.Join(t.TempDir(), "tensorpool")
	c, err := Connect(ctx, Options{AeronDir: sharedAeronDir, ControlStreamID: nextStream.Add(2), AllowedBaseDirs: []string{missing}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, perr := c.NewProducer(ctx, testStream)
	_, cerr := c.NewConsumer(ctx, testStream, func(*Frame) {})
	for _, err := range []error{perr, cerr} {
		if !errors.Is(err, ErrInvalidOptions) || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) ||
			!strings.Contains(err.Error(), "tp-driver creates its shm.base_dir") {
			t.Errorf("missing base directory: %v", err)
		}
	}
}

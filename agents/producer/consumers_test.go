package producer

import (
	"errors"
	"testing"

	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/wire"
)

// pubs opens pipes as per-consumer publications and remembers them.
type pubs struct {
	t      testing.TB
	opened map[int32]*closingPipe
	fail   error
}

type closingPipe struct {
	*mem.Pipe
	closed bool
}

func (p *closingPipe) Close() error { p.closed = true; return nil }

func (p *pubs) open(channel string, streamID int32) transport.Pending[transport.Publication] {
	if p.fail != nil {
		return transport.Ready[transport.Publication](nil, p.fail)
	}
	cp := &closingPipe{Pipe: newPipe(p.t)}
	p.opened[streamID] = cp
	return transport.Ready[transport.Publication](cp, nil)
}

func newTable(t testing.TB) (*Consumers, *pubs) {
	p := &pubs{t: t, opened: map[int32]*closingPipe{}}
	c, err := NewConsumers(7, 5_000_000_000, p.open)
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

// frameSide plays a Controller and its frame path around a bare table, on the test's
// goroutine: it completes the table's adds, adopts its Targets when they changed, closes
// what the table retired (the frame path has adopted the Targets without it), and sends
// as the frame path does.
type frameSide struct {
	c        *Consumers
	ft       frameTargets
	counters frameCounters
}

func (f *frameSide) sync() error {
	err := f.c.Poll()
	if f.c.Dirty() || f.ft.t == nil {
		f.ft.adopt(f.c.Snapshot(DefaultProgressPolicy, DefaultProgressFloor))
		for _, pub := range f.c.TakeRetiring() {
			pub.Close()
		}
	}
	return err
}

func (f *frameSide) describe(d *wire.FrameDescriptor, nowNs int64) int {
	f.sync()
	return f.ft.describe(encoded(d), nowNs, &f.counters)
}

func encodeHelloForTest(h *wire.ConsumerHello) []byte { return encoded(h) }

// encoded returns m's encoding.
func encoded(m interface {
	EncodedLength() int
	Encode([]byte) (int, error)
}) []byte {
	buf := make([]byte, m.EncodedLength())
	if _, err := m.Encode(buf); err != nil {
		panic(err)
	}
	return buf
}

func TestWireSpec_10_1_2_PerConsumerRequests(t *testing.T) {
	tests := []struct {
		name                 string
		descChannel          string
		descID               uint32
		ctrlChannel          string
		ctrlID               uint32
		wantDescID, wantCtrl uint32
		wantErr              bool
	}{
		{name: "none requested"},
		{name: "descriptor and control", descChannel: "aeron:ipc", descID: 1100, ctrlChannel: "aeron:ipc", ctrlID: 1200, wantDescID: 1100, wantCtrl: 1200},
		{name: "channel with id 0 rejected", descChannel: "aeron:ipc", wantErr: true},
		{name: "id without channel rejected", descID: 1100, wantErr: true},
		{name: "bad control keeps descriptor", descChannel: "aeron:ipc", descID: 1100, ctrlID: 5, wantDescID: 1100, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTable(t)
			h := wire.ConsumerHello{StreamID: 7, ConsumerID: 1, SupportsShm: true, Mode: wire.ModeStream,
				DescriptorChannel: tt.descChannel, DescriptorStreamID: tt.descID, ControlChannel: tt.ctrlChannel, ControlStreamID: tt.ctrlID}
			a, ok, err := c.HandleHello(&h, 0)
			if !ok {
				t.Fatal("hello for own stream ignored")
			}
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrInvalidRequest)) {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if a.DescriptorStreamID != tt.wantDescID || a.ControlStreamID != tt.wantCtrl {
				t.Fatalf("assigned %d/%d, want %d/%d", a.DescriptorStreamID, a.ControlStreamID, tt.wantDescID, tt.wantCtrl)
			}
			// A declined request is answered with an empty channel and id 0 (§10.1.3).
			if (a.DescriptorStreamID == 0) != (a.DescriptorChannel == "") || (a.ControlStreamID == 0) != (a.ControlChannel == "") {
				t.Fatalf("half an assignment: %+v", a)
			}
			if !a.UseShm || a.StreamID != 7 || a.ConsumerID != 1 {
				t.Fatalf("assignment %+v", a)
			}
		})
	}
}

func TestWireSpec_10_1_2_MaxRateLimiter(t *testing.T) {
	tests := []struct {
		hz      uint32
		stepNs  int64
		frames  int
		allowed int
	}{
		{hz: 0, stepNs: 1, frames: 1000, allowed: 1000},            // 0 means unlimited
		{hz: 10, stepNs: 1_000_000, frames: 1000, allowed: 10},     // 1 s of 1 kHz frames
		{hz: 1000, stepNs: 1_000_000, frames: 1000, allowed: 1000}, // exactly at the cap
		{hz: 1 << 31, stepNs: 1, frames: 100, allowed: 100},        // beyond 16 bits: a u32 rate
	}
	for _, tt := range tests {
		r := NewRateLimiter(tt.hz)
		var n int
		for i := range tt.frames {
			if r.Allow(int64(i) * tt.stepNs) {
				n++
			}
		}
		if n != tt.allowed {
			t.Errorf("%d Hz: %d of %d frames allowed, want %d", tt.hz, n, tt.frames, tt.allowed)
		}
	}
}

func TestWireSpec_10_1_2_RateLimitedPerConsumerStream(t *testing.T) {
	c, p := newTable(t)
	slow := wire.ConsumerHello{StreamID: 7, ConsumerID: 1, Mode: wire.ModeRateLimited, MaxRateHz: 10, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1101}
	// max_rate_hz binds only RATE_LIMITED: this STREAM consumer gets every frame.
	fast := wire.ConsumerHello{StreamID: 7, ConsumerID: 2, Mode: wire.ModeStream, MaxRateHz: 10, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1102}
	for _, h := range []*wire.ConsumerHello{&slow, &fast} {
		if _, _, err := c.HandleHello(h, 0); err != nil {
			t.Fatal(err)
		}
	}
	f := &frameSide{c: c}
	for i := range 100 {
		f.describe(&wire.FrameDescriptor{StreamID: 7, Seq: uint64(i)}, int64(i)*10_000_000) // 100 Hz for 1 s
	}
	if n := len(collect(p.opened[1101].Pipe)); n != 10 {
		t.Fatalf("rate-limited stream got %d descriptors, want 10", n)
	}
	got := collect(p.opened[1102].Pipe)
	if len(got) != 100 || decodeDescriptor(t, got[99]).Seq != 99 {
		t.Fatalf("unlimited stream got %d descriptors", len(got))
	}
	if k := f.counters; k.RateLimited != 90 || k.Described != 110 {
		t.Fatalf("counters %+v", k)
	}
}

func TestWireSpec_10_1_3_StaleConsumerStreamsClosed(t *testing.T) {
	c, p := newTable(t)
	for id := uint32(1); id <= 2; id++ {
		h := wire.ConsumerHello{StreamID: 7, ConsumerID: id, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1100 + id, ControlChannel: "aeron:ipc", ControlStreamID: 1200 + id}
		if _, _, err := c.HandleHello(&h, 0); err != nil {
			t.Fatal(err)
		}
	}
	f := &frameSide{c: c}
	f.sync()
	c.Touch(7, 2, 4_000_000_000) // a QosConsumer keeps consumer 2 alive
	c.Touch(8, 1, 4_000_000_000) // another stream's QoS does not
	if n := c.Expire(5_000_000_000); n != 1 || c.Len() != 1 {
		t.Fatalf("expired %d, %d left", n, c.Len())
	}
	if p.opened[1101].closed {
		t.Fatal("a stale consumer's stream closed before the frame path let go of it")
	}
	f.sync()
	if !p.opened[1101].closed || !p.opened[1201].closed || p.opened[1102].closed {
		t.Fatal("wrong publications closed")
	}
	f.describe(&wire.FrameDescriptor{StreamID: 7}, 5_000_000_000)
	if len(collect(p.opened[1101].Pipe)) != 0 || len(collect(p.opened[1102].Pipe)) != 1 {
		t.Fatal("descriptor went to a stale consumer")
	}
}

func TestWireSpec_10_1_2_HelloHandling(t *testing.T) {
	c, p := newTable(t)
	h := wire.ConsumerHello{StreamID: 8, ConsumerID: 1}
	if _, ok, _ := c.HandleHello(&h, 0); ok || c.Len() != 0 {
		t.Fatal("hello for another stream handled")
	}
	f := &frameSide{c: c}
	h = wire.ConsumerHello{StreamID: 7, ConsumerID: 1, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1101}
	c.HandleHello(&h, 0)
	c.HandleHello(&h, 1) // a repeated hello keeps the publication
	f.sync()
	if k := c.Counters(); k.Opened != 1 || k.Closed != 0 {
		t.Fatalf("counters %+v", k)
	}
	h.DescriptorStreamID = 1102 // a changed request moves it
	c.HandleHello(&h, 2)
	f.sync()
	if !p.opened[1101].closed || p.opened[1102] == nil {
		t.Fatal("changed request did not move the stream")
	}
	h.ConsumerID = 2
	h.DescriptorStreamID = 1103
	p.fail = errors.New("no driver")
	c.HandleHello(&h, 3)
	if err := f.sync(); err == nil || c.Counters().Declined != 1 {
		t.Fatalf("failed open: %v", err)
	}
	if tg := f.ft.t.Consumers; len(tg) != 1 || tg[0].ConsumerID != 1 {
		t.Fatalf("targets after a failed open: %+v", tg)
	}
	if _, err := NewConsumers(7, 0, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("zero timeout: %v", err)
	}
}

func encodeQosConsumerForTest(streamID, consumerID uint32) []byte {
	return encoded(&wire.QosConsumer{StreamID: streamID, ConsumerID: consumerID, Mode: wire.ModeStream})
}

// TestWireSpec_10_1_3_ProducerAnswersHello drives the producer: hello → ConsumerConfig on
// the control stream → rate-capped descriptors on the consumer's stream → staleness.
func TestWireSpec_10_1_3_ProducerAnswersHello(t *testing.T) {
	clock := &fakeClock{now: 1}
	table, pubs := newTable(t)
	ctrl := newPipe(t)
	p, _, shared := newTestProducer(t, testLayout(), Config{Clock: clock.Now, Control: ctrl, Consumers: table})
	hello := encodeHelloForTest(&wire.ConsumerHello{StreamID: 7, ConsumerID: 4, SupportsShm: true, Mode: wire.ModeRateLimited,
		MaxRateHz: 100, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1104})
	if err := p.HandleControl(hello); err != nil {
		t.Fatal(err)
	}
	msgs := collect(ctrl)
	if len(msgs) != 1 {
		t.Fatalf("%d control messages", len(msgs))
	}
	var cfg wire.ConsumerConfig
	if err := cfg.Decode(msgs[0]); err != nil {
		t.Fatal(err)
	}
	if cfg.ConsumerID != 4 || cfg.DescriptorStreamID != 1104 || cfg.Mode != wire.ModeRateLimited {
		t.Fatalf("ConsumerConfig %+v", cfg)
	}
	payload := make([]byte, 100)
	for range 50 { // 50 frames at 1 kHz against a 100 Hz cap
		clock.now += 1_000_000
		if r := p.Offer(payload, vector(len(payload))); r != OK {
			t.Fatal(r)
		}
	}
	if n := len(collect(shared)); n != 50 {
		t.Fatalf("shared stream got %d descriptors: it is never capped", n)
	}
	if n := len(collect(pubs.opened[1104].Pipe)); n != 5 {
		t.Fatalf("per-consumer stream got %d descriptors, want 5", n)
	}
	if k := p.Counters(); k.PerConsumerRateLimited != 45 {
		t.Fatalf("counters %+v", k)
	}
	if err := p.HandleControl(encodeQosConsumerForTest(7, 4)); err != nil {
		t.Fatal(err)
	}
	p.DoWork(clock.now + 4_000_000_000)
	if table.Len() != 1 {
		t.Fatal("consumer expired despite QoS")
	}
	p.DoWork(clock.now + 5_000_000_000)
	p.Offer(payload, vector(len(payload))) // the frame path lets go of the stale stream
	p.DoWork(clock.now + 5_000_000_000)
	if table.Len() != 0 || !pubs.opened[1104].closed {
		t.Fatal("stale consumer's stream not closed")
	}
	if err := p.HandleControl(hello[:len(hello)-4]); err == nil {
		t.Fatal("truncated hello accepted")
	}
	if _, err := New(heapRegions(t, testLayout()), Config{Descriptors: shared, Consumers: &Consumers{streamID: 8, timeoutNs: 1}}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("table for another stream: %v", err)
	}
}

// FuzzProducerHandleControl: arbitrary control- and QoS-stream bytes never panic the
// producer's hello handling.
func FuzzProducerHandleControl(f *testing.F) {
	table, err := NewConsumers(7, 1, func(string, int32) transport.Pending[transport.Publication] {
		return transport.Ready[transport.Publication](discardPub{}, nil)
	})
	if err != nil {
		f.Fatal(err)
	}
	p, _, _ := newTestProducer(f, testLayout(), Config{Control: discardPub{}, Consumers: table})
	f.Add(encodeHelloForTest(&wire.ConsumerHello{StreamID: 7, ConsumerID: 1, Mode: wire.ModeStream, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1101}))
	f.Add(encodeQosConsumerForTest(7, 1))
	f.Fuzz(func(t *testing.T, msg []byte) {
		p.HandleControl(msg)
		p.DoWork(1 << 62)
	})
}

// discardPub refuses every message as not connected.
type discardPub struct{ transport.Publication }

func (discardPub) TryClaim(int, *transport.Claim) int64 { return transport.NotConnected }
func (discardPub) Offer([]byte) int64                   { return transport.NotConnected }
func (discardPub) Close() error                         { return nil }

// TestWireSpec_10_1_2_RepeatedHelloKeepsCap: periodic hellos must not reopen the rate
// window early.
func TestWireSpec_10_1_2_RepeatedHelloKeepsCap(t *testing.T) {
	c, p := newTable(t)
	h := wire.ConsumerHello{StreamID: 7, ConsumerID: 1, Mode: wire.ModeRateLimited, MaxRateHz: 1, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1101}
	c.HandleHello(&h, 0)
	f := &frameSide{c: c}
	for i := range 10 { // a hello before every frame, ten frames in under a second
		now := int64(i) * 50_000_000
		c.HandleHello(&h, now)
		f.describe(&wire.FrameDescriptor{StreamID: 7, Seq: uint64(i)}, now)
	}
	if n := len(collect(p.opened[1101].Pipe)); n != 1 {
		t.Fatalf("%d descriptors at 1 Hz within 0.5 s", n)
	}
	h.MaxRateHz = 1000 // a changed cap applies at once
	c.HandleHello(&h, 500_000_001)
	f.describe(&wire.FrameDescriptor{StreamID: 7}, 500_000_001)
	if n := len(collect(p.opened[1101].Pipe)); n != 1 {
		t.Fatal("a changed cap did not apply")
	}
}

func encodeConfigForTest(a *wire.ConsumerConfig) []byte { return encoded(a) }

// TestDriverSpec_11_ProducerFollowsDriverAssignment: in driver mode the driver answers a
// hello; the producer only records it (liveness, max_rate_hz) and serves the
// per-consumer streams the driver's ConsumerConfig assigns, until a later config takes
// them back or the consumer goes stale (Wire §10.1.3).
func TestDriverSpec_11_ProducerFollowsDriverAssignment(t *testing.T) {
	clock := &fakeClock{now: 1}
	table, pubs := newTable(t)
	ctrl := newPipe(t)
	p, _, shared := newTestProducer(t, testLayout(), Config{Clock: clock.Now, Control: ctrl, Consumers: table, AssignedByDriver: true})
	hello := encodeHelloForTest(&wire.ConsumerHello{StreamID: 7, ConsumerID: 4, SupportsShm: true, Mode: wire.ModeRateLimited,
		MaxRateHz: 100, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1104})
	if err := p.HandleControl(hello); err != nil {
		t.Fatal(err)
	}
	if n := len(collect(ctrl)); n != 0 || len(pubs.opened) != 0 || table.Len() != 1 {
		t.Fatalf("hello in driver mode: %d control messages sent, %d streams opened, %d consumers", n, len(pubs.opened), table.Len())
	}
	assigned := wire.ConsumerConfig{StreamID: 7, ConsumerID: 4, UseShm: true, Mode: wire.ModeRateLimited,
		DescriptorChannel: "aeron:ipc", DescriptorStreamID: 21000, ControlChannel: "aeron:ipc", ControlStreamID: 22000}
	for _, other := range []wire.ConsumerConfig{{StreamID: 8, ConsumerID: 4, Mode: wire.ModeStream, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 21001}} {
		if err := p.HandleControl(encodeConfigForTest(&other)); err != nil || len(pubs.opened) != 0 {
			t.Fatalf("config for stream %d: %v, %d streams opened", other.StreamID, err, len(pubs.opened))
		}
	}
	if err := p.HandleControl(encodeConfigForTest(&assigned)); err != nil {
		t.Fatal(err)
	}
	if pubs.opened[21000] == nil || pubs.opened[22000] == nil {
		t.Fatalf("assigned streams not opened: %v", pubs.opened)
	}
	if err := p.HandleControl(encodeConfigForTest(&assigned)); err != nil || len(pubs.opened) != 2 || pubs.opened[21000].closed {
		t.Fatalf("the same config again reopened the streams: %v", err)
	}
	payload := make([]byte, 100)
	for range 50 { // 50 frames at 1 kHz against the hello's 100 Hz cap
		clock.now += 1_000_000
		if r := p.Offer(payload, vector(len(payload))); r != OK {
			t.Fatal(r)
		}
	}
	if n, m := len(collect(shared)), len(collect(pubs.opened[21000].Pipe)); n != 50 || m != 5 {
		t.Fatalf("shared stream got %d descriptors (want 50), per-consumer %d (want 5)", n, m)
	}
	if n := len(collect(ctrl)); n != 0 {
		t.Fatalf("%d control messages sent in driver mode", n)
	}
	withdrawn := wire.ConsumerConfig{StreamID: 7, ConsumerID: 4, UseShm: true, Mode: wire.ModeStream}
	if err := p.HandleControl(encodeConfigForTest(&withdrawn)); err != nil {
		t.Fatal(err)
	}
	p.Offer(payload, vector(len(payload))) // the frame path lets go of the withdrawn streams
	p.DoWork(clock.now)
	if !pubs.opened[21000].closed || !pubs.opened[22000].closed {
		t.Fatal("withdrawn assignment left its streams open")
	}
	if err := p.HandleControl(encodeConfigForTest(&assigned)); err != nil || pubs.opened[21000].closed {
		t.Fatalf("reassigned stream not reopened: %v", err)
	}
	p.DoWork(clock.now + 5_000_000_000)
	p.Offer(payload, vector(len(payload)))
	p.DoWork(clock.now + 5_000_000_000)
	if table.Len() != 0 || !pubs.opened[21000].closed || !pubs.opened[22000].closed {
		t.Fatal("stale consumer's assigned streams not closed")
	}
	cfg := encodeConfigForTest(&assigned)
	if err := p.HandleControl(cfg[:len(cfg)-3]); err == nil {
		t.Fatal("truncated ConsumerConfig accepted")
	}
	if k := table.Counters(); k.Configs != 4 || k.Hellos != 1 {
		t.Fatalf("counters %+v", k)
	}
}

// Close retires every per-consumer publication: the producer is going away.
func TestConsumersCloseClosesEveryStream(t *testing.T) {
	c, p := newTable(t)
	for id := uint32(1); id <= 2; id++ {
		h := wire.ConsumerHello{StreamID: 7, ConsumerID: id, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1100 + id, ControlChannel: "aeron:ipc", ControlStreamID: 1200 + id}
		if _, _, err := c.HandleHello(&h, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Poll(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	for _, pub := range c.TakeRetiring() {
		pub.Close()
	}
	for id, pub := range p.opened {
		if !pub.closed {
			t.Fatalf("stream %d left open", id)
		}
	}
	if c.Len() != 0 || len(p.opened) != 4 {
		t.Fatalf("%d consumers left, %d streams opened", c.Len(), len(p.opened))
	}
}

// §10.2.1 with per-consumer streams: a frame is published once any descriptor went out,
// so a shared stream nobody reads (every consumer moved to its own) drops nothing; when
// no descriptor goes out at all, the shared stream's refusal drops the frame.
func TestWireSpec_10_2_1_PublishedOnAnyDescriptorStream(t *testing.T) {
	clock := &fakeClock{now: 1}
	table, pubs := newTable(t)
	p, _, _ := newTestProducer(t, testLayout(), Config{Clock: clock.Now, Consumers: table, AssignedByDriver: true,
		Descriptors: &refusing{code: transport.NotConnected}})
	hello := wire.ConsumerHello{StreamID: 7, ConsumerID: 4, Mode: wire.ModeRateLimited, MaxRateHz: 10}
	table.ObserveHello(&hello, clock.now)
	if ok, err := table.Apply(&wire.ConsumerConfig{StreamID: 7, ConsumerID: 4, Mode: wire.ModeStream, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 21000}, clock.now); !ok || err != nil {
		t.Fatal(ok, err)
	}
	p.DoWork(clock.now) // the controller completes the stream and hands it to the frame path
	if r := p.Offer(make([]byte, 8), vector(8)); r != OK || p.Seq() != 1 {
		t.Fatalf("frame with only a per-consumer reader: %v, seq %d", r, p.Seq())
	}
	if n := len(collect(pubs.opened[21000].Pipe)); n != 1 {
		t.Fatalf("per-consumer stream got %d descriptors", n)
	}
	clock.now += 1_000_000 // within the 10 Hz cap's period: nothing goes out
	if r := p.Offer(make([]byte, 8), vector(8)); r != DropNotConnected || p.Seq() != 1 {
		t.Fatalf("frame no stream took: %v, seq %d", r, p.Seq())
	}
}

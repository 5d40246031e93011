// Package hosttest is a whole tensorpool host in memory for the tests of the roles that
// sit between streams (the bridge, the rate limiter): an SHM driver (agents/driver),
// driver-attached producers and consumers, and the role under test, all on one duty
// cycle the test turns, over transport/mem. Nothing but tests imports it.
package hosttest

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/consumer"
	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/agents/internal/remat"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/wire"
)

// The host's fixed streams: every local stream is on Channel.
const (
	Channel     = "aeron:ipc"
	Control     = 1000 // the SHM driver's control and announce stream
	Descriptors = 1100
	Metadata    = 1300
	Slots       = 16 // header slots of every stream
	Timeout     = 20 * time.Second
)

// Strides are the payload pools of every stream.
var Strides = []uint32{4096, 1 << 20}

var ids atomic.Uint32

func init() { ids.Store(100) }

// ClientID hands out driver client ids for a host's own producers and consumers, below
// one million; a role under test takes its ids from ClientIDBase.
func ClientID() uint32 { return ids.Add(1) }

// ClientIDBase is a first client id for a role under test, apart from every other's.
func ClientIDBase() uint32 { return 1_000_000 + 1000*ids.Add(1) }

// Host is an SHM driver and a process on one in-memory media driver.
type Host struct {
	t      testing.TB
	Client transport.Client
	Proc   *process.Process
	Base   string // the SHM driver's base directory
	drv    *driver.Agent
	drvInv *agent.Invoker
}

// New starts a host whose driver serves the given streams, each with Slots slots and
// pools of Strides.
func New(t testing.TB, streams ...uint32) *Host {
	t.Helper()
	var specs []config.StreamSpec
	for _, s := range streams {
		specs = append(specs, config.StreamSpec{StreamID: s, Slots: Slots, Strides: Strides})
	}
	return NewWith(t, specs...)
}

// NewWith starts a host whose driver serves the streams specs describe.
func NewWith(t testing.TB, specs ...config.StreamSpec) *Host {
	t.Helper()
	base := t.TempDir()
	dcfg, err := config.Local(base, Control, specs...)
	if err != nil {
		t.Fatal(err)
	}
	md := mem.NewDriver(mem.Config{TermLength: 1 << 20})
	drvClient := md.Connect(mem.ClientConfig{})
	t.Cleanup(func() { drvClient.Close() })
	drv, err := driver.NewAgent(context.Background(), dcfg, drvClient, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	h := &Host{t: t, drv: drv, drvInv: agent.NewInvoker(drv, nil, nil), Base: base}
	t.Cleanup(h.drvInv.Close)
	h.Client = md.Connect(mem.ClientConfig{UseInvoker: true})
	h.Proc = process.New(h.Client, process.Config{})
	t.Cleanup(func() {
		h.Proc.Close()
		h.Client.Close()
	})
	return h
}

// Cycle runs the driver's and the process's duty cycles once.
func (h *Host) Cycle() int { return h.drvInv.Invoke() + h.Proc.DoWork() }

// Until runs cycles until cond, evaluated on the duty cycle, holds; it fails the test
// after Timeout.
func (h *Host) Until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		met := false
		if err := h.Proc.Do(func() { met = cond() }); err != nil {
			h.t.Fatal(err)
		}
		if h.Cycle() == 0 {
			time.Sleep(50 * time.Microsecond)
		}
		if met {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Producer is a driver-attached producer of a stream on the host's duty cycle.
type Producer struct {
	D *remat.Dest
}

func (p *Producer) OnStart(proc *process.Process) { p.D.Start(proc); p.D.Attach() }
func (p *Producer) DoWork(now clock.Mono) int     { return p.D.DoWork(now) }
func (p *Producer) OnClose()                      { p.D.Close() }
func (p *Producer) RoleName() string              { return "hosttest-producer" }

// AddProducer attaches a producer of stream and waits until it can publish.
func (h *Host) AddProducer(stream uint32) *Producer {
	h.t.Helper()
	return h.AddProducerAs(stream, wire.V1_1)
}

// AddProducerAs is AddProducer with the producer speaking wire version v.
func (h *Host) AddProducerAs(stream uint32, v wire.Version) *Producer {
	h.t.Helper()
	d, err := remat.New(remat.Config{
		StreamID: stream, ClientID: ClientID,
		Control:         controlplane.Endpoint{Channel: Channel, StreamID: Control},
		Descriptors:     controlplane.Endpoint{Channel: Channel, StreamID: Descriptors},
		AllowedBaseDirs: []string{h.Base},
		WireVersion:     v,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	p := &Producer{D: d}
	if err := h.Proc.Add(p); err != nil {
		h.t.Fatal(err)
	}
	h.Until(fmt.Sprintf("producer of stream %d attached", stream), func() bool { return d.Producer() != nil })
	return p
}

// Offer publishes a frame of n Pattern bytes, with meta_version seq+5; it runs on the
// duty cycle's goroutine (the test's). res is "" or why the frame was not published.
func (p *Producer) Offer(n int) (seq uint64, res string) { return p.OfferTraced(n, 0) }

// OfferTraced is Offer of a frame with trace id traceID (0: none), which only a producer
// speaking v1.2 carries.
func (p *Producer) OfferTraced(n int, traceID uint64) (seq uint64, res string) {
	prod := p.D.Producer()
	if prod == nil {
		return 0, "not attached"
	}
	c, r := prod.Claim(n)
	if r != 0 {
		return 0, r.String()
	}
	FillPattern(c.Payload(), c.Seq())
	c.SetMetaVersion(uint32(c.Seq()) + 5)
	c.SetTraceID(traceID)
	seq = c.Seq()
	tensor := shm.TensorHeader{Dtype: shm.DtypeUint8, MajorOrder: shm.MajorOrderRow, Ndims: 1, Dims: [shm.MaxDims]int32{int32(n)}}
	if r := prod.Commit(c, &tensor); r != 0 {
		return 0, r.String()
	}
	return seq, ""
}

// FillPattern writes what CheckPattern checks: the seq in the first 8 bytes, then bytes
// derived from seq and position, so bytes of two frames never pass for one.
func FillPattern(b []byte, seq uint64) {
	for i := range b {
		if i < 8 {
			b[i] = byte(seq >> (8 * i))
		} else {
			b[i] = byte(seq*7 + uint64(i))
		}
	}
}

// CheckPattern reports whether b is what FillPattern wrote for seq.
func CheckPattern(b []byte, seq uint64) bool {
	for i := range b {
		want := byte(seq*7 + uint64(i))
		if i < 8 {
			want = byte(seq >> (8 * i))
		}
		if b[i] != want {
			return false
		}
	}
	return true
}

// Consumer is a driver-attached consumer of a stream that checks every frame it reads
// against the pattern.
type Consumer struct {
	A       *consumer.Agent
	Frames  []Frame
	Bad     int
	scratch []byte
}

// Frame is what a Consumer noted of a frame it read: Version and TraceID are its
// FrameDescriptor's.
type Frame struct {
	Seq, Epoch, TimestampNs uint64
	MetaVersion             uint32
	Len                     int
	Version                 wire.Version
	TraceID                 uint64
}

// Last is the frame read last, the zero Frame before any.
func (c *Consumer) Last() Frame {
	if len(c.Frames) == 0 {
		return Frame{}
	}
	return c.Frames[len(c.Frames)-1]
}

// AddConsumer attaches a consumer of stream and waits until it is started.
func (h *Host) AddConsumer(stream uint32) *Consumer {
	h.t.Helper()
	return h.AddConsumerAs(stream, consumer.Config{})
}

// AddConsumerAs is AddConsumer with cfg's mode and rate (its stream, id and directories
// are the host's).
func (h *Host) AddConsumerAs(stream uint32, cfg consumer.Config) *Consumer {
	h.t.Helper()
	s := &Consumer{scratch: make([]byte, 1<<20), Frames: make([]Frame, 0, 1<<16)}
	cfg.StreamID, cfg.AllowedBaseDirs = stream, []string{h.Base}
	if cfg.ConsumerID == 0 {
		cfg.ConsumerID = ClientID()
	}
	a, err := consumer.NewAgent(consumer.AgentConfig{
		Consumer:    cfg,
		Control:     controlplane.Endpoint{Channel: Channel, StreamID: Control},
		Descriptors: controlplane.Endpoint{Channel: Channel, StreamID: Descriptors},
		Lease:       true,
	}, func(f *consumer.Frame) {
		n := copy(s.scratch, f.Payload)
		if !f.Valid() {
			return
		}
		if !CheckPattern(s.scratch[:n], f.Seq) {
			s.Bad++
			return
		}
		s.Frames = append(s.Frames, Frame{Seq: f.Seq, Epoch: f.Epoch, TimestampNs: f.TimestampNs, MetaVersion: f.MetaVersion, Len: n,
			Version: f.Version, TraceID: f.TraceID})
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.Proc.Add(a); err != nil {
		h.t.Fatal(err)
	}
	s.A = a
	h.Until(fmt.Sprintf("consumer of stream %d started", stream), func() bool {
		ok, err := a.Started()
		if err != nil {
			h.t.Fatal(err)
		}
		return ok
	})
	return s
}

// Subscribe adds a subscription of the host's transport, for a test to watch a stream.
func (h *Host) Subscribe(channel string, stream int32) transport.Subscription {
	h.t.Helper()
	return await(h, h.Client.AddSubscription(channel, stream))
}

// Publication adds a publication of the host's transport.
func (h *Host) Publication(channel string, stream int32) transport.Publication {
	h.t.Helper()
	return await(h, h.Client.AddPublication(channel, stream))
}

func await[T any](h *Host, p transport.Pending[T]) T {
	h.t.Helper()
	var v T
	done := false
	h.Until("an add", func() bool {
		got, err := p.Poll()
		if err == nil {
			v, done = got, true
		}
		return done
	})
	return v
}

// OfferAll offers msg on pub, running cycles until it goes out.
func (h *Host) OfferAll(pub transport.Publication, msg []byte) {
	h.t.Helper()
	h.Until("an offer", func() bool { return pub.Offer(msg) > 0 })
}

// Watched is a message a test read off a stream, and its publication's session.
type Watched struct {
	Msg     []byte
	Session int32
}

// Drain appends copies of the messages sub holds to out.
func Drain(sub transport.Subscription, out *[]Watched) {
	sub.Poll(func(msg []byte, h *transport.Header) {
		*out = append(*out, Watched{Msg: append([]byte(nil), msg...), Session: h.SessionID})
	}, 1000)
}

// Encode encodes a wire message into a new buffer.
func Encode(t testing.TB, m interface {
	EncodedLength() int
	Encode([]byte) (int, error)
}) []byte {
	t.Helper()
	buf := make([]byte, m.EncodedLength())
	if _, err := m.Encode(buf); err != nil {
		t.Fatal(err)
	}
	return buf
}

package bridge

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
)

// The rig is a whole host in memory, one goroutine: an SHM driver, a producer of the
// source stream, a bridge with both halves (its UDP channels are in-memory streams too)
// and a consumer of the destination stream, on one duty cycle the test turns.

const (
	rigSource   = 10000
	rigDest     = 20000
	rigSlots    = 16
	rigControl  = 1000
	rigDescs    = 1100
	rigMetadata = 1300
	rigTimeout  = 20 * time.Second
)

var rigIDs atomic.Uint32

func init() { rigIDs.Store(100) }

type rig struct {
	t      *testing.T
	md     *mem.Driver
	client transport.Client
	proc   *process.Process
	drv    *driver.Agent
	drvInv *agent.Invoker
	base   string
}

// newRig starts a host whose driver serves the source stream and the given destination
// streams.
func newRig(t *testing.T, dests ...uint32) *rig {
	t.Helper()
	base := t.TempDir()
	specs := []config.StreamSpec{{StreamID: rigSource, Slots: rigSlots, Strides: []uint32{4096, 1 << 20}}}
	for _, d := range dests {
		specs = append(specs, config.StreamSpec{StreamID: d, Slots: rigSlots, Strides: []uint32{4096, 1 << 20}})
	}
	dcfg, err := config.Local(base, rigControl, specs...)
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
	r := &rig{t: t, md: md, drv: drv, drvInv: agent.NewInvoker(drv, nil, nil), base: base}
	t.Cleanup(r.drvInv.Close)
	r.client = md.Connect(mem.ClientConfig{UseInvoker: true})
	r.proc = process.New(r.client, process.Config{})
	t.Cleanup(func() {
		r.proc.Close()
		r.client.Close()
	})
	return r
}

// cycle runs the driver's and the process's duty cycles once.
func (r *rig) cycle() int { return r.drvInv.Invoke() + r.proc.DoWork() }

// until runs cycles until cond, evaluated on the duty cycle, holds.
func (r *rig) until(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(rigTimeout)
	for {
		met := false
		if err := r.proc.Do(func() { met = cond() }); err != nil {
			r.t.Fatal(err)
		}
		if r.cycle() == 0 {
			time.Sleep(50 * time.Microsecond)
		}
		if met {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// bridgeConfig is a both-halves bridge of the rig's source onto dest (0: from the range
// 20000-20009), its "UDP" channels in-memory streams.
func (r *rig) bridgeConfig(dest uint32) *config.BridgeConfig {
	cfg := config.DefaultBridge()
	b := &cfg.Bridge
	b.InstanceID = "rig"
	b.PayloadChannel, b.PayloadStreamID = "aeron:udp?endpoint=localhost:40456", 3000
	b.ControlChannel, b.ControlStreamID = "aeron:udp?endpoint=localhost:40457", 3001
	b.MetadataChannel, b.MetadataStreamID = "aeron:udp?endpoint=localhost:40458", 3002
	b.ForwardQos, b.ForwardProgress = true, true
	b.DriverControlChannel, b.DriverControlStreamID = "aeron:ipc", rigControl
	b.LocalChannel, b.DescriptorStreamID = "aeron:ipc", rigDescs
	b.AllowedBaseDirs = []string{r.base}
	b.ClientID = 1_000_000 + 1000*rigIDs.Add(1) // apart from the rig's own clients
	b.ChunkBytes = 1000
	if dest == 0 {
		b.DestStreamIDRange = config.StreamIDRange{First: 20000, Last: 20009}
	}
	cfg.Mappings = []config.BridgeMapping{{SourceStreamID: rigSource, DestStreamID: dest, SourceControlStreamID: 1201, DestControlStreamID: 2201}}
	return cfg
}

// addBridge hosts a bridge of cfg in the rig's process.
func (r *rig) addBridge(cfg *config.BridgeConfig) *Bridge {
	r.t.Helper()
	b, err := New(cfg, Options{})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := b.Add(r.proc); err != nil {
		r.t.Fatal(err)
	}
	return b
}

// producer is a driver-attached producer of a stream on the rig's duty cycle.
type producerAgent struct {
	d *remat.Dest
}

func (p *producerAgent) OnStart(proc *process.Process) { p.d.Start(proc); p.d.Attach() }
func (p *producerAgent) DoWork(now clock.Mono) int     { return p.d.DoWork(now) }
func (p *producerAgent) OnClose()                      { p.d.Close() }
func (p *producerAgent) RoleName() string              { return "rig-producer" }

// addProducer attaches a producer of stream and waits until it can publish.
func (r *rig) addProducer(stream uint32) *producerAgent {
	r.t.Helper()
	d, err := remat.New(remat.Config{
		StreamID: stream, ClientID: func() uint32 { return rigIDs.Add(1) },
		Control:         controlplane.Endpoint{Channel: "aeron:ipc", StreamID: rigControl},
		Descriptors:     controlplane.Endpoint{Channel: "aeron:ipc", StreamID: rigDescs},
		AllowedBaseDirs: []string{r.base},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	p := &producerAgent{d: d}
	if err := r.proc.Add(p); err != nil {
		r.t.Fatal(err)
	}
	r.until(fmt.Sprintf("producer of stream %d attached", stream), func() bool { return d.Producer() != nil })
	return p
}

// offer publishes a frame of n pattern bytes on the duty cycle's goroutine (the test's).
func (p *producerAgent) offer(n int) (seq uint64, res string) {
	prod := p.d.Producer()
	if prod == nil {
		return 0, "not attached"
	}
	c, r := prod.Claim(n)
	if r != 0 {
		return 0, r.String()
	}
	fillPattern(c.Payload(), c.Seq())
	c.SetMetaVersion(uint32(c.Seq()) + 5)
	seq = c.Seq()
	tensor := shm.TensorHeader{Dtype: shm.DtypeUint8, MajorOrder: shm.MajorOrderRow, Ndims: 1, Dims: [shm.MaxDims]int32{int32(n)}}
	if r := prod.Commit(c, &tensor); r != 0 {
		return 0, r.String()
	}
	return seq, ""
}

// fillPattern writes what checkPattern checks: the seq in the first 8 bytes, then bytes
// derived from seq and position, so bytes of two frames never pass for one.
func fillPattern(b []byte, seq uint64) {
	for i := range b {
		if i < 8 {
			b[i] = byte(seq >> (8 * i))
		} else {
			b[i] = byte(seq*7 + uint64(i))
		}
	}
}

func checkPattern(b []byte, seq uint64) bool {
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

// sink is a consumer of a destination stream that checks every frame it reads.
type sinkConsumer struct {
	a       *consumer.Agent
	frames  []rigFrame
	bad     int
	scratch []byte
}

type rigFrame struct {
	seq, epoch, ts uint64
	meta           uint32
	n              int
}

func (r *rig) addConsumer(stream uint32) *sinkConsumer {
	r.t.Helper()
	s := &sinkConsumer{scratch: make([]byte, 1<<20)}
	a, err := consumer.NewAgent(consumer.AgentConfig{
		Consumer:    consumer.Config{StreamID: stream, ConsumerID: rigIDs.Add(1), AllowedBaseDirs: []string{r.base}},
		Control:     controlplane.Endpoint{Channel: "aeron:ipc", StreamID: rigControl},
		Descriptors: controlplane.Endpoint{Channel: "aeron:ipc", StreamID: rigDescs},
		Lease:       true,
	}, func(f *consumer.Frame) {
		n := copy(s.scratch, f.Payload)
		if !f.Valid() {
			return
		}
		if !checkPattern(s.scratch[:n], f.Seq) {
			s.bad++
			return
		}
		s.frames = append(s.frames, rigFrame{seq: f.Seq, epoch: f.Epoch, ts: f.TimestampNs, meta: f.MetaVersion, n: n})
	})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.proc.Add(a); err != nil {
		r.t.Fatal(err)
	}
	s.a = a
	r.until(fmt.Sprintf("consumer of stream %d started", stream), func() bool {
		ok, err := a.Started()
		if err != nil {
			r.t.Fatal(err)
		}
		return ok
	})
	return s
}

// poll reads the destination until n frames arrived (or fails the test).
func (r *rig) poll(s *sinkConsumer, n int) {
	r.t.Helper()
	r.until(fmt.Sprintf("%d frames", n), func() bool {
		s.a.Poll(64)
		return len(s.frames) >= n || s.bad > 0
	})
	if s.bad > 0 {
		r.t.Fatalf("%d frames failed the pattern check", s.bad)
	}
}

// subscribe adds a subscription of the rig's transport, for a test to watch a stream.
func (r *rig) subscribe(channel string, stream int32) transport.Subscription {
	r.t.Helper()
	p := r.client.AddSubscription(channel, stream)
	var sub transport.Subscription
	r.until(fmt.Sprintf("subscription to %s %d", channel, stream), func() bool {
		s, err := p.Poll()
		if err == nil {
			sub = s
		}
		return sub != nil
	})
	return sub
}

// publication adds a publication of the rig's transport.
func (r *rig) publication(channel string, stream int32) transport.Publication {
	r.t.Helper()
	p := r.client.AddPublication(channel, stream)
	var pub transport.Publication
	r.until(fmt.Sprintf("publication on %s %d", channel, stream), func() bool {
		s, err := p.Poll()
		if err == nil {
			pub = s
		}
		return pub != nil
	})
	return pub
}

// drain collects copies of the messages sub holds.
func drain(sub transport.Subscription, out *[]watched) {
	sub.Poll(func(msg []byte, h *transport.Header) {
		*out = append(*out, watched{msg: append([]byte(nil), msg...), session: h.SessionID})
	}, 1000)
}

type watched struct {
	msg     []byte
	session int32
}

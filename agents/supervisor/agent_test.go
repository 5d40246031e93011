package supervisor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/wire"
)

// rig is a supervisor Agent on an invoker-mode process over an in-memory transport, and a
// test client playing the driver's announces and a consumer's hellos and QoS.
type rig struct {
	t       *testing.T
	server  *mem.Client
	client  *mem.Client
	proc    *process.Process
	agent   *Agent
	now     clock.Mono
	control transport.Publication
	qos     transport.Publication
	watch   transport.Subscription
}

func newRig(t *testing.T, cfg config.SupervisorConfig) *rig {
	d := mem.NewDriver(mem.Config{})
	r := &rig{t: t, now: clock.Mono(100 * sec)}
	r.server = d.Connect(mem.ClientConfig{UseInvoker: true})
	r.client = d.Connect(mem.ClientConfig{UseInvoker: true})
	t.Cleanup(func() { _ = r.client.Close(); _ = r.server.Close() })
	clk := func() clock.Mono { return r.now }
	r.proc = process.New(r.server, process.Config{Clock: clk})
	t.Cleanup(func() { _ = r.proc.Close() })
	r.agent = New(cfg, nil, clk)
	require.NoError(t, r.proc.Add(r.agent))
	r.control = await(r, r.client.AddExclusivePublication(cfg.AeronURI, int32(cfg.ControlStreamID)))
	r.qos = await(r, r.client.AddExclusivePublication(cfg.AeronURI, int32(cfg.QosStreamID)))
	r.watch = await(r, r.client.AddSubscription(cfg.AeronURI, int32(cfg.ControlStreamID)))
	r.cycles(10)
	return r
}

func await[T any](r *rig, p transport.Pending[T]) T {
	r.t.Helper()
	for range 100 {
		r.cycle(time.Millisecond)
		v, err := p.Poll()
		if err == nil {
			return v
		}
		if !errors.Is(err, transport.ErrPending) {
			r.t.Fatal(err)
		}
	}
	r.t.Fatal("add never completed")
	var zero T
	return zero
}

func (r *rig) cycle(d time.Duration) {
	r.now = r.now.Add(d)
	r.client.Conductor().DoWork(r.now)
	r.proc.DoWork()
}

func (r *rig) cycles(n int) {
	for range n {
		r.cycle(time.Millisecond)
	}
}

func (r *rig) send(pub transport.Publication, m interface {
	EncodedLength() int
	Encode([]byte) (int, error)
}) {
	r.t.Helper()
	buf := make([]byte, m.EncodedLength())
	_, err := m.Encode(buf)
	require.NoError(r.t, err)
	for range 10 {
		if res := pub.Offer(buf); res >= 0 {
			return
		} else if res != transport.AdminAction {
			r.t.Fatal(transport.ResultName(res))
		}
	}
}

// configs reads the ConsumerConfigs on the control stream, and the sessions they came from.
func (r *rig) configs() (out []wire.ConsumerConfig, sessions []int32) {
	for r.watch.Poll(func(msg []byte, h *transport.Header) {
		hdr, _ := wire.PeekHeader(msg)
		if hdr.ID() != wire.ConsumerConfigID {
			return
		}
		var c wire.ConsumerConfig
		require.NoError(r.t, c.Decode(msg))
		out = append(out, c)
		sessions = append(sessions, h.SessionID)
	}, 100) > 0 {
	}
	return out, sessions
}

// Over the transport: the supervisor takes announces, hellos and QoS from their streams,
// moves a consumer that falls behind to RATE_LIMITED with a ConsumerConfig of its own
// session, is not fooled by its own config coming back, restores the consumer once it
// keeps up, and its view and metrics say so.
func TestAgent_MovesASlowConsumerAndRestoresIt(t *testing.T) {
	cfg := testConfig()
	cfg.AeronURI = "aeron:ipc"
	cfg.Policy.MinLimitedNs = uint64(5 * sec)
	r := newRig(t, cfg)
	r.send(r.control, &wire.ShmPoolAnnounce{StreamID: 10000, ProducerID: 11, Epoch: 1, AnnounceClockDomain: wire.ClockMonotonic, HeaderNslots: 64, HeaderSlotBytes: 256})
	r.send(r.control, &wire.ConsumerHello{StreamID: 10000, ConsumerID: 21, Mode: wire.ModeStream, MaxRateHz: 25})
	mode := wire.ModeStream
	var seq, drops uint64
	second := func(slow bool) {
		seq += 1000
		if slow {
			drops += 50
		}
		r.send(r.qos, &wire.QosProducer{StreamID: 10000, ProducerID: 11, Epoch: 1, CurrentSeq: seq})
		r.send(r.qos, &wire.QosConsumer{StreamID: 10000, ConsumerID: 21, Epoch: 1, LastSeqSeen: seq, DropsLate: drops, Mode: mode})
		for range 10 {
			r.cycle(100 * time.Millisecond)
		}
		got, _ := r.configs()
		for _, c := range got {
			mode = c.Mode // the consumer applies it
		}
	}
	second(false)
	for range 4 {
		second(true)
	}
	require.Equal(t, wire.ModeRateLimited, mode, "moved")
	m := r.agent.Metrics()
	assert.Equal(t, uint64(1), m.MovedToRateLimited.Load())
	assert.Equal(t, uint64(1), m.Limited.Load())
	c := r.agent.policy.consumers[Key{10000, 21}]
	assert.Equal(t, AuthorityNone, c.Authority, "its own config is not another authority's")
	for range 6 {
		second(false)
	}
	assert.Equal(t, wire.ModeStream, mode, "restored after keeping up for the hold")
	assert.Equal(t, uint64(1), m.Restored.Load())
	assert.Equal(t, uint64(2), m.ConfigsSent.Load())
	assert.Equal(t, uint64(1), m.Producers.Load())
	assert.Equal(t, uint64(1), m.Consumers.Load())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	view, err := r.agent.Snapshot(ctx, r.proc)
	require.NoError(t, err)
	require.Len(t, view.Consumers, 1)
	assert.Equal(t, uint32(25), view.Consumers[0].MaxRateHz)
	assert.Equal(t, uint64(1), view.Consumers[0].Restores)
	require.Len(t, view.Producers, 1)
	assert.InDelta(t, 1000, view.Producers[0].RateHz, 1)
}

// Configs come from the supervisor's exclusive publication: a session no other sender
// shares, which its own route recognises.
func TestAgent_ConfigsComeFromASessionOfItsOwn(t *testing.T) {
	cfg := testConfig()
	cfg.AeronURI = "aeron:ipc"
	cfg.Policy.DescriptorStreamIDRange = config.StreamIDRange{First: 33000, Last: 33009}
	r := newRig(t, cfg)
	r.send(r.control, &wire.ConsumerHello{StreamID: 10000, ConsumerID: 21, Mode: wire.ModeStream, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 33005})
	for range 5 {
		r.cycle(100 * time.Millisecond)
	}
	got, sessions := r.configs()
	require.Len(t, got, 1)
	assert.Equal(t, uint32(33005), got[0].DescriptorStreamID)
	assert.Equal(t, r.agent.pub.SessionID(), sessions[0])
	assert.NotEqual(t, r.control.SessionID(), sessions[0])
	assert.Equal(t, AuthoritySupervisor, r.agent.policy.consumers[Key{10000, 21}].Authority)
	assert.Equal(t, uint64(1), r.agent.Metrics().Assigned.Load())
}

// Malformed messages are counted and change nothing.
func TestAgent_MalformedMessagesAreCounted(t *testing.T) {
	cfg := testConfig()
	cfg.AeronURI = "aeron:ipc"
	r := newRig(t, cfg)
	hello := &wire.ConsumerHello{StreamID: 10000, ConsumerID: 21}
	buf := make([]byte, hello.EncodedLength())
	_, _ = hello.Encode(buf)
	require.Positive(t, r.control.Offer(buf[:20]))
	r.cycles(5)
	assert.Equal(t, uint64(1), r.agent.Metrics().Malformed.Load())
	assert.Empty(t, r.agent.policy.consumers)
}

// The metrics are Aeron counters with the type ids 1060-1069.
func TestAgent_MetricsAreAeronCounters(t *testing.T) {
	for i, info := range MetricInfos() {
		assert.Equal(t, int32(1060+i), info.TypeID)
	}
	cfg := testConfig()
	cfg.AeronURI = "aeron:ipc"
	r := newRig(t, cfg)
	assert.Len(t, r.agent.publisher.Counters(), 10)
}

package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/internal/metrics"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// tickEvery paces the policy's timers: restores, assignments and liveness are judged at
// this resolution (the liveness timeout is seconds).
const tickEvery = 100 * time.Millisecond

// Agent is the supervisor as an agent of a process: routes on the control plane carry
// announces, hellos, ConsumerConfigs and QoS to the Policy, and it sends the
// ConsumerConfigs the policy decides on an exclusive publication of its own (so its
// messages are told apart from the driver's and producers'). It never waits: a config
// the control stream refuses is retried on the next cycles, then dropped and counted.
type Agent struct {
	cfg    config.SupervisorConfig
	log    *slog.Logger
	clock  func() clock.Mono
	policy *Policy

	proc      *process.Process
	routes    []*controlplane.Route
	pending   transport.Pending[transport.Publication]
	pub       transport.Publication
	retryAt   clock.Mono
	outbox    []wire.ConsumerConfig
	buf       []byte
	publisher *metrics.Publisher
	metrics   Metrics

	announce wire.ShmPoolAnnounce
	hello    wire.ConsumerHello
	config   wire.ConsumerConfig
	qp       wire.QosProducer
	qc       wire.QosConsumer
	nextTick int64
}

// maxOutbox bounds the configs waiting for the control stream; beyond it they are dropped.
const maxOutbox = 256

// New makes the supervisor of a validated configuration; add it to a process to run it.
// log nil discards what it says; now nil is clock.Now.
func New(cfg config.SupervisorConfig, log *slog.Logger, now func() clock.Mono) *Agent {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = clock.Now
	}
	return &Agent{cfg: cfg, log: log.With("role", "supervisor"), clock: now, policy: NewPolicy(cfg), buf: make([]byte, 1024)}
}

// Metrics are the supervisor's counters; any goroutine may read them.
func (a *Agent) Metrics() *Metrics { return &a.metrics }

// RoleName implements agent.Agent.
func (a *Agent) RoleName() string { return "tp-supervisor" }

func (a *Agent) endpoint(stream uint32) controlplane.Endpoint {
	return controlplane.Endpoint{Channel: a.cfg.AeronURI, StreamID: int32(stream)}
}

// OnStart implements process.Starter.
func (a *Agent) OnStart(p *process.Process) {
	a.proc = p
	hub := p.Hub()
	control := a.endpoint(a.cfg.ControlStreamID)
	a.routes = append(a.routes,
		hub.Route(control, controlplane.Messages(wire.ConsumerHelloID, wire.ConsumerConfigID), a.onControl),
		hub.Route(a.endpoint(a.cfg.AnnounceStreamID), controlplane.Messages(wire.ShmPoolAnnounceID), a.onAnnounce),
		hub.Route(a.endpoint(a.cfg.QosStreamID), controlplane.Messages(wire.QosProducerID, wire.QosConsumerID), a.onQos),
	)
	a.pending = p.Transport().AddExclusivePublication(control.Channel, control.StreamID)
	a.publisher = metrics.Publish(p.Transport(), a.metrics.list(), "supervisor", "supervisor", metrics.Key(a.cfg.ControlStreamID, "supervisor"))
	a.log.Info("supervisor ready", "control", control.String(), "announces", a.cfg.AnnounceStreamID, "qos", a.cfg.QosStreamID,
		"stream", a.cfg.StreamID, "rate_limit_slow_consumers", a.cfg.Policy.RateLimitSlowConsumers)
}

// DoWork implements agent.Agent.
func (a *Agent) DoWork(now clock.Mono) int {
	work := a.addPublication(now)
	if nowNs := int64(now); nowNs >= a.nextTick {
		a.nextTick = nowNs + int64(tickEvery)
		work += a.act(a.policy.Tick(nowNs))
		a.metrics.Producers.Set(int64(len(a.policy.producers)))
		a.metrics.Consumers.Set(int64(len(a.policy.consumers)))
		a.metrics.Limited.Set(int64(a.policy.Limited()))
	}
	work += a.flush()
	if a.publisher != nil {
		work += a.publisher.Poll()
		if err := a.publisher.Err(); err != nil {
			a.log.Warn("some metrics are not published as Aeron counters", "err", err)
		}
	}
	return work
}

func (a *Agent) addPublication(now clock.Mono) int {
	if a.pub != nil {
		return 0
	}
	if a.pending == nil {
		if now.Before(a.retryAt) {
			return 0
		}
		a.pending = a.proc.Transport().AddExclusivePublication(a.cfg.AeronURI, int32(a.cfg.ControlStreamID))
	}
	pub, err := a.pending.Poll()
	switch {
	case errors.Is(err, transport.ErrPending):
		return 0
	case err != nil:
		a.pending, a.retryAt = nil, now.Add(time.Second)
		a.log.Warn("control publication refused; retrying", "err", err)
		return 0
	}
	a.pending, a.pub = nil, pub
	return 1
}

// OnClose implements agent.Agent.
func (a *Agent) OnClose() {
	for _, r := range a.routes {
		r.Close()
	}
	a.routes = nil
	if a.pending != nil {
		a.pending.Cancel()
	}
	if a.pub != nil {
		_ = a.pub.Close() // best effort: the supervisor is going away
	}
	if a.publisher != nil {
		a.publisher.Close()
	}
}

func (a *Agent) onControl(msg []byte, h wire.Header, from *transport.Header) {
	nowNs := int64(a.clock())
	switch h.ID() {
	case wire.ConsumerHelloID:
		if a.hello.Decode(msg) != nil {
			a.metrics.Malformed.Add(1)
			return
		}
		a.policy.Hello(&a.hello, nowNs)
	case wire.ConsumerConfigID:
		if a.config.Decode(msg) != nil {
			a.metrics.Malformed.Add(1)
			return
		}
		own := a.pub != nil && from.SessionID == a.pub.SessionID()
		a.policy.Config(&a.config, own, nowNs)
	}
}

func (a *Agent) onAnnounce(msg []byte, _ wire.Header, _ *transport.Header) {
	if a.announce.Decode(msg) != nil {
		a.metrics.Malformed.Add(1)
		return
	}
	a.policy.Announce(&a.announce, int64(a.clock()))
}

func (a *Agent) onQos(msg []byte, h wire.Header, _ *transport.Header) {
	nowNs := int64(a.clock())
	switch h.ID() {
	case wire.QosProducerID:
		if a.qp.Decode(msg) != nil {
			a.metrics.Malformed.Add(1)
			return
		}
		a.policy.QosProducer(&a.qp, nowNs)
	case wire.QosConsumerID:
		if a.qc.Decode(msg) != nil {
			a.metrics.Malformed.Add(1)
			return
		}
		a.act(a.policy.QosConsumer(&a.qc, nowNs))
	}
}

// act carries out the policy's actions.
func (a *Agent) act(actions []Action) int {
	for i := range actions {
		act := &actions[i]
		switch act.Kind {
		case ActionSendConfig:
			if len(a.outbox) == maxOutbox {
				a.metrics.PublishFailed.Add(1)
				continue
			}
			a.outbox = append(a.outbox, act.Config)
			if act.Config.DescriptorStreamID != 0 || act.Config.ControlStreamID != 0 {
				if c := a.policy.consumers[Key{act.StreamID, act.ID}]; c != nil && c.Authority == AuthoritySupervisor {
					a.metrics.Assigned.Add(1)
				}
			}
		case ActionMoved:
			a.metrics.MovedToRateLimited.Add(1)
			c := a.policy.consumers[Key{act.StreamID, act.ID}]
			a.log.Info("consumer fell behind: moved to RATE_LIMITED", "stream", act.StreamID, "consumer", act.ID,
				"max_rate_hz", c.MaxRateHz, "lag", c.Lag, "drops_gap", c.DropsGap, "drops_late", c.DropsLate, "hold", time.Duration(c.HoldNs))
		case ActionRestored:
			a.metrics.Restored.Add(1)
			a.log.Info("consumer kept up: restored to STREAM", "stream", act.StreamID, "consumer", act.ID)
		case ActionProducerExpired, ActionConsumerExpired:
			a.metrics.Expired.Add(1)
			what := "producer"
			if act.Kind == ActionConsumerExpired {
				what = "consumer"
			}
			a.log.Info(what+" silent past the liveness timeout: dropped from the view", "stream", act.StreamID, "id", act.ID,
				"timeout", time.Duration(a.cfg.LivenessTimeoutNs))
		}
	}
	return len(actions)
}

// flush sends the configs waiting, in order, as far as the control stream takes them.
func (a *Agent) flush() int {
	if len(a.outbox) == 0 || a.pub == nil {
		return 0
	}
	sent := 0
	for sent < len(a.outbox) {
		cfg := &a.outbox[sent]
		n, err := cfg.Encode(a.buf)
		if err != nil { // channels the consumer sent us, too long to echo
			a.metrics.PublishFailed.Add(1)
			sent++
			continue
		}
		r := a.pub.Offer(a.buf[:n])
		if r == transport.AdminAction {
			r = a.pub.Offer(a.buf[:n])
		}
		if r == transport.BackPressured || r == transport.AdminAction {
			break
		}
		if r < 0 {
			a.metrics.PublishFailed.Add(1)
		} else {
			a.metrics.ConfigsSent.Add(1)
		}
		sent++
	}
	a.outbox = append(a.outbox[:0], a.outbox[sent:]...)
	return sent
}

// ProducerView and ConsumerView are copies of the policy's records.
type (
	ProducerView = Producer
	ConsumerView = Consumer
)

// View is a snapshot of what the supervisor sees.
type View struct {
	Producers []ProducerView
	Consumers []ConsumerView
}

// Snapshot copies the view on p's duty cycle (p is the process the agent runs in) and
// returns it; it waits for the next cycle, or ctx.
func (a *Agent) Snapshot(ctx context.Context, p *process.Process) (View, error) {
	var v View
	err := p.Wait(ctx, func() bool {
		if v.Producers != nil || v.Consumers != nil {
			return true
		}
		v.Producers, v.Consumers = []ProducerView{}, []ConsumerView{}
		for _, pr := range a.policy.producers {
			v.Producers = append(v.Producers, *pr)
		}
		for _, c := range a.policy.consumers {
			v.Consumers = append(v.Consumers, *c)
		}
		return true
	})
	return v, err
}

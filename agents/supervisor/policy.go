package supervisor

import (
	"slices"

	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/wire"
)

// assignmentGrace is how long the policy waits, after a hello requesting per-consumer
// streams, for another authority (the driver, a producer) to answer it before it
// answers itself. A driver answers within its duty cycle.
const assignmentGrace = 250_000_000

// Key names a consumer: its stream and consumer id.
type Key struct{ StreamID, ConsumerID uint32 }

// Producer is what the policy knows of a stream's producer.
type Producer struct {
	StreamID, ProducerID uint32
	Epoch                uint64
	HeaderNslots         uint32
	// CurrentSeq is the newest QosProducer's current_seq, received at SeqNs; RateHz the
	// frame rate between the last two.
	CurrentSeq uint64
	SeqNs      int64
	RateHz     float64
	LastSeenNs int64
}

// State is the policy's decision for a consumer.
type State uint8

const (
	// Streaming: the consumer runs in the mode it asked for.
	Streaming State = iota
	// Limited: the policy moved the consumer to RATE_LIMITED because it fell behind.
	Limited
)

func (s State) String() string {
	if s == Limited {
		return "limited"
	}
	return "streaming"
}

// Authority says who answers a consumer's per-consumer stream requests.
type Authority uint8

const (
	// AuthorityNone: nobody has so far.
	AuthorityNone Authority = iota
	// AuthoritySupervisor: this supervisor, no one else answering.
	AuthoritySupervisor
	// AuthorityOther: another sender of ConsumerConfig (the driver, a producer); the
	// policy only follows its assignments.
	AuthorityOther
)

// Consumer is what the policy knows of a consumer, and what it decided.
type Consumer struct {
	Key
	// From its hellos and QoS.
	Mode       wire.Mode // the mode it reports
	MaxRateHz  uint32    // the rate it declared: its rate once limited (Wire §11)
	LastSeq    uint64
	DropsGap   uint64
	DropsLate  uint64
	Lag        uint64 // frames behind the producer at its last report
	LastSeenNs int64
	// The policy's decision.
	State         State
	Behind        uint32 // consecutive reports behind
	LimitedAtNs   int64
	LastBehindNs  int64
	RestoredAtNs  int64
	HoldNs        int64
	Moves         uint64
	Restores      uint64
	Authority     Authority
	Assigned      wire.ConsumerConfig // the streams it holds, whoever assigned them
	wantDesc      request
	wantCtrl      request
	helloNs       int64 // the hello awaiting an answer from another authority
	pendingAssign bool
	reported      bool // a QosConsumer came since the last decision was sent
}

// request is a per-consumer stream a hello asks for.
type request struct {
	channel  string
	streamID uint32
}

func (r request) valid() bool { return r.channel != "" && r.streamID != 0 }
func (r request) asked() bool { return r.channel != "" || r.streamID != 0 }

// ActionKind is what the policy asks its agent to do.
type ActionKind uint8

const (
	// ActionSendConfig: send Config (ConsumerConfig) on the control stream.
	ActionSendConfig ActionKind = iota
	// ActionMoved: a consumer was moved to RATE_LIMITED; Config is what was sent.
	ActionMoved
	// ActionRestored: a consumer was restored to STREAM.
	ActionRestored
	// ActionProducerExpired, ActionConsumerExpired: silent past the liveness timeout.
	ActionProducerExpired
	ActionConsumerExpired
)

// Action is one thing the policy decided.
type Action struct {
	Kind     ActionKind
	Config   wire.ConsumerConfig
	StreamID uint32
	ID       uint32 // producer or consumer id
}

// Policy is the supervisor's view and decisions, a pure state machine: messages and
// ticks come in with the time, actions come out. It never blocks and allocates only
// when a producer or consumer appears.
type Policy struct {
	cfg       config.SupervisorConfig
	producers map[uint32]*Producer // by stream
	consumers map[Key]*Consumer
	descIDs   idPool
	ctrlIDs   idPool
	pending   []Key // consumers awaiting an assignment, in the order of their hellos
	actions   []Action
}

// NewPolicy makes the policy of a validated configuration.
func NewPolicy(cfg config.SupervisorConfig) *Policy {
	return &Policy{cfg: cfg, producers: map[uint32]*Producer{}, consumers: map[Key]*Consumer{},
		descIDs: newIDPool(cfg.Policy.DescriptorStreamIDRange), ctrlIDs: newIDPool(cfg.Policy.ControlStreamIDRange)}
}

// Producers and Consumers are the view; the records are the policy's (read, don't keep).
func (p *Policy) Producers() map[uint32]*Producer { return p.producers }
func (p *Policy) Consumers() map[Key]*Consumer    { return p.consumers }

// Limited counts the consumers the policy holds in RATE_LIMITED.
func (p *Policy) Limited() int {
	n := 0
	for _, c := range p.consumers {
		if c.State == Limited {
			n++
		}
	}
	return n
}

func (p *Policy) manages(stream uint32) bool { return p.cfg.StreamID == 0 || p.cfg.StreamID == stream }

func (p *Policy) producer(stream uint32, nowNs int64) *Producer {
	pr := p.producers[stream]
	if pr == nil {
		pr = &Producer{StreamID: stream}
		p.producers[stream] = pr
	}
	pr.LastSeenNs = nowNs
	return pr
}

func (p *Policy) consumer(k Key, nowNs int64) *Consumer {
	c := p.consumers[k]
	if c == nil {
		c = &Consumer{Key: k, Mode: wire.ModeStream, HoldNs: int64(p.cfg.Policy.MinLimitedNs)}
		p.consumers[k] = c
	}
	c.LastSeenNs = nowNs
	return c
}

// Announce records a stream's layout (ShmPoolAnnounce, Wire §10.1.1).
func (p *Policy) Announce(a *wire.ShmPoolAnnounce, nowNs int64) {
	pr := p.producer(a.StreamID, nowNs)
	if a.ProducerID != 0 {
		pr.ProducerID = a.ProducerID
	}
	pr.Epoch, pr.HeaderNslots = a.Epoch, a.HeaderNslots
}

// QosProducer records a producer's sequence and rate (Wire §10.4.2).
func (p *Policy) QosProducer(q *wire.QosProducer, nowNs int64) {
	pr := p.producer(q.StreamID, nowNs)
	if pr.SeqNs != 0 && q.CurrentSeq >= pr.CurrentSeq && nowNs > pr.SeqNs {
		pr.RateHz = float64(q.CurrentSeq-pr.CurrentSeq) * 1e9 / float64(nowNs-pr.SeqNs)
	} else {
		pr.RateHz = 0
	}
	pr.ProducerID, pr.Epoch, pr.CurrentSeq, pr.SeqNs = q.ProducerID, q.Epoch, q.CurrentSeq, nowNs
}

// Hello records a consumer's mode, declared rate and per-consumer stream requests (Wire
// §10.1.2); a request the policy may answer is answered after assignmentGrace (Tick).
func (p *Policy) Hello(h *wire.ConsumerHello, nowNs int64) {
	c := p.consumer(Key{h.StreamID, h.ConsumerID}, nowNs)
	c.Mode, c.MaxRateHz = h.Mode, h.MaxRateHz
	c.wantDesc = request{h.DescriptorChannel, h.DescriptorStreamID}
	c.wantCtrl = request{h.ControlChannel, h.ControlStreamID}
	if !p.assigns() || c.Authority == AuthorityOther || !p.manages(h.StreamID) {
		return
	}
	// A request, a half one (to decline, Wire §10.1.2), or streams held that the hello
	// may have stopped asking for.
	if c.wantDesc.asked() || c.wantCtrl.asked() || c.Assigned.DescriptorStreamID != 0 || c.Assigned.ControlStreamID != 0 {
		if c.pendingAssign {
			p.pending = slices.DeleteFunc(p.pending, func(k Key) bool { return k == c.Key })
		}
		c.pendingAssign, c.helloNs = true, nowNs
		p.pending = append(p.pending, c.Key)
	}
}

func (p *Policy) assigns() bool {
	return p.cfg.Policy.DescriptorStreamIDRange.IsSet() || p.cfg.Policy.ControlStreamIDRange.IsSet()
}

// Config observes a ConsumerConfig on the control stream. One from another sender names
// another authority for that consumer: the policy stops assigning its streams (and gives
// back what it assigned) and follows that authority's assignment in what it sends.
func (p *Policy) Config(cfg *wire.ConsumerConfig, own bool, nowNs int64) {
	if own {
		return
	}
	c := p.consumers[Key{cfg.StreamID, cfg.ConsumerID}]
	if c == nil {
		return
	}
	if c.Authority == AuthoritySupervisor {
		p.release(c)
	}
	c.Authority, c.pendingAssign = AuthorityOther, false
	c.Assigned = *cfg
}

// QosConsumer evaluates a consumer's report (Wire §10.4.1): behind when its drops grew by
// SlowDropsPerReport since the last report, or it lags the producer by more than the lag
// limit. SlowAfterReports reports behind in a row move a streaming consumer to
// RATE_LIMITED; a limited one is restored by Tick once it kept up for its hold.
func (p *Policy) QosConsumer(q *wire.QosConsumer, nowNs int64) []Action {
	p.actions = p.actions[:0]
	c := p.consumer(Key{q.StreamID, q.ConsumerID}, nowNs)
	drops, prev := q.DropsGap+q.DropsLate, c.DropsGap+c.DropsLate
	grew := uint64(0)
	if c.reported && drops >= prev {
		grew = drops - prev
	}
	c.DropsGap, c.DropsLate, c.LastSeq, c.Mode = q.DropsGap, q.DropsLate, q.LastSeqSeen, q.Mode
	c.Lag = p.lag(q, nowNs)
	c.reported = true
	behind := grew >= p.cfg.Policy.SlowDropsPerReport || c.Lag > p.lagLimit(q.StreamID)
	if behind {
		c.Behind++
		c.LastBehindNs = nowNs
	} else {
		c.Behind = 0
	}
	if !p.cfg.Policy.RateLimitSlowConsumers || !p.manages(q.StreamID) {
		return p.actions
	}
	switch {
	case c.State == Streaming && c.Mode == wire.ModeStream && c.Behind >= p.cfg.Policy.SlowAfterReports:
		// A consumer that runs RATE_LIMITED of its own accord is at its rate already.
		p.limit(c, nowNs)
	case c.State == Limited && c.Mode != wire.ModeRateLimited:
		// A ConsumerConfig sent before ours took effect (the driver's answer to a hello
		// sent earlier) put it back: say it again, once per report.
		p.send(c, wire.ModeRateLimited)
	case c.State == Streaming && c.Restores > 0 && c.Mode == wire.ModeRateLimited && nowNs-c.RestoredAtNs < int64(p.cfg.Policy.MinLimitedNs):
		p.send(c, wire.ModeStream) // likewise, just after a restore
	}
	return p.actions
}

// lag is how far q's consumer is behind its producer: the producer's sequence projected
// from its last QosProducer to now at its rate, less the consumer's last_seq_seen.
func (p *Policy) lag(q *wire.QosConsumer, nowNs int64) uint64 {
	pr := p.producers[q.StreamID]
	if pr == nil || pr.SeqNs == 0 || (pr.Epoch != 0 && q.Epoch != 0 && pr.Epoch != q.Epoch) {
		return 0
	}
	expected := float64(pr.CurrentSeq)
	if nowNs > pr.SeqNs {
		expected += pr.RateHz * float64(nowNs-pr.SeqNs) / 1e9
	}
	if expected <= float64(q.LastSeqSeen) {
		return 0
	}
	return uint64(expected - float64(q.LastSeqSeen))
}

// lagLimit is the configured lag_frames, or half the stream's header ring: a consumer
// further behind reads slots the producer is about to overwrite.
func (p *Policy) lagLimit(stream uint32) uint64 {
	if l := p.cfg.Policy.LagFrames; l != 0 {
		return l
	}
	if pr := p.producers[stream]; pr != nil && pr.HeaderNslots > 1 {
		return uint64(pr.HeaderNslots / 2)
	}
	return ^uint64(0)
}

// limit moves c to RATE_LIMITED. Its hold doubles when it fell behind again within
// MaxLimitedNs of its last restore (it was restored too early), up to MaxLimitedNs, and
// starts over at MinLimitedNs otherwise: a consumer that keeps falling behind spends
// ever longer limited, so it changes state at most once per hold.
func (p *Policy) limit(c *Consumer, nowNs int64) {
	pol := &p.cfg.Policy
	if c.Restores > 0 && nowNs-c.RestoredAtNs < int64(pol.MaxLimitedNs) {
		c.HoldNs = min(2*c.HoldNs, int64(pol.MaxLimitedNs))
	} else {
		c.HoldNs = int64(pol.MinLimitedNs)
	}
	c.State, c.LimitedAtNs, c.Behind = Limited, nowNs, 0
	c.Moves++
	p.send(c, wire.ModeRateLimited)
	p.actions = append(p.actions, Action{Kind: ActionMoved, Config: p.actions[len(p.actions)-1].Config, StreamID: c.StreamID, ID: c.ConsumerID})
}

// send queues the ConsumerConfig giving c mode, with the streams it holds.
func (p *Policy) send(c *Consumer, mode wire.Mode) {
	cfg := c.Assigned
	cfg.StreamID, cfg.ConsumerID, cfg.UseShm, cfg.Mode = c.StreamID, c.ConsumerID, true, mode
	cfg.PayloadFallbackURI = ""
	p.actions = append(p.actions, Action{Kind: ActionSendConfig, Config: cfg, StreamID: c.StreamID, ID: c.ConsumerID})
}

// Tick runs the timers at nowNs: restore limited consumers that kept up for their hold,
// answer per-consumer stream requests no one else answered, and drop producers and
// consumers silent past the liveness timeout (Wire §10.1.3: their streams are given
// back).
func (p *Policy) Tick(nowNs int64) []Action {
	p.actions = p.actions[:0]
	timeout := int64(p.cfg.LivenessTimeoutNs)
	for k, c := range p.consumers {
		if nowNs-c.LastSeenNs > timeout {
			p.release(c)
			delete(p.consumers, k)
			p.actions = append(p.actions, Action{Kind: ActionConsumerExpired, StreamID: k.StreamID, ID: k.ConsumerID})
			continue
		}
		if c.State == Limited && nowNs-max(c.LimitedAtNs, c.LastBehindNs) >= c.HoldNs {
			c.State, c.RestoredAtNs, c.Behind = Streaming, nowNs, 0
			c.Restores++
			p.send(c, wire.ModeStream)
			p.actions = append(p.actions, Action{Kind: ActionRestored, Config: p.actions[len(p.actions)-1].Config, StreamID: c.StreamID, ID: c.ConsumerID})
		}
	}
	// In the order of the hellos, so which consumer gets a contested id does not depend
	// on map order.
	waiting := p.pending[:0]
	for _, k := range p.pending {
		c := p.consumers[k]
		switch {
		case c == nil || !c.pendingAssign:
		case nowNs-c.helloNs < assignmentGrace:
			waiting = append(waiting, k)
		default:
			c.pendingAssign = false
			p.assign(c)
		}
	}
	p.pending = waiting
	for stream, pr := range p.producers {
		if nowNs-pr.LastSeenNs > timeout {
			delete(p.producers, stream)
			p.actions = append(p.actions, Action{Kind: ActionProducerExpired, StreamID: stream, ID: pr.ProducerID})
		}
	}
	return p.actions
}

// assign answers c's per-consumer stream requests from the configured ranges, as a driver
// does (Driver spec §11, Wire §10.1.2): the id asked for when it is in range and free, else
// the next free one; a half request, an unset or exhausted range answers id 0 and no
// channel, which keeps the consumer on the shared stream.
func (p *Policy) assign(c *Consumer) {
	c.Authority = AuthoritySupervisor
	c.Assigned.DescriptorStreamID, c.Assigned.DescriptorChannel = p.descIDs.assign(c.Assigned.DescriptorStreamID, c.wantDesc)
	c.Assigned.ControlStreamID, c.Assigned.ControlChannel = p.ctrlIDs.assign(c.Assigned.ControlStreamID, c.wantCtrl)
	mode := c.Mode
	if c.State == Limited {
		mode = wire.ModeRateLimited
	}
	p.send(c, mode)
}

// release gives back the stream ids the policy assigned c.
func (p *Policy) release(c *Consumer) {
	if c.Authority != AuthoritySupervisor {
		return
	}
	p.descIDs.release(c.Assigned.DescriptorStreamID)
	p.ctrlIDs.release(c.Assigned.ControlStreamID)
	c.Assigned.DescriptorStreamID, c.Assigned.DescriptorChannel = 0, ""
	c.Assigned.ControlStreamID, c.Assigned.ControlChannel = 0, ""
}

// idPool hands out the ids of a range.
type idPool struct {
	r     config.StreamIDRange
	taken map[uint32]bool
}

func newIDPool(r config.StreamIDRange) idPool { return idPool{r: r, taken: map[uint32]bool{}} }

// assign resolves one request against the id held (0 for none).
func (ip *idPool) assign(held uint32, want request) (uint32, string) {
	if !want.valid() || !ip.r.IsSet() {
		ip.release(held)
		return 0, ""
	}
	if held != 0 {
		return held, want.channel
	}
	if ip.r.Contains(want.streamID) && !ip.taken[want.streamID] {
		ip.taken[want.streamID] = true
		return want.streamID, want.channel
	}
	for id := ip.r.First; id <= ip.r.Last && id != 0; id++ {
		if !ip.taken[id] {
			ip.taken[id] = true
			return id, want.channel
		}
	}
	return 0, ""
}

func (ip *idPool) release(id uint32) { delete(ip.taken, id) }

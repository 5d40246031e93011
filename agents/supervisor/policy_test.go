package supervisor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/wire"
)

const sec = int64(1_000_000_000)

func testConfig() config.SupervisorConfig {
	c := config.DefaultSupervisor()
	c.StreamID = 0
	return c
}

// sim drives a policy with one producer (stream 10000, 64 slots, 100 frames/s) and
// consumers reporting once a second.
type sim struct {
	t      *testing.T
	p      *Policy
	now    int64
	seq    uint64
	sent   []wire.ConsumerConfig
	events []ActionKind
}

func newSim(t *testing.T, cfg config.SupervisorConfig) *sim {
	s := &sim{t: t, p: NewPolicy(cfg), now: 100 * sec}
	s.p.Announce(&wire.ShmPoolAnnounce{StreamID: 10000, ProducerID: 11, Epoch: 3, HeaderNslots: 64, HeaderSlotBytes: 256}, s.now)
	s.p.QosProducer(&wire.QosProducer{StreamID: 10000, ProducerID: 11, Epoch: 3, CurrentSeq: s.seq}, s.now)
	return s
}

func (s *sim) take(actions []Action) {
	for _, a := range actions {
		if a.Kind == ActionSendConfig {
			s.sent = append(s.sent, a.Config)
		} else {
			s.events = append(s.events, a.Kind)
		}
	}
}

// second advances a second: the producer publishes 100 frames and reports; each consumer
// reports its drops so far and how far it got (lag frames behind); the timers run.
func (s *sim) second(reports ...wire.QosConsumer) {
	s.now += sec
	s.seq += 100
	s.p.QosProducer(&wire.QosProducer{StreamID: 10000, ProducerID: 11, Epoch: 3, CurrentSeq: s.seq}, s.now)
	for _, q := range reports {
		q.StreamID, q.Epoch = 10000, 3
		if q.LastSeqSeen == 0 {
			q.LastSeqSeen = s.seq
		}
		if q.Mode == 0 {
			q.Mode = s.consumer(q.ConsumerID).Mode // what the consumer last applied
			if q.Mode == 0 {
				q.Mode = wire.ModeStream
			}
		}
		s.take(s.p.QosConsumer(&q, s.now))
	}
	s.take(s.p.Tick(s.now))
}

func (s *sim) consumer(id uint32) *Consumer { return s.p.Consumers()[Key{10000, id}] }

// applied is a consumer that applies every config sent to it: its reports carry the mode
// it was last told.
func (s *sim) applied(id uint32) wire.Mode {
	mode := wire.ModeStream
	for _, c := range s.sent {
		if c.ConsumerID == id {
			mode = c.Mode
		}
	}
	return mode
}

// Wire §10.5: the supervisor's view: producers from announces and QosProducer, consumers
// from hellos and QosConsumer (the reference's checklist item 71: producer 11, consumer
// 21, current_seq 42, drops_gap 2, drops_late 1).
func TestWireSpec_10_5_SupervisorTracksProducersAndConsumers(t *testing.T) {
	p := NewPolicy(testConfig())
	p.Announce(&wire.ShmPoolAnnounce{StreamID: 10000, ProducerID: 11, Epoch: 1, HeaderNslots: 64}, 1)
	p.Hello(&wire.ConsumerHello{StreamID: 10000, ConsumerID: 21, Mode: wire.ModeStream, MaxRateHz: 30}, 1)
	p.QosProducer(&wire.QosProducer{StreamID: 10000, ProducerID: 11, Epoch: 1, CurrentSeq: 42}, 2)
	p.QosConsumer(&wire.QosConsumer{StreamID: 10000, ConsumerID: 21, Epoch: 1, LastSeqSeen: 40, DropsGap: 2, DropsLate: 1, Mode: wire.ModeStream}, 2)
	pr := p.Producers()[10000]
	require.NotNil(t, pr)
	assert.Equal(t, uint32(11), pr.ProducerID)
	assert.Equal(t, uint64(42), pr.CurrentSeq)
	assert.Equal(t, uint32(64), pr.HeaderNslots)
	c := p.Consumers()[Key{10000, 21}]
	require.NotNil(t, c)
	assert.Equal(t, uint64(2), c.DropsGap)
	assert.Equal(t, uint64(1), c.DropsLate)
	assert.Equal(t, uint64(2), c.Lag)
	assert.Equal(t, uint32(30), c.MaxRateHz)
	assert.Equal(t, Streaming, c.State)
}

// Wire §11: a consumer behind for slow_after_reports reports in a row is moved to
// RATE_LIMITED (its declared rate then applies); behind means drops grew by
// slow_drops_per_report since the last report, or a lag past half the header ring.
func TestWireSpec_11_ConsumerFallingBehindIsRateLimited(t *testing.T) {
	type report struct {
		drops uint64 // cumulative gap+late
		lag   uint64
	}
	for _, tc := range []struct {
		name    string
		reports []report
		moved   bool
	}{
		{"keeps up", []report{{0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}}, false},
		{"drops in three reports", []report{{0, 0}, {5, 0}, {9, 0}, {20, 0}}, true},
		{"drops in two reports only", []report{{0, 0}, {5, 0}, {9, 0}, {9, 0}, {12, 0}, {12, 0}}, false},
		{"lag beyond half the ring", []report{{0, 40}, {0, 40}, {0, 40}}, true},
		{"lag within half the ring", []report{{0, 32}, {0, 32}, {0, 32}, {0, 32}}, false},
		{"a reset of its counters is no drop", []report{{50, 0}, {3, 0}, {3, 0}, {3, 0}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, testConfig())
			s.p.Hello(&wire.ConsumerHello{StreamID: 10000, ConsumerID: 21, Mode: wire.ModeStream, MaxRateHz: 10}, s.now)
			for _, r := range tc.reports {
				s.second(wire.QosConsumer{ConsumerID: 21, DropsGap: r.drops, LastSeqSeen: s.seq + 100 - r.lag})
			}
			c := s.consumer(21)
			if !tc.moved {
				assert.Equal(t, Streaming, c.State)
				assert.Empty(t, s.sent)
				return
			}
			assert.Equal(t, Limited, c.State)
			require.Len(t, s.sent, 1)
			assert.Equal(t, wire.ConsumerConfig{StreamID: 10000, ConsumerID: 21, UseShm: true, Mode: wire.ModeRateLimited}, s.sent[0])
			assert.Equal(t, []ActionKind{ActionMoved}, s.events)
		})
	}
}

// Wire §11 and the hysteresis: a limited consumer is restored to STREAM once it kept up
// for its hold; falling behind again soon after doubles the hold (up to max_limited_ns),
// and staying up long enough starts it over.
func TestWireSpec_11_RestoreAfterHoldWithDoublingHysteresis(t *testing.T) {
	cfg := testConfig()
	cfg.Policy.MinLimitedNs, cfg.Policy.MaxLimitedNs = uint64(10*sec), uint64(40*sec)
	s := newSim(t, cfg)
	behind := func(n int) {
		for range n {
			c := s.consumer(21)
			drops := uint64(0)
			if c != nil {
				drops = c.DropsGap + 10
			}
			s.second(wire.QosConsumer{ConsumerID: 21, DropsGap: drops, Mode: s.applied(21)})
		}
	}
	fine := func(n int) {
		for range n {
			s.second(wire.QosConsumer{ConsumerID: 21, DropsGap: s.consumer(21).DropsGap, Mode: s.applied(21)})
		}
	}
	behind(4) // the first report sets the baseline; three more move it
	c := s.consumer(21)
	require.Equal(t, Limited, c.State)
	limitedAt := s.now
	fine(9)
	assert.Equal(t, Limited, c.State, "held for min_limited_ns")
	fine(1)
	require.Equal(t, Streaming, c.State, "restored after 10 s of keeping up")
	assert.Equal(t, 10*sec, s.now-limitedAt)
	assert.Equal(t, wire.ModeStream, s.sent[len(s.sent)-1].Mode)

	behind(3)
	require.Equal(t, Limited, c.State, "behind again soon after")
	assert.Equal(t, 20*sec, c.HoldNs, "the hold doubled")
	fine(20)
	require.Equal(t, Streaming, c.State)
	behind(3)
	assert.Equal(t, 40*sec, c.HoldNs)
	fine(40)
	behind(3)
	assert.Equal(t, 40*sec, c.HoldNs, "capped at max_limited_ns")
	fine(40)
	fine(45) // streaming for longer than max_limited_ns
	behind(3)
	assert.Equal(t, 10*sec, c.HoldNs, "a consumer that stayed up long starts over")
	assert.Equal(t, uint64(4), c.Restores)
	assert.Equal(t, uint64(5), c.Moves)

	behindWhileLimited := s.now
	fine(5)
	behind(1) // still behind while limited: the hold runs from its last bad report
	fine(9)
	assert.Equal(t, Limited, c.State)
	fine(1)
	assert.Equal(t, Streaming, c.State)
	assert.Equal(t, 16*sec, s.now-behindWhileLimited)
}

// The hysteresis never flaps: a consumer that falls behind whenever it streams and keeps
// up whenever it is limited (the case a naive policy toggles every few seconds) spends
// ever longer limited, each hold at least the one before and at least min_limited_ns, up
// to max_limited_ns: over an hour it changes state a few dozen times, not a thousand.
func TestSupervisorPolicy_NeverFlaps(t *testing.T) {
	cfg := testConfig()
	s := newSim(t, cfg)
	drops := uint64(0)
	var limitedFor []int64
	var since int64
	state := Streaming
	changes := 0
	for range 3600 {
		mode := s.applied(21)
		if mode == wire.ModeStream {
			drops += 10 // too slow at the full rate
		}
		s.second(wire.QosConsumer{ConsumerID: 21, DropsGap: drops, Mode: mode})
		c := s.consumer(21)
		if c.State == state {
			continue
		}
		changes++
		if state == Limited {
			limitedFor = append(limitedFor, s.now-since)
		}
		state, since = c.State, s.now
	}
	require.Greater(t, len(limitedFor), 3)
	for i, d := range limitedFor {
		assert.GreaterOrEqual(t, d, int64(cfg.Policy.MinLimitedNs), "hold %d", i)
		if i > 0 {
			assert.GreaterOrEqual(t, d, limitedFor[i-1], "hold %d shorter than the one before", i)
		}
		assert.LessOrEqual(t, d, int64(cfg.Policy.MaxLimitedNs)+sec)
	}
	assert.LessOrEqual(t, changes, 40, "state changes in an hour")
	t.Logf("%d changes; holds (ns) %v", changes, limitedFor)
}

// A consumer that runs RATE_LIMITED of its own accord is at its rate already: the policy
// does not move it, nor restore it. With rate_limit_slow_consumers false, or on a stream
// the supervisor does not manage, it only observes.
func TestSupervisorPolicy_LeavesAlone(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*config.SupervisorConfig)
		mode wire.Mode
	}{
		{"its own RATE_LIMITED", nil, wire.ModeRateLimited},
		{"observing only", func(c *config.SupervisorConfig) { c.Policy.RateLimitSlowConsumers = false }, wire.ModeStream},
		{"another stream", func(c *config.SupervisorConfig) { c.StreamID = 20000 }, wire.ModeStream},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			s := newSim(t, cfg)
			for i := range 20 {
				s.second(wire.QosConsumer{ConsumerID: 21, DropsGap: uint64(10 * i), Mode: tc.mode})
			}
			assert.Equal(t, Streaming, s.consumer(21).State)
			assert.Positive(t, s.consumer(21).Behind, "it is seen behind")
			assert.Empty(t, s.sent)
		})
	}
}

// Wire §10.1.3: a ConsumerConfig the driver sent before ours took effect may put the
// consumer back; the policy says its decision again at the next report, and every config
// it sends keeps the streams the consumer holds from the driver.
func TestWireSpec_10_1_3_DecisionReassertedWithTheConsumersStreams(t *testing.T) {
	s := newSim(t, testConfig())
	s.p.Hello(&wire.ConsumerHello{StreamID: 10000, ConsumerID: 21, Mode: wire.ModeStream, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 31000}, s.now)
	driverCfg := wire.ConsumerConfig{StreamID: 10000, ConsumerID: 21, UseShm: true, Mode: wire.ModeStream, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 31000}
	s.p.Config(&driverCfg, false, s.now)
	for i := range 4 {
		s.second(wire.QosConsumer{ConsumerID: 21, DropsGap: uint64(10 * i)})
	}
	require.Len(t, s.sent, 1)
	want := driverCfg
	want.Mode = wire.ModeRateLimited
	assert.Equal(t, want, s.sent[0], "RATE_LIMITED, on the stream the driver assigned")
	s.second(wire.QosConsumer{ConsumerID: 21, DropsGap: 30, Mode: wire.ModeStream}) // reverted
	require.Len(t, s.sent, 2)
	assert.Equal(t, wire.ModeRateLimited, s.sent[1].Mode)
	s.second(wire.QosConsumer{ConsumerID: 21, DropsGap: 30, Mode: wire.ModeRateLimited})
	assert.Len(t, s.sent, 2, "said once per report, only while it differs")
	s.p.Config(&wire.ConsumerConfig{StreamID: 10000, ConsumerID: 21, UseShm: true, Mode: wire.ModeRateLimited}, true, s.now)
	assert.Equal(t, uint32(31000), s.consumer(21).Assigned.DescriptorStreamID, "its own configs echoing back change nothing")
}

// Driver spec §11 where the driver leaves it to the supervisor: a consumer whose
// per-consumer stream request no other authority answers within the grace period is
// answered from the supervisor's ranges (the id asked for when free, else the next
// free); a half request or an exhausted range is declined; when another authority
// answers, the supervisor gives its ids back and follows it.
func TestDriverSpec_11_SupervisorAssignsWhereNoAuthorityAnswers(t *testing.T) {
	cfg := testConfig()
	cfg.Policy.DescriptorStreamIDRange = config.StreamIDRange{First: 33000, Last: 33001}
	s := newSim(t, cfg)
	hello := func(id, descID uint32, channel string) {
		s.p.Hello(&wire.ConsumerHello{StreamID: 10000, ConsumerID: id, Mode: wire.ModeStream, DescriptorChannel: channel, DescriptorStreamID: descID}, s.now)
	}
	tick := func(d int64) { s.now += d; s.take(s.p.Tick(s.now)) }
	hello(21, 33001, "aeron:ipc")
	tick(assignmentGrace / 2)
	assert.Empty(t, s.sent, "waits for another authority")
	tick(assignmentGrace / 2)
	require.Len(t, s.sent, 1)
	assert.Equal(t, wire.ConsumerConfig{StreamID: 10000, ConsumerID: 21, UseShm: true, Mode: wire.ModeStream, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 33001}, s.sent[0])
	assert.Equal(t, AuthoritySupervisor, s.consumer(21).Authority)

	hello(22, 33001, "aeron:ipc") // taken: the next free one
	hello(23, 99, "aeron:ipc")    // out of range: the next free one, none left
	hello(24, 0, "aeron:ipc")     // a half request (Wire §10.1.2)
	tick(assignmentGrace)
	got := map[uint32]uint32{}
	for _, c := range s.sent[1:] {
		got[c.ConsumerID] = c.DescriptorStreamID
		if c.DescriptorStreamID == 0 {
			assert.Empty(t, c.DescriptorChannel)
		}
	}
	assert.Equal(t, map[uint32]uint32{22: 33000, 23: 0, 24: 0}, got)

	hello(21, 33001, "aeron:ipc") // re-requests what it holds: kept
	tick(assignmentGrace)
	assert.Equal(t, uint32(33001), s.sent[len(s.sent)-1].DescriptorStreamID)

	other := wire.ConsumerConfig{StreamID: 10000, ConsumerID: 21, UseShm: true, Mode: wire.ModeStream, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 31005}
	s.p.Config(&other, false, s.now)
	assert.Equal(t, AuthorityOther, s.consumer(21).Authority)
	n := len(s.sent)
	hello(21, 31005, "aeron:ipc")
	tick(assignmentGrace)
	assert.Len(t, s.sent, n, "it follows the other authority")
	hello(23, 99, "aeron:ipc")
	tick(assignmentGrace)
	assert.Equal(t, uint32(33001), s.sent[len(s.sent)-1].DescriptorStreamID, "21's id was given back")
}

// Wire §10.1.3: producers and consumers silent past the liveness timeout leave the view,
// and the streams the supervisor assigned them are given back.
func TestWireSpec_10_1_3_SilentEntitiesExpire(t *testing.T) {
	cfg := testConfig()
	cfg.Policy.ControlStreamIDRange = config.StreamIDRange{First: 34000, Last: 34000}
	s := newSim(t, cfg)
	s.p.Hello(&wire.ConsumerHello{StreamID: 10000, ConsumerID: 21, ControlChannel: "aeron:ipc", ControlStreamID: 34000}, s.now)
	s.now += assignmentGrace
	s.take(s.p.Tick(s.now))
	require.Equal(t, uint32(34000), s.consumer(21).Assigned.ControlStreamID)
	s.now += int64(cfg.LivenessTimeoutNs) + 1
	s.take(s.p.Tick(s.now))
	assert.Empty(t, s.p.Consumers())
	assert.Empty(t, s.p.Producers())
	assert.ElementsMatch(t, []ActionKind{ActionConsumerExpired, ActionProducerExpired}, s.events)
	s.p.Hello(&wire.ConsumerHello{StreamID: 10000, ConsumerID: 22, ControlChannel: "aeron:ipc", ControlStreamID: 34000}, s.now)
	s.now += assignmentGrace
	s.take(s.p.Tick(s.now))
	assert.Equal(t, uint32(34000), s.consumer(22).Assigned.ControlStreamID, "the id was given back")
}

// The lag is the producer's sequence projected to the consumer's report at the producer's
// rate; across an epoch change it is not judged.
func TestSupervisorPolicy_Lag(t *testing.T) {
	p := NewPolicy(testConfig())
	p.QosProducer(&wire.QosProducer{StreamID: 1, Epoch: 2, CurrentSeq: 1000}, 10*sec)
	p.QosProducer(&wire.QosProducer{StreamID: 1, Epoch: 2, CurrentSeq: 2000}, 11*sec)
	assert.InDelta(t, 1000, p.Producers()[1].RateHz, 1e-9)
	p.QosConsumer(&wire.QosConsumer{StreamID: 1, ConsumerID: 5, Epoch: 2, LastSeqSeen: 2100}, 11*sec+sec/2)
	assert.Equal(t, uint64(400), p.Consumers()[Key{1, 5}].Lag)
	p.QosConsumer(&wire.QosConsumer{StreamID: 1, ConsumerID: 5, Epoch: 1, LastSeqSeen: 10}, 11*sec+sec/2)
	assert.Zero(t, p.Consumers()[Key{1, 5}].Lag, "another epoch")
	p.QosConsumer(&wire.QosConsumer{StreamID: 1, ConsumerID: 5, Epoch: 2, LastSeqSeen: 9000}, 12*sec)
	assert.Zero(t, p.Consumers()[Key{1, 5}].Lag, "ahead of the projection")
}

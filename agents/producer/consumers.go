package producer

import (
	"errors"
	"fmt"

	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// ErrInvalidRequest is what every *RequestError unwraps to.
var ErrInvalidRequest = errors.New("producer: invalid per-consumer request")

// RequestError says why a ConsumerHello's per-consumer stream request was declined.
type RequestError struct {
	ConsumerID uint32
	Field      string
	Problem    string
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("producer: consumer %d: %s: %s (§10.1.2)", e.ConsumerID, e.Field, e.Problem)
}

func (e *RequestError) Unwrap() error { return ErrInvalidRequest }

// hintOf returns a hello's progress hints (0 where it gave none).
func hintOf(h *wire.ConsumerHello) ProgressHint {
	return ProgressHint{IntervalUs: h.ProgressIntervalUs, BytesDelta: h.ProgressBytesDelta, MajorDeltaUnits: h.ProgressMajorDeltaUnits}
}

// RateLimiter caps a per-consumer descriptor stream at max_rate_hz: a frame passes when at
// least one period has elapsed since the last one that passed. The zero value is unlimited.
type RateLimiter struct {
	periodNs int64
	nextNs   int64
	started  bool
}

// NewRateLimiter returns a limiter for maxRateHz frames per second; 0 means unlimited
// (§10.1.2), never a sentinel such as 0xFFFFFFFF.
func NewRateLimiter(maxRateHz uint32) RateLimiter {
	if maxRateHz == 0 {
		return RateLimiter{}
	}
	return RateLimiter{periodNs: max(1, 1_000_000_000/int64(maxRateHz))}
}

// Allow reports whether a frame at nowNs fits the cap and, if so, takes its slot.
func (r *RateLimiter) Allow(nowNs int64) bool {
	if r.periodNs == 0 {
		return true
	}
	if r.started && nowNs < r.nextNs {
		return false
	}
	r.started, r.nextNs = true, nowNs+r.periodNs
	return true
}

// OpenPublication opens a per-consumer publication on channel and stream.
type OpenPublication func(channel string, streamID int32) (transport.Publication, error)

// ConsumerCounters are the per-consumer stream statistics.
type ConsumerCounters struct {
	Hellos      uint64
	Configs     uint64 // ConsumerConfigs followed (Apply)
	Declined    uint64 // requests rejected or publications that failed to open
	Opened      uint64 // per-consumer publications opened
	Closed      uint64 // closed because the consumer went stale, or replaced
	Expired     uint64 // consumers dropped as stale
	Described   uint64 // descriptors sent on per-consumer streams
	RateLimited uint64 // descriptors withheld by a consumer's max_rate_hz
	// ProgressSent counts FrameProgress sent on per-consumer control streams (§5).
	ProgressSent uint64
	SendFailed   uint64 // per-consumer offers that failed (back pressure, not connected)
}

type consumerEntry struct {
	id          uint32
	lastSeenNs  int64
	limiter     RateLimiter
	descriptors transport.Publication
	control     transport.Publication
	assigned    wire.ConsumerConfig
	// progress: the consumer said supports_progress; hint is what it asked for.
	progress bool
	hint     ProgressHint
}

// Consumers tracks the consumers that said hello on one stream, their per-consumer
// descriptor and control publications (§10.1.2–10.1.3) and their liveness. It is used by
// the producer's single goroutine.
type Consumers struct {
	streamID  uint32
	timeoutNs int64
	open      OpenPublication
	entries   []consumerEntry
	counters  ConsumerCounters
}

// NewConsumers returns the table for streamID. timeoutNs is the staleness limit, which the
// spec puts at 3–5× the hello/QoS interval; open creates per-consumer publications (nil
// declines every request).
func NewConsumers(streamID uint32, timeoutNs int64, open OpenPublication) (*Consumers, error) {
	if timeoutNs <= 0 {
		return nil, configError("10.1.3", "consumer timeout", timeoutNs, "must be positive")
	}
	return &Consumers{streamID: streamID, timeoutNs: timeoutNs, open: open}, nil
}

// Counters returns a snapshot of the statistics.
func (t *Consumers) Counters() ConsumerCounters { return t.counters }

// Len returns the number of live consumers.
func (t *Consumers) Len() int { return len(t.entries) }

// validRequest applies §10.1.2: a request needs both a channel and a non-zero stream id,
// neither alone is absent; a channel with id 0 must be rejected.
func validRequest(id uint32, field, channel string, streamID uint32) (requested bool, err error) {
	switch {
	case channel == "" && streamID == 0:
		return false, nil
	case channel == "":
		return false, &RequestError{ConsumerID: id, Field: field + "_stream_id", Problem: "stream id without a channel"}
	case streamID == 0 || streamID > 1<<31-1:
		return false, &RequestError{ConsumerID: id, Field: field + "_channel", Problem: fmt.Sprintf("channel with stream id %d", streamID)}
	}
	return true, nil
}

// HandleHello records h, opens (or keeps) the requested per-consumer streams and returns
// the ConsumerConfig to send. A request that breaks §10.1.2 is declined with an empty
// channel and id 0 and the error says why; the consumer stays on the shared streams.
// A hello for another stream returns ok false.
func (t *Consumers) HandleHello(h *wire.ConsumerHello, nowNs int64) (a wire.ConsumerConfig, ok bool, err error) {
	e := t.observe(h, nowNs)
	if e == nil {
		return wire.ConsumerConfig{}, false, nil
	}
	err = t.moveStreams(e, &wire.ConsumerConfig{StreamID: t.streamID, ConsumerID: h.ConsumerID, UseShm: h.SupportsShm, Mode: h.Mode,
		DescriptorChannel: h.DescriptorChannel, DescriptorStreamID: h.DescriptorStreamID,
		ControlChannel: h.ControlChannel, ControlStreamID: h.ControlStreamID})
	return e.assigned, true, err
}

// ObserveHello records h as HandleHello does (liveness, max_rate_hz, progress hints) but
// leaves the per-consumer streams alone: in driver mode the driver answers the hello and
// assigns them (Driver spec §11), and the producer follows its ConsumerConfig (Apply).
// A hello for another stream returns false.
func (t *Consumers) ObserveHello(h *wire.ConsumerHello, nowNs int64) bool {
	return t.observe(h, nowNs) != nil
}

// observe records what every hello carries and returns its consumer's entry, or nil for
// a hello of another stream.
func (t *Consumers) observe(h *wire.ConsumerHello, nowNs int64) *consumerEntry {
	if h.StreamID != t.streamID {
		return nil
	}
	t.counters.Hellos++
	e := t.entry(h.ConsumerID, nowNs)
	e.lastSeenNs = nowNs
	// max_rate_hz binds only a RATE_LIMITED consumer (§10.1.2). A repeated hello keeps
	// the limiter's state, so periodic hellos cannot let extra frames through.
	var limiter RateLimiter
	if h.Mode == wire.ModeRateLimited {
		limiter = NewRateLimiter(h.MaxRateHz)
	}
	if limiter.periodNs != e.limiter.periodNs {
		e.limiter = limiter
	}
	e.progress, e.hint = h.SupportsProgress, ProgressHint{}
	if h.SupportsProgress {
		e.hint = hintOf(h)
	}
	return e
}

// Apply follows a ConsumerConfig for this stream, the driver's in driver mode (§10.1.3,
// Driver spec §11): the consumer's per-consumer descriptor and control publications move
// to the streams it assigns, and close where it assigns none. The consumer's liveness is
// still its hellos' and QoS's. A config for another stream returns ok false; an
// assignment that breaks §10.1.2 (a channel without an id, say) is not followed and the
// error says why.
func (t *Consumers) Apply(a *wire.ConsumerConfig, nowNs int64) (ok bool, err error) {
	if a.StreamID != t.streamID {
		return false, nil
	}
	t.counters.Configs++
	return true, t.moveStreams(t.entry(a.ConsumerID, nowNs), a)
}

// moveStreams gives e's consumer the per-consumer streams req names, as far as they are
// valid and open, and records the outcome as e.assigned: req with the streams it got.
func (t *Consumers) moveStreams(e *consumerEntry, req *wire.ConsumerConfig) error {
	got := *req
	var errD, errC error
	got.DescriptorChannel, got.DescriptorStreamID, e.descriptors, errD =
		t.assign(req.ConsumerID, "descriptor", req.DescriptorChannel, req.DescriptorStreamID, e.assigned.DescriptorChannel, e.assigned.DescriptorStreamID, e.descriptors)
	got.ControlChannel, got.ControlStreamID, e.control, errC =
		t.assign(req.ConsumerID, "control", req.ControlChannel, req.ControlStreamID, e.assigned.ControlChannel, e.assigned.ControlStreamID, e.control)
	e.assigned = got
	return errors.Join(errD, errC)
}

// assign returns the channel, stream id and publication for one request, reusing pub when
// the request has not changed and closing it when it has.
func (t *Consumers) assign(id uint32, field, channel string, streamID uint32, curChannel string, curID uint32, pub transport.Publication) (string, uint32, transport.Publication, error) {
	requested, err := validRequest(id, field, channel, streamID)
	if pub != nil && requested && channel == curChannel && streamID == curID {
		return channel, streamID, pub, nil
	}
	t.close(pub)
	if err != nil {
		t.counters.Declined++
		return "", 0, nil, err
	}
	if !requested {
		return "", 0, nil, nil
	}
	if t.open == nil {
		t.counters.Declined++
		return "", 0, nil, nil
	}
	pub, err = t.open(channel, int32(streamID))
	if err != nil {
		t.counters.Declined++
		return "", 0, nil, fmt.Errorf("producer: consumer %d: open %s stream: %w", id, field, err)
	}
	t.counters.Opened++
	return channel, streamID, pub, nil
}

func (t *Consumers) close(pub transport.Publication) {
	if pub != nil {
		_ = pub.Close() // closing is best effort: the consumer is gone or moved
		t.counters.Closed++
	}
}

func (t *Consumers) entry(id uint32, nowNs int64) *consumerEntry {
	for i := range t.entries {
		if t.entries[i].id == id {
			return &t.entries[i]
		}
	}
	t.entries = append(t.entries, consumerEntry{id: id, lastSeenNs: nowNs})
	return &t.entries[len(t.entries)-1]
}

// Close closes every per-consumer publication and forgets the consumers: the producer
// is going away.
func (t *Consumers) Close() {
	for i := range t.entries {
		t.close(t.entries[i].descriptors)
		t.close(t.entries[i].control)
	}
	t.entries = t.entries[:0]
}

// Touch refreshes a consumer's liveness, as a QosConsumer from it does (§10.1.3).
func (t *Consumers) Touch(streamID, consumerID uint32, nowNs int64) {
	if streamID != t.streamID {
		return
	}
	for i := range t.entries {
		if t.entries[i].id == consumerID {
			t.entries[i].lastSeenNs = nowNs
			return
		}
	}
}

// Expire closes the streams of consumers not heard from within the timeout and forgets
// them; it returns how many went.
func (t *Consumers) Expire(nowNs int64) int {
	kept := t.entries[:0]
	for _, e := range t.entries {
		if nowNs-e.lastSeenNs < t.timeoutNs {
			kept = append(kept, e)
			continue
		}
		t.close(e.descriptors)
		t.close(e.control)
		t.counters.Expired++
	}
	n := len(t.entries) - len(kept)
	clear(t.entries[len(kept):])
	t.entries = kept
	return n
}

// Describe sends the encoded FrameDescriptor msg on every per-consumer descriptor stream
// whose max_rate_hz allows a frame at nowNs, and returns how many took it; the shared
// stream is never gated (§10.1.2). It does not allocate.
func (t *Consumers) Describe(msg []byte, nowNs int64) int {
	sent := 0
	for i := range t.entries {
		e := &t.entries[i]
		if e.descriptors == nil {
			continue
		}
		if !e.limiter.Allow(nowNs) {
			t.counters.RateLimited++
			continue
		}
		if offer(e.descriptors, msg) != OK {
			t.counters.SendFailed++
			continue
		}
		t.counters.Described++
		sent++
	}
	return sent
}

// ProgressDemand is what the live consumers ask of FrameProgress (§10.2.2).
type ProgressDemand struct {
	// Consumers is the number of live consumers that support progress: progress is worth
	// sending only while it is not 0.
	Consumers int
	// Shared is how many of them read progress on the shared control stream; the others
	// were assigned a per-consumer control stream, where they read it instead (§5).
	Shared int
	// Policy combines their hints (CombineProgress).
	Policy ProgressPolicy
}

// ProgressDemand combines the hints of the live consumers that support progress
// (§10.1.2, §10.2.2): smallest interval and deltas, absent hints counting as defaults,
// never below floor. Consumers that went stale no longer count once Expire removed them.
func (t *Consumers) ProgressDemand(defaults, floor ProgressPolicy) ProgressDemand {
	var d ProgressDemand
	for i := range t.entries {
		e := &t.entries[i]
		if !e.progress {
			continue
		}
		if d.Consumers == 0 {
			d.Policy = e.hint.Policy(defaults)
		} else {
			d.Policy = d.Policy.WithHint(defaults, e.hint)
		}
		d.Consumers++
		if e.control == nil {
			d.Shared++
		}
	}
	if d.Consumers == 0 {
		d.Policy = defaults
	}
	d.Policy = d.Policy.AtLeast(floor)
	return d
}

// sendProgress offers an encoded FrameProgress on the per-consumer control stream of
// every consumer that supports progress; no other control message goes there (§5).
func (t *Consumers) sendProgress(msg []byte) {
	for i := range t.entries {
		e := &t.entries[i]
		if !e.progress || e.control == nil {
			continue
		}
		if offer(e.control, msg) != OK {
			t.counters.SendFailed++
			continue
		}
		t.counters.ProgressSent++
	}
}

// ErrNoControl is returned when a ConsumerConfig is due but Config.Control is nil.
var ErrNoControl = errors.New("producer: no control publication for ConsumerConfig")

// HandleControl takes a message from the control or QoS stream. A ConsumerHello is
// answered with a ConsumerConfig on the control publication, or in driver mode
// (Config.AssignedByDriver) only recorded, since the driver answers it; a ConsumerConfig
// for this stream is followed (Consumers.Apply), and a QosConsumer keeps its consumer
// alive (§10.1.3). Other messages, and everything when Config.Consumers is nil, are
// ignored. A malformed message is returned as an error and changes nothing.
func (p *Producer) HandleControl(buf []byte) error {
	t := p.cfg.Consumers
	if t == nil {
		return nil
	}
	h, err := wire.PeekHeader(buf)
	if err != nil {
		return err
	}
	switch h.ID() {
	case wire.QosConsumerID:
		var q wire.QosConsumer
		if err := q.Decode(buf); err != nil {
			return err
		}
		t.Touch(q.StreamID, q.ConsumerID, p.cfg.Clock().Nanos())
	case wire.ConsumerHelloID:
		var hello wire.ConsumerHello
		if err := hello.Decode(buf); err != nil {
			return err
		}
		if p.cfg.AssignedByDriver {
			if t.ObserveHello(&hello, p.cfg.Clock().Nanos()) {
				p.applyProgressDemand()
			}
			return nil
		}
		a, ok, reqErr := t.HandleHello(&hello, p.cfg.Clock().Nanos())
		if !ok {
			return nil
		}
		p.applyProgressDemand()
		return errors.Join(reqErr, p.sendConfig(&a))
	case wire.ConsumerConfigID:
		var a wire.ConsumerConfig
		if err := a.Decode(buf); err != nil {
			return err
		}
		// A half assignment (a channel without a stream id, or an id without a channel)
		// is not an assignment (§10.1.3): both halves are cleared.
		if a.DescriptorChannel == "" || a.DescriptorStreamID == 0 {
			a.DescriptorChannel, a.DescriptorStreamID = "", 0
		}
		if a.ControlChannel == "" || a.ControlStreamID == 0 {
			a.ControlChannel, a.ControlStreamID = "", 0
		}
		_, err := t.Apply(&a, p.cfg.Clock().Nanos())
		return err
	}
	return nil
}

func (p *Producer) sendConfig(a *wire.ConsumerConfig) error {
	if p.cfg.Control == nil {
		return ErrNoControl
	}
	if n := a.EncodedLength(); len(p.configBuf) < n {
		p.configBuf = make([]byte, n)
	}
	n, err := a.Encode(p.configBuf)
	if err != nil {
		return fmt.Errorf("producer: ConsumerConfig for consumer %d: %w", a.ConsumerID, err)
	}
	if r := offer(p.cfg.Control, p.configBuf[:n]); r != OK {
		p.fail(r)
		return fmt.Errorf("producer: ConsumerConfig for consumer %d: %s", a.ConsumerID, r)
	}
	return nil
}

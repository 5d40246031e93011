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

// OpenPublication adds a per-consumer publication on channel and stream; the table polls
// the add on the control path and hands the publication to the frame path once ready.
type OpenPublication func(channel string, streamID int32) transport.Pending[transport.Publication]

// ConsumerCounters are the control side's per-consumer statistics; the frame path counts
// what it sent there (Counters).
type ConsumerCounters struct {
	Hellos   uint64
	Configs  uint64 // ConsumerConfigs followed (Apply)
	Declined uint64 // requests rejected or publications that failed to open
	Opened   uint64 // per-consumer publications opened
	Closed   uint64 // closed because the consumer went stale, or replaced
	Expired  uint64 // consumers dropped as stale
}

// stream is one per-consumer publication: being added, or added.
type stream struct {
	pending transport.Pending[transport.Publication]
	pub     transport.Publication
}

type consumerEntry struct {
	id         uint32
	lastSeenNs int64
	maxRateHz  uint32 // the cap of a RATE_LIMITED consumer, 0 for none
	descriptor *stream
	control    *stream
	assigned   wire.ConsumerConfig
	// progress: the consumer said supports_progress; hint is what it asked for.
	progress bool
	hint     ProgressHint
}

// Consumers tracks the consumers that said hello on one stream, their per-consumer
// descriptor and control publications (§10.1.2–10.1.3) and their liveness, on the control
// side. Every change marks it dirty; the Controller then hands the frame path a new
// Targets (Snapshot). Publications it replaces or closes go to Retiring, for the
// Controller to close once the frame path no longer uses them.
type Consumers struct {
	streamID  uint32
	timeoutNs int64
	open      OpenPublication
	entries   []consumerEntry
	counters  ConsumerCounters
	dirty     bool
	retiring  []transport.Publication
}

// NewConsumers returns the table for streamID. timeoutNs is the staleness limit, which the
// spec puts at 3–5× the hello/QoS interval; open adds per-consumer publications (nil
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
	// max_rate_hz binds only a RATE_LIMITED consumer (§10.1.2).
	var rate uint32
	if h.Mode == wire.ModeRateLimited {
		rate = h.MaxRateHz
	}
	var hint ProgressHint
	if h.SupportsProgress {
		hint = hintOf(h)
	}
	if rate != e.maxRateHz || h.SupportsProgress != e.progress || hint != e.hint {
		e.maxRateHz, e.progress, e.hint = rate, h.SupportsProgress, hint
		t.dirty = true
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
// valid and can be added, and records the outcome as e.assigned: req with the streams it
// got.
func (t *Consumers) moveStreams(e *consumerEntry, req *wire.ConsumerConfig) error {
	got := *req
	var errD, errC error
	got.DescriptorChannel, got.DescriptorStreamID, e.descriptor, errD =
		t.assign(req.ConsumerID, "descriptor", req.DescriptorChannel, req.DescriptorStreamID, e.assigned.DescriptorChannel, e.assigned.DescriptorStreamID, e.descriptor)
	got.ControlChannel, got.ControlStreamID, e.control, errC =
		t.assign(req.ConsumerID, "control", req.ControlChannel, req.ControlStreamID, e.assigned.ControlChannel, e.assigned.ControlStreamID, e.control)
	e.assigned = got
	return errors.Join(errD, errC)
}

// assign returns the channel, stream id and stream for one request, keeping s when the
// request has not changed and retiring it when it has.
func (t *Consumers) assign(id uint32, field, channel string, streamID uint32, curChannel string, curID uint32, s *stream) (string, uint32, *stream, error) {
	requested, err := validRequest(id, field, channel, streamID)
	if s != nil && requested && channel == curChannel && streamID == curID {
		return channel, streamID, s, nil
	}
	t.retire(s)
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
	return channel, streamID, &stream{pending: t.open(channel, int32(streamID))}, nil
}

// retire gives s up: an add in progress is canceled, a publication waits in Retiring
// until the frame path no longer uses it.
func (t *Consumers) retire(s *stream) {
	if s == nil {
		return
	}
	t.dirty = true
	if s.pub == nil {
		s.pending.Cancel()
		return
	}
	t.retiring = append(t.retiring, s.pub)
	t.counters.Closed++
}

// Poll completes the per-consumer publications being added: a new one makes the table
// dirty, a refused one is dropped (the consumer stays on the shared stream) and returned
// as an error.
func (t *Consumers) Poll() error {
	var errs []error
	for i := range t.entries {
		e := &t.entries[i]
		if err := t.poll(e.id, "descriptor", &e.descriptor); err != nil {
			errs = append(errs, err)
		}
		if err := t.poll(e.id, "control", &e.control); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (t *Consumers) poll(id uint32, field string, sp **stream) error {
	s := *sp
	if s == nil || s.pub != nil {
		return nil
	}
	pub, err := s.pending.Poll()
	switch {
	case errors.Is(err, transport.ErrPending):
		return nil
	case err != nil:
		*sp = nil
		t.counters.Declined++
		return fmt.Errorf("producer: consumer %d: open %s stream: %w", id, field, err)
	}
	s.pub = pub
	t.counters.Opened++
	t.dirty = true
	return nil
}

func (t *Consumers) entry(id uint32, nowNs int64) *consumerEntry {
	for i := range t.entries {
		if t.entries[i].id == id {
			return &t.entries[i]
		}
	}
	t.entries = append(t.entries, consumerEntry{id: id, lastSeenNs: nowNs})
	t.dirty = true
	return &t.entries[len(t.entries)-1]
}

// Close retires every per-consumer publication and forgets the consumers: the producer
// is going away.
func (t *Consumers) Close() {
	for i := range t.entries {
		t.retire(t.entries[i].descriptor)
		t.retire(t.entries[i].control)
	}
	t.entries = t.entries[:0]
}

// TakeRetiring returns the publications retired since the last call, for the caller to
// close once the frame path has adopted the Targets that no longer name them.
func (t *Consumers) TakeRetiring() []transport.Publication {
	r := t.retiring
	t.retiring = nil
	return r
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

// Expire retires the streams of consumers not heard from within the timeout and forgets
// them; it returns how many went.
func (t *Consumers) Expire(nowNs int64) int {
	kept := t.entries[:0]
	for _, e := range t.entries {
		if nowNs-e.lastSeenNs < t.timeoutNs {
			kept = append(kept, e)
			continue
		}
		t.retire(e.descriptor)
		t.retire(e.control)
		t.counters.Expired++
		t.dirty = true
	}
	n := len(t.entries) - len(kept)
	clear(t.entries[len(kept):])
	t.entries = kept
	return n
}

// Dirty reports whether the table changed since the last Snapshot.
func (t *Consumers) Dirty() bool { return t.dirty }

// Snapshot builds the Targets the frame path should use now: the per-consumer streams
// that are in place, and the progress demand of the live consumers (ProgressDemand).
func (t *Consumers) Snapshot(defaults, floor ProgressPolicy) *Targets {
	t.dirty = false
	d := t.ProgressDemand(defaults, floor)
	s := &Targets{ProgressOn: d.Consumers > 0, ProgressShared: d.Shared > 0, Progress: d.Policy}
	for i := range t.entries {
		e := &t.entries[i]
		tg := Target{ConsumerID: e.id, Progress: e.progress, MaxRateHz: e.maxRateHz}
		if e.descriptor != nil {
			tg.Descriptors = e.descriptor.pub
		}
		if e.control != nil {
			tg.Control = e.control.pub
		}
		if tg.Descriptors != nil || tg.Control != nil {
			s.Consumers = append(s.Consumers, tg)
		}
	}
	return s
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
		if e.control == nil || e.control.pub == nil {
			d.Shared++
		}
	}
	if d.Consumers == 0 {
		d.Policy = defaults
	}
	d.Policy = d.Policy.AtLeast(floor)
	return d
}

// ErrNoControl is returned when a ConsumerConfig is due but Config.Control is nil.
var ErrNoControl = errors.New("producer: no control publication for ConsumerConfig")

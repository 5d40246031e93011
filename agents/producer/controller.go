package producer

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/internal/handoff"
	"github.com/tensorpool/tensorpool/internal/ordered"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// Controller is a producer's control side, across its epochs: the timers (the regions'
// activity timestamp, QosProducer, a standalone producer's ShmPoolAnnounce,
// DataSourceAnnounce and DataSourceMeta), the data-source metadata and its meta_version,
// and the consumers that said hello, with their per-consumer streams and progress hints.
// It runs on one goroutine (a role's duty cycle); each epoch's frame path (Producer) may
// run on another.
//
// What the frame path needs of it goes without a lock: meta_version is an atomic word, and
// the per-consumer streams and progress policy are Targets handed over through
// internal/handoff, which also tells the Controller when the frame path no longer uses a
// publication it replaced, so it is closed only then. What it needs of the frame path (the
// sequence, for QosProducer) the frame path publishes with release stores.
type Controller struct {
	cfg Config
	// defaultClock: cfg.Clock is clock.Now because Config left it nil.
	defaultClock bool
	streamID     uint32
	consumers    *Consumers

	metaVersion uint32 // atomic; the frame path loads it at every claim
	targets     handoff.Box[*Targets]
	retired     handoff.Retired[transport.Publication]
	// progressOn and progress are what SetProgress decided, for a producer without
	// Consumers.
	progressOn bool
	progress   ProgressPolicy

	// cur is the epoch the timers serve: its regions' activity timestamp, its sequence
	// and epoch in QosProducer and metadata. nil between epochs.
	cur      *Producer
	announce wire.ShmPoolAnnounce
	// announceBuf holds the encoded announce, re-stamped every period without allocating.
	announceBuf []byte

	meta           metadata
	nextActivityNs int64
	nextQosNs      int64
	nextAnnounceNs int64
	nextMetaNs     int64
	claim          transport.Claim
	configBuf      []byte
	counters       controlCounters
}

// controlCounters are the Controller's statistics, stored with release stores by the
// Controller alone, so Counters can read them from any goroutine.
type controlCounters struct {
	QosSent, AnnouncesSent, DataSourceAnnounces, DataSourceMetas, ActivityUpdates uint64
	Results                                                                       [ResultCount]uint64
}

func (c *controlCounters) add(field *uint64, n uint64) { ordered.StoreUint64(field, *field+n) }

// NewController makes the control side of a producer of streamID. Config's frame-path
// fields (Descriptors) are ignored here: NewEpoch takes the descriptor publication.
func NewController(streamID uint32, cfg Config) (*Controller, error) {
	defaultClock := cfg.Clock == nil
	if defaultClock {
		cfg.Clock = clock.Now
	}
	if cfg.ActivityIntervalNs <= 0 {
		cfg.ActivityIntervalNs = defaultIntervalNs
	}
	if cfg.QosIntervalNs <= 0 {
		cfg.QosIntervalNs = defaultIntervalNs
	}
	if cfg.AnnounceIntervalNs <= 0 {
		cfg.AnnounceIntervalNs = defaultIntervalNs
	}
	if cfg.Progress == (ProgressPolicy{}) {
		cfg.Progress = DefaultProgressPolicy
	}
	if cfg.ProgressFloor == (ProgressPolicy{}) {
		cfg.ProgressFloor = DefaultProgressFloor
	}
	if !cfg.WireVersion.Valid() {
		return nil, configError("", "WireVersion", cfg.WireVersion, "not a wire spec version this producer speaks (1.1, 1.2)")
	}
	if cfg.Consumers != nil && cfg.Consumers.streamID != streamID {
		return nil, configError("10.1.2", "Consumers stream", cfg.Consumers.streamID, fmt.Sprintf("the layout's stream is %d", streamID))
	}
	c := &Controller{cfg: cfg, defaultClock: defaultClock, streamID: streamID, consumers: cfg.Consumers,
		metaVersion: math.MaxUint32} // absent until set (§10.1)
	c.progress = cfg.Progress
	c.postTargets()
	return c, nil
}

// NewEpoch builds the frame path of a new epoch over regions, publishing descriptors on
// descriptors, and makes it the epoch the timers serve. The caller hands it to the goroutine
// that publishes frames and closes the regions once that goroutine is done with them.
func (c *Controller) NewEpoch(regions *Regions, descriptors transport.Publication) (*Producer, error) {
	if regions.layout.StreamID != c.streamID {
		return nil, configError("8.1", "stream_id", regions.layout.StreamID, fmt.Sprintf("the producer's stream is %d", c.streamID))
	}
	var announce wire.ShmPoolAnnounce
	var announceBuf []byte
	if c.cfg.Announce != nil {
		// Encoded once here so a bad layout fails now rather than every DoWork.
		var err error
		if announce, err = regions.Announce(c.cfg.ProducerID); err != nil {
			return nil, err
		}
		announceBuf = make([]byte, announce.EncodedLength())
		if _, err := announce.Encode(announceBuf); err != nil {
			return nil, configError("10.1.1", "announce", announce.HeaderRegionURI, err.Error())
		}
	}
	p, err := newEpoch(c, regions, descriptors)
	if err != nil {
		return nil, err
	}
	c.cur, c.announce, c.announceBuf = p, announce, announceBuf
	c.nextActivityNs, c.nextQosNs, c.nextAnnounceNs = 0, 0, 0
	c.meta.dirty = c.meta.dirty || c.meta.announced || len(c.meta.attrs) > 0 // re-announce for the new epoch (§10.3)
	return p, nil
}

// EndEpoch stops serving p's epoch (its lease ended): no more activity refreshes,
// QosProducer or announces for it.
func (c *Controller) EndEpoch(p *Producer) {
	if c.cur == p {
		c.cur = nil
	}
}

// Current is the epoch the timers serve, nil between epochs.
func (c *Controller) Current() *Producer { return c.cur }

// Consumers is the consumer table, nil for a producer that serves the shared streams only.
func (c *Controller) Consumers() *Consumers { return c.consumers }

// SetProgress turns FrameProgress on or off and sets its policy, the producer's final say
// (§10.2.2: on only when some consumer supports it), for a producer without Consumers:
// with Consumers, the consumers' hellos decide (Consumers.ProgressDemand). Progress goes to
// Config.Control. The frame path follows from its next claim.
func (c *Controller) SetProgress(on bool, policy ProgressPolicy) {
	c.progressOn, c.progress = on, policy
	if c.consumers == nil {
		c.postTargets()
	}
}

// SetControl sets the shared control stream (Config.Control) once it is in place: it
// carries the ConsumerConfigs the producer answers, and FrameProgress while a consumer
// reads it there.
func (c *Controller) SetControl(pub transport.Publication) {
	c.cfg.Control = pub
	c.postTargets()
}

// SetQos sets the QosProducer publication (Config.Qos) once it is in place.
func (c *Controller) SetQos(pub transport.Publication) { c.cfg.Qos = pub }

// SetMetadata sets the metadata publication (Config.Metadata) once it is in place.
func (c *Controller) SetMetadata(pub transport.Publication) { c.cfg.Metadata = pub }

// postTargets hands the frame path what it should send besides the shared descriptor
// stream now, and retires the publications the consumer table gave up with it.
func (c *Controller) postTargets() {
	t := &Targets{ProgressOn: c.progressOn && c.cfg.Control != nil, ProgressShared: true, Progress: c.progress}
	if c.consumers != nil {
		t = c.consumers.Snapshot(c.cfg.Progress, c.cfg.ProgressFloor)
		t.ProgressShared = t.ProgressShared && c.cfg.Control != nil
		t.ProgressOn = t.ProgressShared || anyPerConsumerProgress(t)
	}
	t.Shared = c.cfg.Control
	gen := c.targets.Post(t)
	if c.consumers != nil {
		for _, pub := range c.consumers.TakeRetiring() {
			c.retired.Add(pub, gen)
		}
	}
}

func anyPerConsumerProgress(t *Targets) bool {
	for i := range t.Consumers {
		if t.Consumers[i].Progress && t.Consumers[i].Control != nil {
			return true
		}
	}
	return false
}

func (c *Controller) fail(r Result) Result {
	c.counters.add(&c.counters.Results[r], 1)
	return r
}

// DoWork runs the control side's duty: it refreshes the current epoch's activity timestamp
// (§15.14), publishes QosProducer (§10.4.2), a standalone producer's ShmPoolAnnounce
// (§10.1.1) and the metadata (§10.3), completes and expires per-consumer streams, hands
// the frame path changed Targets and closes the publications it no longer uses. It
// returns the work done.
func (c *Controller) DoWork(nowNs int64) int {
	work := 0
	if c.cur != nil {
		work += c.epochTimers(nowNs)
	}
	if t := c.consumers; t != nil {
		if err := t.Poll(); err != nil {
			work++ // a refused per-consumer stream: the consumer stays on the shared one
		}
		work += t.Expire(nowNs)
		if t.Dirty() {
			c.postTargets()
			work++
		}
	}
	work += c.retired.Release(c.targets.Adopted(), closePublication)
	return work
}

func closePublication(pub transport.Publication) {
	_ = pub.Close() // best effort: the stream is being abandoned
}

func (c *Controller) epochTimers(nowNs int64) int {
	work := 0
	if nowNs >= c.nextActivityNs {
		c.RefreshActivity(nowNs)
		c.nextActivityNs = nowNs + c.cfg.ActivityIntervalNs
		work++
	}
	if c.cfg.Qos != nil && nowNs >= c.nextQosNs {
		if c.sendQos() == OK {
			c.nextQosNs = nowNs + c.cfg.QosIntervalNs
			work++
		}
	}
	if c.cfg.Announce != nil && nowNs >= c.nextAnnounceNs {
		if c.sendAnnounce(nowNs) == OK {
			c.nextAnnounceNs = nowNs + c.cfg.AnnounceIntervalNs
			work++
		}
	}
	hasMeta := c.meta.announced || c.meta.dirty || len(c.meta.attrs) > 0
	if c.cfg.Metadata != nil && hasMeta && (c.meta.dirty || nowNs >= c.nextMetaNs) {
		refresh := nowNs >= c.nextMetaNs
		if c.sendMetadata(nowNs, refresh) == OK {
			if refresh {
				c.nextMetaNs = nowNs + c.cfg.AnnounceIntervalNs
			}
			work++
		}
	}
	return work
}

// RefreshActivity stores nowNs as activity_timestamp_ns in every superblock of the
// current epoch, the liveness signal consumers and supervisors check (§15.1, §15.14). The
// stores are atomic: the frame path never writes the superblocks.
//
// A fault writing them (a file truncated, see recoverFault) marks the epoch dead
// (Producer.Fault) instead of killing the process.
func (c *Controller) RefreshActivity(nowNs int64) {
	cur := c.cur
	if cur == nil || cur.fault.Load() != nil {
		return
	}
	prev := debug.SetPanicOnFault(true)
	defer cur.recoverControlFault(prev)
	for _, sb := range cur.superblocks {
		shm.StoreActivityTimestamp(sb, uint64(nowNs))
	}
	c.counters.add(&c.counters.ActivityUpdates, 1)
}

func (c *Controller) sendQos() Result {
	if r := tryClaim(c.cfg.Qos, &c.claim, wire.QosProducerLength); r != OK {
		return c.fail(r)
	}
	seq := atomic.LoadUint64(&c.cur.counters.Frames) // the epoch's next sequence number
	q := wire.QosProducer{StreamID: c.streamID, ProducerID: c.cfg.ProducerID, Epoch: c.cur.epoch, CurrentSeq: seq, Watermark: wire.NullU32}
	q.Encode(c.claim.Buffer()) // cannot fail: the claim is QosProducerLength bytes
	c.claim.Commit()
	c.counters.add(&c.counters.QosSent, 1)
	return OK
}

// sendAnnounce offers the announce: it may be longer than one frame, which try-claim
// cannot carry, so it is copied in (and fragmented) by Offer.
func (c *Controller) sendAnnounce(nowNs int64) Result {
	c.announce.AnnounceTimestampNs = uint64(nowNs)
	n, _ := c.announce.Encode(c.announceBuf) // checked by NewEpoch
	for range maxAdminRetries {
		position := c.cfg.Announce.Offer(c.announceBuf[:n])
		if position >= 0 {
			c.counters.add(&c.counters.AnnouncesSent, 1)
			return OK
		}
		if position != transport.AdminAction {
			return c.fail(publicationResult(position))
		}
	}
	return c.fail(DropAdminAction)
}

// HandleControl takes a message from the control or QoS stream. A ConsumerHello is
// answered with a ConsumerConfig on the control publication, or in driver mode
// (Config.AssignedByDriver) only recorded, since the driver answers it; a ConsumerConfig
// for this stream is followed (Consumers.Apply), and a QosConsumer keeps its consumer
// alive (§10.1.3). Other messages, and everything when Config.Consumers is nil, are
// ignored. A malformed message is returned as an error and changes nothing. What it
// changes reaches the frame path through DoWork, or at once when it changed the Targets.
func (c *Controller) HandleControl(buf []byte) error {
	t := c.consumers
	if t == nil {
		return nil
	}
	err := c.handleControl(t, buf)
	// Streams a hello or config asked for may be added at once (or have failed): take
	// them now, so the frame path serves them from its next claim.
	err = errors.Join(err, t.Poll())
	if t.Dirty() {
		c.postTargets()
	}
	return err
}

func (c *Controller) handleControl(t *Consumers, buf []byte) error {
	h, err := wire.PeekHeader(buf)
	if err != nil {
		return err
	}
	nowNs := c.cfg.Clock().Nanos()
	switch h.ID() {
	case wire.QosConsumerID:
		var q wire.QosConsumer
		if err := q.Decode(buf); err != nil {
			return err
		}
		t.Touch(q.StreamID, q.ConsumerID, nowNs)
	case wire.ConsumerHelloID:
		var hello wire.ConsumerHello
		if err := hello.Decode(buf); err != nil {
			return err
		}
		if c.cfg.AssignedByDriver {
			t.ObserveHello(&hello, nowNs)
			return nil
		}
		a, ok, reqErr := t.HandleHello(&hello, nowNs)
		if !ok {
			return nil
		}
		return errors.Join(reqErr, c.sendConfig(&a))
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
		_, err := t.Apply(&a, nowNs)
		return err
	}
	return nil
}

func (c *Controller) sendConfig(a *wire.ConsumerConfig) error {
	if c.cfg.Control == nil {
		return ErrNoControl
	}
	if n := a.EncodedLength(); len(c.configBuf) < n {
		c.configBuf = make([]byte, n)
	}
	n, err := a.Encode(c.configBuf)
	if err != nil {
		return fmt.Errorf("producer: ConsumerConfig for consumer %d: %w", a.ConsumerID, err)
	}
	if r := offer(c.cfg.Control, c.configBuf[:n]); r != OK {
		c.fail(r)
		return fmt.Errorf("producer: ConsumerConfig for consumer %d: %s", a.ConsumerID, r)
	}
	return nil
}

// addCounters adds the Controller's statistics to c.
func (c *Controller) addCounters(into *Counters) {
	k := &c.counters
	into.QosSent = atomic.LoadUint64(&k.QosSent)
	into.AnnouncesSent = atomic.LoadUint64(&k.AnnouncesSent)
	into.DataSourceAnnounces = atomic.LoadUint64(&k.DataSourceAnnounces)
	into.DataSourceMetas = atomic.LoadUint64(&k.DataSourceMetas)
	into.ActivityUpdates = atomic.LoadUint64(&k.ActivityUpdates)
	for i := range k.Results {
		into.Results[i] += atomic.LoadUint64(&k.Results[i])
	}
}

// Close retires every per-consumer publication and closes them, with every publication
// still waiting for the frame path: the frame path must be done (no call in progress, none
// to come).
func (c *Controller) Close() {
	if c.consumers != nil {
		c.consumers.Close()
		for _, pub := range c.consumers.TakeRetiring() {
			closePublication(pub)
		}
	}
	c.retired.ReleaseAll(closePublication)
	c.cur = nil
}

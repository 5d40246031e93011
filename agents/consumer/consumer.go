package consumer

import (
	"errors"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/internal/handoff"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// ErrNoHandler: New needs a FrameHandler.
var ErrNoHandler = errors.New("consumer: a frame handler is required")

// Config configures a Consumer. Zero values pick the defaults.
type Config struct {
	StreamID   uint32
	ConsumerID uint32
	// Mode is reported in QosConsumer; default STREAM (§11). In RATE_LIMITED mode with
	// MaxRateHz set, the consumer thins frames locally to that rate (§11).
	Mode wire.Mode
	// MaxRateHz is the RATE_LIMITED cap, 0 for none. It is a u32 as on the wire (§10.1.2);
	// the reference kept it in 16 bits.
	MaxRateHz uint32
	// AllowedBaseDirs are the only directories regions may be mapped from (§15.21a.5);
	// required to map announced URIs.
	AllowedBaseDirs []string
	// FreshnessNs is the window for announce timestamps and the activity timestamp;
	// default 3 s, 3 × the recommended 1 s announce period (§10.1.1, §15.1).
	FreshnessNs int64
	// MaxOutstandingSeqGap: a descriptor gap larger than this is counted as a resync
	// (§15.4, reported in Counters); 0 disables the check. The consumer is already at the
	// newest descriptor when it sees the gap, so resyncing needs no further action.
	MaxOutstandingSeqGap uint64
	// Clock is CLOCK_MONOTONIC, the domain of activity and MONOTONIC announce timestamps
	// (default clock.Now); RealtimeClock is Unix time in nanoseconds, for REALTIME_SYNCED
	// announces (default time.Now().UnixNano).
	Clock         func() clock.Mono
	RealtimeClock func() int64
	// Host overrides page and hugepage facts for stride checks (tests); nil reads /proc.
	Host *shm.HostMemory
	// WireVersion is the spec whose stride rule (§15.22) the consumer applies to the
	// regions it maps: V1_1's page multiple (the default), or V1_2's power-of-two multiple
	// of 64, which maps a v1.2 driver's small strides. Descriptors and progress of either
	// version are read whatever it says.
	WireVersion wire.Version
	// Qos receives QosConsumer on DoWork; nil disables them.
	Qos Sender
	// QosIntervalNs is the QosConsumer period; default 1 s (§10.4.1).
	QosIntervalNs int64
	// Hellos receives ConsumerHello on DoWork (§10.1.2), normally the control stream; nil
	// disables them. HelloIntervalNs is their period; default 1 s.
	Hellos          Sender
	HelloIntervalNs int64
	// Per-consumer stream requests for ConsumerHello (§10.1.2): a channel and a non-zero
	// stream id, or neither.
	DescriptorChannel  string
	DescriptorStreamID uint32
	ControlChannel     string
	ControlStreamID    uint32
	// Progress opts in to FrameProgress (§10.2.2): the hello says supports_progress, with
	// the hints below, and valid progress is kept for Consumer.Progress. Without it
	// FrameProgress is ignored. The hints are progress_interval_us, progress_bytes_delta
	// and progress_major_delta_units (§10.1.2); 0 leaves one to the producer's default.
	Progress                bool
	ProgressIntervalUs      uint32
	ProgressBytesDelta      uint32
	ProgressMajorDeltaUnits uint32
	// PayloadFallbackURI is where to get payloads when SHM cannot be used (§10.1.3,
	// §15.12, §15.22): an Aeron channel or bridge://<id> (ValidateFallbackURI). A
	// ConsumerConfig's non-empty payload_fallback_uri takes precedence. "" for none.
	PayloadFallbackURI string
}

// Counters are the consumer's statistics.
type Counters struct {
	Frames    uint64 // accepted frames
	Bytes     uint64 // payload bytes of accepted frames
	Ignored   uint64 // messages on the descriptor stream that are not FrameDescriptors
	DropsGap  uint64 // frames skipped in the descriptor sequence (§15.4)
	DropsLate uint64 // frames being written or overwritten when read (§15.3, §15.4)
	Resyncs   uint64 // gaps beyond MaxOutstandingSeqGap
	Remaps    uint64 // mappings made
	Unmaps    uint64 // mappings released (epoch change, stale activity, pid change, Close)
	QosSent   uint64
	HelloSent uint64
	LastSeq   uint64 // last descriptor seq seen
	// Configs counts ConsumerConfigs applied to this consumer; ConfigsInvalid those that
	// failed validation (§10.1.3).
	Configs        uint64
	ConfigsInvalid uint64
	// MetadataUpdates counts DataSourceMetas kept; MetadataInvalid the DataSourceAnnounce
	// and DataSourceMeta messages that failed validation (§10.3).
	MetadataUpdates uint64
	MetadataInvalid uint64
	Drops           [DropCount]uint64
	// Progress counts FrameProgress messages by verdict (§10.2.2).
	Progress [ProgressVerdictCount]uint64
	// Rejections counts announced epochs whose regions failed validation (§15.22,
	// §15.21a.5, §15.1); Fallbacks the entries into the FALLBACK state (§15.12).
	Rejections uint64
	Fallbacks  uint64
}

// Sender is what a consumer sends its hellos and QoS through: a transport.Publication, or
// anything that try-claims like one (a publication still being added answers
// transport.NotConnected).
type Sender interface {
	TryClaim(length int, c *transport.Claim) int64
}

// FrameHandler receives each frame that passed every check. See the package comment for
// how long the frame and its payload may be used. It runs inside the Reader's Poll or
// HandleDescriptor, on the polling goroutine, and must not call the Reader again.
type FrameHandler func(f *Frame)

// Frame is a zero-copy view of one frame. The consumer reuses it for every frame.
type Frame struct {
	StreamID    uint32
	Epoch       uint64
	Seq         uint64
	HeaderIndex uint32
	TimestampNs uint64 // the slot header's timestamp_ns (CLOCK_MONOTONIC for this producer)
	MetaVersion uint32
	// Version is the layout of the frame's FrameDescriptor. In v1.1 HeaderIndex is the
	// descriptor's header_index; in v1.2 the consumer derived it from Seq.
	Version wire.Version
	// PublishTimeNs is the FrameDescriptor's timestamp_ns, wire.NullU64 when absent: the
	// publish time in v1.2, not to be taken for TimestampNs, the capture time (Wire spec
	// v1.2 §10.2.1).
	PublishTimeNs uint64
	// TraceID is the FrameDescriptor's trace_id (TraceLink spec §8.1): 0 when absent, and
	// always in v1.1.
	TraceID uint64
	PoolID  uint16
	// Tensor is the validated tensor header: dtype, major order, ndims, dims and strides as
	// written (0 strides mean contiguous), progress unit and stride.
	Tensor shm.TensorHeader
	// Strides are the byte strides with inferred (0) entries resolved; entries at and
	// beyond Tensor.Ndims are 0.
	Strides [shm.MaxDims]int64
	// Payload is values_len_bytes of the payload slot, read in place.
	Payload []byte

	slot shm.HeaderSlot
	word uint64
	m    *mapping
	// deferred: the handler keeps the frame to read after it returns (DeferValidation).
	deferred bool
}

// SlotBytes is the frame's 256-byte header slot, read in place like Payload (and valid
// as long as it): a bridge forwards it whole (Bridge spec §5.2).
func (f *Frame) SlotBytes() []byte { return f.slot.Bytes() }

// Dims is the tensor's shape: Tensor.Dims[:Tensor.Ndims].
func (f *Frame) Dims() []int32 { return f.Tensor.Dims[:f.Tensor.Ndims] }

// Valid re-checks the slot's seqlock (§8.3 consumer step 4): true means nothing was
// written to the slot since the header was read, so whatever the caller read from Payload
// before calling Valid belongs to this frame.
func (f *Frame) Valid() bool { return f.slot.ReadEnd(f.word) == shm.DropNone }

// SeqCommitWord is the frame's slot's seq_commit word in the mapped header ring, for a
// reader that re-checks the frame where Valid cannot be called (the C ABI re-checks it in
// C): while the word, loaded atomically after the payload reads, equals SeqCommit,
// nothing overwrote the frame. It points into the mapping, which stays mapped at least
// until the next Poll begins.
func (f *Frame) SeqCommitWord() *uint64 { return f.slot.SeqCommitWord() }

// SeqCommit is the committed seq_commit value the frame was read under (§8.3 step 1).
func (f *Frame) SeqCommit() uint64 { return f.word }

// DeferValidation tells the Reader, from inside the handler, that the handler did not
// read the frame but keeps it to read after the call returns and will re-check it itself
// (SeqCommitWord): the Reader then counts the frame as delivered without re-checking it
// when the handler returns, since a check there would say nothing about reads made later.
func (f *Frame) DeferValidation() { f.deferred = true }

// FrameMark is what re-checking a frame later needs: its identity and its slot's seqlock
// word, a fifth of a Frame to keep per frame.
type FrameMark struct {
	Epoch, Seq  uint64
	HeaderIndex uint32
	slot        shm.HeaderSlot
	word        uint64
	m           *mapping
}

// Mark returns f's FrameMark.
func (f *Frame) Mark() FrameMark {
	return FrameMark{Epoch: f.Epoch, Seq: f.Seq, HeaderIndex: f.HeaderIndex, slot: f.slot, word: f.word, m: f.m}
}

// Consumer is the control side of a consumer of one stream: it judges announces and maps
// their regions, follows ConsumerConfig, keeps metadata and progress, checks liveness and
// sends hellos and QoS. It hands the data path, its Reader, an immutable view of what to
// read through a lock-free hand-off (internal/handoff), and releases a mapping only once
// the Reader has moved past it.
//
// A Consumer is not safe for concurrent use: one goroutine (an agent's duty cycle) calls
// its methods, while the Reader may run on another.
type Consumer struct {
	cfg    Config
	policy *shm.PathPolicy
	filter AnnounceFilter
	rd     *Reader
	// announced: a ShmPoolAnnounce of the stream arrived since TakeAnnounced.
	announced bool

	// m is the mapped epoch (state M1), nil in M0. drain is an epoch whose producer's
	// lease ended (Driver spec §4.9), handed to the Reader to read out in the view posted
	// as generation drainGen. descs is the subscription the Reader polls (Agent).
	m        *mapping
	drain    *mapping
	drainGen uint64
	descs    transport.Subscription
	mapGen   uint64 // mappings made, naming each (mapping.gen)
	views    handoff.Box[*view]
	retired  handoff.Retired[resource]
	// faultSeen is the last mapping the Reader gave up on a fault that sync has handled.
	faultSeen *mapping

	ratePeriodNs int64
	// counters holds the control side's counts; Counters adds the Reader's.
	counters Counters

	// blockedEpoch is an epoch the consumer gave up on (pid change): announces for it are
	// ignored until a new epoch appears (§15.14).
	blockedEpoch uint64
	blocked      bool

	onControl  transport.Handler
	onProgress transport.Handler
	controlErr error

	progress    wire.FrameProgress
	hasProgress bool
	fallback    fallbackState
	revoked     wire.ShmLeaseRevoked

	claim       transport.Claim
	nextQosNs   int64
	nextHelloNs int64

	// assigned is the last ConsumerConfig applied; noShm is its use_shm = false.
	assigned wire.ConsumerConfig
	noShm    bool

	source    wire.DataSourceAnnounce
	hasSource bool
	meta      wire.DataSourceMeta
	hasMeta   bool
}

const (
	defaultFreshnessNs = 3 * int64(time.Second)
	defaultIntervalNs  = int64(time.Second)
)

// New makes an unmapped consumer (state M0) whose Reader delivers frames to handler.
func New(cfg Config, handler FrameHandler) (*Consumer, error) {
	if handler == nil {
		return nil, ErrNoHandler
	}
	if cfg.Mode == 0 {
		cfg.Mode = wire.ModeStream
	}
	if cfg.FreshnessNs <= 0 {
		cfg.FreshnessNs = defaultFreshnessNs
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Now
	}
	if cfg.RealtimeClock == nil {
		cfg.RealtimeClock = func() int64 { return time.Now().UnixNano() }
	}
	if cfg.QosIntervalNs <= 0 {
		cfg.QosIntervalNs = defaultIntervalNs
	}
	if cfg.HelloIntervalNs <= 0 {
		cfg.HelloIntervalNs = defaultIntervalNs
	}
	if err := errors.Join(checkRequest("descriptor", cfg.DescriptorChannel, cfg.DescriptorStreamID),
		checkRequest("control", cfg.ControlChannel, cfg.ControlStreamID)); err != nil {
		return nil, err
	}
	if cfg.PayloadFallbackURI != "" {
		if err := ValidateFallbackURI(cfg.PayloadFallbackURI); err != nil {
			return nil, err
		}
	}
	c := &Consumer{cfg: cfg}
	c.rd = newReader(&c.cfg, handler, &c.views)
	c.SetMode(cfg.Mode, cfg.MaxRateHz)
	if len(cfg.AllowedBaseDirs) > 0 {
		policy, err := shm.NewPathPolicy(cfg.AllowedBaseDirs...)
		if err != nil {
			return nil, err
		}
		c.policy = policy
	}
	c.filter = AnnounceFilter{StreamID: cfg.StreamID, LayoutVersion: shm.LayoutVersion, FreshnessNs: cfg.FreshnessNs, JoinNs: cfg.Clock().Nanos()}
	c.onControl = func(msg []byte, _ *transport.Header) {
		if err := c.HandleControl(msg); err != nil {
			c.controlErr = err
		}
	}
	c.onProgress = c.newProgressHandler()
	return c, nil
}

// Reader is the consumer's data path, for the goroutine that polls frames.
func (c *Consumer) Reader() *Reader { return c.rd }

// SetMode changes the consumer mode and rate cap, as a ConsumerConfig may (§10.1.3).
func (c *Consumer) SetMode(mode wire.Mode, maxRateHz uint32) {
	c.cfg.Mode, c.cfg.MaxRateHz = mode, maxRateHz
	if period := newRateGate(mode, maxRateHz).periodNs; period != c.ratePeriodNs || c.views.Posted() == 0 {
		c.ratePeriodNs = period
		c.post()
	}
}

// SetJoinTime sets the CLOCK_MONOTONIC time the control subscription's image became
// available; MONOTONIC announces stamped earlier are replays and ignored (§10.1.1).
func (c *Consumer) SetJoinTime(monoNs int64) { c.filter.JoinNs = monoNs }

// Counters returns a snapshot of the statistics: the control side's and those the Reader
// published by the end of its last call.
func (c *Consumer) Counters() Counters {
	c.sync()
	return c.counters.with(c.rd.snapshot())
}

// with returns the control side's counts k completed with the Reader's r.
func (k Counters) with(r readCounters) Counters {
	k.Frames, k.Bytes, k.Ignored = r.Frames, r.Bytes, r.Ignored
	k.DropsGap, k.DropsLate, k.Resyncs, k.LastSeq = r.DropsGap, r.DropsLate, r.Resyncs, r.LastSeq
	for i, d := range r.Drops {
		k.Drops[i] += d
	}
	return k
}

// Mapped returns the mapped epoch, if any (state M1).
func (c *Consumer) Mapped() (epoch uint64, ok bool) {
	c.sync()
	return c.mapped()
}

func (c *Consumer) mapped() (epoch uint64, ok bool) {
	if c.m == nil {
		return 0, false
	}
	return c.m.epoch, true
}

// PollControl reads the control stream (announces, fragmented or not: the subscription
// reassembles them) and returns the fragments read. An announce rejection is kept for
// ControlError.
func (c *Consumer) PollControl(sub transport.Subscription, fragmentLimit int) int {
	return sub.Poll(c.onControl, fragmentLimit)
}

// ControlError returns and clears the last control-path error PollControl or DoWork met:
// an announce rejected, or a mapping given up for a stale activity timestamp. A mapping
// given up because its file was truncated (ErrRegionTruncated) is kept here too, whichever
// side met it, the Reader's Poll and HandleDescriptor included.
func (c *Consumer) ControlError() error {
	c.sync()
	err := c.controlErr
	c.controlErr = nil
	return c.rd.addFault(err)
}

// HandleControl handles one control- or metadata-stream message: a ShmPoolAnnounce is
// judged and mapped (ApplyAnnounce), a ConsumerConfig applied (ApplyConfig), a
// DataSourceAnnounce or DataSourceMeta kept by meta_version (§10.3), a FrameProgress
// judged as a hint (HandleProgress; its verdict is counted, not returned) and a
// ShmLeaseRevoked of the stream's producer drains the mapped epoch (ProducerGone); other
// messages are ignored. Errors say why a message was not used.
func (c *Consumer) HandleControl(buf []byte) error {
	h, err := wire.PeekHeader(buf)
	if err != nil {
		return err
	}
	c.sync()
	switch h.ID() {
	case wire.FrameProgressID:
		c.handleSharedProgress(buf) // a hint: counted by verdict, never an error
	case wire.ConsumerConfigID:
		var a wire.ConsumerConfig
		if err := a.Decode(buf); err != nil {
			c.counters.ConfigsInvalid++
			return err
		}
		_, err := c.applyConfig(&a)
		return err
	case wire.DataSourceAnnounceID, wire.DataSourceMetaID:
		return c.applyMetadataMessage(buf, h.ID())
	case wire.ShmPoolAnnounceID:
		var a wire.ShmPoolAnnounce
		if err := a.Decode(buf); err != nil {
			return err
		}
		c.announced = c.announced || a.StreamID == c.cfg.StreamID
		_, err := c.ApplyAnnounce(&a)
		return err
	case wire.ShmLeaseRevokedID:
		if producerRevoked(buf, c.cfg.StreamID, &c.revoked) {
			c.ProducerGone()
		}
	}
	return nil
}

// TakeAnnounced reports whether a ShmPoolAnnounce of the consumer's stream arrived
// through HandleControl since the last call: the stream exists at its driver.
func (c *Consumer) TakeAnnounced() bool {
	a := c.announced
	c.announced = false
	return a
}

// ApplyAnnounce judges an announce (AnnounceFilter) and acts on the verdict: map a new or
// higher epoch, replacing the mapped one only once the new one is in place, so an
// announce whose regions fail validation costs the mapped epoch nothing (§15.2, §15.21,
// §15.22); re-validate the mapped epoch's superblocks on a refresh, remapping on mismatch
// and unmapping on a pid change (§15.1, §15.14). Regions are opened through the
// containment policy (§15.21a.5).
func (c *Consumer) ApplyAnnounce(a *wire.ShmPoolAnnounce) (v AnnounceVerdict, err error) {
	c.sync()
	prev := debug.SetPanicOnFault(true) // a refresh re-reads the mapped superblocks
	defer c.recoverFault(prev, &err)
	epoch, mapped := c.mapped()
	v = c.filter.Judge(a, c.cfg.Clock().Nanos(), c.cfg.RealtimeClock(), epoch, mapped)
	switch v {
	case AnnounceRefresh:
		return v, c.refresh(a)
	case AnnounceMap:
		if c.noShm {
			return AnnounceIgnoreNoShm, nil
		}
		if c.fallback.rejected && a.Epoch <= c.fallback.epoch {
			return AnnounceIgnoreFallback, nil
		}
		if c.blocked && a.Epoch == c.blockedEpoch {
			return v, &LivenessError{Section: "15.14", Field: "epoch", Epoch: a.Epoch, Value: a.Epoch, Want: "a new epoch after a pid change", Err: ErrPidChanged}
		}
		if c.policy == nil {
			return v, c.reject(a.Epoch, announceError("15.21a.5", "allowed_base_dirs", "", "no allowed base directory configured"))
		}
		regions, err := openAnnounce(a, c.policy, c.cfg.Host, c.cfg.WireVersion == wire.V1_2)
		if err == nil {
			err = c.attach(a, regions)
		}
		if err != nil {
			return v, c.reject(a.Epoch, err)
		}
		c.leaveFallback()
		return v, nil
	}
	return v, nil
}

// AttachRegions maps the epoch a describes over regions the caller already holds (header
// ring first, then a's pools in order), for in-process producers and tests; the consumer
// takes ownership of them. The superblock and activity checks are those of ApplyAnnounce,
// without the file checks; the mapped epoch is replaced only once they passed.
func (c *Consumer) AttachRegions(a *wire.ShmPoolAnnounce, regions []shm.Region) error {
	c.sync()
	return c.attach(a, regions)
}

// attach validates and maps a's regions, then makes them the mapped epoch, retiring the
// one mapped before (make before break). On error the regions are closed and the mapping
// is left as it was.
func (c *Consumer) attach(a *wire.ShmPoolAnnounce, regions []shm.Region) error {
	m, err := newMapping(a, regions, c.cfg.Clock().Nanos(), c.cfg.FreshnessNs)
	if err != nil {
		for _, r := range regions {
			r.Close()
		}
		return err
	}
	c.mapGen++
	m.gen = c.mapGen
	c.replace(m)
	c.filter.Mapped(a.Epoch)
	// A new epoch may come with a new producer, which learns of its consumers from their
	// hellos (§10.1.2): the next duty cycle sends one rather than waiting out the period.
	c.nextHelloNs = 0
	c.blocked = false
	c.counters.Remaps++
	return nil
}

// replace makes m the mapped epoch (nil: none) and hands it to the Reader; the epoch
// mapped before is released once the Reader moved past it.
func (c *Consumer) replace(m *mapping) {
	old := c.m
	c.m = m
	c.forgetProgress()
	c.post()
	if old != nil {
		c.retire(old)
		c.counters.Unmaps++
	}
}

func (c *Consumer) refresh(a *wire.ShmPoolAnnounce) error {
	sb, err := c.m.check()
	if err != nil {
		// The files no longer match the announce: map afresh, or give the epoch up.
		if c.policy == nil {
			c.Unmap()
			return err
		}
		regions, openErr := openAnnounce(a, c.policy, c.cfg.Host, c.cfg.WireVersion == wire.V1_2)
		if openErr == nil {
			openErr = c.attach(a, regions)
		}
		if openErr != nil {
			c.Unmap()
			return c.reject(a.Epoch, errors.Join(err, openErr))
		}
		return nil
	}
	if sb.Pid != c.m.pid {
		err := &LivenessError{Section: "15.14", Field: "pid", Epoch: c.m.epoch, Value: sb.Pid, Want: strconv.FormatUint(c.m.pid, 10), Err: ErrPidChanged}
		c.blocked, c.blockedEpoch = true, c.m.epoch
		c.Unmap()
		return err
	}
	return nil
}

// CheckLiveness unmaps the regions when the header ring's activity timestamp has gone
// stale, the sign of a dead producer (§15.1, §15.14); a later announce whose regions are
// fresh again maps them. It returns the error when it unmapped, ErrRegionTruncated
// included.
func (c *Consumer) CheckLiveness(nowNs int64) (err error) {
	c.sync()
	if c.m == nil {
		return nil
	}
	prev := debug.SetPanicOnFault(true)
	defer c.recoverFault(prev, &err)
	if err := checkActivity(c.m.epoch, shm.LoadActivityTimestamp(c.m.ring.Superblock()), nowNs, c.cfg.FreshnessNs); err != nil {
		c.Unmap()
		return err
	}
	return nil
}

// producerRevoked reports whether msg is a well-formed ShmLeaseRevoked for the producer
// of streamID; r receives the decoded notice. Notices with unknown enum values are not
// (Driver spec §4.9: clients reject them).
func producerRevoked(msg []byte, streamID uint32, r *wire.ShmLeaseRevoked) bool {
	hdr, err := wire.PeekHeader(msg)
	if err != nil || hdr.ID() != wire.ShmLeaseRevokedID || hdr.Version > wire.DriverSchemaVersion {
		return false
	}
	if r.Decode(msg) != nil {
		return false
	}
	return r.Role == wire.RoleProducer && r.StreamID == streamID
}

// ProducerGone carries out Driver spec §4.9 once the stream's producer lease has ended:
// the mapped epoch is no longer read, except that the Reader's next Poll first reads out
// the descriptors already published for it (a producer that detaches right after its last
// frames would otherwise lose them); the epoch-bumped announce maps the successor.
func (c *Consumer) ProducerGone() {
	c.sync()
	if c.m == nil {
		return
	}
	unadopted := c.drain // an earlier order the Reader never took: too late for it now
	c.drain, c.m = c.m, nil
	c.forgetProgress()
	c.post()
	c.drainGen = c.views.Posted()
	if unadopted != nil {
		c.retire(unadopted)
	}
	c.counters.Unmaps++
}

// Unmap releases the mapping (state M0) once the Reader moved past it; frames are
// dropped until the next map.
func (c *Consumer) Unmap() { c.replace(nil) }

// setDescriptors makes sub the subscription the Reader polls in the Agent, releasing the
// previous one once the Reader moved to it.
func (c *Consumer) setDescriptors(sub transport.Subscription) {
	old := c.descs
	c.descs = sub
	c.post()
	if old != nil {
		c.retire(old)
	}
}

// Close releases the mapping and every resource handed to the Reader. The Reader must
// have stopped: nothing of it may run concurrently with or after Close.
func (c *Consumer) Close() {
	if c.m != nil {
		c.counters.Unmaps++
	}
	c.views.Post(&view{})
	_ = c.releaseAll() // best effort: the mappings are read-only
}

// DoWork runs the consumer's timers for an agent's duty cycle: the liveness check (its
// failure is kept for ControlError) and QosConsumer. It returns the work done.
func (c *Consumer) DoWork(nowNs int64) int {
	c.sync()
	work := 0
	if err := c.CheckLiveness(nowNs); err != nil {
		c.controlErr = err
		work++
	}
	if c.cfg.Qos != nil && nowNs >= c.nextQosNs {
		if c.cfg.Qos.TryClaim(wire.QosConsumerLength, &c.claim) >= 0 {
			c.EncodeQos(c.claim.Buffer())
			c.claim.Commit()
			c.counters.QosSent++
			c.nextQosNs = nowNs + c.cfg.QosIntervalNs
			work++
		}
	}
	if c.cfg.Hellos != nil && nowNs >= c.nextHelloNs {
		h := c.Hello()
		if c.cfg.Hellos.TryClaim(h.EncodedLength(), &c.claim) >= 0 {
			if _, err := EncodeHello(c.claim.Buffer(), &h); err != nil {
				c.claim.Abort()
				c.controlErr = err
			} else {
				c.claim.Commit()
				c.counters.HelloSent++
				c.nextHelloNs = nowNs + c.cfg.HelloIntervalNs
				work++
			}
		}
	}
	return work
}

// EncodeQos writes this consumer's QosConsumer (§10.4.1) at the start of buf and returns
// its length, 0 if buf is shorter than wire.QosConsumerLength. The epoch is 0 while
// unmapped; the sequence and drop counts are those the Reader published.
func (c *Consumer) EncodeQos(buf []byte) int {
	epoch, _ := c.mapped()
	s := &c.rd.shared
	q := wire.QosConsumer{
		StreamID:    c.cfg.StreamID,
		ConsumerID:  c.cfg.ConsumerID,
		Epoch:       epoch,
		LastSeqSeen: atomic.LoadUint64(&s.LastSeq),
		DropsGap:    atomic.LoadUint64(&s.DropsGap),
		DropsLate:   atomic.LoadUint64(&s.DropsLate),
		Mode:        c.cfg.Mode,
	}
	n, _ := q.Encode(buf) // 0 with the short-buffer error
	return n
}

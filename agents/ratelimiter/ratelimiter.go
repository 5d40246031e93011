// Package ratelimiter is the rate limiter role (RateLimiter spec v1.0): for each mapping
// it consumes a source stream on the local SHM driver, lets at most the mapping's rate of
// frames a second through (Gate, RateAuthority), and re-materialises those into the
// destination stream it produces, as that stream's exclusive producer (agents/internal/
// remat), with their sequence numbers, timestamps and meta_versions: dropped frames are
// gaps in the destination's sequence. It forwards the source's metadata, and when
// configured its FrameProgress and QoS, rewritten for the destination.
//
// The frame that passes when a rate slot opens is the newest the source published by
// then (§4 SHOULD): a frame that arrives while the slot is closed is held, read in place,
// and republished when the slot opens if its slot still holds it (the seqlock says so);
// each newer frame replaces the one held.
//
// Everything runs on one duty cycle (package process), frames included; steady state
// allocates nothing.
package ratelimiter

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
	"unsafe"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/consumer"
	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/internal/remat"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/internal/metrics"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// pollLimit bounds the source descriptors read per mapping and duty cycle.
const pollLimit = 64

// helloTimeout is how long a served consumer's rate outlives its last hello: five hello
// periods (1 s), as a producer keeps a consumer's per-consumer streams (Wire §10.1.3).
const helloTimeout = 5 * time.Second

// Metrics are what a rate limiter instance did, each an Aeron counter too (type ids
// 1090-1099, MetricInfos).
type Metrics struct {
	// FramesForwarded were republished on their destination, HeldForwarded of them when a
	// rate slot opened on a frame held back; RateLimited were held back and never sent (a
	// newer frame took their place); FramesDropped could not be republished (no local pool,
	// no local epoch, the slot overwritten while copied, the descriptor refused).
	FramesForwarded, HeldForwarded, RateLimited, FramesDropped metrics.Count
	// Forwarded messages, by kind, and those that could not be sent.
	MetadataForwarded, ProgressForwarded, QosForwarded, ForwardFailed metrics.Count
	// EpochChanges counts source epoch changes (remap boundaries, §7); OtherHellos the
	// hellos of consumers other than the one served, whose rates are never applied (§4).
	EpochChanges, OtherHellos metrics.Count
}

var metricInfos = []metrics.Info{
	{TypeID: 1090, Name: "tp_ratelimiter_frames_forwarded_total", Help: "Frames republished on their destination stream."},
	{TypeID: 1091, Name: "tp_ratelimiter_held_forwarded_total", Help: "Of those, frames held back and sent when their rate slot opened."},
	{TypeID: 1092, Name: "tp_ratelimiter_rate_limited_total", Help: "Frames held back by the rate and never sent."},
	{TypeID: 1093, Name: "tp_ratelimiter_frames_dropped_total", Help: "Frames that could not be republished (no pool, no local epoch, overwritten, refused)."},
	{TypeID: 1094, Name: "tp_ratelimiter_metadata_forwarded_total", Help: "DataSourceAnnounce and DataSourceMeta forwarded."},
	{TypeID: 1095, Name: "tp_ratelimiter_progress_forwarded_total", Help: "FrameProgress forwarded."},
	{TypeID: 1096, Name: "tp_ratelimiter_qos_forwarded_total", Help: "QosProducer and QosConsumer forwarded."},
	{TypeID: 1097, Name: "tp_ratelimiter_forward_failed_total", Help: "Forwarded messages that could not be sent."},
	{TypeID: 1098, Name: "tp_ratelimiter_epoch_changes_total", Help: "Source epoch changes (remap boundaries)."},
	{TypeID: 1099, Name: "tp_ratelimiter_other_hellos_total", Help: "Hellos of consumers other than the one whose rate is followed."},
}

// MetricInfos lists the rate limiter's metrics, in TypeID order.
func MetricInfos() []metrics.Info { return metricInfos }

// list pairs the metrics with their descriptions.
func (m *Metrics) list() []metrics.Metric {
	counts := []*metrics.Count{&m.FramesForwarded, &m.HeldForwarded, &m.RateLimited, &m.FramesDropped,
		&m.MetadataForwarded, &m.ProgressForwarded, &m.QosForwarded, &m.ForwardFailed, &m.EpochChanges, &m.OtherHellos}
	out := make([]metrics.Metric, len(metricInfos))
	for i, info := range metricInfos {
		out[i] = metrics.Metric{Info: info, Count: counts[i]}
	}
	return out
}

// Each calls fn with every metric and its value (for exporters).
func (m *Metrics) Each(fn func(info metrics.Info, value uint64)) {
	for _, x := range m.list() {
		fn(x.Info, x.Count.Load())
	}
}

// Options are what a RateLimiter needs besides its configuration.
type Options struct {
	// OnError receives asynchronous failures (a destination another producer holds), on
	// the duty cycle; nil drops them (Err keeps the first).
	OnError func(error)
}

// RateLimiter is one rate limiter instance, hosted by a process (Add).
type RateLimiter struct {
	cfg      *config.RateLimiterConfig
	opts     Options
	metrics  Metrics
	counters *metrics.Publisher
	mappings []*mapping
	bySource map[uint32][]*mapping
	routes   []*controlplane.Route
	meta     *controlplane.Outbound
	progress *controlplane.Outbound
	qos      *controlplane.Outbound
	hub      *controlplane.Hub
	buf      []byte
	now      clock.Mono

	errMu sync.Mutex
	err   error
}

// mapping is one source stream thinned onto one destination stream.
type mapping struct {
	rl    *RateLimiter
	m     config.RateLimiterMapping
	src   *consumer.Agent
	dest  *remat.Dest
	gate  Gate
	rate  RateAuthority
	epoch uint64 // the source epoch frames came from last; 0 before the first
	// held is the newest frame the gate held back, read in place: its mapping stays while
	// no Poll runs, and it is the frame the Reader handed out last, so FrameValid checks it.
	held      bool
	heldFrame frameRef
	reported  error
}

// frameRef is what republishing a frame needs of it.
type frameRef struct {
	seq, epoch, ts uint64
	headerIndex    uint32
	meta           uint32
	tensor         shm.TensorHeader
	payload        []byte
}

// New makes the rate limiter a validated configuration describes.
func New(cfg *config.RateLimiterConfig, opts Options) (*RateLimiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &cfg.RateLimiter
	rl := &RateLimiter{cfg: cfg, opts: opts, bySource: map[uint32][]*mapping{}}
	ids := remat.ClientIDs(s.ClientID)
	for _, m := range cfg.Mappings {
		mp := &mapping{rl: rl, m: m, gate: NewGate(m.FallbackRateHz(s)),
			rate: NewRateAuthority(m.FallbackRateHz(s), s.ConsumerID, int64(helloTimeout))}
		src, err := consumer.NewAgent(consumer.AgentConfig{
			Consumer:    consumer.Config{StreamID: m.SourceStreamID, ConsumerID: ids(), AllowedBaseDirs: s.AllowedBaseDirs},
			Control:     controlplane.Endpoint{Channel: s.DriverControlChannel, StreamID: int32(s.DriverControlStreamID)},
			Announce:    controlplane.Endpoint{Channel: s.DriverControlChannel, StreamID: int32(s.DriverAnnounceStreamID)},
			Descriptors: controlplane.Endpoint{Channel: s.SourceDescriptorChannel, StreamID: int32(s.SourceDescriptorStreamID)},
			Lease:       true,
		}, mp.onFrame)
		if err != nil {
			return nil, fmt.Errorf("ratelimiter: source stream %d: %w", m.SourceStreamID, err)
		}
		dest, err := remat.New(remat.Config{
			StreamID: m.DestStreamID, ClientID: ids,
			Control:         controlplane.Endpoint{Channel: s.DriverControlChannel, StreamID: int32(s.DriverControlStreamID)},
			Descriptors:     controlplane.Endpoint{Channel: s.DescriptorChannel, StreamID: int32(s.DescriptorStreamID)},
			AllowedBaseDirs: s.AllowedBaseDirs,
			OnControl:       mp.onDriverControl,
			OnEpochEnd:      mp.dropHeld,
		})
		if err != nil {
			return nil, fmt.Errorf("ratelimiter: destination stream %d: %w", m.DestStreamID, err)
		}
		mp.src, mp.dest = src, dest
		rl.mappings = append(rl.mappings, mp)
		rl.bySource[m.SourceStreamID] = append(rl.bySource[m.SourceStreamID], mp)
	}
	return rl, nil
}

// Add hosts the rate limiter in p, from p's next duty cycle on.
func (rl *RateLimiter) Add(p *process.Process) error { return p.Add(rl) }

// Metrics are the rate limiter's counts; any goroutine may read them.
func (rl *RateLimiter) Metrics() *Metrics { return &rl.metrics }

// Each calls fn with every metric and its value (for exporters).
func (rl *RateLimiter) Each(fn func(info metrics.Info, value uint64)) { rl.metrics.Each(fn) }

// Err is the first asynchronous failure, nil while there is none. Any goroutine.
func (rl *RateLimiter) Err() error {
	rl.errMu.Lock()
	defer rl.errMu.Unlock()
	return rl.err
}

func (rl *RateLimiter) report(err error) {
	rl.errMu.Lock()
	if rl.err == nil {
		rl.err = err
	}
	rl.errMu.Unlock()
	if rl.opts.OnError != nil {
		rl.opts.OnError(err)
	}
}

// OnStart implements process.Starter.
func (rl *RateLimiter) OnStart(p *process.Process) {
	s := &rl.cfg.RateLimiter
	rl.hub = p.Hub()
	rl.counters = metrics.Publish(p.Transport(), rl.metrics.list(), "ratelimiter", s.InstanceID, metrics.Key(s.DescriptorStreamID, s.InstanceID))
	if s.ForwardMetadata {
		rl.meta = rl.hub.Publication(controlplane.Endpoint{Channel: s.MetadataChannel, StreamID: int32(s.DestMetadataStreamID)})
		rl.routes = append(rl.routes, rl.hub.Route(controlplane.Endpoint{Channel: s.MetadataChannel, StreamID: int32(s.SourceMetadataStreamID)},
			controlplane.Messages(wire.DataSourceAnnounceID, wire.DataSourceMetaID), rl.onMetadata))
	}
	// §8: forwarding never starts with a zero stream id (Validate refuses them too).
	if s.ForwardProgress && s.SourceControlStreamID != 0 && s.DestControlStreamID != 0 {
		rl.progress = rl.hub.Publication(controlplane.Endpoint{Channel: s.ControlChannel, StreamID: int32(s.DestControlStreamID)})
		rl.routes = append(rl.routes, rl.hub.Route(controlplane.Endpoint{Channel: s.ControlChannel, StreamID: int32(s.SourceControlStreamID)},
			controlplane.Messages(wire.FrameProgressID), rl.onProgress))
	}
	if s.ForwardQos && s.SourceQosStreamID != 0 && s.DestQosStreamID != 0 {
		rl.qos = rl.hub.Publication(controlplane.Endpoint{Channel: s.QosChannel, StreamID: int32(s.DestQosStreamID)})
		rl.routes = append(rl.routes, rl.hub.Route(controlplane.Endpoint{Channel: s.QosChannel, StreamID: int32(s.SourceQosStreamID)},
			controlplane.Messages(wire.QosProducerID, wire.QosConsumerID), rl.onQos))
	}
	for _, mp := range rl.mappings {
		mp.src.OnStart(p)
		mp.dest.Start(p)
		// §3: the rate limiter attaches as the destination's sole producer from the start.
		mp.dest.Attach()
	}
}

// DoWork implements agent.Agent.
func (rl *RateLimiter) DoWork(now clock.Mono) int {
	rl.now = now
	work := rl.counters.Poll()
	if err := rl.counters.Err(); err != nil {
		rl.report(fmt.Errorf("ratelimiter: %w", err))
	}
	for _, mp := range rl.mappings {
		work += mp.src.DoWork(now) + mp.dest.DoWork(now)
		if err := mp.dest.Err(); mp.dest.State() == remat.Failed && err != mp.reported {
			mp.reported = err
			rl.report(fmt.Errorf("ratelimiter: mapping %d→%d: %w", mp.m.SourceStreamID, mp.m.DestStreamID, err))
		}
		mp.gate.SetRate(mp.rate.RateHz(now.Nanos()))
		if mp.held && mp.gate.Open(now.Nanos()) {
			mp.held = false
			if mp.src.FrameValid(mp.heldFrame.seq, mp.heldFrame.headerIndex) && mp.publish(&mp.heldFrame, nil) {
				rl.metrics.HeldForwarded.Add(1)
			}
			work++
		}
		work += mp.src.Poll(pollLimit)
	}
	return work
}

// onFrame takes a source frame inside its consumer's Poll: it passes if a rate slot is
// open, and is held otherwise.
func (mp *mapping) onFrame(f *consumer.Frame) {
	now := mp.rl.now.Nanos()
	if f.Epoch != mp.epoch {
		// §4, §7: a new source epoch is a remap boundary: the rate timer resets, what was
		// held goes, and the destination starts a new local epoch (its sequence starts over
		// with the source's).
		if mp.epoch != 0 {
			mp.rl.metrics.EpochChanges.Add(1)
			mp.dest.Renew(mp.rl.now)
		}
		mp.epoch = f.Epoch
		mp.gate.Reset()
		mp.dropHeld()
	}
	ref := frameRef{seq: f.Seq, epoch: f.Epoch, ts: f.TimestampNs, headerIndex: f.HeaderIndex, meta: f.MetaVersion, tensor: f.Tensor, payload: f.Payload}
	if mp.gate.Open(now) {
		mp.dropHeld()
		mp.publish(&ref, f)
		return
	}
	if mp.held {
		mp.rl.metrics.RateLimited.Add(1)
	}
	mp.held, mp.heldFrame = true, ref
}

// dropHeld forgets the held frame (counted as rate limited).
func (mp *mapping) dropHeld() {
	if mp.held {
		mp.held = false
		mp.rl.metrics.RateLimited.Add(1)
	}
}

// publish re-materialises fr into the destination (§5): a slot of the smallest pool that
// fits, claimed at the source's sequence number, the payload copied, the slot header
// written with the source's timestamp and meta_version (pool and slot the destination's),
// committed, and its descriptor published. f is the frame's view inside the Reader, nil
// for a held frame read after its Poll. It never waits: a frame that cannot be placed at
// once is dropped (§5). It reports whether the frame went out.
func (mp *mapping) publish(fr *frameRef, f *consumer.Frame) (ok bool) {
	rl := mp.rl
	p := mp.dest.Producer()
	if p == nil {
		rl.metrics.FramesDropped.Add(1)
		return false
	}
	c, res := p.ClaimAt(fr.seq, len(fr.payload))
	if res != producer.OK {
		rl.metrics.FramesDropped.Add(1)
		return false
	}
	if !mp.copyPayload(c.Payload(), fr, f) {
		p.Abort(c)
		rl.metrics.FramesDropped.Add(1)
		return false
	}
	mp.gate.Take(rl.now.Nanos())
	c.SetMetaVersion(fr.meta)
	c.SetCaptureTimeNs(fr.ts)
	if p.Commit(c, &fr.tensor) != producer.OK {
		rl.metrics.FramesDropped.Add(1)
		return false
	}
	rl.metrics.FramesForwarded.Add(1)
	return true
}

// copyPayload copies the frame's payload into dst and reports whether the source slot
// still held the frame after the copy (Wire §8.3): false means it was overwritten meanwhile
// (or its file truncated), and the copy is worthless.
func (mp *mapping) copyPayload(dst []byte, fr *frameRef, f *consumer.Frame) (ok bool) {
	if f != nil {
		copy(dst, fr.payload) // inside the Reader's Poll, under its fault guard
		return f.Valid()
	}
	prev := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(prev)
	defer mp.guard(fr, &ok)
	copy(dst, fr.payload)
	return mp.src.FrameValid(fr.seq, fr.headerIndex)
}

// guard turns a memory fault inside the held frame's payload into a failed copy.
func (mp *mapping) guard(fr *frameRef, ok *bool) {
	r := recover()
	if r == nil {
		return
	}
	re, isRuntime := r.(runtime.Error)
	at, hasAddr := re.(interface{ Addr() uintptr })
	if !isRuntime || !hasAddr || len(fr.payload) == 0 {
		panic(r)
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(fr.payload)))
	if addr := at.Addr(); addr < start || addr >= start+uintptr(len(fr.payload)) {
		panic(r)
	}
	*ok = false
	_ = mp.src.FrameValid(fr.seq, fr.headerIndex) // lets the consumer see its mapping is gone
}

// onDriverControl takes the control-schema messages of the driver's control stream: the
// destination consumers' hellos, whose max_rate_hz rules for the consumer served (§4).
func (mp *mapping) onDriverControl(msg []byte, h wire.Header) {
	if h.ID() != wire.ConsumerHelloID {
		return
	}
	var hello wire.ConsumerHello
	if hello.Decode(msg) != nil || hello.StreamID != mp.dest.StreamID() {
		return
	}
	if mp.rate.OnHello(&hello, mp.rl.now.Nanos()) == HelloOtherConsumer {
		mp.rl.metrics.OtherHellos.Add(1)
	}
}

// onMetadata forwards the source streams' DataSourceAnnounce and DataSourceMeta, their
// stream_id the mapping's metadata_stream_id (else its destination's), their
// meta_version kept (§6).
func (rl *RateLimiter) onMetadata(msg []byte, _ wire.Header, _ *transport.Header) {
	id, ok := streamIDOf(msg)
	if !ok {
		return
	}
	for _, mp := range rl.bySource[id] {
		rl.offerRewritten(rl.meta, msg, mp.m.MetadataStream(), &rl.metrics.MetadataForwarded)
	}
}

// onQos forwards the source streams' QosProducer and QosConsumer, their streamId the
// destination's (§6.1).
func (rl *RateLimiter) onQos(msg []byte, _ wire.Header, _ *transport.Header) {
	id, ok := streamIDOf(msg)
	if !ok {
		return
	}
	for _, mp := range rl.bySource[id] {
		rl.offerRewritten(rl.qos, msg, mp.m.DestStreamID, &rl.metrics.QosForwarded)
	}
}

// onProgress forwards the source streams' FrameProgress (§6.1): streamId the
// destination's, headerIndex the frame's slot in the destination ring (the destination's
// seq is the source's, so it is frameId & (nslots-1)), epoch the destination's, against
// which its consumers check it (Wire §10.2.2); frameId, bytes and state are the source's.
// Progress of another source epoch than the one being read, or with no destination epoch,
// is dropped.
func (rl *RateLimiter) onProgress(msg []byte, _ wire.Header, _ *transport.Header) {
	var p wire.FrameProgress
	if p.Decode(msg) != nil {
		return
	}
	for _, mp := range rl.bySource[p.StreamID] {
		prod := mp.dest.Producer()
		if prod == nil || p.Epoch != mp.epoch {
			continue
		}
		out := p
		nslots := uint64(prod.Regions().Layout().Nslots)
		out.StreamID, out.Epoch, out.HeaderIndex = mp.m.DestStreamID, prod.Epoch(), uint32(p.FrameID&(nslots-1))
		var buf [wire.FrameProgressMaxLength]byte
		n, err := out.Encode(buf[:])
		if err != nil {
			continue
		}
		rl.offer(rl.progress, buf[:n], &rl.metrics.ProgressForwarded)
	}
}

// offerRewritten offers a copy of msg whose streamId (the first field of the block of
// every forwarded message) is streamID.
func (rl *RateLimiter) offerRewritten(o *controlplane.Outbound, msg []byte, streamID uint32, count *metrics.Count) {
	rl.buf = append(rl.buf[:0], msg...)
	binary.LittleEndian.PutUint32(rl.buf[wire.HeaderLength:], streamID)
	rl.offer(o, rl.buf, count)
}

func (rl *RateLimiter) offer(o *controlplane.Outbound, msg []byte, count *metrics.Count) {
	if pub := o.Pub(); pub != nil && pub.Offer(msg) > 0 {
		count.Add(1)
		return
	}
	rl.metrics.ForwardFailed.Add(1)
}

// streamIDOf reads the streamId every forwarded message starts its block with, once the
// message passed wire validation.
func streamIDOf(msg []byte) (uint32, bool) {
	if _, err := wire.Validate(msg); err != nil || len(msg) < wire.HeaderLength+4 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(msg[wire.HeaderLength:]), true
}

// OnClose implements agent.Agent.
func (rl *RateLimiter) OnClose() {
	for _, r := range rl.routes {
		r.Close()
	}
	for _, o := range []*controlplane.Outbound{rl.meta, rl.progress, rl.qos} {
		if o != nil {
			o.Release()
		}
	}
	for _, mp := range rl.mappings {
		mp.held = false
		mp.src.StopPolling()
		mp.src.OnClose()
		mp.dest.Close()
	}
	rl.counters.Close()
}

// RoleName implements agent.Agent.
func (rl *RateLimiter) RoleName() string { return "tp-ratelimiter:" + rl.cfg.RateLimiter.InstanceID }

// Detach gives every destination's lease back (on the duty cycle); Detached reports once
// they are.
func (rl *RateLimiter) Detach(p *process.Process) error {
	return p.Do(func() {
		for _, mp := range rl.mappings {
			mp.dest.Detach(clock.Now())
		}
	})
}

// Detached reports whether every destination gave its lease back after Detach. Duty
// cycle.
func (rl *RateLimiter) Detached() bool {
	for _, mp := range rl.mappings {
		if !mp.dest.Done() {
			return false
		}
	}
	return true
}

// MappingStatus is one mapping's state.
type MappingStatus struct {
	SourceStreamID, DestStreamID uint32
	// Dest is the destination's state ("attaching", "ready", "renewing", "failed"), DestErr
	// why it failed.
	Dest    string
	DestErr error
	// RateHz is the rate that rules now (0: unlimited); ServedConsumer the consumer whose
	// hello sets it, if any.
	RateHz         uint32
	ServedConsumer uint32
	LocalEpochs    uint64
}

// Status is every mapping's state, in configuration order. It runs on the duty cycle
// (p.Do) and waits for it.
func (rl *RateLimiter) Status(p *process.Process) ([]MappingStatus, error) {
	out := make(chan []MappingStatus, 1)
	if err := p.Do(func() {
		var st []MappingStatus
		for _, mp := range rl.mappings {
			s := MappingStatus{SourceStreamID: mp.m.SourceStreamID, DestStreamID: mp.m.DestStreamID, Dest: mp.dest.State().String(),
				DestErr: mp.dest.Err(), RateHz: mp.gate.RateHz(), LocalEpochs: mp.dest.Epochs()}
			s.ServedConsumer, _ = mp.rate.Served()
			st = append(st, s)
		}
		out <- st
	}); err != nil {
		return nil, err
	}
	if !p.Running() {
		p.DoWork()
	}
	return <-out, nil
}

var (
	_ agent.Agent     = (*RateLimiter)(nil)
	_ process.Starter = (*RateLimiter)(nil)
)

package bridge

import (
	"errors"
	"fmt"

	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/internal/remat"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// payloadFragmentLimit bounds the chunks the receiver reads per duty cycle.
const payloadFragmentLimit = 256

// receiver is the receiving half of a bridge instance (Bridge spec §2.2): it reads the
// payload stream's chunks and the control stream's forwarded announces, re-materialises
// each mapping's frames into its destination stream on the local SHM driver (attached as
// its exclusive producer once the mapping's first announce arrives), and republishes
// forwarded QoS, progress and metadata on the local streams, their stream ids
// rewritten. It reads chunks of either layout; the destinations speak
// bridge.wire_version.
type receiver struct {
	cfg     *config.BridgeConfig
	metrics *Metrics
	onError func(error)

	mappings []*mapping
	bySource map[uint32][]*mapping

	client  transport.Client
	hub     *controlplane.Hub
	routes  []*controlplane.Route
	pending transport.Pending[transport.Subscription]
	payload transport.Subscription
	failed  error
	meta    *controlplane.Outbound

	now     clock.Mono
	chunk   wire.BridgeFrameChunk
	handler transport.Handler
	buf     []byte // re-encoding of forwarded control and metadata messages
}

// mapping is one mapping's receiving state.
type mapping struct {
	r        *receiver
	m        config.BridgeMapping
	dest     *remat.Dest
	asm      *Reassembler
	sink     destSink
	control  *controlplane.Outbound // dest_control_stream_id, for forwarded QoS and progress
	reported error                  // the destination's failure, once reported
}

func newReceiver(cfg *config.BridgeConfig, metrics *Metrics, ids func() uint32, onError func(error)) (*receiver, error) {
	b := &cfg.Bridge
	r := &receiver{cfg: cfg, metrics: metrics, onError: onError, bySource: map[uint32][]*mapping{}}
	r.handler = r.onChunk
	var candidates []uint32
	if rng := b.DestStreamIDRange; rng.IsSet() {
		reserved := cfg.ReservedStreamIDs()
		for id := rng.First; id <= rng.Last && id != 0; id++ {
			if !reserved[id] {
				candidates = append(candidates, id)
			}
		}
	}
	limits := ReceiveLimits{MaxChunkBytes: b.EffectiveChunkBytes(), MaxPayloadBytes: b.MaxPayloadBytes, TimeoutNs: int64(b.AssemblyTimeoutMs) * 1e6}
	for _, m := range cfg.Mappings {
		mp := &mapping{r: r, m: m}
		dc := remat.Config{
			StreamID:        m.DestStreamID,
			ClientID:        ids,
			Control:         controlplane.Endpoint{Channel: b.DriverControlChannel, StreamID: int32(b.DriverControlStreamID)},
			Descriptors:     controlplane.Endpoint{Channel: b.LocalChannel, StreamID: int32(b.DescriptorStreamID)},
			AllowedBaseDirs: b.AllowedBaseDirs,
			OnEpochEnd:      mp.epochEnded,
			WireVersion:     b.WireVersion,
		}
		if m.DestStreamID == 0 {
			// Bridge spec §4: one of the range's ids no other mapping and no stream the
			// configuration names uses; ids taken by another producer are skipped.
			dc.Candidates = candidates
		}
		dest, err := remat.New(dc)
		if err != nil {
			return nil, fmt.Errorf("bridge: mapping %d→%d: %w", m.SourceStreamID, m.DestStreamID, err)
		}
		mp.dest = dest
		mp.sink.d = dest
		mp.asm = NewReassembler(limits, &mp.sink)
		r.mappings = append(r.mappings, mp)
		r.bySource[m.SourceStreamID] = append(r.bySource[m.SourceStreamID], mp)
	}
	return r, nil
}

func (r *receiver) OnStart(p *process.Process) {
	b := &r.cfg.Bridge
	r.client, r.hub = p.Transport(), p.Hub()
	r.pending = r.client.AddSubscription(b.PayloadChannel, int32(b.PayloadStreamID))
	control := controlplane.Endpoint{Channel: b.ControlChannel, StreamID: int32(b.ControlStreamID)}
	r.routes = append(r.routes,
		r.hub.Route(control, controlplane.Messages(wire.ShmPoolAnnounceID), r.onAnnounce),
		r.hub.Route(control, controlplane.Messages(wire.QosProducerID, wire.QosConsumerID, wire.FrameProgressID), r.onControl))
	if b.ForwardMetadata {
		r.meta = r.hub.Publication(controlplane.Endpoint{Channel: b.LocalChannel, StreamID: int32(b.DestMetadataStreamID)})
		r.routes = append(r.routes, r.hub.Route(controlplane.Endpoint{Channel: b.MetadataChannel, StreamID: int32(b.MetadataStreamID)},
			controlplane.Messages(wire.DataSourceAnnounceID, wire.DataSourceMetaID), r.onMetadata))
	}
	for _, mp := range r.mappings {
		mp.dest.Start(p)
		if (b.ForwardQos || b.ForwardProgress) && mp.m.DestControlStreamID != 0 {
			mp.control = r.hub.Publication(controlplane.Endpoint{Channel: b.LocalChannel, StreamID: int32(mp.m.DestControlStreamID)})
		}
	}
}

func (r *receiver) DoWork(now clock.Mono) int {
	r.now = now
	work := 0
	for _, mp := range r.mappings {
		work += mp.dest.DoWork(now)
		if v := mp.asm.Tick(now.Nanos()); v != ChunkStored {
			r.metrics.record(v)
			work++
		}
		if err := mp.dest.Err(); mp.dest.State() == remat.Failed && err != mp.reported {
			mp.reported = err
			r.report(fmt.Errorf("bridge: mapping %d→%d: %w", mp.m.SourceStreamID, mp.m.DestStreamID, err))
		}
	}
	if r.payload == nil {
		return work + r.addPayload()
	}
	return work + r.payload.Poll(r.handler, payloadFragmentLimit)
}

func (r *receiver) addPayload() int {
	if r.pending == nil {
		return 0
	}
	sub, err := r.pending.Poll()
	switch {
	case errors.Is(err, transport.ErrPending):
		return 0
	case err != nil:
		r.pending = nil
		r.failed = fmt.Errorf("bridge: payload subscription %s stream %d: %w", r.cfg.Bridge.PayloadChannel, r.cfg.Bridge.PayloadStreamID, err)
		r.report(r.failed)
		return 1
	}
	r.pending, r.payload = nil, sub
	return 1
}

func (r *receiver) report(err error) {
	if r.onError != nil {
		r.onError(err)
	}
}

// onChunk takes one message of the payload stream.
func (r *receiver) onChunk(msg []byte, _ *transport.Header) {
	// §5.2: payloadBytes beyond max_chunk_bytes is rejected before anything is decoded or
	// copied; nothing here allocates for it. Either layout is read (Decode tells them
	// apart by block length), so the bound is the longer one's.
	if len(msg) > maxChunkOverhead+HeaderBytes+int(r.cfg.Bridge.MaxChunkBytes) {
		r.metrics.record(DropChunkLength)
		return
	}
	c := &r.chunk
	if h, err := wire.PeekHeader(msg); err != nil || h.ID() != wire.BridgeFrameChunkID || c.Decode(msg) != nil {
		r.metrics.record(DropMalformed)
		return
	}
	mappings := r.bySource[c.StreamID]
	if len(mappings) == 0 {
		r.metrics.record(DropUnknownStream)
		return
	}
	for _, mp := range mappings {
		r.metrics.record(mp.asm.OnChunk(c, r.now.Nanos()))
	}
}

// onAnnounce takes a forwarded ShmPoolAnnounce (§7.2): the mapping's epoch and pools
// follow it; its first one attaches the destination, a new source epoch renews the local
// one (§8). It is never republished locally.
func (r *receiver) onAnnounce(msg []byte, _ wire.Header, _ *transport.Header) {
	var a wire.ShmPoolAnnounce
	if a.Decode(msg) != nil {
		r.metrics.record(DropMalformed)
		return
	}
	for _, mp := range r.bySource[a.StreamID] {
		switch mp.asm.OnAnnounce(&a) {
		case AnnounceFirst:
			mp.dest.Attach()
		case AnnounceNewEpoch:
			mp.dest.Renew(r.now)
		}
	}
}

// onControl republishes forwarded QoS (forward_qos) and FrameProgress (forward_progress)
// on each mapping's dest_control_stream_id, their streamId the destination's (§9).
func (r *receiver) onControl(msg []byte, h wire.Header, _ *transport.Header) {
	b := &r.cfg.Bridge
	switch h.ID() {
	case wire.FrameProgressID:
		if !b.ForwardProgress {
			return
		}
		var p wire.FrameProgress
		if p.Decode(msg) != nil {
			return
		}
		for _, mp := range r.bySource[p.StreamID] {
			mp.forwardProgress(p)
		}
	case wire.QosProducerID, wire.QosConsumerID:
		if !b.ForwardQos {
			return
		}
		id, ok := streamIDOf(msg)
		if !ok {
			return
		}
		for _, mp := range r.bySource[id] {
			if mp.control != nil && mp.dest.State() == remat.Ready {
				r.offerRewritten(mp.control, msg, mp.dest.StreamID())
			}
		}
	}
}

// forwardProgress republishes p for the destination (§9): streamId the destination's,
// headerIndex its slot in the local header ring (the local seq is the source's, so the
// slot is frameId & (nslots-1)), and epoch the local one, which the local consumers check
// it against (Wire spec §10.2.2). frameId, payloadBytesFilled and state are the source's.
// Progress of another source epoch than the announced one, or with no local epoch to
// refer to, is dropped.
func (mp *mapping) forwardProgress(p wire.FrameProgress) {
	epoch, ok := mp.asm.Epoch()
	prod := mp.dest.Producer()
	if mp.control == nil || mp.control.Pub() == nil || !ok || p.Epoch != epoch || prod == nil {
		return
	}
	nslots := uint64(prod.Regions().Layout().Nslots)
	p.StreamID, p.Epoch, p.HeaderIndex = mp.dest.StreamID(), prod.Epoch(), uint32(p.FrameID&(nslots-1))
	var buf [wire.FrameProgressMaxLength]byte
	n, err := p.Encode(buf[:])
	if err == nil && mp.control.Pub().Offer(buf[:n]) > 0 {
		mp.r.metrics.ControlForwarded.Add(1)
	}
}

// onMetadata republishes forwarded DataSourceAnnounce and DataSourceMeta on the local
// metadata stream, their stream_id the mapping's metadata_stream_id (else the
// destination's) and their meta_version kept (§7.1).
func (r *receiver) onMetadata(msg []byte, _ wire.Header, _ *transport.Header) {
	id, ok := streamIDOf(msg)
	if !ok || r.meta.Pub() == nil {
		return
	}
	for _, mp := range r.bySource[id] {
		if mp.dest.State() == remat.Ready {
			r.offerRewritten(r.meta, msg, mp.m.MetadataStream(mp.dest.StreamID()))
		}
	}
}

// offerRewritten offers a copy of msg whose streamId, the first field of every forwarded
// message's block, is streamID.
func (r *receiver) offerRewritten(o *controlplane.Outbound, msg []byte, streamID uint32) {
	pub := o.Pub()
	if pub == nil {
		return
	}
	r.buf = append(r.buf[:0], msg...)
	r.buf[8], r.buf[9], r.buf[10], r.buf[11] = byte(streamID), byte(streamID>>8), byte(streamID>>16), byte(streamID>>24)
	if pub.Offer(r.buf) > 0 {
		r.metrics.ControlForwarded.Add(1)
	}
}

// epochEnded is told that the destination's epoch is going: the frame in assembly loses
// its slot.
func (mp *mapping) epochEnded() {
	mp.asm.Abandon()
	mp.sink.reset()
}

func (r *receiver) OnClose() {
	for _, rt := range r.routes {
		rt.Close()
	}
	if r.pending != nil {
		r.pending.Cancel()
	}
	if r.payload != nil {
		_ = r.payload.Close() // best effort: the bridge is going away
	}
	for _, mp := range r.mappings {
		mp.dest.Close()
		if mp.control != nil {
			mp.control.Release()
		}
	}
	if r.meta != nil {
		r.meta.Release()
	}
}

func (r *receiver) RoleName() string { return "tp-bridge-receiver:" + r.cfg.Bridge.InstanceID }

// destSink writes a mapping's frames into its destination's current epoch.
type destSink struct {
	d     *remat.Dest
	p     *producer.Producer
	claim *producer.Claim
}

func (s *destSink) Begin(seq uint64, n uint32) ([]byte, Verdict) {
	p := s.d.Producer()
	if p == nil {
		return nil, DropNotAttached
	}
	c, res := p.ClaimAt(seq, int(n))
	switch res {
	case producer.OK:
		s.p, s.claim = p, c
		return c.Payload(), ChunkStored
	case producer.DropNoPoolFits:
		return nil, DropNoLocalPool
	case producer.ErrSeqRegressed:
		return nil, DropStaleFrame
	}
	return nil, DropNotAttached
}

func (s *destSink) Abort() {
	if s.claim != nil {
		s.p.Abort(s.claim)
		s.reset()
	}
}

func (s *destSink) Complete(h *FrameHeader) Verdict {
	c, p := s.claim, s.p
	if c == nil {
		return DropNotAttached
	}
	s.reset()
	// §6 step 9: the local pool and slot are the claim's; the rest of the header, and the
	// logical sequence, are the source's.
	c.SetMetaVersion(h.Slot.MetaVersion)
	c.SetCaptureTimeNs(h.Slot.TimestampNs)
	// §6: the chunks' traceId becomes the descriptor's trace_id; a destination speaking
	// v1.1 has no field for it and drops it.
	c.SetTraceID(h.TraceID)
	if p.Commit(c, &h.Tensor) != producer.OK {
		return DropPublish
	}
	return FrameDone
}

func (s *destSink) reset() { s.p, s.claim = nil, nil }

package bridge

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"unsafe"

	"github.com/tensorpool/tensorpool/agents/consumer"
	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// framesPerCycle bounds the frames a source starts sending per duty cycle, so one busy
// source of small frames does not starve the others.
const framesPerCycle = 64

// sender is the sending half of a bridge instance (Bridge spec §2.1): a consumer of each
// mapping's source stream on the local SHM driver, which sends every committed frame as
// BridgeFrameChunks on the payload publication, read in place from SHM (one copy: from
// the payload slot into the publication's log), and forwards the source streams'
// ShmPoolAnnounce (§7.2), and when configured their QoS, FrameProgress (§9) and metadata
// (§7.1), unchanged: messages on the bridge carry the source stream's id, which the
// receiver rewrites to the destination's.
type sender struct {
	cfg     *config.BridgeConfig
	metrics *Metrics
	onError func(error)

	sources []*source
	byID    map[uint32]*source
	client  transport.Client
	hub     *controlplane.Hub
	routes  []*controlplane.Route

	payloadPending transport.Pending[transport.Publication]
	payload        transport.Publication
	limits         ChunkLimits
	control        *controlplane.Outbound
	metadata       *controlplane.Outbound
	failed         error

	claim transport.Claim
	next  int // the source served first next cycle
}

// source is one source stream and the frame of it being sent.
type source struct {
	s        *sender
	streamID uint32
	agent    *consumer.Agent

	// The frame in flight: its header slot and payload are read in place from the
	// mapping, which stays mapped while no Poll runs (the Reader releases a mapping only
	// once it moved past it), and each chunk is checked against the slot's seqlock
	// (FrameValid) before it is committed to the log.
	inflight    bool
	headerIndex uint32
	slot        []byte
	data        []byte
	plan        ChunkPlan
	nextChunk   uint32
	chunk       wire.BridgeFrameChunk
}

func newSender(cfg *config.BridgeConfig, metrics *Metrics, ids func() uint32, onError func(error)) (*sender, error) {
	s := &sender{cfg: cfg, metrics: metrics, onError: onError, byID: map[uint32]*source{}}
	b := &cfg.Bridge
	local := func(id uint32) controlplane.Endpoint {
		return controlplane.Endpoint{Channel: b.LocalChannel, StreamID: int32(id)}
	}
	for _, m := range cfg.Mappings {
		if s.byID[m.SourceStreamID] != nil {
			continue
		}
		src := &source{s: s, streamID: m.SourceStreamID}
		agent, err := consumer.NewAgent(consumer.AgentConfig{
			Consumer: consumer.Config{StreamID: m.SourceStreamID, ConsumerID: ids(), AllowedBaseDirs: b.AllowedBaseDirs, WireVersion: b.WireVersion},
			Control:  controlplane.Endpoint{Channel: b.DriverControlChannel, StreamID: int32(b.DriverControlStreamID)},
			Announce: controlplane.Endpoint{Channel: b.DriverControlChannel, StreamID: int32(b.DriverAnnounceStreamID)},
			// Bridge spec §4: a bridge never asks for per-consumer streams; the shared
			// descriptor stream it is.
			Descriptors: local(b.DescriptorStreamID),
			Lease:       true,
		}, src.onFrame)
		if err != nil {
			return nil, fmt.Errorf("bridge: source stream %d: %w", m.SourceStreamID, err)
		}
		src.agent = agent
		s.sources = append(s.sources, src)
		s.byID[m.SourceStreamID] = src
	}
	return s, nil
}

func (s *sender) OnStart(p *process.Process) {
	b := &s.cfg.Bridge
	s.client, s.hub = p.Transport(), p.Hub()
	s.payloadPending = s.client.AddExclusivePublication(b.PayloadChannel, int32(b.PayloadStreamID))
	s.control = s.hub.Publication(controlplane.Endpoint{Channel: b.ControlChannel, StreamID: int32(b.ControlStreamID)})
	announce := controlplane.Endpoint{Channel: b.DriverControlChannel, StreamID: int32(b.DriverAnnounceStreamID)}
	s.routes = append(s.routes, s.hub.Route(announce, controlplane.Messages(wire.ShmPoolAnnounceID), s.forwardAnnounce))
	if b.ForwardMetadata {
		s.metadata = s.hub.Publication(controlplane.Endpoint{Channel: b.MetadataChannel, StreamID: int32(b.MetadataStreamID)})
		s.routes = append(s.routes, s.hub.Route(controlplane.Endpoint{Channel: b.LocalChannel, StreamID: int32(b.SourceMetadataStreamID)},
			controlplane.Messages(wire.DataSourceAnnounceID, wire.DataSourceMetaID), s.forwardMetadata))
	}
	if b.ForwardQos || b.ForwardProgress {
		seen := map[uint32]bool{}
		for _, m := range s.cfg.Mappings {
			if seen[m.SourceControlStreamID] {
				continue
			}
			seen[m.SourceControlStreamID] = true
			ep := controlplane.Endpoint{Channel: b.LocalChannel, StreamID: int32(m.SourceControlStreamID)}
			s.routes = append(s.routes, s.hub.Route(ep, controlplane.Messages(wire.QosProducerID, wire.QosConsumerID, wire.FrameProgressID), s.forwardControl))
		}
	}
	for _, src := range s.sources {
		src.agent.OnStart(p)
	}
}

// forward offers msg, as received, on o's publication.
func (s *sender) forward(o *controlplane.Outbound, msg []byte) {
	if pub := o.Pub(); pub != nil && pub.Offer(msg) > 0 {
		s.metrics.ControlForwarded.Add(1)
	}
}

// forwardAnnounce forwards the source streams' ShmPoolAnnounce on the bridge control
// channel (§7.2); the receiver validates pool ids and epochs with them.
func (s *sender) forwardAnnounce(msg []byte, _ wire.Header, _ *transport.Header) {
	if id, ok := streamIDOf(msg); ok && s.byID[id] != nil {
		s.forward(s.control, msg)
	}
}

// forwardMetadata forwards the source streams' DataSourceAnnounce and DataSourceMeta on
// the bridge metadata channel (§7.1).
func (s *sender) forwardMetadata(msg []byte, _ wire.Header, _ *transport.Header) {
	if id, ok := streamIDOf(msg); ok && s.byID[id] != nil {
		s.forward(s.metadata, msg)
	}
}

// forwardControl forwards the source streams' QosProducer, QosConsumer (forward_qos) and
// FrameProgress (forward_progress) on the bridge control channel (§9), their streamId the
// source stream's.
func (s *sender) forwardControl(msg []byte, h wire.Header, _ *transport.Header) {
	b := &s.cfg.Bridge
	if h.ID() == wire.FrameProgressID && !b.ForwardProgress || h.ID() != wire.FrameProgressID && !b.ForwardQos {
		return
	}
	if id, ok := streamIDOf(msg); ok && s.byID[id] != nil {
		s.forward(s.control, msg)
	}
}

// streamIDOf reads the streamId every forwarded message starts its block with, after
// checking the message is whole (wire.Validate).
func streamIDOf(msg []byte) (uint32, bool) {
	if _, err := wire.Validate(msg); err != nil || len(msg) < wire.HeaderLength+4 {
		return 0, false
	}
	return uint32(msg[8]) | uint32(msg[9])<<8 | uint32(msg[10])<<16 | uint32(msg[11])<<24, true
}

func (s *sender) DoWork(now clock.Mono) int {
	work := 0
	for _, src := range s.sources {
		work += src.agent.DoWork(now)
	}
	if s.payload == nil {
		return work + s.addPayload()
	}
	n := len(s.sources)
	for i := range n {
		src := s.sources[(s.next+i)%n]
		for range framesPerCycle {
			if !src.inflight {
				if src.agent.Poll(1) == 0 {
					break
				}
				work++
			}
			if !src.inflight {
				continue
			}
			sent, more := src.pump()
			// Only chunks committed are work: a cycle that met back pressure alone lets
			// the idle strategy back off, leaving the core to the media driver, which
			// is what relieves it.
			work += sent
			if !more {
				break // back pressure: the frame goes on next cycle
			}
		}
	}
	s.next++
	return work
}

// addPayload completes the payload publication's add and sizes the chunks to its frames.
func (s *sender) addPayload() int {
	if s.payloadPending == nil {
		return 0
	}
	pub, err := s.payloadPending.Poll()
	switch {
	case errors.Is(err, transport.ErrPending):
		return 0
	case err != nil:
		s.payloadPending = nil
		s.fail(fmt.Errorf("bridge: payload publication %s stream %d: %w", s.cfg.Bridge.PayloadChannel, s.cfg.Bridge.PayloadStreamID, err))
		return 1
	}
	s.payloadPending = nil
	limits, err := SenderChunkLimits(s.cfg.Bridge.EffectiveChunkBytes(), pub.MaxPayloadLength(), s.cfg.Bridge.WireVersion)
	if err != nil {
		_ = pub.Close()
		s.fail(err)
		return 1
	}
	s.payload, s.limits = pub, limits
	return 1
}

func (s *sender) fail(err error) {
	s.failed = err
	if s.onError != nil {
		s.onError(err)
	}
}

// onFrame takes a frame of the source stream, inside its agent's Poll: it becomes the
// frame in flight.
func (src *source) onFrame(f *consumer.Frame) {
	s := src.s
	plan, ok := PlanChunks(uint32(len(f.Payload)), s.limits)
	if !ok {
		s.metrics.SendsDropped.Add(1)
		return
	}
	src.inflight, src.headerIndex, src.plan, src.nextChunk = true, f.HeaderIndex, plan, 0
	src.slot, src.data = f.SlotBytes(), f.Payload
	// In v1.2 every chunk carries the frame's trace id (0 when it has none; §5.2), which
	// only a v1.2 FrameDescriptor brings.
	src.chunk = wire.BridgeFrameChunk{Version: s.cfg.Bridge.WireVersion, StreamID: src.streamID, Epoch: f.Epoch, Seq: f.Seq,
		TraceID: f.TraceID, ChunkCount: plan.Count, PayloadLength: plan.PayloadLength}
}

// pump sends the frame in flight's next chunks until the publication pushes back (more is
// false then) or the frame is done; sent counts the chunks committed. A chunk is committed only if the slot's
// seqlock still holds the frame after its bytes were copied (Wire spec §8.3): a frame
// overwritten mid-send is abandoned, and the receiver, missing its last chunks, drops it
// (Bridge spec §5.3); it is never sent torn.
func (src *source) pump() (sent int, more bool) {
	s := src.s
	prev := debug.SetPanicOnFault(true) // a fault copying from the mapping panics, for guard
	defer debug.SetPanicOnFault(prev)
	defer src.guard(&more)
	for src.nextChunk < src.plan.Count {
		i := src.nextChunk
		off, n := src.plan.Chunk(i)
		c := &src.chunk
		c.ChunkIndex, c.ChunkOffset, c.ChunkLength = i, off, n
		c.HeaderIncluded, c.HeaderBytes = i == 0, nil
		if i == 0 {
			c.HeaderBytes = src.slot
		}
		c.PayloadBytes = src.data[off : off+n]
		length := c.EncodedLength()
		if result := s.payload.TryClaim(length, &s.claim); result < 0 {
			switch result {
			case transport.BackPressured, transport.AdminAction:
				return sent, false
			}
			// No receiver, or the publication is gone: drop the frame rather than hold the
			// source slot for a receiver that may never come.
			src.inflight = false
			s.metrics.SendsDropped.Add(1)
			return sent, true
		}
		if c.Version == wire.V1_2 {
			// §5.4: the CRC32C of the bytes the chunk carries, read from the slot like the
			// copy below; the FrameValid check after the copy covers both reads, so a CRC
			// of bytes overwritten meanwhile never goes out.
			c.PayloadCrc32c = ChunkCRC32C(c)
		}
		c.Encode(s.claim.Buffer()) // cannot fail: the claim is EncodedLength long
		if !src.agent.FrameValid(c.Seq, src.headerIndex) {
			s.claim.Abort()
			src.inflight = false
			s.metrics.SendsAbandoned.Add(1)
			return sent, true
		}
		s.claim.Commit()
		src.nextChunk++
		sent++
		s.metrics.ChunksSent.Add(1)
	}
	src.inflight = false
	s.metrics.FramesSent.Add(1)
	return sent, true
}

// guard turns a memory fault while copying from the mapping (its file truncated under
// it) into an abandoned frame; FrameValid, which reads the slot under the consumer's own
// guard, then lets the consumer see the mapping is gone. It runs deferred in pump, which
// arms the fault; any other panic goes on.
func (src *source) guard(more *bool) {
	r := recover()
	if r == nil {
		return
	}
	if !src.faultedIn(r) {
		panic(r)
	}
	if src.s.claim.IsOpen() {
		src.s.claim.Abort()
	}
	src.inflight = false
	src.s.metrics.SendsAbandoned.Add(1)
	*more = true
	_ = src.agent.FrameValid(src.chunk.Seq, src.headerIndex)
}

// faultedIn reports whether r is a memory fault inside the frame in flight's slot or
// payload.
func (src *source) faultedIn(r any) bool {
	re, ok := r.(runtime.Error)
	if !ok {
		return false
	}
	at, ok := re.(interface{ Addr() uintptr })
	if !ok {
		return false
	}
	addr := at.Addr()
	for _, b := range [][]byte{src.slot, src.data} {
		if len(b) > 0 {
			start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
			if addr >= start && addr < start+uintptr(cap(b)) {
				return true
			}
		}
	}
	return false
}

func (s *sender) OnClose() {
	for _, r := range s.routes {
		r.Close()
	}
	for _, src := range s.sources {
		src.inflight = false
		src.agent.StopPolling()
		src.agent.OnClose()
	}
	if s.payloadPending != nil {
		s.payloadPending.Cancel()
	}
	if s.payload != nil {
		_ = s.payload.Close() // best effort: the bridge is going away
	}
	for _, o := range []*controlplane.Outbound{s.control, s.metadata} {
		if o != nil {
			o.Release()
		}
	}
}

func (s *sender) RoleName() string { return "tp-bridge-sender:" + s.cfg.Bridge.InstanceID }

package bridge

import (
	"bytes"

	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// FrameHeader is the header slot chunk 0 carries, decoded and validated, and the trace
// id every chunk of the frame carried (0 from v1.1 chunks).
type FrameHeader struct {
	Slot    shm.SlotHeader
	Tensor  shm.TensorHeader
	TraceID uint64
}

// Sink is where a Reassembler writes a frame: a slot of the destination stream. Begin
// claims the slot of frame seq, payloadLength bytes, and returns its payload (exactly
// that long) or why it cannot (DropNoLocalPool, DropNotAttached, DropStaleFrame);
// Abort gives the open slot up; Complete commits it with the frame's header and
// publishes its descriptor, returning FrameDone or DropPublish. Calls alternate: Begin,
// then Abort or Complete.
type Sink interface {
	Begin(seq uint64, payloadLength uint32) ([]byte, Verdict)
	Abort()
	Complete(h *FrameHeader) Verdict
}

// ReceiveLimits bound what a Reassembler accepts.
type ReceiveLimits struct {
	// MaxChunkBytes is the longest chunk: the configured effective chunk (chunk_bytes,
	// mtu_bytes-128, max_chunk_bytes; config.BridgeSection.EffectiveChunkBytes).
	MaxChunkBytes uint32
	// MaxPayloadBytes is max_payload_bytes.
	MaxPayloadBytes uint32
	// TimeoutNs is the assembly timeout (§5.3a).
	TimeoutNs int64
}

// AnnounceVerdict is what a forwarded ShmPoolAnnounce did.
type AnnounceVerdict uint8

const (
	// AnnounceFirst: the first announce of the mapping; chunks of its epoch are accepted.
	AnnounceFirst AnnounceVerdict = iota
	// AnnounceNewEpoch: a newer source epoch, a remap boundary (§8): the frame in flight
	// was dropped and the local epoch must be renewed.
	AnnounceNewEpoch
	// AnnounceRefresh: the current epoch again; its pools are taken anew.
	AnnounceRefresh
	// AnnounceStale: an epoch older than one already seen; ignored (§8).
	AnnounceStale
	// AnnounceInvalid: no pools, or a pool of stride 0; ignored.
	AnnounceInvalid
)

type sourcePool struct {
	id     uint16
	stride uint32
}

// Reassembler is the receiving side of one mapping (Bridge spec §5.2, §5.3, §5.3a, §6,
// §8), a state machine without I/O: forwarded announces and chunks in, a Verdict out,
// the frame written through its Sink. It assembles one frame at a time, by chunkOffset
// and chunkLength in whatever order the chunks come, straight into the destination slot
// the Sink claims on the frame's first chunk (whichever it is), so its memory is bounded
// by the largest frame's chunk count, whatever the traffic: about 640 KiB, all of it
// allocated by NewReassembler. It is used by one goroutine.
type Reassembler struct {
	limits ReceiveLimits
	sink   Sink

	// The latest forwarded announce.
	announced bool
	epoch     uint64 // its epoch
	highest   uint64 // the highest epoch seen, in an announce or a chunk
	pools     []sourcePool
	maxStride uint32

	// The last frame finished (completed or dropped) in this epoch: its chunks, and any
	// older frame's, are stale from then on.
	finished    bool
	finishedSeq uint64

	// The frame in assembly.
	active   bool
	seq      uint64
	chunks   uint32 // its chunkCount
	length   uint32 // its payloadLength
	traceID  uint64 // its traceId
	startNs  int64
	payload  []byte
	received []uint64 // bitmap by chunk index
	stored   uint32
	offsets  []uint32 // by chunk index, for telling duplicates from conflicts
	lengths  []uint16
	spans    coverage
	header   FrameHeader
	slot     shm.HeaderSlot // a one-slot ring the header bytes are checked in

	counts [verdictCount]uint64
}

// NewReassembler returns the receiving side of a mapping writing to sink.
func NewReassembler(limits ReceiveLimits, sink Sink) *Reassembler {
	ring, err := shm.NewHeaderRing(shm.NewHeapRegion(shm.SuperblockSize+shm.HeaderSlotSize).Bytes(), 1)
	if err != nil {
		panic("bridge: a one-slot header ring: " + err.Error()) // a fixed geometry: cannot fail
	}
	slot, _ := ring.Slot(0)
	return &Reassembler{
		limits:   limits,
		sink:     sink,
		received: make([]uint64, (config.MaxBridgeChunkCount+63)/64),
		offsets:  make([]uint32, config.MaxBridgeChunkCount),
		lengths:  make([]uint16, config.MaxBridgeChunkCount),
		spans:    newCoverage(),
		slot:     slot,
	}
}

// Counts returns how many times each Verdict was reached.
func (r *Reassembler) Counts() [VerdictCount]uint64 { return r.counts }

// Epoch is the source epoch of the latest forwarded announce, ok false before one.
func (r *Reassembler) Epoch() (epoch uint64, ok bool) { return r.epoch, r.announced }

// Active reports whether a frame is being assembled, and which.
func (r *Reassembler) Active() (seq uint64, ok bool) { return r.seq, r.active }

// count records v and returns it.
func (r *Reassembler) count(v Verdict) Verdict {
	r.counts[v]++
	return v
}

// OnAnnounce takes a ShmPoolAnnounce the sender forwarded for this mapping (§7.2): the
// latest one says which epoch chunks must carry and which pools a header may name.
func (r *Reassembler) OnAnnounce(a *wire.ShmPoolAnnounce) AnnounceVerdict {
	if len(a.PayloadPools) == 0 {
		return AnnounceInvalid
	}
	for i := range a.PayloadPools {
		if a.PayloadPools[i].StrideBytes == 0 {
			return AnnounceInvalid
		}
	}
	v := AnnounceRefresh
	switch {
	case a.Epoch < r.highest:
		return AnnounceStale
	case !r.announced:
		v = AnnounceFirst
	case a.Epoch != r.epoch:
		v = AnnounceNewEpoch
	}
	if v != AnnounceRefresh {
		r.newEpoch(a.Epoch)
	}
	r.announced = true
	r.pools, r.maxStride = r.pools[:0], 0
	for _, p := range a.PayloadPools {
		r.pools = append(r.pools, sourcePool{id: p.PoolID, stride: p.StrideBytes})
		r.maxStride = max(r.maxStride, p.StrideBytes)
	}
	return v
}

// newEpoch makes epoch the current one: the frame in flight is dropped (§8) and no frame
// of the new epoch is finished yet.
func (r *Reassembler) newEpoch(epoch uint64) {
	if r.active {
		r.dropFrame(DropEpochChange)
	}
	r.epoch, r.highest = epoch, max(r.highest, epoch)
	r.finished = false
}

// Tick drops the frame in assembly once it is older than the timeout (§5.3a), releasing
// its slot; it returns DropTimedOut then, ChunkStored otherwise.
func (r *Reassembler) Tick(nowNs int64) Verdict {
	if r.active && nowNs-r.startNs >= r.limits.TimeoutNs {
		return r.dropFrame(DropTimedOut)
	}
	return ChunkStored
}

// Abandon drops the frame in assembly, if any, as DropNotAttached: its destination slot
// went away (the destination lost its epoch).
func (r *Reassembler) Abandon() {
	if r.active {
		r.active = false
		r.finished, r.finishedSeq = true, r.seq
		r.count(DropNotAttached)
	}
}

// dropFrame drops the frame in assembly for v; nothing of it is published (§5.3).
func (r *Reassembler) dropFrame(v Verdict) Verdict {
	r.sink.Abort()
	r.active = false
	r.finished, r.finishedSeq = true, r.seq
	return r.count(v)
}

// OnChunk takes one chunk, decoded (wire.BridgeFrameChunk.Decode, aliasing the message),
// at nowNs.
func (r *Reassembler) OnChunk(c *wire.BridgeFrameChunk, nowNs int64) Verdict {
	if v := r.checkChunk(c); v != ChunkStored {
		return r.count(v)
	}
	switch {
	case !r.announced:
		return r.count(DropNoAnnounce)
	case c.Epoch < r.highest:
		return r.count(DropStaleEpoch)
	case c.Epoch != r.epoch:
		// A newer epoch than the latest announce: a remap boundary (§8). Its chunks wait
		// for its announce; the current epoch's are stale from now on.
		if r.active {
			r.dropFrame(DropEpochChange)
		}
		r.highest = c.Epoch
		return r.count(DropEpoch)
	case c.PayloadLength > r.maxStride:
		return r.count(DropPayloadLength)
	case r.finished && c.Seq <= r.finishedSeq:
		return r.count(DropStaleFrame)
	}
	if r.active {
		switch {
		case c.Seq < r.seq:
			return r.count(DropStaleFrame)
		case c.Seq > r.seq:
			r.dropFrame(DropSuperseded)
		case c.ChunkCount != r.chunks || c.PayloadLength != r.length || c.TraceID != r.traceID:
			// §5.2: the chunks of a frame agree on its shape and, in v1.1 of the bridge
			// spec, on its traceId.
			r.dropFrame(DropConflict)
			return DropConflict
		}
	}
	if !r.active {
		if v := r.begin(c, nowNs); v != ChunkStored {
			return v
		}
	}
	return r.store(c)
}

// checkChunk applies the rules a chunk is judged by alone (§5.2).
func (r *Reassembler) checkChunk(c *wire.BridgeFrameChunk) Verdict {
	switch {
	case c.ChunkCount == 0 || c.ChunkCount > config.MaxBridgeChunkCount || c.ChunkIndex >= c.ChunkCount:
		return DropChunkCount
	case c.HeaderIncluded != (c.ChunkIndex == 0),
		c.HeaderIncluded && len(c.HeaderBytes) != HeaderBytes,
		!c.HeaderIncluded && len(c.HeaderBytes) != 0:
		return DropHeaderPresence
	case c.ChunkIndex == 0 && c.ChunkOffset != 0:
		return DropFirstOffset
	case c.ChunkLength > r.limits.MaxChunkBytes || len(c.PayloadBytes) != int(c.ChunkLength),
		c.ChunkLength == 0 && c.PayloadLength != 0:
		return DropChunkLength
	case c.PayloadLength > r.limits.MaxPayloadBytes:
		return DropPayloadLength
	case uint64(c.ChunkOffset)+uint64(c.ChunkLength) > uint64(c.PayloadLength):
		return DropSlice
	}
	return ChunkStored
}

// begin opens the assembly of c's frame: the Sink claims its destination slot.
func (r *Reassembler) begin(c *wire.BridgeFrameChunk, nowNs int64) Verdict {
	payload, v := r.sink.Begin(c.Seq, c.PayloadLength)
	if v != ChunkStored {
		r.finished, r.finishedSeq = true, c.Seq // the rest of the frame is stale
		return r.count(v)
	}
	r.active, r.seq, r.chunks, r.length, r.traceID, r.startNs = true, c.Seq, c.ChunkCount, c.PayloadLength, c.TraceID, nowNs
	r.payload = payload[:c.PayloadLength]
	clear(r.received[:(c.ChunkCount+63)/64])
	r.stored = 0
	r.spans.reset()
	return ChunkStored
}

// store writes c into the frame in assembly, validates the header when c carries it, and
// completes the frame with its last chunk.
func (r *Reassembler) store(c *wire.BridgeFrameChunk) Verdict {
	// §5.4: a chunk whose bytes fail its CRC32C is dropped, and with it the frame, which
	// now misses a chunk (§5.3); it is checked here, once the frame's state took the chunk's
	// seq, so the rest of the frame is stale from now on.
	if crcMismatch(c) {
		return r.dropFrame(DropCrc)
	}
	i := c.ChunkIndex
	start, end := c.ChunkOffset, c.ChunkOffset+c.ChunkLength
	word, bit := i/64, uint64(1)<<(i%64)
	if r.received[word]&bit != 0 {
		// §5.2: an identical duplicate may be ignored; anything else for the same chunk is a
		// conflict that drops the frame.
		if r.offsets[i] == start && uint32(r.lengths[i]) == c.ChunkLength && bytes.Equal(r.payload[start:end], c.PayloadBytes) {
			return r.count(ChunkDuplicate)
		}
		return r.dropFrame(DropConflict)
	}
	if start < end && !r.spans.add(start, end) {
		return r.dropFrame(DropConflict) // overlaps bytes another chunk brought
	}
	if i == 0 {
		if v := r.checkHeader(c); v != ChunkStored {
			return r.dropFrame(v)
		}
	}
	copy(r.payload[start:end], c.PayloadBytes)
	r.received[word] |= bit
	r.offsets[i], r.lengths[i] = start, uint16(c.ChunkLength)
	r.stored++
	if r.stored < r.chunks {
		return r.count(ChunkStored)
	}
	// Every chunk is in: their slices must tile the payload exactly (§5.2: non-overlapping,
	// summing to payloadLength).
	if !r.spans.whole(r.length) {
		return r.dropFrame(DropConflict)
	}
	r.active = false
	r.finished, r.finishedSeq = true, r.seq
	r.header.TraceID = r.traceID
	return r.count(r.sink.Complete(&r.header))
}

// checkHeader validates the header slot chunk 0 carries (§6 steps 4-6) into r.header.
func (r *Reassembler) checkHeader(c *wire.BridgeFrameChunk) Verdict {
	copy(r.slot.Bytes(), c.HeaderBytes)
	h, t := &r.header.Slot, &r.header.Tensor
	// Committed, for this seq (seq_commit >> 1, §6), with a TensorHeader of the expected
	// schema, template and length embedded (§6 step 4).
	if r.slot.TryRead(c.Seq, h, t) != shm.DropNone {
		return DropHeaderInvalid
	}
	if h.ValuesLenBytes != c.PayloadLength || h.PayloadOffset != 0 || shm.ValidateTensorHeader(t) != shm.DropNone {
		return DropHeaderInvalid
	}
	for _, p := range r.pools {
		if p.id == h.PoolID {
			if c.PayloadLength > p.stride {
				return DropPoolStride
			}
			return ChunkStored
		}
	}
	return DropPoolUnknown
}

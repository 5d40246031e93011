package bridge

// Verdict is what became of one chunk on the receiver (or, for DropTimedOut, of a frame
// at a timer tick). The first three are not drops; the Drop verdicts below
// DropConflict reject the chunk alone, those from DropConflict on drop the frame being
// assembled, which is then never published (Bridge spec §5.3). Each is counted.
type Verdict uint8

const (
	// ChunkStored: kept; the frame is not complete yet.
	ChunkStored Verdict = iota
	// FrameDone: the chunk completed the frame, which is re-materialised and published.
	FrameDone
	// ChunkDuplicate: identical to a chunk already stored (same index, offset, length and
	// bytes); ignored (§5.2).
	ChunkDuplicate

	// DropMalformed: the message failed wire validation.
	DropMalformed
	// DropUnknownStream: no mapping reads this stream.
	DropUnknownStream
	// DropChunkCount: chunkCount 0 or beyond 65535, or chunkIndex not below it (§5.2).
	DropChunkCount
	// DropHeaderPresence: headerIncluded and headerBytes disagree with the chunk index:
	// chunk 0 carries the 256-byte header, no other chunk carries any (§5.2).
	DropHeaderPresence
	// DropFirstOffset: chunk 0 does not start at offset 0 (§5.2).
	DropFirstOffset
	// DropChunkLength: chunkLength beyond the receiver's bound (chunk_bytes, the MTU
	// bound, max_chunk_bytes), payloadBytes not chunkLength long, or an empty chunk of a
	// non-empty frame (§5.2).
	DropChunkLength
	// DropSlice: the slice ends beyond payloadLength (§5.2).
	DropSlice
	// DropPayloadLength: payloadLength beyond max_payload_bytes or the largest stride of
	// the source's pools (§5.2, §6 step 6).
	DropPayloadLength
	// DropNoAnnounce: no ShmPoolAnnounce was forwarded for the mapping yet (§5.2, §6 step 2).
	DropNoAnnounce
	// DropEpoch: not the epoch of the latest forwarded announce (§6 step 3).
	DropEpoch
	// DropStaleEpoch: an epoch older than one already seen (§8).
	DropStaleEpoch
	// DropStaleFrame: a frame older than the one being assembled, or one already
	// completed or dropped (a duplicate of a whole frame, or the rest of a dropped one).
	DropStaleFrame

	// DropConflict: overlapping or conflicting chunks, or chunks that disagree on
	// chunkCount, payloadLength or traceId, or whose lengths do not add up to
	// payloadLength (§5.2).
	DropConflict
	// DropCrc: a v1.2 chunk's bytes do not match its non-zero payloadCrc32c (Bridge spec
	// v1.1 §5.4).
	DropCrc
	// DropHeaderInvalid: the header slot is not a committed slot of this seq, its embedded
	// header is not a TensorHeader, values_len_bytes is not payloadLength, payload_offset is
	// not 0, or the tensor is beyond the local limits (§6 step 4).
	DropHeaderInvalid
	// DropPoolUnknown: pool_id is none of the forwarded announce's pools (§6 step 5).
	DropPoolUnknown
	// DropPoolStride: payloadLength exceeds the stride of the source pool (§6 step 6).
	DropPoolStride
	// DropNoLocalPool: no local pool holds payloadLength (§5.2, §6 step 7).
	DropNoLocalPool
	// DropNotAttached: no local epoch to write into: the destination is still attaching,
	// renewing its epoch, or failed.
	DropNotAttached
	// DropSuperseded: chunks of a newer frame arrived before this one was complete; its
	// missing chunks are lost (§5.3).
	DropSuperseded
	// DropTimedOut: incomplete for longer than the assembly timeout (§5.3a).
	DropTimedOut
	// DropEpochChange: in flight when the source's epoch changed (§8).
	DropEpochChange
	// DropPublish: the local frame could not be committed or its descriptor sent.
	DropPublish

	verdictCount
)

// VerdictCount sizes arrays indexed by Verdict.
const VerdictCount = int(verdictCount)

// DropsFrame reports whether v dropped a frame (rather than a chunk).
func (v Verdict) DropsFrame() bool { return v >= DropConflict && v < verdictCount }

// IsDrop reports whether v is a drop.
func (v Verdict) IsDrop() bool { return v >= DropMalformed && v < verdictCount }

var verdictNames = [verdictCount]string{
	ChunkStored: "chunk_stored", FrameDone: "frame_done", ChunkDuplicate: "chunk_duplicate",
	DropMalformed: "malformed", DropUnknownStream: "unknown_stream", DropChunkCount: "chunk_count",
	DropHeaderPresence: "header_presence", DropFirstOffset: "first_offset", DropChunkLength: "chunk_length",
	DropSlice: "slice", DropPayloadLength: "payload_length", DropNoAnnounce: "no_announce", DropEpoch: "epoch",
	DropStaleEpoch: "stale_epoch", DropStaleFrame: "stale_frame", DropConflict: "conflict", DropCrc: "crc",
	DropHeaderInvalid: "header_invalid", DropPoolUnknown: "pool_unknown", DropPoolStride: "pool_stride",
	DropNoLocalPool: "no_local_pool", DropNotAttached: "not_attached", DropSuperseded: "superseded",
	DropTimedOut: "timed_out", DropEpochChange: "epoch_change", DropPublish: "publish",
}

func (v Verdict) String() string {
	if v < verdictCount {
		return verdictNames[v]
	}
	return "unknown"
}

var verdictSections = [verdictCount]string{
	ChunkDuplicate: "5.2", DropChunkCount: "5.2", DropHeaderPresence: "5.2", DropFirstOffset: "5.2",
	DropChunkLength: "5.2", DropSlice: "5.2", DropPayloadLength: "5.2", DropNoAnnounce: "5.2",
	DropEpoch: "6", DropStaleEpoch: "8", DropConflict: "5.2", DropCrc: "5.4", DropHeaderInvalid: "6",
	DropPoolUnknown: "6", DropPoolStride: "6", DropNoLocalPool: "6", DropSuperseded: "5.3",
	DropTimedOut: "5.3a", DropEpochChange: "8",
}

// Section is the Bridge spec section of the rule behind v, "" for verdicts no rule names.
func (v Verdict) Section() string {
	if v < verdictCount {
		return verdictSections[v]
	}
	return ""
}

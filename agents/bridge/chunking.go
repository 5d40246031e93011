package bridge

import (
	"fmt"

	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/wire"
)

// HeaderBytes is the length of the header slot chunk 0 carries (Bridge spec §5.2: the
// 60-byte fixed prefix, the 4-byte length of the embedded header and the 192-byte
// TensorHeader).
const HeaderBytes = wire.MaxBridgeHeaderBytes

// chunkOverheads are what a BridgeFrameChunk adds to its payload slice in each layout:
// the message header, the fixed block and the two var-data length fields.
var chunkOverheads = [...]int{
	wire.V1_1: (&wire.BridgeFrameChunk{Version: wire.V1_1}).EncodedLength(),
	wire.V1_2: (&wire.BridgeFrameChunk{Version: wire.V1_2}).EncodedLength(),
}

// maxChunkOverhead is the larger overhead: a receiver reads either layout.
var maxChunkOverhead = max(chunkOverheads[wire.V1_1], chunkOverheads[wire.V1_2])

// ChunkOverhead is the encoded length of a BridgeFrameChunk in layout v (a valid
// wire.Version) beyond its header bytes and payload slice.
func ChunkOverhead(v wire.Version) int { return chunkOverheads[v] }

// ChunkLimits are the most payload bytes a sender puts in chunk 0, which also carries
// the header slot, and in every later chunk.
type ChunkLimits struct {
	First, Rest uint32
}

// SenderChunkLimits sizes a sender's chunks (Bridge spec §5.2, §10): the configured
// effective chunk (chunk_bytes, mtu_bytes-128, max_chunk_bytes) further capped so every
// chunk, chunk 0 with its 256 header bytes included, fits one frame of the payload
// publication (maxPayload, its MaxPayloadLength), so it can be try-claimed and is never
// fragmented. v is the layout the sender encodes (a valid wire.Version). It fails, rather
// than return a zero size, when a frame cannot hold the header and a byte of payload.
func SenderChunkLimits(configured uint32, maxPayload int, v wire.Version) (ChunkLimits, error) {
	chunkOverhead := ChunkOverhead(v)
	room := maxPayload - chunkOverhead
	if configured == 0 || room-HeaderBytes < 1 {
		return ChunkLimits{}, fmt.Errorf("bridge: a chunk of the payload channel holds %d bytes: too few for a %d-byte chunk header, the %d-byte header slot and any payload (configured chunk %d bytes)",
			maxPayload, chunkOverhead, HeaderBytes, configured)
	}
	return ChunkLimits{
		First: min(configured, uint32(room-HeaderBytes)),
		Rest:  min(configured, uint32(room)),
	}, nil
}

// ChunkPlan is how one frame's payload is cut into chunks: chunk 0 holds the first
// First bytes (and the header slot), each later chunk Rest bytes, the last one what
// remains. A zero-length payload is one chunk of no bytes: chunk 0 still carries the
// header (the reference divided by zero here).
type ChunkPlan struct {
	PayloadLength uint32
	Count         uint32
	limits        ChunkLimits
}

// PlanChunks plans a frame of payloadLength bytes. ok is false when the frame needs more
// than the 65535 chunks a frame may have (§5.2): the sender drops it.
func PlanChunks(payloadLength uint32, limits ChunkLimits) (p ChunkPlan, ok bool) {
	count := uint64(1)
	if payloadLength > limits.First {
		rest := uint64(payloadLength - limits.First)
		count += (rest + uint64(limits.Rest) - 1) / uint64(limits.Rest)
	}
	if count > config.MaxBridgeChunkCount {
		return ChunkPlan{}, false
	}
	return ChunkPlan{PayloadLength: payloadLength, Count: uint32(count), limits: limits}, true
}

// Chunk is where chunk i (< Count) sits in the payload.
func (p *ChunkPlan) Chunk(i uint32) (offset, length uint32) {
	if i == 0 {
		return 0, min(p.PayloadLength, p.limits.First)
	}
	offset = p.limits.First + (i-1)*p.limits.Rest
	return offset, min(p.PayloadLength-offset, p.limits.Rest)
}

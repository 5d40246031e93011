package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/bridge"
	v12bridge "github.com/tensorpool/tensorpool/wire/sbe/v12/bridge"
)

// BridgeFrameChunk carries one chunk of a frame across a bridge (bridge schema, Bridge
// spec v1.0, v1.1 with wire v1.2): the frame's identity, where the chunk sits in its
// payload, and on the first chunk the frame's header. It is on a bridge's data path:
// encoding and decoding it allocate nothing, and Decode leaves HeaderBytes and PayloadBytes
// aliasing buf (nil when empty), valid as long as buf is. A headerIncluded that is neither
// FALSE nor TRUE decodes as false with ErrUnknownEnum.
//
// Its layout depends on Version (see Version for how a receiver tells them apart):
//
//	v1.1 (block 41): streamId@0 epoch@4 seq@12 chunkIndex@20 chunkCount@24 chunkOffset@28
//	                 chunkLength@32 payloadLength@36 headerIncluded@40
//	v1.2 (block 53): streamId@0 epoch@4 seq@12 traceId@20 chunkIndex@28 chunkCount@32
//	                 chunkOffset@36 chunkLength@40 payloadLength@44 payloadCrc32c@48 headerIncluded@52
//
// TraceID and PayloadCrc32c exist in v1.2 only and decode as 0 from v1.1.
type BridgeFrameChunk struct {
	Version        Version // the layout Encode writes and Decode read; V1_1 unless set
	StreamID       uint32
	Epoch          uint64
	Seq            uint64
	TraceID        uint64 // v1.2 only; optional: 0 when absent
	ChunkIndex     uint32
	ChunkCount     uint32
	ChunkOffset    uint32
	ChunkLength    uint32
	PayloadLength  uint32
	PayloadCrc32c  uint32 // v1.2 only; 0 unless the bridge checks integrity (Bridge spec v1.1 §5.4)
	HeaderIncluded bool
	HeaderBytes    []byte // at most MaxBridgeHeaderBytes
	PayloadBytes   []byte
}

// MaxBridgeHeaderBytes bounds BridgeFrameChunk.HeaderBytes (its encoding's maximum).
const MaxBridgeHeaderBytes = 256

const (
	bridgeFrameChunkBlock     = int(bridge.BridgeFrameChunkSbeBlockLength)
	bridgeFrameChunkBlockV1_2 = int(v12bridge.BridgeFrameChunkSbeBlockLength)
	bridgeFrameChunkHeaderID  = uint64(bridge.BridgeFrameChunkSbeTemplateID)<<16 | uint64(BridgeSchemaID)<<32 | uint64(BridgeSchemaVersion)<<48
)

var bridgeFrameChunkGate = messageGate(BridgeFrameChunkID)

func (m *BridgeFrameChunk) block() int {
	if m.Version == V1_2 {
		return bridgeFrameChunkBlockV1_2
	}
	return bridgeFrameChunkBlock
}

// EncodedLength is the encoded size in m's Version, header included.
func (m *BridgeFrameChunk) EncodedLength() int {
	return HeaderLength + m.block() + varLen(len(m.HeaderBytes)) + varLen(len(m.PayloadBytes))
}

// Encode writes m in its Version's layout at buf[0:] and returns its length. It does not
// allocate unless it fails.
func (m *BridgeFrameChunk) Encode(buf []byte) (int, error) {
	const name = "BridgeFrameChunk"
	if !m.Version.Valid() {
		return 0, badVersion(name, m.Version)
	}
	if len(m.HeaderBytes) > MaxBridgeHeaderBytes {
		return 0, checkVar(name, "headerBytes", len(m.HeaderBytes), MaxBridgeHeaderBytes)
	}
	if len(m.PayloadBytes) > maxVarLength {
		return 0, checkVar(name, "payloadBytes", len(m.PayloadBytes), maxVarLength)
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	block := m.block()
	le.PutUint64(b, uint64(block)|bridgeFrameChunkHeaderID)
	f := b[HeaderLength:]
	le.PutUint32(f, m.StreamID)
	le.PutUint64(f[4:], m.Epoch)
	le.PutUint64(f[12:], m.Seq)
	if m.Version == V1_2 {
		le.PutUint64(f[20:], m.TraceID)
		le.PutUint32(f[28:], m.ChunkIndex)
		le.PutUint32(f[32:], m.ChunkCount)
		le.PutUint32(f[36:], m.ChunkOffset)
		le.PutUint32(f[40:], m.ChunkLength)
		le.PutUint32(f[44:], m.PayloadLength)
		le.PutUint32(f[48:], m.PayloadCrc32c)
		f[52] = boolByte(m.HeaderIncluded)
	} else {
		le.PutUint32(f[20:], m.ChunkIndex)
		le.PutUint32(f[24:], m.ChunkCount)
		le.PutUint32(f[28:], m.ChunkOffset)
		le.PutUint32(f[32:], m.ChunkLength)
		le.PutUint32(f[36:], m.PayloadLength)
		f[40] = boolByte(m.HeaderIncluded)
	}
	pos := putVarBytes(b, HeaderLength+block, m.HeaderBytes)
	putVarBytes(b, pos, m.PayloadBytes)
	return n, nil
}

// Decode validates buf and fills m in the layout its block length selects, setting
// Version, its byte fields aliasing buf (see the package comment for the errors). It does
// not allocate unless buf is malformed.
func (m *BridgeFrameChunk) Decode(buf []byte) error {
	h, readable, err := bridgeFrameChunkGate.open(buf)
	if !readable {
		return err
	}
	if int(h.BlockLength) >= bridgeFrameChunkBlockV1_2 {
		f := buf[HeaderLength : HeaderLength+bridgeFrameChunkBlockV1_2]
		*m = BridgeFrameChunk{
			Version:        V1_2,
			StreamID:       le.Uint32(f),
			Epoch:          le.Uint64(f[4:]),
			Seq:            le.Uint64(f[12:]),
			TraceID:        le.Uint64(f[20:]),
			ChunkIndex:     le.Uint32(f[28:]),
			ChunkCount:     le.Uint32(f[32:]),
			ChunkOffset:    le.Uint32(f[36:]),
			ChunkLength:    le.Uint32(f[40:]),
			PayloadLength:  le.Uint32(f[44:]),
			PayloadCrc32c:  le.Uint32(f[48:]),
			HeaderIncluded: f[52] == 1,
		}
	} else {
		f := buf[HeaderLength : HeaderLength+bridgeFrameChunkBlock]
		*m = BridgeFrameChunk{
			StreamID:       le.Uint32(f),
			Epoch:          le.Uint64(f[4:]),
			Seq:            le.Uint64(f[12:]),
			ChunkIndex:     le.Uint32(f[20:]),
			ChunkCount:     le.Uint32(f[24:]),
			ChunkOffset:    le.Uint32(f[28:]),
			ChunkLength:    le.Uint32(f[32:]),
			PayloadLength:  le.Uint32(f[36:]),
			HeaderIncluded: f[40] == 1,
		}
	}
	header, pos := varBytes(buf, HeaderLength+int(h.BlockLength))
	payload, _ := varBytes(buf, pos)
	if len(header) > 0 {
		m.HeaderBytes = header
	}
	if len(payload) > 0 {
		m.PayloadBytes = payload
	}
	return err
}

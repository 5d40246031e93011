package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/bridge"
)

// BridgeFrameChunk carries one chunk of a frame across a bridge (bridge schema, Bridge
// spec v1.0): the frame's identity, where the chunk sits in its payload, and on the first
// chunk the frame's header. It is on a bridge's data path: encoding and decoding it
// allocate nothing, and Decode leaves HeaderBytes and PayloadBytes aliasing buf (nil when
// empty), valid as long as buf is. A headerIncluded that is neither FALSE nor TRUE decodes
// as false with ErrUnknownEnum.
type BridgeFrameChunk struct {
	StreamID       uint32
	Epoch          uint64
	Seq            uint64
	ChunkIndex     uint32
	ChunkCount     uint32
	ChunkOffset    uint32
	ChunkLength    uint32
	PayloadLength  uint32
	HeaderIncluded bool
	HeaderBytes    []byte // at most MaxBridgeHeaderBytes
	PayloadBytes   []byte
}

// MaxBridgeHeaderBytes bounds BridgeFrameChunk.HeaderBytes (its encoding's maximum).
const MaxBridgeHeaderBytes = 256

const (
	bridgeFrameChunkBlock  = int(bridge.BridgeFrameChunkSbeBlockLength)
	bridgeFrameChunkHeader = uint64(bridge.BridgeFrameChunkSbeBlockLength) | uint64(bridge.BridgeFrameChunkSbeTemplateID)<<16 |
		uint64(BridgeSchemaID)<<32 | uint64(BridgeSchemaVersion)<<48
)

var bridgeFrameChunkGate = messageGate(BridgeFrameChunkID)

// EncodedLength is the encoded size, header included.
func (m *BridgeFrameChunk) EncodedLength() int {
	return HeaderLength + bridgeFrameChunkBlock + varLen(len(m.HeaderBytes)) + varLen(len(m.PayloadBytes))
}

// Encode writes m at buf[0:] and returns its length. It does not allocate unless it fails.
func (m *BridgeFrameChunk) Encode(buf []byte) (int, error) {
	const name = "BridgeFrameChunk"
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
	le.PutUint64(b, bridgeFrameChunkHeader)
	f := b[HeaderLength:]
	le.PutUint32(f, m.StreamID)
	le.PutUint64(f[4:], m.Epoch)
	le.PutUint64(f[12:], m.Seq)
	le.PutUint32(f[20:], m.ChunkIndex)
	le.PutUint32(f[24:], m.ChunkCount)
	le.PutUint32(f[28:], m.ChunkOffset)
	le.PutUint32(f[32:], m.ChunkLength)
	le.PutUint32(f[36:], m.PayloadLength)
	f[40] = boolByte(m.HeaderIncluded)
	pos := putVarBytes(b, HeaderLength+bridgeFrameChunkBlock, m.HeaderBytes)
	putVarBytes(b, pos, m.PayloadBytes)
	return n, nil
}

// Decode validates buf and fills m, its byte fields aliasing buf (see the package comment
// for the errors). It does not allocate unless buf is malformed.
func (m *BridgeFrameChunk) Decode(buf []byte) error {
	h, readable, err := bridgeFrameChunkGate.open(buf)
	if !readable {
		return err
	}
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

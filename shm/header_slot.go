package shm

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"
)

// Header slot layout (§8.1, §8.2). Slot i of the header ring starts at
// SuperblockSize + i×256. It holds a raw SlotHeader body (template 51, no message
// header), then SlotHeader's headerBytes var-data: a u32 length (always 192) and an
// embedded TensorHeader with its own 8-byte SBE message header.
//
//	 0            8            12           16      18           22           30           34                60
//	+------------+------------+------------+-------+------------+------------+------------+-----------------+
//	| seq_commit | values_len | payload_   | pool_ | payload_   | timestamp_ | meta_      | pad[26]         |
//	| u64        | _bytes u32 | slot u32   | id u16| offset u32 | ns u64     | version u32| (ignored)       |
//	+------------+------------+------------+-------+------------+------------+------------+-----------------+
//	60                  64                                     72                                        256
//	+-------------------+--------------------------------------+-----------------------------------------+
//	| headerBytes       | embedded message header              | TensorHeader body (184 B), see         |
//	| length u32 = 192  | blockLength 184, templateId 52,      | tensor_header.go                        |
//	|                   | schemaId 900, version 1 (u16 each)   |                                         |
//	+-------------------+--------------------------------------+-----------------------------------------+
//
// seq_commit is the seqlock word (seqlock.go): at offset 0 of a slot that starts at
// 64 + i×256 in a page-aligned mapping, it is 8-byte aligned and alone in its cache line's
// first word, as §8.2 requires.
const (
	HeaderSlotSize = 256

	slotSeqCommitOffset      = 0
	slotValuesLenOffset      = 8
	slotPayloadSlotOffset    = 12
	slotPoolIDOffset         = 16
	slotPayloadOffsetOffset  = 18
	slotTimestampOffset      = 22
	slotMetaVersionOffset    = 30
	slotPadOffset            = 34
	slotPadSize              = 26
	SlotHeaderBlockLength    = slotPadOffset + slotPadSize // 60
	slotHeaderBytesLenOffset = SlotHeaderBlockLength
	slotEmbeddedHeaderOffset = slotHeaderBytesLenOffset + 4 // 64

	embeddedBlockLengthOffset = slotEmbeddedHeaderOffset + 0
	embeddedTemplateIDOffset  = slotEmbeddedHeaderOffset + 2
	embeddedSchemaIDOffset    = slotEmbeddedHeaderOffset + 4
	embeddedVersionOffset     = slotEmbeddedHeaderOffset + 6
	MessageHeaderSize         = 8
	slotTensorBodyOffset      = slotEmbeddedHeaderOffset + MessageHeaderSize // 72
)

// The embedded header must be exactly these values in v1.1 (§8.3 step 5, §15.21).
const (
	TensorHeaderTemplateID    uint16 = 52
	WireSchemaID              uint16 = 900
	WireSchemaVersion         uint16 = 1
	TensorHeaderEncodedLength uint32 = MessageHeaderSize + TensorHeaderBlockLength // 192
)

// Compile-time checks: the slot is exactly full, the fixed prefix is SBE's 60 bytes, and
// seq_commit is 8-byte aligned within the slot.
var (
	_ [HeaderSlotSize - (slotTensorBodyOffset + TensorHeaderBlockLength)]struct{}
	_ [(slotTensorBodyOffset + TensorHeaderBlockLength) - HeaderSlotSize]struct{}
	_ [SlotHeaderBlockLength - 60]struct{}
	_ [60 - SlotHeaderBlockLength]struct{}
	_ [0 - slotSeqCommitOffset%8]struct{}
	_ [0 - SuperblockSize%8]struct{}
	_ [0 - HeaderSlotSize%8]struct{}
)

// SlotHeader is the decoded fixed part of a header slot.
type SlotHeader struct {
	SeqCommit      uint64 // managed by the seqlock; EncodeHeader never writes it
	ValuesLenBytes uint32
	PayloadSlot    uint32
	PoolID         uint16
	PayloadOffset  uint32 // must be 0 in v1.1
	TimestampNs    uint64
	MetaVersion    uint32
}

// HeaderSlot is a zero-copy view of one 256-byte header slot inside a mapping. The
// accessors read and write the mapped bytes directly; on a read-only mapping only the
// getters may be used. Plain (non-atomic) accesses are safe only inside the seqlock
// protocol: a writer between BeginWrite and Commit, a reader between ReadBegin and
// ReadEnd, which discards whatever it read if the slot changed meanwhile.
type HeaderSlot struct {
	b *[HeaderSlotSize]byte
}

// Bytes is the slot's 256 mapped bytes.
func (s HeaderSlot) Bytes() []byte { return s.b[:] }

var le = binary.LittleEndian

func (s HeaderSlot) seqWord() *uint64 { return (*uint64)(unsafe.Pointer(&s.b[slotSeqCommitOffset])) }

// SeqCommitWord is the address of seq_commit, 8-byte aligned in the mapping, for a reader
// outside Go (the C ABI) that loads it atomically as ReadEnd does.
func (s HeaderSlot) SeqCommitWord() *uint64 { return s.seqWord() }

// SeqCommit loads seq_commit atomically (acquire).
func (s HeaderSlot) SeqCommit() uint64      { return atomic.LoadUint64(s.seqWord()) }
func (s HeaderSlot) ValuesLenBytes() uint32 { return le.Uint32(s.b[slotValuesLenOffset:]) }
func (s HeaderSlot) PayloadSlot() uint32    { return le.Uint32(s.b[slotPayloadSlotOffset:]) }
func (s HeaderSlot) PoolID() uint16         { return le.Uint16(s.b[slotPoolIDOffset:]) }
func (s HeaderSlot) PayloadOffset() uint32  { return le.Uint32(s.b[slotPayloadOffsetOffset:]) }
func (s HeaderSlot) TimestampNs() uint64    { return le.Uint64(s.b[slotTimestampOffset:]) }
func (s HeaderSlot) MetaVersion() uint32    { return le.Uint32(s.b[slotMetaVersionOffset:]) }

// HeaderBytesLength is the headerBytes var-data length prefix (192 in v1.1).
func (s HeaderSlot) HeaderBytesLength() uint32 { return le.Uint32(s.b[slotHeaderBytesLenOffset:]) }

// Embedded message header of the TensorHeader inside headerBytes.
func (s HeaderSlot) EmbeddedBlockLength() uint16 { return le.Uint16(s.b[embeddedBlockLengthOffset:]) }
func (s HeaderSlot) EmbeddedTemplateID() uint16  { return le.Uint16(s.b[embeddedTemplateIDOffset:]) }
func (s HeaderSlot) EmbeddedSchemaID() uint16    { return le.Uint16(s.b[embeddedSchemaIDOffset:]) }
func (s HeaderSlot) EmbeddedVersion() uint16     { return le.Uint16(s.b[embeddedVersionOffset:]) }

func (s HeaderSlot) SetValuesLenBytes(v uint32) { le.PutUint32(s.b[slotValuesLenOffset:], v) }
func (s HeaderSlot) SetPayloadSlot(v uint32)    { le.PutUint32(s.b[slotPayloadSlotOffset:], v) }
func (s HeaderSlot) SetPoolID(v uint16)         { le.PutUint16(s.b[slotPoolIDOffset:], v) }
func (s HeaderSlot) SetPayloadOffset(v uint32)  { le.PutUint32(s.b[slotPayloadOffsetOffset:], v) }
func (s HeaderSlot) SetTimestampNs(v uint64)    { le.PutUint64(s.b[slotTimestampOffset:], v) }
func (s HeaderSlot) SetMetaVersion(v uint32)    { le.PutUint32(s.b[slotMetaVersionOffset:], v) }

// Tensor is the view of the embedded TensorHeader body.
func (s HeaderSlot) Tensor() TensorHeaderView {
	return TensorHeaderView{b: (*[TensorHeaderBlockLength]byte)(s.b[slotTensorBodyOffset:])}
}

// EncodeHeader overwrites every byte of the slot except seq_commit: the fixed fields, the
// zeroed pad, the headerBytes length, the embedded message header and the tensor header.
// The spec asks producers not to rely on earlier contents (§8.3 producer step 3), so
// nothing is left over from the previous frame. It does not allocate.
func (s HeaderSlot) EncodeHeader(h *SlotHeader, t *TensorHeader) {
	s.encodeFixed(h)
	le.PutUint16(s.b[embeddedBlockLengthOffset:], TensorHeaderBlockLength)
	le.PutUint16(s.b[embeddedTemplateIDOffset:], TensorHeaderTemplateID)
	le.PutUint16(s.b[embeddedSchemaIDOffset:], WireSchemaID)
	le.PutUint16(s.b[embeddedVersionOffset:], WireSchemaVersion)
	s.Tensor().Encode(t)
}

// encodeFixed writes the slot header's fields, its padding and the headerBytes length:
// everything in the slot but seq_commit and the embedded tensor header.
func (s HeaderSlot) encodeFixed(h *SlotHeader) {
	s.SetValuesLenBytes(h.ValuesLenBytes)
	s.SetPayloadSlot(h.PayloadSlot)
	s.SetPoolID(h.PoolID)
	s.SetPayloadOffset(h.PayloadOffset)
	s.SetTimestampNs(h.TimestampNs)
	s.SetMetaVersion(h.MetaVersion)
	clear(s.b[slotPadOffset : slotPadOffset+slotPadSize])
	le.PutUint32(s.b[slotHeaderBytesLenOffset:], TensorHeaderEncodedLength)
}

// EncodedTensorHeader is a TensorHeader encoded as the last 192 bytes of a header slot,
// its embedded message header and body (offsets 64..256, three whole cache lines). A
// producer encodes it once per shape and reuses it for every frame of that shape.
type EncodedTensorHeader struct {
	b [TensorHeaderEncodedLength]byte
}

var _ [HeaderSlotSize - slotEmbeddedHeaderOffset - int(TensorHeaderEncodedLength)]struct{}

// Encode writes t's embedded message header and body, exactly as EncodeHeader would.
func (e *EncodedTensorHeader) Encode(t *TensorHeader) {
	le.PutUint16(e.b[embeddedBlockLengthOffset-slotEmbeddedHeaderOffset:], TensorHeaderBlockLength)
	le.PutUint16(e.b[embeddedTemplateIDOffset-slotEmbeddedHeaderOffset:], TensorHeaderTemplateID)
	le.PutUint16(e.b[embeddedSchemaIDOffset-slotEmbeddedHeaderOffset:], WireSchemaID)
	le.PutUint16(e.b[embeddedVersionOffset-slotEmbeddedHeaderOffset:], WireSchemaVersion)
	TensorHeaderView{b: (*[TensorHeaderBlockLength]byte)(e.b[MessageHeaderSize:])}.Encode(t)
}

// EncodeFrame writes a producer's frame header: the given fields, payload_offset 0, the
// zeroed pad, the headerBytes length and the encoded tensor header e. It leaves
// timestamp_ns to SetTimestampNs, so a producer can read its clock after writing
// everything else; with it, the slot holds what EncodeHeader writes (§8.2 full overwrite).
//
// It issues few stores, since a frame's stores queue behind those to lines another core
// holds (BENCHMARKS.md): the fields go as three stores; payload_offset, the pad and the
// length, the same in every frame, and each of the tensor header's three cache lines are
// compared first (the tensor header with one memequal over its 192 bytes) and stored only
// where the slot holds other bytes. A stream that repeats one shape then dirties one
// line of the slot per frame instead of four, and the other three stay shared with the
// consumers that read them.
func (s HeaderSlot) EncodeFrame(valuesLen, payloadSlot uint32, poolID uint16, metaVersion uint32, e *EncodedTensorHeader) {
	s.EncodeFrameFields(valuesLen, payloadSlot, poolID, metaVersion)
	b := s.b
	tensor := (*[TensorHeaderEncodedLength]byte)(b[slotEmbeddedHeaderOffset:])
	if *tensor == e.b {
		return
	}
	for i := range tensorLines {
		src := (*[cacheLine]byte)(e.b[i*cacheLine:])
		dst := (*[cacheLine]byte)(tensor[i*cacheLine:])
		if *dst != *src {
			*dst = *src
		}
	}
}

// EncodeFrameFields is EncodeFrame for a slot whose tensor header lines already hold the
// frame's encoded tensor header: it writes the slot's first line only, and reads none of
// the other three. Only the ring's one writer can know that, by remembering what it wrote
// where (agents/producer does).
func (s HeaderSlot) EncodeFrameFields(valuesLen, payloadSlot uint32, poolID uint16, metaVersion uint32) {
	b := s.b
	le.PutUint64(b[8:], uint64(valuesLen)|uint64(payloadSlot)<<32)
	s.SetPoolID(poolID)
	if s.PayloadOffset() != 0 {
		s.SetPayloadOffset(0)
	}
	// The pad from 34 and the length at 60, checked as words from 32 (which starts with
	// meta_version's high bytes, left out) before meta_version is stored.
	const lenWord = uint64(TensorHeaderEncodedLength) << 32
	fixedTail := le.Uint64(b[32:])>>16|le.Uint64(b[40:])|le.Uint64(b[48:])|(le.Uint64(b[56:])^lenWord) == 0
	le.PutUint32(b[slotMetaVersionOffset:], metaVersion)
	if !fixedTail {
		clear(b[slotPadOffset:slotHeaderBytesLenOffset])
		le.PutUint32(b[slotHeaderBytesLenOffset:], TensorHeaderEncodedLength)
	}
}

const (
	cacheLine   = 64
	tensorLines = int(TensorHeaderEncodedLength) / cacheLine
)

// EncodeFrame's words: values_len_bytes and payload_slot share the word at 8; meta_version
// sits at 30, the pad runs from 34 to the headerBytes length at 60, and the tensor header
// fills three whole lines.
var (
	_ [slotValuesLenOffset - 8]struct{}
	_ [8 - slotValuesLenOffset]struct{}
	_ [slotPayloadSlotOffset - slotValuesLenOffset - 4]struct{}
	_ [slotMetaVersionOffset - 30]struct{}
	_ [30 - slotMetaVersionOffset]struct{}
	_ [slotPadOffset - 34]struct{}
	_ [34 - slotPadOffset]struct{}
	_ [slotHeaderBytesLenOffset - 60]struct{}
	_ [60 - slotHeaderBytesLenOffset]struct{}
	_ [slotEmbeddedHeaderOffset - 64]struct{}
	_ [int(TensorHeaderEncodedLength) - 3*cacheLine]struct{}
)

// Decode copies the embedded tensor header into t, as TensorHeaderView.Decode does.
func (e *EncodedTensorHeader) Decode(t *TensorHeader) {
	TensorHeaderView{b: (*[TensorHeaderBlockLength]byte)(e.b[MessageHeaderSize:])}.Decode(t)
}

// HasEncodedTensor reports whether the slot's last 192 bytes are e's. Under the seqlock
// rules of HeaderSlot: a reader trusts the answer only after ReadEnd.
func (s HeaderSlot) HasEncodedTensor(e *EncodedTensorHeader) bool {
	return string(s.b[slotEmbeddedHeaderOffset:]) == string(e.b[:])
}

// LoadEncodedTensor copies the slot's last 192 bytes into e.
func (s HeaderSlot) LoadEncodedTensor(e *EncodedTensorHeader) {
	copy(e.b[:], s.b[slotEmbeddedHeaderOffset:])
}

// DecodeHeader copies the slot's fields into h and t. It does not validate; see
// ValidateEmbeddedHeader, ValidateSlotHeader and ValidateTensorHeader.
func (s HeaderSlot) DecodeHeader(h *SlotHeader, t *TensorHeader) {
	s.DecodeFixed(h)
	s.Tensor().Decode(t)
}

// DecodeFixed copies the slot header's fields into h: all but the tensor header.
func (s HeaderSlot) DecodeFixed(h *SlotHeader) {
	h.SeqCommit = s.SeqCommit()
	h.ValuesLenBytes = s.ValuesLenBytes()
	h.PayloadSlot = s.PayloadSlot()
	h.PoolID = s.PoolID()
	h.PayloadOffset = s.PayloadOffset()
	h.TimestampNs = s.TimestampNs()
	h.MetaVersion = s.MetaVersion()
}

// Package wire is the tensorpool wire format: one Go type per message of the six SBE
// schemas (control 900, driver 901, bridge 902, merge 903, tracelink 904, discovery 910),
// with its codec, and the gate that validates a message before anything reads it. It speaks
// wire spec v1.1 and v1.2, whose layouts of five messages differ under the same schema ids
// and versions (see Version): receivers decode either, senders choose.
//
// Roles peek at a message's header and switch on its ID, then decode the typed message,
// whose Decode validates first:
//
//	h, err := wire.PeekHeader(buf)
//	if err != nil { ... }
//	switch h.ID() {
//	case wire.FrameDescriptorID:
//		var fd wire.FrameDescriptor
//		if err := fd.Decode(buf); err != nil { ... } // a *DecodeError
//		...
//	}
//
// A FrameDescriptor, FrameProgress, ShmAttachRequest, ShmAttachResponse or BridgeFrameChunk
// decodes from either wire version and says which in its Version field; it encodes in the
// version its Version field names (the zero value is V1_1):
//
//	if err := fd.Decode(buf); err != nil { ... }
//	if fd.Version == wire.V1_2 { ... } // no HeaderIndex: the slot is seq & (nslots-1)
//	out := wire.FrameDescriptor{Version: configured, StreamID: ..., TraceID: ...}
//	n, err := out.Encode(sendBuf[:wire.FrameDescriptorMaxLength])
//
// Validation identifies a message by (schemaId, templateId), then walks its fixed block,
// groups (including nested ones) and var-data lengths against the buffer and the schema's
// maxima, so no read can go out of range; Validate and Gate expose it on its own. The
// header's version is reported, not judged: a later version's longer block is skipped, a
// shorter one rejected (for the five messages with two layouts, the block length first
// selects the layout; Version has the rules). See message.go for what every typed message
// provides.
//
// The generated flyweights in wire/sbe/{control,driver,bridge,merge,tracelink,discovery}
// (the v1.1 layouts) and wire/sbe/v12/{control,driver,bridge} (the v1.2 layouts) give this
// package block lengths, template ids and the validator's offsets and enum sets; the typed
// messages store and load their fields at fixed offsets, which tests hold field by field to
// the flyweights' encodings. Nothing outside wire uses the flyweights (but tests of the SHM
// structures, which are package shm's: superblock, slot header, tensor header).
package wire

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// HeaderLength is the size of the SBE message header in front of every message.
const HeaderLength = 8

// groupHeaderLength is the size of groupSizeEncoding (uint16 blockLength, uint16 numInGroup).
const groupHeaderLength = 4

// varLengthPrefix is the size of the uint32 length in front of every var-data field.
const varLengthPrefix = 4

// maxGroupCount is numInGroup's SBE maximum (65535 is its null); the generated encoders
// refuse larger counts, so accepting them would make such messages impossible to re-encode.
const maxGroupCount = math.MaxUint16 - 1

// Schema ids of the tensorpool schemas. Merge (JoinBarrier MergeMaps) and tracelink share
// the control stream with control and driver messages, and their template ids repeat
// control's: receivers gate on the schema id first.
const (
	ControlSchemaID   uint16 = 900
	DriverSchemaID    uint16 = 901
	BridgeSchemaID    uint16 = 902
	MergeSchemaID     uint16 = 903
	TraceLinkSchemaID uint16 = 904
	DiscoverySchemaID uint16 = 910
)

// Header is the decoded SBE message header.
type Header struct {
	BlockLength uint16
	TemplateID  uint16
	SchemaID    uint16
	Version     uint16
}

// Message is what Validate learned about a message.
type Message struct {
	Header
	Name   string // message name in its schema, e.g. "FrameDescriptor"
	Length int    // encoded length including the header; buf may hold trailing bytes after it
}

// PeekHeader decodes the message header without judging it.
func PeekHeader(buf []byte) (Header, error) {
	if len(buf) < HeaderLength {
		return Header{}, shortHeader(len(buf))
	}
	return headerOf(le.Uint64(buf)), nil
}

// PeekID is the id (schema and template) of the message whose header starts buf, and
// false when buf is shorter than a header. It judges nothing else and is inlined, for a
// data path that sorts messages by id before decoding them
// (TestPeekIDMatchesPeekHeader).
func PeekID(buf []byte) (MessageID, bool) {
	if len(buf) < HeaderLength {
		return 0, false
	}
	// templateId then schemaId, both little-endian at offsets 2 and 4: the word at 2 is
	// messageID's schemaID<<16 | templateID.
	return MessageID(le.Uint32(buf[2:])), true
}

// headerOf splits the header word: every schema uses the same 8-byte header composite,
// four little-endian uint16s.
func headerOf(w uint64) Header {
	return Header{BlockLength: uint16(w), TemplateID: uint16(w >> 16), SchemaID: uint16(w >> 32), Version: uint16(w >> 48)}
}

func shortHeader(n int) error {
	return &DecodeError{
		Field:   "messageHeader",
		Problem: fmt.Sprintf("needs %d bytes, %d remain", HeaderLength, n),
		Err:     ErrShortBuffer,
	}
}

// Validate accepts a message of any of the schemas; use it on streams that carry several
// (e.g. the control stream carries control and driver messages) and dispatch on SchemaID.
// With ErrUnknownEnum the Message is still filled in: the structure is sound and only that
// enum field's value is undefined (its generated String() would panic).
func Validate(buf []byte) (Message, error) {
	h, err := PeekHeader(buf)
	if err != nil {
		return Message{}, err
	}
	return validate(buf, h)
}

// ValidateSchema is Validate restricted to one schema.
func ValidateSchema(buf []byte, schemaID uint16) (Message, error) {
	h, err := PeekHeader(buf)
	if err != nil {
		return Message{}, err
	}
	if h.SchemaID != schemaID {
		return Message{}, &DecodeError{
			Field:   "messageHeader.schemaId",
			Offset:  int((&control.MessageHeader{}).SchemaIdEncodingOffset()),
			Problem: fmt.Sprintf("schema %d, want %d", h.SchemaID, schemaID),
			Err:     ErrWrongSchema,
		}
	}
	return validate(buf, h)
}

func validate(buf []byte, h Header) (Message, error) {
	l, err := gate(h)
	if err != nil {
		return Message{}, err
	}
	end, err := l.walk(buf, HeaderLength, int(h.BlockLength))
	if err != nil && end == 0 {
		return Message{}, err
	}
	return Message{Header: h, Name: l.name, Length: end}, err
}

// Gate validates one message type with its schema layout resolved in advance: what
// ValidateSchema does for a message whose header names that type, without the lookups.
// For decoders on a hot path, such as a consumer's FrameDescriptor.
type Gate struct{ l *messageLayout }

// GateFor is the gate of template templateID of schema schemaID; ok is false when the
// schemas define no such message.
func GateFor(schemaID, templateID uint16) (g Gate, ok bool) {
	l := lookupLayout(schemaID, templateID)
	return Gate{l: l}, l != nil
}

// Is reports whether h names the gate's message.
func (g Gate) Is(h Header) bool {
	return h.SchemaID == g.l.schemaID && h.TemplateID == g.l.templateID
}

// Validate checks buf, whose header h names the gate's message (see Is), as
// ValidateSchema would, and returns the encoded length.
func (g Gate) Validate(buf []byte, h Header) (int, error) {
	if l := g.l; l.fixedOnly && int(h.BlockLength) >= l.root.blockLength && int(h.BlockLength) <= len(buf)-HeaderLength {
		// No enum, group or var data: the block's length is all there is to check (the
		// FrameDescriptor of every frame takes this path).
		return HeaderLength + int(h.BlockLength), nil
	}
	return g.l.validate(buf, h)
}

func (l *messageLayout) validate(buf []byte, h Header) (int, error) {
	l, err := l.layoutFor(int(h.BlockLength))
	if err != nil {
		return 0, err
	}
	end, err := l.walk(buf, HeaderLength, int(h.BlockLength))
	if err != nil && end == 0 {
		return 0, err
	}
	return end, err
}

// gate finds the message for (schemaId, templateId) and the layout the header's block length
// selects (see Version), or fails.
func gate(h Header) (*messageLayout, error) {
	s := schemaByID(h.SchemaID)
	if s == nil {
		return nil, &DecodeError{
			Field:   "messageHeader.schemaId",
			Offset:  int((&control.MessageHeader{}).SchemaIdEncodingOffset()),
			Problem: fmt.Sprintf("schema %d is not a tensorpool schema", h.SchemaID),
			Err:     ErrWrongSchema,
		}
	}
	l := lookupLayout(h.SchemaID, h.TemplateID)
	if l == nil {
		return nil, &DecodeError{
			Field:   "messageHeader.templateId",
			Offset:  int((&control.MessageHeader{}).TemplateIdEncodingOffset()),
			Problem: fmt.Sprintf("template %d is not a message of schema %d (%s)", h.TemplateID, s.id, s.pkg),
			Err:     ErrUnknownTemplate,
		}
	}
	return l.layoutFor(int(h.BlockLength))
}

// ValidateBody validates a message stored without a message header at the start of body, with
// the schema's block length (v1.1's, for the messages whose layout v1.2 changed): the SHM
// superblock and slot header. It returns the encoded length
// (also with ErrUnknownEnum, as Validate does).
func ValidateBody(schemaID, templateID uint16, body []byte) (int, error) {
	l := lookupLayout(schemaID, templateID)
	if l == nil {
		return 0, &DecodeError{
			Field:   "templateId",
			Problem: fmt.Sprintf("template %d is not a message of schema %d", templateID, schemaID),
			Err:     ErrUnknownTemplate,
		}
	}
	return l.walk(body, 0, l.root.blockLength)
}

// walk validates the message body starting at pos whose fixed block is blockLength bytes and
// returns the offset just past it. Structural errors win over enum errors: with ErrUnknownEnum
// the end offset is still returned and everything but that enum is sound.
func (l *messageLayout) walk(buf []byte, pos, blockLength int) (int, error) {
	var badEnum enumFailure
	end, err := l.walkBlock(buf, &l.root, pos, blockLength, &badEnum)
	if err != nil {
		return 0, err
	}
	if badEnum.field != nil {
		return end, badEnum.err(l.name)
	}
	return end, nil
}

// enumFailure records the first unknown enum value seen, so the walk can finish first.
type enumFailure struct {
	field  *enumField
	offset int
	raw    int64
}

func (f *enumFailure) err(message string) error {
	problem := fmt.Sprintf("value %d is not defined by the schema", f.raw)
	if f.raw == nullEnumValue(f.field.size) {
		problem = fmt.Sprintf("null value %d in a required field", f.raw)
	}
	return &DecodeError{Message: message, Field: f.field.path, Offset: f.offset, Problem: problem, Err: ErrUnknownEnum}
}

func (l *messageLayout) walkBlock(buf []byte, b *block, pos, blockLength int, badEnum *enumFailure) (int, error) {
	if blockLength > len(buf)-pos {
		return 0, &DecodeError{
			Message: l.name, Field: b.path, Offset: pos,
			Problem: fmt.Sprintf("block needs %d bytes, %d remain", blockLength, len(buf)-pos),
			Err:     ErrShortBuffer,
		}
	}
	if badEnum.field == nil {
		for i := range b.enums {
			e := &b.enums[i]
			raw := readEnum(buf[pos+e.offset:], e.size)
			if !e.known(raw) || (!e.optional && raw == nullEnumValue(e.size)) {
				*badEnum = enumFailure{field: e, offset: pos + e.offset, raw: raw}
				break
			}
		}
	}
	pos += blockLength

	for gi := range b.groups {
		g := &b.groups[gi]
		if len(buf)-pos < groupHeaderLength {
			return 0, &DecodeError{
				Message: l.name, Field: g.path, Offset: pos,
				Problem: fmt.Sprintf("group header needs %d bytes, %d remain", groupHeaderLength, len(buf)-pos),
				Err:     ErrShortBuffer,
			}
		}
		entryLength := int(binary.LittleEndian.Uint16(buf[pos:]))
		count := int(binary.LittleEndian.Uint16(buf[pos+2:]))
		if entryLength < g.blockLength {
			return 0, &DecodeError{
				Message: l.name, Field: g.path, Offset: pos,
				Problem: fmt.Sprintf("group block length %d below the schema's %d", entryLength, g.blockLength),
				Err:     ErrBadLength,
			}
		}
		if count > maxGroupCount {
			return 0, &DecodeError{
				Message: l.name, Field: g.path, Offset: pos + 2,
				Problem: fmt.Sprintf("count %d exceeds maximum %d", count, maxGroupCount),
				Err:     ErrBadLength,
			}
		}
		pos += groupHeaderLength
		for i := 0; i < count; i++ {
			var err error
			if pos, err = l.walkBlock(buf, g, pos, entryLength, badEnum); err != nil {
				return 0, err
			}
		}
	}

	for di := range b.data {
		d := &b.data[di]
		if len(buf)-pos < varLengthPrefix {
			return 0, &DecodeError{
				Message: l.name, Field: d.path, Offset: pos,
				Problem: fmt.Sprintf("length prefix needs %d bytes, %d remain", varLengthPrefix, len(buf)-pos),
				Err:     ErrShortBuffer,
			}
		}
		n := binary.LittleEndian.Uint32(buf[pos:])
		if n > d.maxLength {
			return 0, &DecodeError{
				Message: l.name, Field: d.path, Offset: pos,
				Problem: fmt.Sprintf("length %d exceeds maximum %d", n, d.maxLength),
				Err:     ErrBadLength,
			}
		}
		pos += varLengthPrefix
		if uint64(n) > uint64(len(buf)-pos) {
			return 0, &DecodeError{
				Message: l.name, Field: d.path, Offset: pos - varLengthPrefix,
				Problem: fmt.Sprintf("length %d exceeds remaining %d bytes", n, len(buf)-pos),
				Err:     ErrShortBuffer,
			}
		}
		pos += int(n)
	}
	return pos, nil
}

// readEnum reads an enum's raw value: uint8 unsigned, int16 and int32 signed.
func readEnum(b []byte, size int) int64 {
	switch size {
	case 1:
		return int64(b[0])
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(b)))
	default:
		return int64(int32(binary.LittleEndian.Uint32(b)))
	}
}

package wire

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/tensorpool/tensorpool/wire/sbe/bridge"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
	"github.com/tensorpool/tensorpool/wire/sbe/discovery"
	"github.com/tensorpool/tensorpool/wire/sbe/driver"
	"github.com/tensorpool/tensorpool/wire/sbe/merge"
	"github.com/tensorpool/tensorpool/wire/sbe/tracelink"
)

// What every typed message shares: its identity, the schema versions this package speaks,
// null sentinels, the string bounds receivers apply, and the byte-level helpers the
// encoders and decoders are written with.
//
// Every typed message X has
//
//	func (m *X) EncodedLength() int             // header included
//	func (m *X) Encode(buf []byte) (int, error) // header and body at buf[0:]
//	func (m *X) Decode(buf []byte) error        // validates first, then fills m
//
// Encode writes the values as given (an enum value the schema does not define is written
// raw) and fails with an *EncodeError when buf is shorter than EncodedLength or a value
// does not fit its encoding: a var-data field over its length type's maximum, a group of
// more than 65534 entries. Decode runs the schema's Gate over buf (so the caller need not
// validate first) and fails with a *DecodeError: ErrWrongSchema or ErrUnknownTemplate for
// another message, ErrShortBuffer or ErrBadLength for a broken structure or a string over
// the bound this package applies to it. An enum value the schema does not define is
// reported as ErrUnknownEnum with m filled in: the structure is sound, the enum field
// holds the raw value, and the caller decides (the driver answers such a request, clients
// ignore such a notice). Decode copies every string and byte slice out of buf, except
// BridgeFrameChunk's, which alias it.

// Schema versions this package encodes; decoders accept any version whose blocks are at
// least as long as these (later versions' extra fields are skipped). Wire spec v1.2 did not
// change them (see Version).
const (
	ControlSchemaVersion   = control.MessageHeaderSbeSchemaVersion
	DriverSchemaVersion    = driver.MessageHeaderSbeSchemaVersion
	BridgeSchemaVersion    = bridge.MessageHeaderSbeSchemaVersion
	MergeSchemaVersion     = merge.MessageHeaderSbeSchemaVersion
	TraceLinkSchemaVersion = tracelink.MessageHeaderSbeSchemaVersion
	DiscoverySchemaVersion = discovery.MessageHeaderSbeSchemaVersion
)

// MessageID names a message across the schemas (template ids repeat across them):
// the schema id in the upper 16 bits, the template id in the lower. Roles switch on a
// peeked header's ID.
type MessageID uint32

func messageID(schemaID, templateID uint16) MessageID {
	return MessageID(schemaID)<<16 | MessageID(templateID)
}

// The messages of the schemas (the SHM structures of the control schema are not
// messages on the wire and have no id here).
const (
	ShmPoolAnnounceID    = MessageID(ControlSchemaID)<<16 | MessageID(control.ShmPoolAnnounceSbeTemplateID)
	ConsumerHelloID      = MessageID(ControlSchemaID)<<16 | MessageID(control.ConsumerHelloSbeTemplateID)
	ConsumerConfigID     = MessageID(ControlSchemaID)<<16 | MessageID(control.ConsumerConfigSbeTemplateID)
	FrameDescriptorID    = MessageID(ControlSchemaID)<<16 | MessageID(control.FrameDescriptorSbeTemplateID)
	QosConsumerID        = MessageID(ControlSchemaID)<<16 | MessageID(control.QosConsumerSbeTemplateID)
	QosProducerID        = MessageID(ControlSchemaID)<<16 | MessageID(control.QosProducerSbeTemplateID)
	DataSourceAnnounceID = MessageID(ControlSchemaID)<<16 | MessageID(control.DataSourceAnnounceSbeTemplateID)
	DataSourceMetaID     = MessageID(ControlSchemaID)<<16 | MessageID(control.DataSourceMetaSbeTemplateID)
	ControlResponseID    = MessageID(ControlSchemaID)<<16 | MessageID(control.ControlResponseSbeTemplateID)
	FrameProgressID      = MessageID(ControlSchemaID)<<16 | MessageID(control.FrameProgressSbeTemplateID)

	ShmAttachRequestID         = MessageID(DriverSchemaID)<<16 | MessageID(driver.ShmAttachRequestSbeTemplateID)
	ShmAttachResponseID        = MessageID(DriverSchemaID)<<16 | MessageID(driver.ShmAttachResponseSbeTemplateID)
	ShmDetachRequestID         = MessageID(DriverSchemaID)<<16 | MessageID(driver.ShmDetachRequestSbeTemplateID)
	ShmDetachResponseID        = MessageID(DriverSchemaID)<<16 | MessageID(driver.ShmDetachResponseSbeTemplateID)
	ShmLeaseKeepaliveID        = MessageID(DriverSchemaID)<<16 | MessageID(driver.ShmLeaseKeepaliveSbeTemplateID)
	ShmDriverShutdownID        = MessageID(DriverSchemaID)<<16 | MessageID(driver.ShmDriverShutdownSbeTemplateID)
	ShmLeaseRevokedID          = MessageID(DriverSchemaID)<<16 | MessageID(driver.ShmLeaseRevokedSbeTemplateID)
	ShmDriverShutdownRequestID = MessageID(DriverSchemaID)<<16 | MessageID(driver.ShmDriverShutdownRequestSbeTemplateID)

	BridgeFrameChunkID = MessageID(BridgeSchemaID)<<16 | MessageID(bridge.BridgeFrameChunkSbeTemplateID)

	SequenceMergeMapAnnounceID  = MessageID(MergeSchemaID)<<16 | MessageID(merge.SequenceMergeMapAnnounceSbeTemplateID)
	SequenceMergeMapRequestID   = MessageID(MergeSchemaID)<<16 | MessageID(merge.SequenceMergeMapRequestSbeTemplateID)
	TimestampMergeMapAnnounceID = MessageID(MergeSchemaID)<<16 | MessageID(merge.TimestampMergeMapAnnounceSbeTemplateID)
	TimestampMergeMapRequestID  = MessageID(MergeSchemaID)<<16 | MessageID(merge.TimestampMergeMapRequestSbeTemplateID)

	TraceLinkSetID = MessageID(TraceLinkSchemaID)<<16 | MessageID(tracelink.TraceLinkSetSbeTemplateID)

	DiscoveryRequestID  = MessageID(DiscoverySchemaID)<<16 | MessageID(discovery.DiscoveryRequestSbeTemplateID)
	DiscoveryResponseID = MessageID(DiscoverySchemaID)<<16 | MessageID(discovery.DiscoveryResponseSbeTemplateID)
)

// ID is the message the header names.
func (h Header) ID() MessageID { return messageID(h.SchemaID, h.TemplateID) }

// SchemaID is the schema part of id.
func (id MessageID) SchemaID() uint16 { return uint16(id >> 16) }

// TemplateID is the template part of id.
func (id MessageID) TemplateID() uint16 { return uint16(id) }

// String is the message's name in its schema, or the two ids for none.
func (id MessageID) String() string {
	if l := lookupLayout(id.SchemaID(), id.TemplateID()); l != nil {
		return l.name
	}
	return fmt.Sprintf("MessageID(%d:%d)", id.SchemaID(), id.TemplateID())
}

// Null sentinels of the optional primitives (the SBE defaults: an unsigned type's maximum,
// a signed type's minimum). Two fields differ, both v1.2 trace ids whose null is 0 (TraceLink
// spec §8.1): FrameDescriptor.traceId and BridgeFrameChunk.traceId. The schemas say so on the
// field, which sbe-tool ignores: the generated codecs' null accessors for them report the maximum.
const (
	NullU8  = math.MaxUint8
	NullU16 = math.MaxUint16
	NullU32 = math.MaxUint32
	NullU64 = math.MaxUint64
	NullI32 = math.MinInt32
	NullI64 = math.MinInt64
)

// Bounds decoders apply to strings the schemas leave at the var-data maximum, so a peer
// cannot make a receiver hold large strings. The Driver spec bounds errorMessage (§4.2);
// URIs follow the reference's 4096-byte limit and channels get the same, tokens the
// error message's.
const (
	MaxURIBytes          = 4096
	MaxChannelBytes      = 4096
	MaxTokenBytes        = 1024
	MaxErrorMessageBytes = 1024
)

// maxVarLength is the length type maximum of every var-data encoding but bridge's
// varDataEncoding256 (1 GiB).
const maxVarLength = 1 << 30

// EncodeError says why a message was not encoded: buf too short (ErrShortBuffer), or a
// value its encoding cannot carry (ErrBadLength).
type EncodeError struct {
	Message string
	Field   string // "" for the whole message (a short buffer)
	Problem string
	Err     error
}

func (e *EncodeError) Error() string {
	where := e.Message
	if e.Field != "" {
		where += "." + e.Field
	}
	return fmt.Sprintf("wire: encoding %s: %s (%v)", where, e.Problem, e.Err)
}

func (e *EncodeError) Unwrap() error { return e.Err }

// shortBuffer is the error of a buf shorter than the n bytes message needs.
func shortBuffer(message string, have, n int) error {
	return &EncodeError{Message: message, Problem: fmt.Sprintf("buffer of %d bytes, the message needs %d", have, n), Err: ErrShortBuffer}
}

// fixedShortBuffer is the preallocated error of a fixed-length message's Encode, so the
// hot paths that use them never allocate.
func fixedShortBuffer(message string, n int) error {
	return &EncodeError{Message: message, Problem: fmt.Sprintf("buffer shorter than the message's %d bytes", n), Err: ErrShortBuffer}
}

// fixedBadVersion is the preallocated error of a data-path message's Encode whose Version
// is not one this package speaks.
func fixedBadVersion(message string) error {
	return &EncodeError{Message: message, Field: "Version", Problem: "not a wire version this package encodes (1.1, 1.2)", Err: ErrUnknownVersion}
}

// badVersion is the error of a control-path message's Encode whose Version is v, which
// this package does not speak.
func badVersion(message string, v Version) error {
	return &EncodeError{Message: message, Field: "Version", Problem: v.String() + " is not a wire version this package encodes (1.1, 1.2)", Err: ErrUnknownVersion}
}

// checkVar fails when a var-data value is longer than its length type allows.
func checkVar(message, field string, n, limit int) error {
	if n > limit {
		return &EncodeError{Message: message, Field: field, Problem: fmt.Sprintf("%d bytes, more than the encoding's %d", n, limit), Err: ErrBadLength}
	}
	return nil
}

// checkCount fails when a group has more entries than numInGroup counts.
func checkCount(message, field string, n int) error {
	if n > maxGroupCount {
		return &EncodeError{Message: message, Field: field, Problem: fmt.Sprintf("%d entries, more than the %d a group holds", n, maxGroupCount), Err: ErrBadLength}
	}
	return nil
}

var le = binary.LittleEndian

// headerWord is a message header as one little-endian word.
func headerWord(blockLength, templateID, schemaID, version uint16) uint64 {
	return uint64(blockLength) | uint64(templateID)<<16 | uint64(schemaID)<<32 | uint64(version)<<48
}

// varLen is the encoded size of a var-data field holding n bytes.
func varLen(n int) int { return varLengthPrefix + n }

// putVar writes s as a var-data field at pos and returns the position after it.
func putVar(buf []byte, pos int, s string) int {
	le.PutUint32(buf[pos:], uint32(len(s)))
	return pos + varLengthPrefix + copy(buf[pos+varLengthPrefix:], s)
}

// putGroup writes a group header at pos and returns the position of its first entry.
func putGroup(buf []byte, pos, blockLength, count int) int {
	le.PutUint16(buf[pos:], uint16(blockLength))
	le.PutUint16(buf[pos+2:], uint16(count))
	return pos + groupHeaderLength
}

// The readers below run on buffers a Gate accepted, whose every length is in range.

// varBytes returns the var-data field at pos (aliasing buf) and the position after it.
func varBytes(buf []byte, pos int) ([]byte, int) {
	n := int(le.Uint32(buf[pos:]))
	pos += varLengthPrefix
	return buf[pos : pos+n : pos+n], pos + n
}

// getVar returns a copy of the var-data field at pos and the position after it.
func getVar(buf []byte, pos int) (string, int) {
	b, next := varBytes(buf, pos)
	return string(b), next
}

// getVarBounded is getVar for a field the receiver bounds: a longer value is a
// *DecodeError (ErrBadLength) naming the field.
func getVarBounded(buf []byte, pos int, limit int, message, field string) (string, int, error) {
	b, next := varBytes(buf, pos)
	if len(b) > limit {
		return "", next, &DecodeError{Message: message, Field: field, Offset: pos,
			Problem: fmt.Sprintf("length %d exceeds this receiver's bound of %d", len(b), limit), Err: ErrBadLength}
	}
	return string(b), next, nil
}

// getVarTruncated is getVar keeping at most limit bytes of the field (the rest is not copied).
func getVarTruncated(buf []byte, pos int, limit int) (string, int) {
	b, next := varBytes(buf, pos)
	return string(b[:min(len(b), limit)]), next
}

// getGroup reads a group header at pos: each entry's block length, the entry count and
// the position of the first entry.
func getGroup(buf []byte, pos int) (blockLength, count, first int) {
	return int(le.Uint16(buf[pos:])), int(le.Uint16(buf[pos+2:])), pos + groupHeaderLength
}

// messageGate is the gate of one message, resolved when the package loads.
func messageGate(id MessageID) Gate {
	g, ok := GateFor(id.SchemaID(), id.TemplateID())
	if !ok {
		panic(fmt.Sprintf("wire: no layout for %v", id))
	}
	return g
}

// open checks that buf holds the gate's message and validates it. readable reports
// whether the fields may be read: err is then nil or an ErrUnknownEnum *DecodeError.
func (g Gate) open(buf []byte) (h Header, readable bool, err error) {
	if len(buf) < HeaderLength {
		return h, false, shortHeader(len(buf))
	}
	w := le.Uint64(buf)
	h = headerOf(w)
	l := g.l
	if uint32(w>>16) != uint32(l.templateID)|uint32(l.schemaID)<<16 {
		return h, false, g.notThis(h)
	}
	if l.fixedOnly && int(h.BlockLength) >= l.root.blockLength && int(h.BlockLength) <= len(buf)-HeaderLength {
		return h, true, nil // as Validate
	}
	end, err := l.validate(buf, h)
	return h, end != 0, err
}

// notThis is the error of Decode called on another message than the gate's.
func (g Gate) notThis(h Header) error {
	if h.SchemaID != g.l.schemaID {
		return &DecodeError{Message: g.l.name, Field: "messageHeader.schemaId", Offset: 4,
			Problem: fmt.Sprintf("schema %d, want %d", h.SchemaID, g.l.schemaID), Err: ErrWrongSchema}
	}
	return &DecodeError{Message: g.l.name, Field: "messageHeader.templateId", Offset: 2,
		Problem: fmt.Sprintf("template %d (%v), want %d", h.TemplateID, h.ID(), g.l.templateID), Err: ErrUnknownTemplate}
}

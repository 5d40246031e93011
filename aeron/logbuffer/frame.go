package logbuffer

import "encoding/binary"

// Data frame header layout (all fields little-endian).
const (
	HeaderLength   = 32
	FrameAlignment = 32

	FrameLengthFieldOffset   = 0  // int32: the publish word, written last
	VersionFieldOffset       = 4  // uint8
	FlagsFieldOffset         = 5  // uint8
	TypeFieldOffset          = 6  // uint16
	TermOffsetFieldOffset    = 8  // int32
	SessionIDFieldOffset     = 12 // int32
	StreamIDFieldOffset      = 16 // int32
	TermIDFieldOffset        = 20 // int32
	ReservedValueFieldOffset = 24 // int64

	CurrentVersion = 0
)

// Frame flags.
const (
	BeginFragFlag   uint8 = 0x80
	EndFragFlag     uint8 = 0x40
	Unfragmented          = BeginFragFlag | EndFragFlag
	EndOfStreamFlag uint8 = 0x20
	RevokedFlag     uint8 = 0x10
)

// Frame types found in a log. The other Aeron header types only travel on the network.
const (
	HdrTypePad  uint16 = 0x00
	HdrTypeData uint16 = 0x01
)

// Align rounds v up to a multiple of alignment, a power of two.
func Align(v, alignment int) int {
	return (v + alignment - 1) &^ (alignment - 1)
}

// DataHeader is a flyweight over a data frame header: a slice starting at the frame, at least
// HeaderLength bytes long. Only the frame length is shared-memory synchronised; the other fields are
// plain, because writers publish them by the frame length store that follows and readers only look
// at them after loading a positive frame length.
type DataHeader []byte

// FrameLength loads the frame length atomically (acquire). Zero means nothing written yet and a
// negative value a claimed frame not yet committed.
func (h DataHeader) FrameLength() int32 { return loadFrameLength(h, 0) }

// SetFrameLengthOrdered stores the frame length atomically (release), publishing the frame.
func (h DataHeader) SetFrameLengthOrdered(length int32) { storeFrameLength(h, 0, length) }

func (h DataHeader) Version() uint8       { return h[VersionFieldOffset] }
func (h DataHeader) Flags() uint8         { return h[FlagsFieldOffset] }
func (h DataHeader) SetFlags(flags uint8) { h[FlagsFieldOffset] = flags }
func (h DataHeader) Type() uint16 {
	return binary.LittleEndian.Uint16(h[TypeFieldOffset:])
}
func (h DataHeader) SetType(t uint16) { binary.LittleEndian.PutUint16(h[TypeFieldOffset:], t) }
func (h DataHeader) TermOffset() int32 {
	return int32(binary.LittleEndian.Uint32(h[TermOffsetFieldOffset:]))
}
func (h DataHeader) SessionID() int32 {
	return int32(binary.LittleEndian.Uint32(h[SessionIDFieldOffset:]))
}
func (h DataHeader) StreamID() int32 {
	return int32(binary.LittleEndian.Uint32(h[StreamIDFieldOffset:]))
}
func (h DataHeader) TermID() int32 {
	return int32(binary.LittleEndian.Uint32(h[TermIDFieldOffset:]))
}
func (h DataHeader) ReservedValue() int64 {
	return int64(binary.LittleEndian.Uint64(h[ReservedValueFieldOffset:]))
}
func (h DataHeader) SetReservedValue(v int64) {
	binary.LittleEndian.PutUint64(h[ReservedValueFieldOffset:], uint64(v))
}

// NewDefaultHeader builds the header a driver stores in the log metadata for a publication: version
// 0, unfragmented, DATA, the session and stream ids and the initial term id.
func NewDefaultHeader(sessionID, streamID, initialTermID int32) [HeaderLength]byte {
	var h [HeaderLength]byte
	h[VersionFieldOffset] = CurrentVersion
	h[FlagsFieldOffset] = Unfragmented
	binary.LittleEndian.PutUint16(h[TypeFieldOffset:], HdrTypeData)
	binary.LittleEndian.PutUint32(h[SessionIDFieldOffset:], uint32(sessionID))
	binary.LittleEndian.PutUint32(h[StreamIDFieldOffset:], uint32(streamID))
	binary.LittleEndian.PutUint32(h[TermIDFieldOffset:], uint32(initialTermID))
	return h
}

// isPaddingFrame reads the type of the frame at offset; the caller has checked the frame is in range.
func isPaddingFrame(term []byte, offset int) bool {
	return binary.LittleEndian.Uint16(term[offset+TypeFieldOffset:]) == HdrTypePad
}

// HeaderWriter writes frame headers for one publication, built from the log's default header.
type HeaderWriter struct {
	versionFlagsType uint32 // bytes 4..7 of the default header
	sessionID        int32
	streamID         int32
}

// NewHeaderWriter takes the version, flags, type, session and stream from a default header.
func NewHeaderWriter(defaultHeader []byte) HeaderWriter {
	return HeaderWriter{
		versionFlagsType: binary.LittleEndian.Uint32(defaultHeader[VersionFieldOffset:]),
		sessionID:        int32(binary.LittleEndian.Uint32(defaultHeader[SessionIDFieldOffset:])),
		streamID:         int32(binary.LittleEndian.Uint32(defaultHeader[StreamIDFieldOffset:])),
	}
}

// write lays down a header for a frame of frameLength bytes at offset. The first word goes in with
// one atomic store carrying the negated length, so the frame reads as "claimed, not committed"
// before any other field changes; the caller publishes the frame later by storing the positive
// length. The reserved value is left as the (zeroed) log had it.
func (w *HeaderWriter) write(term []byte, offset, frameLength int, termID int32) {
	storeFrameWord(term, offset, uint64(w.versionFlagsType)<<32|uint64(uint32(-int32(frameLength))))
	// Two fields per store, as the field pairs below are adjacent.
	h := term[offset : offset+HeaderLength]
	binary.LittleEndian.PutUint64(h[TermOffsetFieldOffset:], uint64(uint32(offset))|uint64(uint32(w.sessionID))<<32)
	binary.LittleEndian.PutUint64(h[StreamIDFieldOffset:], uint64(uint32(w.streamID))|uint64(uint32(termID))<<32)
}

var (
	_ [SessionIDFieldOffset - TermOffsetFieldOffset - 4]struct{}
	_ [TermIDFieldOffset - StreamIDFieldOffset - 4]struct{}
)

// writePadding fills term[offset:] up to the end with one padding frame.
func (w *HeaderWriter) writePadding(term []byte, offset int, termID int32) {
	paddingLength := len(term) - offset
	w.write(term, offset, paddingLength, termID)
	binary.LittleEndian.PutUint16(term[offset+TypeFieldOffset:], HdrTypePad)
	storeFrameLength(term, offset, int32(paddingLength))
}

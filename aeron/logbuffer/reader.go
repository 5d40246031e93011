package logbuffer

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/internal/ordered"
)

// FragmentHandler receives one fragment: the payload is buffer[offset : offset+length] and header
// describes its frame. buffer points into the mapped log (or the assembler's buffer), so a handler
// must copy what it keeps; header is reused for the next fragment.
type FragmentHandler func(buffer []byte, offset, length int, header *Header)

// Header describes the frame a fragment came from. It is owned by the image (or the assembler) and
// rewrapped for each fragment, so polling does not allocate.
type Header struct {
	buffer              []byte // the term, or the assembler's copy of a first fragment's header
	offset              int    // of the frame in buffer
	initialTermID       int32
	positionBitsToShift int
	// fragmentedFrameLength is the log space of a whole reassembled message (0 for a single frame),
	// so Position lands after its last fragment.
	fragmentedFrameLength int
}

// NewHeader returns a header for reading a log with this initial term id and position shift.
func NewHeader(initialTermID int32, positionBitsToShift int) *Header {
	return &Header{initialTermID: initialTermID, positionBitsToShift: positionBitsToShift}
}

// Buffer is the buffer the frame is in and Offset where it starts.
func (h *Header) Buffer() []byte { return h.buffer }
func (h *Header) Offset() int    { return h.offset }

func (h *Header) InitialTermID() int32     { return h.initialTermID }
func (h *Header) PositionBitsToShift() int { return h.positionBitsToShift }

// FrameLength includes the header; for a reassembled message it covers the whole message.
func (h *Header) FrameLength() int32 { return h.int32Field(FrameLengthFieldOffset) }
func (h *Header) Flags() uint8       { return h.buffer[h.offset+FlagsFieldOffset] }
func (h *Header) Type() uint16 {
	return binary.LittleEndian.Uint16(h.buffer[h.offset+TypeFieldOffset:])
}
func (h *Header) TermOffset() int32 { return h.int32Field(TermOffsetFieldOffset) }
func (h *Header) SessionID() int32  { return h.int32Field(SessionIDFieldOffset) }
func (h *Header) StreamID() int32   { return h.int32Field(StreamIDFieldOffset) }
func (h *Header) TermID() int32     { return h.int32Field(TermIDFieldOffset) }
func (h *Header) ReservedValue() int64 {
	return int64(binary.LittleEndian.Uint64(h.buffer[h.offset+ReservedValueFieldOffset:]))
}

// NextTermOffset is the term offset after this fragment (or reassembled message).
func (h *Header) NextTermOffset() int32 {
	occupied := h.fragmentedFrameLength
	if occupied == 0 {
		occupied = int(h.FrameLength())
	}
	return int32(Align(int(h.TermOffset())+occupied, FrameAlignment))
}

// Position is the stream position after this fragment (or reassembled message).
func (h *Header) Position() int64 {
	return ComputePosition(h.TermID(), h.NextTermOffset(), h.positionBitsToShift, h.initialTermID)
}

func (h *Header) int32Field(field int) int32 {
	return int32(binary.LittleEndian.Uint32(h.buffer[h.offset+field:]))
}

// ReadTerm delivers up to fragmentLimit fragments from term starting at termOffset, skipping padding,
// and returns the offset to continue from and how many fragments it delivered. It stops at a frame
// not yet committed and at the end of the term; it never crosses into the next term.
//
// A frame whose length is impossible (shorter than a header, or running past the end of the term)
// is treated as not yet written: reading stops in front of it, so a corrupt or foreign log stalls
// the reader instead of crashing it. A negative or unaligned termOffset reads nothing. term must be
// 8-byte aligned, as every term of a LogBuffers is.
func ReadTerm(term []byte, termOffset int, handler FragmentHandler, fragmentLimit int, header *Header) (newOffset, fragmentsRead int) {
	offset := termOffset
	if offset < 0 || offset%FrameAlignment != 0 {
		return offset, 0
	}
	header.buffer = term
	header.fragmentedFrameLength = 0
	lastFrameStart := len(term) - HeaderLength
	for fragmentsRead < fragmentLimit && offset <= lastFrameStart {
		frameLength := int(loadFrameLength(term, offset))
		if frameLength < HeaderLength || frameLength > len(term)-offset {
			break
		}
		frameOffset := offset
		offset += Align(frameLength, FrameAlignment)
		if isPaddingFrame(term, frameOffset) {
			continue
		}
		fragmentsRead++
		header.offset = frameOffset
		handler(term, frameOffset+HeaderLength, frameLength-HeaderLength, header)
	}
	return offset, fragmentsRead
}

// PollImage is one poll of an image: it reads from the subscriber position, in the partition that
// position falls in, and then stores the advanced position (a release store) so the driver sees the
// consumed space. subscriberPosition is the image's sub-pos counter value (8-byte aligned), which
// only this poller writes. It returns the number of fragments delivered; like Aeron, one poll never
// crosses into the next term.
func PollImage(log *LogBuffers, subscriberPosition *int64, handler FragmentHandler, fragmentLimit int, header *Header) int {
	position := atomic.LoadInt64(subscriberPosition)
	termOffset := int(ComputeTermOffsetFromPosition(position, log.positionBitsToShift))
	term := log.terms[IndexByPosition(position, log.positionBitsToShift)]
	newOffset, fragmentsRead := ReadTerm(term, termOffset, handler, fragmentLimit, header)
	if newOffset > termOffset {
		ordered.StoreInt64(subscriberPosition, position+int64(newOffset-termOffset))
	}
	return fragmentsRead
}

// ScanTermBlock finds how far from termOffset whole committed data frames run, up to limitOffset,
// for a block poll that hands the raw frames on in one piece. A padding frame ends the block, unless
// it is first, in which case it is skipped alone. Invalid frame lengths end the block as in ReadTerm.
func ScanTermBlock(term []byte, termOffset, limitOffset int) int {
	offset := termOffset
	if offset < 0 || offset%FrameAlignment != 0 {
		return offset
	}
	limitOffset = min(limitOffset, len(term))
	for offset < limitOffset && offset <= len(term)-HeaderLength {
		frameLength := int(loadFrameLength(term, offset))
		if frameLength < HeaderLength || frameLength > len(term)-offset {
			break
		}
		alignedFrameLength := Align(frameLength, FrameAlignment)
		if isPaddingFrame(term, offset) {
			if offset == termOffset {
				offset += alignedFrameLength
			}
			break
		}
		if offset+alignedFrameLength > limitOffset {
			break
		}
		offset += alignedFrameLength
	}
	return offset
}

package logbuffer

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/internal/ordered"
	"github.com/tensorpool/tensorpool/transport"
)

// ImageReader reads one image, the log of one publication session, for one subscriber, and
// hands whole messages to a transport.Handler: an unfragmented frame straight from the log, a
// fragmented message once its fragments are reassembled in the reader's buffer. A log holds one
// session, so one reader per image is all the reassembly state there is, and an unfragmented
// frame costs a flags test more than reading raw fragments.
//
// Fragments must follow on exactly (each starting where the previous one ended); a gap or a
// fragment without its BEGIN drops the partial message, and a new BEGIN restarts it. The buffer
// grows to the largest message and is reused, so after warm-up reading allocates nothing. A
// reader is used by one goroutine at a time.
type ImageReader struct {
	header transport.Header
	// message is the reassembled payload so far; nextPosition is where its next fragment must
	// start, -1 when no message is in progress; reservedValue is its BEGIN frame's.
	message       []byte
	nextPosition  int64
	reservedValue int64
}

// NewImageReader returns a reader of log; its messages carry the session and stream ids of the
// log's default frame header.
func NewImageReader(log *LogBuffers) *ImageReader {
	h := DataHeader(log.DefaultFrameHeader())
	return newImageReader(h.SessionID(), h.StreamID())
}

func newImageReader(sessionID, streamID int32) *ImageReader {
	return &ImageReader{header: transport.Header{SessionID: sessionID, StreamID: streamID}, nextPosition: -1}
}

// Poll is one poll of the image: it reads up to fragmentLimit fragments from the subscriber
// position, in the term that position falls in, and then stores the advanced position (a release
// store, which orders every read of the consumed frames before the driver or a cleaner may reuse
// them). subscriberPosition is the image's sub-pos counter value (8-byte aligned), which only
// this reader writes. It returns the fragments read; like Aeron, one poll never crosses into the
// next term.
func (r *ImageReader) Poll(log *LogBuffers, subscriberPosition *int64, handler transport.Handler, fragmentLimit int) int {
	position := atomic.LoadInt64(subscriberPosition)
	termOffset := int(ComputeTermOffsetFromPosition(position, log.positionBitsToShift))
	term := log.terms[IndexByPosition(position, log.positionBitsToShift)]
	newOffset, fragmentsRead := r.readTerm(term, termOffset, position-int64(termOffset), handler, fragmentLimit)
	if newOffset > termOffset {
		ordered.StoreInt64(subscriberPosition, position+int64(newOffset-termOffset))
	}
	return fragmentsRead
}

// readTerm reads up to fragmentLimit fragments of term from termOffset, skipping padding, and
// returns the offset to continue from and the fragments read. termBeginPosition is the stream
// position of the term's start. It stops at a frame not yet committed and at the end of the term.
//
// A frame whose length is impossible (shorter than a header, or running past the end of the term)
// is treated as not yet written: reading stops in front of it, so a corrupt or foreign log stalls
// the reader instead of crashing it. A negative or unaligned termOffset reads nothing. term must be
// 8-byte aligned, as every term of a LogBuffers is.
func (r *ImageReader) readTerm(term []byte, termOffset int, termBeginPosition int64, handler transport.Handler, fragmentLimit int) (newOffset, fragmentsRead int) {
	offset := termOffset
	if offset < 0 || offset%FrameAlignment != 0 {
		return offset, 0
	}
	for fragmentsRead < fragmentLimit && offset <= len(term)-HeaderLength {
		// Checked against rest, the frame's bounds let the compiler drop the checks of
		// every slice and field access below: the read costs little more than Aeron's
		// raw fragment read (BenchmarkPoll).
		rest := term[offset:]
		frameLength := int(loadFrameLength(rest, 0))
		if frameLength < HeaderLength || frameLength > len(rest) {
			break
		}
		frame := rest[:frameLength:frameLength]
		frameOffset := offset
		offset += Align(frameLength, FrameAlignment)
		if isPaddingFrame(frame, 0) {
			continue
		}
		fragmentsRead++
		if frame[FlagsFieldOffset]&Unfragmented != Unfragmented {
			r.onFragment(frame, termBeginPosition+int64(frameOffset), termBeginPosition+int64(offset), handler)
			continue
		}
		r.header.Position = termBeginPosition + int64(offset)
		r.header.ReservedValue = int64(binary.LittleEndian.Uint64(frame[ReservedValueFieldOffset:]))
		handler(frame[HeaderLength:], &r.header)
	}
	return offset, fragmentsRead
}

// onFragment adds one fragment of a fragmented message, whose frame (header first) starts at
// position start, and hands the message on at its END.
func (r *ImageReader) onFragment(frame []byte, start, next int64, handler transport.Handler) {
	flags := frame[FlagsFieldOffset]
	payload := frame[HeaderLength:]
	if flags&BeginFragFlag != 0 {
		r.message = append(r.message[:0], payload...)
		r.reservedValue = int64(binary.LittleEndian.Uint64(frame[ReservedValueFieldOffset:]))
		r.nextPosition = next
		return
	}
	if start != r.nextPosition {
		r.nextPosition = -1 // a gap, or no message in progress
		return
	}
	r.message = append(r.message, payload...)
	if flags&EndFragFlag == 0 {
		r.nextPosition = next
		return
	}
	r.nextPosition = -1
	r.header.Position = next
	r.header.ReservedValue = r.reservedValue
	handler(r.message[:len(r.message):len(r.message)], &r.header)
}

package logbuffer

import (
	"sync/atomic"

	"github.com/tensorpool/tensorpool/internal/ordered"
	"github.com/tensorpool/tensorpool/transport"
)

// AppendResult is the outcome of an append to one term.
type AppendResult struct {
	TermID int32
	// ResultingOffset is the term offset just past the appended frames. When Tripped it lies beyond
	// the term length, and ComputePosition of it still gives the position the append would have had.
	ResultingOffset int32
	// Tripped means the frames did not fit: the rest of the term became padding (if this append was
	// the first to cross the end) and the publication must rotate to the next term and retry.
	Tripped bool
}

// TermAppender appends frames to one term partition that several publishers, possibly in other
// processes, append to at once. Space is reserved with an atomic add on the partition's tail
// counter, so every appender gets a distinct range; the one whose range crosses the end of the term
// pads the remainder.
type TermAppender struct {
	term []byte
	tail *int64
}

// NewTermAppender returns the appender of partition index of log.
func NewTermAppender(log *LogBuffers, index int) TermAppender {
	return TermAppender{term: log.Term(index), tail: log.tailCounter(index)}
}

// reserve takes alignedLength bytes from the tail and reports where they start.
func (a *TermAppender) reserve(w *HeaderWriter, alignedLength int) (termID, termOffset int32, result AppendResult) {
	rawTail := atomic.AddInt64(a.tail, int64(alignedLength)) - int64(alignedLength)
	termLength := len(a.term)
	termID = RawTailTermID(rawTail)
	termOffset = RawTailTermOffset(rawTail, termLength)
	result = AppendResult{TermID: termID, ResultingOffset: termOffset + int32(alignedLength)}
	if int(result.ResultingOffset) > termLength {
		result.Tripped = true
		if int(termOffset) < termLength {
			w.writePadding(a.term, int(termOffset), termID)
		}
	}
	return termID, termOffset, result
}

// Claim reserves an unfragmented frame for length payload bytes (at most the max payload length)
// and wraps claim around it; the frame reads as uncommitted until claim.Commit.
func (a *TermAppender) Claim(w *HeaderWriter, length int, claim *transport.Claim) AppendResult {
	frameLength := length + HeaderLength
	termID, termOffset, result := a.reserve(w, Align(frameLength, FrameAlignment))
	if !result.Tripped {
		w.write(a.term, int(termOffset), frameLength, termID)
		claim.Wrap(a.term[termOffset : int(termOffset)+frameLength])
	}
	return result
}

// AppendUnfragmented copies msg (at most the max payload length) into one frame and publishes it.
func (a *TermAppender) AppendUnfragmented(w *HeaderWriter, msg []byte) AppendResult {
	frameLength := len(msg) + HeaderLength
	termID, termOffset, result := a.reserve(w, Align(frameLength, FrameAlignment))
	if !result.Tripped {
		offset := int(termOffset)
		w.write(a.term, offset, frameLength, termID)
		copy(a.term[offset+HeaderLength:], msg)
		storeFrameLength(a.term, offset, int32(frameLength))
	}
	return result
}

// AppendFragmented splits msg into frames of at most maxPayloadLength payload bytes, flagged BEGIN on
// the first and END on the last, reserving the space for all of them at once so no other message
// lands in between.
func (a *TermAppender) AppendFragmented(w *HeaderWriter, msg []byte, maxPayloadLength int) AppendResult {
	termID, termOffset, result := a.reserve(w, ComputeFragmentedFrameLength(len(msg), maxPayloadLength))
	if !result.Tripped {
		writeFragments(a.term, w, int(termOffset), termID, msg, maxPayloadLength)
	}
	return result
}

// writeFragments writes and publishes the frames of a fragmented message one by one, so a reader
// can start on the first while the rest are copied.
func writeFragments(term []byte, w *HeaderWriter, offset int, termID int32, msg []byte, maxPayloadLength int) {
	flags := BeginFragFlag
	for remaining := msg; ; {
		chunk := remaining[:min(len(remaining), maxPayloadLength)]
		remaining = remaining[len(chunk):]
		frameLength := len(chunk) + HeaderLength
		w.write(term, offset, frameLength, termID)
		copy(term[offset+HeaderLength:], chunk)
		if len(remaining) == 0 {
			flags |= EndFragFlag
		}
		term[offset+FlagsFieldOffset] = flags
		storeFrameLength(term, offset, int32(frameLength))
		if len(remaining) == 0 {
			return
		}
		flags = 0
		offset += Align(frameLength, FrameAlignment)
	}
}

// ExclusiveTermAppender appends to one term partition of a log that has a single writer. The writer
// tracks the term id and offset itself, so no atomic read-modify-write is needed: the tail counter is
// only published for the driver and readers with a release store.
type ExclusiveTermAppender struct {
	term []byte
	tail *int64
}

// NewExclusiveTermAppender returns the single-writer appender of partition index of log.
func NewExclusiveTermAppender(log *LogBuffers, index int) ExclusiveTermAppender {
	return ExclusiveTermAppender{term: log.Term(index), tail: log.tailCounter(index)}
}

// advance publishes the new tail and, if the frames do not fit, pads the rest of the term.
func (a *ExclusiveTermAppender) advance(w *HeaderWriter, termID, termOffset int32, alignedLength int) AppendResult {
	result := AppendResult{TermID: termID, ResultingOffset: termOffset + int32(alignedLength)}
	ordered.StoreInt64(a.tail, PackTail(termID, result.ResultingOffset))
	if int(result.ResultingOffset) > len(a.term) {
		result.Tripped = true
		if int(termOffset) < len(a.term) {
			w.writePadding(a.term, int(termOffset), termID)
		}
	}
	return result
}

// Claim is TermAppender.Claim for the single writer at (termID, termOffset).
func (a *ExclusiveTermAppender) Claim(w *HeaderWriter, termID, termOffset int32, length int, claim *transport.Claim) AppendResult {
	frameLength := length + HeaderLength
	result := a.advance(w, termID, termOffset, Align(frameLength, FrameAlignment))
	if !result.Tripped {
		w.write(a.term, int(termOffset), frameLength, termID)
		claim.Wrap(a.term[termOffset : int(termOffset)+frameLength])
	}
	return result
}

// AppendFragmented is TermAppender.AppendFragmented for the single writer at (termID, termOffset).
func (a *ExclusiveTermAppender) AppendFragmented(w *HeaderWriter, termID, termOffset int32, msg []byte, maxPayloadLength int) AppendResult {
	result := a.advance(w, termID, termOffset, ComputeFragmentedFrameLength(len(msg), maxPayloadLength))
	if !result.Tripped {
		writeFragments(a.term, w, int(termOffset), termID, msg, maxPayloadLength)
	}
	return result
}

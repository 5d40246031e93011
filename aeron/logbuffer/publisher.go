package logbuffer

import (
	"sync/atomic"

	"github.com/tensorpool/tensorpool/internal/ordered"
	"github.com/tensorpool/tensorpool/transport"
)

// Offer and try-claim return the new stream position, or when nothing was appended one of
// transport's negative results (Aeron's values): NotConnected, BackPressured, AdminAction, Closed,
// MaxPositionExceeded, PublicationError.

// publisherState is what both publisher kinds derive from the log and the publisher limit.
type publisherState struct {
	log                 *LogBuffers
	headerWriter        HeaderWriter
	publisherLimit      *int64
	termLength          int
	positionBitsToShift int
	initialTermID       int32
	maxPayloadLength    int
	maxMessageLength    int
	maxPossiblePosition int64
	closed              atomic.Bool
}

func (s *publisherState) init(log *LogBuffers, publisherLimit *int64) {
	s.log = log
	s.headerWriter = NewHeaderWriter(log.DefaultFrameHeader())
	s.publisherLimit = publisherLimit
	s.termLength = log.TermLength()
	s.positionBitsToShift = log.PositionBitsToShift()
	s.initialTermID = log.InitialTermID()
	s.maxPayloadLength = int(log.MTULength()) - HeaderLength
	s.maxMessageLength = ComputeMaxMessageLength(log.TermLength())
	s.maxPossiblePosition = ComputeMaxPossiblePosition(log.TermLength())
}

// backPressureStatus explains why nothing could be appended at position.
func (s *publisherState) backPressureStatus(position int64, length int) int64 {
	if position+int64(Align(length+HeaderLength, FrameAlignment)) >= s.maxPossiblePosition {
		return transport.MaxPositionExceeded
	}
	if s.log.IsConnected() {
		return transport.BackPressured
	}
	return transport.NotConnected
}

// MaxPayloadLength is the largest try-claim, and the largest message sent in one frame.
func (s *publisherState) MaxPayloadLength() int { return s.maxPayloadLength }

// MaxMessageLength is the largest offer.
func (s *publisherState) MaxMessageLength() int { return s.maxMessageLength }

// PositionLimit is the position the driver currently lets the publisher reach.
func (s *publisherState) PositionLimit() int64 { return atomic.LoadInt64(s.publisherLimit) }

// IsConnected reports whether the driver sees a subscriber or receiver for the log.
func (s *publisherState) IsConnected() bool { return !s.closed.Load() && s.log.IsConnected() }

// Close makes every later offer and try-claim return Closed. Telling the driver is the client's job.
func (s *publisherState) Close() { s.closed.Store(true) }

// IsClosed reports whether Close was called.
func (s *publisherState) IsClosed() bool { return s.closed.Load() }

// ConcurrentPublisher implements offer and try-claim on a log shared by any number of publishers,
// in this or other processes, following Aeron's concurrent publication. It is safe for concurrent
// use. publisherLimit is the driver's pub-lmt counter value (8-byte aligned, read atomically).
type ConcurrentPublisher struct {
	publisherState
	appenders [PartitionCount]TermAppender
}

// NewConcurrentPublisher builds a publisher over a validated log.
func NewConcurrentPublisher(log *LogBuffers, publisherLimit *int64) *ConcurrentPublisher {
	p := &ConcurrentPublisher{}
	p.init(log, publisherLimit)
	for i := range p.appenders {
		p.appenders[i] = NewTermAppender(log, i)
	}
	return p
}

// activeTerm reads the active partition and its tail. ok is false when the active term count and
// that partition's tail disagree, which happens while a rotation is in progress: AdminAction.
func (p *ConcurrentPublisher) activeTerm() (appender *TermAppender, position int64, ok bool) {
	termCount := p.log.ActiveTermCount()
	index := IndexByTermCount(termCount)
	rawTail := p.log.RawTailVolatile(index)
	termID := RawTailTermID(rawTail)
	if termCount != termID-p.initialTermID {
		return nil, 0, false
	}
	termOffset := RawTailTermOffset(rawTail, p.termLength)
	return &p.appenders[index], ComputePosition(termID, termOffset, p.positionBitsToShift, p.initialTermID), true
}

// TryClaim reserves length payload bytes (at most MaxPayloadLength) in one frame and returns the new
// position, or a negative result. On success claim must be committed or aborted.
func (p *ConcurrentPublisher) TryClaim(length int, claim *transport.Claim) int64 {
	if length < 0 || length > p.maxPayloadLength {
		return transport.PublicationError
	}
	if p.closed.Load() {
		return transport.Closed
	}
	limit := p.PositionLimit()
	// activeTerm, TermAppender.Claim and newPosition by hand: this is the hot path, and the calls
	// cost a measurable share of it.
	termCount := p.log.ActiveTermCount()
	appender := &p.appenders[IndexByTermCount(termCount)]
	rawTail := atomic.LoadInt64(appender.tail)
	termID := RawTailTermID(rawTail)
	if termCount != termID-p.initialTermID {
		return transport.AdminAction
	}
	position := ComputePosition(termID, RawTailTermOffset(rawTail, p.termLength), p.positionBitsToShift, p.initialTermID)
	if position >= limit {
		return p.backPressureStatus(position, length)
	}
	frameLength := length + HeaderLength
	alignedLength := Align(frameLength, FrameAlignment)
	rawTail = atomic.AddInt64(appender.tail, int64(alignedLength)) - int64(alignedLength)
	termID = RawTailTermID(rawTail)
	termOffset := int(RawTailTermOffset(rawTail, p.termLength))
	resultingOffset := termOffset + alignedLength
	if resultingOffset > p.termLength {
		if termOffset < p.termLength {
			p.headerWriter.writePadding(appender.term, termOffset, termID)
		}
		return p.newPosition(AppendResult{TermID: termID, ResultingOffset: int32(resultingOffset), Tripped: true})
	}
	p.headerWriter.write(appender.term, termOffset, frameLength, termID)
	claim.Wrap(appender.term[termOffset : termOffset+frameLength])
	return ComputePosition(termID, int32(resultingOffset), p.positionBitsToShift, p.initialTermID)
}

// Offer copies msg (at most MaxMessageLength, fragmented beyond MaxPayloadLength) into the log and
// returns the new position, or a negative result.
func (p *ConcurrentPublisher) Offer(msg []byte) int64 {
	if len(msg) > p.maxMessageLength {
		return transport.PublicationError
	}
	if p.closed.Load() {
		return transport.Closed
	}
	limit := p.PositionLimit()
	appender, position, ok := p.activeTerm()
	if !ok {
		return transport.AdminAction
	}
	if position >= limit {
		return p.backPressureStatus(position, len(msg))
	}
	if len(msg) <= p.maxPayloadLength {
		return p.newPosition(appender.AppendUnfragmented(&p.headerWriter, msg))
	}
	return p.newPosition(appender.AppendFragmented(&p.headerWriter, msg, p.maxPayloadLength))
}

// newPosition turns an append result into Offer/TryClaim's result, rotating the log on a trip.
func (p *ConcurrentPublisher) newPosition(r AppendResult) int64 {
	position := ComputePosition(r.TermID, r.ResultingOffset, p.positionBitsToShift, p.initialTermID)
	if !r.Tripped {
		return position
	}
	if position >= p.maxPossiblePosition {
		return transport.MaxPositionExceeded
	}
	p.log.RotateLog(r.TermID-p.initialTermID, r.TermID)
	return transport.AdminAction
}

// Position is the position the next append will start at, or Closed.
func (p *ConcurrentPublisher) Position() int64 {
	if p.closed.Load() {
		return transport.Closed
	}
	return p.log.ProducerPosition()
}

// AvailableWindow is how far the publisher may advance before it is back pressured, or Closed.
func (p *ConcurrentPublisher) AvailableWindow() int64 {
	if p.closed.Load() {
		return transport.Closed
	}
	return p.PositionLimit() - p.log.ProducerPosition()
}

// ExclusivePublisher implements offer and try-claim on a log with a single writer, following
// Aeron's exclusive publication: the term id and offset live here, not in a shared atomic. It is not
// safe for concurrent use, except Close, IsClosed and IsConnected.
type ExclusivePublisher struct {
	publisherState
	appenders         [PartitionCount]ExclusiveTermAppender
	termID            int32
	termOffset        int32
	termBeginPosition int64
	activeIndex       int
}

// NewExclusivePublisher builds a publisher over a validated log, resuming from its current tail.
func NewExclusivePublisher(log *LogBuffers, publisherLimit *int64) *ExclusivePublisher {
	p := &ExclusivePublisher{}
	p.init(log, publisherLimit)
	for i := range p.appenders {
		p.appenders[i] = NewExclusiveTermAppender(log, i)
	}
	p.activeIndex = IndexByTermCount(log.ActiveTermCount())
	rawTail := log.RawTailVolatile(p.activeIndex)
	p.termID = RawTailTermID(rawTail)
	p.termOffset = RawTailTermOffset(rawTail, p.termLength)
	p.termBeginPosition = ComputeTermBeginPosition(p.termID, p.positionBitsToShift, p.initialTermID)
	return p
}

// TryClaim is ConcurrentPublisher.TryClaim for the single writer.
func (p *ExclusivePublisher) TryClaim(length int, claim *transport.Claim) int64 {
	if length < 0 || length > p.maxPayloadLength {
		return transport.PublicationError
	}
	if p.closed.Load() {
		return transport.Closed
	}
	position := p.termBeginPosition + int64(p.termOffset)
	if position >= p.PositionLimit() {
		return p.backPressureStatus(position, length)
	}
	return p.newPosition(p.appenders[p.activeIndex].Claim(&p.headerWriter, p.termID, p.termOffset, length, claim))
}

// Offer is ConcurrentPublisher.Offer for the single writer.
func (p *ExclusivePublisher) Offer(msg []byte) int64 {
	if len(msg) > p.maxMessageLength {
		return transport.PublicationError
	}
	if p.closed.Load() {
		return transport.Closed
	}
	position := p.termBeginPosition + int64(p.termOffset)
	if position >= p.PositionLimit() {
		return p.backPressureStatus(position, len(msg))
	}
	appender := &p.appenders[p.activeIndex]
	if len(msg) > p.maxPayloadLength {
		return p.newPosition(appender.AppendFragmented(&p.headerWriter, p.termID, p.termOffset, msg, p.maxPayloadLength))
	}
	// One frame, written here rather than by an appender method: calls cost stores (return
	// addresses, spilled registers), and a publisher's stores queue behind the lines a
	// subscriber on another core holds.
	offset := int(p.termOffset)
	frameLength := len(msg) + HeaderLength
	alignedLength := Align(frameLength, FrameAlignment)
	resulting := offset + alignedLength
	if resulting > len(appender.term) {
		return p.newPosition(appender.advance(&p.headerWriter, p.termID, p.termOffset, alignedLength)) // pads the term
	}
	ordered.StoreInt64(appender.tail, PackTail(p.termID, int32(resulting)))
	p.headerWriter.write(appender.term, offset, frameLength, p.termID)
	copy(appender.term[offset+HeaderLength:offset+frameLength], msg)
	storeFrameLength(appender.term, offset, int32(frameLength))
	p.termOffset = int32(resulting)
	return p.termBeginPosition + int64(resulting)
}

// newPosition advances the local tail, or on a trip rotates to the next term.
func (p *ExclusivePublisher) newPosition(r AppendResult) int64 {
	if !r.Tripped {
		p.termOffset = r.ResultingOffset
		return p.termBeginPosition + int64(r.ResultingOffset)
	}
	if p.termBeginPosition+int64(p.termLength) >= p.maxPossiblePosition {
		// The rest of the term is padding now; stay at its end so a later, smaller message does not
		// overwrite that padding frame (Aeron's exclusive publication leaves its offset behind here).
		p.termOffset = int32(p.termLength)
		return transport.MaxPositionExceeded
	}
	p.rotateTerm()
	return transport.AdminAction
}

// rotateTerm moves to the next partition: reset its tail to the next term id, then publish the new
// active term count. A single writer needs no CAS.
func (p *ExclusivePublisher) rotateTerm() {
	nextIndex := NextPartitionIndex(p.activeIndex)
	nextTermID := p.termID + 1
	p.activeIndex = nextIndex
	p.termID = nextTermID
	p.termOffset = 0
	p.termBeginPosition += int64(p.termLength)
	p.log.SetRawTailOrdered(nextIndex, PackTail(nextTermID, 0))
	p.log.SetActiveTermCountOrdered(nextTermID - p.initialTermID)
}

// Position is the position the next append will start at, or Closed.
func (p *ExclusivePublisher) Position() int64 {
	if p.closed.Load() {
		return transport.Closed
	}
	return p.termBeginPosition + int64(p.termOffset)
}

// AvailableWindow is how far the publisher may advance before it is back pressured, or Closed.
func (p *ExclusivePublisher) AvailableWindow() int64 {
	if p.closed.Load() {
		return transport.Closed
	}
	return p.PositionLimit() - (p.termBeginPosition + int64(p.termOffset))
}

// TermID and TermOffset are where the next append will land.
func (p *ExclusivePublisher) TermID() int32     { return p.termID }
func (p *ExclusivePublisher) TermOffset() int32 { return p.termOffset }

// Package logbuffer holds the I/O-free data structures and algorithms of Aeron's log buffers: the
// layout of a log file (three term partitions followed by a metadata section), data frame headers,
// the concurrent and exclusive term appenders with their publication-level offer/try-claim rules
// (filling a transport.Claim, returning transport's results), the image reader that hands whole
// messages to a transport.Handler, reassembling fragmented ones, and a block scanner.
//
// Everything works on byte slices, whether they come from a memory-mapped log file shared with the
// official media driver or from a plain allocation in a test. Words that other processes write
// concurrently (term tails, active term count, frame lengths, is-connected, end of stream) are only
// accessed through sync/atomic. Go atomics are sequentially consistent, which subsumes the
// acquire/release ordering Aeron's C and Java clients rely on.
//
// The layout and rules follow Aeron's own definition (LogBufferDescriptor, FrameDescriptor,
// DataHeaderFlyweight, ConcurrentPublication, ExclusivePublication, TermReader, FragmentAssembler)
// as of Aeron 1.52.
package logbuffer

import "math/bits"

// Log file layout and limits.
const (
	// PartitionCount is the number of term partitions in a log.
	PartitionCount = 3

	TermMinLength = 64 * 1024
	TermMaxLength = 1024 * 1024 * 1024
	PageMinSize   = 4 * 1024
	PageMaxSize   = 1024 * 1024 * 1024

	// LogMetaDataLength is the length of the metadata section at the end of the log file. Both Aeron
	// clients locate it at fileLength - LogMetaDataLength.
	LogMetaDataLength = PageMinSize

	// MaxMessageLength caps the length of one (possibly fragmented) message.
	MaxMessageLength = 16 * 1024 * 1024

	// MaxUDPPayloadLength bounds the MTU a driver will ever write into a log.
	MaxUDPPayloadLength = 65504
)

// Values of the metadata type byte at LogTypeOffset.
const (
	LogTypeConcurrentPublication = 0
	LogTypeExclusivePublication  = 1
	LogTypePublicationImage      = 2
)

// Offsets inside the metadata section (aeron_logbuffer_metadata_t, packed to 4 bytes). The words
// written concurrently sit on their own 128-byte lines: tails and active term count, then end of
// stream and connection state, then the fields the driver writes once at creation.
const (
	TermTailCountersOffset        = 0   // int64 x PartitionCount: termID<<32 | termOffset
	LogActiveTermCountOffset      = 24  // int32
	LogEndOfStreamPositionOffset  = 128 // int64
	LogIsConnectedOffset          = 136 // int32, 1 when connected
	LogActiveTransportCountOffset = 140 // int32

	LogCorrelationIDOffset               = 256 // int64
	LogInitialTermIDOffset               = 264 // int32
	LogDefaultFrameHeaderLengthOffset    = 268 // int32
	LogMTULengthOffset                   = 272 // int32
	LogTermLengthOffset                  = 276 // int32
	LogPageSizeOffset                    = 280 // int32
	LogPublicationWindowLengthOffset     = 284 // int32
	LogReceiverWindowLengthOffset        = 288 // int32
	LogSocketSndbufLengthOffset          = 292 // int32
	LogOSDefaultSocketSndbufLengthOffset = 296 // int32
	LogOSMaxSocketSndbufLengthOffset     = 300 // int32
	LogSocketRcvbufLengthOffset          = 304 // int32
	LogOSDefaultSocketRcvbufLengthOffset = 308 // int32
	LogOSMaxSocketRcvbufLengthOffset     = 312 // int32
	LogMaxResendOffset                   = 316 // int32
	LogDefaultFrameHeaderOffset          = 320 // LogDefaultFrameHeaderMaxLength bytes
	LogDefaultFrameHeaderMaxLength       = 128

	LogEntityTagOffset                      = 448 // int64
	LogResponseCorrelationIDOffset          = 456 // int64
	LogLingerTimeoutNsOffset                = 464 // int64
	LogUntetheredWindowLimitTimeoutNsOffset = 472 // int64
	LogUntetheredRestingTimeoutNsOffset     = 480 // int64
	LogGroupOffset                          = 488 // uint8 flags from here to LogTypeOffset
	LogIsResponseOffset                     = 489
	LogRejoinOffset                         = 490
	LogReliableOffset                       = 491
	LogSparseOffset                         = 492
	LogSignalEOSOffset                      = 493
	LogSpiesSimulateConnectionOffset        = 494
	LogTetherOffset                         = 495
	LogIsPublicationRevokedOffset           = 496
	LogTypeOffset                           = 497
	LogUntetheredLingerTimeoutNsOffset      = 500 // int64, only 4-byte aligned: never access atomically
)

// CheckTermLength reports whether termLength is a power of two in [TermMinLength, TermMaxLength].
func CheckTermLength(termLength int64) error {
	if termLength < TermMinLength || termLength > TermMaxLength || !isPowerOfTwo(termLength) {
		return &LogError{Kind: ErrTermLength, Value: termLength}
	}
	return nil
}

// CheckPageSize reports whether pageSize is a power of two in [PageMinSize, PageMaxSize].
func CheckPageSize(pageSize int64) error {
	if pageSize < PageMinSize || pageSize > PageMaxSize || !isPowerOfTwo(pageSize) {
		return &LogError{Kind: ErrPageSize, Value: pageSize}
	}
	return nil
}

// ComputeLogLength is the length of a log file for a valid term length and page size.
func ComputeLogLength(termLength, pageSize int64) int64 {
	return alignInt64(PartitionCount*termLength+LogMetaDataLength, pageSize)
}

// PositionBitsToShift is log2 of a (power of two) term length: the shift from a position to its term count.
func PositionBitsToShift(termLength int) int {
	return bits.TrailingZeros64(uint64(termLength))
}

// ComputeMaxMessageLength is the longest message a log of this term length accepts.
func ComputeMaxMessageLength(termLength int) int {
	return min(termLength/8, MaxMessageLength)
}

// ComputeMaxPossiblePosition is the position a stream can never reach: term counts are int32.
func ComputeMaxPossiblePosition(termLength int) int64 {
	return int64(termLength) << 31
}

// PackTail builds a raw tail counter value.
func PackTail(termID, termOffset int32) int64 {
	return int64(termID)<<32 | int64(uint32(termOffset))
}

// RawTailTermID extracts the term id from a raw tail.
func RawTailTermID(rawTail int64) int32 {
	return int32(rawTail >> 32)
}

// RawTailTermOffset extracts the term offset from a raw tail. Concurrent appenders push the offset
// past the end of the term, so it is clamped to termLength.
func RawTailTermOffset(rawTail int64, termLength int) int32 {
	return int32(min(rawTail&0xFFFF_FFFF, int64(termLength)))
}

// ComputePosition turns a term id and offset into a stream position. The term count is taken with
// int32 wrap-around, as term ids wrap.
func ComputePosition(termID, termOffset int32, positionBitsToShift int, initialTermID int32) int64 {
	return int64(termID-initialTermID)<<positionBitsToShift + int64(termOffset)
}

// ComputeTermBeginPosition is the position of offset 0 in the given term.
func ComputeTermBeginPosition(termID int32, positionBitsToShift int, initialTermID int32) int64 {
	return int64(termID-initialTermID) << positionBitsToShift
}

// ComputeTermIDFromPosition is the term id a position falls in.
func ComputeTermIDFromPosition(position int64, positionBitsToShift int, initialTermID int32) int32 {
	return int32(uint64(position)>>positionBitsToShift) + initialTermID
}

// ComputeTermOffsetFromPosition is the offset of a position inside its term.
func ComputeTermOffsetFromPosition(position int64, positionBitsToShift int) int32 {
	return int32(position & (1<<positionBitsToShift - 1))
}

// IndexByTermCount is the partition holding the term with this count. The count is taken as unsigned
// so a corrupt (negative) value still yields an index in range.
func IndexByTermCount(termCount int32) int {
	return int(uint32(termCount) % PartitionCount)
}

// IndexByTerm is the partition holding termID.
func IndexByTerm(initialTermID, termID int32) int {
	return IndexByTermCount(termID - initialTermID)
}

// IndexByPosition is the partition holding position.
func IndexByPosition(position int64, positionBitsToShift int) int {
	return int((uint64(position) >> positionBitsToShift) % PartitionCount)
}

// NextPartitionIndex is the partition after index, wrapping.
func NextPartitionIndex(index int) int {
	return (index + 1) % PartitionCount
}

// ComputeFragmentedFrameLength is the log space a message of length bytes takes when split into
// frames carrying at most maxPayloadLength bytes each.
func ComputeFragmentedFrameLength(length, maxPayloadLength int) int {
	fullFrames := length / maxPayloadLength
	remaining := length % maxPayloadLength
	lastFrameLength := 0
	if remaining > 0 {
		lastFrameLength = Align(remaining+HeaderLength, FrameAlignment)
	}
	return fullFrames*(maxPayloadLength+HeaderLength) + lastFrameLength
}

func isPowerOfTwo(v int64) bool {
	return v > 0 && v&(v-1) == 0
}

func alignInt64(v, alignment int64) int64 {
	return (v + alignment - 1) &^ (alignment - 1)
}

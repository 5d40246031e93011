package logbuffer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
)

// Kinds of LogError; match them with errors.Is.
var (
	ErrLogTooShort       = errors.New("log file shorter than its metadata section")
	ErrMisalignedLog     = errors.New("log buffer base address not 8-byte aligned")
	ErrTermLength        = errors.New("term length not a power of two in [64 KiB, 1 GiB]")
	ErrPageSize          = errors.New("page size not a power of two in [4 KiB, 1 GiB]")
	ErrLogLength         = errors.New("log file length does not match its term length and page size")
	ErrMTULength         = errors.New("mtu length not a multiple of 32 in (32, 65504]")
	ErrFrameHeaderLength = errors.New("default frame header length is not 32")
)

// LogError explains why a byte slice is not a usable log: a foreign, truncated or corrupt file.
type LogError struct {
	Kind  error // one of the Err* values above
	Value int64 // the offending value
}

func (e *LogError) Error() string { return fmt.Sprintf("logbuffer: %v: %d", e.Kind, e.Value) }
func (e *LogError) Unwrap() error { return e.Kind }

// LogBuffers is a view over a whole log file: three term partitions then the metadata section.
// It does not own the memory; whoever mapped the file must keep it mapped while the view is used.
type LogBuffers struct {
	file                []byte
	terms               [PartitionCount][]byte
	meta                []byte
	termLength          int
	positionBitsToShift int
	initialTermID       int32
	mtuLength           int32
}

// NewLogBuffers validates the metadata of a log file against its length, as the Aeron clients do
// when they map a log, and returns a view over it. It never panics on bad input.
func NewLogBuffers(file []byte) (*LogBuffers, error) {
	if len(file) < LogMetaDataLength {
		return nil, &LogError{Kind: ErrLogTooShort, Value: int64(len(file))}
	}
	if !isAligned8(file) {
		return nil, &LogError{Kind: ErrMisalignedLog, Value: int64(len(file))}
	}
	meta := file[len(file)-LogMetaDataLength:]
	termLength := int64(getInt32(meta, LogTermLengthOffset))
	pageSize := int64(getInt32(meta, LogPageSizeOffset))
	if err := CheckTermLength(termLength); err != nil {
		return nil, err
	}
	if err := CheckPageSize(pageSize); err != nil {
		return nil, err
	}
	if ComputeLogLength(termLength, pageSize) != int64(len(file)) {
		return nil, &LogError{Kind: ErrLogLength, Value: int64(len(file))}
	}
	if err := checkMTULength(getInt32(meta, LogMTULengthOffset)); err != nil {
		return nil, err
	}
	if n := getInt32(meta, LogDefaultFrameHeaderLengthOffset); n != HeaderLength {
		return nil, &LogError{Kind: ErrFrameHeaderLength, Value: int64(n)}
	}

	l := &LogBuffers{
		file:                file,
		meta:                meta,
		termLength:          int(termLength),
		positionBitsToShift: PositionBitsToShift(int(termLength)),
		initialTermID:       getInt32(meta, LogInitialTermIDOffset),
		mtuLength:           getInt32(meta, LogMTULengthOffset),
	}
	for i := range l.terms {
		l.terms[i] = file[i*int(termLength) : (i+1)*int(termLength) : (i+1)*int(termLength)]
	}
	return l, nil
}

func checkMTULength(mtu int32) error {
	if mtu <= HeaderLength || mtu > MaxUDPPayloadLength || mtu%FrameAlignment != 0 {
		return &LogError{Kind: ErrMTULength, Value: int64(mtu)}
	}
	return nil
}

// LogConfig is what a driver writes into a new log's metadata.
type LogConfig struct {
	TermLength    int
	PageSize      int
	MTULength     int
	InitialTermID int32
	SessionID     int32
	StreamID      int32
	CorrelationID int64
	Type          uint8 // LogTypeConcurrentPublication, ...
}

// InitLog formats a zeroed log file the way the media driver does for a new publication: metadata
// fields, default header, the first term's tail at the initial term id, the other tails one
// rotation behind, and end of stream at MaxInt64. It is for tests and tools; clients map logs that
// the driver made.
func InitLog(file []byte, cfg LogConfig) error {
	if err := CheckTermLength(int64(cfg.TermLength)); err != nil {
		return err
	}
	if err := CheckPageSize(int64(cfg.PageSize)); err != nil {
		return err
	}
	if err := checkMTULength(int32(cfg.MTULength)); err != nil {
		return err
	}
	if ComputeLogLength(int64(cfg.TermLength), int64(cfg.PageSize)) != int64(len(file)) {
		return &LogError{Kind: ErrLogLength, Value: int64(len(file))}
	}
	if !isAligned8(file) {
		return &LogError{Kind: ErrMisalignedLog, Value: int64(len(file))}
	}
	meta := file[len(file)-LogMetaDataLength:]
	putInt64(meta, LogCorrelationIDOffset, cfg.CorrelationID)
	putInt32(meta, LogInitialTermIDOffset, cfg.InitialTermID)
	putInt32(meta, LogDefaultFrameHeaderLengthOffset, HeaderLength)
	putInt32(meta, LogMTULengthOffset, int32(cfg.MTULength))
	putInt32(meta, LogTermLengthOffset, int32(cfg.TermLength))
	putInt32(meta, LogPageSizeOffset, int32(cfg.PageSize))
	meta[LogTypeOffset] = cfg.Type
	defaultHeader := NewDefaultHeader(cfg.SessionID, cfg.StreamID, cfg.InitialTermID)
	copy(meta[LogDefaultFrameHeaderOffset:], defaultHeader[:])

	atomic.StoreInt64(int64At(meta, TermTailCountersOffset), PackTail(cfg.InitialTermID, 0))
	for i := 1; i < PartitionCount; i++ {
		// The rotation CAS expects to find the term id that is PartitionCount terms behind.
		expectedTermID := cfg.InitialTermID + int32(i) - PartitionCount
		atomic.StoreInt64(int64At(meta, TermTailCountersOffset+8*i), PackTail(expectedTermID, 0))
	}
	atomic.StoreInt32(int32At(meta, LogActiveTermCountOffset), 0)
	atomic.StoreInt64(int64At(meta, LogEndOfStreamPositionOffset), int64(^uint64(0)>>1))
	return nil
}

// File is the whole log.
func (l *LogBuffers) File() []byte { return l.file }

// Term is the term partition at index (0..PartitionCount-1).
func (l *LogBuffers) Term(index int) []byte { return l.terms[index] }

// Metadata is the metadata section.
func (l *LogBuffers) Metadata() []byte { return l.meta }

func (l *LogBuffers) TermLength() int          { return l.termLength }
func (l *LogBuffers) PositionBitsToShift() int { return l.positionBitsToShift }
func (l *LogBuffers) InitialTermID() int32     { return l.initialTermID }
func (l *LogBuffers) MTULength() int32         { return l.mtuLength }
func (l *LogBuffers) PageSize() int32          { return getInt32(l.meta, LogPageSizeOffset) }
func (l *LogBuffers) CorrelationID() int64     { return getInt64(l.meta, LogCorrelationIDOffset) }

// DefaultFrameHeader is the header template the driver stored for this log.
func (l *LogBuffers) DefaultFrameHeader() []byte {
	return l.meta[LogDefaultFrameHeaderOffset : LogDefaultFrameHeaderOffset+HeaderLength]
}

// ComputePosition turns a term id and offset of this log into a stream position.
func (l *LogBuffers) ComputePosition(termID, termOffset int32) int64 {
	return ComputePosition(termID, termOffset, l.positionBitsToShift, l.initialTermID)
}

// RawTailVolatile loads the tail counter of a partition (acquire).
func (l *LogBuffers) RawTailVolatile(index int) int64 {
	return atomic.LoadInt64(l.tailCounter(index))
}

// SetRawTailOrdered stores the tail counter of a partition (release); single-writer logs only.
func (l *LogBuffers) SetRawTailOrdered(index int, rawTail int64) {
	atomic.StoreInt64(l.tailCounter(index), rawTail)
}

// CasRawTail compare-and-swaps the tail counter of a partition.
func (l *LogBuffers) CasRawTail(index int, expected, update int64) bool {
	return atomic.CompareAndSwapInt64(l.tailCounter(index), expected, update)
}

// ActiveTermCount loads the number of terms completed since the initial term (acquire).
func (l *LogBuffers) ActiveTermCount() int32 {
	return atomic.LoadInt32(int32At(l.meta, LogActiveTermCountOffset))
}

// SetActiveTermCountOrdered stores the active term count (release); single-writer logs only.
func (l *LogBuffers) SetActiveTermCountOrdered(termCount int32) {
	atomic.StoreInt32(int32At(l.meta, LogActiveTermCountOffset), termCount)
}

// CasActiveTermCount compare-and-swaps the active term count.
func (l *LogBuffers) CasActiveTermCount(expected, update int32) bool {
	return atomic.CompareAndSwapInt32(int32At(l.meta, LogActiveTermCountOffset), expected, update)
}

// IsConnected reports whether the driver marked the log as having a subscriber or receiver.
func (l *LogBuffers) IsConnected() bool {
	return atomic.LoadInt32(int32At(l.meta, LogIsConnectedOffset)) == 1
}

// SetIsConnected is the driver's side of IsConnected, for tests and tools.
func (l *LogBuffers) SetIsConnected(connected bool) {
	var v int32
	if connected {
		v = 1
	}
	atomic.StoreInt32(int32At(l.meta, LogIsConnectedOffset), v)
}

// EndOfStreamPosition is where the stream ends once its publication is gone; MaxInt64 until then.
func (l *LogBuffers) EndOfStreamPosition() int64 {
	return atomic.LoadInt64(int64At(l.meta, LogEndOfStreamPositionOffset))
}

// SetEndOfStreamPosition is the driver's side of EndOfStreamPosition, for tests and tools.
func (l *LogBuffers) SetEndOfStreamPosition(position int64) {
	atomic.StoreInt64(int64At(l.meta, LogEndOfStreamPositionOffset), position)
}

// RotateLog moves a concurrent log from the term (termCount, termID) to the next one. Several
// appenders may trip the same term; the CASes make exactly one rotation take effect, and the
// expected-term-id check keeps a late appender from resetting a partition already in use.
func (l *LogBuffers) RotateLog(termCount, termID int32) bool {
	nextTermID := termID + 1
	nextTermCount := termCount + 1
	nextIndex := IndexByTermCount(nextTermCount)
	expectedTermID := nextTermID - PartitionCount
	for {
		rawTail := l.RawTailVolatile(nextIndex)
		if RawTailTermID(rawTail) != expectedTermID {
			break
		}
		if l.CasRawTail(nextIndex, rawTail, PackTail(nextTermID, 0)) {
			break
		}
	}
	return l.CasActiveTermCount(termCount, nextTermCount)
}

// ProducerPosition is the position of the active term's tail: where the next append will land.
func (l *LogBuffers) ProducerPosition() int64 {
	rawTail := l.RawTailVolatile(IndexByTermCount(l.ActiveTermCount()))
	return l.ComputePosition(RawTailTermID(rawTail), RawTailTermOffset(rawTail, l.termLength))
}

func (l *LogBuffers) tailCounter(index int) *int64 {
	return int64At(l.meta, TermTailCountersOffset+8*index)
}

func getInt32(b []byte, offset int) int32 { return int32(binary.LittleEndian.Uint32(b[offset:])) }
func getInt64(b []byte, offset int) int64 { return int64(binary.LittleEndian.Uint64(b[offset:])) }
func putInt32(b []byte, offset int, v int32) {
	binary.LittleEndian.PutUint32(b[offset:], uint32(v))
}
func putInt64(b []byte, offset int, v int64) {
	binary.LittleEndian.PutUint64(b[offset:], uint64(v))
}

package concurrent

import (
	"errors"
	"fmt"
)

// Layout of the many-to-one ring buffer (Agrona ManyToOneRingBuffer, Aeron
// aeron_mpsc_rb): a power-of-two data area followed by a trailer holding the
// positions, each on its own cache-line pair.
const (
	RingBufferTrailerLength = 768

	ringTailPositionOffset       = 128
	ringHeadCachePositionOffset  = 256
	ringHeadPositionOffset       = 384
	ringCorrelationCounterOffset = 512
	ringConsumerHeartbeatOffset  = 640

	// RecordHeaderLength is the {length int32, msgTypeID int32} header.
	RecordHeaderLength = 8
	// RecordAlignment is the alignment of every record.
	RecordAlignment = 8
	// PaddingMsgTypeID marks a record that only fills space to the buffer end.
	PaddingMsgTypeID int32 = -1
)

// Errors from the ring buffer. ErrRingBufferFull is the back-pressure case:
// the driver has not consumed enough yet; retrying later can succeed.
var (
	ErrRingBufferFull   = errors.New("ring buffer full")
	ErrInvalidMsgTypeID = errors.New("message type id must be >= 1")
	ErrMessageTooLong   = errors.New("message longer than the ring buffer allows")
	ErrBadCapacity      = errors.New("buffer capacity is not a power of two")
)

// ManyToOneRingBuffer is the producer side of the to-driver command buffer.
// Any number of goroutines and processes may claim space concurrently: space
// is reserved by a CAS on the tail, and a record becomes visible to the
// driver when its length turns positive (the commit).
type ManyToOneRingBuffer struct {
	buf           []byte
	capacity      int
	maxMsgLength  int
	trailerOffset int
}

// NewManyToOneRingBuffer wraps buf, which must be a power-of-two data area
// followed by the 768-byte trailer.
func NewManyToOneRingBuffer(buf []byte) (*ManyToOneRingBuffer, error) {
	capacity := len(buf) - RingBufferTrailerLength
	if !IsPowerOfTwo(capacity) || capacity < 2*RecordAlignment {
		return nil, fmt.Errorf("%w: ring buffer length %d minus trailer %d", ErrBadCapacity, len(buf), RingBufferTrailerLength)
	}
	return &ManyToOneRingBuffer{
		buf:           buf,
		capacity:      capacity,
		maxMsgLength:  capacity / 8,
		trailerOffset: capacity,
	}, nil
}

// Capacity is the size of the data area.
func (rb *ManyToOneRingBuffer) Capacity() int { return rb.capacity }

// MaxMessageLength is the longest payload one record may carry.
func (rb *ManyToOneRingBuffer) MaxMessageLength() int { return rb.maxMsgLength }

// NextCorrelationID returns an id unique among all clients of the driver: the
// counter's value before the increment, as every Aeron client takes it (Java's
// getAndAddLong, C's fetch-add), so no two clients get the same one.
func (rb *ManyToOneRingBuffer) NextCorrelationID() int64 {
	return AddInt64(rb.buf, rb.trailerOffset+ringCorrelationCounterOffset, 1) - 1
}

// ConsumerHeartbeatMs is the epoch-ms time the driver last consumed from the
// buffer; 0 before the driver starts, -1 after it shut down.
func (rb *ManyToOneRingBuffer) ConsumerHeartbeatMs() int64 {
	return LoadInt64(rb.buf, rb.trailerOffset+ringConsumerHeartbeatOffset)
}

// Claim reserves a record for a payload of length bytes and returns the
// record's index and the payload slice to fill in. The record is invisible
// to the consumer until Commit (or Abort) is called with the index; until
// then the consumer stops at it, so claim, fill and commit promptly.
func (rb *ManyToOneRingBuffer) Claim(msgTypeID int32, length int) (int, []byte, error) {
	if msgTypeID < 1 {
		return 0, nil, ErrInvalidMsgTypeID
	}
	if length < 0 || length > rb.maxMsgLength {
		return 0, nil, ErrMessageTooLong
	}
	recordLength := length + RecordHeaderLength
	index, err := rb.claimCapacity(Align(recordLength, RecordAlignment))
	if err != nil {
		return 0, nil, err
	}
	// Negative length: claimed but not committed. Length and type go in one
	// 8-byte store so the consumer never sees a half-written header.
	StoreInt64(rb.buf, index, makeHeader(-int32(recordLength), msgTypeID))
	payload := rb.buf[index+RecordHeaderLength : index+recordLength : index+recordLength]
	return index, payload, nil
}

// Commit publishes a claimed record to the consumer.
func (rb *ManyToOneRingBuffer) Commit(index int) {
	length := LoadInt32(rb.buf, index)
	if length < 0 {
		StoreInt32(rb.buf, index, -length)
	}
}

// Abort turns a claimed record into padding that the consumer skips.
func (rb *ManyToOneRingBuffer) Abort(index int) {
	length := LoadInt32(rb.buf, index)
	if length < 0 {
		StoreInt64(rb.buf, index, makeHeader(-length, PaddingMsgTypeID))
	}
}

// Write copies payload into a new record and commits it.
func (rb *ManyToOneRingBuffer) Write(msgTypeID int32, payload []byte) error {
	index, dst, err := rb.Claim(msgTypeID, len(payload))
	if err != nil {
		return err
	}
	copy(dst, payload)
	rb.Commit(index)
	return nil
}

func makeHeader(length, msgTypeID int32) int64 {
	return int64(uint64(uint32(length)) | uint64(uint32(msgTypeID))<<32)
}

// claimCapacity reserves required bytes (already aligned) by moving the tail,
// inserting a padding record when the space left before the buffer end is too
// short, and returns the index at which the record starts.
func (rb *ManyToOneRingBuffer) claimCapacity(required int) (int, error) {
	mask := int64(rb.capacity - 1)
	capacity := int64(rb.capacity)
	need := int64(required)
	headCacheOff := rb.trailerOffset + ringHeadCachePositionOffset
	headOff := rb.trailerOffset + ringHeadPositionOffset
	tailOff := rb.trailerOffset + ringTailPositionOffset

	head := LoadInt64(rb.buf, headCacheOff)
	for {
		tail := LoadInt64(rb.buf, tailOff)
		if need > capacity-(tail-head) {
			// The cached head is stale-by-design; only reload the real head
			// (a contended line the driver writes) when the cache says full.
			head = LoadInt64(rb.buf, headOff)
			if need > capacity-(tail-head) {
				return 0, ErrRingBufferFull
			}
			StoreInt64(rb.buf, headCacheOff, head)
		}

		var padding int64
		tailIndex := tail & mask
		toBufferEnd := capacity - tailIndex
		if need > toBufferEnd {
			// The record would straddle the end: pad to the end and start
			// at index 0, which needs the driver to have consumed past need.
			headIndex := head & mask
			if need > headIndex {
				head = LoadInt64(rb.buf, headOff)
				headIndex = head & mask
				if need > headIndex {
					return 0, ErrRingBufferFull
				}
				StoreInt64(rb.buf, headCacheOff, head)
			}
			padding = toBufferEnd
		}

		if CompareAndSwapInt64(rb.buf, tailOff, tail, tail+need+padding) {
			if padding == 0 {
				return int(tailIndex), nil
			}
			StoreInt64(rb.buf, int(tailIndex), makeHeader(int32(padding), PaddingMsgTypeID))
			return 0, nil
		}
	}
}

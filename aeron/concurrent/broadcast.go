package concurrent

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Layout of the one-to-many broadcast buffer (Agrona BroadcastBuffer, Aeron
// aeron_broadcast_descriptor): a power-of-two data area followed by a trailer.
const (
	BroadcastTrailerLength = 128

	broadcastTailIntentOffset = 0
	broadcastTailOffset       = 8
	broadcastLatestOffset     = 16

	defaultScratchLength = 4096
)

// ErrLapped means the transmitter overwrote records this receiver had not
// read yet ("unable to keep up with broadcast"). Those records are lost; the
// receiver has already moved to the latest record and can keep receiving.
var ErrLapped = errors.New("broadcast receiver lapped by transmitter: messages lost")

// ErrCorruptRecord means a record header in the buffer is impossible (length
// out of range). The receiver skips to the latest record.
var ErrCorruptRecord = errors.New("broadcast buffer holds a corrupt record")

// BroadcastHandler receives one message. payload is the receiver's scratch
// buffer: valid only during the call.
type BroadcastHandler func(msgTypeID int32, payload []byte)

// BroadcastReceiver reads the to-clients buffer. The driver (transmitter)
// never waits for receivers, so a slow receiver can be lapped; every message
// is copied out first and checked afterwards against the transmitter's tail
// intent, so a handler never sees a half-overwritten message.
//
// A receiver is not safe for concurrent use.
type BroadcastReceiver struct {
	buf           []byte
	capacity      int64
	trailerOffset int
	cursor        int64
	nextRecord    int64
	recordOffset  int
	lappedCount   int64
	scratch       []byte
}

// NewBroadcastReceiver wraps buf (power-of-two data area plus 128-byte
// trailer) and starts at the latest record, so it sees only messages sent
// from now on.
func NewBroadcastReceiver(buf []byte) (*BroadcastReceiver, error) {
	capacity := len(buf) - BroadcastTrailerLength
	if !IsPowerOfTwo(capacity) || capacity < 2*RecordAlignment {
		return nil, fmt.Errorf("%w: broadcast buffer length %d minus trailer %d", ErrBadCapacity, len(buf), BroadcastTrailerLength)
	}
	r := &BroadcastReceiver{
		buf:           buf,
		capacity:      int64(capacity),
		trailerOffset: capacity,
		scratch:       make([]byte, defaultScratchLength),
	}
	latest := LoadInt64(buf, r.trailerOffset+broadcastLatestOffset)
	r.cursor, r.nextRecord = latest, latest
	r.recordOffset = int(latest & (r.capacity - 1))
	return r, nil
}

// LappedCount is how many times the receiver was lapped and resynced.
func (r *BroadcastReceiver) LappedCount() int64 { return r.lappedCount }

// Capacity is the size of the data area.
func (r *BroadcastReceiver) Capacity() int { return int(r.capacity) }

// Receive delivers at most one message to handler and reports how many it
// delivered. On ErrLapped or ErrCorruptRecord nothing is delivered and the
// receiver has resynced to the transmitter's latest record.
func (r *BroadcastReceiver) Receive(handler BroadcastHandler) (int, error) {
	lappedBefore := r.lappedCount
	available, err := r.receiveNext()
	if err != nil || !available {
		return 0, err
	}
	if r.lappedCount != lappedBefore {
		return 0, ErrLapped
	}

	length := int(LoadInt32(r.buf, r.recordOffset)) - RecordHeaderLength
	msgTypeID := LoadInt32(r.buf, r.recordOffset+4)
	if length < 0 || r.recordOffset+RecordHeaderLength+length > int(r.capacity) {
		r.resync()
		return 0, ErrCorruptRecord
	}
	if length > len(r.scratch) {
		r.scratch = make([]byte, Align(length, RecordAlignment))
	}
	// Copy word by word with atomic loads: the transmitter may be
	// overwriting this record right now; atomics keep that a well-defined
	// (if stale) read, and the check below discards it.
	aligned := Align(length, RecordAlignment)
	src := r.recordOffset + RecordHeaderLength
	for i := 0; i < aligned; i += 8 {
		binary.LittleEndian.PutUint64(r.scratch[i:], uint64(LoadInt64(r.buf, src+i)))
	}
	if !r.validate(r.cursor) {
		r.lappedCount++
		r.resync()
		return 0, ErrLapped
	}
	handler(msgTypeID, r.scratch[:length])
	return 1, nil
}

// validate reports whether the record at cursor cannot have been overwritten:
// the transmitter has not announced a tail a full lap beyond it.
func (r *BroadcastReceiver) validate(cursor int64) bool {
	return cursor+r.capacity > LoadInt64(r.buf, r.trailerOffset+broadcastTailIntentOffset)
}

func (r *BroadcastReceiver) resync() {
	latest := LoadInt64(r.buf, r.trailerOffset+broadcastLatestOffset)
	r.cursor, r.nextRecord = latest, latest
	r.recordOffset = int(latest & (r.capacity - 1))
}

// receiveNext moves to the next record if the transmitter has published one.
func (r *BroadcastReceiver) receiveNext() (bool, error) {
	tail := LoadInt64(r.buf, r.trailerOffset+broadcastTailOffset)
	cursor := r.nextRecord
	if tail <= cursor {
		return false, nil
	}
	mask := r.capacity - 1
	if !r.validate(cursor) {
		r.lappedCount++
		cursor = LoadInt64(r.buf, r.trailerOffset+broadcastLatestOffset)
	}
	offset := int(cursor & mask)
	length, ok := r.recordLength(offset)
	if !ok {
		r.resync()
		return false, ErrCorruptRecord
	}
	r.cursor = cursor
	r.nextRecord = cursor + int64(Align(length, RecordAlignment))

	if LoadInt32(r.buf, offset+4) == PaddingMsgTypeID {
		// Padding fills the space up to the end; the real record is at 0.
		offset = 0
		length, ok = r.recordLength(0)
		if !ok {
			r.resync()
			return false, ErrCorruptRecord
		}
		r.cursor = r.nextRecord
		r.nextRecord += int64(Align(length, RecordAlignment))
	}
	r.recordOffset = offset
	return true, nil
}

// recordLength reads the record length at offset and checks that the record
// fits in the data area; a torn or corrupt header must not send the receiver
// outside the buffer.
func (r *BroadcastReceiver) recordLength(offset int) (int, bool) {
	length := int(LoadInt32(r.buf, offset))
	if length < RecordHeaderLength || int64(offset)+int64(Align(length, RecordAlignment)) > r.capacity {
		return 0, false
	}
	return length, true
}

// Package counters reads the media driver's counters: a metadata buffer of
// 512-byte records (state, type id, key, label) and a values buffer of
// 128-byte records (value, registration id, owner id, reference id), both
// indexed by counter id and both inside the CnC file.
//
// Memory ordering: the driver allocates a record by writing its metadata and
// then release-storing state = Allocated, so the state is read atomically
// first and the rest of the record only after it reads Allocated. Values are
// read and written with sync/atomic.
package counters

import (
	"fmt"

	"github.com/tensorpool/tensorpool/aeron/concurrent"
)

// Record layout.
const (
	MetadataRecordLength = 512
	ValueRecordLength    = 128
	MaxKeyLength         = 112
	MaxLabelLength       = 380

	stateOffset          = 0
	typeIDOffset         = 4
	freeForReuseOffset   = 8
	keyOffset            = 16
	labelLengthOffset    = 128
	labelOffset          = 132
	valueOffset          = 0
	registrationIDOffset = 8
	ownerIDOffset        = 16
	referenceIDOffset    = 24
)

// Record states.
const (
	StateUnused    int32 = 0
	StateAllocated int32 = 1
	StateReclaimed int32 = -1
)

// Type ids the driver uses (AeronCounters).
const (
	TypeSystem                   int32 = 0
	TypePublisherLimit           int32 = 1
	TypeSenderPosition           int32 = 2
	TypeReceiverHWM              int32 = 3
	TypeSubscriberPosition       int32 = 4
	TypeReceiverPosition         int32 = 5
	TypeSendChannelStatus        int32 = 6
	TypeReceiveChannelStatus     int32 = 7
	TypeSenderLimit              int32 = 9
	TypePerImage                 int32 = 10
	TypeClientHeartbeatTimestamp int32 = 11
	TypePublisherPosition        int32 = 12
	TypeSenderBPE                int32 = 13
	TypeLocalSocketAddress       int32 = 14
)

// System counter ids (registration ids of type-0 counters) used by clients.
const (
	SystemCounterErrors                 int64 = 15
	SystemCounterClientTimeouts         int64 = 24
	SystemCounterAeronVersion           int64 = 34
	SystemCounterControlProtocolVersion int64 = 43
)

// NullCounterID means "no counter".
const NullCounterID int32 = -1

// Reader reads counters. It is safe for concurrent use; it only reads,
// except through Addr.
type Reader struct {
	metadata     []byte
	values       []byte
	maxCounterID int32
}

// NewReader wraps the two buffers of the CnC file.
func NewReader(metadata, values []byte) (*Reader, error) {
	if len(values)%ValueRecordLength != 0 {
		return nil, fmt.Errorf("counters: values buffer length %d is not a multiple of %d", len(values), ValueRecordLength)
	}
	n := len(values) / ValueRecordLength
	if len(metadata) < n*MetadataRecordLength {
		return nil, fmt.Errorf("counters: metadata buffer length %d too short for %d counters", len(metadata), n)
	}
	return &Reader{metadata: metadata, values: values, maxCounterID: int32(n - 1)}, nil
}

// MaxCounterID is the highest id the buffers can hold.
func (r *Reader) MaxCounterID() int32 { return r.maxCounterID }

func (r *Reader) valid(id int32) bool { return id >= 0 && id <= r.maxCounterID }

func metaOff(id int32) int  { return int(id) * MetadataRecordLength }
func valueOff(id int32) int { return int(id) * ValueRecordLength }

// State returns the record state, StateUnused for ids out of range.
func (r *Reader) State(id int32) int32 {
	if !r.valid(id) {
		return StateUnused
	}
	return concurrent.LoadInt32(r.metadata, metaOff(id)+stateOffset)
}

// TypeID returns the counter's type id.
func (r *Reader) TypeID(id int32) int32 {
	if !r.valid(id) {
		return 0
	}
	return concurrent.LoadInt32(r.metadata, metaOff(id)+typeIDOffset)
}

// Key returns the 112 key bytes, aliasing the mapped buffer: read them only
// while the counter stays allocated and the CnC stays mapped.
func (r *Reader) Key(id int32) []byte {
	if !r.valid(id) {
		return nil
	}
	off := metaOff(id) + keyOffset
	return r.metadata[off : off+MaxKeyLength : off+MaxKeyLength]
}

// KeyRegistrationID reads the first 8 key bytes as an int64, the layout the
// driver uses for heartbeat and stream-position counters.
func (r *Reader) KeyRegistrationID(id int32) int64 {
	if !r.valid(id) {
		return 0
	}
	return concurrent.LoadInt64(r.metadata, metaOff(id)+keyOffset)
}

// AppendLabel appends the counter's label to dst without allocating when dst
// has room.
func (r *Reader) AppendLabel(dst []byte, id int32) []byte {
	if !r.valid(id) {
		return dst
	}
	off := metaOff(id)
	n := concurrent.LoadInt32(r.metadata, off+labelLengthOffset)
	n = max(0, min(n, MaxLabelLength))
	return append(dst, r.metadata[off+labelOffset:off+labelOffset+int(n)]...)
}

// Label returns the counter's label.
func (r *Reader) Label(id int32) string { return string(r.AppendLabel(nil, id)) }

// Value atomically reads the counter's value.
func (r *Reader) Value(id int32) int64 {
	if !r.valid(id) {
		return 0
	}
	return concurrent.LoadInt64(r.values, valueOff(id)+valueOffset)
}

// RegistrationID is the id of the registration that created the counter.
func (r *Reader) RegistrationID(id int32) int64 {
	if !r.valid(id) {
		return 0
	}
	return concurrent.LoadInt64(r.values, valueOff(id)+registrationIDOffset)
}

// OwnerID is the client id that owns the counter (0 for driver counters).
func (r *Reader) OwnerID(id int32) int64 {
	if !r.valid(id) {
		return 0
	}
	return concurrent.LoadInt64(r.values, valueOff(id)+ownerIDOffset)
}

// ReferenceID is the counter's reference id.
func (r *Reader) ReferenceID(id int32) int64 {
	if !r.valid(id) {
		return 0
	}
	return concurrent.LoadInt64(r.values, valueOff(id)+referenceIDOffset)
}

// Addr returns the counter's value word for atomic updates by its owner, or
// nil for ids out of range. Access it only through sync/atomic and only while
// the CnC stays mapped.
func (r *Reader) Addr(id int32) *int64 {
	if !r.valid(id) {
		return nil
	}
	return concurrent.Int64Addr(r.values, valueOff(id)+valueOffset)
}

// Counter is a snapshot of one allocated counter.
type Counter struct {
	ID             int32
	TypeID         int32
	Value          int64
	RegistrationID int64
	OwnerID        int64
	Key            []byte // aliases the mapped buffer
	Label          string
}

// ForEach calls fn for every allocated counter in id order until fn returns
// false. Like the C and Java readers it stops at the first never-used record:
// the driver allocates ids from the bottom up.
func (r *Reader) ForEach(fn func(c Counter) bool) {
	for id := int32(0); id <= r.maxCounterID; id++ {
		switch r.State(id) {
		case StateAllocated:
			c := Counter{
				ID:             id,
				TypeID:         r.TypeID(id),
				Value:          r.Value(id),
				RegistrationID: r.RegistrationID(id),
				OwnerID:        r.OwnerID(id),
				Key:            r.Key(id),
				Label:          r.Label(id),
			}
			if !fn(c) {
				return
			}
		case StateUnused:
			return
		}
	}
}

// FindByTypeAndKeyRegistrationID returns the id of the allocated counter with
// the given type whose key starts with registrationID, or NullCounterID.
func (r *Reader) FindByTypeAndKeyRegistrationID(typeID int32, registrationID int64) int32 {
	for id := int32(0); id <= r.maxCounterID; id++ {
		state := r.State(id)
		if state == StateUnused {
			break
		}
		if state == StateAllocated && r.TypeID(id) == typeID && r.KeyRegistrationID(id) == registrationID {
			return id
		}
	}
	return NullCounterID
}

// IsActive reports whether counter id is still allocated with the given type
// and key registration id (a heartbeat counter the driver has not reclaimed).
func (r *Reader) IsActive(id, typeID int32, registrationID int64) bool {
	return r.State(id) == StateAllocated && r.TypeID(id) == typeID && r.KeyRegistrationID(id) == registrationID
}

// FindSystemCounter returns the id of the system counter with the given
// system id, or NullCounterID.
func (r *Reader) FindSystemCounter(systemID int64) int32 {
	for id := int32(0); id <= r.maxCounterID; id++ {
		state := r.State(id)
		if state == StateUnused {
			break
		}
		if state == StateAllocated && r.TypeID(id) == TypeSystem && r.RegistrationID(id) == systemID {
			return id
		}
	}
	return NullCounterID
}

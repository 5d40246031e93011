package counters

import (
	"encoding/binary"
	"testing"
)

// allocate writes a record the way the driver's counters manager does,
// state last.
func allocate(meta, values []byte, id int32, typeID int32, keyRegistrationID int64, label string, value int64, state int32) {
	m := meta[int(id)*MetadataRecordLength:]
	binary.LittleEndian.PutUint32(m[typeIDOffset:], uint32(typeID))
	binary.LittleEndian.PutUint64(m[keyOffset:], uint64(keyRegistrationID))
	binary.LittleEndian.PutUint32(m[labelLengthOffset:], uint32(len(label)))
	copy(m[labelOffset:], label)
	v := values[int(id)*ValueRecordLength:]
	binary.LittleEndian.PutUint64(v[valueOffset:], uint64(value))
	binary.LittleEndian.PutUint64(v[registrationIDOffset:], uint64(100+id))
	binary.LittleEndian.PutUint32(m[stateOffset:], uint32(state))
}

func TestReaderIteratesAllocatedCounters(t *testing.T) {
	meta := make([]byte, 8*MetadataRecordLength)
	values := make([]byte, 8*ValueRecordLength)
	r, err := NewReader(meta, values)
	if err != nil {
		t.Fatal(err)
	}
	allocate(meta, values, 0, TypeSystem, 0, "Bytes sent", 10, StateAllocated)
	allocate(meta, values, 1, TypeClientHeartbeatTimestamp, 42, "client-heartbeat: 42", 11, StateReclaimed)
	allocate(meta, values, 2, TypeClientHeartbeatTimestamp, 42, "client-heartbeat: 42", 12, StateAllocated)
	allocate(meta, values, 4, 1001, 0, "beyond an unused record", 13, StateAllocated)

	var ids []int32
	r.ForEach(func(c Counter) bool { ids = append(ids, c.ID); return true })
	if len(ids) != 2 || ids[0] != 0 || ids[1] != 2 {
		t.Fatalf("ForEach visited %v, want [0 2]", ids)
	}
	if id := r.FindByTypeAndKeyRegistrationID(TypeClientHeartbeatTimestamp, 42); id != 2 {
		t.Fatalf("heartbeat lookup found %d, want 2 (1 is reclaimed)", id)
	}
	if !r.IsActive(2, TypeClientHeartbeatTimestamp, 42) || r.IsActive(1, TypeClientHeartbeatTimestamp, 42) {
		t.Fatal("IsActive wrong")
	}
	if r.FindSystemCounter(100) != 0 || r.Label(0) != "Bytes sent" || r.Value(2) != 12 {
		t.Fatalf("system counter %d label %q value %d", r.FindSystemCounter(100), r.Label(0), r.Value(2))
	}
}

func TestReaderToleratesCorruptRecords(t *testing.T) {
	meta := make([]byte, 2*MetadataRecordLength)
	values := make([]byte, 2*ValueRecordLength)
	r, err := NewReader(meta, values)
	if err != nil {
		t.Fatal(err)
	}
	allocate(meta, values, 0, 1, 0, "", 0, StateAllocated)
	binary.LittleEndian.PutUint32(meta[labelLengthOffset:], 1<<30)
	if n := len(r.Label(0)); n != MaxLabelLength {
		t.Fatalf("corrupt label length gave %d bytes", n)
	}
	binary.LittleEndian.PutUint32(meta[labelLengthOffset:], 0xFFFFFFFF)
	if r.Label(0) != "" {
		t.Fatal("negative label length not clamped")
	}
	for _, id := range []int32{-1, 2, 1 << 30} {
		if r.State(id) != StateUnused || r.Value(id) != 0 || r.Addr(id) != nil || r.Key(id) != nil || r.Label(id) != "" {
			t.Fatalf("id %d out of range not handled", id)
		}
	}
	if _, err := NewReader(make([]byte, 10), make([]byte, 2*ValueRecordLength)); err == nil {
		t.Fatal("short metadata accepted")
	}
	if _, err := NewReader(meta, make([]byte, 100)); err == nil {
		t.Fatal("values length not a multiple of 128 accepted")
	}
}

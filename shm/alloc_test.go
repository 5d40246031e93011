package shm

import "testing"

// The data path allocates nothing (design: no allocation after mapping).
func TestDataPathDoesNotAllocate(t *testing.T) {
	ring := heapRing(t, 4)
	pool := testPool
	slot, _ := ring.Slot(2)
	h, tensor := validSlotHeader(2), validTensor()
	tensor.ProgressUnit, tensor.ProgressStrideBytes = ProgressUnitRows, 16
	var gotH SlotHeader
	var gotT TensorHeader
	seq := uint64(2)
	cases := map[string]func(){
		"BeginWrite+Commit": func() { slot.BeginWrite(seq); slot.Commit(seq) },
		"EncodeHeader":      func() { slot.EncodeHeader(&h, &tensor) },
		"DecodeHeader":      func() { slot.DecodeHeader(&gotH, &gotT) },
		"TensorEncode":      func() { slot.Tensor().Encode(&tensor) },
		"TensorDecode":      func() { slot.Tensor().Decode(&gotT) },
		"ReadBegin+ReadEnd": func() {
			first, _ := slot.ReadBegin(seq)
			_ = slot.ReadEnd(first)
		},
		"TryRead":              func() { _ = slot.TryRead(seq, &gotH, &gotT) },
		"ValidateTensorHeader": func() { _ = ValidateTensorHeader(&tensor) },
		"ValidateSlotHeader":   func() { _ = ValidateSlotHeader(&h, 2, pool) },
		"RingSlot":             func() { _, _ = ring.Slot(3) },
		"RingSlotOutOfRange":   func() { _, _ = ring.Slot(99) },
	}
	writeFrame(slot, seq, &h, &tensor)
	for name, fn := range cases {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s allocates %.1f times per run", name, n)
		}
	}
	requireDrop(t, slot.TryRead(seq, &gotH, &gotT), DropNone)
}

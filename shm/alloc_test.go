//go:build !race

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

// Guard leaves other panics alone and costs no allocation when nothing faults.
func TestGuardPassesOtherPanicsAndDoesNotAllocate(t *testing.T) {
	rf := newRegionFiles(t)
	r := createRegion(t, HeaderRingPath(rf.dir), HeaderRingSuperblock(7, 1001, 8))
	func() {
		defer func() {
			if p := recover(); p != "not a fault" {
				t.Fatalf("recovered %v, want the original panic", p)
			}
		}()
		_ = r.Guard(func([]byte) { panic("not a fault") })
	}()
	var ts uint64
	allocs := testing.AllocsPerRun(100, func() {
		ts++
		if r.Guard(func(b []byte) { StoreActivityTimestamp(b, ts) }) != nil {
			panic("fault")
		}
	})
	if allocs != 0 {
		t.Fatalf("Guard allocated %v times a run", allocs)
	}
}

// The new data-path calls allocate nothing, like the rest of the slot API.
func TestEncodedTensorHeaderDoesNotAllocate(t *testing.T) {
	slot := newHeapSlot()
	h, tensor := validSlotHeader(0), fullTensor()
	other := validTensor()
	var e, o, loaded EncodedTensorHeader
	var gotH SlotHeader
	var gotT TensorHeader
	o.Encode(&other)
	cases := map[string]func(){
		"Encode":                       func() { e.Encode(&tensor) },
		"Decode":                       func() { e.Decode(&gotT) },
		"EncodeHeaderLines same shape": func() { encodeHeaderLines(slot, &h, &e) },
		"EncodeHeaderLines new shape": func() {
			encodeHeaderLines(slot, &h, &o)
			encodeHeaderLines(slot, &h, &e)
		},
		"HasEncodedTensor":  func() { _ = slot.HasEncodedTensor(&e) },
		"LoadEncodedTensor": func() { slot.LoadEncodedTensor(&loaded) },
		"DecodeFixed":       func() { slot.DecodeFixed(&gotH) },
		"ValidateEmbedded":  func() { _ = ValidateEmbedded(slot, &loaded) },
	}
	e.Encode(&tensor)
	encodeHeaderLines(slot, &h, &e)
	for name, fn := range cases {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s allocates %.1f times per run", name, n)
		}
	}
}

package shm

import "testing"

func BenchmarkSeqlockWriteCommit(b *testing.B) {
	slot := newHeapSlot()
	b.ReportAllocs()
	for i := range uint64(b.N) {
		slot.BeginWrite(i)
		slot.Commit(i)
	}
}

func BenchmarkSeqlockRead(b *testing.B) {
	slot := newHeapSlot()
	slot.BeginWrite(1)
	slot.Commit(1)
	b.ReportAllocs()
	for b.Loop() {
		first, r := slot.ReadBegin(1)
		if r != DropNone || slot.ReadEnd(first) != DropNone {
			b.Fatal("read dropped")
		}
	}
}

func BenchmarkSlotHeaderEncode(b *testing.B) {
	slot := newHeapSlot()
	h, tensor := validSlotHeader(0), validTensor()
	b.ReportAllocs()
	for b.Loop() {
		slot.EncodeHeader(&h, &tensor)
	}
}

func BenchmarkSlotHeaderDecode(b *testing.B) {
	slot := newHeapSlot()
	h, tensor := validSlotHeader(0), validTensor()
	slot.EncodeHeader(&h, &tensor)
	b.ReportAllocs()
	for b.Loop() {
		slot.DecodeHeader(&h, &tensor)
	}
}

func BenchmarkTensorHeaderEncode(b *testing.B) {
	view := newHeapSlot().Tensor()
	tensor := validTensor()
	b.ReportAllocs()
	for b.Loop() {
		view.Encode(&tensor)
	}
}

func BenchmarkTensorHeaderDecode(b *testing.B) {
	view := newHeapSlot().Tensor()
	tensor := validTensor()
	view.Encode(&tensor)
	b.ReportAllocs()
	for b.Loop() {
		view.Decode(&tensor)
	}
}

func BenchmarkTensorHeaderValidate(b *testing.B) {
	tensor := validTensor()
	tensor.ProgressUnit, tensor.ProgressStrideBytes = ProgressUnitRows, 16
	b.ReportAllocs()
	for b.Loop() {
		if ValidateTensorHeader(&tensor) != DropNone {
			b.Fatal("rejected")
		}
	}
}

// BenchmarkFrameWriteRead is one whole header round trip: producer write and commit,
// consumer TryRead and validation.
func BenchmarkFrameWriteRead(b *testing.B) {
	slot := newHeapSlot()
	h, tensor := validSlotHeader(0), validTensor()
	var gotH SlotHeader
	var gotT TensorHeader
	b.ReportAllocs()
	for i := range uint64(b.N) {
		slot.BeginWrite(i)
		slot.EncodeHeader(&h, &tensor)
		slot.Commit(i)
		if slot.TryRead(i, &gotH, &gotT) != DropNone || ValidateTensorHeader(&gotT) != DropNone ||
			ValidateSlotHeader(&gotH, 0, testPool) != DropNone {
			b.Fatal("frame dropped")
		}
	}
}

// BenchmarkBaselineSlotCopy is the yardstick for the header benchmarks above: copying one
// whole 256-byte slot with memmove, which is what any header write or read must at least cost.
func BenchmarkBaselineSlotCopy(b *testing.B) {
	src, dst := newHeapSlot(), newHeapSlot()
	b.ReportAllocs()
	for b.Loop() {
		copy(dst.Bytes(), src.Bytes())
	}
}

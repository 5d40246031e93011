package shm

import "testing"

// Mapped bytes come from another process and are untrusted: whatever a header slot or
// superblock holds, decoding and validation must return a verdict, never panic.

func FuzzHeaderSlot(f *testing.F) {
	slot := newHeapSlot()
	h, tensor := validSlotHeader(0), validTensor()
	writeFrame(slot, 3, &h, &tensor)
	f.Add(append([]byte(nil), slot.Bytes()...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		slot := newHeapSlot()
		copy(slot.Bytes(), data)
		var h SlotHeader
		var tensor TensorHeader
		if slot.TryRead(SequenceOf(slot.SeqCommit()), &h, &tensor) != DropNone {
			return
		}
		_ = ValidateSlotHeader(&h, 0, testPool)
		strides, r := tensor.ResolvedStrides()
		if r != DropNone {
			return
		}
		for i := range int(tensor.Ndims) {
			if strides[i] < tensor.Dtype.ElemSize() {
				t.Fatalf("accepted tensor %+v has stride[%d] = %d", tensor, i, strides[i])
			}
		}
	})
}

func FuzzSuperblock(f *testing.F) {
	want := sampleSuperblock()
	encoded := NewHeapRegion(SuperblockSize).Bytes()
	if err := EncodeSuperblock(encoded, &want); err != nil {
		f.Fatal(err)
	}
	f.Add(append([]byte(nil), encoded...))
	f.Add(encoded[:63])
	f.Fuzz(func(t *testing.T, data []byte) {
		region := NewHeapRegion(len(data)).Bytes()
		copy(region, data)
		sb, err := DecodeSuperblock(region)
		if err != nil {
			return
		}
		if sb.Matches(&want) == nil && sb.Epoch != want.Epoch {
			t.Fatalf("superblock with epoch %d matched epoch %d", sb.Epoch, want.Epoch)
		}
		if sb.ValidateGeometry() == nil {
			if _, err := sb.RegionSize(); err != nil {
				t.Fatalf("valid geometry without a size: %v", err)
			}
		}
	})
}

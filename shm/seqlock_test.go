package shm

import (
	"encoding/binary"
	"testing"
)

func writeFrame(slot HeaderSlot, seq uint64, h *SlotHeader, tensor *TensorHeader) {
	slot.BeginWrite(seq)
	slot.EncodeHeader(h, tensor)
	slot.Commit(seq)
}

func TestWireSpec_8_3_CommitEncoding(t *testing.T) {
	for _, seq := range []uint64{0, 1, 2, 1<<62 + 5, 1<<63 - 1} {
		if w := InProgress(seq); w&1 != 0 || SequenceOf(w) != seq || IsCommitted(w) {
			t.Fatalf("in-progress word %#x for seq %d", w, seq)
		}
		if w := Committed(seq); w&1 != 1 || SequenceOf(w) != seq || !IsCommitted(w) {
			t.Fatalf("committed word %#x for seq %d", w, seq)
		}
	}
}

func TestWireSpec_8_3_WriterStates(t *testing.T) {
	forEachRegionKind(t, func(t *testing.T, newRegion func(int) Region) {
		slot, _ := newTestRing(t, newRegion, 2).Slot(1)
		slot.BeginWrite(9)
		if got := binary.LittleEndian.Uint64(slot.Bytes()); got != 9<<1 {
			t.Fatalf("after BeginWrite seq_commit = %#x, want %#x", got, 9<<1)
		}
		slot.Commit(9)
		if got := binary.LittleEndian.Uint64(slot.Bytes()); got != 9<<1|1 {
			t.Fatalf("after Commit seq_commit = %#x, want %#x", got, 9<<1|1)
		}
	})
}

func TestWireSpec_8_3_ReaderDropsInProgressSlot(t *testing.T) {
	forEachRegionKind(t, func(t *testing.T, newRegion func(int) Region) {
		slot, _ := newTestRing(t, newRegion, 1).Slot(0)
		slot.BeginWrite(3)
		var h SlotHeader
		var tensor TensorHeader
		requireDrop(t, slot.TryRead(3, &h, &tensor), DropNotCommitted)
	})
}

func TestWireSpec_8_3_ReaderDropsOtherSequence(t *testing.T) {
	slot, _ := heapRing(t, 1).Slot(0)
	h, tensor := validSlotHeader(0), validTensor()
	writeFrame(slot, 4, &h, &tensor)
	requireDrop(t, slot.TryRead(3, &h, &tensor), DropSequenceMismatch)
	requireDrop(t, slot.TryRead(5, &h, &tensor), DropSequenceMismatch)
}

func TestWireSpec_8_3_ReaderDropsWhenWordChangesDuringRead(t *testing.T) {
	forEachRegionKind(t, func(t *testing.T, newRegion func(int) Region) {
		slot, _ := newTestRing(t, newRegion, 1).Slot(0)
		h, tensor := validSlotHeader(0), validTensor()
		writeFrame(slot, 4, &h, &tensor)
		first, r := slot.ReadBegin(4)
		requireDrop(t, r, DropNone)
		slot.BeginWrite(5) // overwritten mid-read
		requireDrop(t, slot.ReadEnd(first), DropChanged)
		slot.Commit(5)
		requireDrop(t, slot.ReadEnd(first), DropChanged)
	})
}

func TestWireSpec_8_3_ReaderAcceptsStableCommittedFrame(t *testing.T) {
	forEachRegionKind(t, func(t *testing.T, newRegion func(int) Region) {
		slot, _ := newTestRing(t, newRegion, 1).Slot(0)
		wantH, wantT := validSlotHeader(0), validTensor()
		writeFrame(slot, 17, &wantH, &wantT)
		var h SlotHeader
		var tensor TensorHeader
		requireDrop(t, slot.TryRead(17, &h, &tensor), DropNone)
		wantH.SeqCommit = Committed(17)
		if h != wantH || tensor != wantT {
			t.Fatalf("read %+v %+v", h, tensor)
		}
	})
}

func TestWireSpec_8_3_EmbeddedHeaderValidated(t *testing.T) {
	cases := []struct {
		name   string
		offset int
		value  uint32
		size   int
		want   DropReason
	}{
		{"headerBytes length", slotHeaderBytesLenOffset, 191, 4, DropHeaderBytesLength},
		{"headerBytes length zero", slotHeaderBytesLenOffset, 0, 4, DropHeaderBytesLength},
		{"blockLength", embeddedBlockLengthOffset, 185, 2, DropEmbeddedBlockLength},
		{"templateId", embeddedTemplateIDOffset, 51, 2, DropEmbeddedTemplateID},
		{"schemaId", embeddedSchemaIDOffset, 901, 2, DropEmbeddedSchemaID},
		{"version", embeddedVersionOffset, 2, 2, DropEmbeddedVersion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			slot, _ := heapRing(t, 1).Slot(0)
			h, tensor := validSlotHeader(0), validTensor()
			slot.BeginWrite(1)
			slot.EncodeHeader(&h, &tensor)
			if c.size == 4 {
				binary.LittleEndian.PutUint32(slot.Bytes()[c.offset:], c.value)
			} else {
				binary.LittleEndian.PutUint16(slot.Bytes()[c.offset:], uint16(c.value))
			}
			slot.Commit(1)
			requireDrop(t, ValidateEmbeddedHeader(slot), c.want)
			requireDrop(t, slot.TryRead(1, &h, &tensor), c.want)
		})
	}
}

func TestDropReasonNamesSection(t *testing.T) {
	for r := DropReason(1); r < dropReasonCount; r++ {
		if r.Section() == "" || r.String() == "" {
			t.Fatalf("drop reason %d has no section or text", r)
		}
	}
	if DropReason(200).String() != "unknown drop reason" || DropNone.String() != "accepted" {
		t.Fatal("unexpected text for DropNone or out-of-range reason")
	}
}

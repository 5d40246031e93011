package shm

import (
	"encoding/binary"
	"testing"
	"unsafe"
)

func fullTensor() TensorHeader {
	return TensorHeader{
		Dtype:               DtypeInt16,
		MajorOrder:          MajorOrderColumn,
		Ndims:               MaxDims,
		ProgressUnit:        ProgressUnitColumns,
		ProgressStrideBytes: 0x01020304,
		Dims:                [MaxDims]int32{1, 2, 3, 4, 5, 6, 7, 0x7fffffff},
		Strides:             [MaxDims]int32{2, 4, 16, 64, 0, 0, 0, -1},
	}
}

func TestWireSpec_8_1_HeaderSlotOffsets(t *testing.T) {
	forEachRegionKind(t, func(t *testing.T, newRegion func(int) Region) {
		ring := newTestRing(t, newRegion, 4)
		base := uintptr(unsafe.Pointer(&ring.mem[0]))
		for i := range uint32(4) {
			slot, r := ring.Slot(i)
			requireDrop(t, r, DropNone)
			off := uintptr(unsafe.Pointer(&slot.Bytes()[0])) - base
			if off != uintptr(64+256*i) {
				t.Fatalf("slot %d at %d", i, off)
			}
			if uintptr(unsafe.Pointer(slot.seqWord()))%8 != 0 {
				t.Fatalf("slot %d seq_commit not 8-byte aligned", i)
			}
		}
	})
}

func TestWireSpec_10_2_1_HeaderIndexOutOfRangeDropped(t *testing.T) {
	ring := heapRing(t, 4)
	_, r := ring.Slot(4)
	requireDrop(t, r, DropHeaderIndexOutOfRange)
	_, r = ring.Slot(^uint32(0))
	requireDrop(t, r, DropHeaderIndexOutOfRange)
	if ring.HeaderIndex(13) != 1 {
		t.Fatalf("header_index(13) = %d, want 13 & 3", ring.HeaderIndex(13))
	}
}

func TestHeaderSlotFieldOffsets(t *testing.T) {
	ring := heapRing(t, 1)
	slot, _ := ring.Slot(0)
	h := SlotHeader{ValuesLenBytes: 0xA1A2A3A4, PayloadSlot: 0xB1B2B3B4, PoolID: 0xC1C2,
		PayloadOffset: 0xD1D2D3D4, TimestampNs: 0xE1E2E3E4E5E6E7E8, MetaVersion: 0xF1F2F3F4}
	tensor := fullTensor()
	slot.EncodeHeader(&h, &tensor)
	b := slot.Bytes()
	le := binary.LittleEndian
	checks := []struct {
		name      string
		got, want uint64
	}{
		{"values_len_bytes@8", uint64(le.Uint32(b[8:])), 0xA1A2A3A4},
		{"payload_slot@12", uint64(le.Uint32(b[12:])), 0xB1B2B3B4},
		{"pool_id@16", uint64(le.Uint16(b[16:])), 0xC1C2},
		{"payload_offset@18", uint64(le.Uint32(b[18:])), 0xD1D2D3D4},
		{"timestamp_ns@22", le.Uint64(b[22:]), 0xE1E2E3E4E5E6E7E8},
		{"meta_version@30", uint64(le.Uint32(b[30:])), 0xF1F2F3F4},
		{"headerBytes length@60", uint64(le.Uint32(b[60:])), 192},
		{"embedded blockLength@64", uint64(le.Uint16(b[64:])), 184},
		{"embedded templateId@66", uint64(le.Uint16(b[66:])), 52},
		{"embedded schemaId@68", uint64(le.Uint16(b[68:])), 900},
		{"embedded version@70", uint64(le.Uint16(b[70:])), 1},
		{"dtype@72", uint64(le.Uint16(b[72:])), uint64(DtypeInt16)},
		{"major_order@74", uint64(le.Uint16(b[74:])), uint64(MajorOrderColumn)},
		{"ndims@76", uint64(b[76]), 8},
		{"pad_align@77", uint64(b[77]), 0},
		{"progress_unit@78", uint64(b[78]), uint64(ProgressUnitColumns)},
		{"progress_stride_bytes@79", uint64(le.Uint32(b[79:])), 0x01020304},
		{"dims[0]@83", uint64(le.Uint32(b[83:])), 1},
		{"dims[7]@111", uint64(le.Uint32(b[111:])), 0x7fffffff},
		{"strides[0]@115", uint64(le.Uint32(b[115:])), 2},
		{"strides[3]@127", uint64(le.Uint32(b[127:])), 64},
		{"strides[7]@143", uint64(le.Uint32(b[143:])), 0xffffffff},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func TestHeaderSlotRoundTrip(t *testing.T) {
	forEachRegionKind(t, func(t *testing.T, newRegion func(int) Region) {
		ring := newTestRing(t, newRegion, 2)
		slot, _ := ring.Slot(1)
		wantH := validSlotHeader(1)
		wantT := fullTensor()
		slot.BeginWrite(5)
		slot.EncodeHeader(&wantH, &wantT)
		slot.Commit(5)
		var gotH SlotHeader
		var gotT TensorHeader
		slot.DecodeHeader(&gotH, &gotT)
		wantH.SeqCommit = Committed(5)
		if gotH != wantH {
			t.Fatalf("slot header %+v, want %+v", gotH, wantH)
		}
		if gotT != wantT {
			t.Fatalf("tensor header %+v, want %+v", gotT, wantT)
		}
	})
}

func TestHeaderSlotAccessors(t *testing.T) {
	slot, _ := heapRing(t, 1).Slot(0)
	slot.SetValuesLenBytes(1)
	slot.SetPayloadSlot(2)
	slot.SetPoolID(3)
	slot.SetPayloadOffset(4)
	slot.SetTimestampNs(5)
	slot.SetMetaVersion(6)
	if slot.ValuesLenBytes() != 1 || slot.PayloadSlot() != 2 || slot.PoolID() != 3 ||
		slot.PayloadOffset() != 4 || slot.TimestampNs() != 5 || slot.MetaVersion() != 6 {
		t.Fatal("slot header accessors disagree with setters")
	}
	v := slot.Tensor()
	v.SetDtype(DtypeBit)
	v.SetMajorOrder(MajorOrderRow)
	v.SetNdims(3)
	v.SetPadAlign(9)
	v.SetProgressUnit(ProgressUnitRows)
	v.SetProgressStrideBytes(77)
	v.SetDim(2, -5)
	v.SetStride(7, 1<<30)
	if v.Dtype() != DtypeBit || v.MajorOrder() != MajorOrderRow || v.Ndims() != 3 || v.PadAlign() != 9 ||
		v.ProgressUnit() != ProgressUnitRows || v.ProgressStrideBytes() != 77 || v.Dim(2) != -5 || v.Stride(7) != 1<<30 {
		t.Fatal("tensor header accessors disagree with setters")
	}
}

// A producer overwrites the whole slot; nothing of an earlier frame survives (§8.3
// producer step 3), and dims/strides at and beyond ndims are zero (§8.2).
func TestWireSpec_8_2_ProducerZeroFillsUnusedDimsAndPadding(t *testing.T) {
	slot, _ := heapRing(t, 1).Slot(0)
	b := slot.Bytes()
	for i := 8; i < len(b); i++ {
		b[i] = 0xFF
	}
	h := validSlotHeader(0)
	tensor := validTensor()
	tensor.Dims[5], tensor.Strides[6] = 9, 9 // beyond ndims: must not be written
	slot.EncodeHeader(&h, &tensor)
	for i := range slotPadSize {
		if b[slotPadOffset+i] != 0 {
			t.Fatalf("slot pad byte %d = %#x", i, b[slotPadOffset+i])
		}
	}
	v := slot.Tensor()
	if v.PadAlign() != 0 {
		t.Fatal("pad_align not zeroed")
	}
	for i := int(tensor.Ndims); i < MaxDims; i++ {
		if v.Dim(i) != 0 || v.Stride(i) != 0 {
			t.Fatalf("dims[%d]=%d strides[%d]=%d, want 0", i, v.Dim(i), i, v.Stride(i))
		}
	}
	for i := slotTensorBodyOffset + tensorPadOffset; i < HeaderSlotSize; i++ {
		if b[i] != 0 {
			t.Fatalf("tensor pad byte at %d = %#x", i, b[i])
		}
	}
}

func TestEncodeHeaderLeavesSeqCommitToTheSeqlock(t *testing.T) {
	slot, _ := heapRing(t, 1).Slot(0)
	slot.BeginWrite(41)
	h := validSlotHeader(0)
	h.SeqCommit = 12345
	tensor := validTensor()
	slot.EncodeHeader(&h, &tensor)
	if slot.SeqCommit() != InProgress(41) {
		t.Fatalf("seq_commit = %d, EncodeHeader must not write it", slot.SeqCommit())
	}
}

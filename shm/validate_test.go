package shm

import "testing"

func tensorWith(mutate func(*TensorHeader)) *TensorHeader {
	t := validTensor()
	mutate(&t)
	return &t
}

func TestValidTensorFixtureAccepted(t *testing.T) {
	tensor := validTensor()
	requireDrop(t, ValidateTensorHeader(&tensor), DropNone)
}

func TestWireSpec_8_2_NdimsWithinMaxDims(t *testing.T) {
	for _, n := range []uint8{0, MaxDims + 1, 255} {
		tensor := tensorWith(func(h *TensorHeader) { h.Ndims = n })
		requireDrop(t, ValidateTensorHeader(tensor), DropNdimsOutOfRange)
	}
	for _, n := range []uint8{1, MaxDims} {
		tensor := tensorWith(func(h *TensorHeader) {
			h.Ndims = n
			for i := range h.Dims {
				h.Dims[i] = 2
			}
		})
		requireDrop(t, ValidateTensorHeader(tensor), DropNone)
	}
}

func TestWireSpec_8_2_NegativeDimRejected(t *testing.T) {
	tensor := tensorWith(func(h *TensorHeader) { h.Dims[1] = -1 })
	requireDrop(t, ValidateTensorHeader(tensor), DropNegativeDim)
}

// Zero-length dimensions describe an empty tensor, which the spec allows (§8.2
// values_len_bytes = 0 is valid); only negative extents are meaningless.
func TestWireSpec_8_2_ZeroDimAccepted(t *testing.T) {
	tensor := tensorWith(func(h *TensorHeader) { h.Dims[0] = 0 })
	requireDrop(t, ValidateTensorHeader(tensor), DropNone)
}

func TestWireSpec_8_2_ConsumerIgnoresEntriesBeyondNdims(t *testing.T) {
	tensor := tensorWith(func(h *TensorHeader) {
		for i := int(h.Ndims); i < MaxDims; i++ {
			h.Dims[i], h.Strides[i] = -7, -9
		}
	})
	requireDrop(t, ValidateTensorHeader(tensor), DropNone)
}

func TestWireSpec_8_2_NegativeStrideRejected(t *testing.T) {
	tensor := tensorWith(func(h *TensorHeader) { h.Strides[0] = -16 })
	requireDrop(t, ValidateTensorHeader(tensor), DropNegativeStride)
}

func TestWireSpec_8_2_ZeroStridesInferredContiguous(t *testing.T) {
	cases := []struct {
		name  string
		order MajorOrder
		dims  [MaxDims]int32
		ndims uint8
		want  [MaxDims]int64
	}{
		{"row 3x4 float32", MajorOrderRow, [MaxDims]int32{3, 4}, 2, [MaxDims]int64{16, 4}},
		{"column 3x4 float32", MajorOrderColumn, [MaxDims]int32{3, 4}, 2, [MaxDims]int64{4, 12}},
		{"row 2x3x5", MajorOrderRow, [MaxDims]int32{2, 3, 5}, 3, [MaxDims]int64{60, 20, 4}},
		{"row with empty dim", MajorOrderRow, [MaxDims]int32{2, 0, 5}, 3, [MaxDims]int64{20, 20, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tensor := TensorHeader{Dtype: DtypeFloat32, MajorOrder: c.order, Ndims: c.ndims, Dims: c.dims}
			got, r := tensor.ResolvedStrides()
			requireDrop(t, r, DropNone)
			if got != c.want {
				t.Fatalf("resolved strides %v, want %v", got, c.want)
			}
		})
	}
}

func TestWireSpec_8_2_PaddedStridesAccepted(t *testing.T) {
	// Rows padded to 64 bytes: non-contiguous but non-overlapping.
	tensor := tensorWith(func(h *TensorHeader) { h.Strides = [MaxDims]int32{64, 4} })
	requireDrop(t, ValidateTensorHeader(tensor), DropNone)
	// A partly given layout: the inner stride is inferred, the outer one is explicit.
	tensor = tensorWith(func(h *TensorHeader) { h.Strides = [MaxDims]int32{32, 0} })
	requireDrop(t, ValidateTensorHeader(tensor), DropNone)
}

func TestWireSpec_8_2_InnermostStrideAtLeastElementSize(t *testing.T) {
	tensor := tensorWith(func(h *TensorHeader) { h.Strides = [MaxDims]int32{16, 2} })
	requireDrop(t, ValidateTensorHeader(tensor), DropStrideBelowElemSize)
}

func TestWireSpec_8_2_OverlappingStridesRejected(t *testing.T) {
	// 3×4 float32 rows only 8 bytes apart overlap (a row spans 16 bytes).
	tensor := tensorWith(func(h *TensorHeader) { h.Strides = [MaxDims]int32{8, 4} })
	requireDrop(t, ValidateTensorHeader(tensor), DropStridesOverlap)
}

func TestWireSpec_8_2_StridesContradictingMajorOrderRejected(t *testing.T) {
	// Column-major strides declared as row-major, and the reverse.
	row := tensorWith(func(h *TensorHeader) { h.Strides = [MaxDims]int32{4, 12} })
	requireDrop(t, ValidateTensorHeader(row), DropStridesOverlap)
	column := tensorWith(func(h *TensorHeader) {
		h.MajorOrder = MajorOrderColumn
		h.Strides = [MaxDims]int32{16, 4}
	})
	requireDrop(t, ValidateTensorHeader(column), DropStridesOverlap)
}

func TestWireSpec_8_2_StrideExtentOverflowRejected(t *testing.T) {
	tensor := TensorHeader{Dtype: DtypeFloat64, MajorOrder: MajorOrderRow, Ndims: MaxDims}
	for i := range tensor.Dims {
		tensor.Dims[i] = 1 << 30
	}
	requireDrop(t, ValidateTensorHeader(&tensor), DropExtentOverflow)
}

func TestWireSpec_8_2_ProgressStrideNonZeroWhenUnitSet(t *testing.T) {
	for _, unit := range []ProgressUnit{ProgressUnitRows, ProgressUnitColumns} {
		tensor := tensorWith(func(h *TensorHeader) { h.ProgressUnit = unit })
		requireDrop(t, ValidateTensorHeader(tensor), DropProgressStrideZero)
	}
}

func TestWireSpec_8_2_ProgressStrideEqualsRowOrColumnStride(t *testing.T) {
	// Row-major 3×4 float32: rows are 16 bytes apart, columns 4.
	rows := tensorWith(func(h *TensorHeader) { h.ProgressUnit, h.ProgressStrideBytes = ProgressUnitRows, 16 })
	requireDrop(t, ValidateTensorHeader(rows), DropNone)
	columns := tensorWith(func(h *TensorHeader) { h.ProgressUnit, h.ProgressStrideBytes = ProgressUnitColumns, 4 })
	requireDrop(t, ValidateTensorHeader(columns), DropNone)
	// Column-major 3×4 float32: rows 4 bytes apart, columns 12; explicit padded strides count.
	colMajor := tensorWith(func(h *TensorHeader) {
		h.MajorOrder = MajorOrderColumn
		h.Strides = [MaxDims]int32{0, 32}
		h.ProgressUnit, h.ProgressStrideBytes = ProgressUnitColumns, 32
	})
	requireDrop(t, ValidateTensorHeader(colMajor), DropNone)

	wrong := tensorWith(func(h *TensorHeader) { h.ProgressUnit, h.ProgressStrideBytes = ProgressUnitRows, 4 })
	requireDrop(t, ValidateTensorHeader(wrong), DropProgressStrideMismatch)
	oneDim := tensorWith(func(h *TensorHeader) {
		h.Ndims = 1
		h.ProgressUnit, h.ProgressStrideBytes = ProgressUnitColumns, 4
	})
	requireDrop(t, ValidateTensorHeader(oneDim), DropProgressStrideMismatch)
}

func TestWireSpec_8_2_ProgressStrideIgnoredWithoutUnit(t *testing.T) {
	tensor := tensorWith(func(h *TensorHeader) { h.ProgressStrideBytes = 12345 })
	requireDrop(t, ValidateTensorHeader(tensor), DropNone)
}

func TestWireSpec_15_8_EnumNumericValues(t *testing.T) {
	dtypes := map[Dtype]int16{
		DtypeUnknown: 0, DtypeUint8: 1, DtypeInt8: 2, DtypeUint16: 3, DtypeInt16: 4, DtypeUint32: 5,
		DtypeInt32: 6, DtypeUint64: 7, DtypeInt64: 8, DtypeFloat32: 9, DtypeFloat64: 10,
		DtypeBoolean: 11, DtypeBytes: 13, DtypeBit: 14,
	}
	for d, v := range dtypes {
		if int16(d) != v {
			t.Errorf("%v = %d, want %d", d, d, v)
		}
	}
	if MajorOrderUnknown != 0 || MajorOrderRow != 1 || MajorOrderColumn != 2 {
		t.Error("MajorOrder values changed")
	}
	if ProgressUnitNone != 0 || ProgressUnitRows != 1 || ProgressUnitColumns != 2 {
		t.Error("ProgressUnit values changed")
	}
	if RegionTypeHeaderRing != 1 || RegionTypePayloadPool != 2 {
		t.Error("RegionType values changed")
	}
	names := map[string]string{
		DtypeFloat32.String(): "FLOAT32", Dtype(12).String(): "Dtype(12)", MajorOrderColumn.String(): "COLUMN",
		MajorOrder(7).String(): "MajorOrder(7)", ProgressUnitRows.String(): "ROWS",
		ProgressUnit(3).String(): "ProgressUnit(3)", RegionTypePayloadPool.String(): "PAYLOAD_POOL",
		RegionType(0).String(): "RegionType(0)",
	}
	for got, want := range names {
		if got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestWireSpec_15_8_UnknownDtypeRejected(t *testing.T) {
	for _, d := range []Dtype{DtypeUnknown, 12, 15, -1, 0x7fff} {
		tensor := tensorWith(func(h *TensorHeader) { h.Dtype = d })
		requireDrop(t, ValidateTensorHeader(tensor), DropUnknownDtype)
	}
	for _, d := range []Dtype{DtypeUint8, DtypeInt8, DtypeUint16, DtypeInt16, DtypeUint32, DtypeInt32,
		DtypeUint64, DtypeInt64, DtypeFloat32, DtypeFloat64, DtypeBoolean, DtypeBytes, DtypeBit} {
		tensor := tensorWith(func(h *TensorHeader) { h.Dtype = d })
		requireDrop(t, ValidateTensorHeader(tensor), DropNone)
	}
}

func TestWireSpec_15_8_UnknownMajorOrderRejected(t *testing.T) {
	for _, m := range []MajorOrder{MajorOrderUnknown, 3, -1} {
		tensor := tensorWith(func(h *TensorHeader) { h.MajorOrder = m })
		requireDrop(t, ValidateTensorHeader(tensor), DropUnknownMajorOrder)
	}
}

func TestWireSpec_15_8_UnknownProgressUnitRejected(t *testing.T) {
	tensor := tensorWith(func(h *TensorHeader) { h.ProgressUnit = 3 })
	requireDrop(t, ValidateTensorHeader(tensor), DropUnknownProgressUnit)
}

func TestWireSpec_8_2_PayloadOffsetMustBeZero(t *testing.T) {
	h := validSlotHeader(2)
	h.PayloadOffset = 64
	requireDrop(t, ValidateSlotHeader(&h, 2, testPool), DropPayloadOffsetNonZero)
}

func TestWireSpec_15_5_PayloadSlotEqualsHeaderIndex(t *testing.T) {
	h := validSlotHeader(2)
	requireDrop(t, ValidateSlotHeader(&h, 2, testPool), DropNone)
	requireDrop(t, ValidateSlotHeader(&h, 3, testPool), DropPayloadSlotNotHeaderIndex)
}

func TestWireSpec_8_2_EmptyPayloadValidButSlotStillMapped(t *testing.T) {
	h := validSlotHeader(2)
	h.ValuesLenBytes = 0
	requireDrop(t, ValidateSlotHeader(&h, 2, testPool), DropNone)
	h.PayloadSlot = 5
	requireDrop(t, ValidateSlotHeader(&h, 2, testPool), DropPayloadSlotNotHeaderIndex)
}

func TestWireSpec_10_2_1_PayloadSlotWithinPool(t *testing.T) {
	h := validSlotHeader(testPool.Nslots)
	requireDrop(t, ValidateSlotHeader(&h, testPool.Nslots, testPool), DropPayloadSlotOutOfRange)
}

func TestWireSpec_10_2_1_ValuesLenWithinStride(t *testing.T) {
	h := validSlotHeader(1)
	h.ValuesLenBytes = testPool.StrideBytes
	requireDrop(t, ValidateSlotHeader(&h, 1, testPool), DropNone)
	h.ValuesLenBytes = testPool.StrideBytes + 1
	requireDrop(t, ValidateSlotHeader(&h, 1, testPool), DropValuesLenExceedsStride)
}

func TestWireSpec_9_PoolIDMustMatchPool(t *testing.T) {
	h := validSlotHeader(1)
	h.PoolID = testPool.PoolID + 1
	requireDrop(t, ValidateSlotHeader(&h, 1, testPool), DropPoolIDMismatch)
}

package shm

import "unsafe"

// TensorHeader body layout (SBE TensorHeader, template 52, block length 184), embedded in
// a header slot at offset 72 behind its 8-byte message header (§8.2). The packed SBE
// encoding puts dims and strides at odd offsets (11 and 43): §8.2 says pad_align makes
// them 4-byte aligned, but the schema places it before progress_unit and
// progress_stride_bytes, so every multi-byte field here is read and written as
// unaligned little-endian bytes.
//
//	 0        2           4       5          6          7                     11                 43                 75          184
//	+--------+-----------+-------+----------+----------+---------------------+------------------+------------------+-----------+
//	| dtype  | major_    | ndims | pad_     | progress | progress_stride_    | dims[8] i32      | strides[8] i32   | pad (109) |
//	| i16    | order i16 | u8    | align u8 | _unit u8 | bytes u32           | (unaligned)      | (unaligned)      | ignored   |
//	+--------+-----------+-------+----------+----------+---------------------+------------------+------------------+-----------+
const (
	TensorHeaderBlockLength = 184
	MaxDims                 = 8

	tensorDtypeOffset          = 0
	tensorMajorOrderOffset     = 2
	tensorNdimsOffset          = 4
	tensorPadAlignOffset       = 5
	tensorProgressUnitOffset   = 6
	tensorProgressStrideOffset = 7
	tensorDimsOffset           = 11
	tensorStridesOffset        = tensorDimsOffset + 4*MaxDims              // 43
	tensorPadOffset            = tensorStridesOffset + 4*MaxDims           // 75
	tensorPadSize              = TensorHeaderBlockLength - tensorPadOffset // 109
)

var (
	_ [tensorPadSize - 109]struct{}
	_ [109 - tensorPadSize]struct{}
)

// TensorHeader is the decoded embedded tensor header. Dims and Strides beyond Ndims are
// zero when produced by this package and ignored when validated (§8.2).
type TensorHeader struct {
	Dtype               Dtype
	MajorOrder          MajorOrder
	Ndims               uint8
	ProgressUnit        ProgressUnit
	ProgressStrideBytes uint32
	Dims                [MaxDims]int32
	Strides             [MaxDims]int32 // bytes; 0 = inferred contiguous
}

// Equal reports whether t and u hold the same fields, exactly as t == u. It loads each
// header as ten little-endian words instead of comparing field by field through the
// compiler's generated equality and a memequal call: a producer asks it on every frame,
// to reuse the previous frame's validation and encoding while the shape repeats. The two
// padding bytes after ProgressUnit are masked out, as == ignores them.
func (t *TensorHeader) Equal(u *TensorHeader) bool {
	a := (*[tensorHeaderSize]byte)(unsafe.Pointer(t))
	b := (*[tensorHeaderSize]byte)(unsafe.Pointer(u))
	const fields = 1<<48 - 1 // bytes 0..5 of the first word; 6 and 7 are padding
	d := (le.Uint64(a[0:]) ^ le.Uint64(b[0:])) & fields
	d |= le.Uint64(a[8:]) ^ le.Uint64(b[8:])
	d |= le.Uint64(a[16:]) ^ le.Uint64(b[16:])
	d |= le.Uint64(a[24:]) ^ le.Uint64(b[24:])
	d |= le.Uint64(a[32:]) ^ le.Uint64(b[32:])
	d |= le.Uint64(a[40:]) ^ le.Uint64(b[40:])
	d |= le.Uint64(a[48:]) ^ le.Uint64(b[48:])
	d |= le.Uint64(a[56:]) ^ le.Uint64(b[56:])
	d |= le.Uint64(a[64:]) ^ le.Uint64(b[64:])
	d |= uint64(le.Uint32(a[72:]) ^ le.Uint32(b[72:]))
	return d == 0
}

// tensorHeaderSize is TensorHeader's size in memory. Equal relies on its layout: the four
// small fields in bytes 0..5, two bytes of padding, then ProgressStrideBytes, Dims and
// Strides back to back up to byte 76; the checks below fail the build if that changes.
const tensorHeaderSize = unsafe.Sizeof(TensorHeader{})

var (
	_ [tensorHeaderSize - 76]struct{}
	_ [76 - tensorHeaderSize]struct{}
	_ [unsafe.Offsetof(TensorHeader{}.MajorOrder) - 2]struct{}
	_ [2 - unsafe.Offsetof(TensorHeader{}.MajorOrder)]struct{}
	_ [unsafe.Offsetof(TensorHeader{}.Ndims) - 4]struct{}
	_ [4 - unsafe.Offsetof(TensorHeader{}.Ndims)]struct{}
	_ [unsafe.Offsetof(TensorHeader{}.ProgressUnit) - 5]struct{}
	_ [5 - unsafe.Offsetof(TensorHeader{}.ProgressUnit)]struct{}
	_ [unsafe.Offsetof(TensorHeader{}.ProgressStrideBytes) - 8]struct{}
	_ [8 - unsafe.Offsetof(TensorHeader{}.ProgressStrideBytes)]struct{}
	_ [unsafe.Offsetof(TensorHeader{}.Dims) - 12]struct{}
	_ [12 - unsafe.Offsetof(TensorHeader{}.Dims)]struct{}
	_ [unsafe.Offsetof(TensorHeader{}.Strides) - 44]struct{}
	_ [44 - unsafe.Offsetof(TensorHeader{}.Strides)]struct{}
	_ [2 - unsafe.Sizeof(Dtype(0))]struct{}
	_ [unsafe.Sizeof(Dtype(0)) - 2]struct{}
	_ [1 - unsafe.Sizeof(ProgressUnit(0))]struct{}
)

// TensorHeaderView is a zero-copy view of the 184-byte TensorHeader body in a slot. Its
// accesses are plain loads and stores, under the same seqlock rules as HeaderSlot's.
type TensorHeaderView struct {
	b *[TensorHeaderBlockLength]byte
}

func (v TensorHeaderView) Dtype() Dtype { return Dtype(le.Uint16(v.b[tensorDtypeOffset:])) }
func (v TensorHeaderView) MajorOrder() MajorOrder {
	return MajorOrder(le.Uint16(v.b[tensorMajorOrderOffset:]))
}
func (v TensorHeaderView) Ndims() uint8    { return v.b[tensorNdimsOffset] }
func (v TensorHeaderView) PadAlign() uint8 { return v.b[tensorPadAlignOffset] }
func (v TensorHeaderView) ProgressUnit() ProgressUnit {
	return ProgressUnit(v.b[tensorProgressUnitOffset])
}
func (v TensorHeaderView) ProgressStrideBytes() uint32 {
	return le.Uint32(v.b[tensorProgressStrideOffset:])
}

// Dim and Stride read entry i (0 ≤ i < MaxDims; indexes beyond that panic like any
// array index, they are programming errors rather than bad input).
func (v TensorHeaderView) Dim(i int) int32    { return int32(le.Uint32(v.b[tensorDimsOffset+4*i:])) }
func (v TensorHeaderView) Stride(i int) int32 { return int32(le.Uint32(v.b[tensorStridesOffset+4*i:])) }

func (v TensorHeaderView) SetDtype(d Dtype) { le.PutUint16(v.b[tensorDtypeOffset:], uint16(d)) }
func (v TensorHeaderView) SetMajorOrder(m MajorOrder) {
	le.PutUint16(v.b[tensorMajorOrderOffset:], uint16(m))
}
func (v TensorHeaderView) SetNdims(n uint8)    { v.b[tensorNdimsOffset] = n }
func (v TensorHeaderView) SetPadAlign(p uint8) { v.b[tensorPadAlignOffset] = p }
func (v TensorHeaderView) SetProgressUnit(p ProgressUnit) {
	v.b[tensorProgressUnitOffset] = uint8(p)
}
func (v TensorHeaderView) SetProgressStrideBytes(n uint32) {
	le.PutUint32(v.b[tensorProgressStrideOffset:], n)
}
func (v TensorHeaderView) SetDim(i int, d int32) { le.PutUint32(v.b[tensorDimsOffset+4*i:], uint32(d)) }
func (v TensorHeaderView) SetStride(i int, s int32) {
	le.PutUint32(v.b[tensorStridesOffset+4*i:], uint32(s))
}

// Encode writes t, zero-filling dims and strides at and beyond Ndims (a producer MUST,
// §8.2) and the reserved padding.
func (v TensorHeaderView) Encode(t *TensorHeader) {
	v.SetDtype(t.Dtype)
	v.SetMajorOrder(t.MajorOrder)
	v.SetNdims(t.Ndims)
	v.SetPadAlign(0)
	v.SetProgressUnit(t.ProgressUnit)
	v.SetProgressStrideBytes(t.ProgressStrideBytes)
	for i := range MaxDims {
		var d, s int32
		if i < int(t.Ndims) {
			d, s = t.Dims[i], t.Strides[i]
		}
		v.SetDim(i, d)
		v.SetStride(i, s)
	}
	clear(v.b[tensorPadOffset:])
}

// Decode copies every field into t, including dims and strides beyond Ndims as found.
func (v TensorHeaderView) Decode(t *TensorHeader) {
	t.Dtype = v.Dtype()
	t.MajorOrder = v.MajorOrder()
	t.Ndims = v.Ndims()
	t.ProgressUnit = v.ProgressUnit()
	t.ProgressStrideBytes = v.ProgressStrideBytes()
	for i := range MaxDims {
		t.Dims[i] = v.Dim(i)
		t.Strides[i] = v.Stride(i)
	}
}

package shm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// Tests for the producer's line-wise header write (EncodedTensorHeader, EncodeFrame through encodeHeaderLines)
// and the consumer's reuse of a tensor-header verdict (HasEncodedTensor, LoadEncodedTensor,
// DecodeFixed, ValidateEmbedded). Both are optimisations: every test holds them to the
// plain path (EncodeHeader, DecodeHeader, ValidateEmbeddedHeader) byte for byte or
// verdict for verdict.

// The slot's 64-byte lines: 0 holds seq_commit and the fixed fields, 1..3 the embedded
// tensor header (its message header, then the 184-byte body).
const tensorLinesFrom = slotEmbeddedHeaderOffset

// encodeHeaderLines writes h and the encoded tensor header e through EncodeFrame, which
// producers use: the tests hold it to the bytes EncodeHeader writes (§8.2 full overwrite).
func encodeHeaderLines(s HeaderSlot, h *SlotHeader, e *EncodedTensorHeader) {
	s.EncodeFrame(h.ValuesLenBytes, h.PayloadSlot, h.PoolID, h.MetaVersion, e)
	if h.PayloadOffset != 0 {
		s.SetPayloadOffset(h.PayloadOffset)
	}
	s.SetTimestampNs(h.TimestampNs)
}

// encodedTensorCases are tensor headers for the round-trip and overwrite tests: ndims 1..8,
// strides set and inferred, progress fields, both major orders, and headers no validator
// would accept (the encoders must still agree on them byte for byte).
func encodedTensorCases() []struct {
	name string
	t    TensorHeader
} {
	cases := []struct {
		name string
		t    TensorHeader
	}{
		{"valid 2-D", validTensor()},
		{"full 8-D", fullTensor()},
		{"zero", TensorHeader{}},
		{"ndims 9", TensorHeader{Dtype: DtypeUint8, MajorOrder: MajorOrderRow, Ndims: 9,
			Dims: [MaxDims]int32{1, 2, 3, 4, 5, 6, 7, 8}, Strides: [MaxDims]int32{9, 9, 9, 9, 9, 9, 9, 9}}},
		{"ndims 255, extreme values", TensorHeader{Dtype: -1, MajorOrder: -32768, Ndims: 255, ProgressUnit: 255,
			ProgressStrideBytes: ^uint32(0),
			Dims:                [MaxDims]int32{-1, -2147483648, 2147483647, 0, -1, 1, -1, 1},
			Strides:             [MaxDims]int32{2147483647, -1, 0, -2147483648, 1, -1, 1, -1}}},
		{"entries beyond ndims", TensorHeader{Dtype: DtypeFloat64, MajorOrder: MajorOrderRow, Ndims: 2,
			Dims: [MaxDims]int32{3, 4, 5, 6, 7, 8, 9, 10}, Strides: [MaxDims]int32{32, 8, 1, 1, 1, 1, 1, 1}}},
	}
	for n := 1; n <= MaxDims; n++ {
		for _, strided := range []bool{false, true} {
			for _, unit := range []ProgressUnit{ProgressUnitNone, ProgressUnitRows, ProgressUnitColumns} {
				tensor := TensorHeader{Dtype: DtypeInt32, MajorOrder: MajorOrderRow, Ndims: uint8(n), ProgressUnit: unit}
				if n%2 == 0 {
					tensor.MajorOrder, tensor.Dtype = MajorOrderColumn, DtypeUint16
				}
				stride := int32(tensor.Dtype.ElemSize())
				for i := range n {
					tensor.Dims[i] = int32(2 + i)
				}
				for k := range n { // innermost first
					i := n - 1 - k
					if tensor.MajorOrder == MajorOrderColumn {
						i = k
					}
					if strided {
						tensor.Strides[i] = stride
					}
					stride *= tensor.Dims[i] + 1 // padded rows, so set strides differ from inferred ones
				}
				if unit != ProgressUnitNone {
					tensor.ProgressStrideBytes = uint32(stride)
				}
				cases = append(cases, struct {
					name string
					t    TensorHeader
				}{fmt.Sprintf("ndims %d strided %v progress %d", n, strided, unit), tensor})
			}
		}
	}
	return cases
}

// slotWith is a fresh heap slot holding prior.
func slotWith(prior []byte) HeaderSlot {
	slot := newHeapSlot()
	copy(slot.Bytes(), prior)
	return slot
}

func encodedOf(t *TensorHeader) *EncodedTensorHeader {
	var e EncodedTensorHeader
	e.Encode(t)
	return &e
}

// requireSameAsEncodeHeader writes h and t over prior with EncodeHeader and with
// EncodeHeaderLines and fails unless the two slots are byte-for-byte identical, with
// seq_commit as prior left it.
func requireSameAsEncodeHeader(t *testing.T, what string, prior []byte, h *SlotHeader, tensor *TensorHeader) {
	t.Helper()
	want := slotWith(prior)
	want.EncodeHeader(h, tensor)
	got := slotWith(prior)
	e := encodedOf(tensor)
	encodeHeaderLines(got, h, e)
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		for i := range HeaderSlotSize {
			if got.Bytes()[i] != want.Bytes()[i] {
				t.Fatalf("%s: EncodeHeaderLines differs from EncodeHeader at byte %d (line %d): %#x, want %#x\n got %x\nwant %x\nprior %x",
					what, i, i/cacheLine, got.Bytes()[i], want.Bytes()[i], got.Bytes(), want.Bytes(), prior)
			}
		}
	}
	var seq [8]byte
	copy(seq[:], prior)
	if !bytes.Equal(got.Bytes()[:8], seq[:]) {
		t.Fatalf("%s: EncodeHeaderLines wrote seq_commit: %x, prior %x", what, got.Bytes()[:8], seq)
	}
	if !got.HasEncodedTensor(e) {
		t.Fatalf("%s: HasEncodedTensor false right after EncodeHeaderLines", what)
	}
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestWireSpec_8_2_EncodeHeaderLinesIsFullOverwrite: skipping the tensor-header lines the
// slot already holds must not weaken the full overwrite of §8.2 / §8.3 producer step 3:
// whatever the slot held, EncodeHeaderLines leaves exactly EncodeHeader's bytes.
func TestWireSpec_8_2_EncodeHeaderLinesIsFullOverwrite(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 2))
	h := validSlotHeader(5)
	h.SeqCommit = 0xDEADBEEF // neither encoder may write it
	otherH := SlotHeader{ValuesLenBytes: 7, PayloadSlot: 1, PoolID: 9, PayloadOffset: 3, TimestampNs: 1, MetaVersion: 2}
	other := fullTensor()

	// Each prior is built from the frame about to be written (h, tensor).
	encoded := func(h *SlotHeader, tensor *TensorHeader) []byte {
		s := slotWith(randomBytes(r, HeaderSlotSize))
		s.EncodeHeader(h, tensor)
		return append([]byte(nil), s.Bytes()...)
	}
	flip := func(b []byte, offsets ...int) []byte {
		for _, off := range offsets {
			b[off] ^= 0xFF
		}
		return b
	}
	type prior struct {
		name  string
		build func(tensor *TensorHeader) []byte
	}
	priors := []prior{
		{"zeroes", func(*TensorHeader) []byte { return make([]byte, HeaderSlotSize) }},
		{"ones", func(*TensorHeader) []byte { return bytes.Repeat([]byte{0xFF}, HeaderSlotSize) }},
		{"random garbage", func(*TensorHeader) []byte { return randomBytes(r, HeaderSlotSize) }},
		{"same frame already encoded", func(tensor *TensorHeader) []byte { return encoded(&h, tensor) }},
		{"same shape, other slot header", func(tensor *TensorHeader) []byte { return encoded(&otherH, tensor) }},
		{"same shape, garbage in line 0", func(tensor *TensorHeader) []byte {
			b := encoded(&h, tensor)
			copy(b[:tensorLinesFrom], randomBytes(r, tensorLinesFrom))
			return b
		}},
		{"different shape", func(tensor *TensorHeader) []byte {
			if *tensor == other {
				return encoded(&h, &TensorHeader{})
			}
			return encoded(&h, &other)
		}},
		{"same shape, random tensor lines", func(tensor *TensorHeader) []byte {
			b := encoded(&h, tensor)
			copy(b[tensorLinesFrom:], randomBytes(r, HeaderSlotSize-tensorLinesFrom))
			return b
		}},
		{"same shape, all tensor lines differ in one byte", func(tensor *TensorHeader) []byte {
			return flip(encoded(&h, tensor), 64+10, 128+20, 192+30)
		}},
	}
	// Line 0 from meta_version on: every byte of the pad and the length word, which
	// EncodeFrame checks as words that straddle the end of meta_version.
	for off := slotMetaVersionOffset; off < slotEmbeddedHeaderOffset; off++ {
		priors = append(priors, prior{fmt.Sprintf("same shape, line 0 differs at byte %d", off),
			func(tensor *TensorHeader) []byte { return flip(encoded(&h, tensor), off) }})
	}
	for line := 1; line <= 3; line++ {
		for _, at := range []int{0, 1, 31, 62, 63} {
			off := line*cacheLine + at
			priors = append(priors, prior{fmt.Sprintf("same shape, line %d differs at byte %d", line, off),
				func(tensor *TensorHeader) []byte { return flip(encoded(&h, tensor), off) }})
		}
		priors = append(priors, prior{fmt.Sprintf("same shape, line %d all garbage", line),
			func(tensor *TensorHeader) []byte {
				b := encoded(&h, tensor)
				copy(b[line*cacheLine:(line+1)*cacheLine], randomBytes(r, cacheLine))
				return b
			}})
	}
	for _, p := range priors {
		t.Run(p.name, func(t *testing.T) {
			for _, c := range encodedTensorCases() {
				prior := p.build(&c.t)
				if len(prior) != HeaderSlotSize {
					t.Fatalf("prior of %d bytes", len(prior))
				}
				requireSameAsEncodeHeader(t, c.name, prior, &h, &c.t)
			}
		})
	}
}

// A producer reuses one EncodedTensorHeader for frame after frame, and switches between
// shapes: each write must still leave exactly EncodeHeader's bytes.
func TestWireSpec_8_2_EncodeHeaderLinesOverASequenceOfShapes(t *testing.T) {
	cases := encodedTensorCases()
	got, want := newHeapSlot(), newHeapSlot()
	r := rand.New(rand.NewPCG(1, 2))
	encodings := make([]*EncodedTensorHeader, len(cases))
	for i := range cases {
		encodings[i] = encodedOf(&cases[i].t)
	}
	for frame := range 2000 {
		i := r.IntN(len(cases))
		if frame%3 != 0 { // mostly repeat the previous shape, as streams do
			i = (frame / 3) % len(cases)
		}
		h := SlotHeader{ValuesLenBytes: uint32(frame), PayloadSlot: uint32(frame % 7), PoolID: uint16(frame),
			TimestampNs: uint64(frame) * 1000, MetaVersion: uint32(frame / 10)}
		want.EncodeHeader(&h, &cases[i].t)
		encodeHeaderLines(got, &h, encodings[i])
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("frame %d (%s): slots differ\n got %x\nwant %x", frame, cases[i].name, got.Bytes(), want.Bytes())
		}
	}
}

// FuzzEncodeHeaderLines: for any prior slot content (the first 256 bytes of prior, zero
// padded) and any slot and tensor header fields, EncodeHeaderLines leaves the slot exactly
// as EncodeHeader does, seq_commit untouched; the slot then holds e.
//
// fixed is the slot header, little-endian: values_len_bytes u32, payload_slot u32, pool_id
// u16, payload_offset u32, timestamp_ns u64, meta_version u32 (zero padded). dimsStrides
// is dims[8] then strides[8], i32 little-endian (zero padded).
func FuzzEncodeHeaderLines(f *testing.F) {
	f.Fuzz(func(t *testing.T, prior, fixed []byte, dtype, majorOrder int16, ndims, progressUnit uint8,
		progressStride uint32, dimsStrides []byte) {
		var slotPrior [HeaderSlotSize]byte
		copy(slotPrior[:], prior)
		var fx [26]byte
		copy(fx[:], fixed)
		h := SlotHeader{
			ValuesLenBytes: le.Uint32(fx[0:]),
			PayloadSlot:    le.Uint32(fx[4:]),
			PoolID:         le.Uint16(fx[8:]),
			PayloadOffset:  le.Uint32(fx[10:]),
			TimestampNs:    le.Uint64(fx[14:]),
			MetaVersion:    le.Uint32(fx[22:]),
		}
		var ds [8 * MaxDims]byte
		copy(ds[:], dimsStrides)
		tensor := TensorHeader{Dtype: Dtype(dtype), MajorOrder: MajorOrder(majorOrder), Ndims: ndims,
			ProgressUnit: ProgressUnit(progressUnit), ProgressStrideBytes: progressStride}
		for i := range MaxDims {
			tensor.Dims[i] = int32(le.Uint32(ds[4*i:]))
			tensor.Strides[i] = int32(le.Uint32(ds[4*MaxDims+4*i:]))
		}
		requireSameAsEncodeHeader(t, "fuzz input", slotPrior[:], &h, &tensor)

		// Written over itself (the next frame of the same shape) nothing changes.
		slot := slotWith(slotPrior[:])
		e := encodedOf(&tensor)
		encodeHeaderLines(slot, &h, e)
		once := append([]byte(nil), slot.Bytes()...)
		encodeHeaderLines(slot, &h, e)
		if !bytes.Equal(slot.Bytes(), once) {
			t.Fatalf("second EncodeHeaderLines changed the slot\nonce %x\nnow  %x", once, slot.Bytes())
		}
	})
}

// TestWireSpec_8_2_EncodedTensorHeaderRoundTrip: EncodedTensorHeader encodes and decodes a
// tensor header as the slot's TensorHeaderView does, and its bytes are the slot's last 192.
func TestWireSpec_8_2_EncodedTensorHeaderRoundTrip(t *testing.T) {
	garbage := TensorHeader{Dtype: 77, MajorOrder: 77, Ndims: 77, ProgressUnit: 77, ProgressStrideBytes: 77,
		Dims: [MaxDims]int32{77, 77, 77, 77, 77, 77, 77, 77}, Strides: [MaxDims]int32{77, 77, 77, 77, 77, 77, 77, 77}}
	for _, c := range encodedTensorCases() {
		t.Run(c.name, func(t *testing.T) {
			slot := slotWith(bytes.Repeat([]byte{0x5A}, HeaderSlotSize))
			slot.Tensor().Encode(&c.t)
			want := garbage
			slot.Tensor().Decode(&want)

			e := encodedOf(&c.t)
			got := garbage
			e.Decode(&got)
			if got != want {
				t.Fatalf("EncodedTensorHeader round trip %+v, TensorHeaderView's %+v", got, want)
			}
			// Encode zero-fills the entries at and beyond ndims (§8.2); the rest round-trips.
			trimmed := c.t
			for i := min(int(c.t.Ndims), MaxDims); i < MaxDims; i++ {
				trimmed.Dims[i], trimmed.Strides[i] = 0, 0
			}
			if got != trimmed {
				t.Fatalf("round trip %+v, want %+v", got, trimmed)
			}

			h := validSlotHeader(0)
			full := newHeapSlot()
			full.EncodeHeader(&h, &c.t)
			if !full.HasEncodedTensor(e) {
				t.Fatalf("Encode's bytes differ from EncodeHeader's last 192\n e    %x\nslot %x", e.b, full.Bytes()[tensorLinesFrom:])
			}
		})
	}
}

// TestWireSpec_8_3_HasEncodedTensorComparesTheLast192Bytes: the consumer reuses its verdict
// only while the slot's tensor-header bytes (64..255) are unchanged; the fixed fields and
// seq_commit (0..63) are not part of the comparison.
func TestWireSpec_8_3_HasEncodedTensorComparesTheLast192Bytes(t *testing.T) {
	for _, c := range encodedTensorCases()[:3] {
		t.Run(c.name, func(t *testing.T) {
			h := validSlotHeader(1)
			e := encodedOf(&c.t)
			slot := newHeapSlot()
			slot.BeginWrite(1)
			encodeHeaderLines(slot, &h, e)
			slot.Commit(1)
			if !slot.HasEncodedTensor(e) {
				t.Fatal("HasEncodedTensor false after EncodeHeaderLines with the same encoding")
			}
			b := slot.Bytes()
			for off := tensorLinesFrom; off < HeaderSlotSize; off++ {
				for _, x := range []byte{0x01, 0x80, 0xFF} {
					b[off] ^= x
					if slot.HasEncodedTensor(e) {
						t.Fatalf("HasEncodedTensor true with byte %d changed by %#x", off, x)
					}
					b[off] ^= x
				}
			}
			for off := range tensorLinesFrom {
				for _, x := range []byte{0x01, 0x80, 0xFF} {
					b[off] ^= x
					if !slot.HasEncodedTensor(e) {
						t.Fatalf("HasEncodedTensor false with byte %d (outside the tensor header) changed", off)
					}
					b[off] ^= x
				}
			}
			copy(b[:tensorLinesFrom], randomBytes(rand.New(rand.NewPCG(6, 4)), tensorLinesFrom))
			if !slot.HasEncodedTensor(e) {
				t.Fatal("HasEncodedTensor false with bytes 0..63 all rewritten")
			}
			other := c.t
			other.Ndims++
			if slot.HasEncodedTensor(encodedOf(&other)) {
				t.Fatal("HasEncodedTensor true for another tensor header")
			}
		})
	}
}

// TestWireSpec_8_3_LoadEncodedTensorMatchesDecodeHeader: what a consumer loads from a slot,
// decoded in two parts (DecodeFixed, EncodedTensorHeader.Decode), is what DecodeHeader
// reads, whatever the slot holds; and the slot then has the loaded encoding.
func TestWireSpec_8_3_LoadEncodedTensorMatchesDecodeHeader(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 3))
	slots := map[string][]byte{"zeroes": make([]byte, HeaderSlotSize)}
	for i := range 20 {
		slots[fmt.Sprintf("garbage %d", i)] = randomBytes(r, HeaderSlotSize)
	}
	for _, c := range encodedTensorCases() {
		s := slotWith(randomBytes(r, HeaderSlotSize))
		h := SlotHeader{ValuesLenBytes: r.Uint32(), PayloadSlot: r.Uint32(), PoolID: uint16(r.Uint32()),
			PayloadOffset: r.Uint32(), TimestampNs: r.Uint64(), MetaVersion: r.Uint32()}
		s.BeginWrite(r.Uint64() >> 2)
		s.EncodeHeader(&h, &c.t)
		slots["encoded "+c.name] = append([]byte(nil), s.Bytes()...)
	}
	for name, content := range slots {
		t.Run(name, func(t *testing.T) {
			slot := slotWith(content)
			var e EncodedTensorHeader
			slot.LoadEncodedTensor(&e)
			if !slot.HasEncodedTensor(&e) {
				t.Fatal("HasEncodedTensor false right after LoadEncodedTensor")
			}
			if !bytes.Equal(e.b[:], content[tensorLinesFrom:]) {
				t.Fatalf("loaded %x, slot holds %x", e.b, content[tensorLinesFrom:])
			}
			var wantH, gotH SlotHeader
			var wantT, gotT TensorHeader
			slot.DecodeHeader(&wantH, &wantT)
			gotH = SlotHeader{ValuesLenBytes: 1, PayloadSlot: 2, PoolID: 3, PayloadOffset: 4, TimestampNs: 5, MetaVersion: 6, SeqCommit: 7}
			gotT = TensorHeader{Ndims: 9, Dims: [MaxDims]int32{9, 9, 9, 9, 9, 9, 9, 9}}
			slot.DecodeFixed(&gotH)
			e.Decode(&gotT)
			if gotH != wantH {
				t.Fatalf("DecodeFixed %+v, DecodeHeader %+v", gotH, wantH)
			}
			if gotT != wantT {
				t.Fatalf("EncodedTensorHeader.Decode %+v, DecodeHeader %+v", gotT, wantT)
			}
			if !bytes.Equal(slot.Bytes(), content) {
				t.Fatal("loading or decoding wrote to the slot")
			}
		})
	}
}

// embeddedField is one field ValidateEmbeddedHeader checks, in its order of precedence.
type embeddedField struct {
	name   string
	offset int
	size   int
	bad    []uint32 // values it rejects
	reason DropReason
}

var embeddedFields = []embeddedField{
	{"headerBytes length", slotHeaderBytesLenOffset, 4, []uint32{0, 191, 193, 184, 256, 0xFFFFFFFF}, DropHeaderBytesLength},
	{"blockLength", embeddedBlockLengthOffset, 2, []uint32{0, 183, 185, 192, 0xFFFF}, DropEmbeddedBlockLength},
	{"templateId", embeddedTemplateIDOffset, 2, []uint32{0, 51, 53, 0xFFFF}, DropEmbeddedTemplateID},
	{"schemaId", embeddedSchemaIDOffset, 2, []uint32{0, 899, 901, 910, 0xFFFF}, DropEmbeddedSchemaID},
	{"version", embeddedVersionOffset, 2, []uint32{0, 2, 0xFFFF}, DropEmbeddedVersion},
}

func (f embeddedField) put(b []byte, v uint32) {
	if f.size == 4 {
		binary.LittleEndian.PutUint32(b[f.offset:], v)
	} else {
		binary.LittleEndian.PutUint16(b[f.offset:], uint16(v))
	}
}

// requireSameEmbeddedVerdict loads the slot's tensor header and fails unless ValidateEmbedded
// on it and ValidateEmbeddedHeader on the slot both return want.
func requireSameEmbeddedVerdict(t *testing.T, slot HeaderSlot, want DropReason) {
	t.Helper()
	var e EncodedTensorHeader
	slot.LoadEncodedTensor(&e)
	plain, cached := ValidateEmbeddedHeader(slot), ValidateEmbedded(slot, &e)
	if plain != cached || cached != want {
		t.Fatalf("ValidateEmbedded = %v, ValidateEmbeddedHeader = %v, want both %v", cached, plain, want)
	}
}

// TestWireSpec_8_3_ValidateEmbeddedMatchesValidateEmbeddedHeader: the consumer's check of
// the headerBytes length and embedded message header from a loaded EncodedTensorHeader
// (§8.3 step 5, §15.21 rule 3) gives ValidateEmbeddedHeader's verdict on every slot: one
// row per DropReason the check can return, every bad value of each field, and every
// combination of broken fields (the first broken field in the spec's order wins).
func TestWireSpec_8_3_ValidateEmbeddedMatchesValidateEmbeddedHeader(t *testing.T) {
	h, tensor := validSlotHeader(0), validTensor()
	valid := func() HeaderSlot {
		slot := newHeapSlot()
		slot.BeginWrite(1)
		slot.EncodeHeader(&h, &tensor)
		slot.Commit(1)
		return slot
	}
	table := []struct {
		name   string
		mutate func(b []byte)
		want   DropReason
	}{
		{"valid", func([]byte) {}, DropNone},
		{"headerBytes length 191", func(b []byte) { embeddedFields[0].put(b, 191) }, DropHeaderBytesLength},
		{"embedded blockLength 185", func(b []byte) { embeddedFields[1].put(b, 185) }, DropEmbeddedBlockLength},
		{"embedded templateId 51", func(b []byte) { embeddedFields[2].put(b, 51) }, DropEmbeddedTemplateID},
		{"embedded schemaId 901", func(b []byte) { embeddedFields[3].put(b, 901) }, DropEmbeddedSchemaID},
		{"embedded version 2", func(b []byte) { embeddedFields[4].put(b, 2) }, DropEmbeddedVersion},
	}
	covered := map[DropReason]bool{}
	for _, c := range table {
		t.Run(c.name, func(t *testing.T) {
			slot := valid()
			c.mutate(slot.Bytes())
			requireSameEmbeddedVerdict(t, slot, c.want)
		})
		covered[c.want] = true
	}
	for _, f := range embeddedFields {
		if !covered[f.reason] {
			t.Errorf("no table row for %v", f.reason)
		}
		for _, v := range f.bad {
			t.Run(fmt.Sprintf("%s %d", f.name, v), func(t *testing.T) {
				slot := valid()
				f.put(slot.Bytes(), v)
				requireSameEmbeddedVerdict(t, slot, f.reason)
			})
		}
	}
	for mask := range 1 << len(embeddedFields) {
		t.Run(fmt.Sprintf("broken fields %05b", mask), func(t *testing.T) {
			slot := valid()
			want := DropNone
			for i := len(embeddedFields) - 1; i >= 0; i-- {
				if mask&(1<<i) != 0 {
					embeddedFields[i].put(slot.Bytes(), embeddedFields[i].bad[0])
					want = embeddedFields[i].reason
				}
			}
			requireSameEmbeddedVerdict(t, slot, want)
		})
	}
	// Whatever the slot holds, the two agree.
	r := rand.New(rand.NewPCG(8, 33))
	for range 1000 {
		slot := slotWith(randomBytes(r, HeaderSlotSize))
		var e EncodedTensorHeader
		slot.LoadEncodedTensor(&e)
		if plain, cached := ValidateEmbeddedHeader(slot), ValidateEmbedded(slot, &e); plain != cached {
			t.Fatalf("slot %x: ValidateEmbedded = %v, ValidateEmbeddedHeader = %v", slot.Bytes(), cached, plain)
		}
	}
}

// ValidateEmbedded reads the headerBytes length from the slot and the embedded message
// header from e, as its documentation says: a consumer's cached e is judged against the
// slot's current length prefix.
func TestValidateEmbeddedReadsLengthFromSlotAndHeaderFromEncoding(t *testing.T) {
	h, tensor := validSlotHeader(0), validTensor()
	slot := newHeapSlot()
	slot.EncodeHeader(&h, &tensor)
	var e EncodedTensorHeader
	slot.LoadEncodedTensor(&e)

	embeddedFields[2].put(slot.Bytes(), 51) // the slot's templateId changes after the load
	requireDrop(t, ValidateEmbedded(slot, &e), DropNone)
	requireDrop(t, ValidateEmbeddedHeader(slot), DropEmbeddedTemplateID)

	embeddedFields[0].put(slot.Bytes(), 191) // the slot's length prefix changes after the load
	requireDrop(t, ValidateEmbedded(slot, &e), DropHeaderBytesLength)
}

// TestTensorHeaderEqualIsEquality: Equal, which a producer asks on every frame instead of
// ==, agrees with == whichever byte of a field differs, and ignores the padding after
// ProgressUnit as == does.
func TestTensorHeaderEqualIsEquality(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 6))
	asBytes := func(h *TensorHeader) *[tensorHeaderSize]byte { return (*[tensorHeaderSize]byte)(unsafe.Pointer(h)) }
	for _, c := range encodedTensorCases() {
		a, b := c.t, c.t
		if !a.Equal(&b) || !b.Equal(&a) {
			t.Fatalf("%s: Equal false for a copy", c.name)
		}
		for off := range int(tensorHeaderSize) {
			padding := off == 6 || off == 7
			for _, x := range []byte{0x01, 0x80, byte(r.Uint32()) | 1} {
				b = c.t
				asBytes(&b)[off] ^= x
				if got, want := a.Equal(&b), a == b; got != want || got != padding {
					t.Fatalf("%s, byte %d changed by %#x: Equal %v, == %v", c.name, off, x, got, want)
				}
				if b.Equal(&a) != a.Equal(&b) {
					t.Fatalf("%s, byte %d changed by %#x: Equal not symmetric", c.name, off, x)
				}
			}
		}
	}
	for range 1000 {
		var a, b TensorHeader
		copy(asBytes(&a)[:], randomBytes(r, int(tensorHeaderSize)))
		b = a
		if r.IntN(2) == 0 {
			copy(asBytes(&b)[:], randomBytes(r, int(tensorHeaderSize)))
		}
		if a.Equal(&b) != (a == b) {
			t.Fatalf("Equal %v, == %v for %+v and %+v", a.Equal(&b), a == b, a, b)
		}
	}
}

// EncodeFrameFields, for a slot its writer knows holds the frame's tensor header already,
// writes what EncodeFrame writes in line 0, from any prior bytes there, and leaves the
// three tensor lines as they are (it does not even read them).
func TestWireSpec_8_2_EncodeFrameFieldsWritesLineZeroOnly(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 3))
	h := validSlotHeader(5)
	tensor := validTensor()
	var e EncodedTensorHeader
	e.Encode(&tensor)
	for i := range 50 {
		prior := randomBytes(r, HeaderSlotSize)
		if i%2 == 0 { // a zeroed pad and the right length already: the stores EncodeFrame skips
			clear(prior[slotPadOffset:slotHeaderBytesLenOffset])
			binary.LittleEndian.PutUint32(prior[slotHeaderBytesLenOffset:], TensorHeaderEncodedLength)
		}
		whole, fields := slotWith(bytes.Clone(prior)), slotWith(bytes.Clone(prior))
		whole.EncodeFrame(h.ValuesLenBytes, h.PayloadSlot, h.PoolID, h.MetaVersion, &e)
		fields.EncodeFrameFields(h.ValuesLenBytes, h.PayloadSlot, h.PoolID, h.MetaVersion)
		if !bytes.Equal(fields.Bytes()[:tensorLinesFrom], whole.Bytes()[:tensorLinesFrom]) {
			t.Fatalf("prior %d: line 0 %x, EncodeFrame writes %x", i, fields.Bytes()[:tensorLinesFrom], whole.Bytes()[:tensorLinesFrom])
		}
		if !bytes.Equal(fields.Bytes()[tensorLinesFrom:], prior[tensorLinesFrom:]) {
			t.Fatalf("prior %d: the tensor lines changed", i)
		}
	}
}

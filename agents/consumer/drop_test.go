package consumer

import (
	"encoding/binary"
	"testing"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// Offsets inside a header slot, for crafting bad headers (shm/header_slot.go layout).
const (
	offValuesLen     = 8
	offPayloadSlot   = 12
	offPoolID        = 16
	offPayloadOffset = 18
	offHeaderBytes   = 60
	offEmbBlockLen   = 64
	offEmbTemplate   = 66
	offEmbSchema     = 68
	offEmbVersion    = 70
	offTensor        = 72
)

// dropCase crafts one violation: mutate the slot written for seq 10 (index 2), and/or the
// descriptor, and expect one drop.
type dropCase struct {
	name string
	slot func(s shm.HeaderSlot)
	desc func(d *wire.FrameDescriptor)
	want Drop
}

// runDropCases runs each case twice: on a fresh consumer, and on one that has just
// accepted a valid frame, so its cache of the last tensor header verdict is warm; the warm
// run also checks that the next valid frame is accepted again.
func runDropCases(t *testing.T, cases []dropCase) {
	t.Helper()
	for _, c := range cases {
		for _, warm := range []bool{false, true} {
			name := c.name + "/cold"
			if warm {
				name = c.name + "/warm"
			}
			t.Run(name, func(t *testing.T) {
				r := newRig(t)
				const seq = 10
				accepted := uint64(0)
				if warm {
					r.write(seq-1, 100, 1)
					if got := r.deliver(seq - 1); got != DropNone {
						t.Fatalf("warm-up frame: %v", got)
					}
					accepted = 1
				}
				r.write(seq, 100, 1)
				if c.slot != nil {
					c.slot(r.slot(seq))
				}
				d := r.descriptor(seq)
				if c.desc != nil {
					c.desc(d)
				}
				if got := r.c.rd.HandleDescriptor(encode(d)); got != c.want {
					t.Fatalf("verdict %v, want %v", got, c.want)
				}
				cs := r.c.Counters()
				if cs.Drops[c.want] != 1 || cs.Frames != accepted || uint64(len(r.got)) != accepted {
					t.Fatalf("counters %+v, handler calls %d", cs, len(r.got))
				}
				if wantLate := c.want.late(); (cs.DropsLate == 1) != wantLate {
					t.Fatalf("drops_late %d, want late=%v", cs.DropsLate, wantLate)
				}
				if warm {
					next := max(d.Seq, seq) + 1
					r.write(next, 100, 1)
					if got := r.deliver(next); got != DropNone {
						t.Fatalf("valid frame after the drop: %v", got)
					}
				}
			})
		}
	}
}

func put16(s shm.HeaderSlot, off int, v uint16) { binary.LittleEndian.PutUint16(s.Bytes()[off:], v) }
func put32(s shm.HeaderSlot, off int, v uint32) { binary.LittleEndian.PutUint32(s.Bytes()[off:], v) }

func tensor(s shm.HeaderSlot, mutate func(*shm.TensorHeader)) {
	var t shm.TensorHeader
	s.Tensor().Decode(&t)
	mutate(&t)
	s.Tensor().Encode(&t)
	// Encode zero-fills beyond Ndims; restore what a hostile writer could leave there.
	for i := int(t.Ndims); i < shm.MaxDims; i++ {
		s.Tensor().SetDim(i, t.Dims[i])
		s.Tensor().SetStride(i, t.Strides[i])
	}
}

func TestWireSpec_10_2_1_DescriptorRules(t *testing.T) {
	runDropCases(t, []dropCase{
		{name: "epoch not mapped is ignored", desc: func(d *wire.FrameDescriptor) { d.Epoch++ }, want: DropEpochMismatch},
		{name: "older epoch is ignored", desc: func(d *wire.FrameDescriptor) { d.Epoch-- }, want: DropEpochMismatch},
		{name: "another stream", desc: func(d *wire.FrameDescriptor) { d.StreamID++ }, want: DropStreamMismatch},
		{name: "header_index out of range", desc: func(d *wire.FrameDescriptor) { d.HeaderIndex = 8 }, want: Drop(shm.DropHeaderIndexOutOfRange)},
		{name: "slot holds another seq (stale reuse)", desc: func(d *wire.FrameDescriptor) { d.Seq += 8 }, want: Drop(shm.DropSequenceMismatch)},
		{name: "values_len_bytes beyond stride", slot: func(s shm.HeaderSlot) { put32(s, offValuesLen, 4097) }, want: Drop(shm.DropValuesLenExceedsStride)},
	})
}

func TestWireSpec_8_3_SeqlockAndEmbeddedHeaderRules(t *testing.T) {
	runDropCases(t, []dropCase{
		{name: "in progress (step 2)", slot: func(s shm.HeaderSlot) { s.BeginWrite(10) }, want: Drop(shm.DropNotCommitted)},
		{name: "headerBytes length", slot: func(s shm.HeaderSlot) { put32(s, offHeaderBytes, 191) }, want: Drop(shm.DropHeaderBytesLength)},
		{name: "embedded blockLength", slot: func(s shm.HeaderSlot) { put16(s, offEmbBlockLen, 183) }, want: Drop(shm.DropEmbeddedBlockLength)},
		{name: "embedded templateId", slot: func(s shm.HeaderSlot) { put16(s, offEmbTemplate, 51) }, want: Drop(shm.DropEmbeddedTemplateID)},
		{name: "embedded schemaId", slot: func(s shm.HeaderSlot) { put16(s, offEmbSchema, 901) }, want: Drop(shm.DropEmbeddedSchemaID)},
		{name: "embedded version", slot: func(s shm.HeaderSlot) { put16(s, offEmbVersion, 2) }, want: Drop(shm.DropEmbeddedVersion)},
	})
}

func TestWireSpec_8_2_TensorHeaderRules(t *testing.T) {
	runDropCases(t, []dropCase{
		{name: "ndims 0", slot: func(s shm.HeaderSlot) { tensor(s, func(t *shm.TensorHeader) { t.Ndims = 0 }) }, want: Drop(shm.DropNdimsOutOfRange)},
		{name: "ndims 9", slot: func(s shm.HeaderSlot) { s.Tensor().SetNdims(9) }, want: Drop(shm.DropNdimsOutOfRange)},
		{name: "payload_offset not 0", slot: func(s shm.HeaderSlot) { put32(s, offPayloadOffset, 64) }, want: Drop(shm.DropPayloadOffsetNonZero)},
		{name: "negative dim", slot: func(s shm.HeaderSlot) { tensor(s, func(t *shm.TensorHeader) { t.Dims[0] = -1 }) }, want: Drop(shm.DropNegativeDim)},
		{name: "negative stride", slot: func(s shm.HeaderSlot) { tensor(s, func(t *shm.TensorHeader) { t.Strides[0] = -1 }) }, want: Drop(shm.DropNegativeStride)},
		{name: "innermost stride below element size", slot: func(s shm.HeaderSlot) {
			tensor(s, func(t *shm.TensorHeader) { t.Dtype, t.Strides[0] = shm.DtypeFloat32, 2 })
		}, want: Drop(shm.DropStrideBelowElemSize)},
		{name: "row-major strides (4,2) for dims (2,2) float32", slot: func(s shm.HeaderSlot) {
			tensor(s, func(t *shm.TensorHeader) {
				t.Dtype, t.Ndims, t.Dims, t.Strides = shm.DtypeFloat32, 2, [8]int32{2, 2}, [8]int32{4, 2}
			})
		}, want: Drop(shm.DropStrideBelowElemSize)},
		{name: "strides contradict major order", slot: func(s shm.HeaderSlot) {
			tensor(s, func(t *shm.TensorHeader) { t.Ndims, t.Dims, t.Strides = 2, [8]int32{2, 50}, [8]int32{1, 2} })
		}, want: Drop(shm.DropStridesOverlap)},
		{name: "progress stride 0", slot: func(s shm.HeaderSlot) {
			tensor(s, func(t *shm.TensorHeader) { t.ProgressUnit = shm.ProgressUnitRows })
		}, want: Drop(shm.DropProgressStrideZero)},
		{name: "dims beyond values_len_bytes", slot: func(s shm.HeaderSlot) {
			tensor(s, func(t *shm.TensorHeader) { t.Dims[0] = 101 })
		}, want: DropTensorExceedsPayload},
		{name: "progress stride inconsistent", slot: func(s shm.HeaderSlot) {
			tensor(s, func(t *shm.TensorHeader) { t.ProgressUnit, t.ProgressStrideBytes = shm.ProgressUnitRows, 7 })
		}, want: Drop(shm.DropProgressStrideMismatch)},
	})
}

func TestWireSpec_15_8_UnknownEnumsRejected(t *testing.T) {
	runDropCases(t, []dropCase{
		{name: "dtype 12 (unassigned)", slot: func(s shm.HeaderSlot) { s.Tensor().SetDtype(12) }, want: Drop(shm.DropUnknownDtype)},
		{name: "dtype UNKNOWN", slot: func(s shm.HeaderSlot) { s.Tensor().SetDtype(shm.DtypeUnknown) }, want: Drop(shm.DropUnknownDtype)},
		{name: "major order 3", slot: func(s shm.HeaderSlot) { s.Tensor().SetMajorOrder(3) }, want: Drop(shm.DropUnknownMajorOrder)},
		{name: "progress unit 3", slot: func(s shm.HeaderSlot) { s.Tensor().SetProgressUnit(3) }, want: Drop(shm.DropUnknownProgressUnit)},
	})
}

func TestWireSpec_9_And_15_5_PoolRules(t *testing.T) {
	runDropCases(t, []dropCase{
		{name: "pool_id not announced", slot: func(s shm.HeaderSlot) { put16(s, offPoolID, 5) }, want: DropUnknownPool},
		{name: "payload_slot differs from header_index", slot: func(s shm.HeaderSlot) { put32(s, offPayloadSlot, 3) }, want: Drop(shm.DropPayloadSlotNotHeaderIndex)},
	})
}

func TestWireSpec_15_21_DropWhileUnmapped(t *testing.T) {
	r := newRig(t)
	r.write(1, 10, 1)
	r.c.Unmap()
	if got := r.deliver(1); got != DropNotMapped {
		t.Fatalf("verdict %v", got)
	}
}

func TestWireSpec_10_2_1_MalformedAndForeignDescriptors(t *testing.T) {
	r := newRig(t)
	r.write(1, 10, 1)
	good := encode(r.descriptor(1))
	short := good[:20]
	lowBlock := append([]byte(nil), good...)
	binary.LittleEndian.PutUint16(lowBlock, 35) // blockLength below FrameDescriptor's 36
	foreign := append([]byte(nil), good...)
	binary.LittleEndian.PutUint16(foreign[4:], 901) // driver schema: template 4 is another message there
	for _, c := range []struct {
		name string
		buf  []byte
		want Drop
	}{
		{"truncated", short, DropDescriptorMalformed},
		{"shorter than a message header", good[:5], DropDescriptorMalformed},
		{"block length below the schema's", lowBlock, DropDescriptorMalformed},
		{"another schema is not a descriptor", foreign, DropNone},
	} {
		if got := r.c.rd.HandleDescriptor(c.buf); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if cs := r.c.Counters(); cs.Ignored != 1 || cs.Drops[DropDescriptorMalformed] != 3 || len(r.got) != 0 {
		t.Fatalf("counters %+v", cs)
	}
	if got := r.c.rd.HandleDescriptor(good); got != DropNone || len(r.got) != 1 {
		t.Fatalf("valid descriptor after malformed ones: %v", got)
	}
}

func TestWireSpec_15_3_ChangedDuringReadIsLate(t *testing.T) {
	r := newRig(t)
	r.write(10, 100, 1)
	var valid bool
	r.onFrame = func(f *Frame) {
		r.write(18, 100, 1) // the producer laps the ring while the handler reads
		valid = f.Valid()
	}
	if got := r.deliver(10); got != Drop(shm.DropChanged) {
		t.Fatalf("verdict %v", got)
	}
	if valid {
		t.Fatal("Frame.Valid true after the slot was rewritten")
	}
	if cs := r.c.Counters(); cs.DropsLate != 1 || cs.Frames != 0 {
		t.Fatalf("counters %+v", cs)
	}
}

// A handler that defers validation (a batch handed to C) is handed the frame's seqlock
// word, and the frame counts as delivered: the re-check is the caller's, after the call.
func TestWireSpec_8_3_DeferredValidationIsTheCallersCheck(t *testing.T) {
	r := newRig(t)
	r.write(10, 100, 1)
	var word *uint64
	var first uint64
	r.onFrame = func(f *Frame) {
		f.DeferValidation()
		word, first = f.SeqCommitWord(), f.SeqCommit()
	}
	if got := r.deliver(10); got != DropNone {
		t.Fatalf("verdict %v", got)
	}
	if first != shm.Committed(10) || !shm.SeqCommitUnchanged(word, first) {
		t.Fatalf("seq_commit %#x, word %#x; want %#x in both", first, *word, shm.Committed(10))
	}
	r.write(18, 100, 1) // the producer laps the ring before the caller reads
	if shm.SeqCommitUnchanged(word, first) {
		t.Fatal("the kept seqlock word did not change when the slot was rewritten")
	}
	r.onFrame = func(f *Frame) {
		f.DeferValidation()
		r.write(f.Seq+8, 100, 1) // overwritten inside the handler: still the caller's to see
	}
	r.write(19, 100, 1)
	if got := r.deliver(19); got != DropNone {
		t.Fatalf("deferred frame overwritten in the handler: verdict %v", got)
	}
	if cs := r.c.Counters(); cs.Frames != 2 || cs.DropsLate != 0 {
		t.Fatalf("counters %+v", cs)
	}
	r.onFrame = func(f *Frame) { r.write(f.Seq+8, 100, 1) } // without deferring: late
	r.write(28, 100, 1)
	if got := r.deliver(28); got != Drop(shm.DropChanged) {
		t.Fatalf("verdict %v", got)
	}
}

func TestWireSpec_15_4_GapsAndRegressions(t *testing.T) {
	r := newRig(t)
	for _, seq := range []uint64{1, 2, 5, 6} {
		r.write(seq, 10, 1)
		if got := r.deliver(seq); got != DropNone {
			t.Fatalf("seq %d: %v", seq, got)
		}
	}
	cs := r.c.Counters()
	if cs.DropsGap != 2 || cs.Frames != 4 || cs.LastSeq != 6 {
		t.Fatalf("counters %+v", cs)
	}
	// A repeated or older seq is a regression (§15.2): dropped, tracking restarts there.
	for _, seq := range []uint64{6, 3} {
		if got := r.deliver(seq); got != DropSeqRegression {
			t.Fatalf("seq %d: %v", seq, got)
		}
	}
	r.write(4, 10, 1)
	if got := r.deliver(4); got != DropNone {
		t.Fatalf("seq 4 after the restart at 3: %v", got)
	}
}

func TestSeqTracker(t *testing.T) {
	tr := seqTracker{maxGap: 2}
	for i, c := range []struct {
		seq  uint64
		want seqStep
	}{
		{1, seqStep{}},
		{5, seqStep{gap: 3, resync: true}},
		{6, seqStep{}},
		{8, seqStep{gap: 1}},
		{11, seqStep{gap: 2}},
		{11, seqStep{regressed: true}},
		{9, seqStep{regressed: true}},
		{10, seqStep{}},
	} {
		if got := tr.observe(c.seq); got != c.want {
			t.Fatalf("step %d seq %d: %+v, want %+v", i, c.seq, got, c.want)
		}
	}
}

func TestAcceptedFrameView(t *testing.T) {
	r := newRig(t)
	r.write(10, 3000, 1)
	r.onFrame = func(f *Frame) {
		if !f.Valid() {
			t.Error("Valid false on an untouched slot")
		}
	}
	if got := r.deliver(10); got != DropNone {
		t.Fatal(got)
	}
	f := r.got[0]
	if f.Seq != 10 || f.HeaderIndex != 2 || f.Epoch != 3 || f.StreamID != 7 || f.PoolID != 1 || f.TimestampNs != 110 || f.MetaVersion != 5 {
		t.Fatalf("frame %+v", f)
	}
	if len(f.Dims()) != 1 || f.Dims()[0] != 3000 || f.Strides[0] != 1 || f.Tensor.Dtype != shm.DtypeUint8 {
		t.Fatalf("tensor %+v strides %v", f.Tensor, f.Strides)
	}
	if len(f.Payload) != 3000 || f.Payload[0] != 10 || f.Payload[2999] != 10 {
		t.Fatalf("payload len %d", len(f.Payload))
	}
	if r.c.rd.frame.Payload != nil {
		t.Fatal("the consumer kept the payload slice after the handler")
	}
	// §8.2: an empty payload is a valid frame with an empty slice.
	r.write(11, 0, 2)
	if got := r.deliver(11); got != DropNone || len(r.got[1].Payload) != 0 {
		t.Fatalf("empty frame: %v", got)
	}
}

func TestDropNamesAndSections(t *testing.T) {
	for d := Drop(1); d < dropCount; d++ {
		if d.String() == "" || d.Section() == "" || d.String() == "unknown drop" {
			t.Errorf("drop %d: %q §%q", d, d.String(), d.Section())
		}
	}
	if DropSeqRegression.String() != "descriptor seq regressed (§15.2)" || Drop(shm.DropChanged).Section() != "8.3" {
		t.Fatalf("%q %q", DropSeqRegression, Drop(shm.DropChanged).Section())
	}
	if Drop(dropCount).String() != "unknown drop" {
		t.Fatal("out-of-range drop named")
	}
}

func TestWireSpec_11_RateLimitedConsumerThinsLocally(t *testing.T) {
	r := newRig(t)
	r.c.SetMode(wire.ModeRateLimited, 100) // one frame per 10 ms
	for i, c := range []struct {
		advance int64
		want    Drop
	}{
		{0, DropNone},
		{5_000_000, DropRateLimited},
		{4_999_999, DropRateLimited},
		{1, DropNone},
		{10_000_000, DropNone},
	} {
		seq := uint64(i + 1)
		r.write(seq, 10, 1)
		r.clock.now += c.advance
		if got := r.deliver(seq); got != c.want {
			t.Fatalf("frame %d: %v, want %v", i, got, c.want)
		}
	}
	cs := r.c.Counters()
	if cs.Frames != 3 || cs.Drops[DropRateLimited] != 2 || cs.DropsLate != 0 || cs.DropsGap != 0 {
		t.Fatalf("counters %+v", cs)
	}
	// STREAM mode, or no cap, delivers everything.
	r.c.SetMode(wire.ModeStream, 100)
	r.write(6, 10, 1)
	if got := r.deliver(6); got != DropNone {
		t.Fatal(got)
	}
	r.c.SetMode(wire.ModeRateLimited, 0)
	r.write(7, 10, 1)
	if got := r.deliver(7); got != DropNone {
		t.Fatal(got)
	}
}

// TestWireSpec_8_2_EachFrameCarriesItsOwnShape: the consumer keeps the verdict on the last
// tensor header it read; a frame whose header differs must still be decoded and checked.
func TestWireSpec_8_2_EachFrameCarriesItsOwnShape(t *testing.T) {
	r := newRig(t)
	lengths := []int{10, 10, 20, 10, 300, 300, 0, 10}
	for i, n := range lengths {
		seq := uint64(20 + i)
		r.write(seq, n, 1)
		if got := r.deliver(seq); got != DropNone {
			t.Fatalf("seq %d: %v", seq, got)
		}
	}
	for i, f := range r.got {
		if n := lengths[i]; f.Dims()[0] != int32(n) || len(f.Payload) != n {
			t.Errorf("frame %d: dims %v and %d payload bytes, want %d", i, f.Dims(), len(f.Payload), n)
		}
	}
}

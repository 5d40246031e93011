//go:build !race

package shm

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestWireSpec_15_13_SeqlockNoTornFramesWithEncodeHeaderLines is the torn-read stress test
// of seqlock_stress_norace_test.go on the producer's and consumer's actual header paths:
// the writer stores only the tensor-header lines that changed (EncodeHeaderLines), cycling
// through shapes that differ in one line or in all of them and repeating each for a few
// frames; the reader keeps a tensor-header verdict and reuses it while HasEncodedTensor
// says the slot's bytes are unchanged, else reloads it (LoadEncodedTensor), as the consumer
// does. Every frame ReadEnd accepts must carry its own slot header and its own shape.
// Plain accesses race by design, so this test is built without -race.
func TestWireSpec_15_13_SeqlockNoTornFramesWithEncodeHeaderLines(t *testing.T) {
	base := TensorHeader{Dtype: DtypeUint8, MajorOrder: MajorOrderRow, Ndims: MaxDims,
		Dims: [MaxDims]int32{1, 2, 3, 4, 5, 6, 7, 8}, Strides: [MaxDims]int32{8, 7, 6, 5, 4, 3, 2, 1}}
	shapes := []TensorHeader{base, base, base, {Dtype: DtypeFloat64, MajorOrder: MajorOrderColumn, Ndims: 1, Dims: [MaxDims]int32{9}}}
	shapes[1].Strides[7] = 100 // differs from base in tensor line 2 only (slot bytes 128..191)
	shapes[2].Dims[0] = 100    // differs from base in tensor line 1 only (slot bytes 64..127)
	encodings := make([]EncodedTensorHeader, len(shapes))
	for i := range shapes {
		encodings[i].Encode(&shapes[i])
	}
	// Each shape is repeated for three frames, so both skipped and stored lines occur.
	shapeOf := func(seq uint64) int { return int(seq/3) % len(shapes) }
	header := func(seq uint64) SlotHeader {
		return SlotHeader{ValuesLenBytes: uint32(seq), PayloadSlot: uint32(seq >> 32), PoolID: uint16(seq),
			TimestampNs: seq, MetaVersion: uint32(seq)}
	}

	forEachRegionKind(t, func(t *testing.T, newRegion func(int) Region) {
		ring := newTestRing(t, newRegion, 1)
		slot, _ := ring.Slot(0)

		var pacer readerPacer
		var done atomic.Bool
		var wg sync.WaitGroup
		wg.Go(func() {
			defer done.Store(true)
			for seq := uint64(1); seq <= stressFrames; seq++ {
				h := header(seq)
				slot.BeginWrite(seq)
				encodeHeaderLines(slot, &h, &encodings[shapeOf(seq)])
				slot.Commit(seq)
				pacer.letReaderIn(seq)
			}
		})

		var h SlotHeader
		var known bool
		var cached EncodedTensorHeader
		var tensor TensorHeader
		var accepted, reused, notCommitted, changed int
		for !done.Load() || accepted == 0 {
			seq := SequenceOf(slot.SeqCommit())
			first, r := slot.ReadBegin(seq)
			if r != DropNone {
				notCommitted++
				continue
			}
			pacer.readStarted()
			slot.DecodeFixed(&h)
			hit := known && slot.HasEncodedTensor(&cached)
			if !hit {
				slot.LoadEncodedTensor(&cached)
				cached.Decode(&tensor)
				known = true
			}
			embedded := ValidateEmbedded(slot, &cached)
			end := slot.ReadEnd(first)
			pacer.readFinished()
			if end != DropNone {
				changed++ // a read the writer overlapped: torn, and rejected
				continue
			}
			wantH := header(seq)
			wantH.SeqCommit = first
			if h != wantH {
				t.Fatalf("accepted torn slot header for seq %d: %+v", seq, h)
			}
			if want := shapes[shapeOf(seq)]; tensor != want || cached != encodings[shapeOf(seq)] {
				t.Fatalf("accepted seq %d with tensor header %+v (reused %v), want %+v", seq, tensor, hit, want)
			}
			if embedded != DropNone {
				t.Fatalf("accepted seq %d with embedded header verdict %v", seq, embedded)
			}
			if hit {
				reused++
			}
			accepted++
		}
		wg.Wait()
		t.Logf("accepted %d reads (%d reusing the verdict); dropped %d in progress, %d changed during the read",
			accepted, reused, notCommitted, changed)
	})
}

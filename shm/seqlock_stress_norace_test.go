//go:build !race

package shm

import (
	"bytes"
	"sync"
	"sync/atomic"
	"testing"
)

// TestWireSpec_15_13_SeqlockNoTornFramesUnderOverwrite is the real data-path race: the
// writer fills header and payload with plain stores while the reader decodes and copies
// them with plain loads, exactly as producers and consumers do. Torn reads happen by
// design and must all be caught by the seqlock. The race detector would (rightly) report
// these intended races, so this test is built without -race; the race-safe variant is
// in seqlock_stress_test.go.
func TestWireSpec_15_13_SeqlockNoTornFramesUnderOverwrite(t *testing.T) {
	const payloadBytes = 1024
	forEachRegionKind(t, func(t *testing.T, newRegion func(int) Region) {
		ring := newTestRing(t, newRegion, 1)
		slot, _ := ring.Slot(0)
		payload := newRegion(SuperblockSize + payloadBytes).Bytes()[SuperblockSize:]

		frame := func(seq uint64) (SlotHeader, TensorHeader) {
			h := SlotHeader{ValuesLenBytes: uint32(seq), PayloadSlot: uint32(seq >> 32), TimestampNs: seq, MetaVersion: uint32(seq)}
			tensor := TensorHeader{Dtype: DtypeUint8, MajorOrder: MajorOrderRow, Ndims: MaxDims}
			for i := range MaxDims {
				tensor.Dims[i] = int32(seq) + int32(i)
				tensor.Strides[i] = int32(seq) - int32(i)
			}
			return h, tensor
		}

		var pacer readerPacer
		var done atomic.Bool
		var wg sync.WaitGroup
		wg.Go(func() {
			defer done.Store(true)
			for seq := uint64(1); seq <= stressFrames; seq++ {
				h, tensor := frame(seq)
				slot.BeginWrite(seq)
				for i := range payload {
					payload[i] = byte(seq)
				}
				slot.EncodeHeader(&h, &tensor)
				slot.Commit(seq)
				pacer.letReaderIn(seq)
			}
		})

		var h SlotHeader
		var tensor TensorHeader
		buf := make([]byte, payloadBytes)
		var accepted, notCommitted, changed int
		for !done.Load() || accepted == 0 {
			seq := SequenceOf(slot.SeqCommit())
			first, r := slot.ReadBegin(seq)
			if r != DropNone {
				notCommitted++
				continue
			}
			pacer.readStarted()
			slot.DecodeHeader(&h, &tensor)
			copy(buf, payload)
			end := slot.ReadEnd(first)
			pacer.readFinished()
			if end != DropNone {
				changed++ // a read the writer overlapped: torn, and rejected
				continue
			}
			wantH, wantT := frame(seq)
			wantH.SeqCommit = first
			if h != wantH || tensor != wantT {
				t.Fatalf("accepted torn header for seq %d: %+v %+v", seq, h, tensor)
			}
			if bytes.Count(buf, []byte{byte(seq)}) != payloadBytes {
				t.Fatalf("accepted torn payload for seq %d", seq)
			}
			accepted++
		}
		wg.Wait()
		t.Logf("accepted %d reads; dropped %d in progress, %d changed during the read", accepted, notCommitted, changed)
	})
}

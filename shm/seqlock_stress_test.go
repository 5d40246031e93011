package shm

import (
	"sync"
	"sync/atomic"
	"testing"
)

// stressFrames bounds the stress tests so they end quickly even under -race.
const stressFrames = 5000

// stressPayloadWords is how many 8-byte words each frame writes: enough that a reader
// interleaved with the writer sees words from different frames.
const stressPayloadWords = 32

// readerPacer makes the writer wait, after committing, until the reader has begun a read
// (on even frames: the next write then lands in the middle of that read, which must be
// rejected) or finished one (on odd frames: that read should be accepted). The spin is
// bounded, so a descheduled reader only slows the writer down.
type readerPacer struct{ started, finished atomic.Uint64 }

func (p *readerPacer) readStarted()  { p.started.Add(1) }
func (p *readerPacer) readFinished() { p.finished.Add(1) }

func (p *readerPacer) letReaderIn(seq uint64) {
	counter := &p.finished
	if seq%2 == 0 {
		counter = &p.started
	}
	start := counter.Load()
	for spin := 0; spin < 2000 && counter.Load() == start; spin++ {
	}
}

// TestWireSpec_15_13_SeqlockNoTornReadsRaceSafe runs one writer and one reader on the
// same slot. Every shared access is atomic — seq_commit through the seqlock API, payload
// words with atomic loads and stores — so the race detector checks the seqlock API
// itself, while the test checks that no frame accepted by ReadEnd mixes words from two
// frames. The torn-read test with plain header and payload accesses is in
// seqlock_stress_norace_test.go.
func TestWireSpec_15_13_SeqlockNoTornReadsRaceSafe(t *testing.T) {
	forEachRegionKind(t, func(t *testing.T, newRegion func(int) Region) {
		ring := newTestRing(t, newRegion, 1)
		slot, _ := ring.Slot(0)
		payload := newRegion(SuperblockSize + 8*stressPayloadWords).Bytes()[SuperblockSize:]
		word := func(i int) *uint64 { return word64(payload, 8*i) }

		var pacer readerPacer
		var done atomic.Bool
		var wg sync.WaitGroup
		wg.Go(func() {
			defer done.Store(true)
			for seq := uint64(1); seq <= stressFrames; seq++ {
				slot.BeginWrite(seq)
				for i := range stressPayloadWords {
					atomic.StoreUint64(word(i), seq)
				}
				slot.Commit(seq)
				pacer.letReaderIn(seq)
			}
		})

		var accepted, notCommitted, changed int
		for !done.Load() || accepted == 0 {
			current := slot.SeqCommit()
			first, r := slot.ReadBegin(SequenceOf(current))
			if r != DropNone {
				notCommitted++
				continue
			}
			pacer.readStarted()
			var seen [stressPayloadWords]uint64
			for i := range seen {
				seen[i] = atomic.LoadUint64(word(i))
			}
			end := slot.ReadEnd(first)
			pacer.readFinished()
			if end != DropNone {
				changed++ // a read the writer overlapped: torn, and rejected
				continue
			}
			for i, v := range seen {
				if v != SequenceOf(first) {
					t.Fatalf("accepted frame %d has word %d from frame %d", SequenceOf(first), i, v)
				}
			}
			accepted++
		}
		wg.Wait()
		t.Logf("accepted %d reads; dropped %d in progress, %d changed during the read", accepted, notCommitted, changed)
	})
}

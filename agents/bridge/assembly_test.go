package bridge

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// fakeSink is a destination of one pool per stride, recording what it was asked.
type fakeSink struct {
	strides     []uint32
	notAttached bool
	failPublish bool
	buf         []byte
	open        bool
	seq         uint64
	begun       int
	aborted     int
	done        []doneFrame
}

type doneFrame struct {
	seq     uint64
	header  FrameHeader
	payload []byte
}

func (s *fakeSink) Begin(seq uint64, n uint32) ([]byte, Verdict) {
	if s.open {
		panic("Begin while a slot is open")
	}
	if s.notAttached {
		return nil, DropNotAttached
	}
	for _, st := range s.strides {
		if n <= st {
			s.begun++
			s.open, s.seq = true, seq
			if cap(s.buf) < int(st) {
				s.buf = make([]byte, st)
			}
			clear(s.buf[:st])
			return s.buf[:n], ChunkStored
		}
	}
	return nil, DropNoLocalPool
}

func (s *fakeSink) Abort() {
	if !s.open {
		panic("Abort without an open slot")
	}
	s.open = false
	s.aborted++
}

func (s *fakeSink) Complete(h *FrameHeader) Verdict {
	if !s.open {
		panic("Complete without an open slot")
	}
	s.open = false
	if s.failPublish {
		return DropPublish
	}
	s.done = append(s.done, doneFrame{seq: s.seq, header: *h, payload: bytes.Clone(s.buf[:h.Slot.ValuesLenBytes])})
	return FrameDone
}

const (
	testStream = 10000
	testEpoch  = 7
	testPool   = 1
	testStride = 1 << 16
)

var testLimits = ReceiveLimits{MaxChunkBytes: 1200, MaxPayloadBytes: 1 << 20, TimeoutNs: 250e6}

func newTestReassembler(t *testing.T) (*Reassembler, *fakeSink) {
	t.Helper()
	sink := &fakeSink{strides: []uint32{4096, testStride}}
	r := NewReassembler(testLimits, sink)
	if v := r.OnAnnounce(testAnnounce(testEpoch)); v != AnnounceFirst {
		t.Fatalf("first announce: %v", v)
	}
	return r, sink
}

func testAnnounce(epoch uint64) *wire.ShmPoolAnnounce {
	return &wire.ShmPoolAnnounce{StreamID: testStream, Epoch: epoch, LayoutVersion: 1, HeaderNslots: 64, HeaderSlotBytes: 256,
		PayloadPools: []wire.PayloadPool{{PoolID: testPool, PoolNslots: 64, StrideBytes: testStride, RegionURI: "shm:file?path=/dev/shm/x"}}}
}

// headerSlot is the 256-byte header slot of a committed frame, as a producer writes it.
func headerSlot(t testing.TB, seq uint64, payloadLen uint32, edit func(*shm.SlotHeader, *shm.TensorHeader)) []byte {
	t.Helper()
	ring, err := shm.NewHeaderRing(shm.NewHeapRegion(shm.SuperblockSize+shm.HeaderSlotSize).Bytes(), 1)
	if err != nil {
		t.Fatal(err)
	}
	slot, _ := ring.Slot(0)
	h := shm.SlotHeader{ValuesLenBytes: payloadLen, PayloadSlot: uint32(seq & 63), PoolID: testPool, TimestampNs: 123456789, MetaVersion: 3}
	tensor := shm.TensorHeader{Dtype: shm.DtypeUint8, MajorOrder: shm.MajorOrderRow, Ndims: 1, Dims: [shm.MaxDims]int32{int32(payloadLen)}}
	if edit != nil {
		edit(&h, &tensor)
	}
	slot.BeginWrite(seq)
	slot.EncodeHeader(&h, &tensor)
	slot.Commit(seq)
	return bytes.Clone(slot.Bytes())
}

// frameChunks cuts a frame into encoded v1.1 chunks as a sender with these limits does.
func frameChunks(t testing.TB, seq uint64, payload, header []byte, limits ChunkLimits) [][]byte {
	t.Helper()
	return frameChunksAs(t, wire.V1_1, 0, seq, payload, header, limits)
}

// frameChunksAs is frameChunks in layout v, v1.2 chunks carrying traceID and their
// CRC32C as a v1.2 sender sends them.
func frameChunksAs(t testing.TB, v wire.Version, traceID, seq uint64, payload, header []byte, limits ChunkLimits) [][]byte {
	t.Helper()
	plan, ok := PlanChunks(uint32(len(payload)), limits)
	if !ok {
		t.Fatalf("%d bytes need too many chunks", len(payload))
	}
	var out [][]byte
	for i := uint32(0); i < plan.Count; i++ {
		off, n := plan.Chunk(i)
		c := wire.BridgeFrameChunk{Version: v, StreamID: testStream, Epoch: testEpoch, Seq: seq, ChunkIndex: i, ChunkCount: plan.Count,
			ChunkOffset: off, ChunkLength: n, PayloadLength: plan.PayloadLength, HeaderIncluded: i == 0,
			PayloadBytes: payload[off : off+n]}
		if i == 0 {
			c.HeaderBytes = header
		}
		if v == wire.V1_2 {
			c.TraceID, c.PayloadCrc32c = traceID, ChunkCRC32C(&c)
		}
		buf := make([]byte, c.EncodedLength())
		if _, err := c.Encode(buf); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf)
	}
	return out
}

func decode(t testing.TB, buf []byte) *wire.BridgeFrameChunk {
	t.Helper()
	var c wire.BridgeFrameChunk
	if err := c.Decode(buf); err != nil {
		t.Fatal(err)
	}
	return &c
}

func pattern(n int, seq uint64) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(uint64(i)*31 + seq)
	}
	return b
}

var sendLimits = ChunkLimits{First: 900, Rest: 1200}

// feed hands chunks to r in order and returns the last verdict.
func feed(t testing.TB, r *Reassembler, chunks [][]byte) Verdict {
	t.Helper()
	v := ChunkStored
	for _, c := range chunks {
		v = r.OnChunk(decode(t, c), 1)
	}
	return v
}

func checkDone(t *testing.T, sink *fakeSink, seq uint64, payload []byte) {
	t.Helper()
	if len(sink.done) == 0 {
		t.Fatal("no frame completed")
	}
	d := sink.done[len(sink.done)-1]
	if d.seq != seq || !bytes.Equal(d.payload, payload) {
		t.Fatalf("completed seq %d (%d bytes), want seq %d, byte-exact %d bytes", d.seq, len(d.payload), seq, len(payload))
	}
	if d.header.Slot.TimestampNs != 123456789 || d.header.Slot.MetaVersion != 3 || d.header.Tensor.Dims[0] != int32(len(payload)) {
		t.Fatalf("header not carried over: %+v", d.header)
	}
}

// Bridge spec §5.2 and §6: in-order chunks of a frame re-materialise it byte for byte,
// with its sequence number and header.
func TestBridgeSpec_6_FrameRematerialisedByteExact(t *testing.T) {
	r, sink := newTestReassembler(t)
	for _, n := range []int{0, 1, 899, 900, 901, 2100, 2101, 4096, 40000} {
		seq := uint64(100 + n)
		payload := pattern(n, seq)
		if v := feed(t, r, frameChunks(t, seq, payload, headerSlot(t, seq, uint32(n), nil), sendLimits)); v != FrameDone {
			t.Fatalf("%d bytes: last verdict %v", n, v)
		}
		checkDone(t, sink, seq, payload)
	}
	if sink.aborted != 0 {
		t.Fatalf("%d aborts", sink.aborted)
	}
}

// Bridge spec §5.2: chunks may arrive in any order, chunk 0 last included; the receiver
// assembles by offset and length (the reference dropped whatever came before chunk 0).
func TestBridgeSpec_5_2_OutOfOrderChunksAssemble(t *testing.T) {
	r, sink := newTestReassembler(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		seq := uint64(round + 1)
		payload := pattern(20000+round, seq)
		chunks := frameChunks(t, seq, payload, headerSlot(t, seq, uint32(len(payload)), nil), sendLimits)
		rng.Shuffle(len(chunks), func(i, j int) { chunks[i], chunks[j] = chunks[j], chunks[i] })
		if round == 0 { // chunk 0 last
			for i, c := range chunks {
				if decode(t, c).ChunkIndex == 0 {
					chunks[i], chunks[len(chunks)-1] = chunks[len(chunks)-1], chunks[i]
				}
			}
		}
		if v := feed(t, r, chunks); v != FrameDone {
			t.Fatalf("round %d: %v", round, v)
		}
		checkDone(t, sink, seq, payload)
	}
}

// Bridge spec §5.2: a receiver accepts any chunking within its bound, not only its own
// (the reference required offset = index × its chunk size).
func TestBridgeSpec_5_2_SenderChunkingNeedNotMatchTheReceivers(t *testing.T) {
	r, sink := newTestReassembler(t)
	payload := pattern(5000, 9)
	for i, limits := range []ChunkLimits{{First: 1, Rest: 1200}, {First: 700, Rest: 333}, {First: 1200, Rest: 1200}} {
		seq := uint64(9 + i)
		if v := feed(t, r, frameChunks(t, seq, payload, headerSlot(t, seq, 5000, nil), limits)); v != FrameDone {
			t.Fatalf("limits %+v: %v", limits, v)
		}
		checkDone(t, sink, seq, payload)
	}
}

// Bridge spec §5.2: identical duplicates are ignored; the frame still completes once.
func TestBridgeSpec_5_2_IdenticalDuplicatesAreIgnored(t *testing.T) {
	r, sink := newTestReassembler(t)
	payload := pattern(5000, 4)
	chunks := frameChunks(t, 4, payload, headerSlot(t, 4, 5000, nil), sendLimits)
	if v := r.OnChunk(decode(t, chunks[0]), 1); v != ChunkStored {
		t.Fatal(v)
	}
	if v := r.OnChunk(decode(t, chunks[0]), 1); v != ChunkDuplicate {
		t.Fatalf("duplicate chunk 0: %v", v)
	}
	if v := r.OnChunk(decode(t, chunks[2]), 1); v != ChunkStored {
		t.Fatal(v)
	}
	if v := r.OnChunk(decode(t, chunks[2]), 1); v != ChunkDuplicate {
		t.Fatalf("duplicate chunk 2: %v", v)
	}
	if v := feed(t, r, append(chunks[1:2], chunks[3:]...)); v != FrameDone {
		t.Fatal(v)
	}
	checkDone(t, sink, 4, payload)
	// The whole frame again: every chunk is stale, nothing is published twice.
	if v := feed(t, r, chunks); v != DropStaleFrame || len(sink.done) != 1 {
		t.Fatalf("replayed frame: %v, %d published", v, len(sink.done))
	}
	if n := r.Counts()[ChunkDuplicate]; n != 2 {
		t.Fatalf("%d duplicates counted", n)
	}
}

// Bridge spec §5.2: a chunk that conflicts with one stored (same index, other bytes or
// another slice) or overlaps another, or chunks whose lengths do not add up, drop the
// frame; §5.3: no descriptor is published for it.
func TestBridgeSpec_5_2_ConflictingChunksDropTheFrame(t *testing.T) {
	payload := pattern(5000, 5)
	header := headerSlot(t, 5, 5000, nil)
	for _, tc := range []struct {
		name  string
		chunk func(c *wire.BridgeFrameChunk)
	}{
		{"same index, other bytes", func(c *wire.BridgeFrameChunk) {
			c.ChunkIndex = 2
			c.PayloadBytes = bytes.Repeat([]byte{0xEE}, len(c.PayloadBytes))
		}},
		{"same index, other slice", func(c *wire.BridgeFrameChunk) { c.ChunkIndex = 2; c.ChunkOffset++ }},
		{"other index, overlapping slice", func(c *wire.BridgeFrameChunk) { c.ChunkIndex = 3; c.ChunkOffset -= 10 }},
		{"another chunk count", func(c *wire.BridgeFrameChunk) { c.ChunkCount++; c.ChunkIndex = c.ChunkCount - 1 }},
		{"another payload length", func(c *wire.BridgeFrameChunk) { c.PayloadLength++ }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, sink := newTestReassembler(t)
			chunks := frameChunks(t, 5, payload, header, sendLimits)
			feed(t, r, chunks[:3])
			c := decode(t, chunks[2])
			tc.chunk(c)
			if v := r.OnChunk(c, 1); v != DropConflict {
				t.Fatalf("conflicting chunk: %v", v)
			}
			if v := feed(t, r, chunks[3:]); v != DropStaleFrame || len(sink.done) != 0 || sink.aborted != 1 {
				t.Fatalf("rest of the frame: %v, %d published, %d aborted", v, len(sink.done), sink.aborted)
			}
		})
	}
	t.Run("lengths do not add up", func(t *testing.T) {
		r, sink := newTestReassembler(t)
		// Two chunks that claim a count of 3 and tile only part of the payload, then a third
		// empty one can't exist (empty chunks of a non-empty frame are refused): a 3-chunk
		// frame whose chunks leave a hole.
		chunks := frameChunks(t, 6, payload[:3000], headerSlot(t, 6, 3000, nil), ChunkLimits{First: 1000, Rest: 1000})
		last := decode(t, chunks[2])
		last.ChunkOffset, last.ChunkLength, last.PayloadBytes = 2500, 500, last.PayloadBytes[:500]
		feed(t, r, chunks[:2])
		if v := r.OnChunk(last, 1); v != DropConflict || len(sink.done) != 0 {
			t.Fatalf("hole in the payload: %v", v)
		}
	})
}

// Bridge spec §5.2: the rules a chunk is judged by alone.
func TestBridgeSpec_5_2_ChunkRules(t *testing.T) {
	payload := pattern(3000, 8)
	header := headerSlot(t, 8, 3000, nil)
	for _, tc := range []struct {
		name  string
		index int
		edit  func(c *wire.BridgeFrameChunk)
		want  Verdict
	}{
		{"chunkCount 0", 1, func(c *wire.BridgeFrameChunk) { c.ChunkCount = 0 }, DropChunkCount},
		{"chunkCount over 65535", 1, func(c *wire.BridgeFrameChunk) { c.ChunkCount = 65536 }, DropChunkCount},
		{"index not below count", 1, func(c *wire.BridgeFrameChunk) { c.ChunkIndex = c.ChunkCount }, DropChunkCount},
		{"chunk 0 without header", 0, func(c *wire.BridgeFrameChunk) { c.HeaderIncluded, c.HeaderBytes = false, nil }, DropHeaderPresence},
		{"chunk 0 with a short header", 0, func(c *wire.BridgeFrameChunk) { c.HeaderBytes = c.HeaderBytes[:255] }, DropHeaderPresence},
		{"header flag without bytes", 0, func(c *wire.BridgeFrameChunk) { c.HeaderBytes = nil }, DropHeaderPresence},
		{"later chunk with header", 1, func(c *wire.BridgeFrameChunk) { c.HeaderIncluded, c.HeaderBytes = true, header }, DropHeaderPresence},
		{"later chunk with header bytes only", 1, func(c *wire.BridgeFrameChunk) { c.HeaderBytes = header[:10] }, DropHeaderPresence},
		{"chunk 0 off offset 0", 0, func(c *wire.BridgeFrameChunk) { c.ChunkOffset = 1 }, DropFirstOffset},
		{"chunk over the receiver's bound", 1, func(c *wire.BridgeFrameChunk) {
			c.ChunkLength, c.PayloadBytes = 1201, make([]byte, 1201)
		}, DropChunkLength},
		{"payloadBytes not chunkLength long", 1, func(c *wire.BridgeFrameChunk) { c.PayloadBytes = c.PayloadBytes[1:] }, DropChunkLength},
		{"empty chunk of a non-empty frame", 1, func(c *wire.BridgeFrameChunk) { c.ChunkLength, c.PayloadBytes = 0, nil }, DropChunkLength},
		{"slice beyond payloadLength", 2, func(c *wire.BridgeFrameChunk) { c.ChunkOffset = 2900 }, DropSlice},
		{"payload beyond max_payload_bytes", 1, func(c *wire.BridgeFrameChunk) { c.PayloadLength = 1<<20 + 1 }, DropPayloadLength},
		{"payload beyond the source's largest stride", 1, func(c *wire.BridgeFrameChunk) { c.PayloadLength = testStride + 1 }, DropPayloadLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, sink := newTestReassembler(t)
			chunks := frameChunks(t, 8, payload, header, sendLimits)
			c := decode(t, chunks[tc.index])
			tc.edit(c)
			if v := r.OnChunk(c, 1); v != tc.want {
				t.Fatalf("got %v, want %v", v, tc.want)
			}
			if tc.want.DropsFrame() || sink.begun != 0 {
				t.Fatalf("a chunk-level drop touched the destination (%d claims)", sink.begun)
			}
			// The frame's valid chunks still make it.
			if v := feed(t, r, chunks); v != FrameDone {
				t.Fatalf("the intact frame after: %v", v)
			}
		})
	}
}

// Bridge spec §5.2, §6 step 2: chunks are dropped until an announce was forwarded.
func TestBridgeSpec_5_2_ChunksDroppedUntilAnnounce(t *testing.T) {
	sink := &fakeSink{strides: []uint32{testStride}}
	r := NewReassembler(testLimits, sink)
	payload := pattern(2000, 1)
	chunks := frameChunks(t, 1, payload, headerSlot(t, 1, 2000, nil), sendLimits)
	if v := feed(t, r, chunks); v != DropNoAnnounce || sink.begun != 0 {
		t.Fatalf("before the announce: %v", v)
	}
	r.OnAnnounce(testAnnounce(testEpoch))
	if v := feed(t, r, chunks); v != FrameDone {
		t.Fatalf("after the announce: %v", v)
	}
}

// Bridge spec §6 steps 4-7: the header and the pools are checked; a bad one drops the
// frame, and the payload is written only into a local pool that holds it.
func TestBridgeSpec_6_HeaderValidation(t *testing.T) {
	const n = 3000
	for _, tc := range []struct {
		name   string
		header func(t *testing.T) []byte
		sink   fakeSink
		want   Verdict
	}{
		{"not committed", func(t *testing.T) []byte {
			b := headerSlot(t, 3, n, nil)
			b[0] &^= 1 // seq_commit in progress
			return b
		}, fakeSink{}, DropHeaderInvalid},
		{"another seq", func(t *testing.T) []byte { return headerSlot(t, 4, n, nil) }, fakeSink{}, DropHeaderInvalid},
		{"values_len_bytes not payloadLength", func(t *testing.T) []byte {
			return headerSlot(t, 3, n, func(h *shm.SlotHeader, _ *shm.TensorHeader) { h.ValuesLenBytes = n - 1 })
		}, fakeSink{}, DropHeaderInvalid},
		{"payload_offset not 0", func(t *testing.T) []byte {
			return headerSlot(t, 3, n, func(h *shm.SlotHeader, _ *shm.TensorHeader) { h.PayloadOffset = 64 })
		}, fakeSink{}, DropHeaderInvalid},
		{"ndims beyond the limit", func(t *testing.T) []byte {
			return headerSlot(t, 3, n, func(_ *shm.SlotHeader, tt *shm.TensorHeader) { tt.Ndims = shm.MaxDims + 1 })
		}, fakeSink{}, DropHeaderInvalid},
		{"unknown dtype", func(t *testing.T) []byte {
			return headerSlot(t, 3, n, func(_ *shm.SlotHeader, tt *shm.TensorHeader) { tt.Dtype = 99 })
		}, fakeSink{}, DropHeaderInvalid},
		{"not a TensorHeader", func(t *testing.T) []byte {
			b := headerSlot(t, 3, n, nil)
			b[66]++ // the embedded message header's templateId
			return b
		}, fakeSink{}, DropHeaderInvalid},
		{"pool not announced", func(t *testing.T) []byte {
			return headerSlot(t, 3, n, func(h *shm.SlotHeader, _ *shm.TensorHeader) { h.PoolID = 9 })
		}, fakeSink{}, DropPoolUnknown},
		{"no local pool fits", func(t *testing.T) []byte { return headerSlot(t, 3, n, nil) }, fakeSink{strides: []uint32{2048}}, DropNoLocalPool},
		{"destination not attached", func(t *testing.T) []byte { return headerSlot(t, 3, n, nil) }, fakeSink{notAttached: true}, DropNotAttached},
		{"publish failed", func(t *testing.T) []byte { return headerSlot(t, 3, n, nil) }, fakeSink{failPublish: true}, DropPublish},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := tc.sink
			if sink.strides == nil {
				sink.strides = []uint32{testStride}
			}
			r := NewReassembler(testLimits, &sink)
			r.OnAnnounce(testAnnounce(testEpoch))
			chunks := frameChunks(t, 3, pattern(n, 3), tc.header(t), sendLimits)
			var got Verdict
			for _, c := range chunks {
				if v := r.OnChunk(decode(t, c), 1); v.IsDrop() || v == FrameDone {
					got = v
					break
				}
			}
			if got != tc.want || len(sink.done) != 0 {
				t.Fatalf("got %v (%d published), want %v", got, len(sink.done), tc.want)
			}
			if sink.open {
				t.Fatal("the destination slot was left open")
			}
		})
	}
	t.Run("payload beyond the source pool's stride", func(t *testing.T) {
		r, sink := newTestReassembler(t)
		a := testAnnounce(testEpoch)
		a.PayloadPools = append(a.PayloadPools, wire.PayloadPool{PoolID: 2, PoolNslots: 64, StrideBytes: 1024})
		r.OnAnnounce(a)
		header := headerSlot(t, 3, n, func(h *shm.SlotHeader, _ *shm.TensorHeader) { h.PoolID = 2 })
		if v := feed(t, r, frameChunks(t, 3, pattern(n, 3), header, sendLimits)); v != DropStaleFrame || sink.done != nil {
			t.Fatalf("%v", v)
		}
		if r.Counts()[DropPoolStride] != 1 {
			t.Fatalf("counts %v", r.Counts())
		}
	})
}

// Bridge spec §5.3 and §5.3a: a frame with a missing chunk is never published: it is
// dropped when a newer frame starts, or at the assembly timeout, which also releases
// its destination slot.
func TestBridgeSpec_5_3_MissingChunkDropsTheFrame(t *testing.T) {
	r, sink := newTestReassembler(t)
	chunks := frameChunks(t, 10, pattern(5000, 10), headerSlot(t, 10, 5000, nil), sendLimits)
	feed(t, r, append(chunks[:2:2], chunks[3:]...)) // chunk 2 lost
	next := pattern(5000, 11)
	if v := feed(t, r, frameChunks(t, 11, next, headerSlot(t, 11, 5000, nil), sendLimits)); v != FrameDone {
		t.Fatal(v)
	}
	checkDone(t, sink, 11, next)
	if len(sink.done) != 1 || r.Counts()[DropSuperseded] != 1 {
		t.Fatalf("%d published, counts %v", len(sink.done), r.Counts())
	}
	// The lost chunk arriving late is stale.
	if v := r.OnChunk(decode(t, chunks[2]), 1); v != DropStaleFrame {
		t.Fatal(v)
	}
}

func TestBridgeSpec_5_3a_AssemblyTimeout(t *testing.T) {
	r, sink := newTestReassembler(t)
	chunks := frameChunks(t, 20, pattern(5000, 20), headerSlot(t, 20, 5000, nil), sendLimits)
	if v := r.OnChunk(decode(t, chunks[0]), 1000); v != ChunkStored {
		t.Fatal(v)
	}
	if v := r.Tick(1000 + testLimits.TimeoutNs - 1); v != ChunkStored || !sink.open {
		t.Fatalf("before the timeout: %v", v)
	}
	if v := r.Tick(1000 + testLimits.TimeoutNs); v != DropTimedOut || sink.open || sink.aborted != 1 {
		t.Fatalf("at the timeout: %v, slot open %v", v, sink.open)
	}
	if _, active := r.Active(); active {
		t.Fatal("assembly state kept")
	}
	if v := feed(t, r, chunks[1:]); v != DropStaleFrame || len(sink.done) != 0 {
		t.Fatalf("the rest after the timeout: %v", v)
	}
}

// Bridge spec §6 step 3 and §8: chunks must carry the latest forwarded announce's epoch; a
// new epoch is a remap boundary that drops the frame in flight, and once a higher epoch
// was seen, older ones are dropped.
func TestBridgeSpec_8_EpochChanges(t *testing.T) {
	r, sink := newTestReassembler(t)
	old := frameChunks(t, 30, pattern(5000, 30), headerSlot(t, 30, 5000, nil), sendLimits)
	feed(t, r, old[:2])

	// A chunk of epoch 8 before its announce: the frame in flight goes, the chunk waits
	// for the announce (dropped).
	newer := frameChunks(t, 0, pattern(3000, 0), headerSlot(t, 0, 3000, nil), sendLimits)
	for i := range newer {
		c := decode(t, newer[i])
		c.Epoch = testEpoch + 1
		newer[i] = encode(t, c)
	}
	if v := r.OnChunk(decode(t, newer[0]), 1); v != DropEpoch || sink.open || r.Counts()[DropEpochChange] != 1 {
		t.Fatalf("newer epoch before its announce: %v", v)
	}
	if v := r.OnChunk(decode(t, old[2]), 1); v != DropStaleEpoch {
		t.Fatalf("old epoch after a newer one: %v", v)
	}
	if v := r.OnAnnounce(testAnnounce(testEpoch)); v != AnnounceStale {
		t.Fatalf("old announce: %v", v)
	}
	if v := r.OnAnnounce(testAnnounce(testEpoch + 1)); v != AnnounceNewEpoch {
		t.Fatalf("new announce: %v", v)
	}
	if e, _ := r.Epoch(); e != testEpoch+1 {
		t.Fatal(e)
	}
	// Sequence numbers start over in the new epoch.
	if v := feed(t, r, newer); v != FrameDone {
		t.Fatal(v)
	}
	checkDone(t, sink, 0, pattern(3000, 0))
	if v := r.OnAnnounce(testAnnounce(testEpoch + 1)); v != AnnounceRefresh {
		t.Fatal(v)
	}

	// An announce of a new epoch while a frame is in flight drops it too.
	partial := frameChunks(t, 1, pattern(5000, 1), headerSlot(t, 1, 5000, nil), sendLimits)
	for i := range partial {
		c := decode(t, partial[i])
		c.Epoch = testEpoch + 1
		partial[i] = encode(t, c)
	}
	feed(t, r, partial[:1])
	if v := r.OnAnnounce(testAnnounce(testEpoch + 2)); v != AnnounceNewEpoch || sink.open || r.Counts()[DropEpochChange] != 2 {
		t.Fatalf("announce over a frame in flight: %v", v)
	}
}

func encode(t testing.TB, c *wire.BridgeFrameChunk) []byte {
	t.Helper()
	buf := make([]byte, c.EncodedLength())
	if _, err := c.Encode(buf); err != nil {
		t.Fatal(err)
	}
	return buf
}

func TestAnnounceWithoutPoolsIsIgnored(t *testing.T) {
	r := NewReassembler(testLimits, &fakeSink{})
	a := testAnnounce(1)
	a.PayloadPools = nil
	if v := r.OnAnnounce(a); v != AnnounceInvalid {
		t.Fatal(v)
	}
	a = testAnnounce(1)
	a.PayloadPools[0].StrideBytes = 0
	if v := r.OnAnnounce(a); v != AnnounceInvalid {
		t.Fatal(v)
	}
	if _, ok := r.Epoch(); ok {
		t.Fatal("an invalid announce was taken")
	}
}

// Bridge spec §5.2: chunk planning: a sender never plans a zero-sized chunk (the
// reference's division by zero), a zero-length frame is one chunk carrying the header,
// and a frame needing more than 65535 chunks is refused.
func TestBridgeSpec_5_2_ChunkPlan(t *testing.T) {
	for _, v := range []wire.Version{wire.V1_1, wire.V1_2} {
		limits, err := SenderChunkLimits(1200, 1408-32, v)
		if err != nil {
			t.Fatal(err)
		}
		if limits.Rest != 1200 || limits.First != uint32(1408-32-ChunkOverhead(v)-HeaderBytes) {
			t.Fatalf("v%v: limits %+v (overhead %d)", v, limits, ChunkOverhead(v))
		}
		if limits, _ := SenderChunkLimits(65535, 1408-32, v); limits.Rest != uint32(1408-32-ChunkOverhead(v)) {
			t.Fatalf("v%v: the publication's frame caps the chunk: %+v", v, limits)
		}
		if _, err := SenderChunkLimits(1200, ChunkOverhead(v)+HeaderBytes, v); err == nil {
			t.Fatalf("v%v: a frame without room for a payload byte was accepted", v)
		}
		if _, err := SenderChunkLimits(0, 1376, v); err == nil {
			t.Fatalf("v%v: a zero chunk size was accepted", v)
		}
	}
	if ChunkOverhead(wire.V1_2)-ChunkOverhead(wire.V1_1) != 12 {
		t.Fatalf("v1.2 adds traceId and payloadCrc32c (12 bytes): overheads %d, %d", ChunkOverhead(wire.V1_1), ChunkOverhead(wire.V1_2))
	}
	for _, tc := range []struct {
		length, count uint32
	}{{0, 1}, {1, 1}, {900, 1}, {901, 2}, {2100, 2}, {2101, 3}, {900 + 1200*65534, 65535}} {
		p, ok := PlanChunks(tc.length, sendLimits)
		if !ok || p.Count != tc.count {
			t.Fatalf("%d bytes: %d chunks (ok %v), want %d", tc.length, p.Count, ok, tc.count)
		}
		var sum uint32
		for i := range p.Count {
			off, n := p.Chunk(i)
			if off != sum || (n == 0 && tc.length != 0) || n > 1200 {
				t.Fatalf("%d bytes, chunk %d: offset %d length %d", tc.length, i, off, n)
			}
			sum += n
		}
		if sum != tc.length {
			t.Fatalf("%d bytes: chunks sum to %d", tc.length, sum)
		}
	}
	if _, ok := PlanChunks(900+1200*65534+1, sendLimits); ok {
		t.Fatal("a frame of 65536 chunks was planned")
	}
}

// FuzzReassembler feeds arbitrary messages, and valid chunks mutated, to a receiving
// mapping: nothing panics, the destination sees Begin, then Abort or Complete, and only
// frames whose every byte came from chunks are completed.
func FuzzReassembler(f *testing.F) {
	payload := pattern(3000, 2)
	for _, c := range frameChunks(f, 2, payload, headerSlot(f, 2, 3000, nil), sendLimits) {
		f.Add(c, c)
	}
	empty := frameChunks(f, 3, nil, headerSlot(f, 3, 0, nil), sendLimits)[0]
	f.Add(empty, empty)
	for _, c := range frameChunksAs(f, wire.V1_2, 0xfeed, 4, payload, headerSlot(f, 4, 3000, nil), sendLimits) {
		f.Add(c, c)
	}
	sink := &fakeSink{strides: []uint32{4096, testStride}}
	r := NewReassembler(testLimits, sink)
	epoch := uint64(testEpoch)
	f.Fuzz(func(t *testing.T, a, b []byte) {
		// One Reassembler for every input (it allocates its bounded state up front): a new
		// epoch starts each afresh.
		*sink = fakeSink{strides: sink.strides, buf: sink.buf}
		epoch++
		r.OnAnnounce(testAnnounce(epoch))
		var c wire.BridgeFrameChunk
		for i, msg := range [][]byte{a, b, a} {
			if c.Decode(msg) != nil {
				continue
			}
			c.Epoch = epoch // most inputs would otherwise be of another epoch
			r.OnChunk(&c, int64(i))
		}
		r.Tick(1 << 62)
		if sink.open {
			t.Fatal("a slot left open after the timeout")
		}
		for _, d := range sink.done {
			if uint32(len(d.payload)) != d.header.Slot.ValuesLenBytes {
				t.Fatalf("completed %d bytes for a %d-byte header", len(d.payload), d.header.Slot.ValuesLenBytes)
			}
		}
	})
}

// Bridge spec v1.1 §5.1, §5.2: the receiver reads chunks of either layout, told apart by
// their block length, and assembles frames of both byte for byte; a v1.1 frame has no
// trace id.
func TestBridgeSpec_1_1_5_1_EitherLayoutAssembles(t *testing.T) {
	r, sink := newTestReassembler(t)
	for i, v := range []wire.Version{wire.V1_1, wire.V1_2, wire.V1_1, wire.V1_2} {
		seq := uint64(10 + i)
		payload := pattern(2500, seq)
		chunks := frameChunksAs(t, v, 0x1000+seq, seq, payload, headerSlot(t, seq, 2500, nil), sendLimits)
		if got := decode(t, chunks[0]).Version; got != v {
			t.Fatalf("chunk decoded as v%v, sent as v%v", got, v)
		}
		if verdict := feed(t, r, chunks); verdict != FrameDone {
			t.Fatalf("v%v: last verdict %v", v, verdict)
		}
		checkDone(t, sink, seq, payload)
		want := uint64(0)
		if v == wire.V1_2 {
			want = 0x1000 + seq
		}
		if got := sink.done[len(sink.done)-1].header.TraceID; got != want {
			t.Fatalf("v%v: trace id %#x, want %#x", v, got, want)
		}
	}
}

// Bridge spec v1.1 §5.2: "Receivers MUST drop the frame if traceId differs across chunks
// for the same (streamId, epoch, seq)" (a v1.1 chunk, without one, differs from a v1.2
// chunk carrying one).
func TestBridgeSpec_1_1_5_2_TraceIDDifferingAcrossChunksDropsTheFrame(t *testing.T) {
	for _, tc := range []struct {
		name  string
		other func(t *testing.T, seq uint64, payload, header []byte) []byte
	}{
		{"another trace id", func(t *testing.T, seq uint64, payload, header []byte) []byte {
			return frameChunksAs(t, wire.V1_2, 0xbad, seq, payload, header, sendLimits)[2]
		}},
		{"a v1.1 chunk", func(t *testing.T, seq uint64, payload, header []byte) []byte {
			return frameChunksAs(t, wire.V1_1, 0, seq, payload, header, sendLimits)[2]
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, sink := newTestReassembler(t)
			seq := uint64(20)
			payload := pattern(3000, seq)
			header := headerSlot(t, seq, 3000, nil)
			chunks := frameChunksAs(t, wire.V1_2, 0x77, seq, payload, header, sendLimits)
			chunks[2] = tc.other(t, seq, payload, header)
			if v := feed(t, r, chunks); v != DropConflict {
				t.Fatalf("verdict of the differing chunk %v, want %v", v, DropConflict)
			}
			if len(sink.done) != 0 || sink.aborted != 1 || r.Counts()[DropConflict] != 1 {
				t.Fatalf("%d done, %d aborted, counts %v", len(sink.done), sink.aborted, r.Counts())
			}
		})
	}
}

// Bridge spec v1.1 §5.4 (and §5.3): a chunk whose bytes fail its CRC32C is dropped, and
// with it the frame, which is counted and never published; the CRC covers headerBytes ||
// payloadBytes on chunk 0 and payloadBytes alone on the others. A payloadCrc32c of 0 is
// absent (§5.1) and not checked; the next frame goes through.
func TestBridgeSpec_1_1_5_4_CrcMismatchDropsTheFrame(t *testing.T) {
	for _, tc := range []struct {
		name    string
		index   int
		corrupt func(c *wire.BridgeFrameChunk)
		want    Verdict
	}{
		{"payload byte of chunk 0", 0, func(c *wire.BridgeFrameChunk) { c.PayloadBytes[5] ^= 1 }, DropCrc},
		{"header byte of chunk 0", 0, func(c *wire.BridgeFrameChunk) { c.HeaderBytes[200] ^= 1 }, DropCrc},
		{"payload byte of the last chunk", 2, func(c *wire.BridgeFrameChunk) { c.PayloadBytes[0] ^= 0x80 }, DropCrc},
		{"crc of chunk 1", 1, func(c *wire.BridgeFrameChunk) { c.PayloadCrc32c++ }, DropCrc},
		{"crc absent", 1, func(c *wire.BridgeFrameChunk) { c.PayloadCrc32c = 0 }, FrameDone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, sink := newTestReassembler(t)
			seq := uint64(30)
			payload := pattern(3000, seq)
			chunks := frameChunksAs(t, wire.V1_2, 0x55, seq, payload, headerSlot(t, seq, 3000, nil), sendLimits)
			got := ChunkStored
			for i, msg := range chunks {
				c := decode(t, bytes.Clone(msg))
				if i == tc.index {
					tc.corrupt(c)
				}
				if got = r.OnChunk(c, 1); got.IsDrop() {
					break
				}
			}
			if got != tc.want {
				t.Fatalf("verdict %v, want %v", got, tc.want)
			}
			if tc.want == DropCrc && (len(sink.done) != 0 || r.Counts()[DropCrc] != 1 || !DropCrc.DropsFrame() || DropCrc.Section() != "5.4") {
				t.Fatalf("%d frames published, counts %v", len(sink.done), r.Counts())
			}
			next := uint64(31)
			if v := feed(t, r, frameChunksAs(t, wire.V1_2, 0x56, next, payload, headerSlot(t, next, 3000, nil), sendLimits)); v != FrameDone {
				t.Fatalf("the next frame: %v", v)
			}
		})
	}
}

// Bridge spec v1.1 §5.4: the CRC32C is the Castagnoli polynomial's (RFC 3720's check
// value), chained over headerBytes then payloadBytes.
func TestBridgeSpec_1_1_5_4_ChunkCRC32C(t *testing.T) {
	c := wire.BridgeFrameChunk{PayloadBytes: []byte("123456789")}
	if got := ChunkCRC32C(&c); got != 0xe3069283 {
		t.Fatalf("crc32c(123456789) = %#x", got)
	}
	c = wire.BridgeFrameChunk{HeaderIncluded: true, HeaderBytes: []byte("1234"), PayloadBytes: []byte("56789")}
	if got := ChunkCRC32C(&c); got != 0xe3069283 {
		t.Fatalf("crc32c(header || payload) = %#x", got)
	}
	c.HeaderIncluded = false
	if got := ChunkCRC32C(&c); got == 0xe3069283 {
		t.Fatal("a chunk without the header counted its header bytes")
	}
}

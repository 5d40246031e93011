package concurrent

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
)

func newRing(t *testing.T, capacity int) (*ManyToOneRingBuffer, *ringConsumer) {
	t.Helper()
	buf := make([]byte, capacity+RingBufferTrailerLength)
	rb, err := NewManyToOneRingBuffer(buf)
	if err != nil {
		t.Fatal(err)
	}
	return rb, &ringConsumer{buf: buf, capacity: capacity}
}

func TestRingBufferRejectsBadCapacity(t *testing.T) {
	for _, n := range []int{0, 100, 1000 + RingBufferTrailerLength, RingBufferTrailerLength} {
		if _, err := NewManyToOneRingBuffer(make([]byte, n)); !errors.Is(err, ErrBadCapacity) {
			t.Errorf("length %d: got %v, want ErrBadCapacity", n, err)
		}
	}
}

func TestRingBufferWriteAndRead(t *testing.T) {
	rb, c := newRing(t, 1024)
	if err := rb.Write(7, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := rb.Write(9, nil); err != nil {
		t.Fatal(err)
	}
	got := c.read()
	if len(got) != 2 || got[0].typeID != 7 || string(got[0].payload) != "hello" || got[1].typeID != 9 || len(got[1].payload) != 0 {
		t.Fatalf("read %+v", got)
	}
	// Record lengths exclude alignment: "hello" = 13 bytes, occupies 16.
	if tail := LoadInt64(rb.buf, 1024+ringTailPositionOffset); tail != 24 {
		t.Fatalf("tail %d, want 24", tail)
	}
}

func TestRingBufferValidation(t *testing.T) {
	rb, _ := newRing(t, 1024)
	if err := rb.Write(0, nil); !errors.Is(err, ErrInvalidMsgTypeID) {
		t.Fatalf("type 0: %v", err)
	}
	if err := rb.Write(1, make([]byte, rb.MaxMessageLength()+1)); !errors.Is(err, ErrMessageTooLong) {
		t.Fatalf("too long: %v", err)
	}
	if err := rb.Write(1, make([]byte, rb.MaxMessageLength())); err != nil {
		t.Fatalf("max length: %v", err)
	}
}

func TestRingBufferFullThenDrained(t *testing.T) {
	rb, c := newRing(t, 256)
	msg := make([]byte, 24) // 32 bytes per record
	for i := 0; i < 8; i++ {
		if err := rb.Write(1, msg); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if err := rb.Write(1, msg); !errors.Is(err, ErrRingBufferFull) {
		t.Fatalf("full buffer: got %v", err)
	}
	if n := len(c.read()); n != 8 {
		t.Fatalf("consumer read %d, want 8", n)
	}
	if err := rb.Write(1, msg); err != nil {
		t.Fatalf("after drain: %v", err)
	}
}

// fillTo1000 writes and consumes 125 empty records so the tail sits 24 bytes
// before the end of a 1024-byte buffer.
func fillTo1000(t *testing.T, rb *ManyToOneRingBuffer, c *ringConsumer, consume bool) {
	t.Helper()
	for i := 0; i < 125; i++ {
		if err := rb.Write(1, nil); err != nil {
			t.Fatal(err)
		}
	}
	if consume {
		c.read()
	}
}

func TestRingBufferWrapInsertsPadding(t *testing.T) {
	rb, c := newRing(t, 1024)
	fillTo1000(t, rb, c, true)
	payload := bytes.Repeat([]byte{0xAB}, 24) // a 32-byte record; 24 bytes left
	if err := rb.Write(3, payload); err != nil {
		t.Fatal(err)
	}
	if typ, l := LoadInt32(rb.buf, 1000+4), LoadInt32(rb.buf, 1000); typ != PaddingMsgTypeID || l != 24 {
		t.Fatalf("padding at 1000: type %d length %d, want -1 and 24", typ, l)
	}
	got := c.read()
	if len(got) != 1 || got[0].typeID != 3 || !bytes.Equal(got[0].payload, payload) {
		t.Fatalf("after wrap read %+v", got)
	}
	if tail := LoadInt64(rb.buf, 1024+ringTailPositionOffset); tail != 1024+32 {
		t.Fatalf("tail %d, want 1056", tail)
	}
}

func TestRingBufferWrapNeedsConsumedSpaceAtStart(t *testing.T) {
	rb, c := newRing(t, 1024)
	fillTo1000(t, rb, c, false)
	// The driver consumed only 3 records (24 bytes): a 32-byte record can
	// neither fit before the end nor at the start.
	for i := 0; i < 24; i++ {
		c.buf[i] = 0
	}
	StoreInt64(c.buf, 1024+ringHeadPositionOffset, 24)
	if err := rb.Write(3, make([]byte, 24)); !errors.Is(err, ErrRingBufferFull) {
		t.Fatalf("got %v, want ErrRingBufferFull", err)
	}
	if err := rb.Write(3, make([]byte, 8)); err != nil {
		t.Fatalf("a 16-byte record still fits before the end: %v", err)
	}
}

func TestRingBufferClaimAbort(t *testing.T) {
	rb, c := newRing(t, 1024)
	idx, dst, err := rb.Claim(5, 4)
	if err != nil {
		t.Fatal(err)
	}
	copy(dst, "abcd")
	if got := c.read(); len(got) != 0 {
		t.Fatalf("uncommitted record visible: %+v", got)
	}
	rb.Abort(idx)
	if err := rb.Write(6, []byte("x")); err != nil {
		t.Fatal(err)
	}
	got := c.read()
	if len(got) != 1 || got[0].typeID != 6 {
		t.Fatalf("aborted record not skipped: %+v", got)
	}
}

func TestRingBufferConcurrentProducers(t *testing.T) {
	rb, c := newRing(t, 4096)
	const producers, perProducer = 4, 2000
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			var msg [12]byte
			for i := 0; i < perProducer; {
				binary.LittleEndian.PutUint32(msg[0:], uint32(p))
				binary.LittleEndian.PutUint64(msg[4:], uint64(i))
				if err := rb.Write(1, msg[:]); err == nil {
					i++
				} else if !errors.Is(err, ErrRingBufferFull) {
					t.Error(err)
					return
				}
			}
		}(p)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	next := make([]uint64, producers)
	total := 0
	check := func(recs []record) {
		for _, r := range recs {
			p := binary.LittleEndian.Uint32(r.payload)
			seq := binary.LittleEndian.Uint64(r.payload[4:])
			if seq != next[p] {
				t.Fatalf("producer %d: got seq %d, want %d", p, seq, next[p])
			}
			next[p]++
			total++
		}
	}
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		check(c.read())
	}
	check(c.read())
	if total != producers*perProducer {
		t.Fatalf("read %d records, want %d", total, producers*perProducer)
	}
}

func TestRingBufferCorrelationAndHeartbeat(t *testing.T) {
	rb, _ := newRing(t, 1024)
	StoreInt64(rb.buf, 1024+ringCorrelationCounterOffset, 41)
	if id := rb.NextCorrelationID(); id != 41 {
		t.Fatalf("correlation id %d, want 41 (the value before the increment)", id)
	}
	if id := rb.NextCorrelationID(); id != 42 {
		t.Fatalf("second correlation id %d, want 42", id)
	}
	StoreInt64(rb.buf, 1024+ringConsumerHeartbeatOffset, 1234)
	if hb := rb.ConsumerHeartbeatMs(); hb != 1234 {
		t.Fatalf("heartbeat %d", hb)
	}
}

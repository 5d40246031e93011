package logbuffer

import (
	"bytes"
	"testing"
)

// termWriter lays frames down one after another in a term, like a publisher would.
type termWriter struct {
	term   []byte
	offset int
}

func (w *termWriter) frame(sessionID int32, flags uint8, data []byte) int {
	start := w.offset
	w.offset = putFrame(w.term, w.offset, sessionID, 3, flags, HdrTypeData, data)
	return start
}

// feed hands the frames at the given offsets to h in the given order, as a reader would.
func feed(term []byte, h FragmentHandler, offsets ...int) {
	header := NewHeader(3, 16)
	for _, offset := range offsets {
		if _, n := ReadTerm(term, offset, h, 1, header); n != 1 {
			panic("feed: no frame at offset")
		}
	}
}

func TestAssemblerPassesUnfragmentedThrough(t *testing.T) {
	w := termWriter{term: newTerm()}
	one := w.frame(1, Unfragmented, []byte("whole"))
	var c collector
	asm := NewFragmentAssembler(c.handler, 0)
	feed(w.term, asm.Handler(), one)
	if len(c.got) != 1 || string(c.got[0].data) != "whole" || c.got[0].flags != Unfragmented {
		t.Fatalf("got %+v", c.got)
	}
}

func TestAssemblerInterleavedSessions(t *testing.T) {
	w := termWriter{term: newTerm()}
	// Two sessions share the subscription (e.g. several images polled into one assembler); each
	// session's fragments follow on in its own term offsets.
	wa := termWriter{term: newTerm()}
	a1 := wa.frame(10, BeginFragFlag, []byte("alpha-1 "))
	a2 := wa.frame(10, 0, []byte("alpha-2 "))
	a3 := wa.frame(10, EndFragFlag, []byte("alpha-3"))
	b1 := w.frame(20, BeginFragFlag, []byte("beta-1 "))
	b2 := w.frame(20, EndFragFlag, []byte("beta-2"))
	u := w.frame(30, Unfragmented, []byte("solo"))

	var c collector
	asm := NewFragmentAssembler(c.handler, 0)
	header := NewHeader(3, 16)
	feedOne := func(term []byte, offset int) { ReadTerm(term, offset, asm.Handler(), 1, header) }
	feedOne(wa.term, a1)
	feedOne(w.term, b1)
	feedOne(wa.term, a2)
	feedOne(w.term, u)
	feedOne(w.term, b2)
	feedOne(wa.term, a3)

	want := []struct {
		data     string
		session  int32
		position int64
	}{
		{"solo", 30, int64(w.offset)},
		{"beta-1 beta-2", 20, int64(u)},
		{"alpha-1 alpha-2 alpha-3", 10, int64(wa.offset)},
	}
	if len(c.got) != len(want) {
		t.Fatalf("got %d messages: %+v", len(c.got), c.got)
	}
	for i, wnt := range want {
		g := c.got[i]
		if string(g.data) != wnt.data || g.sessionID != wnt.session || g.position != wnt.position ||
			g.flags != Unfragmented || g.frameLen != int32(HeaderLength+len(wnt.data)) {
			t.Errorf("message %d: %+v, want %+v", i, g, wnt)
		}
	}
}

func TestAssemblerDropsMessagesWithGapsOrDisorder(t *testing.T) {
	w := termWriter{term: newTerm()}
	m1b := w.frame(1, BeginFragFlag, []byte("m1-a "))
	m1m := w.frame(1, 0, []byte("m1-b "))
	m1e := w.frame(1, EndFragFlag, []byte("m1-c"))
	m2b := w.frame(1, BeginFragFlag, []byte("m2-a "))
	m2e := w.frame(1, EndFragFlag, []byte("m2-b"))
	m3b := w.frame(1, BeginFragFlag, []byte("m3-a "))
	m4b := w.frame(1, BeginFragFlag, []byte("m4-a "))
	m4e := w.frame(1, EndFragFlag, []byte("m4-b"))
	m5m := w.frame(1, 0, []byte("orphan "))
	m5e := w.frame(1, EndFragFlag, []byte("orphan-end"))

	var c collector
	asm := NewFragmentAssembler(c.handler, 16)
	feed(w.term, asm.Handler(),
		m1b, m1e, m1m, // missing middle: m1 dropped at the gap, and its late fragment ignored
		m2b, m2e, // complete
		m3b, m4b, m4e, // a new BEGIN abandons m3 and starts m4
		m5m, m5e, // fragments without a BEGIN are ignored
		m2b, m2e) // a message replayed later still assembles (buffer reuse)
	var got []string
	for _, g := range c.got {
		got = append(got, string(g.data))
	}
	want := []string{"m2-a m2-b", "m4-a m4-b", "m2-a m2-b"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if !asm.FreeSessionBuffer(1) || asm.FreeSessionBuffer(1) {
		t.Error("FreeSessionBuffer")
	}
}

func TestAssemblerGrowsAndReusesItsBuffer(t *testing.T) {
	log := newTestLog(t, testLogConfig())
	pub := NewConcurrentPublisher(log, unlimited())
	big := payload(5*testMaxPayload+17, 3)
	small := payload(2*testMaxPayload+1, 4)
	pub.Offer(big)
	pub.Offer(small)
	var c collector
	asm := NewFragmentAssembler(c.handler, 0)
	ReadTerm(log.Term(0), 0, asm.Handler(), 100, NewHeader(testInitialTermID, 16))
	if len(c.got) != 2 || !bytes.Equal(c.got[0].data, big) || !bytes.Equal(c.got[1].data, small) {
		t.Fatalf("assembled %d messages", len(c.got))
	}
	asm.Clear()
	if len(asm.builders) != 0 {
		t.Error("Clear kept builders")
	}
}

package logbuffer

import (
	"bytes"
	"testing"

	"github.com/tensorpool/tensorpool/transport"
)

// message is what a test handler saw of one whole message.
type message struct {
	data      []byte
	sessionID int32
	streamID  int32
	position  int64
	reserved  int64
}

// messages records whole messages, copying them out of the log.
type messages struct{ got []message }

func (m *messages) handler(msg []byte, h *transport.Header) {
	m.got = append(m.got, message{data: bytes.Clone(msg), sessionID: h.SessionID, streamID: h.StreamID,
		position: h.Position, reserved: h.ReservedValue})
}

func (m *messages) strings() []string {
	var s []string
	for _, g := range m.got {
		s = append(s, string(g.data))
	}
	return s
}

func TestImageReaderRespectsFragmentLimitAndSkipsPadding(t *testing.T) {
	term := newTerm()
	offset := putFrame(term, 0, 1, 3, Unfragmented, HdrTypeData, []byte("one"))
	offset = putFrame(term, offset, 1, 3, Unfragmented, HdrTypePad, make([]byte, 100))
	offset = putFrame(term, offset, 1, 3, Unfragmented, HdrTypeData, []byte("two"))
	end := putFrame(term, offset, 1, 3, Unfragmented, HdrTypeData, []byte("three"))
	DataHeader(term[offset:]).SetReservedValue(-9)

	var m messages
	r := newImageReader(1, testStreamID)
	const begin = 5 << 16 // the stream position of the term's start
	next, n := r.readTerm(term, 0, begin, m.handler, 1)
	if n != 1 || next != 64 || string(m.got[0].data) != "one" {
		t.Fatalf("limit 1: %d fragments to %d", n, next)
	}
	// The padding frame does not count against the limit but is passed over.
	next, n = r.readTerm(term, next, begin, m.handler, 1)
	if n != 1 || next != offset || string(m.got[1].data) != "two" {
		t.Fatalf("after padding: %d fragments to %d", n, next)
	}
	next, n = r.readTerm(term, next, begin, m.handler, 10)
	if n != 1 || next != end || string(m.got[2].data) != "three" {
		t.Fatalf("rest: %d fragments to %d", n, next)
	}
	if next2, n := r.readTerm(term, next, begin, m.handler, 10); n != 0 || next2 != next {
		t.Error("read past the last committed frame")
	}
	if g := m.got[2]; g.position != begin+int64(end) || g.sessionID != 1 || g.streamID != testStreamID || g.reserved != -9 {
		t.Errorf("header of the last message %+v", g)
	}
}

func TestImageReaderStopsAtTheEndOfTheTerm(t *testing.T) {
	term := newTerm()
	last := testTermLength - 64
	putFrame(term, last, 1, 3, Unfragmented, HdrTypeData, []byte("tail"))
	var m messages
	r := newImageReader(1, 1)
	next, n := r.readTerm(term, last, 0, m.handler, 10)
	if n != 1 || next != testTermLength {
		t.Errorf("%d fragments to %d", n, next)
	}
	if next, n = r.readTerm(term, testTermLength, 0, m.handler, 10); n != 0 || next != testTermLength {
		t.Error("read at the term end")
	}
}

// Lengths no writer produces stop the reader in front of the frame instead of crashing it or
// handing the handler an impossible slice.
func TestImageReaderSurvivesCorruptFrameLengths(t *testing.T) {
	for _, frameLength := range []int32{-1, -64, -2147483648, 1, 31, testTermLength - 64 + 1, testTermLength * 4, 2147483647} {
		term := newTerm()
		offset := putFrame(term, 0, 1, 3, Unfragmented, HdrTypeData, []byte("good"))
		putFrame(term, offset, 1, 3, Unfragmented, HdrTypeData, []byte("bad"))
		DataHeader(term[offset:]).SetFrameLengthOrdered(frameLength)
		var m messages
		next, n := newImageReader(1, 1).readTerm(term, 0, 0, m.handler, 10)
		if n != 1 || next != offset {
			t.Errorf("frame length %d: %d fragments to %d", frameLength, n, next)
		}
	}
	var m messages
	for _, start := range []int{-32, 16, testTermLength + 32} {
		if next, n := newImageReader(1, 1).readTerm(newTerm(), start, 0, m.handler, 10); n != 0 || next != start {
			t.Errorf("start %d: %d fragments to %d", start, n, next)
		}
	}
	// A term shorter than a header yields nothing.
	if next, n := newImageReader(1, 1).readTerm(make([]byte, 16), 0, 0, m.handler, 10); n != 0 || next != 0 {
		t.Error("tiny term")
	}
}

// frameWriter lays one session's frames down one after another in a term, like a publisher
// would.
type frameWriter struct {
	term   []byte
	offset int
}

func (w *frameWriter) frame(flags uint8, data []byte) int {
	start := w.offset
	w.offset = putFrame(w.term, w.offset, 1, 3, flags, HdrTypeData, data)
	return start
}

// feed reads the frames at the given offsets, in the given order, one fragment each.
func feedFrames(t *testing.T, r *ImageReader, term []byte, h transport.Handler, offsets ...int) {
	t.Helper()
	for _, offset := range offsets {
		if _, n := r.readTerm(term, offset, 0, h, 1); n != 1 {
			t.Fatalf("no frame at offset %d", offset)
		}
	}
}

func TestImageReaderReassemblesFragmentedMessages(t *testing.T) {
	w := frameWriter{term: newTerm()}
	w.frame(Unfragmented, []byte("solo"))
	first := w.frame(BeginFragFlag, []byte("alpha-1 "))
	DataHeader(w.term[first:]).SetReservedValue(77)
	w.frame(0, []byte("alpha-2 "))
	last := w.frame(EndFragFlag, []byte("alpha-3"))
	DataHeader(w.term[last:]).SetReservedValue(78)
	w.frame(Unfragmented, []byte("after"))

	var m messages
	r := newImageReader(1, testStreamID)
	// One fragment per read: the message is carried across reads.
	for offset, n := 0, 1; n > 0; {
		offset, n = r.readTerm(w.term, offset, 0, m.handler, 1)
	}
	want := []string{"solo", "alpha-1 alpha-2 alpha-3", "after"}
	if got := m.strings(); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("got %q, want %q", got, want)
	}
	// The whole message ends where its last fragment does and carries its first one's
	// reserved value.
	if g := m.got[1]; g.position != int64(last+64) || g.reserved != 77 || g.sessionID != 1 {
		t.Errorf("assembled header %+v", g)
	}
}

func TestImageReaderDropsMessagesWithGapsOrDisorder(t *testing.T) {
	w := frameWriter{term: newTerm()}
	m1b := w.frame(BeginFragFlag, []byte("m1-a "))
	m1m := w.frame(0, []byte("m1-b "))
	m1e := w.frame(EndFragFlag, []byte("m1-c"))
	m2b := w.frame(BeginFragFlag, []byte("m2-a "))
	m2e := w.frame(EndFragFlag, []byte("m2-b"))
	m3b := w.frame(BeginFragFlag, []byte("m3-a "))
	m4b := w.frame(BeginFragFlag, []byte("m4-a "))
	m4e := w.frame(EndFragFlag, []byte("m4-b"))
	m5m := w.frame(0, []byte("orphan "))
	m5e := w.frame(EndFragFlag, []byte("orphan-end"))

	var m messages
	feedFrames(t, newImageReader(1, 1), w.term, m.handler,
		m1b, m1e, m1m, // missing middle: m1 dropped at the gap, and its late fragment ignored
		m2b, m2e, // complete
		m3b, m4b, m4e, // a new BEGIN abandons m3 and starts m4
		m5m, m5e, // fragments without a BEGIN are ignored
		m2b, m2e) // a message read again later still assembles (buffer reuse)
	want := []string{"m2-a m2-b", "m4-a m4-b", "m2-a m2-b"}
	got := m.strings()
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

// Two images, two readers: each session's fragments assemble on their own however the polls of
// the two interleave.
func TestImageReadersAssembleEachSessionApart(t *testing.T) {
	a, b := frameWriter{term: newTerm()}, frameWriter{term: newTerm()}
	a1 := a.frame(BeginFragFlag, []byte("alpha-1 "))
	a2 := a.frame(0, []byte("alpha-2 "))
	a3 := a.frame(EndFragFlag, []byte("alpha-3"))
	b1 := b.frame(BeginFragFlag, []byte("beta-1 "))
	u := b.frame(EndFragFlag, []byte("beta-2"))
	ra, rb := newImageReader(10, 1), newImageReader(20, 1)
	var m messages
	feedFrames(t, ra, a.term, m.handler, a1)
	feedFrames(t, rb, b.term, m.handler, b1)
	feedFrames(t, ra, a.term, m.handler, a2)
	feedFrames(t, rb, b.term, m.handler, u)
	feedFrames(t, ra, a.term, m.handler, a3)
	if got := m.strings(); len(got) != 2 || got[0] != "beta-1 beta-2" || got[1] != "alpha-1 alpha-2 alpha-3" ||
		m.got[0].sessionID != 20 || m.got[1].sessionID != 10 {
		t.Fatalf("got %q, %+v", got, m.got)
	}
}

func TestImageReaderGrowsAndReusesItsBuffer(t *testing.T) {
	log := newTestLog(t, testLogConfig())
	pub := NewConcurrentPublisher(log, unlimited())
	big := payload(5*testMaxPayload+17, 3)
	small := payload(2*testMaxPayload+1, 4)
	pub.Offer(big)
	pub.Offer(small)
	var m messages
	r := NewImageReader(log)
	r.Poll(log, new(int64), m.handler, 100)
	if len(m.got) != 2 || !bytes.Equal(m.got[0].data, big) || !bytes.Equal(m.got[1].data, small) {
		t.Fatalf("assembled %d messages", len(m.got))
	}
	if cap(r.message) < len(big) || m.got[0].sessionID != testSessionID || m.got[0].streamID != testStreamID {
		t.Errorf("buffer of %d bytes for a %d-byte message; session %d stream %d", cap(r.message), len(big),
			m.got[0].sessionID, m.got[0].streamID)
	}
}

// A handler that appends to the message it was given cannot overwrite the log or the reassembly
// buffer beyond it: both are handed out with their capacity cut at their length.
func TestImageReaderHandsOutMessagesWithoutSpareCapacity(t *testing.T) {
	log := newTestLog(t, testLogConfig())
	pub := NewExclusivePublisher(log, unlimited())
	pub.Offer([]byte("first"))
	pub.Offer(payload(2*testMaxPayload, 1))
	pub.Offer([]byte("second"))
	var m messages
	NewImageReader(log).Poll(log, new(int64), func(msg []byte, h *transport.Header) {
		if cap(msg) != len(msg) {
			t.Errorf("message of %d bytes with capacity %d", len(msg), cap(msg))
		}
		m.handler(msg, h)
	}, 10)
	if got := m.strings(); len(got) != 3 || got[2] != "second" {
		t.Fatalf("got %d messages", len(got))
	}
}

func TestImageReaderPollAdvancesThePositionAndStopsAtTheTermEnd(t *testing.T) {
	log := newTestLog(t, testLogConfig())
	pub := NewConcurrentPublisher(log, unlimited())
	msg := payload(1000, 5) // 62 frames of 1056 bytes fill term 0, then 64 bytes of padding
	for pub.Offer(msg) != transport.AdminAction {
	}
	last := offerRetrying(t, pub, msg) // the first message of term 1

	var m messages
	r := NewImageReader(log)
	subscriberPosition := new(int64)
	if n := r.Poll(log, subscriberPosition, m.handler, 60); n != 60 || *subscriberPosition != 60*1056 {
		t.Fatalf("first poll: %d fragments to %d", n, *subscriberPosition)
	}
	// The rest of term 0 and its padding, but not the message waiting in term 1.
	if n := r.Poll(log, subscriberPosition, m.handler, 60); n != 2 || *subscriberPosition != testTermLength {
		t.Fatalf("second poll: %d fragments to %d", n, *subscriberPosition)
	}
	if n := r.Poll(log, subscriberPosition, m.handler, 60); n != 1 || *subscriberPosition != last {
		t.Fatalf("third poll: %d fragments to %d", n, *subscriberPosition)
	}
	if n := r.Poll(log, subscriberPosition, m.handler, 60); n != 0 || *subscriberPosition != last {
		t.Fatalf("idle poll: %d fragments to %d", n, *subscriberPosition)
	}
	if g := m.got[len(m.got)-1]; g.position != last || !bytes.Equal(g.data, msg) {
		t.Errorf("last message at %d", g.position)
	}
}

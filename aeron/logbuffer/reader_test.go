package logbuffer

import "testing"

func newTerm() []byte { return make([]byte, testTermLength) }

func TestReadTermRespectsFragmentLimitAndSkipsPadding(t *testing.T) {
	term := newTerm()
	offset := putFrame(term, 0, 1, 3, Unfragmented, HdrTypeData, []byte("one"))
	offset = putFrame(term, offset, 1, 3, Unfragmented, HdrTypePad, make([]byte, 100))
	offset = putFrame(term, offset, 1, 3, Unfragmented, HdrTypeData, []byte("two"))
	end := putFrame(term, offset, 1, 3, Unfragmented, HdrTypeData, []byte("three"))

	var c collector
	header := NewHeader(3, 16)
	next, n := ReadTerm(term, 0, c.handler, 1, header)
	if n != 1 || next != 64 || string(c.got[0].data) != "one" {
		t.Fatalf("limit 1: %d fragments to %d", n, next)
	}
	// The padding frame does not count against the limit but is passed over.
	next, n = ReadTerm(term, next, c.handler, 1, header)
	if n != 1 || next != offset || string(c.got[1].data) != "two" {
		t.Fatalf("after padding: %d fragments to %d", n, next)
	}
	next, n = ReadTerm(term, next, c.handler, 10, header)
	if n != 1 || next != end || string(c.got[2].data) != "three" {
		t.Fatalf("rest: %d fragments to %d", n, next)
	}
	if next2, n := ReadTerm(term, next, c.handler, 10, header); n != 0 || next2 != next {
		t.Error("read past the last committed frame")
	}
	if c.got[2].position != int64(end) || c.got[2].termOffset != int32(offset) {
		t.Errorf("header of the last frame %+v", c.got[2])
	}
}

func TestReadTermStopsAtTheEndOfTheTerm(t *testing.T) {
	term := newTerm()
	last := testTermLength - 64
	putFrame(term, last, 1, 3, Unfragmented, HdrTypeData, []byte("tail"))
	var c collector
	next, n := ReadTerm(term, last, c.handler, 10, NewHeader(3, 16))
	if n != 1 || next != testTermLength {
		t.Errorf("%d fragments to %d", n, next)
	}
	if next, n = ReadTerm(term, testTermLength, c.handler, 10, NewHeader(3, 16)); n != 0 || next != testTermLength {
		t.Error("read at the term end")
	}
}

// Lengths no writer produces stop the reader in front of the frame instead of crashing it or
// handing the handler an impossible slice.
func TestReadTermSurvivesCorruptFrameLengths(t *testing.T) {
	for _, frameLength := range []int32{-1, -64, -2147483648, 1, 31, testTermLength - 64 + 1, testTermLength * 4, 2147483647} {
		term := newTerm()
		offset := putFrame(term, 0, 1, 3, Unfragmented, HdrTypeData, []byte("good"))
		putFrame(term, offset, 1, 3, Unfragmented, HdrTypeData, []byte("bad"))
		DataHeader(term[offset:]).SetFrameLengthOrdered(frameLength)
		var c collector
		next, n := ReadTerm(term, 0, c.handler, 10, NewHeader(3, 16))
		if n != 1 || next != offset {
			t.Errorf("frame length %d: %d fragments to %d", frameLength, n, next)
		}
		if end := ScanTermBlock(term, 0, testTermLength); end != offset {
			t.Errorf("frame length %d: block scan to %d", frameLength, end)
		}
	}
	var c collector
	for _, start := range []int{-32, 16, testTermLength + 32} {
		if next, n := ReadTerm(newTerm(), start, c.handler, 10, NewHeader(3, 16)); n != 0 || next != start {
			t.Errorf("start %d: %d fragments to %d", start, n, next)
		}
		if end := ScanTermBlock(newTerm(), start, testTermLength); end != start {
			t.Errorf("start %d: block scan to %d", start, end)
		}
	}
	// A term shorter than a header yields nothing.
	if next, n := ReadTerm(make([]byte, 16), 0, c.handler, 10, NewHeader(3, 16)); n != 0 || next != 0 {
		t.Error("tiny term")
	}
}

func TestScanTermBlock(t *testing.T) {
	term := newTerm()
	a := putFrame(term, 0, 1, 3, Unfragmented, HdrTypeData, make([]byte, 10))
	b := putFrame(term, a, 1, 3, Unfragmented, HdrTypeData, make([]byte, 100))
	pad := putFrame(term, b, 1, 3, Unfragmented, HdrTypePad, make([]byte, 200))
	end := putFrame(term, pad, 1, 3, Unfragmented, HdrTypeData, make([]byte, 1))

	cases := []struct{ from, limit, want int }{
		{0, testTermLength, b},     // data frames up to the padding
		{0, b - 1, a},              // only whole frames within the limit
		{0, 10, 0},                 // the first frame does not fit
		{b, testTermLength, pad},   // padding first is passed over on its own
		{pad, testTermLength, end}, // up to the first frame not yet committed
		{end, testTermLength, end}, // nothing committed yet
	}
	for _, c := range cases {
		if got := ScanTermBlock(term, c.from, c.limit); got != c.want {
			t.Errorf("ScanTermBlock(%d, %d) = %d, want %d", c.from, c.limit, got, c.want)
		}
	}
}

func TestPollImageAdvancesThePositionAndStopsAtTheTermEnd(t *testing.T) {
	log := newTestLog(t, testLogConfig())
	pub := NewConcurrentPublisher(log, unlimited())
	msg := payload(1000, 5) // 62 frames of 1056 bytes fill term 0, then 64 bytes of padding
	for pub.Offer(msg) != AdminAction {
	}
	last := offerRetrying(t, pub, msg) // the first message of term 1

	var c collector
	header := NewHeader(log.InitialTermID(), log.PositionBitsToShift())
	subscriberPosition := new(int64)
	if n := PollImage(log, subscriberPosition, c.handler, 60, header); n != 60 || *subscriberPosition != 60*1056 {
		t.Fatalf("first poll: %d fragments to %d", n, *subscriberPosition)
	}
	// The rest of term 0 and its padding, but not the message waiting in term 1.
	if n := PollImage(log, subscriberPosition, c.handler, 60, header); n != 2 || *subscriberPosition != testTermLength {
		t.Fatalf("second poll: %d fragments to %d", n, *subscriberPosition)
	}
	if n := PollImage(log, subscriberPosition, c.handler, 60, header); n != 1 || *subscriberPosition != last {
		t.Fatalf("third poll: %d fragments to %d", n, *subscriberPosition)
	}
	if n := PollImage(log, subscriberPosition, c.handler, 60, header); n != 0 || *subscriberPosition != last {
		t.Fatalf("idle poll: %d fragments to %d", n, *subscriberPosition)
	}
	if c.got[len(c.got)-1].position != last || c.got[len(c.got)-1].termID != testInitialTermID+1 {
		t.Errorf("last fragment %+v", c.got[len(c.got)-1])
	}
}

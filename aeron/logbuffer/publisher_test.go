package logbuffer

import (
	"bytes"
	"math"
	"testing"

	"github.com/tensorpool/tensorpool/transport"
)

// publisher is what the concurrent and exclusive publishers share, so each test runs on both.
type publisher interface {
	TryClaim(length int, claim *transport.Claim) int64
	Offer(msg []byte) int64
	Position() int64
	AvailableWindow() int64
	IsConnected() bool
	Close()
}

var publisherKinds = []struct {
	name string
	make func(*LogBuffers, *int64) publisher
}{
	{"concurrent", func(l *LogBuffers, limit *int64) publisher { return NewConcurrentPublisher(l, limit) }},
	{"exclusive", func(l *LogBuffers, limit *int64) publisher { return NewExclusivePublisher(l, limit) }},
}

// offerRetrying retries the transient transport.AdminAction of a rotation.
func offerRetrying(t *testing.T, p publisher, msg []byte) int64 {
	t.Helper()
	for {
		result := p.Offer(msg)
		if result != transport.AdminAction {
			return result
		}
	}
}

func TestOfferUnfragmentedReadsBackByteForByte(t *testing.T) {
	for _, kind := range publisherKinds {
		t.Run(kind.name, func(t *testing.T) {
			log := newTestLog(t, testLogConfig())
			pub := kind.make(log, unlimited())
			msgs := [][]byte{payload(0, 1), payload(1, 2), payload(100, 3), payload(testMaxPayload, 4)}
			var positions []int64
			for _, m := range msgs {
				position := pub.Offer(m)
				if position <= 0 {
					t.Fatalf("Offer(%d bytes) = %d", len(m), position)
				}
				positions = append(positions, position)
			}
			if pub.Position() != positions[len(positions)-1] {
				t.Errorf("Position %d, last offer %d", pub.Position(), positions[len(positions)-1])
			}

			frames, offset := rawFrames(log.Term(0), 0)
			if len(frames) != len(msgs) || int64(offset) != positions[len(positions)-1] {
				t.Fatalf("read %d frames to offset %d", len(frames), offset)
			}
			wantOffset := int32(0)
			for i, f := range frames {
				if !bytes.Equal(f.data, msgs[i]) {
					t.Errorf("message %d differs", i)
				}
				if f.flags != Unfragmented || f.frameType != HdrTypeData || f.sessionID != testSessionID || f.streamID != testStreamID ||
					f.termID != testInitialTermID || f.termOffset != wantOffset || f.position != positions[i] ||
					f.frameLen != int32(len(msgs[i])+HeaderLength) {
					t.Errorf("message %d header %+v", i, f)
				}
				wantOffset = int32(positions[i])
			}
		})
	}
}

func TestOfferFragmentedSplitsAndReassembles(t *testing.T) {
	for _, kind := range publisherKinds {
		t.Run(kind.name, func(t *testing.T) {
			log := newTestLog(t, testLogConfig())
			pub := kind.make(log, unlimited())
			msg := payload(3*testMaxPayload+100, 9)
			position := pub.Offer(msg)
			if want := int64(ComputeFragmentedFrameLength(len(msg), testMaxPayload)); position != want {
				t.Fatalf("Offer = %d, want %d", position, want)
			}

			raw, _ := rawFrames(log.Term(0), 0)
			wantFlags := []uint8{BeginFragFlag, 0, 0, EndFragFlag}
			if len(raw) != len(wantFlags) {
				t.Fatalf("read %d frames", len(raw))
			}
			var joined []byte
			for i, f := range raw {
				if f.flags != wantFlags[i] {
					t.Errorf("fragment %d flags %#x, want %#x", i, f.flags, wantFlags[i])
				}
				joined = append(joined, f.data...)
			}
			if !bytes.Equal(joined, msg) {
				t.Error("fragments do not join into the message")
			}

			var whole messages
			if n := NewImageReader(log).Poll(log, new(int64), whole.handler, 100); n != len(wantFlags) {
				t.Fatalf("the image reader read %d fragments", n)
			}
			if len(whole.got) != 1 || !bytes.Equal(whole.got[0].data, msg) {
				t.Fatalf("assembled %d messages", len(whole.got))
			}
			if f := whole.got[0]; f.position != position || f.sessionID != testSessionID || f.streamID != testStreamID {
				t.Errorf("assembled header %+v", f)
			}
		})
	}
}

func TestRotationPadsTheTermAndContinuesInTheNext(t *testing.T) {
	for _, kind := range publisherKinds {
		t.Run(kind.name, func(t *testing.T) {
			log := newTestLog(t, testLogConfig())
			pub := kind.make(log, unlimited())
			msg := payload(1000, 5) // 1056-byte frames: 62 fit in a 64 KiB term, leaving 64
			var sent int
			for {
				result := pub.Offer(msg)
				if result == transport.AdminAction {
					break
				}
				if result <= 0 {
					t.Fatalf("Offer = %d", result)
				}
				sent++
			}
			if sent != testTermLength/1056 {
				t.Fatalf("sent %d before the trip", sent)
			}
			if log.ActiveTermCount() != 1 {
				t.Fatalf("active term count %d after trip", log.ActiveTermCount())
			}
			padOffset := sent * 1056
			pad := DataHeader(log.Term(0)[padOffset:])
			if pad.Type() != HdrTypePad || int(pad.FrameLength()) != testTermLength-padOffset || pad.TermID() != testInitialTermID {
				t.Errorf("padding frame: type %d length %d", pad.Type(), pad.FrameLength())
			}

			position := offerRetrying(t, pub, msg)
			if position != testTermLength+1056 {
				t.Errorf("first offer in the next term at %d", position)
			}
			frames, offset := rawFrames(log.Term(0), 0)
			if len(frames) != sent || offset != testTermLength {
				t.Errorf("term 0: %d frames to %d", len(frames), offset)
			}
			if frames, _ = rawFrames(log.Term(1), 0); len(frames) != 1 {
				t.Fatalf("term 1: %d frames", len(frames))
			}
			if frames[0].termID != testInitialTermID+1 || frames[0].position != position || !bytes.Equal(frames[0].data, msg) {
				t.Errorf("term 1 frame %+v", frames[0])
			}
		})
	}
}

func TestRotationWrapsThroughAllPartitions(t *testing.T) {
	for _, kind := range publisherKinds {
		t.Run(kind.name, func(t *testing.T) {
			log := newTestLog(t, testLogConfig())
			pub := kind.make(log, unlimited())
			msg := payload(4000, 6) // three fragments in 4096 bytes: exactly 16 per term
			reader := NewImageReader(log)
			var readPosition int64
			var received int
			handler := func(m []byte, _ *transport.Header) {
				if !bytes.Equal(m, msg) {
					t.Fatal("corrupt message")
				}
				received++
			}
			for sent := 0; sent < 400; sent++ {
				if offerRetrying(t, pub, msg) <= 0 {
					t.Fatalf("offer %d failed", sent)
				}
				// Read everything and clean finished terms, as the driver does behind subscribers.
				for {
					index := IndexByPosition(readPosition, 16)
					before := readPosition
					reader.Poll(log, &readPosition, handler, 10)
					if readPosition == before {
						break
					}
					if readPosition&(testTermLength-1) == 0 {
						clear(log.Term(index))
					}
				}
			}
			if received != 400 || readPosition != pub.Position() {
				t.Errorf("received %d, read to %d, publisher at %d", received, readPosition, pub.Position())
			}
			if log.ActiveTermCount() < 20 {
				t.Errorf("only %d rotations", log.ActiveTermCount())
			}
		})
	}
}

func TestTryClaimCommitAndAbort(t *testing.T) {
	for _, kind := range publisherKinds {
		t.Run(kind.name, func(t *testing.T) {
			log := newTestLog(t, testLogConfig())
			pub := kind.make(log, unlimited())
			var claim transport.Claim
			position := pub.TryClaim(10, &claim)
			if position != 64 || claim.Length() != 10 || len(claim.Buffer()) != 10 {
				t.Fatalf("TryClaim = %d, length %d", position, claim.Length())
			}
			if h := DataHeader(log.Term(0)); h.Flags() != Unfragmented || h.Type() != HdrTypeData {
				t.Error("claim header defaults")
			}
			if frames, offset := rawFrames(log.Term(0), 0); len(frames) != 0 || offset != 0 {
				t.Fatal("an uncommitted claim was readable")
			}
			claim.Abort()
			claim.Commit() // no-op: the claim is closed
			if claim.Buffer() != nil || claim.Length() != 0 {
				t.Error("claim still open after Abort")
			}

			if pub.TryClaim(5, &claim) <= 0 {
				t.Fatal("second claim failed")
			}
			copy(claim.Buffer(), "hello")
			claim.SetReservedValue(-77)
			claim.Commit()
			if pub.Offer([]byte("after")) <= 0 {
				t.Fatal("offer failed")
			}

			var m messages
			readPosition := new(int64)
			if n := NewImageReader(log).Poll(log, readPosition, m.handler, 10); n != 2 || len(m.got) != 2 ||
				string(m.got[0].data) != "hello" || string(m.got[1].data) != "after" {
				t.Fatalf("read %d fragments: %+v", n, m.got)
			}
			if *readPosition != pub.Position() {
				t.Errorf("reader at %d, publisher at %d", *readPosition, pub.Position())
			}
			if m.got[0].reserved != -77 || DataHeader(log.Term(0)[64:]).ReservedValue() != -77 || DataHeader(log.Term(0)[64:]).TermOffset() != 64 {
				t.Error("committed frame header")
			}
		})
	}
}

func TestBackPressureBoundary(t *testing.T) {
	for _, kind := range publisherKinds {
		t.Run(kind.name, func(t *testing.T) {
			log := newTestLog(t, testLogConfig())
			limit := int64(0)
			pub := kind.make(log, &limit)
			var claim transport.Claim
			if got := pub.Offer([]byte("x")); got != transport.NotConnected {
				t.Errorf("no subscriber: %d, want transport.NotConnected", got)
			}
			log.SetIsConnected(true)
			if got := pub.TryClaim(1, &claim); got != transport.BackPressured {
				t.Errorf("limit 0: %d, want transport.BackPressured", got)
			}

			limit = 100 // any position below the limit may append, even past it
			if pub.Offer(payload(200, 1)) != 256 {
				t.Fatal("offer below the limit failed")
			}
			if got := pub.Offer([]byte("x")); got != transport.BackPressured {
				t.Errorf("at 256 with limit 100: %d", got)
			}
			if pub.AvailableWindow() != 100-256 {
				t.Errorf("AvailableWindow %d", pub.AvailableWindow())
			}
			limit = 257
			if pub.Offer([]byte("x")) != 256+64 {
				t.Error("offer after the limit moved failed")
			}
			if !pub.IsConnected() {
				t.Error("IsConnected")
			}
		})
	}
}

func TestLengthErrorsAndClosed(t *testing.T) {
	for _, kind := range publisherKinds {
		t.Run(kind.name, func(t *testing.T) {
			log := newTestLog(t, testLogConfig())
			log.SetIsConnected(true)
			pub := kind.make(log, unlimited())
			var claim transport.Claim
			if pub.TryClaim(testMaxPayload+1, &claim) != transport.PublicationError || pub.TryClaim(-1, &claim) != transport.PublicationError {
				t.Error("try-claim length not checked")
			}
			if pub.Offer(make([]byte, testTermLength/8+1)) != transport.PublicationError {
				t.Error("offer beyond max message length accepted")
			}
			if offerRetrying(t, pub, make([]byte, testTermLength/8)) <= 0 {
				t.Error("offer of max message length refused")
			}
			pub.Close()
			if pub.Offer([]byte("x")) != transport.Closed || pub.TryClaim(1, &claim) != transport.Closed ||
				pub.Position() != transport.Closed || pub.AvailableWindow() != transport.Closed || pub.IsConnected() {
				t.Error("closed publisher still works")
			}
		})
	}
}

// A log whose term count is at the int32 limit can only take what fits in that last term.
func TestMaxPositionExceeded(t *testing.T) {
	for _, kind := range publisherKinds {
		t.Run(kind.name, func(t *testing.T) {
			log := newTestLog(t, testLogConfig())
			lastCount := int32(math.MaxInt32)
			lastTermID := testInitialTermID + lastCount
			index := IndexByTermCount(lastCount)
			log.SetRawTailOrdered(index, PackTail(lastTermID, testTermLength-128))
			log.SetActiveTermCountOrdered(lastCount)
			log.SetIsConnected(true)
			limit := int64(math.MaxInt64)
			pub := kind.make(log, &limit)

			if got := pub.Offer(payload(200, 1)); got != transport.MaxPositionExceeded {
				t.Errorf("offer past the end: %d, want transport.MaxPositionExceeded", got)
			}
			if DataHeader(log.Term(index)[testTermLength-128:]).Type() != HdrTypePad {
				t.Error("tripped term not padded")
			}
			limit = ComputeMaxPossiblePosition(testTermLength) - 64
			if got := pub.Offer([]byte("x")); got != transport.MaxPositionExceeded {
				t.Errorf("at the limit: %d, want transport.MaxPositionExceeded", got)
			}
		})
	}
}

func TestExclusivePublisherResumesFromTail(t *testing.T) {
	log := newTestLog(t, testLogConfig())
	NewConcurrentPublisher(log, unlimited()).Offer(payload(100, 1))
	pub := NewExclusivePublisher(log, unlimited())
	if pub.Position() != 160 || pub.TermID() != testInitialTermID || pub.TermOffset() != 160 {
		t.Fatalf("resumed at %d", pub.Position())
	}
	if pub.Offer(payload(10, 2)) != 160+64 || log.ProducerPosition() != 224 {
		t.Error("exclusive offer did not publish its tail")
	}
}

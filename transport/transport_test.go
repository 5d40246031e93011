package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// frameIn returns an 8-byte aligned buffer holding a claimed frame of payloadLength
// bytes at its start, its length word negated as a publisher leaves it.
func frameIn(payloadLength int) []byte {
	words := make([]uint64, (frameHeaderLength+payloadLength+7)/8+4)
	b := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), 8*len(words))
	frameLength := frameHeaderLength + payloadLength
	binary.LittleEndian.PutUint32(b, uint32(-int32(frameLength)))
	binary.LittleEndian.PutUint16(b[frameTypeOffset:], 1) // DATA
	return b
}

func frameLength(b []byte) int32 { return atomic.LoadInt32((*int32)(unsafe.Pointer(&b[0]))) }

func TestClaimCommitPublishesTheFrameLength(t *testing.T) {
	b := frameIn(10)
	var c Claim
	if c.IsOpen() || c.Buffer() != nil || c.Length() != 0 {
		t.Fatal("zero claim is open")
	}
	c.Wrap(b[:frameHeaderLength+10])
	if !c.IsOpen() || len(c.Buffer()) != 10 || c.Length() != 10 || cap(c.Buffer()) != 10 {
		t.Fatalf("open claim: buffer %d bytes (cap %d), length %d", len(c.Buffer()), cap(c.Buffer()), c.Length())
	}
	copy(c.Buffer(), "0123456789")
	c.SetReservedValue(-42)
	if c.ReservedValue() != -42 {
		t.Fatalf("reserved value %d", c.ReservedValue())
	}
	c.Commit()
	if got := frameLength(b); got != frameHeaderLength+10 {
		t.Fatalf("frame length %d after commit, want %d", got, frameHeaderLength+10)
	}
	if c.IsOpen() || c.Buffer() != nil {
		t.Fatal("claim still open after commit")
	}
	if string(b[frameHeaderLength:frameHeaderLength+10]) != "0123456789" ||
		int64(binary.LittleEndian.Uint64(b[frameReservedValueOffset:])) != -42 ||
		binary.LittleEndian.Uint16(b[frameTypeOffset:]) != 1 {
		t.Fatal("commit changed the frame's header or payload")
	}
	// A second Commit or Abort touches nothing.
	binary.LittleEndian.PutUint32(b, 0xdead)
	c.Commit()
	c.Abort()
	if binary.LittleEndian.Uint32(b) != 0xdead {
		t.Fatal("a closed claim stored again")
	}
}

func TestClaimAbortTurnsTheFrameIntoPadding(t *testing.T) {
	b := frameIn(3)
	var c Claim
	c.Wrap(b[:frameHeaderLength+3])
	c.Abort()
	if got := frameLength(b); got != frameHeaderLength+3 {
		t.Fatalf("frame length %d after abort", got)
	}
	if typ := binary.LittleEndian.Uint16(b[frameTypeOffset:]); typ != frameTypePadding {
		t.Fatalf("frame type %d after abort, want padding", typ)
	}
	if c.IsOpen() {
		t.Fatal("claim open after abort")
	}
}

func TestResultName(t *testing.T) {
	for result, want := range map[int64]string{
		NotConnected: "NOT_CONNECTED", BackPressured: "BACK_PRESSURED", AdminAction: "ADMIN_ACTION",
		Closed: "CLOSED", MaxPositionExceeded: "MAX_POSITION_EXCEEDED", PublicationError: "PUBLICATION_ERROR",
		64: "position", -9: "UNKNOWN_RESULT(-9)",
	} {
		if got := ResultName(result); got != want {
			t.Errorf("ResultName(%d) = %q, want %q", result, got, want)
		}
	}
}

// scripted answers ErrPending until ready polls have passed.
type scripted struct {
	polls, ready int
	err          error
	canceled     bool
}

func (s *scripted) Poll() (int, error) {
	s.polls++
	if s.canceled {
		return 0, ErrCanceled
	}
	if s.polls < s.ready {
		return 0, ErrPending
	}
	return 7, s.err
}

func (s *scripted) Cancel() { s.canceled = true }

func TestAwaitReturnsTheAnswer(t *testing.T) {
	p := &scripted{ready: 20}
	v, err := Await[int](context.Background(), p)
	if v != 7 || err != nil || p.polls != 20 || p.canceled {
		t.Fatalf("got %d, %v after %d polls (canceled %v)", v, err, p.polls, p.canceled)
	}
	refused := errors.New("refused")
	if _, err := Await[int](context.Background(), &scripted{ready: 3, err: refused}); !errors.Is(err, refused) {
		t.Fatalf("got %v, want the add's error", err)
	}
}

func TestAwaitCancelsAtTheEndOfItsContext(t *testing.T) {
	p := &scripted{ready: 1 << 62}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Await[int](ctx, p)
	if !errors.Is(err, context.DeadlineExceeded) || !p.canceled {
		t.Fatalf("got %v (canceled %v), want DeadlineExceeded and Cancel", err, p.canceled)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Await returned %v after its 20ms context ended", took)
	}
}

func TestClaimWrapRejectsAFrameShorterThanItsHeader(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Wrap accepted a 31-byte frame")
		}
	}()
	var c Claim
	c.Wrap(make([]byte, frameHeaderLength-1))
}

package logbuffer

import (
	"encoding/binary"
	"math"
	"testing"
)

const (
	testTermLength    = TermMinLength
	testPageSize      = PageMinSize
	testMTU           = 1408
	testMaxPayload    = testMTU - HeaderLength
	testSessionID     = 0x5E55
	testStreamID      = 1001
	testInitialTermID = 7
)

func testLogConfig() LogConfig {
	return LogConfig{
		TermLength:    testTermLength,
		PageSize:      testPageSize,
		MTULength:     testMTU,
		InitialTermID: testInitialTermID,
		SessionID:     testSessionID,
		StreamID:      testStreamID,
		CorrelationID: 42,
	}
}

// newTestLog allocates and formats an in-memory log like the driver would.
func newTestLog(tb testing.TB, cfg LogConfig) *LogBuffers {
	tb.Helper()
	file := make([]byte, ComputeLogLength(int64(cfg.TermLength), int64(cfg.PageSize)))
	if err := InitLog(file, cfg); err != nil {
		tb.Fatalf("InitLog: %v", err)
	}
	log, err := NewLogBuffers(file)
	if err != nil {
		tb.Fatalf("NewLogBuffers: %v", err)
	}
	return log
}

// unlimited is a publisher limit that never back pressures.
func unlimited() *int64 {
	v := int64(math.MaxInt64)
	return &v
}

// payload returns n bytes of a pattern that depends on seed, so misplaced bytes show up.
func payload(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7) + byte(i>>8)
	}
	return b
}

// putFrame writes a committed frame by hand, for reader and assembler tests.
func putFrame(term []byte, offset int, sessionID, termID int32, flags uint8, frameType uint16, data []byte) int {
	frameLength := HeaderLength + len(data)
	h := DataHeader(term[offset:])
	h.SetFlags(flags)
	h.SetType(frameType)
	binary.LittleEndian.PutUint32(h[TermOffsetFieldOffset:], uint32(offset))
	binary.LittleEndian.PutUint32(h[SessionIDFieldOffset:], uint32(sessionID))
	binary.LittleEndian.PutUint32(h[StreamIDFieldOffset:], testStreamID)
	binary.LittleEndian.PutUint32(h[TermIDFieldOffset:], uint32(termID))
	copy(term[offset+HeaderLength:], data)
	h.SetFrameLengthOrdered(int32(frameLength))
	return offset + Align(frameLength, FrameAlignment)
}

// fragment is one committed data frame as it lies in a term.
type fragment struct {
	data       []byte
	flags      uint8
	frameType  uint16
	sessionID  int32
	streamID   int32
	termID     int32
	termOffset int32
	position   int64 // just past the frame, for a term of initial term id testInitialTermID
	frameLen   int32
}

// rawFrames walks the committed data frames of term from offset, skipping padding, as a term
// reader would, and returns copies of them and the offset it stopped at: the frame-level view
// the image reader hides behind whole messages.
func rawFrames(term []byte, offset int) ([]fragment, int) {
	var out []fragment
	for offset <= len(term)-HeaderLength {
		h := DataHeader(term[offset:])
		frameLength := int(h.FrameLength())
		if frameLength < HeaderLength || frameLength > len(term)-offset {
			break
		}
		next := offset + Align(frameLength, FrameAlignment)
		if h.Type() != HdrTypePad {
			out = append(out, fragment{
				data:       append([]byte(nil), term[offset+HeaderLength:offset+frameLength]...),
				flags:      h.Flags(),
				frameType:  h.Type(),
				sessionID:  h.SessionID(),
				streamID:   h.StreamID(),
				termID:     h.TermID(),
				termOffset: h.TermOffset(),
				position:   ComputePosition(h.TermID(), int32(next), 16, testInitialTermID),
				frameLen:   int32(frameLength),
			})
		}
		offset = next
	}
	return out, offset
}

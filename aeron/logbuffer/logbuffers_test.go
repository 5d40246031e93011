package logbuffer

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestInitLogThenView(t *testing.T) {
	log := newTestLog(t, testLogConfig())
	if log.TermLength() != testTermLength || log.PositionBitsToShift() != 16 {
		t.Errorf("term length %d shift %d", log.TermLength(), log.PositionBitsToShift())
	}
	if log.InitialTermID() != testInitialTermID || log.MTULength() != testMTU || log.PageSize() != testPageSize {
		t.Error("metadata fields")
	}
	if log.CorrelationID() != 42 {
		t.Errorf("correlation id %d", log.CorrelationID())
	}
	if log.EndOfStreamPosition() != math.MaxInt64 || log.IsConnected() || log.ActiveTermCount() != 0 {
		t.Error("initial state")
	}
	if len(log.File()) != 3*testTermLength+LogMetaDataLength || len(log.Metadata()) != LogMetaDataLength {
		t.Error("section lengths")
	}
	for i := range PartitionCount {
		if len(log.Term(i)) != testTermLength || &log.Term(i)[0] != &log.File()[i*testTermLength] {
			t.Errorf("term %d misplaced", i)
		}
	}
	h := DataHeader(log.DefaultFrameHeader())
	if h.Version() != 0 || h.Flags() != Unfragmented || h.Type() != HdrTypeData ||
		h.SessionID() != testSessionID || h.StreamID() != testStreamID || h.TermID() != testInitialTermID {
		t.Errorf("default header %x", []byte(h))
	}
	want := []int64{PackTail(7, 0), PackTail(7+1-3, 0), PackTail(7+2-3, 0)}
	for i, w := range want {
		if got := log.RawTailVolatile(i); got != w {
			t.Errorf("tail %d = %x, want %x", i, got, w)
		}
	}
	if log.ProducerPosition() != 0 {
		t.Errorf("producer position %d", log.ProducerPosition())
	}
	log.SetIsConnected(true)
	log.SetEndOfStreamPosition(4096)
	if !log.IsConnected() || log.EndOfStreamPosition() != 4096 {
		t.Error("setters")
	}
}

func TestNewLogBuffersRejectsInconsistentFiles(t *testing.T) {
	valid := func() []byte {
		return newTestLog(t, testLogConfig()).File()
	}
	metaPut := func(file []byte, offset int, v int32) []byte {
		putInt32(file[len(file)-LogMetaDataLength:], offset, v)
		return file
	}
	cases := []struct {
		name string
		file []byte
		want error
	}{
		{"empty", nil, ErrLogTooShort},
		{"shorter than metadata", make([]byte, 100), ErrLogTooShort},
		{"zeroed metadata", make([]byte, 8192), ErrTermLength},
		{"term length not power of two", metaPut(valid(), LogTermLengthOffset, 100000), ErrTermLength},
		{"negative term length", metaPut(valid(), LogTermLengthOffset, -65536), ErrTermLength},
		{"bad page size", metaPut(valid(), LogPageSizeOffset, 1000), ErrPageSize},
		{"term length larger than file", metaPut(valid(), LogTermLengthOffset, 1<<20), ErrLogLength},
		{"extra page", append(make([]byte, 4096), valid()...), ErrLogLength},
		{"mtu too small", metaPut(valid(), LogMTULengthOffset, 32), ErrMTULength},
		{"mtu not aligned", metaPut(valid(), LogMTULengthOffset, 1400), ErrMTULength},
		{"mtu too large", metaPut(valid(), LogMTULengthOffset, 1<<20), ErrMTULength},
		{"default header length", metaPut(valid(), LogDefaultFrameHeaderLengthOffset, 64), ErrFrameHeaderLength},
	}
	for _, c := range cases {
		_, err := NewLogBuffers(c.file)
		var logErr *LogError
		if !errors.Is(err, c.want) || !errors.As(err, &logErr) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}

	backing := make([]byte, len(valid())+8)
	misaligned := backing[1 : len(backing)-7]
	copy(misaligned, valid())
	if _, err := NewLogBuffers(misaligned); !errors.Is(err, ErrMisalignedLog) {
		t.Errorf("misaligned: err = %v", err)
	}
}

func TestNewLogBuffersNeverPanicsOnGarbageMetadata(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	file := make([]byte, 3*testTermLength+LogMetaDataLength)
	meta := file[len(file)-LogMetaDataLength:]
	for range 2000 {
		for i := 256; i < 320; i += 4 {
			putInt32(meta, i, int32(rng.Uint32()))
		}
		if rng.IntN(2) == 0 {
			putInt32(meta, LogTermLengthOffset, testTermLength)
		}
		if rng.IntN(2) == 0 {
			putInt32(meta, LogPageSizeOffset, testPageSize)
		}
		if rng.IntN(2) == 0 {
			putInt32(meta, LogDefaultFrameHeaderLengthOffset, HeaderLength)
			putInt32(meta, LogMTULengthOffset, int32(rng.IntN(3000))&^31)
		}
		if log, err := NewLogBuffers(file); err == nil {
			// Whatever got through must be usable.
			NewConcurrentPublisher(log, unlimited()).Offer(make([]byte, 2000))
		}
	}
}

func TestInitLogRejectsBadConfig(t *testing.T) {
	cfg := testLogConfig()
	file := make([]byte, ComputeLogLength(int64(cfg.TermLength), int64(cfg.PageSize)))
	bad := cfg
	bad.MTULength = 20
	if err := InitLog(file, bad); !errors.Is(err, ErrMTULength) {
		t.Errorf("mtu: %v", err)
	}
	if err := InitLog(file[:len(file)-4096], cfg); !errors.Is(err, ErrLogLength) {
		t.Errorf("length: %v", err)
	}
}

func TestRotateLog(t *testing.T) {
	log := newTestLog(t, testLogConfig())
	if !log.RotateLog(0, testInitialTermID) {
		t.Fatal("first rotation failed")
	}
	if log.ActiveTermCount() != 1 || log.RawTailVolatile(1) != PackTail(testInitialTermID+1, 0) {
		t.Errorf("after rotation: count %d tail %x", log.ActiveTermCount(), log.RawTailVolatile(1))
	}
	// A second appender that tripped the same term loses both CASes and changes nothing.
	log.CasRawTail(1, PackTail(testInitialTermID+1, 0), PackTail(testInitialTermID+1, 512))
	if log.RotateLog(0, testInitialTermID) {
		t.Error("duplicate rotation reported success")
	}
	if log.ActiveTermCount() != 1 || log.RawTailVolatile(1) != PackTail(testInitialTermID+1, 512) {
		t.Error("duplicate rotation reset the new term")
	}
}

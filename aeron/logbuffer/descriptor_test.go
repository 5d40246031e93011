package logbuffer

import (
	"errors"
	"math"
	"testing"
)

// The metadata offsets as the 1.52 C struct (pack 4) and Java LogBufferDescriptor place them.
func TestMetadataOffsetsMatchAeron(t *testing.T) {
	offsets := []struct {
		name      string
		got, want int
	}{
		{"term tails", TermTailCountersOffset, 0},
		{"active term count", LogActiveTermCountOffset, 24},
		{"end of stream", LogEndOfStreamPositionOffset, 128},
		{"is connected", LogIsConnectedOffset, 136},
		{"active transport count", LogActiveTransportCountOffset, 140},
		{"correlation id", LogCorrelationIDOffset, 256},
		{"initial term id", LogInitialTermIDOffset, 264},
		{"default frame header length", LogDefaultFrameHeaderLengthOffset, 268},
		{"mtu", LogMTULengthOffset, 272},
		{"term length", LogTermLengthOffset, 276},
		{"page size", LogPageSizeOffset, 280},
		{"publication window", LogPublicationWindowLengthOffset, 284},
		{"receiver window", LogReceiverWindowLengthOffset, 288},
		{"max resend", LogMaxResendOffset, 316},
		{"default frame header", LogDefaultFrameHeaderOffset, 320},
		{"entity tag", LogEntityTagOffset, 448},
		{"response correlation id", LogResponseCorrelationIDOffset, 456},
		{"linger timeout", LogLingerTimeoutNsOffset, 464},
		{"untethered window limit timeout", LogUntetheredWindowLimitTimeoutNsOffset, 472},
		{"untethered resting timeout", LogUntetheredRestingTimeoutNsOffset, 480},
		{"group", LogGroupOffset, 488},
		{"is publication revoked", LogIsPublicationRevokedOffset, 496},
		{"type", LogTypeOffset, 497},
		{"untethered linger timeout", LogUntetheredLingerTimeoutNsOffset, 500},
		{"metadata length", LogMetaDataLength, 4096},
	}
	for _, o := range offsets {
		if o.got != o.want {
			t.Errorf("%s offset = %d, want %d", o.name, o.got, o.want)
		}
	}
	if LogDefaultFrameHeaderOffset+LogDefaultFrameHeaderMaxLength != LogEntityTagOffset {
		t.Error("default frame header does not end where the entity tag starts")
	}
}

func TestCheckTermLengthAndPageSize(t *testing.T) {
	for _, n := range []int64{TermMinLength, 1 << 20, 16 << 20, TermMaxLength} {
		if err := CheckTermLength(n); err != nil {
			t.Errorf("CheckTermLength(%d) = %v", n, err)
		}
	}
	for _, n := range []int64{0, -1, TermMinLength / 2, TermMinLength + 32, 3 << 20, TermMaxLength * 2} {
		if err := CheckTermLength(n); !errors.Is(err, ErrTermLength) {
			t.Errorf("CheckTermLength(%d) = %v, want ErrTermLength", n, err)
		}
	}
	for _, n := range []int64{PageMinSize, 2 << 20, PageMaxSize} {
		if err := CheckPageSize(n); err != nil {
			t.Errorf("CheckPageSize(%d) = %v", n, err)
		}
	}
	for _, n := range []int64{0, 2048, 5000, PageMaxSize * 2} {
		if err := CheckPageSize(n); !errors.Is(err, ErrPageSize) {
			t.Errorf("CheckPageSize(%d) = %v, want ErrPageSize", n, err)
		}
	}
}

func TestComputeLogLength(t *testing.T) {
	if got := ComputeLogLength(TermMinLength, PageMinSize); got != 3*TermMinLength+4096 {
		t.Errorf("got %d", got)
	}
	// A 2 MiB page rounds the 4 KiB metadata up to a whole page.
	if got := ComputeLogLength(1<<20, 2<<20); got != 4<<20 {
		t.Errorf("got %d", got)
	}
}

func TestPositionMath(t *testing.T) {
	shift := PositionBitsToShift(TermMinLength)
	if shift != 16 || PositionBitsToShift(TermMaxLength) != 30 {
		t.Fatalf("PositionBitsToShift = %d", shift)
	}
	if got := ComputePosition(10, 96, shift, 7); got != 3<<16+96 {
		t.Errorf("ComputePosition = %d", got)
	}
	// Term ids wrap around int32: the count is still small and positive.
	initial := int32(math.MaxInt32 - 1)
	termID := initial + 3 // wraps to a negative id
	if termID >= 0 {
		t.Fatal("test wants a wrapped term id")
	}
	position := ComputePosition(termID, 64, shift, initial)
	if position != 3<<16+64 {
		t.Errorf("wrapped ComputePosition = %d", position)
	}
	if got := ComputeTermIDFromPosition(position, shift, initial); got != termID {
		t.Errorf("ComputeTermIDFromPosition = %d, want %d", got, termID)
	}
	if got := ComputeTermOffsetFromPosition(position, shift); got != 64 {
		t.Errorf("ComputeTermOffsetFromPosition = %d", got)
	}
	if got := ComputeTermBeginPosition(termID, shift, initial); got != 3<<16 {
		t.Errorf("ComputeTermBeginPosition = %d", got)
	}
	if IndexByPosition(position, shift) != 0 || IndexByTerm(initial, termID) != 0 || IndexByTermCount(4) != 1 {
		t.Error("partition index")
	}
	if idx := IndexByTermCount(-5); idx < 0 || idx >= PartitionCount {
		t.Errorf("IndexByTermCount(-5) = %d out of range", idx)
	}
	if NextPartitionIndex(2) != 0 {
		t.Error("NextPartitionIndex")
	}
	if ComputeMaxPossiblePosition(TermMinLength) != int64(TermMinLength)<<31 {
		t.Error("ComputeMaxPossiblePosition")
	}
}

func TestRawTail(t *testing.T) {
	raw := PackTail(-3, 4096)
	if RawTailTermID(raw) != -3 || RawTailTermOffset(raw, TermMinLength) != 4096 {
		t.Errorf("unpack %x", raw)
	}
	// Concurrent appenders push the offset past the term; readers of the tail clamp it.
	if got := RawTailTermOffset(PackTail(5, 0)+TermMinLength+4000, TermMinLength); got != TermMinLength {
		t.Errorf("clamped offset = %d", got)
	}
}

func TestMessageLengths(t *testing.T) {
	if ComputeMaxMessageLength(TermMinLength) != TermMinLength/8 {
		t.Error("small term max message")
	}
	if ComputeMaxMessageLength(TermMaxLength) != MaxMessageLength {
		t.Error("large term max message")
	}
	cases := []struct{ length, want int }{
		{0, 0},
		{1, 64},
		{testMaxPayload, testMTU},
		{testMaxPayload + 1, testMTU + 64},
		{3*testMaxPayload + 100, 3*testMTU + Align(132, 32)},
	}
	for _, c := range cases {
		if got := ComputeFragmentedFrameLength(c.length, testMaxPayload); got != c.want {
			t.Errorf("ComputeFragmentedFrameLength(%d) = %d, want %d", c.length, got, c.want)
		}
	}
}

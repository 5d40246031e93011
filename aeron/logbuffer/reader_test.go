package logbuffer

import "testing"

func newTerm() []byte { return make([]byte, testTermLength) }

// Lengths no writer produces end a block in front of the frame.
func TestScanTermBlockSurvivesCorruptFrameLengths(t *testing.T) {
	for _, frameLength := range []int32{-1, -64, -2147483648, 1, 31, testTermLength - 64 + 1, testTermLength * 4, 2147483647} {
		term := newTerm()
		offset := putFrame(term, 0, 1, 3, Unfragmented, HdrTypeData, []byte("good"))
		putFrame(term, offset, 1, 3, Unfragmented, HdrTypeData, []byte("bad"))
		DataHeader(term[offset:]).SetFrameLengthOrdered(frameLength)
		if end := ScanTermBlock(term, 0, testTermLength); end != offset {
			t.Errorf("frame length %d: block scan to %d", frameLength, end)
		}
	}
	for _, start := range []int{-32, 16, testTermLength + 32} {
		if end := ScanTermBlock(newTerm(), start, testTermLength); end != start {
			t.Errorf("start %d: block scan to %d", start, end)
		}
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

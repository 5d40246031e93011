package logbuffer

import (
	"testing"
	"unsafe"

	"github.com/tensorpool/tensorpool/transport"
)

// FuzzTermReader feeds arbitrary bytes to the image reader and the block scanner as a term: a
// foreign or corrupt log must never panic them or send them backwards, and every message the
// reader hands out is made of the term's frames, so never longer than the term.
func FuzzTermReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		term := alignedCopy(data)
		check := func(msg []byte, h *transport.Header) {
			if len(msg) > len(term) || h.Position < 0 {
				t.Fatalf("message of %d bytes at position %d from a %d-byte term", len(msg), h.Position, len(term))
			}
		}
		for _, start := range []int{0, 32, len(term) / 2 &^ (FrameAlignment - 1)} {
			for _, limit := range []int{1, 3} {
				r := newImageReader(testSessionID, testStreamID)
				for offset, n := start, 1; n > 0; {
					var next int
					next, n = r.readTerm(term, offset, 0, check, limit)
					if next < offset {
						t.Fatalf("reader went back from %d to %d", offset, next)
					}
					offset = next
				}
			}
			if end := ScanTermBlock(term, start, len(term)); end < start {
				t.Fatalf("block scan went back from %d to %d", start, end)
			}
		}
	})
}

// alignedCopy gives the bytes the 8-byte alignment a mapped term has.
func alignedCopy(data []byte) []byte {
	words := make([]uint64, (len(data)+7)/8)
	if len(words) == 0 {
		return nil
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(data))
	copy(b, data)
	return b
}

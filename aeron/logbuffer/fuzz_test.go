package logbuffer

import (
	"testing"
	"unsafe"

	"github.com/tensorpool/tensorpool/transport"
)

// FuzzTermReader feeds arbitrary bytes to the reader, block scanner and assembler as a term: a
// foreign or corrupt log must never panic them, and every fragment handed out must lie inside the
// buffer it points into.
func FuzzTermReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		term := alignedCopy(data)
		header := NewHeader(testInitialTermID, 16)
		check := func(buffer []byte, offset, length int, h *Header) {
			if offset < 0 || length < 0 || offset+length > len(buffer) {
				t.Fatalf("fragment [%d:+%d] outside a %d-byte buffer", offset, length, len(buffer))
			}
			_ = h.Position() + int64(h.ReservedValue()) + int64(h.Type()) + int64(h.StreamID())
		}
		asm := NewFragmentAssembler(check, 0)
		for _, start := range []int{0, 32, len(term) / 2 &^ (FrameAlignment - 1)} {
			for offset, n := start, 1; n > 0; {
				var next int
				next, n = ReadTerm(term, offset, check, 3, header)
				if next < offset {
					t.Fatalf("reader went back from %d to %d", offset, next)
				}
				offset = next
			}
			for offset, n := start, 1; n > 0; {
				offset, n = ReadTerm(term, offset, asm.Handler(), 3, header)
			}
			if end := ScanTermBlock(term, start, len(term)); end < start {
				t.Fatalf("block scan went back from %d to %d", start, end)
			}
			// The whole-message reader: every message it hands out is made of the term's
			// frames, so it is never longer than the term.
			r := newImageReader(1, 1)
			for offset, n := start, 1; n > 0; {
				var next int
				next, n = r.readTerm(term, offset, 0, func(msg []byte, h *transport.Header) {
					if len(msg) > len(term) || h.Position < 0 {
						t.Fatalf("message of %d bytes at position %d from a %d-byte term", len(msg), h.Position, len(term))
					}
				}, 3)
				if next < offset {
					t.Fatalf("image reader went back from %d to %d", offset, next)
				}
				offset = next
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

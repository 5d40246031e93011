//go:build 386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm

package logbuffer

import (
	"sync/atomic"
	"unsafe"

	"github.com/tensorpool/tensorpool/internal/ordered"
)

// Aeron's log is little-endian and its shared words are updated with native atomic instructions, so
// the atomic views below are only correct on little-endian machines; this file's build constraint
// keeps the package from compiling anywhere else.
//
// Every pointer below points into a slice whose base is 8-byte aligned (LogBuffers checks it) at an
// offset that is a multiple of the access size, as the atomic instructions require.

// The bounds check slices instead of indexing: an index expression would be a plain read of the
// shared byte, which the race detector rightly reports against the writers' atomics.

func int32At(b []byte, offset int) *int32 {
	return (*int32)(unsafe.Pointer(&b[offset : offset+4][0]))
}

func int64At(b []byte, offset int) *int64 {
	return (*int64)(unsafe.Pointer(&b[offset : offset+8][0]))
}

func loadFrameLength(term []byte, offset int) int32 {
	return atomic.LoadInt32(int32At(term, offset))
}

// storeFrameLength publishes a frame (release): its header and payload, written before, are
// visible to a reader that loads the length.
func storeFrameLength(term []byte, offset int, length int32) {
	ordered.StoreInt32(int32At(term, offset), length)
}

// storeFrameWord stores the first 8 bytes of a frame (length, version, flags, type) at once: see
// storeFrameWordAt.
func storeFrameWord(term []byte, offset int, word uint64) {
	storeFrameWordAt(int64At(term, offset), word)
}

func isAligned8(b []byte) bool {
	return len(b) > 0 && uintptr(unsafe.Pointer(&b[0]))%8 == 0
}

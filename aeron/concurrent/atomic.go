//go:build 386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm

// Package concurrent holds the shared-memory structures a client exchanges
// with the media driver through the CnC file: the many-to-one ring buffer the
// client writes commands to, the broadcast buffer it reads responses from,
// and atomic accessors for words in mapped memory.
//
// Memory ordering: Aeron orders these words with acquire loads and release
// stores. Go's sync/atomic operations are sequentially consistent, which is
// strictly stronger, so every word that another process reads or writes with
// ordering is accessed here through sync/atomic and nothing else.
//
// Alignment: the accessors require the word's address to be naturally
// aligned. Mapped files start on a page boundary and every protocol field is
// at a multiple of its size, so that holds for the CnC and log buffers.
//
// Byte order: the protocol is little-endian and the driver updates these
// words with native atomics, so this package builds only for little-endian
// targets.
package concurrent

import (
	"sync/atomic"
	"unsafe"
)

// The slice expressions below make Go bounds-check the whole word, so an
// offset computed from corrupt shared memory panics with an index error in
// the caller's validation bug rather than touching memory outside the buffer.

func int64Ptr(b []byte, off int) *int64 { return (*int64)(unsafe.Pointer(&b[off : off+8][0])) }
func int32Ptr(b []byte, off int) *int32 { return (*int32)(unsafe.Pointer(&b[off : off+4][0])) }

// LoadInt64 atomically loads the int64 at b[off:off+8].
func LoadInt64(b []byte, off int) int64 { return atomic.LoadInt64(int64Ptr(b, off)) }

// StoreInt64 atomically stores v at b[off:off+8].
func StoreInt64(b []byte, off int, v int64) { atomic.StoreInt64(int64Ptr(b, off), v) }

// AddInt64 atomically adds delta to the int64 at b[off:off+8] and returns the
// new value.
func AddInt64(b []byte, off int, delta int64) int64 { return atomic.AddInt64(int64Ptr(b, off), delta) }

// CompareAndSwapInt64 atomically replaces old with new at b[off:off+8].
func CompareAndSwapInt64(b []byte, off int, old, new int64) bool {
	return atomic.CompareAndSwapInt64(int64Ptr(b, off), old, new)
}

// LoadInt32 atomically loads the int32 at b[off:off+4].
func LoadInt32(b []byte, off int) int32 { return atomic.LoadInt32(int32Ptr(b, off)) }

// StoreInt32 atomically stores v at b[off:off+4].
func StoreInt32(b []byte, off int, v int32) { atomic.StoreInt32(int32Ptr(b, off), v) }

// Int64Addr returns a pointer to the int64 at b[off:off+8] for callers that
// keep updating one word (a counter value). Access it only through
// sync/atomic, and only while b stays mapped.
func Int64Addr(b []byte, off int) *int64 { return int64Ptr(b, off) }

// Align rounds v up to a multiple of alignment, a power of two.
func Align(v, alignment int) int { return (v + alignment - 1) &^ (alignment - 1) }

// IsPowerOfTwo reports whether v is a positive power of two.
func IsPowerOfTwo(v int) bool { return v > 0 && v&(v-1) == 0 }

//go:build !amd64 || race

package logbuffer

import "sync/atomic"

// StoreInt64Release stores v at *addr with (at least) release ordering: every
// memory access before it is visible to a thread (or process) that observes v
// with an atomic load. Here it is sync/atomic's sequentially consistent
// store: on architectures without the assembly version, and under the race
// detector, which sees the happens-before edges of sync/atomic only. addr must
// be 8-byte aligned.
func StoreInt64Release(addr *int64, v int64) { atomic.StoreInt64(addr, v) }

// StoreInt32Release is StoreInt64Release for an aligned int32.
func StoreInt32Release(addr *int32, v int32) { atomic.StoreInt32(addr, v) }

// storeFrameWordAt stores the claimed (negative) length word of a new frame: an atomic store here,
// which the race detector sees (readers load the word atomically).
func storeFrameWordAt(addr *int64, word uint64) { atomic.StoreInt64(addr, int64(word)) }

//go:build !amd64 || race

package logbuffer

import "sync/atomic"

// storeFrameWordAt stores the claimed (negative) length word of a new frame: an atomic store here,
// which the race detector sees (readers load the word atomically).
func storeFrameWordAt(addr *int64, word uint64) { atomic.StoreInt64(addr, int64(word)) }

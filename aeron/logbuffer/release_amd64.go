//go:build amd64 && !race

package logbuffer

// storeFrameWordAt stores the claimed (negative) length word of a new frame with a plain aligned
// 8-byte store, which amd64 performs as one single-copy-atomic MOV. It needs no ordering of its
// own: the tail reservation before it is a locked instruction, stores to one word are seen in
// program order, and the commit that publishes the frame is a release store.
func storeFrameWordAt(addr *int64, word uint64) { *addr = int64(word) }

// StoreInt64Release stores v at *addr with release ordering: every memory
// access before it is visible to a thread (or process) that observes v with an
// atomic load. It is what Aeron's ordered/release puts are: cheaper than
// sync/atomic's sequentially consistent store, which on amd64 is an XCHG that
// drains the store buffer. addr must be 8-byte aligned.
//
//go:noescape
func StoreInt64Release(addr *int64, v int64)

// StoreInt32Release is StoreInt64Release for an aligned int32.
//
//go:noescape
func StoreInt32Release(addr *int32, v int32)

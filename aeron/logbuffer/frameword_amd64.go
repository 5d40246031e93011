//go:build amd64 && !race

package logbuffer

// storeFrameWordAt stores the claimed (negative) length word of a new frame with a plain aligned
// 8-byte store, which amd64 performs as one single-copy-atomic MOV. It needs no ordering of its
// own: the tail reservation before it is a locked instruction, stores to one word are seen in
// program order, and the commit that publishes the frame is a release store.
func storeFrameWordAt(addr *int64, word uint64) { *addr = int64(word) }

// Package ordered provides release stores for words other threads or processes read
// with atomic loads: Aeron's "ordered" puts. They are cheaper than sync/atomic's stores,
// which are sequentially consistent (an XCHG on amd64 that waits for the store buffer to
// drain) and so stall a publisher on every cache line a reader on another core holds.
//
// A release store makes every memory access before it visible to whoever observes the
// stored value with an atomic load. It does not order later accesses after it, except on
// amd64, where stores are never reordered with later stores (see StoreStoreOrdered).
package ordered

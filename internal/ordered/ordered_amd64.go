//go:build amd64 && !race

package ordered

// StoreStoreOrdered reports whether these stores also keep every later store from
// becoming visible before them. On amd64 (TSO) a store is never reordered with a later
// store, so a plain MOV does; seqlock writers use it to open a write without a full fence.
const StoreStoreOrdered = true

// StoreInt64 stores v at the 8-byte aligned addr with release ordering.
//
//go:noescape
func StoreInt64(addr *int64, v int64)

// StoreUint64 is StoreInt64 for a uint64.
//
//go:noescape
func StoreUint64(addr *uint64, v uint64)

// StoreInt32 stores v at the 4-byte aligned addr with release ordering.
//
//go:noescape
func StoreInt32(addr *int32, v int32)

//go:build amd64 && !race

package ordered

// StoreStoreOrdered reports whether these stores also keep every later store from
// becoming visible before them. On amd64 (TSO) a store is never reordered with a later
// store, so a plain MOV does; seqlock writers use it to open a write without a full fence.
const StoreStoreOrdered = true

// On amd64 (TSO) an aligned MOV is a release store: the only ordering left to secure is
// the compiler's. Each store is a call the compiler may not inline, and a call is opaque
// to it: it neither moves memory accesses across the call nor drops the store as dead
// when a later one writes the same word (a seqlock's in-progress mark before its commit).
// A Go function rather than assembly, because Go passes the arguments in registers and
// assembly takes them on the stack: two stores fewer per call, on paths that count them.

// StoreInt64 stores v at the 8-byte aligned addr with release ordering.
//
//go:noinline
func StoreInt64(addr *int64, v int64) { *addr = v }

// StoreUint64 is StoreInt64 for a uint64.
//
//go:noinline
func StoreUint64(addr *uint64, v uint64) { *addr = v }

// StoreInt32 stores v at the 4-byte aligned addr with release ordering.
//
//go:noinline
func StoreInt32(addr *int32, v int32) { *addr = v }

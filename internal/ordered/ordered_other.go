//go:build !amd64 || race

package ordered

import "sync/atomic"

// StoreStoreOrdered is false here: these stores are sync/atomic's, sequentially
// consistent, but a caller that needs later stores kept behind one must still say so
// (an atomic swap), because Go does not promise that of a store. Under the race detector
// these are sync/atomic too, since it sees happens-before edges through sync/atomic only.
const StoreStoreOrdered = false

// StoreInt64 stores v at the 8-byte aligned addr with (at least) release ordering.
func StoreInt64(addr *int64, v int64) { atomic.StoreInt64(addr, v) }

// StoreUint64 is StoreInt64 for a uint64.
func StoreUint64(addr *uint64, v uint64) { atomic.StoreUint64(addr, v) }

// StoreInt32 stores v at the 4-byte aligned addr with (at least) release ordering.
func StoreInt32(addr *int32, v int32) { atomic.StoreInt32(addr, v) }

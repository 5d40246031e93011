// Command tripwire links the release stores into a binary for TestStoresAreOneMove to
// disassemble.
package main

import "github.com/tensorpool/tensorpool/internal/ordered"

var (
	a int64
	b uint64
	c int32
)

func main() {
	ordered.StoreInt64(&a, 1)
	ordered.StoreUint64(&b, 2)
	ordered.StoreInt32(&c, 3)
}

//go:build aeronc

package main

// static long long tp_bench_noop(long long x) { return x + 1; }
import "C"

import (
	"fmt"
	"time"
)

func init() { cgoCallNs = measureCgoCall }

// measureCgoCall times calls of an empty C function in a loop: the floor every publish
// through the C client pays once.
func measureCgoCall() float64 {
	const calls = 20_000_000
	var x C.longlong
	start := time.Now()
	for range calls {
		x = C.tp_bench_noop(x)
	}
	elapsed := time.Since(start)
	if x != calls {
		panic(fmt.Sprintf("tp_bench_noop counted %d calls of %d", x, calls))
	}
	return float64(elapsed.Nanoseconds()) / calls
}

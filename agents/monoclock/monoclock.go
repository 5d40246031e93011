// Package monoclock reads CLOCK_MONOTONIC as nanoseconds, the clock the wire spec asks
// producers to stamp frames and superblocks with (§15.7, §15.14). Unlike time.Since, its
// values are comparable across processes on the same host, which is what a consumer needs
// to judge another process's activity timestamp or a frame's one-way latency.
package monoclock

import _ "unsafe" // for go:linkname

// nanotime is the runtime's vDSO read of CLOCK_MONOTONIC on Linux: no syscall, no
// allocation. The runtime keeps this symbol linkable on purpose.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// Now is CLOCK_MONOTONIC in nanoseconds.
func Now() int64 { return nanotime() }

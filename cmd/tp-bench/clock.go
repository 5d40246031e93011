package main

import _ "unsafe" // for go:linkname

// monoNow is CLOCK_MONOTONIC in nanoseconds, the clock the producer stamps frames
// with (agents/internal/monoclock, which this command cannot import): comparable
// across processes, so a consumer in another process can compute one-way latency.
//
//go:linkname monoNow runtime.nanotime
func monoNow() int64

// Package clock names the clock domains of tensorpool. Mono is CLOCK_MONOTONIC in
// nanoseconds: the one clock every process on a host shares, which the wire spec asks
// producers to stamp frames and superblocks with (§15.7, §15.14) and which every agent's
// duty cycle runs on. Unlike time.Since, its values are comparable across processes, which
// is what a consumer needs to judge another process's activity timestamp or a frame's
// one-way latency, and what lets the agents of one process share one runner.
//
// A time of another domain (Unix time, a process-relative clock) is a different type or a
// plain integer: converting one into a Mono is an explicit conversion at the boundary.
package clock

import (
	"time"
	_ "unsafe" // for go:linkname
)

// Mono is a point on CLOCK_MONOTONIC, in nanoseconds since an arbitrary origin that every
// process on the host shares (the boot, on Linux).
type Mono int64

// nanotime is the runtime's vDSO read of CLOCK_MONOTONIC on Linux: no syscall, no
// allocation. The runtime keeps this symbol linkable on purpose.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// Now reads CLOCK_MONOTONIC.
func Now() Mono { return Mono(nanotime()) }

// Since is the time elapsed since t.
func Since(t Mono) time.Duration { return Now().Sub(t) }

// Add is t moved by d.
func (t Mono) Add(d time.Duration) Mono { return t + Mono(d) }

// Sub is the duration from u to t.
func (t Mono) Sub(u Mono) time.Duration { return time.Duration(t - u) }

// Before reports whether t is earlier than u.
func (t Mono) Before(u Mono) bool { return t < u }

// After reports whether t is later than u.
func (t Mono) After(u Mono) bool { return t > u }

// Nanos is t as the plain nanosecond count the wire carries.
func (t Mono) Nanos() int64 { return int64(t) }

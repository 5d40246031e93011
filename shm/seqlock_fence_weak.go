//go:build !(amd64 || 386 || s390x)

package shm

import "sync/atomic"

// readFence orders every earlier load before every later one. An atomic read-modify-write
// is a full barrier in Go's implementation on weakly ordered CPUs; it targets a variable
// on the reader's own stack so readers on different cores never contend for a line.
func readFence() {
	var local uint32
	atomic.AddUint32(&local, 0)
}

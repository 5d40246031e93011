//go:build amd64 || 386 || s390x

package shm

// readFence is empty on these architectures: the hardware does not reorder loads with
// other loads, and the Go compiler does not move plain loads across atomic operations.
func readFence() {}

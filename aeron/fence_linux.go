package aeron

import (
	"sync"

	"golang.org/x/sys/unix"
)

// membarrier(2) commands.
const (
	membarrierCmdQuery                    = 0
	membarrierCmdPrivateExpedited         = 1 << 3
	membarrierCmdRegisterPrivateExpedited = 1 << 4
)

// asymmetricFenceAvailable reports whether this process may use
// processFence: membarrier(2) with MEMBARRIER_CMD_PRIVATE_EXPEDITED (Linux
// 4.14+), registered once.
var asymmetricFenceAvailable = sync.OnceValue(func() bool {
	mask, _, errno := unix.Syscall(unix.SYS_MEMBARRIER, membarrierCmdQuery, 0, 0)
	if errno != 0 || mask&membarrierCmdPrivateExpedited == 0 {
		return false
	}
	_, _, errno = unix.Syscall(unix.SYS_MEMBARRIER, membarrierCmdRegisterPrivateExpedited, 0, 0)
	return errno == 0
})

// processFence makes every running thread of this process execute a full
// memory barrier before it returns (membarrier(2)). It lets the rare side of
// a Dekker-style handshake (the conductor retiring an image) pay for the
// StoreLoad ordering the frequent side (every Poll) would otherwise need.
// It reports false when the barrier failed.
func processFence() bool {
	_, _, errno := unix.Syscall(unix.SYS_MEMBARRIER, membarrierCmdPrivateExpedited, 0, 0)
	return errno == 0
}

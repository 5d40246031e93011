package role

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The Aeron directory: the flag, then Aeron's $AERON_DIR, then its alias
// $TP_AERON_DIR, then driver.aeron_dir, then Aeron's default.
func TestAeronDirConvention(t *testing.T) {
	t.Setenv("AERON_DIR", "")
	t.Setenv("TP_AERON_DIR", "")
	require.Regexp(t, `^/dev/shm/aeron-`, AeronDir("", ""))
	require.Equal(t, "/dev/shm/from-config", AeronDir("", "/dev/shm/from-config"))
	t.Setenv("TP_AERON_DIR", "/dev/shm/tp-alias")
	require.Equal(t, "/dev/shm/tp-alias", AeronDir("", "/dev/shm/from-config"))
	t.Setenv("AERON_DIR", "/dev/shm/aeron-own")
	require.Equal(t, "/dev/shm/aeron-own", AeronDir("", "/dev/shm/from-config"))
	require.Equal(t, "/dev/shm/flag", AeronDir("/dev/shm/flag/", "/dev/shm/from-config"))
}

// A role's lock sits beside the Aeron directory, per role and stream: IPC streams by id
// alone, other channels by their text too (the driver's keeps its name, docs/trust.md).
func TestLockPath(t *testing.T) {
	require.Equal(t, "/dev/shm/a.tp-driver-ipc-1000.lock", LockPath("/dev/shm/a", "driver", "aeron:ipc?term-length=4m", 1000))
	require.Equal(t, "/dev/shm/a.tp-registry-ipc-7100.lock", LockPath("/dev/shm/a", "registry", "aeron:ipc", 7100))
	udp := LockPath("/dev/shm/a", "discovery", "aeron:udp?endpoint=h:1", 7000)
	require.Regexp(t, `^/dev/shm/a\.tp-discovery-7000-[0-9a-f]{8}\.lock$`, udp)
	require.NotEqual(t, udp, LockPath("/dev/shm/a", "discovery", "aeron:udp?endpoint=h:2", 7000))
}

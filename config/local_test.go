package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Local builds the configuration this TOML file describes.
func TestLocalIsItsFile(t *testing.T) {
	base := t.TempDir()
	got, err := Local(base, 9000,
		StreamSpec{StreamID: 1, Slots: 64, Strides: []uint32{4096, 64 << 10}},
		StreamSpec{StreamID: 2, Slots: 16, Strides: []uint32{1 << 20}})
	require.NoError(t, err)
	file := fmt.Sprintf(`
[driver]
instance_id = "tp-%d"
control_channel = "aeron:ipc"
control_stream_id = 9000
announce_channel = "aeron:ipc"
announce_stream_id = 9000
[shm]
base_dir = %q
[policies]
cleanup_shm_on_exit = true
[profiles.p0]
header_nslots = 64
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }, { pool_id = 2, stride_bytes = 65536 }]
[streams.s0]
stream_id = 1
profile = "p0"
[profiles.p1]
header_nslots = 16
payload_pools = [{ pool_id = 1, stride_bytes = 1048576 }]
[streams.s1]
stream_id = 2
profile = "p1"
`, os.Getpid(), base)
	want, err := ParseDriverConfig(strings.NewReader(file))
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// A bad stream spec is refused with the TOML key at fault.
func TestLocalNamesTheKey(t *testing.T) {
	_, err := Local(t.TempDir(), 9000, StreamSpec{StreamID: 1, Slots: 64, Strides: []uint32{1000}})
	var cerr *Error
	require.True(t, errors.As(err, &cerr))
	require.Equal(t, "profiles.p0.payload_pools[0].stride_bytes", cerr.Key)
	_, err = Local("relative", 9000, StreamSpec{StreamID: 1, Slots: 64, Strides: []uint32{4096}})
	require.True(t, errors.As(err, &cerr))
	require.Equal(t, "shm.base_dir", cerr.Key)
}

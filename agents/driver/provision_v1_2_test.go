package driver

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/shm"
)

// provisionConfigV1_2 is a driver of wire v1.2 under base, namespace lab1, with a 64-byte
// stride pool beside a page-sized one.
func provisionConfigV1_2(t *testing.T, base string) *config.DriverConfig {
	t.Helper()
	text := fmt.Sprintf(`
[driver]
instance_id = "drv-test"
wire_version = "1.2"
[shm]
base_dir = %q
namespace = "lab1"
[policies]
epoch_gc_min_age_ns = 1
epoch_gc_keep = 1
[profiles.small]
header_nslots = 8
payload_pools = [{ pool_id = 1, stride_bytes = 64 }, { pool_id = 7, stride_bytes = 4096 }]
[streams.s]
stream_id = 10000
profile = "small"
`, base)
	cfg, err := config.ParseDriverConfig(strings.NewReader(text))
	require.NoError(t, err)
	return cfg
}

// TestProvision_WireSpec1_2_15_21a_3_CanonicalLayout: a v1.2 driver puts its epochs at
// <base_dir>/tensorpool-<user>/<namespace>/<stream_id>/<epoch>/{header.ring,<pool_id>.pool},
// finds them there again, collects them there, and creates the 64-byte strides v1.2
// allows, which a consumer applying v1.1's rule refuses.
func TestProvision_WireSpec1_2_15_21a_3_CanonicalLayout(t *testing.T) {
	base := t.TempDir()
	cfg := provisionConfigV1_2(t, base)
	p := newProvisioner(t, cfg)
	profile := cfg.Profiles["small"]

	r, err := provisionNow(p, 10000, 42, profile, 1_000)
	require.NoError(t, err)
	streamDir := filepath.Join(base, "tensorpool-"+shm.CanonicalUser(), "lab1", "10000")
	dir := filepath.Join(streamDir, "42")
	require.Equal(t, dir, r.Dir)
	require.Equal(t, "shm:file?path="+filepath.Join(dir, "header.ring"), r.HeaderURI)
	require.Equal(t, "shm:file?path="+filepath.Join(dir, "1.pool"), r.Pools[0].RegionURI)
	require.Equal(t, "shm:file?path="+filepath.Join(dir, "7.pool"), r.Pools[1].RegionURI)

	policy, err := shm.NewPathPolicy(base)
	require.NoError(t, err)
	small := shm.PayloadPoolSuperblock(42, 10000, 1, 8, 64)
	m, err := shm.OpenURI(policy, r.Pools[0].RegionURI, shm.OpenOptions{Expect: small, RelaxedStride: true})
	require.NoError(t, err, "a v1.2 consumer maps a 64-byte stride")
	require.NoError(t, m.Close())
	_, err = shm.OpenURI(policy, r.Pools[0].RegionURI, shm.OpenOptions{Expect: small})
	require.ErrorIs(t, err, shm.ErrStridePageMultiple, "v1.1's rule refuses it")

	found, err := p.ScanEpochs()
	require.NoError(t, err)
	require.Equal(t, []EpochOnDisk{{StreamID: 10000, Epoch: 42}}, found)

	_, err = provisionNow(p, 10000, 43, profile, 2_000)
	require.NoError(t, err)
	entries, err := os.ReadDir(streamDir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "epoch GC works in the v1.2 layout")
	require.Equal(t, "43", entries[0].Name())
}

// TestProvision_WireSpec1_2_15_21a_5_SymlinkedUserDirectoryRefused: the per-user directory
// is on the way to every file; a symlink planted there cannot carry them out of base_dir.
func TestProvision_WireSpec1_2_15_21a_5_SymlinkedUserDirectoryRefused(t *testing.T) {
	base := t.TempDir()
	elsewhere := t.TempDir()
	require.NoError(t, os.Symlink(elsewhere, filepath.Join(base, "tensorpool-"+shm.CanonicalUser())))
	cfg := provisionConfigV1_2(t, base)
	p := newProvisioner(t, cfg)

	_, err := provisionNow(p, 10000, 1, cfg.Profiles["small"], 1)
	require.ErrorIs(t, err, shm.ErrPathRejected)
	entries, err := os.ReadDir(elsewhere)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing created outside base_dir")
}

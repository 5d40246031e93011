package driver

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// provisionConfig is a small layout under base: 8 header slots, two pools.
func provisionConfig(t *testing.T, base, policies string) *config.DriverConfig {
	t.Helper()
	text := fmt.Sprintf(`
[driver]
instance_id = "drv-test"
[shm]
base_dir = %q
permissions_mode = "640"
[policies]
epoch_gc_min_age_ns = 1
%s
[profiles.small]
header_nslots = 8
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }, { pool_id = 7, stride_bytes = 8192 }]
[streams.s]
stream_id = 10000
profile = "small"
`, base, policies)
	cfg, err := config.ParseDriverConfig(strings.NewReader(text))
	require.NoError(t, err)
	return cfg
}

func newProvisioner(t *testing.T, cfg *config.DriverConfig) *Provisioner {
	t.Helper()
	p, err := NewProvisioner(cfg, testInstance)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// provisionNow provisions and installs an epoch, as the worker and then the
// duty cycle do.
func provisionNow(p *Provisioner, streamID uint32, epoch uint64, profile config.Profile, nowNs uint64) (*Regions, error) {
	e, err := p.Provision(streamID, epoch, profile, nowNs)
	if e == nil {
		return nil, err
	}
	return p.Install(e), err
}

func TestProvision_WireSpec15_21a_LayoutSuperblocksAndURIs(t *testing.T) {
	base := t.TempDir()
	cfg := provisionConfig(t, base, "")
	p := newProvisioner(t, cfg)
	profile := cfg.Profiles["small"]

	r, err := provisionNow(p, 10000, 42, profile, 1_000)
	require.NoError(t, err)

	dir := filepath.Join(base, "stream-10000", "drv-test", "epoch-42")
	require.Equal(t, dir, r.Dir)
	require.Equal(t, "shm:file?path="+filepath.Join(dir, "header.ring"), r.HeaderURI)
	require.Len(t, r.Pools, 2)
	require.Equal(t, "shm:file?path="+filepath.Join(dir, "payload-7.pool"), r.Pools[1].RegionURI)

	policy, err := shm.NewPathPolicy(base)
	require.NoError(t, err)
	header, err := shm.OpenURI(policy, r.HeaderURI, shm.OpenOptions{Expect: shm.HeaderRingSuperblock(42, 10000, 8)})
	require.NoError(t, err)
	sb, err := shm.DecodeSuperblock(header.Bytes())
	require.NoError(t, err)
	require.Equal(t, uint64(os.Getpid()), sb.Pid)
	require.Equal(t, uint64(1_000), sb.StartTimestampNs)
	require.NoError(t, header.Close())
	for _, pool := range r.Pools {
		want := shm.PayloadPoolSuperblock(42, 10000, pool.PoolID, 8, pool.StrideBytes)
		m, err := shm.OpenURI(policy, pool.RegionURI, shm.OpenOptions{Expect: want})
		require.NoError(t, err, pool.RegionURI)
		require.NoError(t, m.Close())
		require.Equal(t, uint32(8), pool.PoolNslots)
	}

	// permissions_mode applies exactly, whatever the umask; directories get search bits.
	info, err := os.Stat(filepath.Join(dir, "payload-1.pool"))
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o640), info.Mode().Perm())
	info, err = os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o750), info.Mode().Perm())

	got, ok := p.Current(10000)
	require.True(t, ok)
	require.Equal(t, r, got)
}

func TestProvision_BaseDirOutsideAllowedBaseDirsRefused(t *testing.T) {
	allowed := t.TempDir()
	elsewhere := t.TempDir()
	link := filepath.Join(allowed, "escape")
	require.NoError(t, os.Symlink(elsewhere, link))
	cfg := provisionConfig(t, link, "")
	cfg.Shm.AllowedBaseDirs = []string{allowed}

	_, err := NewProvisioner(cfg, testInstance)
	require.ErrorIs(t, err, shm.ErrPathOutsideBase)
}

// Wire spec §15.21a.5, Driver spec §9: a symlinked directory on the way
// cannot carry the files out of base_dir.
func TestProvision_SymlinkedStreamDirectoryRefused(t *testing.T) {
	base := t.TempDir()
	elsewhere := t.TempDir()
	require.NoError(t, os.Symlink(elsewhere, filepath.Join(base, "stream-10000")))
	cfg := provisionConfig(t, base, "")
	p := newProvisioner(t, cfg)

	_, err := provisionNow(p, 10000, 1, cfg.Profiles["small"], 1)
	require.ErrorIs(t, err, shm.ErrPathRejected)
	entries, err := os.ReadDir(elsewhere)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing created outside base_dir")
}

func TestProvision_ReuseExistingShmKeepsBytesBeyondSuperblock(t *testing.T) {
	base := t.TempDir()
	cfg := provisionConfig(t, base, "reuse_existing_shm = true\nprefault_shm = true")
	p := newProvisioner(t, cfg)
	profile := cfg.Profiles["small"]

	r, err := provisionNow(p, 10000, 5, profile, 1)
	require.NoError(t, err)
	path := filepath.Join(r.Dir, "payload-1.pool")
	p.Retire(10000)
	// Scribble past the superblock, then provision the same epoch again.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = f.WriteAt(bytes.Repeat([]byte{0xAB}, 128), shm.SuperblockSize)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	_, err = provisionNow(p, 10000, 5, profile, 2)
	require.NoError(t, err)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, bytes.Repeat([]byte{0xAB}, 128), data[shm.SuperblockSize:shm.SuperblockSize+128])
	sb, err := shm.DecodeSuperblock(data)
	require.NoError(t, err)
	require.Equal(t, uint64(2), sb.StartTimestampNs, "the superblock is rewritten")
}

func TestProvision_WithoutReuseExistingFileIsRecreated(t *testing.T) {
	base := t.TempDir()
	cfg := provisionConfig(t, base, "")
	p := newProvisioner(t, cfg)
	dir := filepath.Join(base, "stream-10000", "drv-test", "epoch-5")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "payload-1.pool"), bytes.Repeat([]byte{0xAB}, 1<<16), 0o600))

	r, err := provisionNow(p, 10000, 5, cfg.Profiles["small"], 1)
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(r.Dir, "payload-1.pool"))
	require.NoError(t, err)
	require.Len(t, data, shm.SuperblockSize+8*4096)
	require.Zero(t, data[shm.SuperblockSize])
}

func TestProvision_WireSpec15_21a5_SymlinkReplacedTargetUntouched(t *testing.T) {
	base := t.TempDir()
	cfg := provisionConfig(t, base, "reuse_existing_shm = true")
	p := newProvisioner(t, cfg)
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, bytes.Repeat([]byte{0x5A}, 1<<20), 0o600))
	dir := filepath.Join(base, "stream-10000", "drv-test", "epoch-9")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.Symlink(victim, filepath.Join(dir, "header.ring")))

	_, err := provisionNow(p, 10000, 9, cfg.Profiles["small"], 1)
	require.NoError(t, err)
	info, err := os.Lstat(filepath.Join(dir, "header.ring"))
	require.NoError(t, err)
	require.True(t, info.Mode().IsRegular(), "the link was replaced by a regular file")
	data, err := os.ReadFile(victim)
	require.NoError(t, err)
	require.Equal(t, bytes.Repeat([]byte{0x5A}, 1<<20), data)
}

func TestProvision_NonRegularPathFailsAndLeavesNoEpoch(t *testing.T) {
	base := t.TempDir()
	cfg := provisionConfig(t, base, "")
	p := newProvisioner(t, cfg)
	dir := filepath.Join(base, "stream-10000", "drv-test", "epoch-3")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "payload-7.pool"), 0o755))

	_, err := provisionNow(p, 10000, 3, cfg.Profiles["small"], 1)
	require.ErrorIs(t, err, ErrNotRegular)
	_, ok := p.Current(10000)
	require.False(t, ok)
	_, err = os.Stat(dir)
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestProvision_FreeSpaceCheckedBeforeCreating(t *testing.T) {
	base := t.TempDir()
	cfg := provisionConfig(t, base, "")
	p := newProvisioner(t, cfg)
	p.freeBytes = func(string) (uint64, error) { return 4096, nil }

	_, err := provisionNow(p, 10000, 3, cfg.Profiles["small"], 1)
	require.ErrorIs(t, err, ErrNoSpace)
	require.ErrorContains(t, err, "needs 100544 bytes")
	_, err = os.Stat(filepath.Join(base, "stream-10000"))
	require.ErrorIs(t, err, fs.ErrNotExist, "nothing created")
}

func TestProvision_ShortOfSpaceCollectsOldEpochsFirst(t *testing.T) {
	base := t.TempDir()
	// epoch_gc_min_age_ns is large, so only the out-of-space path may collect.
	cfg := provisionConfig(t, base, "epoch_gc_keep = 1")
	cfg.Policies.EpochGCMinAgeNs = 1 << 62
	p := newProvisioner(t, cfg)
	for epoch := uint64(1); epoch <= 3; epoch++ {
		_, err := provisionNow(p, 10000, epoch, cfg.Profiles["small"], epoch)
		require.NoError(t, err)
	}
	require.Len(t, epochsOnDisk(t, p, 10000), 3)
	calls := 0
	p.freeBytes = func(string) (uint64, error) {
		calls++
		if calls == 1 {
			return 0, nil
		}
		return 1 << 30, nil
	}
	_, err := provisionNow(p, 10000, 4, cfg.Profiles["small"], 4)
	require.NoError(t, err)
	require.Equal(t, []uint64{4}, epochsOnDisk(t, p, 10000))
}

func TestProvision_PrefaultAllocatesEveryPage(t *testing.T) {
	allocated := func(prefault bool) int64 {
		base := t.TempDir()
		cfg := provisionConfig(t, base, fmt.Sprintf("prefault_shm = %v", prefault))
		p := newProvisioner(t, cfg)
		r, err := provisionNow(p, 10000, 1, cfg.Profiles["small"], 1)
		require.NoError(t, err)
		info, err := os.Stat(filepath.Join(r.Dir, "payload-7.pool"))
		require.NoError(t, err)
		return info.Sys().(*syscall.Stat_t).Blocks * 512
	}
	require.GreaterOrEqual(t, allocated(true), int64(shm.SuperblockSize+8*8192), "every page allocated")
	require.Less(t, allocated(false), int64(8*8192), "without prefault the file stays sparse")
}

func TestProvision_MlockWhenConfigured(t *testing.T) {
	base := t.TempDir()
	cfg := provisionConfig(t, base, "mlock_shm = true")
	p := newProvisioner(t, cfg)
	_, err := provisionNow(p, 10000, 1, cfg.Profiles["small"], 1)
	if err != nil {
		// A memlock limit below ~100 KiB makes the documented fatal path the outcome.
		require.ErrorIs(t, err, ErrMlock)
	}
}

func epochsOnDisk(t *testing.T, p *Provisioner, stream uint32) []uint64 {
	t.Helper()
	found, err := p.ScanEpochs()
	require.NoError(t, err)
	var out []uint64
	for _, e := range found {
		if e.StreamID == stream {
			out = append(out, e.Epoch)
		}
	}
	return out
}

// The reference compares epoch values against current-(keep-1); epochs are
// clock readings, so that kept only the current epoch. GC counts epochs.
func TestProvision_EpochGCKeepsConfiguredCountOfClockValuedEpochs(t *testing.T) {
	base := t.TempDir()
	cfg := provisionConfig(t, base, "epoch_gc_keep = 2")
	p := newProvisioner(t, cfg)
	epochs := []uint64{1_000_000_000, 2_500_000_000, 4_000_000_000, 9_000_000_000}
	for i, e := range epochs {
		_, err := provisionNow(p, 10000, e, cfg.Profiles["small"], e+uint64(i))
		require.NoError(t, err)
	}
	require.ElementsMatch(t, epochs[2:], epochsOnDisk(t, p, 10000))
}

func TestProvision_EpochGCDisabledKeepsAll(t *testing.T) {
	base := t.TempDir()
	cfg := provisionConfig(t, base, "epoch_gc_enabled = false")
	p := newProvisioner(t, cfg)
	for e := uint64(1); e <= 4; e++ {
		_, err := provisionNow(p, 10000, e, cfg.Profiles["small"], e)
		require.NoError(t, err)
	}
	require.Len(t, epochsOnDisk(t, p, 10000), 4)
}

func TestProvision_ScanEpochsFeedsCoreEpochFloor_DriverSpec10(t *testing.T) {
	base := t.TempDir()
	inst := filepath.Join(base, "stream-10000", "drv-test")
	for _, name := range []string{"epoch-7", "epoch-900", "epoch-x", "epoch-007", "other"} {
		require.NoError(t, os.MkdirAll(filepath.Join(inst, name), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(inst, "epoch-5000"), nil, 0o600)) // not a directory
	require.NoError(t, os.MkdirAll(filepath.Join(base, "stream-10001", "other-driver", "epoch-99999"), 0o755))
	cfg := provisionConfig(t, base, "")
	p := newProvisioner(t, cfg)

	found, err := p.ScanEpochs()
	require.NoError(t, err)
	require.ElementsMatch(t, []EpochOnDisk{{10000, 7}, {10000, 900}}, found)

	core := NewCore(cfg, testInstance)
	for _, e := range found {
		core.RecordEpochOnDisk(e.StreamID, e.Epoch)
	}
	d := core.DecideAttach(wire.ShmAttachRequest{CorrelationID: 1, StreamID: 10000, ClientID: 1, Role: wire.RoleProducer, PublishMode: wire.PublishModeNull}, 5)
	require.Equal(t, wire.CodeOK, d.Code)
	require.Greater(t, d.Plan.ProvisionEpoch, uint64(900))
}

func TestProvision_CollectAtStartupKeepsNewest(t *testing.T) {
	base := t.TempDir()
	inst := filepath.Join(base, "stream-10000", "drv-test")
	for _, e := range []string{"epoch-10", "epoch-20", "epoch-30"} {
		require.NoError(t, os.MkdirAll(filepath.Join(inst, e), 0o755))
	}
	cfg := provisionConfig(t, base, "epoch_gc_keep = 2")
	p := newProvisioner(t, cfg)
	found, err := p.ScanEpochs()
	require.NoError(t, err)
	require.NoError(t, p.CollectAtStartup(found, 1<<62))
	require.ElementsMatch(t, []uint64{20, 30}, epochsOnDisk(t, p, 10000))
}

func TestProvision_CleanupShmOnExitRemovesCurrentEpochs(t *testing.T) {
	for _, cleanup := range []bool{true, false} {
		t.Run(fmt.Sprint("cleanup=", cleanup), func(t *testing.T) {
			base := t.TempDir()
			cfg := provisionConfig(t, base, fmt.Sprintf("cleanup_shm_on_exit = %v", cleanup))
			p, err := NewProvisioner(cfg, testInstance)
			require.NoError(t, err)
			r, err := provisionNow(p, 10000, 1, cfg.Profiles["small"], 1)
			require.NoError(t, err)
			require.NoError(t, p.Close())
			_, err = os.Stat(filepath.Join(r.Dir, "header.ring"))
			if cleanup {
				require.ErrorIs(t, err, fs.ErrNotExist)
			} else {
				require.NoError(t, err)
			}
		})
	}
}

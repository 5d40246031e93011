package driver

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/shm"
)

// One driver per base directory: a second provisioner on the same
// shm.base_dir is refused, naming the first one's pid and instance.
func TestLock_SecondDriverOnTheBaseDirIsRefused(t *testing.T) {
	cfg := provisionConfig(t, t.TempDir(), "")
	first := newProvisioner(t, cfg)
	_, err := NewProvisioner(cfg, testInstance+1)
	require.ErrorIs(t, err, ErrInUse)
	require.Contains(t, err.Error(), "pid "+strconv.Itoa(os.Getpid()))
	require.Contains(t, err.Error(), `instance "drv-test"`)
	require.Contains(t, err.Error(), cfg.Shm.BaseDir)

	require.NoError(t, first.Close())
	again, err := NewProvisioner(cfg, testInstance+1)
	require.NoError(t, err, "free once the first closed")
	require.Zero(t, again.dirLock.Previous, "a clean release leaves nothing to take over")
	require.NoError(t, again.Close())
}

// ReadLockOwner tells who holds a base directory without taking its lock.
func TestLock_ReadLockOwnerLeavesTheLockAlone(t *testing.T) {
	cfg := provisionConfig(t, t.TempDir(), "")
	p := newProvisioner(t, cfg)
	owner, err := ReadLockOwner(BaseDirLockPath(cfg.Shm.BaseDir))
	require.NoError(t, err)
	require.Equal(t, os.Getpid(), owner.Pid)
	require.Equal(t, "drv-test", owner.Instance)
	require.Equal(t, uint32(testInstance), owner.Nonce)
	_, err = NewProvisioner(cfg, testInstance+1)
	require.ErrorIs(t, err, ErrInUse, "still held after the read")
	require.NoError(t, p.Close())
	_, err = ReadLockOwner(BaseDirLockPath(cfg.Shm.BaseDir))
	require.ErrorIs(t, err, fs.ErrNotExist, "released with its file")
}

// A lock whose holder died is taken over; the file tells who held it.
func TestLock_DeadHoldersLockIsTakenOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	dead := deadPid(t)
	require.NoError(t, os.WriteFile(path, LockOwner{Pid: dead, Instance: "old"}.encode(), 0o644))
	l, err := AcquireLock(path, "the test", LockOwner{Pid: os.Getpid(), Instance: "new"})
	require.NoError(t, err)
	require.Equal(t, dead, l.Previous.Pid)
	require.Equal(t, "old", l.Previous.Instance)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, os.Getpid(), parseLockOwner(data).Pid)
	require.NoError(t, l.Release())
	_, err = os.Stat(path)
	require.True(t, os.IsNotExist(err), "released locks leave no file")
}

// deadPid is the pid of a process that has exited.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	require.False(t, processAlive(cmd.Process.Pid))
	return cmd.Process.Pid
}

// Issue 14, no leaked SHM: cleanup_shm_on_exit removes every epoch this run
// made, not only the current ones, and the directories it created,
// shm.base_dir included; what it did not create stays.
func TestProvision_CleanupRemovesEveryEpochAndTheDirectoriesItMade(t *testing.T) {
	parent := t.TempDir()
	base := filepath.Join(parent, "made", "base")
	cfg := provisionConfig(t, base, "cleanup_shm_on_exit = true\nepoch_gc_enabled = false")
	p, err := NewProvisioner(cfg, testInstance)
	require.NoError(t, err)
	for epoch := range uint64(3) {
		for _, stream := range []uint32{10000, 20000} {
			_, err := provisionNow(p, stream, epoch+1, cfg.Profiles["small"], 1)
			require.NoError(t, err)
		}
	}
	require.Len(t, epochsOnDisk(t, p, 10000), 3)
	require.NoError(t, p.Close())
	_, err = os.Stat(filepath.Join(parent, "made"))
	require.True(t, os.IsNotExist(err), "everything it made is gone: %v", err)

	// A base directory that existed keeps what others put there.
	existing := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(existing, "someone-else"), nil, 0o600))
	cfg = provisionConfig(t, existing, "cleanup_shm_on_exit = true")
	p, err = NewProvisioner(cfg, testInstance)
	require.NoError(t, err)
	_, err = provisionNow(p, 10000, 1, cfg.Profiles["small"], 1)
	require.NoError(t, err)
	require.NoError(t, p.Close())
	entries, err := os.ReadDir(existing)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, "someone-else", entries[0].Name())
}

// Issue 14, no leaked SHM: at start the epochs of this instance whose
// header ring names a dead pid are removed; those of a live driver stay
// (and with reuse_existing_shm nothing is removed).
func TestProvision_ReclaimDeadRemovesOnlyDeadDriversEpochs(t *testing.T) {
	base := t.TempDir()
	cfg := provisionConfig(t, base, "epoch_gc_enabled = false")
	p := newProvisioner(t, cfg)
	for _, epoch := range []uint64{1, 2, 3} {
		_, err := provisionNow(p, 10000, epoch, cfg.Profiles["small"], 1)
		require.NoError(t, err)
	}
	setHeaderPid(t, p.epochDir(10000, 1), uint64(deadPid(t)))
	setHeaderPid(t, p.epochDir(10000, 2), 1) // init: alive
	require.NoError(t, os.Remove(shm.HeaderRingPath(p.epochDir(10000, 3))))
	found, err := p.ScanEpochs()
	require.NoError(t, err)

	reclaimed, bytes, err := p.ReclaimDead(found)
	require.NoError(t, err)
	require.ElementsMatch(t, []EpochOnDisk{{10000, 1}, {10000, 3}}, reclaimed, "a dead pid, and no header at all")
	require.NotZero(t, bytes)
	require.Equal(t, []uint64{2}, epochsOnDisk(t, p, 10000))

	reuse := provisionConfig(t, base, "reuse_existing_shm = true")
	p.Close()
	q := newProvisioner(t, reuse)
	setHeaderPid(t, q.epochDir(10000, 2), uint64(deadPid(t)))
	found, err = q.ScanEpochs()
	require.NoError(t, err)
	reclaimed, _, err = q.ReclaimDead(found)
	require.NoError(t, err)
	require.Empty(t, reclaimed, "reuse_existing_shm keeps files for reuse")
}

// Issue 14, no leaked SHM: an epoch a killed run left that a live client still
// named at the next start is kept then, and removed at that run's clean exit
// with cleanup_shm_on_exit (a README user's driver kill -9, restart, Ctrl-C left it).
func TestProvision_CleanExitRemovesEpochsInheritedFromADeadRun(t *testing.T) {
	base := t.TempDir()
	killed := newProvisioner(t, provisionConfig(t, base, "epoch_gc_enabled = false"))
	_, err := provisionNow(killed, 10000, 1, killed.cfg.Profiles["small"], 1)
	require.NoError(t, err)
	setHeaderPid(t, killed.epochDir(10000, 1), 1) // init: a live client
	require.NoError(t, killed.Close())

	next := newProvisioner(t, provisionConfig(t, base, "epoch_gc_enabled = false\ncleanup_shm_on_exit = true"))
	found, err := next.ScanEpochs()
	require.NoError(t, err)
	reclaimed, _, err := next.ReclaimDead(found)
	require.NoError(t, err)
	require.Empty(t, reclaimed, "a live pid's epoch stays while the run lasts")
	require.Equal(t, []uint64{1}, epochsOnDisk(t, next, 10000))
	require.NoError(t, next.Close())
	require.NoDirExists(t, next.epochDir(10000, 1))
}

// setHeaderPid rewrites the pid of an epoch's header ring superblock.
func setHeaderPid(t *testing.T, dir string, pid uint64) {
	t.Helper()
	path := shm.HeaderRingPath(dir)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	m, err := shm.MapFile(f, shm.SuperblockSize, shm.ReadWrite)
	require.NoError(t, err)
	defer m.Close()
	sb, err := shm.DecodeSuperblock(m.Bytes())
	require.NoError(t, err)
	sb.Pid = pid
	require.NoError(t, shm.EncodeSuperblock(m.Bytes(), &sb))
}

// docs/trust.md: region files and directories the driver creates belong to
// its effective user, with shm.permissions_mode exactly (whatever the
// umask); a file another user planted at a region path is never reused,
// even under reuse_existing_shm, but replaced.
func TestProvision_RegionFilesBelongToTheDriver(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	cfg := provisionConfig(t, base, "reuse_existing_shm = true")
	old := syscall.Umask(0o077)
	p := newProvisioner(t, cfg)
	r, err := provisionNow(p, 10000, 1, cfg.Profiles["small"], 1)
	syscall.Umask(old)
	require.NoError(t, err)
	for _, path := range []string{shm.HeaderRingPath(r.Dir), shm.PayloadPoolPath(r.Dir, 1), r.Dir, filepath.Dir(r.Dir), base} {
		info, err := os.Stat(path)
		require.NoError(t, err)
		st := info.Sys().(*syscall.Stat_t)
		require.Equal(t, uint32(os.Geteuid()), st.Uid, path)
		want := fs.FileMode(0o640)
		if info.IsDir() {
			want = 0o750
		}
		require.Equal(t, want, info.Mode().Perm(), path)
	}

	if os.Geteuid() != 0 {
		t.Skip("skipped: planting a file of another user needs root")
	}
	p.Retire(10000)
	pool := shm.PayloadPoolPath(r.Dir, 1)
	f, err := os.OpenFile(pool, os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("planted"), shm.SuperblockSize)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, os.Chown(pool, 65534, 65534))
	_, err = provisionNow(p, 10000, 1, cfg.Profiles["small"], 2)
	require.NoError(t, err)
	data, err := os.ReadFile(pool)
	require.NoError(t, err)
	require.NotContains(t, string(data), "planted", "another user's file is replaced, not reused")
	var after syscall.Stat_t
	require.NoError(t, syscall.Stat(pool, &after))
	require.Equal(t, uint32(os.Geteuid()), after.Uid)
}

// A lock file is read from disk, where anyone with access to the directory
// may have written anything: parsing it never fails or panics, and what it
// parses encodes back to the same owner.
func FuzzParseLockOwner(f *testing.F) {
	f.Add(string(LockOwner{Pid: 42, Instance: "driver-01", Nonce: 0xdeadbeef, Created: []string{"/dev/shm/tensorpool"}}.encode()))
	f.Add("pid=-1\nnonce=zz\nsince=yesterday\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, data string) {
		o := parseLockOwner([]byte(data))
		again := parseLockOwner(o.encode())
		if again.Pid != o.Pid || again.Nonce != o.Nonce || (!strings.ContainsAny(o.Instance, "\r\n") && again.Instance != o.Instance) {
			t.Fatalf("%+v encodes to %+v", o, again)
		}
		_ = o.String()
	})
}

package driver

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
	"golang.org/x/sys/unix"
)

// Provisioning failures, for errors.Is. Every error Provision returns wraps
// one of these or an *os.PathError / *shm.ValidationError naming the file.
var (
	// ErrNoSpace: the filesystem of shm.base_dir cannot hold the epoch even
	// after collecting old epochs.
	ErrNoSpace = errors.New("driver: not enough free space for the SHM regions")
	// ErrMlock: policies.mlock_shm is set and locking a region failed; the
	// driver treats this as fatal.
	ErrMlock = errors.New("driver: mlock of an SHM region failed")
	// ErrNotRegular: an existing backing path is not a regular file.
	ErrNotRegular = errors.New("driver: existing SHM path is not a regular file")
	// ErrRegionsLost: the files of a stream's current epoch were deleted,
	// replaced or truncated under the driver; the stream moves to a new epoch.
	ErrRegionsLost = errors.New("driver: the SHM files of the epoch were removed, replaced or truncated")
	// ErrCanceled: the driver closed while the epoch was being provisioned.
	ErrCanceled = errors.New("driver: provisioning canceled: the driver is closing")
)

// dirLayout is where the driver keeps its epochs, after driver.wire_version:
//
//	1.1: <base_dir>/stream-<id>/<instance_id>/epoch-<E>/{header.ring,payload-<pool>.pool}
//	     (wire v1.1 §15.21a.3, informative: the stream as namespace, the driver instance
//	     as producer instance)
//	1.2: <base_dir>/tensorpool-<user>/<namespace>/<id>/<E>/{header.ring,<pool>.pool}
//	     (wire v1.2 §15.21a.3, normative; <namespace> is shm.namespace)
//
// Consumers never derive these paths (§15.21a.4): they map the URIs they are given,
// under their own containment check.
type dirLayout struct {
	// streams holds the stream directories, each named streamPrefix<id>; instance is a
	// directory inside each (v1.1: the driver instance's), "" for none.
	streams, streamPrefix, instance string
	// epochPrefix comes before an epoch directory's number.
	epochPrefix string
	// poolPath is a payload pool's file in an epoch directory.
	poolPath func(epochDir string, poolID uint16) string
	// relaxedStride: v1.2's stride rule (§15.22) for the pools created.
	relaxedStride bool
}

func newDirLayout(cfg *config.DriverConfig, base string) (dirLayout, error) {
	if cfg.Driver.WireVersion != wire.V1_2 {
		return dirLayout{streams: base, streamPrefix: "stream-", instance: cfg.Driver.InstanceID,
			epochPrefix: "epoch-", poolPath: shm.PayloadPoolPath}, nil
	}
	streamDir, err := shm.CanonicalStreamDir(base, shm.CanonicalUser(), cfg.Shm.Namespace, 0)
	if err != nil {
		return dirLayout{}, fmt.Errorf("driver: the wire v1.2 directory layout: %w", err)
	}
	return dirLayout{streams: filepath.Dir(streamDir), poolPath: shm.CanonicalPoolPath, relaxedStride: true}, nil
}

// streamDir holds every epoch of one stream for this driver.
func (l *dirLayout) streamDir(streamID uint32) string {
	return filepath.Join(l.streams, l.streamPrefix+strconv.FormatUint(uint64(streamID), 10), l.instance)
}

// epochDir is where an epoch's files live.
func (l *dirLayout) epochDir(streamID uint32, epoch uint64) string {
	return filepath.Join(l.streamDir(streamID), l.epochPrefix+strconv.FormatUint(epoch, 10))
}

// Regions are the files of one stream epoch, as announced and granted.
type Regions struct {
	StreamID  uint32
	Epoch     uint64
	HeaderURI string
	Pools     []wire.PayloadPool
	// Dir is the canonical epoch directory.
	Dir string
}

// EpochOnDisk is an epoch directory found under this driver instance.
type EpochOnDisk struct {
	StreamID uint32
	Epoch    uint64
}

// PreparedEpoch is a provisioned epoch with its mappings, kept open so
// mlocked pages stay locked. Provision makes one; Install makes it its
// stream's current epoch.
type PreparedEpoch struct {
	regions Regions
	files   []regionFile
}

// regionFile is one region of an epoch: its mapping, an O_PATH descriptor
// of the file (to notice, without a path lookup, that it was deleted,
// replaced or truncated), and the superblock it must keep.
type regionFile struct {
	m      *shm.MappedRegion
	fd     int
	expect shm.Superblock
}

// Regions are the epoch's files.
func (e *PreparedEpoch) Regions() *Regions { return &e.regions }

func (e *PreparedEpoch) close() {
	for _, f := range e.files {
		f.m.Close()
		unix.Close(f.fd)
	}
	e.files = nil
}

// Provisioner creates and removes the driver's SHM backing files: one
// directory per stream and epoch at the Wire spec §15.21a.3 layout of
// driver.wire_version (dirLayout).
//
// Two goroutines share it, each with its own part: the provisioning worker
// runs the file work (Provision, CollectEpochs, RemoveEpoch) and owns
// startNs; the agent's duty cycle owns the current epochs (Install,
// Current, RefreshActivity, Retire). Close runs after the worker stopped.
type Provisioner struct {
	cfg *config.DriverConfig
	// base is shm.base_dir with symlinks resolved; every path and URI is built from it.
	base     string
	layout   dirLayout
	policy   *shm.PathPolicy
	dirMode  fs.FileMode
	pageSize int
	// freeBytes reports the space available on the filesystem holding dir.
	freeBytes func(dir string) (uint64, error)
	// wallNow converts directory mtimes into ages.
	wallNow func() time.Time
	// lock is mlock(2); tests replace it to reach the failure path, which a
	// privileged test process never hits.
	lock func([]byte) error

	// canceled stops a provisioning under way at its next check (Close).
	canceled atomic.Bool

	// current is the duty cycle's: each stream's installed epoch.
	current map[uint32]*PreparedEpoch
	// startNs is the worker's: when epochs of this run started, on the driver clock.
	startNs map[EpochOnDisk]uint64
	// createdDirs are the stream and instance directories this run made, and
	// createdBase shm.base_dir and the ancestors it made, deepest first: what
	// cleanup_shm_on_exit removes when empty.
	createdDirs map[string]bool
	createdBase []string
	// inherited are the epochs of this instance an earlier run left that ReclaimDead kept
	// because a live process (a client) still named them: cleanup_shm_on_exit removes
	// them too, as nothing of this instance outlives a clean exit.
	inherited []EpochOnDisk
	// dirLock makes this driver the only one on base.
	dirLock *Lock
}

// NewProvisioner prepares shm.base_dir: it creates it if needed and checks
// that its canonical form lies inside shm.allowed_base_dirs (§15.21a.5) and,
// with shm.require_hugepages, on hugetlbfs (§15.22).
func NewProvisioner(cfg *config.DriverConfig, instance uint32) (*Provisioner, error) {
	dirMode := directoryMode(cfg.Shm.PermissionsMode)
	missing := missingDirs(cfg.Shm.BaseDir)
	if err := os.MkdirAll(cfg.Shm.BaseDir, dirMode); err != nil {
		return nil, fmt.Errorf("driver: shm.base_dir: %w", err)
	}
	for _, dir := range missing {
		// MkdirAll's modes are filtered by the umask; the configured one must hold.
		if err := os.Chmod(dir, dirMode); err != nil {
			return nil, fmt.Errorf("driver: shm.base_dir: %w", err)
		}
	}
	base, err := filepath.EvalSymlinks(cfg.Shm.BaseDir)
	if err != nil {
		return nil, fmt.Errorf("driver: shm.base_dir: %w", err)
	}
	p, err := checkedProvisioner(cfg, base, dirMode)
	if err != nil {
		return nil, err
	}
	// One driver per base directory: a second would provision into the same
	// tree, and each would collect the other's epochs. The lock file records
	// the directories this driver created, so that the driver that takes
	// over after a crash removes them in its turn.
	owner := LockOwner{Pid: os.Getpid(), Instance: cfg.Driver.InstanceID, Nonce: instance, Since: time.Now(), Created: missing}
	p.dirLock, err = AcquireLock(filepath.Join(base, lockFileName), fmt.Sprintf("shm.base_dir %s", base), owner)
	if err != nil {
		return nil, err
	}
	p.createdBase = missing
	if inherited := p.dirLock.Previous.Created; len(inherited) > 0 {
		p.createdBase = inherited
		owner.Created = inherited
		if err := p.dirLock.rewrite(owner); err != nil {
			p.dirLock.Release()
			return nil, err
		}
	}
	return p, nil
}

// lockFileName is the lock file of a base directory (AcquireLock).
const lockFileName = ".tp-driver.lock"

// missingDirs lists dir and those of its ancestors that do not exist yet,
// deepest first: the directories MkdirAll(dir) will create.
func missingDirs(dir string) []string {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return missing
		}
		missing = append(missing, d)
		if d == filepath.Dir(d) {
			return missing
		}
	}
}

// checkedProvisioner checks base (canonical) against the configuration.
func checkedProvisioner(cfg *config.DriverConfig, base string, dirMode fs.FileMode) (*Provisioner, error) {
	var allowed []string
	for _, d := range cfg.Shm.AllowedBaseDirs {
		if info, err := os.Stat(d); err == nil && info.IsDir() {
			allowed = append(allowed, d)
		}
	}
	policy, err := shm.NewPathPolicy(allowed...)
	if err != nil {
		return nil, fmt.Errorf("driver: shm.allowed_base_dirs: %w", err)
	}
	if !insideAny(base, policy.BaseDirs()) {
		return nil, fmt.Errorf("driver: shm.base_dir %q resolves to %q, outside shm.allowed_base_dirs %v: %w",
			cfg.Shm.BaseDir, base, policy.BaseDirs(), shm.ErrPathOutsideBase)
	}
	layout, err := newDirLayout(cfg, base)
	if err != nil {
		return nil, err
	}
	if cfg.Shm.RequireHugepages {
		host, err := shm.ReadHostMemory()
		if err != nil {
			return nil, fmt.Errorf("driver: shm.require_hugepages: %w", err)
		}
		if err := host.VerifyHugetlbfs(base); err != nil {
			return nil, fmt.Errorf("driver: shm.require_hugepages: shm.base_dir %q: %w", base, err)
		}
		for name, profile := range cfg.Profiles {
			for _, pool := range profile.PayloadPools {
				err := shm.ValidateStrideV1_2(pool.StrideBytes)
				if !layout.relaxedStride {
					err = shm.ValidateStride(pool.StrideBytes, host.PageSize, host.HugepageSize, true)
				}
				if err != nil {
					return nil, fmt.Errorf("driver: profiles.%s pool %d: %w", name, pool.PoolID, err)
				}
			}
		}
	}
	return &Provisioner{
		cfg:         cfg,
		base:        base,
		layout:      layout,
		policy:      policy,
		dirMode:     dirMode,
		pageSize:    os.Getpagesize(),
		freeBytes:   statfsAvailable,
		wallNow:     time.Now,
		lock:        unix.Mlock,
		current:     map[uint32]*PreparedEpoch{},
		startNs:     map[EpochOnDisk]uint64{},
		createdDirs: map[string]bool{},
	}, nil
}

// directoryMode gives directories the configured file mode plus search
// permission wherever it grants read, so whoever may read a region file may
// also reach it.
func directoryMode(fileMode fs.FileMode) fs.FileMode {
	m := fileMode.Perm()
	return m | (m&0o444)>>2
}

func insideAny(path string, bases []string) bool {
	for _, b := range bases {
		if path == b || strings.HasPrefix(path, b+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

func statfsAvailable(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, &os.PathError{Op: "statfs", Path: dir, Err: err}
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// BaseDir is the canonical shm.base_dir.
func (p *Provisioner) BaseDir() string { return p.base }

// Current returns the regions of a stream's current epoch.
func (p *Provisioner) Current(streamID uint32) (*Regions, bool) {
	c, ok := p.current[streamID]
	if !ok {
		return nil, false
	}
	return &c.regions, true
}

// ScanEpochs lists the epoch directories this driver instance left under
// shm.base_dir, so the core can keep new epochs above them (Driver spec
// §10). Entries that are not ours (other names, non-directories) are skipped.
func (p *Provisioner) ScanEpochs() ([]EpochOnDisk, error) {
	streams, err := os.ReadDir(p.layout.streams)
	if errors.Is(err, fs.ErrNotExist) && p.layout.streams != p.base {
		return nil, nil // no epoch of the v1.2 layout yet
	}
	if err != nil {
		return nil, fmt.Errorf("driver: scanning shm.base_dir: %w", err)
	}
	var found []EpochOnDisk
	for _, s := range streams {
		id, ok := parseNumbered(s.Name(), p.layout.streamPrefix)
		if !ok || !s.IsDir() || id > config.MaxStreamID {
			continue
		}
		epochs, err := p.epochDirs(uint32(id))
		if err != nil {
			return nil, err
		}
		for _, e := range epochs {
			found = append(found, EpochOnDisk{StreamID: uint32(id), Epoch: e.Epoch})
		}
	}
	return found, nil
}

// parseNumbered parses "<prefix><decimal>" with no sign or leading zeros.
func parseNumbered(name, prefix string) (uint64, bool) {
	digits, ok := strings.CutPrefix(name, prefix)
	if !ok || digits == "" || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	return v, err == nil
}

// epochDirs lists a stream's epoch directories (start times left zero).
func (p *Provisioner) epochDirs(streamID uint32) ([]EpochDir, error) {
	entries, err := os.ReadDir(p.layout.streamDir(streamID))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("driver: listing epochs of stream %d: %w", streamID, err)
	}
	var dirs []EpochDir
	for _, e := range entries {
		epoch, ok := parseNumbered(e.Name(), p.layout.epochPrefix)
		// Type comes from lstat: a symlink named like an epoch is not ours.
		if !ok || e.Type()&fs.ModeType != fs.ModeDir {
			continue
		}
		dirs = append(dirs, EpochDir{Epoch: epoch})
	}
	return dirs, nil
}

// Provision creates the header ring and payload pools of one stream epoch
// (Driver spec §3, §9; Wire spec §15.21a), then collects the stream's old
// epochs when epoch GC is enabled, keeping this one as current. It runs on
// the provisioning worker. A failure removes what it created and returns a
// nil epoch; an epoch with an error means only the GC was incomplete.
func (p *Provisioner) Provision(streamID uint32, epoch uint64, profile config.Profile, nowNs uint64) (*PreparedEpoch, error) {
	if p.canceled.Load() {
		return nil, ErrCanceled
	}
	dir := p.epochDir(streamID, epoch)
	if err := p.ensureSpace(streamID, epoch, profile.EpochBytes(), nowNs); err != nil {
		return nil, err
	}
	if err := p.mkdirUnderBase(dir); err != nil {
		return nil, err
	}

	pid := uint64(os.Getpid())
	next := &PreparedEpoch{regions: Regions{StreamID: streamID, Epoch: epoch, Dir: dir}}
	fail := func(err error) (*PreparedEpoch, error) {
		next.close()
		os.RemoveAll(dir)
		return nil, err
	}
	header := shm.HeaderRingSuperblock(epoch, streamID, profile.HeaderNslots)
	uri, err := p.createRegion(next, shm.HeaderRingPath(dir), &header, pid, nowNs)
	if err != nil {
		return fail(err)
	}
	next.regions.HeaderURI = uri
	for _, pool := range profile.PayloadPools {
		if p.canceled.Load() {
			return fail(ErrCanceled)
		}
		sb := shm.PayloadPoolSuperblock(epoch, streamID, pool.PoolID, profile.HeaderNslots, pool.StrideBytes)
		uri, err := p.createRegion(next, p.layout.poolPath(dir, pool.PoolID), &sb, pid, nowNs)
		if err != nil {
			return fail(err)
		}
		next.regions.Pools = append(next.regions.Pools, wire.PayloadPool{
			PoolID: pool.PoolID, PoolNslots: profile.HeaderNslots, StrideBytes: pool.StrideBytes, RegionURI: uri,
		})
	}

	p.startNs[EpochOnDisk{streamID, epoch}] = nowNs
	if p.cfg.Policies.EpochGCEnabled {
		if _, err := p.CollectEpochs(streamID, epoch, p.cfg.Policies.EpochGCMinAgeNs, nowNs); err != nil {
			return next, err
		}
	}
	return next, nil
}

// Install makes a prepared epoch its stream's current one, on the duty
// cycle. The previous epoch's mappings are released; its files stay until
// epoch GC.
func (p *Provisioner) Install(e *PreparedEpoch) *Regions {
	p.release(e.regions.StreamID)
	p.current[e.regions.StreamID] = e
	return &e.regions
}

// Discard releases a prepared epoch the driver will not use; its files are
// for RemoveEpoch, on the worker.
func (p *Provisioner) Discard(e *PreparedEpoch) { e.close() }

// RemoveEpoch deletes one epoch directory of a stream, on the worker.
func (p *Provisioner) RemoveEpoch(streamID uint32, epoch uint64) error {
	delete(p.startNs, EpochOnDisk{streamID, epoch})
	return os.RemoveAll(p.epochDir(streamID, epoch))
}

// epochDir is where an epoch's files live.
func (p *Provisioner) epochDir(streamID uint32, epoch uint64) string {
	return p.layout.epochDir(streamID, epoch)
}

// mkdirUnderBase creates dir (inside the canonical base) one component at a
// time, refusing any component that exists as something other than a real
// directory. O_NOFOLLOW guards only a file's last name: a planted symlink
// for stream-<id> or the instance directory would otherwise carry the
// files, or the directories, out of base_dir.
func (p *Provisioner) mkdirUnderBase(dir string) error {
	rel, err := filepath.Rel(p.base, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("driver: %q is outside shm.base_dir: %w", dir, shm.ErrPathOutsideBase)
	}
	path := p.base
	names := strings.Split(rel, string(filepath.Separator))
	for i, name := range names {
		path = filepath.Join(path, name)
		err := os.Mkdir(path, p.dirMode)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("driver: creating epoch directory: %w", err)
		}
		if err == nil {
			// The create mode is filtered by the umask; the configured one must hold.
			if err := os.Chmod(path, p.dirMode); err != nil {
				return fmt.Errorf("driver: creating epoch directory: %w", err)
			}
			if i < len(names)-1 {
				p.createdDirs[path] = true
			}
		}
		info, err := os.Lstat(path)
		if err != nil {
			return fmt.Errorf("driver: creating epoch directory: %w", err)
		}
		if !info.IsDir() {
			return fmt.Errorf("driver: %q is %s, not a directory: %w", path, info.Mode().Type(), shm.ErrPathRejected)
		}
	}
	return nil
}

// ensureSpace checks the filesystem can hold need more bytes before any
// file is sized: a mapping of a file the filesystem cannot back raises
// SIGBUS on first touch instead of an error. Sparse files (prefault_shm off)
// hold little now but grow as producers write, so the check counts what
// every epoch on disk may still grow by, not only the new epoch. When short
// it collects this stream's old epochs regardless of age and checks again.
func (p *Provisioner) ensureSpace(streamID uint32, epoch uint64, need uint64, nowNs uint64) error {
	free, committed, err := p.space()
	if err != nil {
		return err
	}
	if free >= need+committed {
		return nil
	}
	if p.cfg.Policies.EpochGCEnabled {
		if _, err := p.CollectEpochs(streamID, epoch, 0, nowNs); err != nil {
			return err
		}
		if free, committed, err = p.space(); err != nil {
			return err
		}
		if free >= need+committed {
			return nil
		}
	}
	return fmt.Errorf("%w: stream %d epoch %d needs %d bytes and the epochs on disk may still grow by %d, %s has %d available",
		ErrNoSpace, streamID, epoch, need, committed, p.base, free)
}

// space is the room on base_dir's filesystem, and how much the region files
// under base_dir may still grow: their size less the blocks allocated.
func (p *Provisioner) space() (free, committed uint64, err error) {
	if free, err = p.freeBytes(p.base); err != nil {
		return 0, 0, err
	}
	err = filepath.WalkDir(p.base, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		if !d.Type().IsRegular() || (!strings.HasSuffix(path, ".ring") && !strings.HasSuffix(path, ".pool")) {
			return nil
		}
		var st unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil {
			return nil // removed while walking
		}
		if allocated := st.Blocks * 512; st.Size > allocated {
			committed += uint64(st.Size - allocated)
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("driver: measuring the SHM files under %s: %w", p.base, err)
	}
	return free, committed, nil
}

// createRegion makes one region file of next (new, or an existing one kept
// under policies.reuse_existing_shm), allocates it (prefault_shm) and
// locks it (mlock_shm), and returns its URI. A filesystem short of space
// is ErrNoSpace, never a fault.
func (p *Provisioner) createRegion(next *PreparedEpoch, path string, sb *shm.Superblock, pid, nowNs uint64) (string, error) {
	sb.Pid, sb.StartTimestampNs, sb.ActivityTimestampNs = pid, nowNs, nowNs
	size, err := sb.RegionSize()
	if err != nil {
		return "", err
	}
	m, err := p.reuseRegion(path, sb, size)
	if err != nil {
		return "", err
	}
	if m == nil {
		// Only a fresh file is allocated: every page now rather than on the
		// producer's first frames. A reused file keeps its bytes.
		m, err = shm.CreateRegionWith(path, sb, shm.CreateOptions{
			Perm: p.cfg.Shm.PermissionsMode, Allocate: p.cfg.Policies.PrefaultShm, Canceled: p.canceled.Load,
			RelaxedStride: p.layout.relaxedStride,
		})
		switch {
		case errors.Is(err, shm.ErrCreateCanceled):
			return "", ErrCanceled
		case errors.Is(err, unix.ENOSPC), errors.Is(err, shm.ErrRegionFault):
			return "", fmt.Errorf("%w: %s (%d bytes): %w", ErrNoSpace, path, size, err)
		case err != nil:
			return "", err
		}
	}
	fd, err := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		m.Close()
		return "", &os.PathError{Op: "open", Path: path, Err: err}
	}
	next.files = append(next.files, regionFile{m: m, fd: fd, expect: *sb})
	if p.cfg.Policies.MlockShm {
		if err := p.lock(m.Bytes()); err != nil {
			return "", fmt.Errorf("%w: %s (%d bytes): %v", ErrMlock, path, size, err)
		}
	}
	if _, err := p.policy.Check(path); err != nil {
		return "", err
	}
	uri := shm.URI{Path: path, RequireHugepages: p.cfg.Shm.RequireHugepages}
	return uri.String(), nil
}

// reuseRegion handles a path that already exists. With
// policies.reuse_existing_shm a regular file at least as large as the region
// is mapped as it is and gets the new superblock; anything else at the path
// is removed so a fresh file replaces it, except a non-regular entry that
// cannot be a backing file, which is an error. Only a file the driver's
// effective user owns is reused (docs/trust.md): another user's is replaced.
// The mapping is nil when the caller must create the file.
func (p *Provisioner) reuseRegion(path string, sb *shm.Superblock, size int) (*shm.MappedRegion, error) {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		// Removing a link never touches its target.
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("%w: %s is %s", ErrNotRegular, path, info.Mode().Type())
	case p.cfg.Policies.ReuseExistingShm && info.Size() >= int64(size) && ownedByUs(info):
		return p.mapExisting(path, sb, size)
	}
	if err := os.Remove(path); err != nil {
		return nil, err
	}
	return nil, nil
}

// mapExisting opens an existing regular file without following links and
// writes the new superblock into it.
func (p *Provisioner) mapExisting(path string, sb *shm.Superblock, size int) (*shm.MappedRegion, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() || info.Size() < int64(size) || !ownedByUs(info) {
		return nil, fmt.Errorf("%w: %s changed while being reused", ErrNotRegular, path)
	}
	if err := unix.Fchmod(fd, uint32(p.cfg.Shm.PermissionsMode.Perm())); err != nil {
		return nil, &os.PathError{Op: "fchmod", Path: path, Err: err}
	}
	m, err := shm.MapFile(f, size, shm.ReadWrite)
	if err != nil {
		return nil, err
	}
	var encodeErr error
	if err := m.Guard(func(b []byte) { encodeErr = shm.EncodeSuperblock(b, sb) }); err != nil || encodeErr != nil {
		m.Close()
		return nil, errors.Join(err, encodeErr)
	}
	return m, nil
}

// ownedByUs reports whether the driver's effective user owns a file.
func ownedByUs(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

// CollectEpochs runs epoch GC for one stream: it removes the epoch
// directories EpochsToCollect picks (keeping policies.epoch_gc_keep epochs
// and any younger than minAgeNs) and returns the epochs removed.
func (p *Provisioner) CollectEpochs(streamID uint32, current, minAgeNs, nowNs uint64) ([]uint64, error) {
	dirs, err := p.epochDirs(streamID)
	if err != nil {
		return nil, err
	}
	wall := p.wallNow()
	for i := range dirs {
		dirs[i].CreatedNs = p.epochStartNs(streamID, dirs[i].Epoch, wall, nowNs)
	}
	victims := EpochsToCollect(dirs, current, p.cfg.Policies.EpochGCKeep, minAgeNs, nowNs, nil)
	var errs []error
	for _, epoch := range victims {
		if err := p.RemoveEpoch(streamID, epoch); err != nil {
			errs = append(errs, err)
		}
	}
	return victims, errors.Join(errs...)
}

// epochStartNs is when an epoch started on the driver clock: recorded for
// this run's epochs, else estimated from the directory's mtime.
func (p *Provisioner) epochStartNs(streamID uint32, epoch uint64, wall time.Time, nowNs uint64) uint64 {
	if ns, ok := p.startNs[EpochOnDisk{streamID, epoch}]; ok {
		return ns
	}
	info, err := os.Lstat(p.epochDir(streamID, epoch))
	if err != nil {
		return nowNs // unknown age: treat as new, so it is kept
	}
	age := wall.Sub(info.ModTime())
	if age <= 0 {
		return nowNs
	}
	if uint64(age) > nowNs {
		return 0
	}
	return nowNs - uint64(age)
}

// CollectAtStartup runs epoch GC over every stream this instance has epochs
// of, keeping the newest ones (policies.epoch_gc_on_startup).
func (p *Provisioner) CollectAtStartup(found []EpochOnDisk, nowNs uint64) error {
	var streams []uint32
	for _, e := range found {
		streams = append(streams, e.StreamID)
	}
	slices.Sort(streams)
	var errs []error
	for _, id := range slices.Compact(streams) {
		if _, err := p.CollectEpochs(id, 0, p.cfg.Policies.EpochGCMinAgeNs, nowNs); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Retire releases a stream's mappings (a dynamic stream was forgotten); its
// files stay for epoch GC.
func (p *Provisioner) Retire(streamID uint32) { p.release(streamID) }

func (p *Provisioner) release(streamID uint32) {
	c, ok := p.current[streamID]
	if !ok {
		return
	}
	c.close()
	delete(p.current, streamID)
}

// Cancel makes a provisioning under way give up at its next check, from any
// goroutine: the driver is closing.
func (p *Provisioner) Cancel() { p.canceled.Store(true) }

// Close releases every mapping and the base directory's lock. With
// policies.cleanup_shm_on_exit it first removes every epoch this run made
// (not only the current ones), those of earlier runs it found still in use at
// its start, and the directories it created, once empty, shm.base_dir
// included. The worker has stopped.
func (p *Provisioner) Close() error {
	var errs []error
	for id := range p.current {
		p.release(id)
	}
	if p.cfg.Policies.CleanupShmOnExit {
		for e := range p.startNs {
			if err := p.RemoveEpoch(e.StreamID, e.Epoch); err != nil {
				errs = append(errs, err)
			}
		}
		for _, e := range p.inherited {
			if err := os.RemoveAll(p.epochDir(e.StreamID, e.Epoch)); err != nil {
				errs = append(errs, err)
			}
			inst := p.layout.streamDir(e.StreamID)
			removeIfEmpty(inst, &errs)
			removeIfEmpty(filepath.Dir(inst), &errs)
		}
		// Deepest first: instance directories before their stream directories.
		dirs := slices.SortedFunc(maps.Keys(p.createdDirs), func(a, b string) int { return cmp.Compare(len(b), len(a)) })
		for _, dir := range dirs {
			removeIfEmpty(dir, &errs)
		}
	}
	if p.dirLock != nil {
		if err := p.dirLock.Release(); err != nil {
			errs = append(errs, err)
		}
		p.dirLock = nil
	}
	if p.cfg.Policies.CleanupShmOnExit {
		for _, dir := range p.createdBase {
			removeIfEmpty(dir, &errs)
		}
	}
	return errors.Join(errs...)
}

// removeIfEmpty removes dir unless it holds something (another driver's
// files, or one that started meanwhile) or is gone.
func removeIfEmpty(dir string, errs *[]error) {
	err := os.Remove(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, unix.ENOTEMPTY) && !errors.Is(err, unix.EEXIST) {
		*errs = append(*errs, err)
	}
}

// ReclaimDead removes the epochs of this instance a dead driver left: those
// whose header ring names a pid that no longer runs (or that have no
// readable header ring). The base directory's lock guarantees no live driver
// uses them; a client still mapping one keeps its mapping. Call it after the
// core has recorded every epoch found (RecordEpochOnDisk), so epochs keep
// increasing. With policies.reuse_existing_shm nothing is reclaimed: the
// files are meant to be reused. It returns the epochs removed and the bytes
// they held.
func (p *Provisioner) ReclaimDead(found []EpochOnDisk) ([]EpochOnDisk, uint64, error) {
	if p.cfg.Policies.ReuseExistingShm {
		return nil, 0, nil
	}
	var removed []EpochOnDisk
	var bytes uint64
	var errs []error
	for _, e := range found {
		dir := p.epochDir(e.StreamID, e.Epoch)
		if pid := headerPid(shm.HeaderRingPath(dir)); pid == os.Getpid() || processAlive(pid) {
			p.inherited = append(p.inherited, e)
			continue
		}
		held := allocatedBytes(dir)
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, e)
		bytes += held
	}
	// The stream directories of this instance the dead driver left empty.
	for _, e := range removed {
		inst := p.layout.streamDir(e.StreamID)
		removeIfEmpty(inst, &errs)
		removeIfEmpty(filepath.Dir(inst), &errs)
	}
	return removed, bytes, errors.Join(errs...)
}

// headerPid is the pid a header ring's superblock names, 0 when it cannot
// be read.
func headerPid(path string) int {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := shm.NewHeapRegion(shm.SuperblockSize) // 8-byte aligned, as DecodeSuperblock needs
	if _, err := f.ReadAt(buf.Bytes(), 0); err != nil {
		return 0
	}
	sb, err := shm.DecodeSuperblock(buf.Bytes())
	if err != nil || sb.Magic != shm.Magic || sb.Pid > math.MaxInt32 {
		return 0
	}
	return int(sb.Pid)
}

// allocatedBytes is the space the files under dir hold.
func allocatedBytes(dir string) uint64 {
	var total uint64
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		var st unix.Stat_t
		if err == nil && d.Type().IsRegular() && unix.Lstat(path, &st) == nil {
			total += uint64(st.Blocks) * 512
		}
		return nil
	})
	return total
}

// RefreshActivity stores nowNs as activity_timestamp_ns in every superblock of the
// stream's current epoch. The driver does this while no producer holds the stream
// (Driver spec §3: it stays responsible for liveness), so consumers that attach
// before their producer find live regions rather than stale ones (Wire spec §15.1).
// A file truncated under its mapping faults: the fault is returned (a *shm.FaultError
// wrapped in ErrRegionsLost), not raised.
func (p *Provisioner) RefreshActivity(streamID uint32, nowNs uint64) error {
	c, ok := p.current[streamID]
	if !ok {
		return nil
	}
	for _, f := range c.files {
		// Release store: readers load it atomically.
		if err := f.m.Guard(func(b []byte) { shm.StoreActivityTimestamp(b, nowNs) }); err != nil {
			return fmt.Errorf("%w: %w", ErrRegionsLost, err)
		}
	}
	return nil
}

// Verify checks that the files of the stream's current epoch are still the
// ones the driver made: linked (not deleted or replaced), at least their
// mapped size (not truncated), with the superblock they were given. It
// reads the superblocks under a fault guard and allocates nothing unless a
// check fails; the error wraps ErrRegionsLost and names the file and fault.
func (p *Provisioner) Verify(streamID uint32) error {
	c, ok := p.current[streamID]
	if !ok {
		return nil
	}
	for i := range c.files {
		f := &c.files[i]
		var st unix.Stat_t
		if err := unix.Fstat(f.fd, &st); err != nil {
			return fmt.Errorf("%w: %s: fstat: %w", ErrRegionsLost, f.m.Path(), err)
		}
		if st.Nlink == 0 {
			return fmt.Errorf("%w: %s was deleted or replaced", ErrRegionsLost, f.m.Path())
		}
		if size := len(f.m.Bytes()); st.Size < int64(size) {
			return fmt.Errorf("%w: %s was truncated to %d bytes (%d mapped)", ErrRegionsLost, f.m.Path(), st.Size, size)
		}
		var sb shm.Superblock
		var decodeErr error
		if err := f.m.Guard(func(b []byte) { sb, decodeErr = shm.DecodeSuperblock(b) }); err != nil {
			return fmt.Errorf("%w: %w", ErrRegionsLost, err)
		}
		if decodeErr == nil {
			decodeErr = sb.Matches(&f.expect)
		}
		if decodeErr != nil {
			return fmt.Errorf("%w: %s: %w", ErrRegionsLost, f.m.Path(), decodeErr)
		}
	}
	return nil
}

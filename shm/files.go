package shm

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// CreateOptions describe how CreateRegionWith creates a region file.
type CreateOptions struct {
	// Perm is the file's mode, applied exactly (whatever the umask).
	Perm os.FileMode
	// Allocate backs every page of the file now, so a filesystem that cannot hold the
	// region fails creation with ENOSPC instead of raising SIGBUS when a page is first
	// touched: by fallocate(2) where the filesystem has it, else by populating the
	// mapping (MADV_POPULATE_WRITE, else a write to every page) under Guard. Without it
	// the file stays sparse but for its first page, which holds the superblock.
	Allocate bool
	// Canceled, when set, is asked between chunks of the allocation; true stops the
	// creation with ErrCreateCanceled.
	Canceled func() bool
	// RelaxedStride applies wire spec v1.2's stride rule (ValidateStrideV1_2) instead of
	// v1.1's page multiple.
	RelaxedStride bool
}

// ErrCreateCanceled: CreateOptions.Canceled stopped a region's creation.
var ErrCreateCanceled = errors.New("shm: region creation canceled")

// allocChunk is how much CreateRegionWith allocates between checks for a cancel.
const allocChunk = 64 << 20

// CreateRegion is CreateRegionWith with the file mode alone: the file stays sparse.
func CreateRegion(path string, sb *Superblock, perm os.FileMode) (*MappedRegion, error) {
	return CreateRegionWith(path, sb, CreateOptions{Perm: perm})
}

// CreateRegionWith creates the backing file of a new region and maps it read-write: the
// file must not exist yet (O_EXCL) and the final component must not be a symlink
// (O_NOFOLLOW). The file is sized to sb's geometry, its first page (and with
// opts.Allocate every page) allocated, the superblock written with magic last, and the
// file synced before returning, so a consumer that finds the magic finds a complete
// superblock (§7.1, §15.14). A payload pool's stride must already satisfy §15.22 for the
// host page size. No space is an *os.PathError matching syscall.ENOSPC, a fault while
// touching the mapping a *FaultError; on any failure the file is removed again.
func CreateRegionWith(path string, sb *Superblock, opts CreateOptions) (region *MappedRegion, err error) {
	if sb.Magic != Magic {
		return nil, mismatch("7.1", "magic", hex64(sb.Magic), hex64(Magic), ErrSuperblockField)
	}
	if sb.LayoutVersion != LayoutVersion {
		return nil, mismatch("7.1", "layout_version", sb.LayoutVersion, LayoutVersion, ErrSuperblockField)
	}
	if err := sb.ValidateGeometry(); err != nil {
		return nil, err
	}
	pageSize := os.Getpagesize()
	if sb.RegionType == RegionTypePayloadPool {
		if err := validateStride(sb.StrideBytes, opts.RelaxedStride, int64(pageSize)); err != nil {
			return nil, err
		}
	}
	size, _ := sb.RegionSize()
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(opts.Perm.Perm()))
	if err != nil {
		return nil, &os.PathError{Op: "create", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer func() {
		f.Close()
		if err != nil {
			if region != nil {
				region.Close()
				region = nil
			}
			os.Remove(path)
		}
	}()
	// The create mode is filtered by the umask; the configured mode must hold as given.
	if err := unix.Fchmod(fd, uint32(opts.Perm.Perm())); err != nil {
		return nil, &os.PathError{Op: "fchmod", Path: path, Err: err}
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		return nil, &os.PathError{Op: "ftruncate", Path: path, Err: err}
	}
	allocate := size
	if !opts.Allocate {
		allocate = min(size, pageSize)
	}
	allocated, err := fallocate(fd, path, allocate, opts.Canceled)
	if err != nil {
		return nil, err
	}
	region, err = MapFile(f, size, ReadWrite)
	if err != nil {
		return nil, err
	}
	canceled := false
	if err := region.Guard(func(b []byte) {
		if opts.Allocate && !allocated {
			canceled = !populate(b, pageSize, opts.Canceled)
		}
		if !canceled {
			err = EncodeSuperblock(b, sb)
		}
	}); err != nil {
		return region, err
	}
	if canceled {
		return region, ErrCreateCanceled
	}
	if err != nil {
		return region, err
	}
	if err := unix.Fsync(fd); err != nil {
		return region, &os.PathError{Op: "fsync", Path: path, Err: err}
	}
	return region, nil
}

// fallocate reserves the first n bytes of the file, a chunk at a time. It reports false
// (and no error) when the filesystem does not support fallocate; then pages are
// allocated when first touched.
func fallocate(fd int, path string, n int, canceled func() bool) (bool, error) {
	for off := 0; off < n; off += allocChunk {
		if canceled != nil && canceled() {
			return false, ErrCreateCanceled
		}
		err := unix.Fallocate(fd, 0, int64(off), int64(min(allocChunk, n-off)))
		if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
			return false, nil
		}
		if err != nil {
			return false, &os.PathError{Op: "fallocate", Path: path, Err: err}
		}
	}
	return true, nil
}

// populate allocates every page of a fresh mapping, a chunk at a time: by
// madvise(MADV_POPULATE_WRITE) where the kernel has it (5.14+), else by writing a zero
// into each page. It reports false when canceled. Call it under Guard: a page the
// filesystem cannot back faults.
func populate(b []byte, pageSize int, canceled func() bool) bool {
	for off := 0; off < len(b); off += allocChunk {
		if canceled != nil && canceled() {
			return false
		}
		chunk := b[off:min(off+allocChunk, len(b))]
		if unix.Madvise(chunk, unix.MADV_POPULATE_WRITE) != nil {
			touchPages(chunk, pageSize)
		}
	}
	return true
}

// touchPages writes a zero into every page of b.
func touchPages(b []byte, pageSize int) {
	for off := 0; off < len(b); off += pageSize {
		b[off] = 0
	}
}

// OpenOptions describe how an announced region is opened.
type OpenOptions struct {
	Access Access
	// Expect is the superblock the announcement implies (HeaderRingSuperblock or
	// PayloadPoolSuperblock); pid and timestamps are not compared.
	Expect Superblock
	// RequireHugepages is the URI's require_hugepages parameter.
	RequireHugepages bool
	// Host supplies page size, hugepage size and mounts. Nil means the running host's,
	// read from /proc when hugepages are required.
	Host *HostMemory
	// RelaxedStride applies wire spec v1.2's stride rule (ValidateStrideV1_2) instead of
	// v1.1's page (and hugepage) multiple: a consumer speaking v1.2 maps the small strides
	// a v1.2 driver may create.
	RelaxedStride bool
}

// validateStride is wire v1.2's stride rule when relaxed, else v1.1's for pageSize.
func validateStride(strideBytes uint32, relaxed bool, pageSize int64) error {
	if relaxed {
		return ValidateStrideV1_2(strideBytes)
	}
	return ValidateStride(strideBytes, pageSize, 0, false)
}

// OpenURI parses an announced region URI and opens it with OpenRegion, taking
// require_hugepages from the URI.
func OpenURI(policy *PathPolicy, uri string, opts OpenOptions) (*MappedRegion, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	opts.RequireHugepages = u.RequireHugepages
	return OpenRegion(policy, u.Path, opts)
}

// OpenRegion maps an announced region after every check a consumer owes (§15.21a.5,
// §15.22, §7.1, §15.1): path containment, a no-follow open re-validated against the
// checked inode, stride and hugepage rules, a file at least as large as the mapping, and
// a superblock matching the announcement. Nothing is mapped if a check fails.
func OpenRegion(policy *PathPolicy, path string, opts OpenOptions) (*MappedRegion, error) {
	if policy == nil {
		return nil, invalid(containmentSection, "allowed_base_dirs", "", ErrNoAllowedBaseDirs)
	}
	want := &opts.Expect
	if err := want.ValidateGeometry(); err != nil {
		return nil, err
	}
	validated, err := policy.Check(path)
	if err != nil {
		return nil, err
	}
	host, err := hostFor(opts)
	if err != nil {
		return nil, err
	}
	if want.RegionType == RegionTypePayloadPool {
		err := ValidateStrideV1_2(want.StrideBytes)
		if !opts.RelaxedStride {
			err = ValidateStride(want.StrideBytes, host.PageSize, host.HugepageSize, opts.RequireHugepages)
		}
		if err != nil {
			return nil, err
		}
	}
	if opts.RequireHugepages {
		if err := host.VerifyHugetlbfs(validated.Canonical); err != nil {
			return nil, err
		}
	}
	f, err := validated.Open(opts.Access)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size, _ := want.RegionSize()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() < int64(size) {
		return nil, mismatch("15.22", "file size", info.Size(), size, ErrRegionTooSmall)
	}
	region, err := MapFile(f, size, opts.Access)
	if err != nil {
		return nil, err
	}
	sb, err := DecodeSuperblock(region.Bytes())
	if err == nil {
		err = sb.Matches(want)
	}
	if err != nil {
		region.Close() // the mismatch is the error worth reporting
		return nil, err
	}
	return region, nil
}

func hostFor(opts OpenOptions) (*HostMemory, error) {
	if opts.Host != nil {
		return opts.Host, nil
	}
	if opts.RequireHugepages {
		h, err := ReadHostMemory()
		return &h, err
	}
	return &HostMemory{PageSize: int64(os.Getpagesize())}, nil
}

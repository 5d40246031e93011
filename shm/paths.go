package shm

import (
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

const containmentSection = "15.21a.5"

// DefaultBaseDir is where an SHM driver keeps its regions unless configured otherwise,
// and so the directory clients allow by default.
const DefaultBaseDir = "/dev/shm/tensorpool"

// PathPolicy holds the canonical allowed base directories a consumer may map regions
// from (§15.21a.5 step 3). Bases are resolved once, when the policy is built.
type PathPolicy struct {
	bases []string
}

// NewPathPolicy resolves each allowed base directory to its canonical form.
func NewPathPolicy(allowedBaseDirs ...string) (*PathPolicy, error) {
	if len(allowedBaseDirs) == 0 {
		return nil, invalid(containmentSection, "allowed_base_dirs", "", ErrNoAllowedBaseDirs)
	}
	p := &PathPolicy{}
	for _, dir := range allowedBaseDirs {
		if !filepath.IsAbs(dir) {
			return nil, invalid(containmentSection, "allowed_base_dir", dir, ErrBaseDirInvalid)
		}
		canonical, err := canonicalize(dir)
		if err != nil {
			return nil, err
		}
		info, err := os.Stat(canonical)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			return nil, invalid(containmentSection, "allowed_base_dir", dir, ErrBaseDirInvalid)
		}
		p.bases = append(p.bases, canonical)
	}
	return p, nil
}

// BaseDirs are the canonical allowed base directories.
func (p *PathPolicy) BaseDirs() []string { return p.bases }

// ValidatedPath is a region path that passed containment: its canonical form and the
// identity (device, inode) of the regular file it named when checked.
type ValidatedPath struct {
	Canonical string
	dev, ino  uint64
}

// Check runs §15.21a.5 steps 1–5 on an announced path: absolute, canonicalised
// (symlinks and ".." resolved), inside an allowed base, and a regular file.
func (p *PathPolicy) Check(path string) (ValidatedPath, error) {
	if !filepath.IsAbs(path) {
		return ValidatedPath{}, invalid(containmentSection, "path", path, ErrPathNotAbsolute)
	}
	canonical, err := canonicalize(path)
	if err != nil {
		return ValidatedPath{}, err
	}
	if !p.contains(canonical) {
		return ValidatedPath{}, mismatch(containmentSection, "path", canonical, strings.Join(p.bases, ", "), ErrPathOutsideBase)
	}
	var st unix.Stat_t
	if err := unix.Stat(canonical, &st); err != nil {
		return ValidatedPath{}, &os.PathError{Op: "stat", Path: canonical, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return ValidatedPath{}, invalid(containmentSection, "file type", fileTypeName(st.Mode), ErrPathNotRegular)
	}
	return ValidatedPath{Canonical: canonical, dev: uint64(st.Dev), ino: st.Ino}, nil
}

func (p *PathPolicy) contains(canonical string) bool {
	for _, base := range p.bases {
		prefix := base
		if !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		if strings.HasPrefix(canonical, prefix) {
			return true
		}
	}
	return false
}

// Open opens the validated file without following a final symlink and re-checks the
// opened descriptor (§15.21a.5 step 6): it must still be a regular file with the device
// and inode seen by Check, or the path was swapped in between. O_NONBLOCK keeps a FIFO
// swapped in after Check from blocking the open.
func (v ValidatedPath) Open(access Access) (*os.File, error) {
	fd, err := unix.Open(v.Canonical, access.openFlags()|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, invalid(containmentSection, "path", v.Canonical, ErrPathSymlink)
		}
		return nil, &os.PathError{Op: "open", Path: v.Canonical, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fstat", Path: v.Canonical, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, invalid(containmentSection, "opened file type", fileTypeName(st.Mode), ErrPathNotRegular)
	}
	if uint64(st.Dev) != v.dev || st.Ino != v.ino {
		unix.Close(fd)
		return nil, mismatch(containmentSection, "opened dev:inode",
			strconv.FormatUint(uint64(st.Dev), 10)+":"+strconv.FormatUint(st.Ino, 10),
			strconv.FormatUint(v.dev, 10)+":"+strconv.FormatUint(v.ino, 10), ErrPathSwapped)
	}
	return os.NewFile(uintptr(fd), v.Canonical), nil
}

// canonicalize is realpath(3): absolute, symlinks resolved, no "." or ".." components.
func canonicalize(path string) (string, error) {
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	return filepath.Abs(resolved)
}

func fileTypeName(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "regular file"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFIFO:
		return "fifo"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	}
	return "unknown file type"
}

// Canonical directory layout (§15.21a.3, informative):
//
//	<shm_base_dir>/<namespace>/<producer_instance_id>/epoch-<E>/header.ring
//	<shm_base_dir>/<namespace>/<producer_instance_id>/epoch-<E>/payload-<pool_id>.pool
const (
	layoutSection      = "15.21a.3"
	headerRingFileName = "header.ring"
)

// EpochDir is the directory holding one epoch's regions. namespace and
// producerInstanceID must each be a single path component, so nothing they contain can
// move the layout outside baseDir.
func EpochDir(baseDir, namespace, producerInstanceID string, epoch uint64) (string, error) {
	if !filepath.IsAbs(baseDir) {
		return "", invalid(layoutSection, "shm_base_dir", baseDir, ErrPathNotAbsolute)
	}
	for _, c := range [...]struct{ field, value string }{
		{"namespace", namespace}, {"producer_instance_id", producerInstanceID},
	} {
		if c.value == "" || c.value == "." || c.value == ".." || strings.ContainsAny(c.value, "/\x00") {
			return "", invalid(layoutSection, c.field, c.value, ErrPathComponent)
		}
	}
	return filepath.Join(baseDir, namespace, producerInstanceID, "epoch-"+strconv.FormatUint(epoch, 10)), nil
}

// Wire spec v1.2 makes the layout normative, in another shape (§15.21a.3 of v1.2):
//
//	<shm_base_dir>/tensorpool-<user>/<namespace>/<stream_id>/<epoch>/header.ring
//	<shm_base_dir>/tensorpool-<user>/<namespace>/<stream_id>/<epoch>/<pool_id>.pool
//
// CanonicalStreamDir and CanonicalEpochDir build it; the header ring keeps its name
// (HeaderRingPath), a pool's is CanonicalPoolPath.

// CanonicalUser is the <user> of wire v1.2's layout for the effective user: the user name
// (its uid when the name cannot be found), sanitized (SanitizeUser).
func CanonicalUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return SanitizeUser(u.Username)
	}
	return strconv.Itoa(os.Geteuid())
}

// SanitizeUser makes name one harmless path component, as v1.2's §15.21a.3 asks: every
// byte other than ASCII letters, digits, '.', '_' and '-' becomes '_', and the names "",
// "." and ".." become "_" (the result always follows "tensorpool-", so no dot name can
// reach the path anyway).
func SanitizeUser(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if s := string(b); s != "" && s != "." && s != ".." {
		return s
	}
	return "_"
}

// CanonicalStreamDir is the directory of one stream's epochs in wire v1.2's layout,
// <baseDir>/tensorpool-<user>/<namespace>/<streamID>. user and namespace must each be a
// single path component (user as SanitizeUser makes it), so nothing they contain can
// move the layout outside baseDir.
func CanonicalStreamDir(baseDir, user, namespace string, streamID uint32) (string, error) {
	if !filepath.IsAbs(baseDir) {
		return "", invalid(layoutSection, "shm_base_dir", baseDir, ErrPathNotAbsolute)
	}
	for _, c := range [...]struct{ field, value string }{{"user", user}, {"namespace", namespace}} {
		if c.value == "" || c.value == "." || c.value == ".." || strings.ContainsAny(c.value, "/\x00") {
			return "", invalid(layoutSection, c.field, c.value, ErrPathComponent)
		}
	}
	return filepath.Join(baseDir, "tensorpool-"+user, namespace, strconv.FormatUint(uint64(streamID), 10)), nil
}

// CanonicalEpochDir is the directory of one epoch's regions in wire v1.2's layout,
// CanonicalStreamDir/<epoch>.
func CanonicalEpochDir(baseDir, user, namespace string, streamID uint32, epoch uint64) (string, error) {
	dir, err := CanonicalStreamDir(baseDir, user, namespace, streamID)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, strconv.FormatUint(epoch, 10)), nil
}

// CanonicalPoolPath is the payload pool file for poolID inside an epoch directory of wire
// v1.2's layout.
func CanonicalPoolPath(epochDir string, poolID uint16) string {
	return filepath.Join(epochDir, strconv.FormatUint(uint64(poolID), 10)+".pool")
}

// HeaderRingPath is the header ring file inside an epoch directory.
func HeaderRingPath(epochDir string) string { return filepath.Join(epochDir, headerRingFileName) }

// PayloadPoolPath is the payload pool file for poolID inside an epoch directory.
func PayloadPoolPath(epochDir string, poolID uint16) string {
	return filepath.Join(epochDir, "payload-"+strconv.FormatUint(uint64(poolID), 10)+".pool")
}

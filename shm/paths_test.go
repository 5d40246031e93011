package shm

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// containmentFixture: <tmp>/base holds allowed files, <tmp>/outside does not.
type containmentFixture struct {
	root, base, outside string
	policy              *PathPolicy
}

func newContainmentFixture(t *testing.T) containmentFixture {
	t.Helper()
	root := t.TempDir()
	f := containmentFixture{root: root, base: filepath.Join(root, "base"), outside: filepath.Join(root, "outside")}
	for _, dir := range []string{f.base, f.outside} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if f.policy, err = NewPathPolicy(f.base); err != nil {
		t.Fatal(err)
	}
	return f
}

func writeFile(t *testing.T, path string) string {
	t.Helper()
	if err := os.WriteFile(path, make([]byte, 128), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func requireRejected(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) || !errors.Is(err, ErrPathRejected) {
		t.Fatalf("err = %v, want %v", err, want)
	}
}

func TestWireSpec_15_21a_5_AcceptsRegularFileInsideBase(t *testing.T) {
	f := newContainmentFixture(t)
	path := writeFile(t, filepath.Join(f.base, "header.ring"))
	v, err := f.policy.Check(path)
	if err != nil {
		t.Fatal(err)
	}
	file, err := v.Open(ReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	file.Close()
}

func TestWireSpec_15_21a_5_RelativePathRejected(t *testing.T) {
	f := newContainmentFixture(t)
	_, err := f.policy.Check("base/header.ring")
	requireRejected(t, err, ErrPathNotAbsolute)
}

func TestWireSpec_15_21a_5_PathOutsideBaseRejected(t *testing.T) {
	f := newContainmentFixture(t)
	_, err := f.policy.Check(writeFile(t, filepath.Join(f.outside, "x")))
	requireRejected(t, err, ErrPathOutsideBase)
	// A sibling whose name merely starts with the base's name is outside too.
	sibling := f.base + "2"
	if err := os.Mkdir(sibling, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err = f.policy.Check(writeFile(t, filepath.Join(sibling, "x")))
	requireRejected(t, err, ErrPathOutsideBase)
}

func TestWireSpec_15_21a_5_DotDotEscapeRejected(t *testing.T) {
	f := newContainmentFixture(t)
	writeFile(t, filepath.Join(f.outside, "x"))
	_, err := f.policy.Check(f.base + "/../outside/x")
	requireRejected(t, err, ErrPathOutsideBase)
}

func TestWireSpec_15_21a_5_SymlinkEscapeRejected(t *testing.T) {
	f := newContainmentFixture(t)
	target := writeFile(t, filepath.Join(f.outside, "x"))
	link := filepath.Join(f.base, "innocent.ring")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	_, err := f.policy.Check(link)
	requireRejected(t, err, ErrPathOutsideBase)
	// Through a symlinked directory as well.
	dirLink := filepath.Join(f.base, "dir")
	if err := os.Symlink(f.outside, dirLink); err != nil {
		t.Fatal(err)
	}
	_, err = f.policy.Check(filepath.Join(dirLink, "x"))
	requireRejected(t, err, ErrPathOutsideBase)
}

func TestWireSpec_15_21a_5_SymlinkWithinBaseResolvesToCanonicalPath(t *testing.T) {
	f := newContainmentFixture(t)
	target := writeFile(t, filepath.Join(f.base, "real.ring"))
	link := filepath.Join(f.base, "alias.ring")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	v, err := f.policy.Check(link)
	if err != nil {
		t.Fatal(err)
	}
	if v.Canonical != target {
		t.Fatalf("canonical = %q, want %q", v.Canonical, target)
	}
}

func TestWireSpec_15_21a_5_AllowedBaseDirsAreCanonicalised(t *testing.T) {
	f := newContainmentFixture(t)
	baseLink := filepath.Join(f.root, "base-link")
	if err := os.Symlink(f.base, baseLink); err != nil {
		t.Fatal(err)
	}
	policy, err := NewPathPolicy(baseLink + "/")
	if err != nil {
		t.Fatal(err)
	}
	if got := policy.BaseDirs(); len(got) != 1 || got[0] != f.base {
		t.Fatalf("bases = %v, want [%s]", got, f.base)
	}
	if _, err := policy.Check(writeFile(t, filepath.Join(f.base, "x"))); err != nil {
		t.Fatal(err)
	}
}

func TestWireSpec_15_21a_5_BadAllowedBaseDirsRejected(t *testing.T) {
	f := newContainmentFixture(t)
	_, err := NewPathPolicy()
	requireRejected(t, err, ErrNoAllowedBaseDirs)
	_, err = NewPathPolicy("relative/dir")
	requireRejected(t, err, ErrBaseDirInvalid)
	_, err = NewPathPolicy(writeFile(t, filepath.Join(f.base, "file")))
	requireRejected(t, err, ErrBaseDirInvalid)
	if _, err = NewPathPolicy(filepath.Join(f.root, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing base: %v", err)
	}
}

func TestWireSpec_15_21a_5_DirectoryRejected(t *testing.T) {
	f := newContainmentFixture(t)
	dir := filepath.Join(f.base, "sub")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := f.policy.Check(dir)
	requireRejected(t, err, ErrPathNotRegular)
	if !strings.Contains(err.Error(), "directory") {
		t.Fatalf("message %q does not say what the file is", err)
	}
}

func TestWireSpec_15_21a_5_FifoRejected(t *testing.T) {
	f := newContainmentFixture(t)
	fifo := filepath.Join(f.base, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := f.policy.Check(fifo)
	requireRejected(t, err, ErrPathNotRegular)
}

func TestWireSpec_15_21a_5_SocketRejected(t *testing.T) {
	// Socket paths are limited to ~108 bytes, so use a short directory of our own.
	dir, err := os.MkdirTemp("", "tp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: sock}); err != nil {
		t.Fatal(err)
	}
	policy, err := NewPathPolicy(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = policy.Check(sock)
	requireRejected(t, err, ErrPathNotRegular)
}

func TestWireSpec_15_21a_5_DeviceRejected(t *testing.T) {
	policy, err := NewPathPolicy("/dev")
	if err != nil {
		t.Fatal(err)
	}
	_, err = policy.Check("/dev/null")
	requireRejected(t, err, ErrPathNotRegular)
}

func TestWireSpec_15_21a_5_MissingFileIsNotExist(t *testing.T) {
	f := newContainmentFixture(t)
	if _, err := f.policy.Check(filepath.Join(f.base, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

// TOCTOU: the file is replaced between Check and Open.
func TestWireSpec_15_21a_6_OpenDetectsReplacedFile(t *testing.T) {
	f := newContainmentFixture(t)
	path := writeFile(t, filepath.Join(f.base, "header.ring"))
	v, err := f.policy.Check(path)
	if err != nil {
		t.Fatal(err)
	}
	replacement := writeFile(t, filepath.Join(f.base, "other"))
	if err := os.Rename(replacement, path); err != nil {
		t.Fatal(err)
	}
	_, err = v.Open(ReadOnly)
	requireRejected(t, err, ErrPathSwapped)
}

func TestWireSpec_15_21a_6_OpenRefusesSymlinkSwappedIn(t *testing.T) {
	f := newContainmentFixture(t)
	path := writeFile(t, filepath.Join(f.base, "header.ring"))
	v, err := f.policy.Check(path)
	if err != nil {
		t.Fatal(err)
	}
	target := writeFile(t, filepath.Join(f.outside, "secret"))
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	_, err = v.Open(ReadOnly)
	requireRejected(t, err, ErrPathSymlink)
}

func TestWireSpec_15_21a_6_FifoSwappedInDoesNotBlockOpen(t *testing.T) {
	f := newContainmentFixture(t)
	path := writeFile(t, filepath.Join(f.base, "header.ring"))
	v, err := f.policy.Check(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = v.Open(ReadOnly) // would block forever without O_NONBLOCK
	requireRejected(t, err, ErrPathNotRegular)
}

func TestWireSpec_15_21a_3_CanonicalLayout(t *testing.T) {
	dir, err := EpochDir("/dev/shm", "tensorpool", "3f2a", 42)
	if err != nil {
		t.Fatal(err)
	}
	if dir != "/dev/shm/tensorpool/3f2a/epoch-42" {
		t.Fatalf("epoch dir = %q", dir)
	}
	if got := HeaderRingPath(dir); got != "/dev/shm/tensorpool/3f2a/epoch-42/header.ring" {
		t.Fatalf("header ring path = %q", got)
	}
	if got := PayloadPoolPath(dir, 7); got != "/dev/shm/tensorpool/3f2a/epoch-42/payload-7.pool" {
		t.Fatalf("payload pool path = %q", got)
	}
	bad := []struct{ base, namespace, instance string }{
		{"relative", "ns", "id"},
		{"/b", "", "id"},
		{"/b", "..", "id"},
		{"/b", "ns", "."},
		{"/b", "a/b", "id"},
		{"/b", "ns", "x\x00"},
	}
	for _, c := range bad {
		if _, err := EpochDir(c.base, c.namespace, c.instance, 1); err == nil {
			t.Errorf("EpochDir(%q, %q, %q) accepted", c.base, c.namespace, c.instance)
		}
	}
}

package shm

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tensorpool/tensorpool/internal/tmpfstest"
)

// A region truncated under its mapping faults on the next touch: Guard turns the
// SIGBUS into a *FaultError naming the file and offset instead of killing the process.
func TestGuardTurnsATruncatedMappingIntoAnError(t *testing.T) {
	rf := newRegionFiles(t)
	path := PayloadPoolPath(rf.dir, 1)
	r := createRegion(t, path, PayloadPoolSuperblock(7, 1001, 1, 8, pageStride))
	if err := r.Guard(func(b []byte) { StoreActivityTimestamp(b, 5) }); err != nil {
		t.Fatalf("an intact region: %v", err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	err := r.Guard(func(b []byte) { StoreActivityTimestamp(b, 6) })
	var fault *FaultError
	if !errors.As(err, &fault) || !errors.Is(err, ErrRegionFault) {
		t.Fatalf("got %v, want a *FaultError", err)
	}
	if fault.Path != path || fault.Offset != 56 || fault.Size != len(r.Bytes()) {
		t.Fatalf("fault %+v: want %s at offset 56 (activity_timestamp_ns) of %d", fault, path, len(r.Bytes()))
	}
}

// On a full filesystem creation fails with ENOSPC, allocated or sparse, and leaves no
// file: a mapping the filesystem cannot back would SIGBUS on first touch instead.
func TestCreateRegionWith_NoSpaceIsAnError(t *testing.T) {
	dir := tmpfstest.Mount(t, "1m")
	big := PayloadPoolSuperblock(1, 1, 1, 1024, 4096) // 4 MiB
	path := filepath.Join(dir, "pool")
	_, err := CreateRegionWith(path, &big, CreateOptions{Perm: 0o600, Allocate: true})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("allocated: got %v, want ENOSPC", err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Fatalf("the file was left behind: %v", err)
	}
	// Fill the filesystem, then even the superblock's page has no room.
	filler := filepath.Join(dir, "filler")
	small := PayloadPoolSuperblock(1, 1, 1, 8, 4096)
	for i := 0; ; i++ {
		f, err := os.Create(filler + string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		_, werr := f.Write(make([]byte, 64<<10))
		f.Close()
		if werr != nil {
			break
		}
	}
	if _, err := CreateRegionWith(path, &small, CreateOptions{Perm: 0o600}); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("sparse: got %v, want ENOSPC", err)
	}
}

// Where fallocate is missing, Allocate populates the mapping under Guard: a page the
// filesystem cannot back is a *FaultError, not a crash.
func TestCreateRegionWith_PopulateFallbackFaultsCleanly(t *testing.T) {
	dir := tmpfstest.Mount(t, "1m")
	path := filepath.Join(dir, "sparse")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const size = 4 << 20
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	r, err := MapFile(f, size, ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	err = r.Guard(func(b []byte) { populate(b, os.Getpagesize(), nil) })
	if !errors.Is(err, ErrRegionFault) {
		t.Fatalf("got %v, want a fault beyond the 1 MiB filesystem", err)
	}
}

// The fallback for kernels without MADV_POPULATE_WRITE.
func TestProvision_TouchPagesAllocatesEveryPage(t *testing.T) {
	sb := PayloadPoolSuperblock(1, 1, 1, 16, 4096)
	path := filepath.Join(t.TempDir(), "pool")
	m, err := CreateRegion(path, &sb, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	touchPages(m.Bytes()[os.Getpagesize():], os.Getpagesize())
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Sys().(*syscall.Stat_t).Blocks * 512; got < int64(len(m.Bytes())) {
		t.Fatalf("%d of %d bytes allocated", got, len(m.Bytes()))
	}
}

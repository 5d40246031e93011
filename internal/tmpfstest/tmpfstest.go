// Package tmpfstest mounts a small tmpfs for a test, to run a filesystem out of
// space on purpose.
package tmpfstest

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// Mount mounts a tmpfs of size bytes on a fresh directory and unmounts it at cleanup.
// It skips the test, with one line saying why, where mounting is not permitted
// (mount(2) needs CAP_SYS_ADMIN: root, or a user namespace that grants it).
func Mount(t testing.TB, size string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tp-tmpfs-")
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size="+size+",mode=0700"); err != nil {
		os.Remove(dir)
		t.Skipf("skipped: mounting a %s tmpfs is not permitted here (%v); run as root to test a full filesystem", size, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting the test tmpfs %s: %v", dir, err)
		}
		os.Remove(dir)
	})
	return dir
}

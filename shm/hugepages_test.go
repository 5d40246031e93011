package shm

import (
	"bufio"
	"errors"
	"strings"
	"testing"
)

func TestParseMeminfoHugepageSize(t *testing.T) {
	cases := []struct {
		text string
		want int64
	}{
		{"MemTotal:       16318504 kB\nHugePages_Total:       0\nHugepagesize:       2048 kB\nHugetlb: 0 kB\n", 2 << 20},
		{"Hugepagesize:    1048576 kB\n", 1 << 30},
		{"Hugepagesize: 4096\n", 4096},
		{"MemTotal:       16318504 kB\n", 0},
		{"", 0},
	}
	for _, c := range cases {
		got, err := ParseMeminfoHugepageSize(strings.NewReader(c.text))
		if err != nil || got != c.want {
			t.Errorf("ParseMeminfoHugepageSize(%q) = %d, %v; want %d", c.text, got, err, c.want)
		}
	}
	for _, bad := range []string{
		"Hugepagesize:\n", "Hugepagesize: x kB\n", "Hugepagesize: 2048 MB\n", "Hugepagesize: -4 kB\n",
		"Hugepagesize: 9223372036854775807 kB\n", "Hugepagesize: 1 kB extra\n",
	} {
		if _, err := ParseMeminfoHugepageSize(strings.NewReader(bad)); !errors.Is(err, ErrProcFormat) {
			t.Errorf("ParseMeminfoHugepageSize(%q) err = %v", bad, err)
		}
	}
}

const mountsFixture = `sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
/dev/sda1 / ext4 rw,relatime 0 0
tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0
hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0
tmpfs /mnt/with\040space tmpfs rw 0 0
tmpfs /srv/data tmpfs rw 0 0
hugetlbfs /srv/data hugetlbfs rw 0 0
`

func TestParseMountsDecodesEscapes(t *testing.T) {
	mounts, err := ParseMounts(strings.NewReader(mountsFixture + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(mounts) != 7 {
		t.Fatalf("%d mounts", len(mounts))
	}
	if m := mounts[4]; m.MountPoint != "/mnt/with space" || m.FSType != "tmpfs" {
		t.Fatalf("escaped mount = %+v", m)
	}
	for _, bad := range []string{"tmpfs /dev/shm\n", "tmpfs dev/shm tmpfs rw 0 0\n"} {
		if _, err := ParseMounts(strings.NewReader(bad)); !errors.Is(err, ErrProcFormat) {
			t.Errorf("ParseMounts(%q) err = %v", bad, err)
		}
	}
	if got := unescapeMountField(`/a\9\777\1`); got != `/a\9\777\1` {
		t.Fatalf("invalid escapes must stay as written, got %q", got)
	}
}

func TestWireSpec_15_22_HugetlbfsDetectedByLongestPrefixMount(t *testing.T) {
	mounts, err := ParseMounts(strings.NewReader(mountsFixture))
	if err != nil {
		t.Fatal(err)
	}
	host := HostMemory{Mounts: mounts}
	cases := []struct {
		path      string
		mount     string
		hugetlbfs bool
	}{
		{"/dev/hugepages/tp/payload-1.pool", "/dev/hugepages", true},
		{"/dev/hugepages", "/dev/hugepages", true},
		{"/dev/hugepagesX/file", "/", false},
		{"/dev/shm/tp/header.ring", "/dev/shm", false},
		{"/home/x", "/", false},
		{"/mnt/with space/f", "/mnt/with space", false},
		{"/srv/data/f", "/srv/data", true}, // the later mount shadows the earlier one
	}
	for _, c := range cases {
		m, ok := MountFor(mounts, c.path)
		if !ok || m.MountPoint != c.mount {
			t.Errorf("MountFor(%q) = %+v, %v; want %s", c.path, m, ok, c.mount)
		}
		err := host.VerifyHugetlbfs(c.path)
		if c.hugetlbfs != (err == nil) || (err != nil && !errors.Is(err, ErrNotHugetlbfs)) {
			t.Errorf("VerifyHugetlbfs(%q) = %v", c.path, err)
		}
	}
	if _, ok := MountFor(nil, "/x"); ok {
		t.Fatal("empty mount table matched")
	}
}

func TestWireSpec_15_22_StrideRules(t *testing.T) {
	const page, huge = 4096, 2 << 20
	cases := []struct {
		name    string
		stride  uint32
		huge    int64
		require bool
		want    error
	}{
		{"page multiple", 1 << 20, huge, false, nil},
		{"one page", page, 0, false, nil},
		{"zero", 0, huge, false, ErrStrideNotPowerOfTwo},
		{"not power of two", 3 * page, huge, false, ErrStrideNotPowerOfTwo},
		{"below page size", 2048, huge, false, ErrStridePageMultiple},
		{"hugepage multiple", 4 << 20, huge, true, nil},
		{"not hugepage multiple", 1 << 20, huge, true, ErrStrideHugepageMultiple},
		{"hugepage size unknown", 4 << 20, 0, true, ErrHugepageSizeUnknown},
		{"hugepage size ignored when not required", page, 0, false, nil},
	}
	for _, c := range cases {
		err := ValidateStride(c.stride, page, c.huge, c.require)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: ValidateStride(%d) = %v, want %v", c.name, c.stride, err, c.want)
		}
	}
	if err := ValidateStride(4096, 0, 0, false); !errors.Is(err, ErrStridePageMultiple) {
		t.Fatalf("unknown page size must fail closed: %v", err)
	}
}

func TestReadHostMemory(t *testing.T) {
	h, err := ReadHostMemory()
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	if h.PageSize <= 0 || len(h.Mounts) == 0 {
		t.Fatalf("host memory %+v", h)
	}
	if _, ok := MountFor(h.Mounts, "/"); !ok {
		t.Fatal("no mount covers /")
	}
}

func FuzzParseMeminfo(f *testing.F) {
	f.Add("Hugepagesize:       2048 kB\n")
	f.Fuzz(func(t *testing.T, text string) {
		n, err := ParseMeminfoHugepageSize(strings.NewReader(text))
		if err != nil && !errors.Is(err, ErrProcFormat) && !errors.Is(err, bufio.ErrTooLong) {
			t.Fatalf("unexpected error %T: %v", err, err)
		}
		if n < 0 {
			t.Fatalf("negative hugepage size %d", n)
		}
	})
}

func FuzzParseMounts(f *testing.F) {
	f.Add("hugetlbfs /dev/hugepages hugetlbfs rw 0 0\n")
	f.Fuzz(func(t *testing.T, text string) {
		mounts, err := ParseMounts(strings.NewReader(text))
		if err != nil {
			if !errors.Is(err, ErrProcFormat) && !errors.Is(err, bufio.ErrTooLong) {
				t.Fatalf("unexpected error %T: %v", err, err)
			}
			return
		}
		for _, m := range mounts {
			if !strings.HasPrefix(m.MountPoint, "/") {
				t.Fatalf("mount point %q is not absolute", m.MountPoint)
			}
			if got, ok := MountFor(mounts, m.MountPoint); !ok || len(got.MountPoint) < len(strings.TrimSuffix(m.MountPoint, "/")) {
				t.Fatalf("MountFor(%q) = %+v, %v", m.MountPoint, got, ok)
			}
		}
	})
}

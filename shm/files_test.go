package shm

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// pageStride is the smallest stride CreateRegion accepts on this host.
var pageStride = uint32(os.Getpagesize())

type regionFiles struct {
	policy *PathPolicy
	dir    string
}

func newRegionFiles(t *testing.T) regionFiles {
	t.Helper()
	base := t.TempDir()
	dir, err := EpochDir(base, "tensorpool", "instance-1", 7)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	policy, err := NewPathPolicy(base)
	if err != nil {
		t.Fatal(err)
	}
	return regionFiles{policy: policy, dir: dir}
}

func createRegion(t *testing.T, path string, sb Superblock) *MappedRegion {
	t.Helper()
	r, err := CreateRegion(path, &sb, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestCreateRegionWritesSizedFileWithSuperblock(t *testing.T) {
	rf := newRegionFiles(t)
	ringSB := HeaderRingSuperblock(7, 1001, 8)
	ringSB.Pid = uint64(os.Getpid())
	ring := createRegion(t, HeaderRingPath(rf.dir), ringSB)
	poolSB := PayloadPoolSuperblock(7, 1001, 1, 8, pageStride)
	createRegion(t, PayloadPoolPath(rf.dir, 1), poolSB)

	for path, want := range map[string]int64{HeaderRingPath(rf.dir): 64 + 8*256, PayloadPoolPath(rf.dir, 1): 64 + 8*int64(pageStride)} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() != want || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: size %d mode %v", path, info.Size(), info.Mode())
		}
	}
	got, err := DecodeSuperblock(ring.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got != ringSB {
		t.Fatalf("superblock %+v, want %+v", got, ringSB)
	}
	if ring.Path() != HeaderRingPath(rf.dir) {
		t.Fatalf("path %q", ring.Path())
	}
}

func TestCreateRegionRefusesExistingFileAndSymlink(t *testing.T) {
	rf := newRegionFiles(t)
	path := HeaderRingPath(rf.dir)
	sb := HeaderRingSuperblock(7, 1, 4)
	createRegion(t, path, sb)
	if _, err := CreateRegion(path, &sb, 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second create: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("failed create must not remove the existing file: %v", err)
	}
	link := filepath.Join(rf.dir, "link.ring")
	target := filepath.Join(rf.dir, "target")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateRegion(link, &sb, 0o600); err == nil {
		t.Fatal("created through a symlink")
	}
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("symlink target was created: %v", err)
	}
}

func TestCreateRegionRejectsBadGeometryWithoutCreatingFile(t *testing.T) {
	rf := newRegionFiles(t)
	cases := map[string]Superblock{
		"nslots":     HeaderRingSuperblock(1, 1, 3),
		"stride":     PayloadPoolSuperblock(1, 1, 1, 4, 1000),
		"sub-page":   PayloadPoolSuperblock(1, 1, 1, 4, 64),
		"magic":      {LayoutVersion: LayoutVersion, RegionType: RegionTypeHeaderRing, Nslots: 1, SlotBytes: 256},
		"layout ver": {Magic: Magic, LayoutVersion: 2, RegionType: RegionTypeHeaderRing, Nslots: 1, SlotBytes: 256},
	}
	for name, sb := range cases {
		path := filepath.Join(rf.dir, "bad")
		var ve *ValidationError
		if _, err := CreateRegion(path, &sb, 0o600); !errors.As(err, &ve) {
			t.Fatalf("%s: err = %v", name, err)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s: file left behind", name)
		}
	}
}

func TestOpenRegionConsumerSeesProducerFrames(t *testing.T) {
	rf := newRegionFiles(t)
	sb := HeaderRingSuperblock(7, 1001, 4)
	producer := createRegion(t, HeaderRingPath(rf.dir), sb)
	consumer, err := OpenRegion(rf.policy, HeaderRingPath(rf.dir), OpenOptions{Access: ReadOnly, Expect: sb})
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()

	writerRing, _ := NewHeaderRing(producer.Bytes(), 4)
	readerRing, _ := NewHeaderRing(consumer.Bytes(), 4)
	wSlot, _ := writerRing.Slot(writerRing.HeaderIndex(6))
	h, tensor := validSlotHeader(2), validTensor()
	writeFrame(wSlot, 6, &h, &tensor)

	rSlot, _ := readerRing.Slot(readerRing.HeaderIndex(6))
	var gotH SlotHeader
	var gotT TensorHeader
	requireDrop(t, rSlot.TryRead(6, &gotH, &gotT), DropNone)
	if gotT != tensor || gotH.TimestampNs != h.TimestampNs {
		t.Fatalf("consumer read %+v %+v", gotH, gotT)
	}
}

func TestWireSpec_15_1_OpenRejectsSuperblockNotMatchingAnnounce(t *testing.T) {
	rf := newRegionFiles(t)
	path := PayloadPoolPath(rf.dir, 1)
	createRegion(t, path, PayloadPoolSuperblock(7, 1001, 1, 4, pageStride))
	want := PayloadPoolSuperblock(8, 1001, 1, 4, pageStride) // a newer epoch was announced
	_, err := OpenRegion(rf.policy, path, OpenOptions{Expect: want})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "epoch" {
		t.Fatalf("err = %v", err)
	}
}

func TestWireSpec_15_22_FileSmallerThanMappingRejected(t *testing.T) {
	rf := newRegionFiles(t)
	path := HeaderRingPath(rf.dir)
	for _, size := range []int{0, 10, 64, 64 + 3*256} {
		if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := OpenRegion(rf.policy, path, OpenOptions{Expect: HeaderRingSuperblock(7, 1, 4)})
		if !errors.Is(err, ErrRegionTooSmall) {
			t.Fatalf("size %d: err = %v", size, err)
		}
	}
}

func TestOpenRegionGarbageFileRejected(t *testing.T) {
	rf := newRegionFiles(t)
	path := HeaderRingPath(rf.dir)
	garbage := make([]byte, 64+4*256)
	for i := range garbage {
		garbage[i] = byte(i*7 + 3)
	}
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := OpenRegion(rf.policy, path, OpenOptions{Expect: HeaderRingSuperblock(7, 1, 4)})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "magic" {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenRegionRequiresPolicyAndValidExpectation(t *testing.T) {
	rf := newRegionFiles(t)
	path := HeaderRingPath(rf.dir)
	createRegion(t, path, HeaderRingSuperblock(7, 1, 4))
	if _, err := OpenRegion(nil, path, OpenOptions{Expect: HeaderRingSuperblock(7, 1, 4)}); !errors.Is(err, ErrNoAllowedBaseDirs) {
		t.Fatalf("nil policy: %v", err)
	}
	if _, err := OpenRegion(rf.policy, path, OpenOptions{Expect: HeaderRingSuperblock(7, 1, 5)}); !errors.Is(err, ErrNslots) {
		t.Fatalf("bad expectation: %v", err)
	}
	outside := filepath.Join(t.TempDir(), "x")
	if _, err := OpenRegion(rf.policy, outside, OpenOptions{Expect: HeaderRingSuperblock(7, 1, 4)}); err == nil {
		t.Fatal("opened a path outside the allowed bases")
	}
}

func TestOpenRegionReadWriteForOwner(t *testing.T) {
	rf := newRegionFiles(t)
	path := PayloadPoolPath(rf.dir, 2)
	sb := PayloadPoolSuperblock(7, 1, 2, 2, pageStride)
	createRegion(t, path, sb)
	r, err := OpenRegion(rf.policy, path, OpenOptions{Access: ReadWrite, Expect: sb})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	StoreActivityTimestamp(r.Bytes(), 5)
	if LoadActivityTimestamp(r.Bytes()) != 5 {
		t.Fatal("write through read-write mapping lost")
	}
}

func TestWireSpec_15_22_OpenURIHonoursRequireHugepages(t *testing.T) {
	rf := newRegionFiles(t)
	path := PayloadPoolPath(rf.dir, 1)
	sb := PayloadPoolSuperblock(7, 1, 1, 2, 2*pageStride)
	createRegion(t, path, sb)
	canonical, err := canonicalize(path)
	if err != nil {
		t.Fatal(err)
	}
	page, huge := int64(pageStride), 2*int64(pageStride)
	tmpfs := &HostMemory{PageSize: page, HugepageSize: huge, Mounts: []Mount{{"none", "/", "ext4"}}}
	hugetlbfs := &HostMemory{PageSize: page, HugepageSize: huge,
		Mounts: []Mount{{"none", "/", "ext4"}, {"hugetlbfs", filepath.Dir(canonical), "hugetlbfs"}}}
	hugeUnknown := &HostMemory{PageSize: page, Mounts: hugetlbfs.Mounts}

	uri := URI{Path: path, RequireHugepages: true}.String()
	if _, err := OpenURI(rf.policy, uri, OpenOptions{Expect: sb, Host: tmpfs}); !errors.Is(err, ErrNotHugetlbfs) {
		t.Fatalf("not on hugetlbfs: %v", err)
	}
	if _, err := OpenURI(rf.policy, uri, OpenOptions{Expect: sb, Host: hugeUnknown}); !errors.Is(err, ErrHugepageSizeUnknown) {
		t.Fatalf("hugepage size unknown: %v", err)
	}
	r, err := OpenURI(rf.policy, uri, OpenOptions{Expect: sb, Host: hugetlbfs})
	if err != nil {
		t.Fatalf("on (claimed) hugetlbfs: %v", err)
	}
	r.Close()
	r, err = OpenURI(rf.policy, URI{Path: path}.String(), OpenOptions{Expect: sb, Host: tmpfs})
	if err != nil {
		t.Fatalf("hugepages not required: %v", err)
	}
	r.Close()
	if _, err := OpenURI(rf.policy, "shm:file?path=relative", OpenOptions{Expect: sb}); !errors.Is(err, ErrURIRelativePath) {
		t.Fatalf("bad uri: %v", err)
	}
}

func TestWireSpec_15_22_OpenRejectsStrideNotPageMultiple(t *testing.T) {
	rf := newRegionFiles(t)
	path := PayloadPoolPath(rf.dir, 1)
	sb := PayloadPoolSuperblock(7, 1, 1, 2, pageStride)
	createRegion(t, path, sb)
	host := &HostMemory{PageSize: 4 * int64(pageStride)} // as if the consumer's pages were larger
	_, err := OpenRegion(rf.policy, path, OpenOptions{Expect: sb, Host: host})
	if !errors.Is(err, ErrStridePageMultiple) {
		t.Fatalf("err = %v", err)
	}
}

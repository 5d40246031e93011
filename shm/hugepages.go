package shm

import (
	"bufio"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

const hugepagesSection = "15.22"

const (
	procMeminfo          = "/proc/meminfo"
	procMounts           = "/proc/mounts"
	meminfoHugepageKey   = "Hugepagesize:"
	hugetlbfsType        = "hugetlbfs"
	maxProcLineBytes     = 64 << 10
	meminfoKibibyteUnits = "kB"
)

// Mount is one entry of /proc/mounts.
type Mount struct {
	Device     string
	MountPoint string
	FSType     string
}

// HostMemory is what stride and hugepage validation needs to know about the host.
type HostMemory struct {
	PageSize     int64
	HugepageSize int64 // 0 when the kernel reports none
	Mounts       []Mount
}

// ReadHostMemory reads the page size, /proc/meminfo and /proc/mounts.
func ReadHostMemory() (HostMemory, error) {
	h := HostMemory{PageSize: int64(os.Getpagesize())}
	var err error
	if h.HugepageSize, err = readProc(procMeminfo, ParseMeminfoHugepageSize); err != nil {
		return HostMemory{}, err
	}
	if h.Mounts, err = readProc(procMounts, ParseMounts); err != nil {
		return HostMemory{}, err
	}
	return h, nil
}

func readProc[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	return parse(f)
}

// ParseMeminfoHugepageSize returns the Hugepagesize entry of /proc/meminfo text in
// bytes, or 0 if the entry is absent.
func ParseMeminfoHugepageSize(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxProcLineBytes)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), meminfoHugepageKey)
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 || len(fields) > 2 {
			return 0, invalid(hugepagesSection, procMeminfo+" "+meminfoHugepageKey, rest, ErrProcFormat)
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || n < 0 {
			return 0, invalid(hugepagesSection, procMeminfo+" "+meminfoHugepageKey, rest, ErrProcFormat)
		}
		if len(fields) == 2 {
			if fields[1] != meminfoKibibyteUnits || n > math.MaxInt64/1024 {
				return 0, invalid(hugepagesSection, procMeminfo+" "+meminfoHugepageKey, rest, ErrProcFormat)
			}
			n *= 1024
		}
		return n, nil
	}
	return 0, sc.Err()
}

// ParseMounts parses /proc/mounts text: device, mount point and type are the first three
// space-separated fields, with space, tab, newline and backslash octal-escaped.
func ParseMounts(r io.Reader) ([]Mount, error) {
	var mounts []Mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxProcLineBytes)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) < 3 {
			return nil, invalid(hugepagesSection, procMounts+" line "+strconv.Itoa(line), sc.Text(), ErrProcFormat)
		}
		mountPoint := unescapeMountField(fields[1])
		if !strings.HasPrefix(mountPoint, "/") {
			return nil, invalid(hugepagesSection, procMounts+" line "+strconv.Itoa(line), sc.Text(), ErrProcFormat)
		}
		mounts = append(mounts, Mount{
			Device: unescapeMountField(fields[0]), MountPoint: mountPoint, FSType: unescapeMountField(fields[2]),
		})
	}
	return mounts, sc.Err()
}

// unescapeMountField decodes the kernel's \ooo octal escapes; anything that is not a
// valid three-digit escape is kept as written.
func unescapeMountField(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			v := (s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')
			if s[i+1] <= '3' {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// MountFor returns the mount that contains path: the one with the longest matching
// mount point, the later one when several share it (it shadows the earlier).
func MountFor(mounts []Mount, path string) (Mount, bool) {
	var best Mount
	found := false
	for _, m := range mounts {
		if !mountContains(m.MountPoint, path) {
			continue
		}
		if !found || len(m.MountPoint) >= len(best.MountPoint) {
			best, found = m, true
		}
	}
	return best, found
}

func mountContains(mountPoint, path string) bool {
	if mountPoint == "/" {
		return strings.HasPrefix(path, "/")
	}
	mountPoint = strings.TrimSuffix(mountPoint, "/")
	return path == mountPoint || strings.HasPrefix(path, mountPoint+"/")
}

// VerifyHugetlbfs checks that canonicalPath lies on a hugetlbfs mount, which is how a
// require_hugepages=true region is verified to be hugepage-backed (§15.22).
func (h *HostMemory) VerifyHugetlbfs(canonicalPath string) error {
	m, ok := MountFor(h.Mounts, canonicalPath)
	if !ok || m.FSType != hugetlbfsType {
		return mismatch(hugepagesSection, "filesystem of "+canonicalPath, m.FSType, hugetlbfsType, ErrNotHugetlbfs)
	}
	return nil
}

// MinStrideV1_2 is the smallest stride wire spec v1.2 allows: a stride is any power-of-two
// multiple of 64 bytes (§15.22 of v1.2), page and hugepage alignment no longer required.
const MinStrideV1_2 = 64

// ValidateStrideV1_2 applies wire spec v1.2's §15.22 to a pool's stride_bytes: a power of
// two of at least MinStrideV1_2 bytes.
func ValidateStrideV1_2(strideBytes uint32) error {
	if !isPowerOfTwo(uint64(strideBytes)) {
		return invalid(hugepagesSection, "stride_bytes", strideBytes, ErrStrideNotPowerOfTwo)
	}
	if strideBytes < MinStrideV1_2 {
		return mismatch(hugepagesSection, "stride_bytes", strideBytes, "multiple of 64", ErrStrideMultipleOf64)
	}
	return nil
}

// ValidateStride applies §15.22 to a pool's stride_bytes: a non-zero power of two, a
// multiple of the page size and, when hugepages are required, a multiple of a known
// hugepage size.
func ValidateStride(strideBytes uint32, pageSize, hugepageSize int64, requireHugepages bool) error {
	if !isPowerOfTwo(uint64(strideBytes)) {
		return invalid(hugepagesSection, "stride_bytes", strideBytes, ErrStrideNotPowerOfTwo)
	}
	if pageSize <= 0 || int64(strideBytes)%pageSize != 0 {
		return mismatch(hugepagesSection, "stride_bytes", strideBytes, "multiple of "+strconv.FormatInt(pageSize, 10), ErrStridePageMultiple)
	}
	if !requireHugepages {
		return nil
	}
	if hugepageSize <= 0 {
		return invalid(hugepagesSection, "hugepage size", hugepageSize, ErrHugepageSizeUnknown)
	}
	if int64(strideBytes)%hugepageSize != 0 {
		return mismatch(hugepagesSection, "stride_bytes", strideBytes, "multiple of "+strconv.FormatInt(hugepageSize, 10), ErrStrideHugepageMultiple)
	}
	return nil
}

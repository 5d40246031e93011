package config

import (
	"fmt"
	"maps"
	"math"
	"math/bits"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// validate checks the relations between values; each value's own type and
// range were checked by convert. Maps are visited in sorted order so the
// reported error does not depend on map iteration.
func (c *DriverConfig) validate() *Error {
	d := &c.Driver
	if err := checkPathComponent("driver.instance_id", d.InstanceID); err != nil {
		return err
	}
	for _, ch := range []struct{ key, value string }{
		{"driver.control_channel", d.ControlChannel},
		{"driver.announce_channel", d.AnnounceChannel},
		{"driver.qos_channel", d.QosChannel},
	} {
		if !strings.HasPrefix(ch.value, "aeron:") || len(ch.value) == len("aeron:") {
			return errorf(ch.key, fmt.Sprintf("%q is not an Aeron channel URI (aeron:...)", ch.value))
		}
	}

	s := &c.Shm
	if !filepath.IsAbs(s.BaseDir) {
		return errorf("shm.base_dir", fmt.Sprintf("%q is not an absolute path", s.BaseDir))
	}
	s.BaseDir = filepath.Clean(s.BaseDir)
	for i, dir := range s.AllowedBaseDirs {
		if !filepath.IsAbs(dir) {
			return errorf(fmt.Sprintf("shm.allowed_base_dirs[%d]", i), fmt.Sprintf("%q is not an absolute path", dir))
		}
		s.AllowedBaseDirs[i] = filepath.Clean(dir)
	}
	if !slices.ContainsFunc(s.AllowedBaseDirs, func(dir string) bool { return within(dir, s.BaseDir) }) {
		return errorf("shm.base_dir", fmt.Sprintf("%q is outside every shm.allowed_base_dirs entry %q", s.BaseDir, s.AllowedBaseDirs))
	}
	if !isPowerOfTwo(s.PageSizeBytes) {
		return errorf("shm.page_size_bytes", fmt.Sprintf("%d is not a power of two", s.PageSizeBytes))
	}
	if !d.WireVersion.Valid() {
		return errorf("driver.wire_version", fmt.Sprintf("%v is not a wire spec version this driver speaks (1.1, 1.2)", d.WireVersion))
	}
	if err := checkPathComponent("shm.namespace", s.Namespace); err != nil {
		return err
	}

	p := &c.Policies
	// The lease expiry in nanoseconds must fit an int64 time.Duration.
	if hi, lo := bits.Mul64(uint64(p.LeaseKeepaliveIntervalMs)*uint64(p.LeaseExpiryGraceIntervals), 1_000_000); hi != 0 || lo > math.MaxInt64 {
		return errorf("policies.lease_expiry_grace_intervals", fmt.Sprintf("%d intervals of %d ms overflow the lease expiry", p.LeaseExpiryGraceIntervals, p.LeaseKeepaliveIntervalMs))
	}

	if len(c.Profiles) == 0 {
		return errorf("profiles", "at least one profile must be defined")
	}
	if _, ok := c.Profiles[p.DefaultProfile]; !ok {
		return errorf("policies.default_profile", fmt.Sprintf("profile %q is not defined", p.DefaultProfile))
	}
	for _, name := range sortedKeys(c.Profiles) {
		if err := c.validateProfile(c.Profiles[name]); err != nil {
			return err
		}
	}

	if !p.AllowDynamicStreams && len(c.Streams) == 0 {
		return errorf("streams", "at least one stream must be defined when policies.allow_dynamic_streams is false")
	}
	owner := map[uint32]string{}
	for _, name := range sortedKeys(c.Streams) {
		st := c.Streams[name]
		key := "streams." + name
		if _, ok := c.Profiles[st.Profile]; !ok {
			return errorf(key+".profile", fmt.Sprintf("profile %q is not defined", st.Profile))
		}
		if other, dup := owner[st.StreamID]; dup {
			return errorf(key+".stream_id", fmt.Sprintf("stream id %d is already used by streams.%s", st.StreamID, other))
		}
		owner[st.StreamID] = name
	}
	if err := c.validateRanges(owner); err != nil {
		return err
	}
	if c.Discovery != nil {
		return c.Discovery.validate()
	}
	return nil
}

func (c *DriverConfig) validateProfile(prof Profile) *Error {
	key := "profiles." + prof.Name
	if !isPowerOfTwo(prof.HeaderNslots) {
		return errorf(key+".header_nslots", fmt.Sprintf("%d is not a power of two", prof.HeaderNslots))
	}
	if len(prof.PayloadPools) == 0 {
		return errorf(key+".payload_pools", "at least one payload pool must be defined")
	}
	seen := map[uint16]bool{}
	for i, pool := range prof.PayloadPools {
		pkey := fmt.Sprintf("%s.payload_pools[%d]", key, i)
		if seen[pool.PoolID] {
			return errorf(pkey+".pool_id", fmt.Sprintf("pool id %d is used twice in the profile", pool.PoolID))
		}
		seen[pool.PoolID] = true
		// Both are powers of two, so "a multiple of N" is "at least N": the page size in
		// wire v1.1 (§15.22), 64 bytes in v1.2 (§15.22 of v1.2).
		if c.Driver.WireVersion == wire.V1_2 {
			if !isPowerOfTwo(pool.StrideBytes) || pool.StrideBytes < shm.MinStrideV1_2 {
				return errorf(pkey+".stride_bytes", fmt.Sprintf("%d is not a power-of-two multiple of %d (driver.wire_version 1.2)", pool.StrideBytes, shm.MinStrideV1_2))
			}
		} else if !isPowerOfTwo(pool.StrideBytes) || pool.StrideBytes < c.Shm.PageSizeBytes {
			return errorf(pkey+".stride_bytes", fmt.Sprintf("%d is not a power of two multiple of shm.page_size_bytes (%d)", pool.StrideBytes, c.Shm.PageSizeBytes))
		}
	}
	if _, failed := prof.epochBytes(); failed >= 0 {
		return errorf(fmt.Sprintf("%s.payload_pools[%d].stride_bytes", key, failed),
			fmt.Sprintf("%d × %d header_nslots makes the profile's SHM size per epoch overflow 64 bits", prof.PayloadPools[failed].StrideBytes, prof.HeaderNslots))
	}
	return nil
}

// regionHeaderBytes is the superblock at the start of every region file (Wire spec §6).
const regionHeaderBytes = 64

// EpochBytes is the file space one epoch of the profile takes: the header ring
// (superblock + header_nslots × 256 bytes) and one region per payload pool
// (superblock + header_nslots × stride_bytes). A validated profile never overflows.
func (p Profile) EpochBytes() uint64 {
	n, _ := p.epochBytes()
	return n
}

// epochBytes sums the region sizes with checked arithmetic; failed is the index of
// the pool whose region makes the sum (or the region itself) exceed what a file
// mapping can span, else -1. Each region must fit an int64 (mmap's length).
func (p Profile) epochBytes() (total uint64, failed int) {
	total = regionHeaderBytes + uint64(p.HeaderNslots)*HeaderSlotBytes
	for i, pool := range p.PayloadPools {
		hi, region := bits.Mul64(uint64(p.HeaderNslots), uint64(pool.StrideBytes))
		if hi != 0 || region > math.MaxInt64-regionHeaderBytes {
			return 0, i
		}
		var carry uint64
		total, carry = bits.Add64(total, region+regionHeaderBytes, 0)
		if carry != 0 {
			return 0, i
		}
	}
	return total, -1
}

// validateRanges enforces Driver spec §11: ranges do not overlap each other,
// the driver's own stream ids, or static stream ids.
func (c *DriverConfig) validateRanges(staticStreams map[uint32]string) *Error {
	d := &c.Driver
	ranges := []struct {
		key string
		r   StreamIDRange
	}{
		{"driver.stream_id_range", d.StreamIDRange},
		{"driver.descriptor_stream_id_range", d.DescriptorStreamIDRange},
		{"driver.control_stream_id_range", d.ControlStreamIDRange},
	}
	reserved := []struct {
		what string
		id   uint32
	}{
		{"driver.control_stream_id", d.ControlStreamID},
		{"driver.announce_stream_id", d.AnnounceStreamID},
		{"driver.qos_stream_id", d.QosStreamID},
	}
	for _, id := range slices.Sorted(maps.Keys(staticStreams)) {
		reserved = append(reserved, struct {
			what string
			id   uint32
		}{"streams." + staticStreams[id] + ".stream_id", id})
	}
	for i, a := range ranges {
		for _, b := range ranges[i+1:] {
			if a.r.overlaps(b.r) {
				return errorf(b.key, fmt.Sprintf("range %d-%d overlaps %s %d-%d", b.r.First, b.r.Last, a.key, a.r.First, a.r.Last))
			}
		}
		for _, res := range reserved {
			if a.r.Contains(res.id) {
				return errorf(a.key, fmt.Sprintf("range %d-%d contains %s (%d)", a.r.First, a.r.Last, res.what, res.id))
			}
		}
	}
	return nil
}

// checkPathComponent accepts values that name exactly one directory level,
// because the instance id becomes a path element of every SHM file.
func checkPathComponent(key, v string) *Error {
	if v == "" || v == "." || v == ".." || strings.ContainsAny(v, "/\x00") {
		return errorf(key, fmt.Sprintf("%q must be a non-empty single path element (no '/', not '.' or '..')", v))
	}
	return nil
}

// within reports whether path equals dir or lies below it; both are clean and absolute.
func within(dir, path string) bool {
	if dir == "/" || dir == path {
		return true
	}
	return strings.HasPrefix(path, dir+"/")
}

func isPowerOfTwo(n uint32) bool { return n != 0 && n&(n-1) == 0 }

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

package producer

import (
	"errors"
	"os"
	"slices"

	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// PoolSpec is one payload pool size class (§9).
type PoolSpec struct {
	PoolID      uint16
	StrideBytes uint32
}

// Layout is the SHM geometry of one producer epoch: a header ring and its payload pools,
// all with the same slot count (§8.1, §9, §15.5).
type Layout struct {
	StreamID uint32
	Epoch    uint64
	Nslots   uint32
	Pools    []PoolSpec
	// WireVersion is the spec whose stride rule (§15.22) the pools follow: V1_1's page
	// multiple (the default) or V1_2's power-of-two multiple of 64.
	WireVersion wire.Version
}

// HeaderSuperblock is the superblock the header ring of this layout carries.
func (l *Layout) HeaderSuperblock() shm.Superblock {
	return shm.HeaderRingSuperblock(l.Epoch, l.StreamID, l.Nslots)
}

// PoolSuperblock is the superblock of pool i of this layout.
func (l *Layout) PoolSuperblock(i int) shm.Superblock {
	p := l.Pools[i]
	return shm.PayloadPoolSuperblock(l.Epoch, l.StreamID, p.PoolID, l.Nslots, p.StrideBytes)
}

// Validate checks the layout before any file is touched: nslots a power of two (§15.4),
// at least one pool, distinct pool ids, and strides a power of two and a multiple of the
// page size (§15.22). Pool 0 is allowed: the header ring's pool_id 0 lives in another
// region and never collides with a pool's.
func (l *Layout) Validate() error {
	hsb := l.HeaderSuperblock()
	if err := hsb.ValidateGeometry(); err != nil {
		return err
	}
	if len(l.Pools) == 0 {
		return configError("9", "payload_pools", 0, "at least one payload pool is required")
	}
	page := int64(os.Getpagesize())
	for i, p := range l.Pools {
		for _, q := range l.Pools[:i] {
			if q.PoolID == p.PoolID {
				return configError("9", "pool_id", p.PoolID, "pool ids must be distinct")
			}
		}
		sb := l.PoolSuperblock(i)
		if err := sb.ValidateGeometry(); err != nil {
			return err
		}
		err := shm.ValidateStrideV1_2(p.StrideBytes)
		if l.WireVersion != wire.V1_2 {
			err = shm.ValidateStride(p.StrideBytes, page, 0, false)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Regions are the mapped regions of one epoch that a producer writes: the header ring
// and one payload pool per PoolSpec, in Layout order.
type Regions struct {
	layout    Layout
	header    shm.Region
	pools     []shm.Region
	headerURI string
	poolURIs  []string
	epochDir  string // set only when this process created the files
}

// NewRegions adopts regions that are already mapped (or heap regions in tests) after
// checking that each superblock matches the layout (§7.1, §15.1). The Regions take
// ownership: Close closes them.
func NewRegions(layout Layout, header shm.Region, pools []shm.Region) (*Regions, error) {
	if err := layout.Validate(); err != nil {
		return nil, err
	}
	if len(pools) != len(layout.Pools) {
		return nil, configError("", "pool regions", len(pools), "need one region per layout pool")
	}
	want := layout.HeaderSuperblock()
	if err := matchSuperblock(header, &want); err != nil {
		return nil, err
	}
	for i, pool := range pools {
		want := layout.PoolSuperblock(i)
		if err := matchSuperblock(pool, &want); err != nil {
			return nil, err
		}
	}
	layout.Pools = slices.Clone(layout.Pools)
	return &Regions{layout: layout, header: header, pools: slices.Clone(pools)}, nil
}

func matchSuperblock(r shm.Region, want *shm.Superblock) error {
	sb, err := shm.DecodeSuperblock(r.Bytes())
	if err != nil {
		return err
	}
	if err := sb.Matches(want); err != nil {
		return err
	}
	size, _ := want.RegionSize()
	if len(r.Bytes()) < size {
		return configError("9", "region length", len(r.Bytes()), "smaller than superblock + nslots × slot_bytes")
	}
	return nil
}

// StandaloneConfig places the regions of a producer that owns its SHM (the reference's
// standalone mode, no driver) in the canonical layout of §15.21a.3:
// <BaseDir>/<Namespace>/<InstanceID>/epoch-<E>/{header.ring,payload-<id>.pool}.
type StandaloneConfig struct {
	BaseDir    string
	Namespace  string
	InstanceID string
	Layout     Layout
	// Pid and NowNs seed the superblocks' pid and start/activity timestamps; zero means
	// this process and CLOCK_MONOTONIC now.
	Pid   uint64
	NowNs int64
}

// CreateStandalone creates and maps the files of a new epoch. Files of the same epoch
// must not exist yet: a restarted producer uses a new epoch (§15.2). Files are created
// 0600 in 0700 directories (§15.21a.6); on failure nothing is left behind.
func CreateStandalone(cfg StandaloneConfig) (*Regions, error) {
	l := cfg.Layout
	if err := l.Validate(); err != nil {
		return nil, err
	}
	dir, err := shm.EpochDir(cfg.BaseDir, cfg.Namespace, cfg.InstanceID, l.Epoch)
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(dir); err == nil {
		return nil, configError("15.2", "epoch directory", dir, "already exists; a new producer instance needs a new epoch")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	pid, now := cfg.Pid, cfg.NowNs
	if pid == 0 {
		pid = uint64(os.Getpid())
	}
	if now == 0 {
		now = clock.Now().Nanos()
	}
	r := &Regions{layout: l, epochDir: dir}
	r.layout.Pools = slices.Clone(l.Pools)
	create := func(path string, sb shm.Superblock) (shm.Region, string, error) {
		sb.Pid, sb.StartTimestampNs, sb.ActivityTimestampNs = pid, uint64(now), uint64(now)
		region, err := shm.CreateRegion(path, &sb, 0o600)
		if err != nil {
			return nil, "", err
		}
		return region, shm.URI{Path: path}.String(), nil
	}
	if r.header, r.headerURI, err = create(shm.HeaderRingPath(dir), l.HeaderSuperblock()); err != nil {
		r.Remove()
		return nil, err
	}
	for i, p := range l.Pools {
		region, uri, err := create(shm.PayloadPoolPath(dir, p.PoolID), l.PoolSuperblock(i))
		if err != nil {
			r.Remove()
			return nil, err
		}
		r.pools = append(r.pools, region)
		r.poolURIs = append(r.poolURIs, uri)
	}
	return r, nil
}

// OpenRegions maps existing region files read-write, as a producer attached to a driver
// does: it never creates, truncates or unlinks them (Driver spec §2.2). Every URI passes
// the same containment and superblock checks a consumer applies.
func OpenRegions(layout Layout, policy *shm.PathPolicy, headerURI string, poolURIs []string) (*Regions, error) {
	if err := layout.Validate(); err != nil {
		return nil, err
	}
	if len(poolURIs) != len(layout.Pools) {
		return nil, configError("", "pool URIs", len(poolURIs), "need one URI per layout pool")
	}
	r := &Regions{layout: layout, headerURI: headerURI, poolURIs: slices.Clone(poolURIs)}
	r.layout.Pools = slices.Clone(layout.Pools)
	var err error
	if r.header, err = shm.OpenURI(policy, headerURI, shm.OpenOptions{Access: shm.ReadWrite, Expect: layout.HeaderSuperblock()}); err != nil {
		return nil, err
	}
	relaxed := layout.WireVersion == wire.V1_2
	for i, uri := range poolURIs {
		region, err := shm.OpenURI(policy, uri, shm.OpenOptions{Access: shm.ReadWrite, Expect: layout.PoolSuperblock(i), RelaxedStride: relaxed})
		if err != nil {
			r.Close()
			return nil, err
		}
		r.pools = append(r.pools, region)
	}
	return r, nil
}

// Layout is the geometry the regions were created or checked with.
func (r *Regions) Layout() Layout {
	l := r.layout
	l.Pools = slices.Clone(l.Pools)
	return l
}

// HeaderURI is the header ring's shm:file URI ("" for heap regions).
func (r *Regions) HeaderURI() string { return r.headerURI }

// PoolURIs are the pools' URIs in Layout order (nil for heap regions).
func (r *Regions) PoolURIs() []string { return slices.Clone(r.poolURIs) }

// EpochDir is the directory CreateStandalone made, "" otherwise.
func (r *Regions) EpochDir() string { return r.epochDir }

// Close unmaps every region. The regions must no longer be in use by a Producer.
func (r *Regions) Close() error {
	var errs []error
	if r.header != nil {
		errs = append(errs, r.header.Close())
	}
	for _, p := range r.pools {
		errs = append(errs, p.Close())
	}
	return errors.Join(errs...)
}

// Remove closes the regions and, if this process created them, deletes the epoch
// directory; consumers that still map the files keep their mappings until they unmap.
func (r *Regions) Remove() error {
	err := r.Close()
	if r.epochDir != "" {
		err = errors.Join(err, os.RemoveAll(r.epochDir))
	}
	return err
}

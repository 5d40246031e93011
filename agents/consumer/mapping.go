package consumer

import (
	"errors"
	"fmt"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// ErrStaleActivity: the header ring's activity_timestamp_ns is outside the freshness
// window, so its producer is presumed dead (§15.1, §15.14).
var ErrStaleActivity = errors.New("consumer: region activity timestamp is stale")

// ErrPidChanged: the mapped header ring's pid changed; another writer took over the
// region, so the consumer unmaps and waits for a new epoch (§15.14).
var ErrPidChanged = errors.New("consumer: region pid changed")

// LivenessError says which superblock field made the consumer give up a mapping (or
// refuse one), with the value read and the value expected. It unwraps to ErrStaleActivity
// or ErrPidChanged.
type LivenessError struct {
	Section string
	Field   string
	Epoch   uint64
	Value   uint64
	Want    string
	Err     error
}

func (e *LivenessError) Error() string {
	return fmt.Sprintf("%v: epoch %d %s = %d, want %s (§%s)", e.Err, e.Epoch, e.Field, e.Value, e.Want, e.Section)
}

func (e *LivenessError) Unwrap() error { return e.Err }

// mapping is state M1(epoch) of §15.21: the validated views of one epoch's regions.
type mapping struct {
	gen    uint64 // which mapping of its consumer this is, counting from 1
	epoch  uint64
	pid    uint64
	header shm.Region
	ring   *shm.HeaderRing
	pools  []mappedPool
	// maxStride is the largest payload slot: no frame, and no progress, can exceed it.
	maxStride uint32
	expect    []shm.Superblock
	regions   []shm.Region // header first, then pools in announce order
}

type mappedPool struct {
	id   uint16
	view *shm.PayloadPool
}

// Close unmaps the regions.
func (m *mapping) Close() error {
	var errs []error
	for _, r := range m.regions {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

// pool finds the pool a slot header names; announces carry a handful of pools.
func (m *mapping) pool(id uint16) *shm.PayloadPool {
	for i := range m.pools {
		if m.pools[i].id == id {
			return m.pools[i].view
		}
	}
	return nil
}

func expectedSuperblocks(a *wire.ShmPoolAnnounce) []shm.Superblock {
	sbs := []shm.Superblock{shm.HeaderRingSuperblock(a.Epoch, a.StreamID, a.HeaderNslots)}
	for _, p := range a.PayloadPools {
		sbs = append(sbs, shm.PayloadPoolSuperblock(a.Epoch, a.StreamID, p.PoolID, p.PoolNslots, p.StrideBytes))
	}
	for i := range sbs {
		sbs[i].LayoutVersion = a.LayoutVersion
	}
	return sbs
}

// openAnnounce opens every region of a read-only through path containment (§15.21a.5),
// URI and stride rules (§15.22) and superblock checks (§7.1, §15.1). Either every region
// maps or none stays mapped: a rejected announce is never partially consumed (§15.22).
// relaxedStride applies wire v1.2's stride rule instead of v1.1's.
func openAnnounce(a *wire.ShmPoolAnnounce, policy *shm.PathPolicy, host *shm.HostMemory, relaxedStride bool) ([]shm.Region, error) {
	if err := ValidateAnnounce(a); err != nil {
		return nil, err
	}
	expect := expectedSuperblocks(a)
	uris := []string{a.HeaderRegionURI}
	for _, p := range a.PayloadPools {
		uris = append(uris, p.RegionURI)
	}
	var regions []shm.Region
	for i, uri := range uris {
		r, err := shm.OpenURI(policy, uri, shm.OpenOptions{Access: shm.ReadOnly, Expect: expect[i], Host: host, RelaxedStride: relaxedStride})
		if err != nil {
			for _, open := range regions {
				open.Close()
			}
			return nil, err
		}
		regions = append(regions, r)
	}
	return regions, nil
}

// newMapping builds the views over regions (header first, then a's pools) after checking
// each superblock against a and the header's activity timestamp against nowNs. On error
// the caller still owns the regions.
func newMapping(a *wire.ShmPoolAnnounce, regions []shm.Region, nowNs, freshnessNs int64) (*mapping, error) {
	if err := ValidateAnnounce(a); err != nil {
		return nil, err
	}
	if len(regions) != 1+len(a.PayloadPools) {
		return nil, announceError("10.1.1", "regions", len(regions), fmt.Sprintf("want the header ring and %d pools", len(a.PayloadPools)))
	}
	m := &mapping{epoch: a.Epoch, header: regions[0], regions: regions, expect: expectedSuperblocks(a)}
	sb, err := m.check()
	if err != nil {
		return nil, err
	}
	if err := checkActivity(a.Epoch, sb.ActivityTimestampNs, nowNs, freshnessNs); err != nil {
		return nil, err
	}
	m.pid = sb.Pid
	if m.ring, err = shm.NewHeaderRing(regions[0].Bytes(), a.HeaderNslots); err != nil {
		return nil, err
	}
	for i, p := range a.PayloadPools {
		view, err := shm.NewPayloadPool(regions[1+i].Bytes(), shm.PoolGeometry{PoolID: p.PoolID, Nslots: p.PoolNslots, StrideBytes: p.StrideBytes})
		if err != nil {
			return nil, err
		}
		m.pools = append(m.pools, mappedPool{id: p.PoolID, view: view})
		m.maxStride = max(m.maxStride, p.StrideBytes)
	}
	return m, nil
}

// check re-reads every superblock and matches it against the announce (§15.1); it
// returns the header ring's.
func (m *mapping) check() (shm.Superblock, error) {
	var header shm.Superblock
	for i, r := range m.regions {
		sb, err := shm.DecodeSuperblock(r.Bytes())
		if err != nil {
			return header, err
		}
		if err := sb.Matches(&m.expect[i]); err != nil {
			return header, err
		}
		if i == 0 {
			header = sb
		}
	}
	return header, nil
}

func checkActivity(epoch, activityNs uint64, nowNs, freshnessNs int64) error {
	if activityNs > uint64(1<<63-1) || !within(int64(activityNs), nowNs, freshnessNs) {
		return &LivenessError{
			Section: "15.1", Field: "activity_timestamp_ns", Epoch: epoch, Value: activityNs,
			Want: fmt.Sprintf("within %d ns of %d", freshnessNs, nowNs), Err: ErrStaleActivity,
		}
	}
	return nil
}

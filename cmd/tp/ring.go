package main

import (
	"fmt"
	"os"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// headerRing is a header ring mapped read-only for looking at its slots (tp bw): a
// region of an announced epoch, opened only from an allowed base directory.
type headerRing struct {
	epoch  uint64
	region *shm.MappedRegion
	ring   *shm.HeaderRing
}

// openHeaderRing maps the header ring an announce names after checking it as a consumer
// would: the path inside an allowed base directory and a regular file (Wire
// §15.21a.5), a superblock that matches the announce (§15.1) and a file that long.
func openHeaderRing(policy *shm.PathPolicy, a *wire.ShmPoolAnnounce) (*headerRing, error) {
	uri, err := shm.ParseURI(a.HeaderRegionURI)
	if err != nil {
		return nil, err
	}
	valid, err := policy.Check(uri.Path)
	if err != nil {
		return nil, err
	}
	f, err := valid.Open(shm.ReadOnly)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	want := shm.HeaderRingSuperblock(a.Epoch, a.StreamID, a.HeaderNslots)
	if err := want.ValidateGeometry(); err != nil {
		return nil, fmt.Errorf("announce of stream %d: %w", a.StreamID, err)
	}
	size, err := want.RegionSize()
	if err != nil {
		return nil, err
	}
	if err := checkFileSize(f, int64(size)); err != nil {
		return nil, err
	}
	region, err := shm.MapFile(f, size, shm.ReadOnly)
	if err != nil {
		return nil, err
	}
	r := &headerRing{epoch: a.Epoch, region: region}
	var sbErr error
	if err := region.Guard(func(b []byte) {
		var sb shm.Superblock
		if sb, sbErr = shm.DecodeSuperblock(b[:shm.SuperblockSize]); sbErr == nil {
			sbErr = sb.Matches(&want)
		}
		if sbErr == nil {
			r.ring, sbErr = shm.NewHeaderRing(b, a.HeaderNslots)
		}
	}); err != nil {
		sbErr = err
	}
	if sbErr != nil {
		_ = region.Close()
		return nil, fmt.Errorf("%s: %w", uri.Path, sbErr)
	}
	return r, nil
}

func checkFileSize(f *os.File, want int64) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.Size() < want {
		return fmt.Errorf("%s is %d bytes, the announce needs %d", f.Name(), info.Size(), want)
	}
	return nil
}

// valuesLen reads the payload length of frame seq from its slot under the seqlock; ok
// is false when the slot no longer (or not yet) holds that frame, or the file was
// truncated under the mapping.
func (r *headerRing) valuesLen(seq uint64, index uint32) (n uint32, ok bool) {
	err := r.region.Guard(func([]byte) {
		slot, drop := r.ring.Slot(index)
		if drop != shm.DropNone {
			return
		}
		word, drop := slot.ReadBegin(seq)
		if drop != shm.DropNone {
			return
		}
		n = slot.ValuesLenBytes()
		ok = slot.ReadEnd(word) == shm.DropNone
	})
	return n, ok && err == nil
}

func (r *headerRing) close() { _ = r.region.Close() }

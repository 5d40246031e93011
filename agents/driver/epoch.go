package driver

import (
	"cmp"
	"slices"
)

// nextEpoch returns the epoch after prev. Epochs come from the driver's
// monotonic clock so that a restarted driver (which forgot prev) still moves
// every stream forward (Driver spec §10); floor is the highest epoch known
// from an earlier run (found on disk), and the +1 keeps epochs strictly
// increasing when the clock has not advanced.
func nextEpoch(prev, floor, nowNs uint64) uint64 {
	return max(prev+1, floor+1, nowNs)
}

// EpochDir is one epoch directory of a stream found on disk.
type EpochDir struct {
	Epoch uint64
	// CreatedNs is when the epoch started (recorded, or the directory
	// mtime), on the clock of nowNs.
	CreatedNs uint64
}

// EpochsToCollect picks the epoch directories that epoch GC deletes. It
// keeps the current epoch and the keep-1 newest epochs below it, counting
// epochs rather than comparing epoch values: epochs are clock readings, so
// "current - (keep-1)" would keep only the current one. Directories younger
// than minAgeNs are kept too, so clients still mapping a just-replaced
// epoch are not pulled out from under. A current of 0 (stream not
// provisioned in this run, e.g. GC at startup) means the newest directory.
// dirs is reordered; the result is appended to dst.
func EpochsToCollect(dirs []EpochDir, current uint64, keep uint32, minAgeNs, nowNs uint64, dst []uint64) []uint64 {
	slices.SortFunc(dirs, func(a, b EpochDir) int { return cmp.Compare(b.Epoch, a.Epoch) })
	if current == 0 && len(dirs) > 0 {
		current = dirs[0].Epoch
	}
	olderKept := uint32(0)
	for _, d := range dirs {
		if d.Epoch == current {
			continue
		}
		if d.Epoch < current && olderKept+1 < keep {
			olderKept++
			continue
		}
		age := uint64(0)
		if nowNs > d.CreatedNs {
			age = nowNs - d.CreatedNs
		}
		if age >= minAgeNs {
			dst = append(dst, d.Epoch)
		}
	}
	return dst
}

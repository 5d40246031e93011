package driver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/tensorpool/tensorpool/wire"
)

func TestNextEpochIsStrictlyIncreasing(t *testing.T) {
	tests := []struct {
		prev, floor, now, want uint64
	}{
		{0, 0, 0, 1},          // first epoch with a clock at zero
		{0, 0, 500, 500},      // first epoch is the clock
		{500, 0, 500, 501},    // clock did not move
		{500, 0, 900, 900},    // clock moved
		{900, 0, 100, 901},    // clock went back (never below prev+1)
		{0, 7000, 500, 7001},  // epoch found on disk from an earlier run
		{8000, 7000, 1, 8001}, // floor below prev is irrelevant
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, nextEpoch(tt.prev, tt.floor, tt.now), "%+v", tt)
	}
}

// TestDriverSpec_17_EpochGCKeepsCount: policies.epoch_gc_keep counts epochs
// (current + keep-1 older), although epochs are clock values. The reference
// computed current-(keep-1) and so kept only the current epoch.
func TestDriverSpec_17_EpochGCKeepsCount(t *testing.T) {
	// Clock-valued epochs, one second apart, all old enough.
	dirs := func() []EpochDir {
		return []EpochDir{
			{Epoch: 1_000_000_000}, {Epoch: 4_000_000_000}, {Epoch: 2_000_000_000}, {Epoch: 3_000_000_000},
		}
	}
	const now, minAge = 10 * second, 3 * second
	tests := []struct {
		name    string
		current uint64
		keep    uint32
		dirs    []EpochDir
		want    []uint64
	}{
		{"keep 2 keeps the current and one older", 4 * second, 2, dirs(), []uint64{2 * second, 1 * second}},
		{"keep 1 keeps only the current", 4 * second, 1, dirs(), []uint64{3 * second, 2 * second, 1 * second}},
		{"keep larger than the directories collects nothing", 4 * second, 9, dirs(), nil},
		{"current 0 (startup) treats the newest as current", 0, 2, dirs(), []uint64{2 * second, 1 * second}},
		{"epochs above current (earlier boot) are not kept by count", 2 * second, 2, dirs(), []uint64{4 * second, 3 * second}},
		{"young directories survive", 4 * second, 1, []EpochDir{
			{Epoch: 4 * second, CreatedNs: 9 * second},
			{Epoch: 3 * second, CreatedNs: 8 * second}, // age 2 s < 3 s
			{Epoch: 2 * second, CreatedNs: 7 * second}, // age exactly 3 s
		}, []uint64{2 * second}},
		{"no directories", 4 * second, 2, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, EpochsToCollect(tt.dirs, tt.current, tt.keep, minAge, now, nil))
		})
	}
}

// TestDriverSpec_10_EpochAboveEarlierRun: after a restart the first epoch of
// a stream lies above every epoch left on disk, even if the clock is lower.
func TestDriverSpec_10_EpochAboveEarlierRun(t *testing.T) {
	c := newTestCore(t)
	c.RecordEpochOnDisk(camStream, 9_000)
	c.RecordEpochOnDisk(camStream, 5_000) // lower records do not lower the floor
	resp := attach(t, c, request(camStream, 1, wire.RoleConsumer), 100)
	assert.Equal(t, uint64(9_001), resp.Epoch)
}

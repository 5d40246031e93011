//go:build !race

package main

import (
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/shm"
)

// TestInspectReportsTornReads reads a header ring through its own read-only mapping, as
// tp inspect does, while a producer rewrites the slots with plain stores. Every slot
// inspect reports as committed must be one whole frame, and slots that changed while
// being read must show up as torn. The writer and reader race by design, so the race
// detector would report them; this test is built without -race.
func TestInspectReportsTornReads(t *testing.T) {
	path, _, ring := newHeaderRing(t)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	mapping, err := shm.MapFile(f, 64+ringSlots*shm.HeaderSlotSize, shm.ReadOnly)
	require.NoError(t, err)
	defer mapping.Close()
	view, err := shm.NewHeaderRing(mapping.Bytes(), ringSlots)
	require.NoError(t, err)

	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for seq := uint64(ringSlots); !stop.Load(); seq++ {
			writeFrame(ring, seq, true)
		}
	}()
	defer func() {
		stop.Store(true)
		wg.Wait()
	}()

	var torn, whole int
	deadline := time.Now().Add(10 * time.Second)
	for (torn == 0 || whole == 0) && time.Now().Before(deadline) {
		report, err := readSlots(view, mapping.Bytes(), ringSlots)
		require.NoError(t, err)
		for _, s := range report.Slots {
			switch {
			case s.Torn:
				torn++
			case s.Committed:
				whole++
				require.Equal(t, expectedSlot(s.Seq, true), s, "a committed slot mixes frames")
			}
		}
	}
	require.NotZero(t, torn, "no torn read seen in 10 s")
	require.NotZero(t, whole, "no whole frame read in 10 s")
	t.Logf("torn %d, whole %d", torn, whole)
}

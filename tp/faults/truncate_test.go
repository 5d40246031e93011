package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Issue 13.2: the payload pool file is truncated under a running producer process. Its
// next frame faults (SIGBUS on the lost pages): the producer gets tp.ErrRegionFault, not
// a crash, gives the lease back and reattaches (or the driver, finding the epoch lost at
// its next announce, revokes the lease first); the consumer then reads its frames on a
// new epoch, byte for byte.
func TestFault_RegionTruncatedUnderTheProducer(t *testing.T) {
	s := newSetup(t)
	s.startDriver(t)
	consumer := s.startChild(t, "consumer", nil)
	producer := s.startChild(t, "producer", nil)
	consumer.until("100 frames", func(f []frameSeen) bool { return len(f) >= 100 })
	oldEpoch := consumer.seen()[0].epoch

	pools, _ := filepath.Glob(filepath.Join(s.base, "*", "*", fmt.Sprintf("epoch-%d", oldEpoch), "payload-1.pool"))
	if len(pools) != 1 {
		t.Fatalf("payload pools of epoch %d under %s: %v", oldEpoch, s.base, pools)
	}
	if err := os.Truncate(pools[0], 0); err != nil {
		t.Fatal(err)
	}
	truncated := time.Now()
	var firstNew frameSeen
	consumer.until("100 frames of a new epoch", func(frames []frameSeen) bool {
		n := 0
		for _, f := range frames {
			if f.epoch != oldEpoch {
				if n == 0 {
					firstNew = f
				}
				n++
			}
		}
		return n >= 100
	})
	pstats := producer.finish()
	consumer.finish()
	if pstats["lease_losses"] == 0 {
		t.Fatalf("the producer kept its lease on the truncated epoch: %v", pstats)
	}
	lastOld := uint64(0)
	for _, f := range consumer.seen() {
		if f.epoch == oldEpoch {
			lastOld = f.counter
		}
	}
	t.Logf("pool truncated under the producer: frames again on epoch %d %v after the truncation; "+
		"%d region faults; %d frames offered were lost", firstNew.epoch, firstNew.at.Sub(truncated),
		pstats["region_faults"], firstNew.counter-lastOld-1)
}

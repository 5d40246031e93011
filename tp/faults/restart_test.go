package faults

import (
	"syscall"
	"testing"
	"time"
)

// Issue 13.1: tp-driver is killed (-9) under a running producer process and consumer
// process, and restarted. Both learn of it at their next keepalive (the new run revokes
// the lease it does not know), drop the old epoch's mappings and reattach on their own;
// the consumer then reads the producer's frames of the new epoch only, byte for byte.
func TestFault_DriverKilledAndRestarted(t *testing.T) {
	s := newSetup(t)
	driver := s.startDriver(t)
	consumer := s.startChild(t, "consumer", nil)
	producer := s.startChild(t, "producer", nil)
	consumer.until("100 frames", func(f []frameSeen) bool { return len(f) >= 100 })
	oldEpoch := consumer.seen()[0].epoch

	driver.kill(syscall.SIGKILL, 10*time.Second)
	killed := time.Now()
	before := len(consumer.seen())
	restarted := s.startDriver(t)
	ready := time.Now()
	var firstNew frameSeen
	consumer.until("100 frames of a new epoch", func(frames []frameSeen) bool {
		n := 0
		for _, f := range frames[before:] {
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
	cstats := consumer.finish()
	restarted.kill(syscall.SIGTERM, 10*time.Second)

	frames := consumer.seen()
	// Never two producers: once the new epoch shows, the old one never does again, and the
	// counter only goes up.
	newEpoch := firstNew.epoch
	lastOld := uint64(0)
	for i, f := range frames {
		switch {
		case f.epoch != oldEpoch && f.epoch != newEpoch:
			t.Fatalf("frame %d from epoch %d: neither the first run's %d nor the second's %d", f.counter, f.epoch, oldEpoch, newEpoch)
		case i > 0 && f.counter <= frames[i-1].counter:
			t.Fatalf("frame %d (epoch %d) after frame %d (epoch %d)", f.counter, f.epoch, frames[i-1].counter, frames[i-1].epoch)
		case f.epoch == oldEpoch && f.at.After(firstNew.at):
			t.Fatalf("frame %d of the old epoch after the new epoch began", f.counter)
		case f.epoch == oldEpoch:
			lastOld = f.counter
		}
	}
	if newEpoch <= oldEpoch {
		t.Fatalf("epoch %d after the restart, %d before", newEpoch, oldEpoch)
	}
	if pstats["lease_losses"] < 1 || cstats["lease_losses"] < 1 {
		t.Fatalf("lease losses: producer %d, consumer %d; want each to have lost the dead run's lease", pstats["lease_losses"], cstats["lease_losses"])
	}
	lost := firstNew.counter - lastOld - 1
	missing := pstats["sent"] - uint64(len(frames))
	t.Logf("driver restart: new driver ready %v after the kill; first frame of epoch %d %v after the kill (%v after ready); "+
		"%d frames offered in the dead run's epoch after its last one read were lost; %d of %d sent never arrived in all",
		ready.Sub(killed), newEpoch, firstNew.at.Sub(killed), firstNew.at.Sub(ready), lost, missing, pstats["sent"])
}

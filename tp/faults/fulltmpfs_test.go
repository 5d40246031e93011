package faults

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/internal/tmpfstest"
)

// fillUp writes a file of zeros in dir until the filesystem is full, and returns it.
func fillUp(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return path
			}
			t.Fatal(err)
		}
	}
}

// Issue 13.2: the tmpfs under a running producer process fills up while its epoch's
// files are sparse (prefault_shm = false): the producer's next frame on a page not yet
// backed faults (SIGBUS). It gets tp.ErrRegionFault, not a crash, and gives its lease
// back; its attaches are refused (no space) until space is free again, when it gets a new
// epoch and the consumer reads its frames again, byte for byte.
func TestFault_FullTmpfsUnderTheProducer(t *testing.T) {
	base := filepath.Join(tmpfstest.Mount(t, "16m"), "shm")
	s := newSetupWith(t, setupConfig{base: base, slots: 1024, policies: "prefault_shm = false"})
	s.startDriver(t)
	consumer := s.startChild(t, "consumer", nil)
	producer := s.startChild(t, "producer", nil)
	consumer.until("100 frames", func(f []frameSeen) bool { return len(f) >= 100 })
	oldEpoch := consumer.seen()[0].epoch

	filler := fillUp(t, filepath.Dir(base))
	filled := time.Now()
	faulted := producer.waitLog("fault ")
	time.Sleep(500 * time.Millisecond) // attaches refused meanwhile: no space
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
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
	if pstats["region_faults"] == 0 || pstats["lease_losses"] == 0 {
		t.Fatalf("producer: %v; want a region fault and a lease given back", pstats)
	}
	t.Logf("tmpfs full under the producer: its frame faulted %v after the fill; frames again on epoch %d %v after space was freed; %d region faults",
		faulted.Sub(filled), firstNew.epoch, firstNew.at.Sub(freed), pstats["region_faults"])
}

package producer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tensorpool/tensorpool/shm"
)

// A payload pool file truncated under a producer's mapping (SIGBUS on the next write of
// the lost pages) ends the call with ErrRegionFault, not the process: the fault names the
// file, the epoch is dead for every later call, and the Controller's activity refresh,
// which writes the superblocks, survives a truncated header ring alike.
func TestTruncatedRegionIsARegionFault(t *testing.T) {
	l := testLayout()
	regions, err := CreateStandalone(StandaloneConfig{BaseDir: t.TempDir(), Namespace: "ns", InstanceID: "p", Layout: l})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { regions.Close() })
	clock := &fakeClock{now: 1}
	p, err := New(regions, Config{Clock: clock.Now, Descriptors: newPipe(t)})
	if err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 3000)
	if r := p.Offer(payload, vector(len(payload))); r != OK && r != DropNotConnected {
		t.Fatalf("Offer before the truncation: %v", r)
	}
	pool := filepath.Join(regions.EpochDir(), "payload-1.pool")
	if err := os.Truncate(pool, 0); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if r := p.Offer(payload, vector(len(payload))); r != ErrRegionFault {
			t.Fatalf("Offer into a truncated pool: %v, want ErrRegionFault", r)
		}
	}
	fault := p.Fault()
	if fault == nil || !errors.Is(fault, shm.ErrRegionFault) || !strings.HasSuffix(fault.Path, "payload-1.pool") {
		t.Fatalf("fault %v", fault)
	}
	if _, r := p.Claim(10); r != ErrRegionFault {
		t.Fatalf("Claim in a dead epoch: %v", r)
	}
	if got := p.FrameCounters().Results[ErrRegionFault]; got != 3 {
		t.Fatalf("ErrRegionFault counted %d times, want 3", got)
	}

	q, err := New(regions, Config{Clock: clock.Now, Descriptors: newPipe(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(regions.EpochDir(), "header.ring"), 0); err != nil {
		t.Fatal(err)
	}
	q.Controller().RefreshActivity(2)
	if q.Fault() == nil || !strings.HasSuffix(q.Fault().Path, "header.ring") {
		t.Fatalf("activity refresh of a truncated ring: fault %v", q.Fault())
	}
	if r := q.Offer(payload, vector(len(payload))); r != ErrRegionFault {
		t.Fatalf("Offer after the refresh faulted: %v", r)
	}
}

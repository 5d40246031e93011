package faults

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/tp"
)

// maxGap is the longest time between two frames a consumer read in [from, to), and when
// it began.
func maxGap(frames []frameSeen, from, to time.Time) (gap time.Duration, began time.Time) {
	last := from
	for _, f := range frames {
		if f.at.Before(from) || !f.at.Before(to) {
			continue
		}
		if d := f.at.Sub(last); d > gap {
			gap, began = d, last
		}
		last = f.at
	}
	if d := to.Sub(last); d > gap {
		gap, began = d, last
	}
	return gap, began
}

// Issue 13.3: one consumer process is paused (SIGSTOP) for 8 s, more than twice its
// lease (3 s, the default), while the producer publishes (on a media driver of its own
// with Aeron's default 10 s client liveness timeout, past which the paused client would
// be dead; its timer interval the 100 ms of the drivers tensorpool starts). The other
// consumer is never without frames as long as that lease: its
// descriptor subscription and the paused one's are untethered, so the paused one holds
// the producer back only until the descriptor stream's untethered limits drop it
// (controlplane.DescriptorLimits), and its lease expires (the driver revokes it).
// Continued, it reattaches and reads again.
func TestFault_PausedConsumerDoesNotStopTheOthers(t *testing.T) {
	s := newSetupWith(t, setupConfig{
		aeronDir:       drivertest.Start(t, map[string]string{"aeron.client.liveness.timeout": "10s", "aeron.timer.interval": "100ms"}).Dir(),
		graceIntervals: 30,
	})
	s.startDriver(t)
	healthy := s.startChild(t, "consumer", nil)
	paused := s.startChild(t, "consumer", nil)
	producer := s.startChild(t, "producer", nil)
	healthy.until("100 frames", func(f []frameSeen) bool { return len(f) >= 100 })
	paused.until("100 frames", func(f []frameSeen) bool { return len(f) >= 100 })

	paused.signal(syscall.SIGSTOP)
	stopped := time.Now()
	time.Sleep(8 * time.Second)
	paused.signal(syscall.SIGCONT)
	continued := time.Now()
	gap, gapBegan := maxGap(healthy.seen(), stopped, continued)
	during := 0
	for _, f := range healthy.seen() {
		if f.at.After(stopped) && f.at.Before(continued) {
			during++
		}
	}
	before := len(paused.seen())
	paused.until("frames again after SIGCONT", func(f []frameSeen) bool { return len(f) >= before+100 })
	resumed := paused.seen()[before].at

	pstats := producer.finish()
	hstats := healthy.finish()
	sstats := paused.finish()
	lastPart := 0
	for _, f := range healthy.seen() {
		if f.at.After(continued.Add(-2*time.Second)) && f.at.Before(continued) {
			lastPart++
		}
	}
	if gap >= s.lease || lastPart == 0 {
		t.Fatalf("the healthy consumer received nothing for %v from %v after the SIGSTOP, the paused one's lease being %v (%d frames in the %v pause, %d in its last 2 s)",
			gap, gapBegan.Sub(stopped), s.lease, during, continued.Sub(stopped), lastPart)
	}
	if hstats["lease_losses"] != 0 {
		t.Fatalf("the healthy consumer lost its lease %d times", hstats["lease_losses"])
	}
	t.Logf("paused consumer: the healthy one read %d frames in the %v pause, longest gap %v from %v after the SIGSTOP (lease %v); producer sent %d; "+
		"the paused one lost %d leases and read again %v after SIGCONT",
		during, continued.Sub(stopped), gap, gapBegan.Sub(stopped), s.lease, pstats["sent"], sstats["lease_losses"], resumed.Sub(continued))
}

// A consumer process paused (SIGSTOP) for 2 s, shorter than its lease (3 s), while the
// producer publishes about 1,000 frames a second on 64 KiB terms, falls more than a
// publication window behind another consumer on the descriptor stream, and the media
// driver drops its untethered subscription. It keeps its lease, so
// it does not subscribe afresh: its image comes back after the stream's untethered
// resting timeout (controlplane.DescriptorLimits), which bounds how long after SIGCONT it
// reads nothing. Aeron's default (10 s) would leave it blind for over three leases.
func TestFault_ConsumerPausedForLessThanItsLeaseReadsAgainSoon(t *testing.T) {
	s := newSetupWith(t, setupConfig{
		aeronDir:       drivertest.Start(t, map[string]string{"aeron.client.liveness.timeout": "10s", "aeron.timer.interval": "100ms"}).Dir(),
		graceIntervals: 30,
		channel:        "aeron:ipc?term-length=64k",
	})
	s.startDriver(t)
	healthy := s.startChild(t, "consumer", nil)
	paused := s.startChild(t, "consumer", nil)
	producer := s.startChild(t, "producer", nil)
	healthy.until("100 frames", func(f []frameSeen) bool { return len(f) >= 100 })
	paused.until("100 frames", func(f []frameSeen) bool { return len(f) >= 100 })

	paused.signal(syscall.SIGSTOP)
	time.Sleep(2 * time.Second)
	paused.signal(syscall.SIGCONT)
	continued := time.Now()
	before := len(paused.seen())
	// Frames read soon after SIGCONT may be the last ones of the window it held; wait
	// for more than a window's worth, so the gap is the rejoined image's.
	paused.until("frames again after SIGCONT", func(f []frameSeen) bool { return len(f) >= before+2000 })
	frames := paused.seen()
	gap, gapBegan := maxGap(frames, continued, frames[len(frames)-1].at)
	pstats := producer.finish()
	healthy.finish()
	sstats := paused.finish()
	if sstats["lease_losses"] != 0 {
		t.Fatalf("the consumer lost its lease %d times in a pause shorter than it", sstats["lease_losses"])
	}
	if gap >= s.lease {
		t.Fatalf("after SIGCONT the consumer read nothing for %v from %v after it (lease %v)", gap, gapBegan.Sub(continued), s.lease)
	}
	t.Logf("paused 2 s: longest gap after SIGCONT %v from %v after it (lease %v); producer sent %d", gap, gapBegan.Sub(continued), s.lease, pstats["sent"])
}

// Wire spec §15.1: a consumer that attaches while the stream's producer is paused
// (SIGSTOP) for longer than the freshness window (3 s), within its lease and its Aeron
// client's liveness timeout, is granted regions whose activity timestamp is stale. It
// ignores them as it would a stale announce and waits, rather than failing the attach;
// once the producer continues and refreshes them, it starts and reads its frames.
func TestFault_ConsumerAttachingWhileTheProducerIsPausedWaitsForIt(t *testing.T) {
	s := newSetupWith(t, setupConfig{
		// The pause, 7-8 s, within a 12 s lease and a 10 s Aeron client liveness timeout
		// (Aeron wants it below its publication unblock timeout, 15 s by default).
		aeronDir:       drivertest.Start(t, map[string]string{"aeron.client.liveness.timeout": "10s", "aeron.timer.interval": "100ms"}).Dir(),
		graceIntervals: 120,
	})
	s.startDriver(t)
	producer := s.startChild(t, "producer", nil)
	first := s.startChild(t, "consumer", nil)
	first.until("100 frames", func(f []frameSeen) bool { return len(f) >= 100 })

	producer.signal(syscall.SIGSTOP)
	time.Sleep(4 * time.Second) // past the freshness window
	// An attach whose deadline ends first says the regions are stale.
	spec := s.spec("consumer")
	c, err := tp.Connect(context.Background(), spec.clientOptions())
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), time.Second)
	_, err = c.NewConsumer(short, testStream, func(*tp.Frame) {})
	cancel()
	c.Close()
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "activity timestamp is stale") {
		t.Fatalf("an attach that timed out on stale regions: %v; want its deadline, naming the stale regions", err)
	}
	continued := make(chan time.Time, 1)
	go func() {
		time.Sleep(2 * time.Second) // while the late consumer waits on the stale grant
		producer.signal(syscall.SIGCONT)
		continued <- time.Now()
	}()
	late := s.startChild(t, "consumer", nil) // returns once its consumer started
	ready := time.Now()
	resumed := <-continued
	late.until("100 frames", func(f []frameSeen) bool { return len(f) >= 100 })
	producer.finish()
	first.finish()
	if st := late.finish(); st["lease_losses"] != 0 {
		t.Fatalf("the late consumer lost %d leases", st["lease_losses"])
	}
	t.Logf("the late consumer started %v after SIGCONT, its first frame %v after it", ready.Sub(resumed), late.seen()[0].at.Sub(resumed))
}

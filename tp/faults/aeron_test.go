package faults

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
)

// Issue 13.5: the media driver is killed (-9) under a running producer process and
// consumer process. Each learns that its Aeron client is dead (after Aeron's driver
// timeout, 10 s), and its frame path fails with tp.ErrAeronLost, which Client.Err
// reports too; neither hangs nor crashes, and each closes and exits.
func TestFault_MediaDriverLost(t *testing.T) {
	md := drivertest.Start(t, nil)
	s := newSetupOn(t, md.Dir())
	s.startDriver(t)
	consumer := s.startChild(t, "consumer", nil)
	producer := s.startChild(t, "producer", nil)
	consumer.until("100 frames", func(f []frameSeen) bool { return len(f) >= 100 })

	if err := md.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for _, c := range []*child{producer, consumer} {
		at := c.waitLog("terminal ")
		stats := c.finish()
		line := c.out.String()[strings.Index(c.out.String(), "terminal "):]
		line = line[:strings.IndexByte(line, '\n')]
		if !strings.Contains(line, "Aeron client is dead") {
			t.Fatalf("%s: %s", c.name, line)
		}
		t.Logf("media driver killed: %s saw %q %v after the kill; closed in %d ms", c.name, line, at.Sub(killed), stats["close_ms"])
	}
}

// Issue 13.5, "tp can reconnect when asked": the media driver is killed (-9) under a
// producer process and a consumer process that call Client.Reconnect when their frame
// path reports tp.ErrAeronLost. Reconnect fails (ErrAeronLost) while there is no media
// driver; a new one is started on the same directory, with a new tp-driver (the old one
// exits with its media driver), and frames flow again, checked byte for byte, through the
// same Producer and Consumer handles.
func TestFault_ReconnectAfterTheMediaDriverIsReplaced(t *testing.T) {
	md := drivertest.Start(t, nil)
	s := newSetupOn(t, md.Dir())
	driver := s.startDriver(t)
	reconnecting := func(spec *childSpec) { spec.Reconnect = true }
	consumer := s.startChild(t, "consumer", reconnecting)
	producer := s.startChild(t, "producer", reconnecting)
	consumer.until("100 frames", func(f []frameSeen) bool { return len(f) >= 100 })

	if err := md.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for _, c := range []*child{producer, consumer} {
		at := c.waitLog("lost ")
		t.Logf("media driver killed: %s saw ErrAeronLost %v after the kill", c.name, at.Sub(killed).Round(time.Millisecond))
	}
	select {
	case <-driver.done:
	case <-time.After(waitTimeout):
		t.Fatal("tp-driver outlived its media driver")
	}
	before := consumer.seen()
	last := before[len(before)-1]

	// The children try to reconnect meanwhile, and fail: no media driver.
	time.Sleep(1500 * time.Millisecond)
	for _, c := range []*child{producer, consumer} {
		if strings.Contains(c.out.String(), "reconnected ") {
			t.Fatalf("%s reconnected without a media driver:\n%s", c.name, c.out)
		}
	}
	// The dead driver's CnC file would pass for a ready one (mediadriver.Start waits for a
	// heartbeat, not a fresh one); the new driver deletes the directory anyway.
	if err := os.RemoveAll(md.Dir()); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	md2, err := mediadriver.Start(mediadriver.Config{Dir: md.Dir(), Properties: drivertest.Properties(), StartTimeout: waitTimeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := md2.Close(); err != nil {
			t.Errorf("stopping the second media driver: %v", err)
		}
	})
	mdReady := time.Now()
	s.startDriver(t)
	driverReady := time.Now()
	for _, c := range []*child{producer, consumer} {
		c.waitLog("reconnected ")
	}
	consumer.until("frames after the reconnect", func(f []frameSeen) bool {
		n := 0
		for _, x := range f[len(before):] {
			if x.epoch != last.epoch && x.counter > last.counter {
				n++
			}
		}
		return n >= 100
	})
	var first frameSeen
	for _, x := range consumer.seen()[len(before):] {
		if x.epoch != last.epoch {
			first = x
			break
		}
	}
	pstats, cstats := producer.finish(), consumer.finish()
	took := func(c *child) string {
		out := c.out.String()
		line := out[strings.Index(out, "reconnected ")+len("reconnected "):]
		ms, _ := strconv.Atoi(line[:strings.IndexByte(line, '\n')])
		return (time.Duration(ms) * time.Millisecond).String()
	}
	t.Logf("new media driver ready %v after its start, tp-driver %v after that; Reconnect returned in the producer %s and the consumer %s after each saw ErrAeronLost; "+
		"first frame of the new epoch %d (counter %d) %v after the new media driver's start; producer sent %d, refused %d, lease losses %d; consumer read %d, lease losses %d",
		mdReady.Sub(begin).Round(time.Millisecond), driverReady.Sub(mdReady).Round(time.Millisecond), took(producer), took(consumer),
		first.epoch, first.counter, first.at.Sub(begin).Round(time.Millisecond),
		pstats["sent"], pstats["refused"], pstats["lease_losses"], cstats["frames"], cstats["lease_losses"])
	if pstats["lease_losses"] == 0 || cstats["lease_losses"] == 0 {
		t.Fatalf("the leases held over the dead media driver are not counted lost: producer %d, consumer %d", pstats["lease_losses"], cstats["lease_losses"])
	}
}

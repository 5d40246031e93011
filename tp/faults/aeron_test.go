package faults

import (
	"strings"
	"testing"
	"time"

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

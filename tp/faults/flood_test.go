package faults

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/transport"
)

// Issue 13.4: the control stream (64 KiB terms: a 32 KiB window) is flooded for 3 s with
// 4 KiB messages of a foreign schema, as fast as they are taken, so keepalives meet back
// pressure. A back-pressured keepalive is sent again on a later duty cycle, never
// fatal: the producer and consumer keep their leases (1 s without a keepalive ends one)
// and the frames keep flowing, byte for byte.
func TestFault_FloodedControlStream(t *testing.T) {
	s := newSetupWith(t, setupConfig{channel: "aeron:ipc?term-length=64k"})
	s.startDriver(t)
	consumer := s.startChild(t, "consumer", nil)
	producer := s.startChild(t, "producer", nil)
	consumer.until("100 frames", func(f []frameSeen) bool { return len(f) >= 100 })

	a, err := aeron.Connect(aeron.Config{Dir: s.aeronDir, IdleStrategy: agent.NewBackoff()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	pub, err := transport.Await(ctx, a.AddPublication(s.channel, s.control))
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, 4096)
	binary.LittleEndian.PutUint16(junk[0:], 4088) // block length
	binary.LittleEndian.PutUint16(junk[2:], 1)    // template id
	binary.LittleEndian.PutUint16(junk[4:], 0xBEEF)
	binary.LittleEndian.PutUint16(junk[6:], 1)
	var sent, pressed int
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		if pub.Offer(junk) > 0 {
			sent++
		} else {
			// Full: try again at once, as a busy peer would, yet not so hard that no
			// keepalive ever finds room (a stream that never has any would rightly end
			// every lease at its deadline).
			pressed++
			time.Sleep(20 * time.Microsecond)
		}
	}
	flooded := time.Now()
	before := len(consumer.seen())
	consumer.until("100 frames after the flood", func(f []frameSeen) bool { return len(f) >= before+100 })
	gap, _ := maxGap(consumer.seen(), start, flooded)
	pstats := producer.finish()
	cstats := consumer.finish()
	if pressed == 0 {
		t.Fatalf("the flood of %d messages never met back pressure: the control stream was not full", sent)
	}
	if pstats["lease_losses"] != 0 || cstats["lease_losses"] != 0 {
		t.Fatalf("leases lost under the flood: producer %d, consumer %d", pstats["lease_losses"], cstats["lease_losses"])
	}
	t.Logf("flooded control stream: %d messages of 4 KiB in 3 s (%.1f MB/s), %d offers back-pressured; leases kept; longest gap between frames %v",
		sent, float64(sent)*4096/3/1e6, pressed, gap)
}

//go:build aeronc && !race

// The allocation contracts of the data path: the race detector allocates, so they are
// built without -race only (scripts/test-aeronc.sh runs them in make test's pass without it).

package aeronc

import (
	"testing"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/transporttest"
)

// Offer, TryClaim with Commit and Abort, and Poll (whole messages, fragmented ones
// reassembled) allocate nothing on the Go side, through the transport interfaces.
func TestDataPathAllocatesNothing(t *testing.T) {
	for _, exclusive := range []bool{false, true} {
		t.Run(map[bool]string{false: "Concurrent", true: "Exclusive"}[exclusive], func(t *testing.T) {
			c := connect(t, drivertest.Dir(t), true, nil)
			stream := nextStream()
			var sub transport.Subscription = await(t, "add subscription", c.AddSubscription("aeron:ipc", stream))
			add := c.AddPublication
			if exclusive {
				add = c.AddExclusivePublication
			}
			var pub transport.Publication = await(t, "add publication", add("aeron:ipc", stream))
			eventually(t, "connected", func() bool { return pub.IsConnected() && sub.IsConnected() })
			var claim transport.Claim
			small, fragmented := pattern(64, 1), pattern(2*pub.MaxPayloadLength()+1, 2)
			received := 0
			handler := func(msg []byte, h *transport.Header) { received += len(msg) + int(h.Position&1) }
			run := func() {
				if pub.TryClaim(64, &claim) > 0 {
					copy(claim.Buffer(), small)
					claim.Commit()
				}
				if pub.TryClaim(8, &claim) > 0 {
					claim.Abort()
				}
				pub.Offer(small)
				pub.Offer(fragmented)
				sub.Poll(handler, 10)
				_ = pub.Position()
			}
			// Warm up until messages flow (the image may come after the connection) and
			// the reassembly buffer has grown.
			eventually(t, "messages received", func() bool { run(); return received > 0 })
			for range 100 {
				run()
			}

			if allocs := testing.AllocsPerRun(1000, run); allocs != 0 {
				t.Fatalf("offer, try-claim/commit/abort and poll allocated %.2f times per run", allocs)
			}
			if received == 0 {
				t.Fatal("nothing was received during the allocation run")
			}
		})
	}
}

// The conformance suite's allocation check, with the conductor in the caller's duty cycle
// and on the C client's thread.
func TestConformanceSteadyStateAllocs(t *testing.T) {
	for _, invoker := range []bool{true, false} {
		t.Run(map[bool]string{true: "Invoker", false: "ConductorThread"}[invoker], func(t *testing.T) {
			transporttest.SteadyStateAllocs(t, newClient(drivertest.Dir(t), invoker))
		})
	}
}

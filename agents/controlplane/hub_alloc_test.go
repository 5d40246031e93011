//go:build !race

// Allocation contracts: the race detector allocates, so these build without it only.

package controlplane

import (
	"testing"

	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

func TestDispatchAllocatesNothing(t *testing.T) {
	h := newHarness(t)
	n := 0
	r := h.hub.Route(control, Schema(wire.DriverSchemaID), func([]byte, wire.Header, *transport.Header) { n++ })
	h.until("ready", r.Ready)
	pub := h.publication(control)
	msg := message(901, 5)
	allocs := testing.AllocsPerRun(1000, func() {
		pub.Offer(msg)
		h.hub.DoWork(h.now)
	})
	if allocs != 0 || n == 0 {
		t.Fatalf("%v allocations per message (%d routed)", allocs, n)
	}
}

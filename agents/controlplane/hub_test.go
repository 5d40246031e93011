package controlplane

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/wire"
)

var control = Endpoint{Channel: "aeron:ipc", StreamID: 1000}

// message is an SBE header alone: enough for routing.
func message(schema, template uint16) []byte {
	b := make([]byte, wire.HeaderLength)
	binary.LittleEndian.PutUint16(b[2:], template)
	binary.LittleEndian.PutUint16(b[4:], schema)
	return b
}

type harness struct {
	t      *testing.T
	driver *mem.Driver
	client *mem.Client
	hub    *Hub
	now    clock.Mono
}

func newHarness(t *testing.T) *harness {
	d := mem.NewDriver(mem.Config{})
	c := d.Connect(mem.ClientConfig{UseInvoker: true})
	t.Cleanup(func() { _ = c.Close() })
	return &harness{t: t, driver: d, client: c, hub: New(c, Config{}), now: clock.Now()}
}

// cycle runs the client's conductor and the hub once.
func (h *harness) cycle() int {
	h.now = h.now.Add(time.Millisecond)
	return h.client.Conductor().DoWork(h.now) + h.hub.DoWork(h.now)
}

func (h *harness) publication(ep Endpoint) transport.Publication {
	h.t.Helper()
	p := h.client.AddPublication(ep.Channel, ep.StreamID)
	for range 100 {
		h.cycle()
		pub, err := p.Poll()
		if err == nil {
			return pub
		}
		if !errors.Is(err, transport.ErrPending) {
			h.t.Fatal(err)
		}
	}
	h.t.Fatal("publication never added")
	return nil
}

func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		h.cycle()
	}
	h.t.Fatalf("never: %s", what)
}

func TestOneSubscriptionPerStreamRoutesEveryMessageToEachInterestedRole(t *testing.T) {
	h := newHarness(t)
	var driverMsgs, controlMsgs, responses int
	a := h.hub.Route(control, Schema(wire.DriverSchemaID), func([]byte, wire.Header, *transport.Header) { driverMsgs++ })
	b := h.hub.Route(control, Schema(wire.ControlSchemaID), func([]byte, wire.Header, *transport.Header) { controlMsgs++ })
	c := h.hub.Route(control, Templates(wire.DriverSchemaID, 2, 7), func([]byte, wire.Header, *transport.Header) { responses++ })
	h.until("routes ready", func() bool { return a.Ready() && b.Ready() && c.Ready() })
	if n := len(h.hub.inbound); n != 1 {
		t.Fatalf("%d subscriptions for three routes on one stream, want 1", n)
	}
	pub := h.publication(control)
	for _, m := range [][]byte{message(901, 1), message(901, 2), message(901, 7), message(900, 4), message(910, 1), {1, 2}} {
		if pub.Offer(m) < 0 {
			t.Fatal("offer failed")
		}
	}
	h.until("all read", func() bool { return h.hub.Counters().Messages == 6 })
	if driverMsgs != 3 || controlMsgs != 1 || responses != 2 {
		t.Fatalf("routed driver %d, control %d, responses %d; want 3, 1, 2", driverMsgs, controlMsgs, responses)
	}
	got := h.hub.Counters()
	if got.Unrouted != 1 || got.Malformed != 1 || got.Routed != 6 {
		t.Fatalf("counters %+v: want 1 unrouted (schema 910), 1 malformed (2 bytes), 6 deliveries", got)
	}
}

func TestClosingTheLastRouteClosesTheSubscription(t *testing.T) {
	h := newHarness(t)
	a := h.hub.Route(control, Schema(wire.DriverSchemaID), func([]byte, wire.Header, *transport.Header) {})
	var closedInside *Route
	b := h.hub.Route(control, Schema(wire.DriverSchemaID), func([]byte, wire.Header, *transport.Header) {
		closedInside.Close() // a route may close itself from inside its Func
	})
	closedInside = b
	h.until("ready", a.Ready)
	pub := h.publication(control)
	pub.Offer(message(901, 1))
	h.until("read", func() bool { return h.hub.Counters().Messages == 1 })
	h.cycle()
	if n := len(h.hub.inbound[control].routes); n != 1 {
		t.Fatalf("%d routes after one closed itself, want 1", n)
	}
	a.Close()
	h.cycle()
	if _, ok := h.hub.inbound[control]; ok {
		t.Fatal("the subscription outlived its last route")
	}
	h.until("publication sees no subscriber", func() bool { return !pub.IsConnected() })
}

func TestRefusedSubscriptionIsRetried(t *testing.T) {
	h := newHarness(t)
	h.client.FailAdds(errors.New("refused"))
	var reported []error
	h.hub.onError = func(err error) { reported = append(reported, err) }
	r := h.hub.Route(control, Schema(wire.DriverSchemaID), func([]byte, wire.Header, *transport.Header) {})
	h.cycle()
	h.cycle()
	if r.Ready() || len(reported) != 1 || h.hub.Counters().AddErrors != 1 {
		t.Fatalf("ready %v, %d errors reported (%v)", r.Ready(), len(reported), reported)
	}
	h.client.FailAdds(nil)
	h.now = h.now.Add(retryDelay)
	h.until("retried", r.Ready)
}

func TestSharedPublicationIsReferenceCounted(t *testing.T) {
	h := newHarness(t)
	o1 := h.hub.Publication(control)
	o2 := h.hub.Publication(control)
	if o1 != o2 {
		t.Fatal("two publications on one endpoint")
	}
	h.until("added", func() bool { return o1.Pub() != nil })
	o1.Release()
	h.cycle()
	if o2.Pub() == nil {
		t.Fatal("released while a reference remained")
	}
	o2.Release()
	h.cycle()
	if _, ok := h.hub.outbound[control]; ok {
		t.Fatal("the publication outlived its last reference")
	}
}

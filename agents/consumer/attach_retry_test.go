package consumer

import (
	"testing"

	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// A leased consumer whose attach was refused because its stream did not exist yet (no
// producer had created it) attaches again as soon as the driver announces the stream,
// not after its backoff (up to 2 s of a new producer's frames missed). The clock stands
// still throughout, so only the announce can bring the retry; another stream's does not.
func TestAgentRetriesItsAttachWhenTheDriverAnnouncesItsStream(t *testing.T) {
	base := t.TempDir()
	regions := standalone(t, base, 3) // stream 7
	r := newAgentRig(t)
	driverSide := r.subscription(controlEP)
	control := r.publication(controlEP)
	a, err := NewAgent(AgentConfig{Consumer: Config{StreamID: 7, ConsumerID: 9, AllowedBaseDirs: []string{base}, Clock: r.clock.Now},
		Control: controlEP, Descriptors: sharedEP, Lease: true}, func(*Frame) {})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.proc.Add(a); err != nil {
		t.Fatal(err)
	}
	// attaches reads the attach requests sent since the last call.
	attaches := func() (n int, last int64) {
		r.cycles(5)
		driverSide.Poll(func(buf []byte, _ *transport.Header) {
			if h, _ := wire.PeekHeader(buf); h.ID() != wire.ShmAttachRequestID {
				return
			}
			var req wire.ShmAttachRequest
			if err := req.Decode(buf); err != nil {
				t.Fatal(err)
			}
			n, last = n+1, req.CorrelationID
		}, 100)
		return n, last
	}
	n, corr := attaches()
	if n != 1 {
		t.Fatalf("%d attach requests, want 1", n)
	}
	refusal := driver.Rejection(corr, wire.CodeRejected, "stream 7 is not provisioned (publishMode REQUIRE_EXISTING)")
	if control.Offer(encoded(&refusal)) < 0 {
		t.Fatal("refusal not sent")
	}
	if n, _ := attaches(); n != 0 {
		t.Fatalf("%d attach requests during the backoff, with the clock standing still", n)
	}
	other, err := regions.Announce(5)
	if err != nil {
		t.Fatal(err)
	}
	other.StreamID = 8
	if control.Offer(encoded(&other)) < 0 {
		t.Fatal("announce not sent")
	}
	if n, _ := attaches(); n != 0 {
		t.Fatalf("%d attach requests after another stream's announce", n)
	}
	if control.Offer(announceBytes(t, regions, 5, uint64(r.clock.now))) < 0 {
		t.Fatal("announce not sent")
	}
	if n, _ := attaches(); n != 1 {
		t.Fatalf("%d attach requests after the stream's announce, want 1", n)
	}
	r.remove(a)
}

package consumer

import (
	"errors"
	"testing"

	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/shm"
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

// Wire spec §15.1: a grant whose regions' activity timestamp is outside the freshness
// window (a producer stopped, or dead with its lease not yet expired) is ignored like a
// stale announce, not fatal to the attach: the leased consumer is not started, says why,
// and starts on the next announce of the regions once they are live again.
func TestWireSpec_15_1_AStaleGrantIsWaitedOut(t *testing.T) {
	base := t.TempDir()
	regions := standalone(t, base, 3) // activity_timestamp_ns = rigNow
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
	started := func() (ready bool, err, last error) {
		r.cycles(5)
		done := make(chan struct{})
		r.proc.Do(func() { ready, err = a.Started(); last = a.LastRefusal(); close(done) })
		r.proc.DoWork()
		<-done
		return ready, err, last
	}
	r.cycles(5)
	var corr int64
	driverSide.Poll(func(buf []byte, _ *transport.Header) {
		var req wire.ShmAttachRequest
		if h, _ := wire.PeekHeader(buf); h.ID() == wire.ShmAttachRequestID && req.Decode(buf) == nil {
			corr = req.CorrelationID
		}
	}, 100)
	if corr == 0 {
		t.Fatal("no attach request")
	}
	ann, err := regions.Announce(5)
	if err != nil {
		t.Fatal(err)
	}
	r.clock.now += a.c.cfg.FreshnessNs + 1 // the regions' producer has been silent since rigNow
	grant := wire.ShmAttachResponse{CorrelationID: corr, Code: wire.CodeOK, LeaseID: 11, LeaseExpiryTimestampNs: uint64(r.clock.now) + 3e9,
		StreamID: ann.StreamID, Epoch: ann.Epoch, LayoutVersion: ann.LayoutVersion, HeaderNslots: ann.HeaderNslots,
		HeaderSlotBytes: ann.HeaderSlotBytes, MaxDims: shm.MaxDims, PayloadPools: ann.PayloadPools, HeaderRegionURI: ann.HeaderRegionURI}
	if control.Offer(encoded(&grant)) < 0 {
		t.Fatal("grant not sent")
	}
	ready, err, last := started()
	if ready || err != nil || !errors.Is(last, ErrStaleActivity) {
		t.Fatalf("after a stale grant: ready %v, err %v, last %v; want waiting, saying the regions are stale", ready, err, last)
	}
	if id := a.LeaseID(); id != 11 {
		t.Fatalf("lease %d, want the granted 11 kept", id)
	}
	hdr := headerBytes(t, regions)
	shm.StoreActivityTimestamp(hdr, uint64(r.clock.now)) // the producer runs again
	if control.Offer(announceBytes(t, regions, 5, uint64(r.clock.now))) < 0 {
		t.Fatal("announce not sent")
	}
	ready, err, last = started()
	if !ready || err != nil || last != nil {
		t.Fatalf("after an announce of live regions: ready %v, err %v, last %v; want started", ready, err, last)
	}
	r.remove(a)
}

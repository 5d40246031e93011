// Package transporttest is the one conformance test of package transport: Run checks a
// backend against the behaviour every role relies on, and every backend runs it in its
// own go test (transport/mem in memory, aeron against the Java media driver).
package transporttest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/transport"
)

// NewClient returns a new client of the backend under test, connected and healthy. The
// suite closes it, and runs its Conductor if it has one.
type NewClient func(t *testing.T) transport.Client

// Channel is the channel the suite uses.
const Channel = "aeron:ipc"

// Timeout bounds every wait of the suite.
const Timeout = 10 * time.Second

// streamBlock hands each Run its own range of stream ids, so runs against one driver
// (one per mode of a backend, say) do not see each other's messages.
var streamBlock atomic.Int32

// streams allocates stream ids to the tests of one Run.
type streams struct{ next atomic.Int32 }

func newStreams() *streams {
	s := &streams{}
	s.next.Store(7000 + 100*streamBlock.Add(1))
	return s
}

func (s *streams) id() int32 { return s.next.Add(1) }

// Run runs the conformance suite, each check a subtest.
func Run(t *testing.T, newClient NewClient) {
	ids := newStreams()
	tests := []struct {
		name string
		run  func(*testing.T, transport.Client, int32)
	}{
		{"AddsAreAsynchronousAndAwaitable", testAddsAreAsynchronousAndAwaitable},
		{"AwaitCancelsWhenItsContextEnds", testAwaitCancelsWhenItsContextEnds},
		{"CanceledAddIsClosed", testCanceledAddIsClosed},
		{"RefusedAddFails", testRefusedAddFails},
		{"OfferDeliversWholeMessagesByteForByte", testOfferDeliversWholeMessagesByteForByte},
		{"TryClaimCommitDeliversAndAbortDeliversNothing", testTryClaimCommitAndAbort},
		{"NotConnectedWithoutSubscriber", testNotConnectedWithoutSubscriber},
		{"BackPressuredWhenASubscriberLags", testBackPressuredWhenASubscriberLags},
		{"SubscriberPositionPassesOnlyHandledMessages", testPositionPassesOnlyHandledMessages},
		{"EverySubscriberReceivesEveryMessage", testEverySubscriberReceivesEveryMessage},
		{"ConcurrentPublicationsShareASessionExclusiveOnesDoNot", testSessions},
		{"ClosedResourcesAnswerClosed", testClosedResources},
		{"ClosedClientReportsErrAndClosesItsResources", testClosedClient},
		{"Counters", testCounters},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, start(t, newClient), ids.id()) })
	}
}

// SteadyStateAllocs checks that offer, try-claim/commit and poll allocate nothing once warm.
// The race detector allocates, so call it from a test file built with `//go:build !race`:
// make test runs every test of such files in its pass without -race.
func SteadyStateAllocs(t *testing.T, newClient NewClient) {
	testSteadyStateAllocatesNothing(t, start(t, newClient), newStreams().id())
}

// start makes a client, runs its conductor if the caller must, and closes both at cleanup.
func start(t *testing.T, newClient NewClient) transport.Client {
	t.Helper()
	c := newClient(t)
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("closing the client: %v", err)
		}
	})
	if conductor := c.Conductor(); conductor != nil {
		r := agent.NewRunner(conductor, agent.RunnerConfig{Idle: agent.NewBackoff()})
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := r.Close(); err != nil {
				t.Errorf("stopping the conductor: %v", err)
			}
		})
	}
	return c
}

func await[T any](t *testing.T, what string, p transport.Pending[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	v, err := transport.Await(ctx, p)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	idle := agent.NewBackoff()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", Timeout, what)
		}
		idle.Idle(0)
	}
}

// pair adds a subscription and a publication (exclusive or not) on stream and waits until
// they are connected.
func pair(t *testing.T, c transport.Client, stream int32, exclusive bool) (transport.Publication, transport.Subscription) {
	t.Helper()
	sub := await(t, "add subscription", c.AddSubscription(Channel, stream))
	add := c.AddPublication
	if exclusive {
		add = c.AddExclusivePublication
	}
	pub := await(t, "add publication", add(Channel, stream))
	eventually(t, "publication connected", pub.IsConnected)
	eventually(t, "subscription connected", sub.IsConnected)
	return pub, sub
}

// received is a copy of a message and its header.
type received struct {
	msg    []byte
	header transport.Header
}

// collector keeps what a Handler was given.
type collector struct{ got []received }

func (c *collector) handler(msg []byte, h *transport.Header) {
	c.got = append(c.got, received{bytes.Clone(msg), *h})
}

// offer offers msg until it is appended, polling drain meanwhile so a subscriber in the
// same goroutine keeps up; it returns the new position.
func offer(t *testing.T, pub transport.Publication, msg []byte, drain func()) int64 {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		result := pub.Offer(msg)
		if result > 0 {
			return result
		}
		if result != transport.BackPressured && result != transport.AdminAction {
			t.Fatalf("offer of %d bytes: %s", len(msg), transport.ResultName(result))
		}
		if time.Now().After(deadline) {
			t.Fatalf("offer of %d bytes still %s after %v", len(msg), transport.ResultName(result), Timeout)
		}
		drain()
	}
}

// pattern is n bytes that differ per seed and position, the first 8 holding seed.
func pattern(n int, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*31 + i*7 + i>>8)
	}
	if n >= 8 {
		binary.LittleEndian.PutUint64(b, uint64(seed))
	}
	return b
}

func testAddsAreAsynchronousAndAwaitable(t *testing.T, c transport.Client, stream int32) {
	if err := c.Err(); err != nil {
		t.Fatalf("a new client reports %v", err)
	}
	subs := c.AddSubscription(Channel, stream)
	pubs := c.AddPublication(Channel, stream)
	// Polled by hand, as a duty cycle would: never blocks, ErrPending until answered.
	var sub transport.Subscription
	var pub transport.Publication
	eventually(t, "both adds answered", func() bool {
		if sub == nil {
			s, err := subs.Poll()
			if err != nil && !errors.Is(err, transport.ErrPending) {
				t.Fatalf("subscription: %v", err)
			}
			sub = s
		}
		if pub == nil {
			p, err := pubs.Poll()
			if err != nil && !errors.Is(err, transport.ErrPending) {
				t.Fatalf("publication: %v", err)
			}
			pub = p
		}
		return sub != nil && pub != nil
	})
	if again, err := pubs.Poll(); err != nil || again != pub {
		t.Fatalf("a second Poll of a completed add: %v, %v", again, err)
	}
	if sub.Channel() != Channel || sub.StreamID() != stream || pub.Channel() != Channel || pub.StreamID() != stream {
		t.Fatalf("subscription %s %d, publication %s %d", sub.Channel(), sub.StreamID(), pub.Channel(), pub.StreamID())
	}
	if pub.MaxPayloadLength() <= 0 || pub.MaxMessageLength() < pub.MaxPayloadLength() {
		t.Fatalf("max payload %d, max message %d", pub.MaxPayloadLength(), pub.MaxMessageLength())
	}
	excl := await(t, "add exclusive publication", c.AddExclusivePublication(Channel, stream))
	eventually(t, "two images", func() bool { return sub.ImageCount() == 2 })
	for _, closer := range []interface{ Close() error }{excl, pub, sub} {
		if err := closer.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func testAwaitCancelsWhenItsContextEnds(t *testing.T, c transport.Client, stream int32) {
	// An add answered within the instant between Add and the first Poll shows nothing;
	// try until the context's end is what Await sees.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 100 {
		p := c.AddSubscription(Channel, stream)
		sub, err := transport.Await(ctx, p)
		if err == nil {
			_ = sub.Close()
			continue
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		if _, err := p.Poll(); !errors.Is(err, transport.ErrCanceled) {
			t.Fatalf("Poll after Await gave up: %v, want ErrCanceled", err)
		}
		return
	}
	t.Fatal("every add was answered before its first poll")
}

func testCanceledAddIsClosed(t *testing.T, c transport.Client, stream int32) {
	pub := await(t, "add publication", c.AddPublication(Channel, stream))
	p := c.AddSubscription(Channel, stream)
	p.Cancel()
	p.Cancel() // harmless
	if _, err := p.Poll(); !errors.Is(err, transport.ErrCanceled) {
		t.Fatalf("Poll after Cancel: %v, want ErrCanceled", err)
	}
	// Whenever the subscription was made, it is closed: the publication loses it.
	eventually(t, "the canceled subscription is closed", func() bool { return !pub.IsConnected() })

	// Canceling an add after Poll handed the resource out leaves it to its owner.
	done := c.AddSubscription(Channel, stream)
	sub := await(t, "add subscription", done)
	done.Cancel()
	eventually(t, "the owned subscription connects", sub.IsConnected)
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
}

func testRefusedAddFails(t *testing.T, c transport.Client, stream int32) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if pub, err := transport.Await(ctx, c.AddPublication("aeron:bogus", stream)); err == nil || ctx.Err() != nil {
		t.Fatalf("a publication on aeron:bogus: %v, %v", pub, err)
	} else {
		t.Logf("refused: %v", err)
	}
	// The client stays usable.
	if err := c.Err(); err != nil {
		t.Fatalf("after a refused add: %v", err)
	}
	sub := await(t, "add subscription after a refusal", c.AddSubscription(Channel, stream))
	_ = sub.Close()
}

func testOfferDeliversWholeMessagesByteForByte(t *testing.T, c transport.Client, stream int32) {
	pub, sub := pair(t, c, stream, false)
	maxPayload, maxMessage := pub.MaxPayloadLength(), pub.MaxMessageLength()
	sizes := []int{0, 1, 31, 32, 100, maxPayload - 1, maxPayload, maxPayload + 1, 2*maxPayload + 7, maxMessage}
	var got collector
	drain := func() { sub.Poll(got.handler, 10) }
	var sent [][]byte
	var positions []int64
	for round := range 5 {
		for i, n := range sizes {
			msg := pattern(n, round*len(sizes)+i)
			positions = append(positions, offer(t, pub, msg, drain))
			sent = append(sent, msg)
		}
	}
	eventually(t, "every message received", func() bool { drain(); return len(got.got) >= len(sent) })
	if len(got.got) != len(sent) {
		t.Fatalf("received %d messages, sent %d", len(got.got), len(sent))
	}
	for i, r := range got.got {
		if !bytes.Equal(r.msg, sent[i]) {
			t.Fatalf("message %d (%d bytes) differs from the %d bytes sent", i, len(r.msg), len(sent[i]))
		}
		h := r.header
		if h.SessionID != pub.SessionID() || h.StreamID != stream || h.Position != positions[i] || h.ReservedValue != 0 {
			t.Fatalf("message %d header %+v, want session %d stream %d position %d", i, h, pub.SessionID(), stream, positions[i])
		}
		if i > 0 && positions[i] <= positions[i-1] {
			t.Fatalf("position %d after %d", positions[i], positions[i-1])
		}
	}
	if pub.Position() != positions[len(positions)-1] {
		t.Fatalf("publication at %d, last offer ended at %d", pub.Position(), positions[len(positions)-1])
	}
	if r := pub.Offer(make([]byte, maxMessage+1)); r != transport.PublicationError {
		t.Fatalf("offer beyond MaxMessageLength: %s", transport.ResultName(r))
	}
	var claim transport.Claim
	if r := pub.TryClaim(maxPayload+1, &claim); r != transport.PublicationError || claim.IsOpen() {
		t.Fatalf("claim beyond MaxPayloadLength: %s", transport.ResultName(r))
	}
}

func testTryClaimCommitAndAbort(t *testing.T, c transport.Client, stream int32) {
	pub, sub := pair(t, c, stream, true)
	var claim transport.Claim
	var positions []int64
	for i := range 10 {
		var position int64
		eventually(t, "claim", func() bool { position = pub.TryClaim(8+i, &claim); return position > 0 })
		if claim.Length() != 8+i || len(claim.Buffer()) != 8+i {
			t.Fatalf("claim of %d bytes: buffer of %d", 8+i, len(claim.Buffer()))
		}
		binary.LittleEndian.PutUint64(claim.Buffer(), uint64(i))
		claim.SetReservedValue(int64(-i))
		if i%2 == 1 {
			claim.Abort()
			continue
		}
		claim.Commit()
		positions = append(positions, position)
	}
	if claim.IsOpen() {
		t.Fatal("claim open after Commit")
	}
	last := pub.TryClaim(pub.MaxPayloadLength(), &claim)
	if last <= 0 {
		t.Fatalf("claim of MaxPayloadLength: %s", transport.ResultName(last))
	}
	copy(claim.Buffer(), pattern(pub.MaxPayloadLength(), 99))
	claim.Commit()

	var got collector
	eventually(t, "committed claims received", func() bool { sub.Poll(got.handler, 10); return len(got.got) >= 6 })
	for j, r := range got.got[:5] {
		i := 2 * j // only the committed ones, in order
		if len(r.msg) != 8+i || binary.LittleEndian.Uint64(r.msg) != uint64(i) ||
			r.header.ReservedValue != int64(-i) || r.header.Position != positions[j] || r.header.SessionID != pub.SessionID() {
			t.Fatalf("message %d: %d bytes, value %d, header %+v; want claim %d at %d", j, len(r.msg),
				binary.LittleEndian.Uint64(r.msg), r.header, i, positions[j])
		}
	}
	if r := got.got[5]; !bytes.Equal(r.msg, pattern(pub.MaxPayloadLength(), 99)) || r.header.Position != last {
		t.Fatal("the MaxPayloadLength claim arrived changed")
	}
	if n := sub.Poll(got.handler, 10); n != 0 || len(got.got) != 6 {
		t.Fatalf("aborted claims delivered something: %d more", len(got.got)-6)
	}
}

func testNotConnectedWithoutSubscriber(t *testing.T, c transport.Client, stream int32) {
	for _, add := range []func(string, int32) transport.Pending[transport.Publication]{c.AddPublication, c.AddExclusivePublication} {
		pub := await(t, "add publication", add(Channel, stream))
		if pub.IsConnected() {
			t.Fatal("connected without a subscriber")
		}
		if r := pub.Offer([]byte("nobody listens")); r != transport.NotConnected {
			t.Fatalf("offer without a subscriber: %s", transport.ResultName(r))
		}
		var claim transport.Claim
		if r := pub.TryClaim(8, &claim); r != transport.NotConnected || claim.IsOpen() {
			t.Fatalf("claim without a subscriber: %s", transport.ResultName(r))
		}
		if err := pub.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Once a subscriber is gone, its publication is not connected again.
	pub, sub := pair(t, c, stream, true)
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "publication not connected after its subscriber closed", func() bool {
		return !pub.IsConnected() && pub.Offer([]byte("gone")) == transport.NotConnected
	})
}

func testBackPressuredWhenASubscriberLags(t *testing.T, c transport.Client, stream int32) {
	pub, sub := pair(t, c, stream, false)
	msg := pattern(1000, 1)
	// A window is at most a term, a term at most 8 x MaxMessageLength.
	bound := 16*pub.MaxMessageLength()/len(msg) + 16
	sent := 0
	for {
		r := pub.Offer(msg)
		if r == transport.BackPressured {
			break
		}
		if r > 0 {
			sent++
		} else if r != transport.AdminAction {
			t.Fatalf("offer %d: %s", sent, transport.ResultName(r))
		}
		if sent > bound {
			t.Fatalf("%d messages of %d bytes sent and never back pressured", sent, len(msg))
		}
	}
	t.Logf("back pressured after %d messages at position %d", sent, pub.Position())
	received := 0
	eventually(t, "the subscriber drains the stream", func() bool {
		received += sub.Poll(func([]byte, *transport.Header) {}, 100)
		return received >= sent
	})
	eventually(t, "the publisher may go on", func() bool { return pub.Offer(msg) > 0 })
}

// handlerHold is how long the Handler of testPositionPassesOnlyHandledMessages holds the
// first message of a Poll, offering: far longer than a driver takes to move a publisher
// limit after a subscriber position moved.
const handlerHold = 250 * time.Millisecond

// testPositionPassesOnlyHandledMessages: while a Handler holds the first message of a Poll,
// the subscriber position has passed nothing it has not seen, so a publisher that the
// subscriber holds back (flow control) gets no room, however long it waits. A backend that
// counts a whole batch consumed before handing it on would let the publisher run up to a
// batch further ahead.
func testPositionPassesOnlyHandledMessages(t *testing.T, c transport.Client, stream int32) {
	pub, sub := pair(t, c, stream, false)
	msg := pattern(1000, 2)
	bound := 16*pub.MaxMessageLength()/len(msg) + 16
	sent := 0
	for {
		r := pub.Offer(msg)
		if r == transport.BackPressured {
			break
		}
		if r > 0 {
			sent++
		} else if r != transport.AdminAction {
			t.Fatalf("offer %d: %s", sent, transport.ResultName(r))
		}
		if sent > bound {
			t.Fatalf("%d messages of %d bytes sent and never back pressured", sent, len(msg))
		}
	}
	received := 0
	roomWhileHeld := transport.BackPressured
	handler := func([]byte, *transport.Header) {
		received++
		if received > 1 {
			return
		}
		deadline := time.Now().Add(handlerHold)
		for time.Now().Before(deadline) {
			if roomWhileHeld = pub.Offer(msg); roomWhileHeld > 0 {
				sent++
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	eventually(t, "the first message", func() bool { sub.Poll(handler, sent); return received > 0 })
	if roomWhileHeld > 0 {
		t.Fatalf("the publisher appended at %d while the Handler held the first of %d messages: the subscriber position passed messages not yet handled", roomWhileHeld, sent)
	}
	eventually(t, "the subscriber drains the stream", func() bool {
		sub.Poll(handler, 100)
		return received >= sent
	})
	eventually(t, "the publisher may go on", func() bool { return pub.Offer(msg) > 0 })
}

func testEverySubscriberReceivesEveryMessage(t *testing.T, c transport.Client, stream int32) {
	first := await(t, "add subscription", c.AddSubscription(Channel, stream))
	pub, second := pair(t, c, stream, false)
	eventually(t, "first subscriber connected", first.IsConnected)
	var a, b collector
	drain := func() { first.Poll(a.handler, 10); second.Poll(b.handler, 10) }
	const count = 50
	for i := range count {
		offer(t, pub, pattern(8+i*50, i), drain) // some fragmented
	}
	eventually(t, "both subscribers have every message", func() bool { drain(); return len(a.got) >= count && len(b.got) >= count })
	for i := range count {
		want := pattern(8+i*50, i)
		if !bytes.Equal(a.got[i].msg, want) || !bytes.Equal(b.got[i].msg, want) || a.got[i].header != b.got[i].header {
			t.Fatalf("message %d differs between the subscribers or from what was sent", i)
		}
	}
	if len(a.got) != count || len(b.got) != count {
		t.Fatalf("received %d and %d messages, sent %d", len(a.got), len(b.got), count)
	}
}

func testSessions(t *testing.T, c transport.Client, stream int32) {
	sub := await(t, "add subscription", c.AddSubscription(Channel, stream))
	one := await(t, "add publication", c.AddPublication(Channel, stream))
	two := await(t, "add publication", c.AddPublication(Channel, stream))
	excl := await(t, "add exclusive publication", c.AddExclusivePublication(Channel, stream))
	if one.SessionID() != two.SessionID() {
		t.Fatalf("concurrent publications in sessions %d and %d, want one shared", one.SessionID(), two.SessionID())
	}
	if excl.SessionID() == one.SessionID() {
		t.Fatal("an exclusive publication shares the concurrent publications' session")
	}
	eventually(t, "one image per session", func() bool { return sub.ImageCount() == 2 })
	for _, p := range []transport.Publication{one, two, excl} {
		eventually(t, "publication connected", p.IsConnected)
	}
	bySession := map[int32]int{}
	var got collector
	drain := func() { sub.Poll(got.handler, 10) }
	for i, p := range []transport.Publication{one, two, excl} {
		offer(t, p, pattern(16, i), drain)
	}
	eventually(t, "three messages", func() bool { drain(); return len(got.got) >= 3 })
	for _, r := range got.got {
		bySession[r.header.SessionID]++
		if r.header.StreamID != stream {
			t.Fatalf("message from stream %d", r.header.StreamID)
		}
	}
	if bySession[one.SessionID()] != 2 || bySession[excl.SessionID()] != 1 {
		t.Fatalf("messages per session %v; shared session %d, exclusive %d", bySession, one.SessionID(), excl.SessionID())
	}
	// The shared session lives while one of its publications does.
	if err := one.Close(); err != nil {
		t.Fatal(err)
	}
	offer(t, two, pattern(16, 3), drain)
	eventually(t, "a message after one of the concurrent publications closed", func() bool { drain(); return len(got.got) >= 4 })
	for _, p := range []transport.Publication{two, excl} {
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "images gone after their publications closed", func() bool { drain(); return sub.ImageCount() == 0 })
	if sub.IsConnected() {
		t.Fatal("connected without images")
	}
}

func testClosedResources(t *testing.T, c transport.Client, stream int32) {
	pub, sub := pair(t, c, stream, true)
	offer(t, pub, []byte("before"), func() {})
	var got collector
	eventually(t, "a message", func() bool { sub.Poll(got.handler, 10); return len(got.got) == 1 })
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pub.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	var claim transport.Claim
	if r := pub.Offer([]byte("after")); r != transport.Closed {
		t.Fatalf("offer after Close: %s", transport.ResultName(r))
	}
	if r := pub.TryClaim(8, &claim); r != transport.Closed || claim.IsOpen() {
		t.Fatalf("claim after Close: %s", transport.ResultName(r))
	}
	if r := pub.Position(); r != transport.Closed {
		t.Fatalf("position after Close: %d", r)
	}
	if pub.IsConnected() {
		t.Fatal("a closed publication is connected")
	}
	// A message the closed subscription would otherwise see, kept connected by another.
	keeper := await(t, "add subscription", c.AddSubscription(Channel, stream))
	other := await(t, "add publication", c.AddPublication(Channel, stream))
	eventually(t, "new publication connected", other.IsConnected)
	eventually(t, "the closed publication's image gone, the new one seen", func() bool {
		sub.Poll(got.handler, 10)
		return sub.ImageCount() == 1 && keeper.ImageCount() == 1
	})
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sub.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if sub.IsConnected() || sub.ImageCount() != 0 {
		t.Fatal("a closed subscription has images")
	}
	offer(t, other, []byte("unheard"), func() {})
	if n := sub.Poll(got.handler, 10); n != 0 || len(got.got) != 1 {
		t.Fatalf("a closed subscription read %d", n)
	}
	_ = other.Close()
	_ = keeper.Close()
}

func testClosedClient(t *testing.T, c transport.Client, stream int32) {
	pub, sub := pair(t, c, stream, false)
	counter := await(t, "add counter", c.AddCounter(1001, []byte("key"), "transporttest"))
	counter.Set(5)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := c.Err(); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("Err after Close: %v, want transport.ErrClosed", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if _, err := transport.Await(ctx, c.AddPublication(Channel, stream)); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("add after Close: %v, want transport.ErrClosed", err)
	}
	if r := pub.Offer([]byte("late")); r != transport.Closed {
		t.Fatalf("offer on a closed client's publication: %s", transport.ResultName(r))
	}
	if n := sub.Poll(func([]byte, *transport.Header) {}, 10); n != 0 || sub.IsConnected() {
		t.Fatalf("a closed client's subscription read %d", n)
	}
	if counter.Get() != 0 {
		t.Fatal("a closed client's counter still reads")
	}
	for _, closer := range []interface{ Close() error }{pub, sub, counter} {
		if err := closer.Close(); err != nil {
			t.Fatalf("closing a resource of a closed client: %v", err)
		}
	}
}

func testCounters(t *testing.T, c transport.Client, _ int32) {
	k := await(t, "add counter", c.AddCounter(1001, []byte("transporttest-key"), "transporttest counter"))
	other := await(t, "add counter", c.AddCounter(1001, nil, "transporttest other"))
	if k.ID() < 0 || k.ID() == other.ID() {
		t.Fatalf("counter ids %d and %d", k.ID(), other.ID())
	}
	k.Set(40)
	if got := k.Add(2); got != 42 || k.Get() != 42 {
		t.Fatalf("Add returned %d, Get %d, want 42", got, k.Get())
	}
	if other.Get() != 0 {
		t.Fatalf("a new counter reads %d", other.Get())
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	k.Set(7)
	if k.Get() != 0 || k.Add(1) != 0 {
		t.Fatal("a closed counter still counts")
	}
	_ = other.Close()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if _, err := transport.Await(ctx, c.AddCounter(1001, make([]byte, 113), "key too long")); err == nil || ctx.Err() != nil {
		t.Fatalf("a counter with a 113-byte key: %v", err)
	}
}

func testSteadyStateAllocatesNothing(t *testing.T, c transport.Client, stream int32) {
	pub, sub := pair(t, c, stream, true)
	var claim transport.Claim
	small, fragmented := pattern(64, 1), pattern(2*pub.MaxPayloadLength()+1, 2)
	received := 0
	handler := func(msg []byte, h *transport.Header) { received += len(msg) + int(h.Position&1) }
	run := func() {
		if pub.TryClaim(64, &claim) > 0 {
			copy(claim.Buffer(), small)
			claim.Commit()
		}
		pub.Offer(small)
		pub.Offer(fragmented)
		sub.Poll(handler, 10)
	}
	for range 100 { // warm up: the reassembly buffer grows once
		run()
	}
	if allocs := testing.AllocsPerRun(1000, run); allocs != 0 {
		t.Fatalf("offer, try-claim/commit and poll allocated %.2f times per run", allocs)
	}
	if received == 0 {
		t.Fatal("nothing was received during the allocation run")
	}
}

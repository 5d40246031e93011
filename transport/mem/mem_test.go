package mem_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/clock"

	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/transport/transporttest"
)

func TestConformance(t *testing.T) {
	for _, invoker := range []bool{false, true} {
		t.Run(map[bool]string{false: "runner", true: "invoker"}[invoker], func(t *testing.T) {
			transporttest.Run(t, func(*testing.T) transport.Client {
				return mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{UseInvoker: invoker})
			})
		})
	}
}

// waitAnswered polls p by hand until it is no longer pending.
func waitAnswered[T any](t *testing.T, p transport.Pending[T]) (T, error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := p.Poll()
		if !errors.Is(err, transport.ErrPending) {
			return v, err
		}
		if time.Now().After(deadline) {
			t.Fatal("add still pending after 5s")
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func TestAddsCompleteOnTheNextConductorDutyCycle(t *testing.T) {
	c := mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{UseInvoker: true})
	defer c.Close()
	conductor := c.Conductor()
	if conductor == nil {
		t.Fatal("no conductor in invoker mode")
	}
	p := c.AddSubscription("aeron:ipc", 1)
	if _, err := p.Poll(); !errors.Is(err, transport.ErrPending) {
		t.Fatalf("before a duty cycle: %v, want ErrPending", err)
	}
	if work := conductor.DoWork(clock.Now()); work != 1 {
		t.Fatalf("duty cycle did %d, want the one add", work)
	}
	sub, err := p.Poll()
	if err != nil || sub == nil {
		t.Fatalf("after a duty cycle: %v", err)
	}
	if work := conductor.DoWork(clock.Now()); work != 0 {
		t.Fatalf("idle duty cycle did %d", work)
	}
	if mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{}).Conductor() != nil {
		t.Fatal("a client that runs its own conductor hands it out")
	}
}

func TestHeldAddsNeverComplete(t *testing.T) {
	c := mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{UseInvoker: true})
	defer c.Close()
	c.HoldAdds(true)
	p := c.AddPublication("aeron:ipc", 1)
	for range 10 {
		c.Conductor().DoWork(clock.Now())
	}
	if _, err := p.Poll(); !errors.Is(err, transport.ErrPending) {
		t.Fatalf("held add: %v, want ErrPending", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := transport.Await(ctx, c.AddSubscription("aeron:ipc", 1)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Await of a held add: %v", err)
	}
	// Released, the held adds complete; the canceled subscription is closed as it is
	// made, so the publication has no subscriber.
	c.HoldAdds(false)
	c.Conductor().DoWork(clock.Now())
	pub, err := p.Poll()
	if err != nil {
		t.Fatal(err)
	}
	if pub.IsConnected() {
		t.Fatal("the canceled subscription was left open")
	}
	sub := c.AddSubscription("aeron:ipc", 1)
	c.Conductor().DoWork(clock.Now())
	if _, err := sub.Poll(); err != nil {
		t.Fatal(err)
	}
	if !pub.IsConnected() {
		t.Fatal("publication not connected to the new subscription")
	}
}

func TestFailedAddsAndAKilledClient(t *testing.T) {
	c := mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{})
	defer c.Close()
	refused := errors.New("driver says no")
	c.FailAdds(refused)
	if _, err := waitAnswered(t, c.AddSubscription("aeron:ipc", 1)); !errors.Is(err, refused) {
		t.Fatalf("failed add: %v", err)
	}
	c.FailAdds(nil)
	sub, err := waitAnswered(t, c.AddSubscription("aeron:ipc", 1))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := waitAnswered(t, c.AddExclusivePublication("aeron:ipc", 1))
	if err != nil {
		t.Fatal(err)
	}
	c.HoldAdds(true)
	held := c.AddCounter(1, nil, "held")
	died := errors.New("driver died")
	c.Kill(died)
	if !errors.Is(c.Err(), died) {
		t.Fatalf("Err after Kill: %v", c.Err())
	}
	if _, err := held.Poll(); !errors.Is(err, died) {
		t.Fatalf("pending add after Kill: %v", err)
	}
	if _, err := waitAnswered(t, c.AddCounter(1, nil, "late")); !errors.Is(err, died) {
		t.Fatalf("add after Kill: %v", err)
	}
	if r := pub.Offer([]byte("x")); r != transport.Closed || sub.IsConnected() {
		t.Fatalf("after Kill: offer %s, subscription connected %v", transport.ResultName(r), sub.IsConnected())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(c.Err(), died) {
		t.Fatalf("Close replaced the terminal error: %v", c.Err())
	}
}

// Clients of one driver meet on a channel and stream; other channels or streams are apart.
func TestClientsOfOneDriverShareStreams(t *testing.T) {
	d := mem.NewDriver(mem.Config{})
	a, b := d.Connect(mem.ClientConfig{}), d.Connect(mem.ClientConfig{})
	defer a.Close()
	defer b.Close()
	sub, _ := waitAnswered(t, a.AddSubscription("aeron:ipc", 5))
	other, _ := waitAnswered(t, a.AddSubscription("aeron:ipc?alias=x", 5))
	untethered, _ := waitAnswered(t, a.AddSubscription("aeron:ipc?tether=false|rejoin=true", 5))
	pub, _ := waitAnswered(t, b.AddPublication("aeron:ipc?untethered-window-limit-timeout=2s", 5))
	elsewhere, _ := waitAnswered(t, b.AddPublication("aeron:ipc", 6))
	if !pub.IsConnected() || elsewhere.IsConnected() || other.IsConnected() || !untethered.IsConnected() {
		t.Fatal("streams matched on something other than channel (tether, rejoin and untethered-* aside) and stream id")
	}
	if r := pub.Offer([]byte("across clients")); r <= 0 {
		t.Fatalf("offer: %s", transport.ResultName(r))
	}
	var got string
	if sub.Poll(func(msg []byte, _ *transport.Header) { got = string(msg) }, 1) != 1 || got != "across clients" {
		t.Fatalf("received %q", got)
	}
	// One client closing leaves the other's resources alone.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if sub.Poll(func([]byte, *transport.Header) {}, 1); sub.IsConnected() {
		t.Fatal("image of a closed client's publication not dropped once drained")
	}
	if a.Err() != nil {
		t.Fatalf("the other client: %v", a.Err())
	}
}

// A subscriber that joins late starts where the publication is: it sees what comes after.
func TestLateSubscriberJoinsAtTheCurrentPosition(t *testing.T) {
	c := mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{})
	defer c.Close()
	early, _ := waitAnswered(t, c.AddSubscription("aeron:ipc", 1))
	pub, _ := waitAnswered(t, c.AddPublication("aeron:ipc", 1))
	pub.Offer([]byte("before"))
	late, _ := waitAnswered(t, c.AddSubscription("aeron:ipc", 1))
	pub.Offer([]byte("after"))
	var e, l []string
	early.Poll(func(msg []byte, _ *transport.Header) { e = append(e, string(msg)) }, 10)
	late.Poll(func(msg []byte, _ *transport.Header) { l = append(l, string(msg)) }, 10)
	if fmt.Sprint(e) != "[before after]" || fmt.Sprint(l) != "[after]" {
		t.Fatalf("early subscriber got %v, late one %v", e, l)
	}
}

// Writers on several goroutines and two subscribers on two more, over many terms of a small
// log: every message arrives intact, once, in each writer's order, at both subscribers, while
// the subscribers' polls clean terms and move the publisher limit. Under -race this checks the
// driver's duties are ordered with the appends and reads.
func TestConcurrentWritersAndSubscribersOverManyTerms(t *testing.T) {
	c := mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{})
	defer c.Close()
	const writers, perWriter = 3, 3000
	subs := make([]transport.Subscription, 2)
	for i := range subs {
		subs[i], _ = waitAnswered(t, c.AddSubscription("aeron:ipc", 9))
	}
	pubs := make([]transport.Publication, writers)
	for i := range pubs {
		pubs[i], _ = waitAnswered(t, c.AddPublication("aeron:ipc", 9))
	}
	var wg sync.WaitGroup
	for w, pub := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var claim transport.Claim
			msg := make([]byte, 3*pub.MaxPayloadLength())
			for seq := 0; seq < perWriter; {
				size := 8 + seq%300
				if seq%101 == 0 {
					size = len(msg) - seq%50 // fragmented
				}
				binary.LittleEndian.PutUint32(msg, uint32(w))
				binary.LittleEndian.PutUint32(msg[4:], uint32(seq))
				var r int64
				if seq%3 == 0 && size <= pub.MaxPayloadLength() {
					if r = pub.TryClaim(size, &claim); r > 0 {
						copy(claim.Buffer(), msg[:size])
						claim.Commit()
					}
				} else {
					r = pub.Offer(msg[:size])
				}
				switch {
				case r > 0:
					seq++
				case r == transport.BackPressured || r == transport.AdminAction:
					runtime.Gosched()
				default:
					t.Errorf("writer %d seq %d: %s", w, seq, transport.ResultName(r))
					return
				}
			}
		}()
	}
	for _, sub := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := make([]int, writers)
			deadline := time.Now().Add(30 * time.Second)
			for received := 0; received < writers*perWriter; {
				n := sub.Poll(func(msg []byte, _ *transport.Header) {
					w, seq := binary.LittleEndian.Uint32(msg), int(binary.LittleEndian.Uint32(msg[4:]))
					if int(w) >= writers || seq != next[w] {
						t.Errorf("writer %d: seq %d, want %d", w, seq, next[w%writers])
						return
					}
					next[w]++
					received++
				}, 64)
				if n == 0 {
					if time.Now().After(deadline) || t.Failed() {
						t.Errorf("subscriber received %d of %d", received, writers*perWriter)
						return
					}
					runtime.Gosched()
				}
			}
		}()
	}
	wg.Wait()
	if pos := pubs[0].Position(); pos < 4*mem.DefaultTermLength {
		t.Fatalf("the stream reached %d, fewer than 4 terms: the test exercised no reuse", pos)
	}
}

func TestPipeIsOneStream(t *testing.T) {
	p, err := mem.NewPipe(mem.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsConnected() || p.ImageCount() != 1 {
		t.Fatal("pipe not connected")
	}
	var claim transport.Claim
	if p.TryClaim(5, &claim) <= 0 {
		t.Fatal("claim failed")
	}
	copy(claim.Buffer(), "hello")
	claim.Commit()
	if p.Offer([]byte("world")) <= 0 {
		t.Fatal("offer failed")
	}
	var got []string
	p.Poll(func(msg []byte, h *transport.Header) { got = append(got, string(msg)) }, 10)
	if fmt.Sprint(got) != "[hello world]" {
		t.Fatalf("read %v", got)
	}
	p.Offer([]byte("unread"))
	p.Drain()
	if p.Poll(func([]byte, *transport.Header) { t.Fatal("read after Drain") }, 10) != 0 {
		t.Fatal("Drain left messages")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if p.Offer([]byte("late")) != transport.Closed || p.ImageCount() != 0 {
		t.Fatal("pipe open after Close")
	}
}

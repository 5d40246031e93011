//go:build aeronc

package aeronc

import (
	"bytes"
	"context"
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/transport"
)

const testTimeout = 10 * time.Second

// streams hands every test its own stream ids, also across -count runs on one driver.
var streams atomic.Int32

func nextStream() int32 { return 1000 + streams.Add(1) }

func await[T any](t *testing.T, what string, p transport.Pending[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	v, err := transport.Await(ctx, p)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	idle := agent.NewBackoff()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", testTimeout, what)
		}
		idle.Idle(0)
	}
}

// pattern is n bytes that differ per seed and position, seed in the first 8.
func pattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*31 + i*7 + i>>8)
	}
	if n >= 8 {
		binary.LittleEndian.PutUint64(b, uint64(seed))
	}
	return b
}

type received struct {
	msg    []byte
	header transport.Header
}

type collector struct{ got []received }

func (c *collector) handler(msg []byte, h *transport.Header) {
	c.got = append(c.got, received{bytes.Clone(msg), *h})
}

// offerAll offers every message, draining meanwhile, and returns their positions.
func offerAll(t *testing.T, pub transport.Publication, msgs [][]byte, drain func()) []int64 {
	t.Helper()
	var positions []int64
	for _, msg := range msgs {
		deadline := time.Now().Add(testTimeout)
		for {
			r := pub.Offer(msg)
			if r > 0 {
				positions = append(positions, r)
				break
			}
			if r != transport.BackPressured && r != transport.AdminAction {
				t.Fatalf("offer of %d bytes: %s", len(msg), transport.ResultName(r))
			}
			if time.Now().After(deadline) {
				t.Fatalf("offer of %d bytes: still %s", len(msg), transport.ResultName(r))
			}
			drain()
		}
	}
	return positions
}

// exchange sends messages of the given sizes from pub to sub and checks they arrive whole,
// byte for byte, in order, with their headers.
func exchange(t *testing.T, pub transport.Publication, sub transport.Subscription, sizes []int, fragmentLimit int) {
	t.Helper()
	eventually(t, "connected", func() bool { return pub.IsConnected() && sub.IsConnected() })
	var got collector
	drain := func() { sub.Poll(got.handler, fragmentLimit) }
	var sent [][]byte
	for i, n := range sizes {
		sent = append(sent, pattern(n, i))
	}
	positions := offerAll(t, pub, sent, drain)
	eventually(t, "every message received", func() bool { drain(); return len(got.got) >= len(sent) })
	if len(got.got) != len(sent) {
		t.Fatalf("received %d messages, sent %d", len(got.got), len(sent))
	}
	for i, r := range got.got {
		if !bytes.Equal(r.msg, sent[i]) {
			t.Fatalf("message %d (%d bytes) differs from the %d bytes sent", i, len(r.msg), len(sent[i]))
		}
		if h := r.header; h.SessionID != pub.SessionID() || h.StreamID != pub.StreamID() || h.Position != positions[i] || h.ReservedValue != 0 {
			t.Fatalf("message %d header %+v, want session %d stream %d position %d", i, h, pub.SessionID(), pub.StreamID(), positions[i])
		}
	}
}

func TestOfferAndPollOnTheJavaDriver(t *testing.T) {
	for _, invoker := range []bool{true, false} {
		t.Run(map[bool]string{true: "Invoker", false: "ConductorThread"}[invoker], func(t *testing.T) {
			c := connect(t, drivertest.Dir(t), invoker, nil)
			stream := nextStream()
			sub := await(t, "add subscription", c.AddSubscription("aeron:ipc", stream))
			pub := await(t, "add publication", c.AddPublication("aeron:ipc", stream))
			max := pub.MaxPayloadLength()
			exchange(t, pub, sub, []int{0, 1, 31, 32, max, max + 1, 3*max + 5, pub.MaxMessageLength(), 100}, 10)
			_ = pub.Close()
			_ = sub.Close()
		})
	}
}

func TestOfferAndPollOnTheCDriver(t *testing.T) {
	dir := startCDriver(t)
	for _, invoker := range []bool{true, false} {
		t.Run(map[bool]string{true: "Invoker", false: "ConductorThread"}[invoker], func(t *testing.T) {
			c := connect(t, dir, invoker, nil)
			stream := nextStream()
			sub := await(t, "add subscription", c.AddSubscription("aeron:ipc", stream))
			pub := await(t, "add exclusive publication", c.AddExclusivePublication("aeron:ipc", stream))
			max := pub.MaxPayloadLength()
			exchange(t, pub, sub, []int{0, 1, 31, 32, max, max + 1, 3*max + 5, pub.MaxMessageLength(), 100}, 10)
		})
	}
}

//go:build aeronc

package aeronc

import (
	"bytes"
	"testing"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/transport"
)

// One Poll with a large fragment limit delivers more messages than a batch holds (by
// count, then by bytes) and reassembled messages larger than the whole arena between
// small ones: in order, byte for byte, each with its own position.
func TestPollDeliversMoreThanABatchInOrder(t *testing.T) {
	c := connect(t, drivertest.Dir(t), true, nil)
	// Terms large enough that neither the window nor the largest message gets in the way.
	const channel = "aeron:ipc?term-length=16m"
	for _, tc := range []struct {
		name  string
		sizes []int
	}{
		{"MoreMessagesThanTheList", repeat(3*batchMessages, 8)},
		{"MoreBytesThanTheArena", repeat(3*batchArenaLength/1000, 1000)},
		{"ReassembledLargerThanTheArena", []int{
			10, batchArenaLength + 1, 20, 2*batchArenaLength + 3, batchArenaLength + 5, 30, 1500,
			batchArenaLength - 100, batchArenaLength, 40}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream := nextStream()
			sub := await(t, "add subscription", c.AddSubscription(channel, stream))
			pub := await(t, "add publication", c.AddExclusivePublication(channel, stream))
			eventually(t, "connected", func() bool { return pub.IsConnected() && sub.IsConnected() })
			var sent [][]byte
			for j, n := range tc.sizes {
				sent = append(sent, pattern(n, j))
			}
			positions := offerAll(t, pub, sent, func() { t.Fatal("back pressured on a 16 MiB term") })
			var got collector
			fragments := 0
			eventually(t, "everything read", func() bool {
				fragments += sub.Poll(got.handler, 1<<20)
				return len(got.got) >= len(sent)
			})
			if len(got.got) != len(sent) {
				t.Fatalf("received %d messages, sent %d", len(got.got), len(sent))
			}
			for j, r := range got.got {
				if !bytes.Equal(r.msg, sent[j]) || r.header.Position != positions[j] || r.header.SessionID != pub.SessionID() {
					t.Fatalf("message %d: %d bytes at %d, want %d bytes at %d", j, len(r.msg), r.header.Position, len(sent[j]), positions[j])
				}
			}
			wantFragments := 0
			for _, n := range tc.sizes {
				wantFragments += max(1, (n+pub.MaxPayloadLength()-1)/pub.MaxPayloadLength())
			}
			if fragments != wantFragments {
				t.Fatalf("Poll counted %d fragments, the messages are %d", fragments, wantFragments)
			}
			_ = pub.Close()
			_ = sub.Close()
		})
	}
}

func repeat(n, size int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = size
	}
	return s
}

// A Handler may close its subscription, or the whole client: the Poll stops delivering,
// frees what it holds when it returns, and later Polls read nothing.
func TestCloseFromAHandler(t *testing.T) {
	dir := drivertest.Dir(t)
	for _, closeClient := range []bool{false, true} {
		t.Run(map[bool]string{false: "Subscription", true: "Client"}[closeClient], func(t *testing.T) {
			c := connect(t, dir, true, nil)
			stream := nextStream()
			sub := await(t, "add subscription", c.AddSubscription("aeron:ipc", stream))
			pub := await(t, "add publication", c.AddPublication("aeron:ipc", stream))
			eventually(t, "connected", func() bool { return pub.IsConnected() && sub.IsConnected() })
			offerAll(t, pub, [][]byte{[]byte("one"), []byte("two"), []byte("three")}, func() {})
			delivered := 0
			handler := func([]byte, *transport.Header) {
				delivered++
				var err error
				if closeClient {
					err = c.Close()
				} else {
					err = sub.Close()
				}
				if err != nil {
					t.Errorf("closing from the handler: %v", err)
				}
			}
			eventually(t, "a message", func() bool { sub.Poll(handler, 10); return delivered > 0 })
			if delivered != 1 {
				t.Fatalf("%d messages delivered after the handler closed the subscription", delivered)
			}
			if n := sub.Poll(handler, 10); n != 0 || delivered != 1 || sub.IsConnected() || sub.ImageCount() != 0 {
				t.Fatalf("a closed subscription read %d", n)
			}
		})
	}
}

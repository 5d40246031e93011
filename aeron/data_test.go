package aeron

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/transport"
)

// offerRetrying offers until the message is appended or the deadline
// passes, running drain between attempts so a back-pressuring subscriber in
// the same goroutine makes progress.
func offerRetrying(t *testing.T, pub *Publication, msg []byte, drain func()) int64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		result := pub.Offer(msg)
		if result > 0 {
			return result
		}
		drain()
		if result != transport.BackPressured && result != transport.AdminAction && result != transport.NotConnected {
			t.Fatalf("offer: result %d", result)
		}
		if time.Now().After(deadline) {
			t.Fatalf("offer still %d after 5s", result)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func TestIPCMessagesArriveByteForByte(t *testing.T) {
	c := connect(t, Config{})
	const stream = 2001
	sub := addSubscription(t, c, "aeron:ipc", stream)
	pub := addPublication(t, c, "aeron:ipc", stream)
	eventually(t, 5*time.Second, "publication connected", pub.IsConnected)

	// Sizes around the single-frame limit and a few fragmented ones; the
	// 64 KiB terms of the test driver rotate several times.
	sizes := []int{0, 1, 31, 32, 100, pub.MaxPayloadLength(), pub.MaxPayloadLength() + 1, 3000, pub.MaxMessageLength()}
	var sent [][]byte
	var received [][]byte
	handler := func(msg []byte, _ *transport.Header) { received = append(received, bytes.Clone(msg)) }
	for round := 0; round < 20; round++ {
		for i, n := range sizes {
			msg := make([]byte, n)
			for j := range msg {
				msg[j] = byte(round*31 + i*7 + j)
			}
			if n >= 8 {
				binary.LittleEndian.PutUint64(msg, uint64(len(sent)))
			}
			offerRetrying(t, pub, msg, func() { sub.Poll(handler, 10) })
			sent = append(sent, msg)
			sub.Poll(handler, 10)
		}
	}
	eventually(t, 5*time.Second, "all messages received", func() bool {
		sub.Poll(handler, 100)
		return len(received) >= len(sent)
	})
	if len(received) != len(sent) {
		t.Fatalf("received %d messages, sent %d", len(received), len(sent))
	}
	for i := range sent {
		if !bytes.Equal(sent[i], received[i]) {
			t.Fatalf("message %d (%d bytes) differs from what was sent (%d bytes)", i, len(received[i]), len(sent[i]))
		}
	}
	if pub.Offer(make([]byte, pub.MaxMessageLength()+1)) != transport.PublicationError {
		t.Fatal("oversized offer accepted")
	}
}

func TestNotConnectedAndBackPressure(t *testing.T) {
	c := connect(t, Config{})
	const stream = 2003
	pub := addPublication(t, c, "aeron:ipc", stream)
	if pub.IsConnected() {
		t.Fatal("connected without a subscriber")
	}
	if r := pub.Offer([]byte("nobody listens")); r != transport.NotConnected {
		t.Fatalf("offer without subscriber: %d, want NotConnected", r)
	}
	sub := addSubscription(t, c, "aeron:ipc", stream)
	eventually(t, 5*time.Second, "publication connected", pub.IsConnected)

	// The subscriber never polls: the publisher stops at the term window.
	msg := make([]byte, 1000)
	var result int64
	sent := 0
	deadline := time.Now().Add(5 * time.Second)
	for result = pub.Offer(msg); result != transport.BackPressured; result = pub.Offer(msg) {
		if result > 0 {
			sent++
		}
		if time.Now().After(deadline) || sent > 10000 {
			t.Fatalf("never back pressured (last result %d after %d messages)", result, sent)
		}
	}
	// The last accepted offer started below the limit and may end past it.
	if window := int64(pub.LogBuffers().TermLength() / 2); pub.Position() < pub.PositionLimit() || pub.PositionLimit() > window {
		t.Fatalf("position %d limit %d, window %d", pub.Position(), pub.PositionLimit(), window)
	}
	t.Logf("back pressured after %d messages at position %d (limit %d)", sent, pub.Position(), pub.PositionLimit())

	// Draining lets the publisher continue.
	received := 0
	eventually(t, 5*time.Second, "subscriber drains the stream", func() bool {
		received += sub.Poll(func([]byte, *transport.Header) {}, 100)
		return received >= sent
	})
	eventually(t, 5*time.Second, "publisher unblocked", func() bool { return pub.Offer(msg) > 0 })

	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	if r := pub.Offer(msg); r != transport.Closed {
		t.Fatalf("offer after close: %d, want Closed", r)
	}
	// The driver drains the stream to this subscriber before it ends the image.
	eventually(t, 10*time.Second, "image unavailable after the publisher closes", func() bool {
		sub.Poll(func([]byte, *transport.Header) {}, 100)
		return !sub.IsConnected()
	})
}

func TestClosedLogsAreUnmappedAfterLinger(t *testing.T) {
	c := connect(t, Config{ResourceLinger: 50 * time.Millisecond})
	const stream = 2004
	sub := addSubscription(t, c, "aeron:ipc", stream)
	pub := addPublication(t, c, "aeron:ipc", stream)
	eventually(t, 5*time.Second, "image available", sub.IsConnected)
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if r := pub.Offer([]byte("late")); r != transport.Closed {
		t.Fatalf("offer on a closed publication: %d", r)
	}
	if n := sub.Poll(func([]byte, *transport.Header) {}, 10); n != 0 {
		t.Fatalf("poll on a closed subscription read %d", n)
	}
	held := func() (lingering, retired int) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.lingering), len(c.retired)
	}
	// No poll was running: the image's log went at once; the publication's
	// lingers for appends that may be inside it.
	if lingering, retired := held(); lingering != 1 || retired != 0 {
		t.Fatalf("%d logs lingering and %d retired, want the publication's lingering only", lingering, retired)
	}
	eventually(t, 5*time.Second, "lingering logs unmapped", func() bool { l, r := held(); return l == 0 && r == 0 })
}

// An image that goes away while a poll is running stays mapped, for however
// long the poll takes, and is unmapped once the poll returns. The poll is held
// inside image A's handler while image B (already consumed, so the driver
// drops it at once) goes away; after A the same poll may go on to read B.
func TestImageLogStaysMappedWhilePollReadsIt(t *testing.T) {
	c := connect(t, Config{ResourceLinger: time.Millisecond})
	const stream = 2005
	sub := addSubscription(t, c, "aeron:ipc", stream)
	pubA := addExclusivePublication(t, c, "aeron:ipc", stream)
	pubB := addExclusivePublication(t, c, "aeron:ipc", stream)
	eventually(t, 5*time.Second, "two images", func() bool { return len(sub.Images()) == 2 })
	offerRetrying(t, pubB, []byte("b"), func() {})
	eventually(t, 5*time.Second, "B's message", func() bool {
		return sub.Poll(func([]byte, *transport.Header) {}, 10) == 1
	})
	msg := []byte("read me while B goes away")
	offerRetrying(t, pubA, msg, func() {})

	inHandler, release := make(chan struct{}), make(chan struct{})
	polled := make(chan string, 1)
	go func() {
		var got string
		sub.Poll(func(msg []byte, h *transport.Header) {
			close(inHandler)
			<-release
			got = fmt.Sprintf("%s@%d", msg, h.SessionID)
		}, 10)
		polled <- got
	}()
	<-inHandler
	if err := pubB.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "image B unavailable", func() bool { return len(sub.Images()) == 1 })
	c.mu.Lock()
	var retired *mappedLog
	if len(c.retired) == 1 {
		retired = c.retired[0].log
	}
	c.mu.Unlock()
	if retired == nil {
		t.Fatal("B's log is not retired")
	}
	// Many conductor cycles and linger times later, the poll still holds it.
	time.Sleep(200 * time.Millisecond)
	c.mu.Lock()
	mapped := retired.mapping != nil
	c.mu.Unlock()
	if !mapped {
		t.Fatal("B's log was unmapped while a poll that may read it was running")
	}
	close(release)
	if got, want := <-polled, fmt.Sprintf("%s@%d", msg, pubA.SessionID()); got != want {
		t.Fatalf("poll read %q, want %q", got, want)
	}
	eventually(t, 5*time.Second, "B's log unmapped after the poll", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.retired) == 0 && retired.mapping == nil
	})
	if n := sub.Poll(func([]byte, *transport.Header) {}, 10); n != 0 {
		t.Fatalf("poll after B went away read %d", n)
	}
}

// Images come and go while a goroutine polls without pause: under -race this
// checks that unmapping is ordered after every poll that could read the log.
func TestImagesChurnWhilePolling(t *testing.T) {
	for _, light := range []bool{false, true} {
		t.Run(fmt.Sprintf("lightPoll=%v", light), func(t *testing.T) {
			c := connect(t, Config{})
			if light && !c.lightPoll {
				t.Skip("membarrier(2) is not available")
			}
			c.lightPoll = light
			stream := int32(2006)
			if light {
				stream = 2007
			}
			churnImagesWhilePolling(t, c, stream)
		})
	}
}

func churnImagesWhilePolling(t *testing.T, c *Client, stream int32) {
	sub := addSubscription(t, c, "aeron:ipc", stream)
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		received := 0
		handler := func(msg []byte, _ *transport.Header) {
			if len(msg) != 8 || binary.LittleEndian.Uint64(msg) != 0xfeed {
				panic(fmt.Sprintf("message of %d bytes", len(msg)))
			}
			received++
		}
		for {
			select {
			case <-stop:
				done <- received
				return
			default:
			}
			if sub.Poll(handler, 10) == 0 {
				runtime.Gosched()
			}
		}
	}()
	msg := binary.LittleEndian.AppendUint64(nil, 0xfeed)
	for i := 0; i < 8; i++ {
		pub := addExclusivePublication(t, c, "aeron:ipc", stream)
		eventually(t, 5*time.Second, "image available", func() bool { return len(sub.Images()) > 0 })
		for j := 0; j < 20; j++ {
			offerRetrying(t, pub, msg, func() {})
		}
		if err := pub.Close(); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "all images gone and their logs unmapped", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(sub.images.Load().images) == 0 && len(c.retired) == 0
	})
	close(stop)
	if received := <-done; received == 0 {
		t.Fatal("the poller received nothing")
	}
}

func TestUDPLoopbackStream(t *testing.T) {
	l, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	channel := fmt.Sprintf("aeron:udp?endpoint=127.0.0.1:%d", port)

	c := connect(t, Config{})
	const stream = 2005
	sub := addSubscription(t, c, channel, stream)
	pub := addPublication(t, c, channel, stream)
	if pub.ChannelStatusIndicatorID() < 0 || sub.ChannelStatusIndicatorID() < 0 {
		t.Fatalf("UDP channel status counters %d, %d", pub.ChannelStatusIndicatorID(), sub.ChannelStatusIndicatorID())
	}
	eventually(t, 10*time.Second, "UDP publication connected", pub.IsConnected)
	eventually(t, 10*time.Second, "UDP image available", sub.IsConnected)
	if src := sub.Images()[0].SourceIdentity; !strings.HasPrefix(src, "127.0.0.1:") {
		t.Fatalf("source identity %q", src)
	}

	var received [][]byte
	drain := func() {
		sub.Poll(func(msg []byte, _ *transport.Header) { received = append(received, bytes.Clone(msg)) }, 10)
	}
	var sent [][]byte
	for i := 0; i < 50; i++ {
		msg := bytes.Repeat([]byte{byte(i)}, 1+i*97) // up to ~4.8 KB: fragmented over UDP too
		offerRetrying(t, pub, msg, drain)
		sent = append(sent, msg)
	}
	eventually(t, 10*time.Second, "all UDP messages received", func() bool {
		drain()
		return len(received) >= len(sent)
	})
	for i := range sent {
		if !bytes.Equal(sent[i], received[i]) {
			t.Fatalf("UDP message %d differs", i)
		}
	}
}

//go:build !race

package aeron

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/concurrent"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/transporttest"
)

func TestCommandWritePathDoesNotAllocate(t *testing.T) {
	c, toDriver, _ := newMemoryClient(t)
	capacity := len(toDriver) - concurrent.RingBufferTrailerLength
	key := []byte("key")
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := c.proxy.addPublication("aeron:ipc?term-length=64k", 10, false); err != nil {
			t.Fatal(err)
		}
		if _, err := c.proxy.addSubscription("aeron:ipc", 10); err != nil {
			t.Fatal(err)
		}
		if _, err := c.proxy.addCounter(1001, key, "label"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.proxy.removePublication(3); err != nil {
			t.Fatal(err)
		}
		if _, err := c.proxy.removeCounter(4); err != nil {
			t.Fatal(err)
		}
		// Stand in for the driver: everything written is consumed.
		concurrent.StoreInt64(toDriver, capacity+384, concurrent.LoadInt64(toDriver, capacity+128))
	})
	if allocs != 0 {
		t.Fatalf("command writes allocated %.1f times per run", allocs)
	}
}

func TestBroadcastReadPathDoesNotAllocate(t *testing.T) {
	c, _, toClients := newMemoryClient(t)
	// Responses for other clients and other requests: the common case the
	// conductor must skip without allocating.
	success := make([]byte, 8)
	binary.LittleEndian.PutUint64(success, 12345)
	counterReady := make([]byte, 12)
	binary.LittleEndian.PutUint64(counterReady, 777)
	image := make([]byte, 64)
	binary.LittleEndian.PutUint64(image[16:], 999)
	allocs := testing.AllocsPerRun(1000, func() {
		transmit(toClients, rspOnOperationSuccess, success)
		transmit(toClients, rspOnCounterReady, counterReady)
		transmit(toClients, rspOnAvailableImage, image)
		if n := c.serviceLocked(0); n != 3 {
			t.Fatalf("serviced %d messages, want 3", n)
		}
	})
	if allocs != 0 {
		t.Fatalf("broadcast read and dispatch allocated %.1f times per run", allocs)
	}
}

func TestTryClaimCommitAbortAndPollAllocateNothing(t *testing.T) {
	c := connect(t, Config{})
	const stream = 2002
	sub := addSubscription(t, c, "aeron:ipc", stream)
	pub := addExclusivePublication(t, c, "aeron:ipc", stream)
	eventually(t, 5*time.Second, "publication connected", pub.IsConnected)
	var claim transport.Claim
	var got []uint64
	handler := transport.Handler(func(msg []byte, _ *transport.Header) {
		got = append(got, binary.LittleEndian.Uint64(msg))
	})
	for i := uint64(0); i < 10; i++ {
		for pub.TryClaim(32, &claim) < 0 {
			time.Sleep(100 * time.Microsecond)
		}
		binary.LittleEndian.PutUint64(claim.Buffer(), i)
		if i%2 == 1 {
			claim.Abort()
		} else {
			claim.Commit()
		}
	}
	eventually(t, 5*time.Second, "committed claims received", func() bool {
		sub.Poll(handler, 10)
		return len(got) >= 5
	})
	if fmt.Sprint(got) != "[0 2 4 6 8]" {
		t.Fatalf("received %v, want the committed claims only", got)
	}

	count := 0
	countHandler := transport.Handler(func([]byte, *transport.Header) { count++ })
	allocs := testing.AllocsPerRun(500, func() {
		if pub.TryClaim(64, &claim) > 0 {
			claim.Commit()
		}
		sub.Poll(countHandler, 10)
	})
	if allocs != 0 {
		t.Fatalf("try-claim/commit/poll allocated %.1f times per run", allocs)
	}
	if count == 0 {
		t.Fatal("nothing was received during the allocation run")
	}
}

func TestConformanceSteadyStateAllocs(t *testing.T) {
	transporttest.SteadyStateAllocs(t, newTransportClient(false))
}

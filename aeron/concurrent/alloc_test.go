//go:build !race

package concurrent

import "testing"

func TestRingBufferWriteDoesNotAllocate(t *testing.T) {
	rb, c := newRing(t, 1<<16)
	msg := make([]byte, 40)
	allocs := testing.AllocsPerRun(1000, func() {
		idx, dst, err := rb.Claim(1, len(msg))
		if err != nil {
			t.Fatal(err)
		}
		copy(dst, msg)
		rb.Commit(idx)
		// Pretend the driver consumed everything so the buffer never fills.
		StoreInt64(c.buf, (1<<16)+ringHeadPositionOffset, LoadInt64(c.buf, (1<<16)+ringTailPositionOffset))
	})
	if allocs != 0 {
		t.Fatalf("claim/commit allocated %.1f times per run", allocs)
	}
}

func TestBroadcastReceiveDoesNotAllocate(t *testing.T) {
	tx, buf := newBroadcast(t, 1<<16)
	r, err := NewBroadcastReceiver(buf)
	if err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 40)
	var seen int
	handler := BroadcastHandler(func(int32, []byte) { seen++ })
	allocs := testing.AllocsPerRun(1000, func() {
		tx.transmit(1, payload)
		if n, err := r.Receive(handler); n != 1 || err != nil {
			t.Fatalf("n=%d err=%v", n, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("receive allocated %.1f times per message", allocs)
	}
}

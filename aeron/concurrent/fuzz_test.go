package concurrent

import (
	"encoding/binary"
	"testing"
)

// FuzzBroadcastReceiverOnGarbage feeds the receiver buffers in any state a
// foreign or corrupt to-clients buffer could be in: it must return errors,
// never panic or read outside the buffer.
func FuzzBroadcastReceiverOnGarbage(f *testing.F) {
	f.Add(make([]byte, 64), int64(0), int64(16), int64(0))
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0x7F, 1, 0, 0, 0}, int64(-8), int64(1<<40), int64(3))
	f.Fuzz(func(t *testing.T, records []byte, latest, tail, intent int64) {
		const capacity = 1024
		buf := make([]byte, capacity+BroadcastTrailerLength)
		copy(buf[:capacity], records)
		binary.LittleEndian.PutUint64(buf[capacity+broadcastLatestOffset:], uint64(latest))
		binary.LittleEndian.PutUint64(buf[capacity+broadcastTailOffset:], uint64(tail))
		binary.LittleEndian.PutUint64(buf[capacity+broadcastTailIntentOffset:], uint64(intent))
		r, err := NewBroadcastReceiver(buf)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 64; i++ {
			_, _ = r.Receive(func(_ int32, p []byte) {
				if len(p) > capacity {
					t.Fatalf("delivered %d bytes from a %d-byte buffer", len(p), capacity)
				}
			})
		}
	})
}

package concurrent

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func newBroadcast(t *testing.T, capacity int) (*transmitter, []byte) {
	t.Helper()
	buf := make([]byte, capacity+BroadcastTrailerLength)
	return &transmitter{buf: buf, capacity: capacity}, buf
}

type collected struct {
	typeID  int32
	payload []byte
}

func receiveAll(t *testing.T, r *BroadcastReceiver) ([]collected, []error) {
	t.Helper()
	var got []collected
	var errs []error
	handler := func(typeID int32, p []byte) { got = append(got, collected{typeID, bytes.Clone(p)}) }
	for i := 0; i < 10000; i++ {
		n, err := r.Receive(handler)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n == 0 {
			return got, errs
		}
	}
	t.Fatal("receiver never ran dry")
	return nil, nil
}

func TestBroadcastRejectsBadCapacity(t *testing.T) {
	if _, err := NewBroadcastReceiver(make([]byte, 1000)); !errors.Is(err, ErrBadCapacity) {
		t.Fatalf("got %v", err)
	}
}

func TestBroadcastReceivesInOrderAcrossWrap(t *testing.T) {
	tx, buf := newBroadcast(t, 1024)
	r, err := NewBroadcastReceiver(buf)
	if err != nil {
		t.Fatal(err)
	}
	seq := 0
	for round := 0; round < 20; round++ {
		var want []collected
		for i := 0; i < 7; i++ { // 7 records of 8+37 → 48 bytes: wraps with padding
			p := bytes.Repeat([]byte{byte(seq)}, 37)
			tx.transmit(int32(seq%100+1), p)
			want = append(want, collected{int32(seq%100 + 1), p})
			seq++
		}
		got, errs := receiveAll(t, r)
		if len(errs) != 0 {
			t.Fatalf("round %d: errors %v", round, errs)
		}
		if len(got) != len(want) {
			t.Fatalf("round %d: got %d messages, want %d", round, len(got), len(want))
		}
		for i := range want {
			if got[i].typeID != want[i].typeID || !bytes.Equal(got[i].payload, want[i].payload) {
				t.Fatalf("round %d message %d: got %+v want %+v", round, i, got[i], want[i])
			}
		}
	}
	if r.LappedCount() != 0 {
		t.Fatalf("lapped %d times", r.LappedCount())
	}
}

func TestBroadcastNewReceiverStartsAtLatest(t *testing.T) {
	tx, buf := newBroadcast(t, 1024)
	tx.transmit(1, []byte("old"))
	tx.transmit(2, []byte("latest"))
	r, err := NewBroadcastReceiver(buf)
	if err != nil {
		t.Fatal(err)
	}
	tx.transmit(3, []byte("new"))
	got, _ := receiveAll(t, r)
	// The latest record at attach time is where the cursor starts; the C and
	// Java receivers deliver it too.
	if len(got) != 2 || string(got[0].payload) != "latest" || string(got[1].payload) != "new" {
		t.Fatalf("got %+v", got)
	}
}

func TestBroadcastLappedReceiverResyncs(t *testing.T) {
	tx, buf := newBroadcast(t, 1024)
	r, err := NewBroadcastReceiver(buf)
	if err != nil {
		t.Fatal(err)
	}
	var p [56]byte
	for i := 0; i < 100; i++ { // 6400 bytes: several laps
		binary.LittleEndian.PutUint64(p[:], uint64(i))
		tx.transmit(1, p[:])
	}
	n, err := r.Receive(func(int32, []byte) { t.Fatal("handler ran for a lost message") })
	if n != 0 || !errors.Is(err, ErrLapped) {
		t.Fatalf("got n=%d err=%v, want ErrLapped", n, err)
	}
	if r.LappedCount() != 1 {
		t.Fatalf("lapped count %d, want 1", r.LappedCount())
	}
	for i := 100; i < 103; i++ {
		binary.LittleEndian.PutUint64(p[:], uint64(i))
		tx.transmit(1, p[:])
	}
	got, errs := receiveAll(t, r)
	if len(errs) != 0 {
		t.Fatalf("errors after resync: %v", errs)
	}
	if len(got) != 3 || binary.LittleEndian.Uint64(got[0].payload) != 100 {
		t.Fatalf("after resync got %d messages, first %v", len(got), got)
	}
}

// A transmitter that laps the receiver between its copy and its check must
// not have its overwritten bytes delivered.
func TestBroadcastOverwriteDuringCopyIsDetected(t *testing.T) {
	tx, buf := newBroadcast(t, 1024)
	r, err := NewBroadcastReceiver(buf)
	if err != nil {
		t.Fatal(err)
	}
	tx.transmit(1, []byte("first"))
	if _, err := r.receiveNext(); err != nil {
		t.Fatal(err)
	}
	// Rewind so Receive re-runs on the same record, then announce a tail a
	// full lap ahead as a transmitter mid-write would.
	r.nextRecord = r.cursor
	StoreInt64(buf, 1024+broadcastTailIntentOffset, r.cursor+1024)
	n, err := r.Receive(func(int32, []byte) { t.Fatal("delivered a message that may be torn") })
	if n != 0 || !errors.Is(err, ErrLapped) {
		t.Fatalf("got n=%d err=%v, want ErrLapped", n, err)
	}
}

func TestBroadcastCorruptLengthIsAnErrorNotAPanic(t *testing.T) {
	tx, buf := newBroadcast(t, 1024)
	r, err := NewBroadcastReceiver(buf)
	if err != nil {
		t.Fatal(err)
	}
	tx.transmit(1, []byte("ok"))
	StoreInt32(buf, 0, 1<<30)
	if _, err := r.Receive(func(int32, []byte) {}); !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("got %v, want ErrCorruptRecord", err)
	}
	StoreInt32(buf, 0, 3)
	r.nextRecord, r.cursor = 0, 0
	if _, err := r.Receive(func(int32, []byte) {}); !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("short length: got %v, want ErrCorruptRecord", err)
	}
}

func TestBroadcastLargeMessageGrowsScratch(t *testing.T) {
	tx, buf := newBroadcast(t, 1<<16)
	r, err := NewBroadcastReceiver(buf)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte{7}, 5000)
	tx.transmit(4, big)
	got, errs := receiveAll(t, r)
	if len(errs) != 0 || len(got) != 1 || !bytes.Equal(got[0].payload, big) {
		t.Fatalf("errs %v, got %d messages", errs, len(got))
	}
}

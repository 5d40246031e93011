package tp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/transport"
)

// bareClient connects to the shared media driver with no SHM driver: the read-side
// helpers need Aeron only. Connect does not contact the (absent) driver's control stream.
func bareClient(t *testing.T) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := Connect(ctx, Options{AeronDir: sharedAeronDir, ControlChannel: "aeron:ipc", ControlStreamID: freshStream(), AllowedBaseDirs: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Client.Close: %v", err)
		}
	})
	return c
}

// freshStream is a stream id no other test of this package uses.
func freshStream() int32 { return nextStream.Add(2) }

// testPublication adds an IPC publication on streamID, closed when the test ends.
func testPublication(t *testing.T, c *Client, streamID int32) transport.Publication {
	t.Helper()
	pub, err := await(context.Background(), c, c.transportNow().AddPublication("aeron:ipc", streamID))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	return pub
}

// publish offers msg until it is in the log (the subscriber may not be connected yet).
func publish(t *testing.T, pub transport.Publication, msg []byte) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		r := pub.Offer(msg)
		if r >= 0 {
			return
		}
		if r != transport.NotConnected && r != transport.BackPressured && r != transport.AdminAction {
			t.Fatalf("Offer: %d", r)
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out offering a message (last result %d)", r)
		}
		time.Sleep(time.Millisecond)
	}
}

// pollUntil calls poll until cond holds, failing after waitTimeout.
func pollUntil(t *testing.T, what string, poll func(int) int, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		if poll(10) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

// wantMalformed checks that err is a MessageError matching ErrMalformed (and also want,
// if given) that names field.
func wantMalformed(t *testing.T, err error, field string, want error) {
	t.Helper()
	var me *MessageError
	if !errors.As(err, &me) || !errors.Is(err, ErrMalformed) {
		t.Fatalf("error %v (%T), want a *MessageError", err, err)
	}
	if want != nil && !errors.Is(err, want) {
		t.Fatalf("error %v does not match %v", err, want)
	}
	if me.Field != field {
		t.Fatalf("error names field %q, want %q (%v)", me.Field, field, err)
	}
}

// The helpers refuse an empty channel and a closed client, and Client.Close closes them.
func TestReadSideHelpersLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := Connect(ctx, Options{AeronDir: sharedAeronDir, ControlChannel: "aeron:ipc", ControlStreamID: freshStream(), AllowedBaseDirs: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.NewQosMonitor("", 1); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("NewQosMonitor without a channel: %v", err)
	}
	if _, err := c.NewMetadataCache("", 1); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("NewMetadataCache without a channel: %v", err)
	}
	q, err := c.NewQosMonitor("aeron:ipc", freshStream())
	if err != nil {
		t.Fatal(err)
	}
	mc, err := c.NewMetadataCache("aeron:ipc", freshStream())
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.NewDiscoveryClient("aeron:ipc", freshStream(), "aeron:ipc", freshStream())
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil || q.Poll(10) != 0 {
		t.Fatalf("second Close %v, or Poll after Close read something", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if mc.Poll(10) != 0 || d.Poll(10) != 0 {
		t.Fatal("Poll read something after Client.Close")
	}
	if _, err := d.Request(DiscoveryQuery{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Request after Client.Close: %v", err)
	}
	if err := mc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NewQosMonitor("aeron:ipc", 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewQosMonitor on a closed client: %v", err)
	}
}

// A full table evicts the entry updated least recently, and only to admit a new id.
func TestNewestTableEvictsLeastRecentlyUpdated(t *testing.T) {
	var tab newestTable[int]
	for id := range uint32(tableCapacity) {
		v, created, evicted := tab.slot(id)
		if !created || evicted {
			t.Fatalf("id %d: created %v evicted %v", id, created, evicted)
		}
		*v = int(id)
	}
	if _, created, evicted := tab.slot(0); created || evicted { // 0 is now the newest
		t.Fatal("updating a held id created or evicted")
	}
	v, created, evicted := tab.slot(1000)
	if !created || !evicted || *v != 0 {
		t.Fatalf("new id into a full table: created %v evicted %v value %d", created, evicted, *v)
	}
	if _, ok := tab.get(1); ok {
		t.Fatal("id 1, the least recently updated, survived")
	}
	if p, ok := tab.get(0); !ok || *p != 0 {
		t.Fatal("id 0, updated recently, was evicted")
	}
	if tab.len() != tableCapacity {
		t.Fatalf("len %d", tab.len())
	}
}

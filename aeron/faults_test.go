package aeron

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/transport"
)

// Files that are not a CnC at all, or one a driver has not finished
// writing: each is a typed error within the driver timeout, never a panic or
// a hang.
func TestConnectRejectsForeignCnCFiles(t *testing.T) {
	cases := []struct {
		name    string
		content func() []byte
		want    []error
	}{
		{"empty", func() []byte { return nil }, []error{cnc.ErrCorrupt, cnc.ErrNotReady, ErrDriverInactive}},
		// A short file may be one a starting driver is still writing: it
		// waits for the driver until the timeout.
		{"shorter than the header", func() []byte { return []byte("not a cnc") }, []error{cnc.ErrCorrupt, cnc.ErrNotReady, ErrDriverInactive}},
		{"all ones", func() []byte {
			b := make([]byte, 64<<10)
			for i := range b {
				b[i] = 0xff
			}
			return b
		}, []error{cnc.ErrCorrupt, cnc.ErrVersion}},
		{"text", func() []byte {
			b := make([]byte, 0, 64<<10)
			for len(b) < cap(b) {
				b = append(b, "#!/bin/sh\necho this is not a media driver\n"...)
			}
			return b
		}, []error{cnc.ErrCorrupt, cnc.ErrVersion}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, cnc.FileName), tc.content(), 0o644); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			c, err := Connect(Config{Dir: dir, DriverTimeout: 200 * time.Millisecond})
			if err == nil {
				_ = c.Close()
				t.Fatal("connected to a foreign file")
			}
			matched := false
			for _, want := range tc.want {
				matched = matched || errors.Is(err, want)
			}
			if !matched {
				t.Fatalf("got %v, want one of %v", err, tc.want)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Fatalf("took %v with a 200ms timeout", took)
			}
		})
	}
	// A CnC whose version word the driver has not written yet: it waits for
	// the driver, then gives up at the timeout.
	start := time.Now()
	_, err := Connect(Config{Dir: writeCnC(t, func(b []byte) { clear(b[:4]) }), DriverTimeout: 200 * time.Millisecond})
	if !errors.Is(err, cnc.ErrNotReady) && !errors.Is(err, ErrDriverInactive) {
		t.Fatalf("unfinished CnC: got %v, want ErrNotReady or ErrDriverInactive", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("unfinished CnC took %v with a 200ms timeout", took)
	}
}

// A to-driver buffer nobody drains fills up: commands fail with
// ErrDriverBufferFull at once instead of waiting for space forever, and the
// client still closes.
func TestFullToDriverBufferIsAnError(t *testing.T) {
	c, err := Connect(Config{Dir: writeCnC(t, func([]byte) {}), DriverTimeout: 500 * time.Millisecond, UseInvoker: true,
		ErrorHandler: func(err error) { t.Logf("client error: %v", err) }})
	if err != nil {
		t.Fatal(err)
	}
	filled := false
	for i := 0; i < 1000 && !filled; i++ {
		c.mu.Lock()
		_, err := c.proxy.addCounter(1001, nil, "filler")
		c.mu.Unlock()
		if err != nil {
			if !errors.Is(err, ErrDriverBufferFull) {
				t.Fatalf("filling the buffer: %v", err)
			}
			filled = true
		}
	}
	if !filled {
		t.Fatal("the to-driver buffer never filled")
	}
	start := time.Now()
	if _, err := awaitAdd(t, c, c.AddPublication("aeron:ipc", 1)); !errors.Is(err, ErrDriverBufferFull) {
		t.Fatalf("add publication on a full buffer: %v", err)
	}
	if _, err := awaitAdd(t, c, c.AddSubscription("aeron:ipc", 1)); !errors.Is(err, ErrDriverBufferFull) {
		t.Fatalf("add subscription on a full buffer: %v", err)
	}
	if _, err := awaitAdd(t, c, c.AddCounter(1001, nil, "x")); !errors.Is(err, ErrDriverBufferFull) {
		t.Fatalf("add counter on a full buffer: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("failing on a full buffer took %v", took)
	}
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("close hangs on a full buffer")
	}
}

// After the driver dies, and again after the client closes, publications and
// subscriptions answer with Aeron's Closed result and typed errors: no
// panic, no hang, no access to unmapped memory.
func TestResourcesAfterDriverDeathAndClose(t *testing.T) {
	d := drivertest.Start(t, nil)
	c, err := Connect(Config{Dir: d.Dir(), DriverTimeout: time.Second, ErrorHandler: func(err error) { t.Logf("client error: %v", err) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const stream = 2101
	sub := addSubscription(t, c, "aeron:ipc", stream)
	pub := addExclusivePublication(t, c, "aeron:ipc", stream)
	eventually(t, 5*time.Second, "connected", func() bool { return pub.IsConnected() && sub.IsConnected() })
	offerRetrying(t, pub, []byte("before"), func() {})
	nothing := func([]byte, *transport.Header) {}
	eventually(t, 5*time.Second, "message", func() bool { return sub.Poll(nothing, 10) == 1 })

	if err := d.Kill(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "client notices the dead driver", func() bool { return c.Err() != nil })
	check := func(when string, wantErr error) {
		t.Helper()
		var claim transport.Claim
		if r := pub.TryClaim(8, &claim); r != transport.Closed {
			t.Errorf("%s: try-claim %d, want Closed", when, r)
		}
		if r := pub.Offer([]byte("after")); r != transport.Closed {
			t.Errorf("%s: offer %d, want Closed", when, r)
		}
		if pub.IsConnected() || sub.IsConnected() {
			t.Errorf("%s: still connected", when)
		}
		if n := sub.Poll(nothing, 10); n != 0 {
			t.Errorf("%s: poll read %d", when, n)
		}
		if pub.LogBuffers() != nil || !pub.IsClosed() {
			t.Errorf("%s: publication not closed", when)
		}
		if _, err := awaitAdd(t, c, c.AddPublication("aeron:ipc", stream)); !errors.Is(err, wantErr) {
			t.Errorf("%s: add publication: %v, want %v", when, err, wantErr)
		}
		if err := pub.Close(); err != nil {
			t.Errorf("%s: closing a closed publication: %v", when, err)
		}
		if err := sub.Close(); err != nil {
			t.Errorf("%s: closing a closed subscription: %v", when, err)
		}
	}
	check("driver dead", ErrDriverInactive)
	if err := c.Close(); err != nil {
		t.Fatalf("close after driver death: %v", err)
	}
	check("client closed", ErrDriverInactive)
}

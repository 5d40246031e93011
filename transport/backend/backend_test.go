package backend

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
)

func TestMain(m *testing.M) { drivertest.Main(m, nil) }

// Connect makes a client of the backend the build chose, and it works: an add completes.
func TestConnectIsTheBuildsBackend(t *testing.T) {
	for _, invoker := range []bool{false, true} {
		c, err := Connect(Config{Dir: drivertest.Dir(t), UseInvoker: invoker, ErrorHandler: func(err error) { t.Log(err) }})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprintf("%T", c), "*"+Name+".Client"; got != want {
			t.Fatalf("Connect made a %s, want a %s (Name %q)", got, want, Name)
		}
		if invoker != (c.Conductor() != nil) {
			t.Fatalf("UseInvoker %v, conductor %v", invoker, c.Conductor())
		}
		pending := c.AddSubscription("aeron:ipc", 4242)
		deadline := time.Now().Add(20 * time.Second)
		for {
			if conductor := c.Conductor(); conductor != nil {
				conductor.DoWork(clock.Now())
			}
			sub, err := pending.Poll()
			if err == nil {
				_ = sub.Close()
				break
			}
			if !errors.Is(err, transport.ErrPending) {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatal("the add did not complete within 20s")
			}
			time.Sleep(time.Millisecond)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// Without a driver in Dir, Connect fails after ConnectTimeout, not the driver timeout, with
// cnc.ErrNotFound, on either backend.
func TestConnectWithoutDriverFailsWithinConnectTimeout(t *testing.T) {
	start := time.Now()
	c, err := Connect(Config{Dir: t.TempDir(), ConnectTimeout: 100 * time.Millisecond})
	if err == nil {
		_ = c.Close()
		t.Fatal("Connect succeeded without a driver")
	}
	if !errors.Is(err, cnc.ErrNotFound) {
		t.Fatalf("%v, want cnc.ErrNotFound", err)
	}
	if elapsed := time.Since(start); elapsed > driverTimeout/2 {
		t.Fatalf("Connect gave up after %v for a ConnectTimeout of 100ms: %v", elapsed, err)
	}
	t.Logf("%s: %v", Name, err)
}

// Names lists the pure-Go client and the build's backend; ConnectNamed refuses a name
// that is not among them, naming the ones there are.
func TestConnectNamedKnowsTheBuildsBackends(t *testing.T) {
	names := Names()
	if !slices.Contains(names, "aeron") || !slices.Contains(names, Name) {
		t.Fatalf("Names() = %v, want aeron and %s", names, Name)
	}
	_, err := ConnectNamed("zmq", Config{Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), `"zmq"`) || !strings.Contains(err.Error(), "aeron") {
		t.Fatalf("ConnectNamed(zmq): %v", err)
	}
	for _, name := range names {
		c, err := ConnectNamed(name, Config{Dir: drivertest.Dir(t)})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprintf("%T", c), "*"+name+".Client"; got != want {
			t.Errorf("ConnectNamed(%s) made a %s", name, got)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

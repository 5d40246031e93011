//go:build aeronc

package aeronc

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/transport"
)

// A driver that dies ends the client: the C client's error handler reaches the Go one
// (from the goroutine running the conductor, or from the C conductor thread), Err reports
// the error, resources answer Closed and adds fail with it.
func TestDriverDeathReachesTheErrorHandlerAndEndsTheClient(t *testing.T) {
	for _, invoker := range []bool{true, false} {
		t.Run(map[bool]string{true: "Invoker", false: "ConductorThread"}[invoker], func(t *testing.T) {
			d := drivertest.Start(t, nil)
			var log errorLog
			c, err := Connect(Config{Dir: d.Dir(), UseInvoker: invoker, DriverTimeout: time.Second, ErrorHandler: log.handler})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := c.Close(); err != nil {
					t.Errorf("closing the client: %v", err)
				}
			}()
			stop := runConductor(t, c)
			defer stop()
			stream := nextStream()
			sub := await(t, "add subscription", c.AddSubscription("aeron:ipc", stream))
			pub := await(t, "add publication", c.AddPublication("aeron:ipc", stream))
			counter := await(t, "add counter", c.AddCounter(1001, nil, "doomed"))
			eventually(t, "connected", func() bool { return pub.IsConnected() && sub.IsConnected() })
			if err := d.Kill(); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the client ends", func() bool { return c.Err() != nil })
			var cerr *Error
			if !errors.As(c.Err(), &cerr) || cerr.Code != CodeDriverTimeout || !cerr.Terminal() {
				t.Fatalf("Err after the driver died: %v, want a driver timeout", c.Err())
			}
			if errs := log.all(); len(errs) == 0 || !errors.As(errs[0], &cerr) || cerr.Code != CodeDriverTimeout {
				t.Fatalf("the error handler received %v", errs)
			}
			if _, err := transport.Await(t.Context(), c.AddSubscription("aeron:ipc", stream)); !errors.As(err, &cerr) || cerr.Code != CodeDriverTimeout {
				t.Fatalf("an add after the end: %v", err)
			}
			if r := pub.Offer([]byte("late")); r != transport.Closed {
				t.Fatalf("offer after the end: %s", transport.ResultName(r))
			}
			if n := sub.Poll(func([]byte, *transport.Header) {}, 10); n != 0 || sub.IsConnected() {
				t.Fatalf("a subscription of an ended client read %d", n)
			}
			if counter.Get() != 0 {
				t.Fatal("a counter of an ended client still reads")
			}
			for _, r := range []interface{ Close() error }{pub, sub, counter} {
				if err := r.Close(); err != nil {
					t.Fatalf("closing a resource of an ended client: %v", err)
				}
			}
		})
	}
}

// runConductor runs the client's conductor in invoker mode until the returned stop.
func runConductor(t *testing.T, c *Client) (stop func()) {
	t.Helper()
	conductor := c.Conductor()
	if conductor == nil {
		return func() {}
	}
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			default:
			}
			if conductor.DoWork(0) == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	return func() { close(quit); <-done }
}

// Without a library the tag's binary still starts, and Connect names the variables that
// find one (a helper process: a process loads one library, and this one has).
func TestConnectWithoutTheLibraryNamesTheVariables(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=connect", EnvLibrary+"=/nonexistent/lib/libaeron.so")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	for _, want := range []string{"/nonexistent/lib/libaeron.so", "$" + EnvLibrary, EnvLibrary + " to the path", EnvIncludeDir} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the error does not say %q:\n%s", want, out)
		}
	}
}

func TestLibraryPathOrder(t *testing.T) {
	dir := t.TempDir()
	saved := DefaultLibrary
	t.Cleanup(func() { DefaultLibrary = saved })
	t.Setenv(EnvLibrary, "")
	DefaultLibrary = ""
	if p, _ := libraryPath(""); p != Soname {
		t.Errorf("nothing set: %q, want the soname", p)
	}
	DefaultLibrary = "/stamped/libaeron.so"
	if p, src := libraryPath(""); p != DefaultLibrary || !strings.Contains(src, "DefaultLibrary") {
		t.Errorf("stamped: %q from %s", p, src)
	}
	t.Setenv(EnvLibrary, dir)
	if p, src := libraryPath(""); p != dir+"/"+Soname || src != "$"+EnvLibrary {
		t.Errorf("a directory in the environment: %q from %s", p, src)
	}
	if p, src := libraryPath("/configured/libaeron.so.1"); p != "/configured/libaeron.so.1" || src != "Config.Library" {
		t.Errorf("configured: %q from %s", p, src)
	}
}

// Load reports the library a process uses; a Config naming another one is refused, since
// a process loads one.
func TestLoadReportsTheLibraryAndRefusesASecond(t *testing.T) {
	path, version, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(version, "version=1.") {
		t.Fatalf("version %q", version)
	}
	t.Logf("%s: %s", path, version)
	if again, _, err := Load(""); err != nil || again != path {
		t.Fatalf("a second Load: %q, %v", again, err)
	}
	_, err = Connect(Config{Library: "/elsewhere/libaeron.so"})
	var lerr *LibraryError
	if !errors.As(err, &lerr) || !errors.Is(err, ErrLibrary) || !strings.Contains(err.Error(), "already loaded "+path) {
		t.Fatalf("Connect naming another library: %v", err)
	}
}

func TestClientDescribesItself(t *testing.T) {
	dir := drivertest.Dir(t)
	c := connect(t, dir, false, nil)
	if c.Dir() != dir || c.ClientID() < 0 || c.Err() != nil {
		t.Fatalf("dir %q (want %q), client id %d, err %v", c.Dir(), dir, c.ClientID(), c.Err())
	}
	pub := await(t, "add exclusive publication", c.AddExclusivePublication("aeron:ipc", nextStream())).(*Publication)
	counter := await(t, "add counter", c.AddCounter(1001, nil, "described")).(*Counter)
	if !pub.IsExclusive() || pub.RegistrationID() <= 0 || counter.RegistrationID() <= 0 {
		t.Fatalf("exclusive %v, registration ids %d and %d", pub.IsExclusive(), pub.RegistrationID(), counter.RegistrationID())
	}
}

// Close removes the client's publications and subscriptions before it closes the C
// client, as the pure-Go client does. aeron_close alone sends CLIENT_CLOSE, which the
// media driver acts on at its next timer event: until then a subscription of the closed
// client stays where it last read, and a new subscriber of a shared IPC stream joins
// there and reads messages every live subscriber had read (a restarted tp-driver got its
// dead predecessor's attach requests again). The driver's timer interval here is longer
// than the test, so only the removes can take the subscription away.
func TestCloseRemovesItsSubscriptionsAtOnce(t *testing.T) {
	dir := drivertest.Start(t, map[string]string{"aeron.timer.interval": "30s",
		"aeron.client.liveness.timeout": "60s", "aeron.publication.unblock.timeout": "90s",
		"aeron.untethered.window.limit.timeout": "60s", "aeron.untethered.linger.timeout": "60s",
		"aeron.untethered.resting.timeout": "60s"}).Dir()
	for _, invoker := range []bool{false, true} {
		t.Run(map[bool]string{false: "ConductorThread", true: "Invoker"}[invoker], func(t *testing.T) {
			stream := nextStream()
			reader := connect(t, dir, false, nil)
			readerSub := await(t, "add subscription", reader.AddSubscription("aeron:ipc", stream))
			readerPub := await(t, "add publication", reader.AddPublication("aeron:ipc", stream))

			closing := connect(t, dir, invoker, nil)
			await(t, "add subscription", closing.AddSubscription("aeron:ipc", stream)) // never polled: stays at 0
			pub := await(t, "add publication", closing.AddPublication("aeron:ipc", stream))
			eventually(t, "connected", func() bool { return pub.IsConnected() && readerSub.ImageCount() > 0 })
			read := 0
			offerAll(t, pub, [][]byte{[]byte("before the close")}, func() {})
			eventually(t, "read by the live subscriber", func() bool {
				readerSub.Poll(func([]byte, *transport.Header) { read++ }, 10)
				return read == 1
			})
			if err := closing.Close(); err != nil {
				t.Fatal(err)
			}

			// The stream lives on (readerPub shares its log); a new subscriber joins it
			// where its slowest subscriber is.
			late := connect(t, dir, false, nil)
			lateSub := await(t, "add subscription", late.AddSubscription("aeron:ipc", stream))
			eventually(t, "joined", func() bool { return lateSub.ImageCount() > 0 })
			offerAll(t, readerPub, [][]byte{[]byte("after the close")}, func() {})
			var got []string
			eventually(t, "the message after the close", func() bool {
				lateSub.Poll(func(msg []byte, _ *transport.Header) { got = append(got, string(msg)) }, 10)
				return len(got) > 0 && got[len(got)-1] == "after the close"
			})
			if len(got) != 1 {
				t.Fatalf("the late subscriber read %q: it joined where the closed client's subscription was", got)
			}
		})
	}
}

// Package drivertest gives a test package one media driver for all its tests:
// call Main from TestMain. The driver starts when a test first asks for it
// (so fuzz workers and tests that need no driver start no JVM) and stops
// when the tests end. It is the embedded Java driver unless $TP_AERON_DIR
// names an external one. A missing Java or jar fails the asking test; it
// never skips.
package drivertest

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver"
)

var (
	sharedOnce  sync.Once
	shared      *mediadriver.Driver
	sharedErr   error
	sharedExtra map[string]string
)

// Properties are driver settings sized for tests: small terms and counters
// (the driver's minimum counters buffer is 1 MiB) so many drivers fit in
// /dev/shm, and a short client liveness timeout so a keepalive bug shows
// within seconds. The timer interval stays Aeron's 1 s, not the 100 ms of
// mediadriver.DefaultProperties: the driver judges client liveness at its
// timer events, and the suite's 2 s timeout was set with the 1 s interval's
// slack on a loaded machine (tests of the 100 ms interval ask for it).
func Properties() map[string]string {
	return map[string]string{
		"aeron.term.buffer.length":         "64k",
		"aeron.ipc.term.buffer.length":     "64k",
		"aeron.counters.buffer.length":     "1m",
		"aeron.client.liveness.timeout":    "2s",
		"aeron.publication.linger.timeout": "100ms",
		"aeron.timer.interval":             "1s",
	}
}

// Main runs the tests with Properties plus extra for the shared driver,
// stops the driver if a test started it, runs cleanups (what the package's
// tests share, such as a built binary), and exits.
func Main(m *testing.M, extra map[string]string, cleanups ...func()) {
	sharedExtra = extra
	code := m.Run()
	for _, cleanup := range cleanups {
		cleanup()
	}
	if shared != nil {
		if err := shared.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: stopping the shared media driver: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// Driver returns the shared driver, starting it on first use; it fails t if
// the driver cannot start.
func Driver(t testing.TB) *mediadriver.Driver {
	t.Helper()
	sharedOnce.Do(func() {
		props := Properties()
		for k, v := range sharedExtra {
			props[k] = v
		}
		shared, sharedErr = mediadriver.Launch(mediadriver.Config{Properties: props, StartTimeout: 60 * time.Second})
	})
	if sharedErr != nil {
		t.Fatalf("cannot start the Aeron media driver these tests need: %v\n"+
			"Run `make deps` to fetch aeron-all.jar, and make sure a JDK 17+ `java` is installed.", sharedErr)
	}
	return shared
}

// Dir is the shared driver's aeron.dir.
func Dir(t testing.TB) string {
	t.Helper()
	return Driver(t).Dir()
}

// Start launches a private embedded driver for one test (for tests that kill
// or stop it) and stops it at cleanup.
func Start(t testing.TB, extra map[string]string) *mediadriver.Driver {
	t.Helper()
	props := Properties()
	for k, v := range extra {
		props[k] = v
	}
	d, err := mediadriver.Start(mediadriver.Config{Properties: props, StartTimeout: 60 * time.Second})
	if err != nil {
		t.Fatalf("cannot start a private Aeron media driver (run `make deps` if java or the jar is missing): %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("stopping private media driver: %v", err)
		}
	})
	return d
}

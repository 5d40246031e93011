package tp

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
)

// sharedAeronDir is the one media driver of this package's tests. It is also exported as
// $TP_AERON_DIR, so the examples' Connect (with no AeronDir) uses it instead of starting
// a JVM each.
var sharedAeronDir string

func TestMain(m *testing.M) {
	if spec := os.Getenv(childProducerEnv); spec != "" {
		os.Exit(runChildProducer(spec))
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		return m.Run() // fuzz workers run only the fuzz target, which needs no driver
	}
	if dir := os.Getenv(mediadriver.EnvDir); dir != "" {
		sharedAeronDir = dir
		return m.Run()
	}
	d, err := mediadriver.Start(mediadriver.Config{Properties: drivertest.Properties(), StartTimeout: 60 * time.Second})
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the Aeron media driver these tests need did not start (run `make deps`): %v\n", err)
		return 1
	}
	sharedAeronDir = d.Dir()
	os.Setenv(mediadriver.EnvDir, sharedAeronDir)
	code := m.Run()
	os.Unsetenv(mediadriver.EnvDir)
	if err := d.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: stopping the media driver: %v\n", err)
		code = max(code, 1)
	}
	return code
}

// Package interop runs C and C++ programs linked against libtensorpool.so next to Go
// producers and consumers, over the real Aeron media driver and the Go SHM driver.
package interop

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
)

// aeronDir is the media driver all tests and their C programs share.
var aeronDir string

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tp-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	buildDir = dir
	defer os.RemoveAll(dir)
	if aeronDir = os.Getenv(mediadriver.EnvDir); aeronDir != "" {
		return m.Run()
	}
	d, err := mediadriver.Start(mediadriver.Config{Properties: drivertest.Properties(), StartTimeout: 60 * time.Second})
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the Aeron media driver these tests need did not start (run `make deps`): %v\n", err)
		return 1
	}
	aeronDir = d.Dir()
	code := m.Run()
	if err := d.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: stopping the media driver: %v\n", err)
		code = max(code, 1)
	}
	return code
}

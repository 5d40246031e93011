//go:build aeronc

package aeronc

import (
	"os"
	"testing"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
)

// One Java media driver serves the tests that use it; the C media driver legs start
// aeronmd per test. A test binary started as a helper process runs only the helper.
func TestMain(m *testing.M) {
	if helper := os.Getenv(helperEnv); helper != "" {
		os.Exit(runHelper(helper))
	}
	drivertest.Main(m, nil)
}

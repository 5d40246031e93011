package aeron

import (
	"os"
	"testing"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
)

// One Java media driver serves this package's tests; tests that kill or
// stop a driver start their own. A test binary started as a helper process
// (see multiprocess_test.go) runs only the helper, on its parent's driver.
func TestMain(m *testing.M) {
	if os.Getenv(helperPublisherEnv) != "" {
		os.Exit(runHelperPublisher())
	}
	drivertest.Main(m, nil)
}

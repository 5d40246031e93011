package driver

import (
	"os"
	"testing"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
)

// One Java media driver serves this package's tests. A test binary started
// as a client process (multiprocess_test.go) runs only that client.
func TestMain(m *testing.M) {
	if os.Getenv(helperClientEnv) != "" {
		os.Exit(runHelperClient())
	}
	drivertest.Main(m, nil)
}

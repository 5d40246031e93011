package consumer

import (
	"os"
	"testing"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
)

// A test binary started as a child process (process_test.go) runs only the child's role.
func TestMain(m *testing.M) {
	if role := os.Getenv(childRoleEnv); role != "" {
		os.Exit(runChild(role))
	}
	drivertest.Main(m, nil)
}

//go:build aeronc

package aeronc

import (
	"fmt"
	"os"
)

// helperEnv selects a helper run of the test binary (see TestMain).
const helperEnv = "TP_AERONC_TEST_HELPER"

// runHelper runs the helper named by helperEnv and returns the exit code.
func runHelper(name string) int {
	switch name {
	case "connect":
		// Connect as a program would, with the environment the parent test set.
		_, err := Connect(Config{Dir: os.Getenv("TP_AERONC_TEST_DIR")})
		if err != nil {
			fmt.Println(err)
			return 3
		}
		fmt.Println("connected")
		return 0
	}
	fmt.Println("unknown helper", name)
	return 2
}

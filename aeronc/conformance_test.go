//go:build aeronc

package aeronc

import (
	"testing"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/transporttest"
)

// newClient is the conformance suite's client maker for the driver in dir: the suite runs
// the conductor in invoker mode and closes the client.
func newClient(dir string, invoker bool) transporttest.NewClient {
	return func(t *testing.T) transport.Client {
		t.Helper()
		c, err := Connect(Config{Dir: dir, UseInvoker: invoker, ClientName: t.Name()})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

// The transport conformance suite, against the Java media driver and against the C one,
// with the C client's conductor in the caller's duty cycle and on its own thread.
func TestConformance(t *testing.T) {
	for _, driver := range []struct {
		name string
		dir  func(*testing.T) string
	}{
		{"JavaDriver", func(t *testing.T) string { return drivertest.Dir(t) }},
		{"CDriver", startCDriver},
	} {
		t.Run(driver.name, func(t *testing.T) {
			dir := driver.dir(t)
			for _, invoker := range []bool{true, false} {
				t.Run(map[bool]string{true: "Invoker", false: "ConductorThread"}[invoker], func(t *testing.T) {
					transporttest.Run(t, newClient(dir, invoker))
				})
			}
		})
	}
}

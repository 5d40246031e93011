package aeron

import (
	"testing"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/transporttest"
)

// newTransportClient connects a client to the shared Java media driver, with its own
// conductor goroutine or in invoker mode (the suite runs the conductor then).
func newTransportClient(invoker bool) transporttest.NewClient {
	return func(t *testing.T) transport.Client {
		c, err := Connect(Config{Dir: drivertest.Dir(t), UseInvoker: invoker,
			ErrorHandler: func(err error) { t.Logf("client error: %v", err) }})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

func TestConformance(t *testing.T) {
	t.Run("runner", func(t *testing.T) { transporttest.Run(t, newTransportClient(false)) })
	t.Run("invoker", func(t *testing.T) { transporttest.Run(t, newTransportClient(true)) })
}

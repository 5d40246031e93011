//go:build !race

package mem_test

import (
	"testing"

	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/transport/transporttest"
)

func TestConformanceSteadyStateAllocs(t *testing.T) {
	transporttest.SteadyStateAllocs(t, func(*testing.T) transport.Client {
		return mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{})
	})
}

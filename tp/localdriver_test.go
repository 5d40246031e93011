package tp

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/backend"
)

// testDriver is an SHM driver inside the test process, on a runner of its own: what
// package tp/local gives applications (these tests cannot import it: it imports tp).
type testDriver struct {
	cfg      *config.DriverConfig
	own      transport.Client // the transport it connected, if any
	runner   *agent.Runner
	stopOnce sync.Once
}

// startDriver runs cfg's driver over tc, or over an Aeron client of its own on the shared
// media driver when tc is nil, until the test ends or stop.
func startDriver(t *testing.T, cfg *config.DriverConfig, tc transport.Client) *testDriver {
	t.Helper()
	d := &testDriver{cfg: cfg}
	if tc == nil {
		var err error
		if d.own, err = backend.Connect(backend.Config{Dir: sharedAeronDir, IdleStrategy: agent.NewBackoff()}); err != nil {
			t.Fatal(err)
		}
		tc = d.own
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	a, err := driver.NewAgent(ctx, cfg, tc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	d.runner = agent.NewRunner(a, agent.RunnerConfig{Idle: agent.NewBackoff()})
	if err := d.runner.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.stop)
	return d
}

// stop stops the driver: it revokes every lease and sends ShmDriverShutdown.
func (d *testDriver) stop() {
	d.stopOnce.Do(func() {
		d.runner.Close()
		if d.own != nil {
			d.own.Close()
		}
	})
}

// options reaches the driver: o with its control and announce streams, base directory
// and keepalive interval, on the shared media driver.
func (d *testDriver) options(o Options) Options {
	c := d.cfg
	if o.AeronDir == "" {
		o.AeronDir = sharedAeronDir
	}
	o.ControlChannel, o.ControlStreamID = c.Driver.ControlChannel, int32(c.Driver.ControlStreamID)
	if o.AnnounceChannel == "" {
		o.AnnounceChannel, o.AnnounceStreamID = c.Driver.AnnounceChannel, int32(c.Driver.AnnounceStreamID)
	}
	if len(o.AllowedBaseDirs) == 0 {
		o.AllowedBaseDirs = c.Shm.AllowedBaseDirs
	}
	if o.KeepaliveInterval == 0 {
		o.KeepaliveInterval = c.Policies.KeepaliveInterval()
	}
	return o
}

// driverOf is the driver each startClient Client reaches.
var driverOf sync.Map // *Client → *testDriver

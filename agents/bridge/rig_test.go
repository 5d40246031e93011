package bridge

import (
	"testing"

	"github.com/tensorpool/tensorpool/agents/internal/hosttest"
	"github.com/tensorpool/tensorpool/agents/internal/remat"
	"github.com/tensorpool/tensorpool/config"
)

// The bridge's host tests run a whole host in memory (hosttest): an SHM driver, a
// producer of the source stream, the bridge (its UDP channels are in-memory streams too)
// and a consumer of the destination stream, on one duty cycle the test turns.

const (
	rigSource = 10000
	rigDest   = 20000
)

// newRig starts a host whose driver serves the source stream and the given destinations.
func newRig(t testing.TB, dests ...uint32) *hosttest.Host {
	t.Helper()
	return hosttest.New(t, append([]uint32{rigSource}, dests...)...)
}

// bridgeConfig is a both-halves bridge of the host's source onto dest (0: from the range
// 20000-20009), its "UDP" channels in-memory streams.
func bridgeConfig(h *hosttest.Host, dest uint32) *config.BridgeConfig {
	cfg := config.DefaultBridge()
	b := &cfg.Bridge
	b.InstanceID = "rig"
	b.PayloadChannel, b.PayloadStreamID = "aeron:udp?endpoint=localhost:40456", 3000
	b.ControlChannel, b.ControlStreamID = "aeron:udp?endpoint=localhost:40457", 3001
	b.MetadataChannel, b.MetadataStreamID = "aeron:udp?endpoint=localhost:40458", 3002
	b.ForwardQos, b.ForwardProgress = true, true
	b.DriverControlChannel, b.DriverControlStreamID = hosttest.Channel, hosttest.Control
	b.LocalChannel, b.DescriptorStreamID = hosttest.Channel, hosttest.Descriptors
	b.AllowedBaseDirs = []string{h.Base}
	b.ClientID = hosttest.ClientIDBase()
	b.ChunkBytes = 1000
	if dest == 0 {
		b.DestStreamIDRange = config.StreamIDRange{First: 20000, Last: 20009}
	}
	cfg.Mappings = []config.BridgeMapping{{SourceStreamID: rigSource, DestStreamID: dest, SourceControlStreamID: 1201, DestControlStreamID: 2201}}
	return cfg
}

// addBridge hosts a bridge of cfg in the host's process.
func addBridge(t testing.TB, h *hosttest.Host, cfg *config.BridgeConfig) *Bridge {
	t.Helper()
	b, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(h.Proc); err != nil {
		t.Fatal(err)
	}
	return b
}

// bridgeFirstFrame offers frames until the bridge has re-materialised one.
func bridgeFirstFrame(h *hosttest.Host, src *hosttest.Producer, b *Bridge) {
	h.Until("the bridge's first frame", func() bool {
		src.Offer(1000)
		return b.metrics.FramesRematerialised.Load() > 0
	})
}

// waitDestReady runs the host until the bridge's first mapping has a local epoch.
func waitDestReady(h *hosttest.Host, b *Bridge) *mapping {
	mp := b.receiver.mappings[0]
	h.Until("the destination attached", func() bool { return mp.dest.State() == remat.Ready })
	return mp
}

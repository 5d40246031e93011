package driver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/wire"
)

const (
	descChannel = "aeron:ipc?alias=desc"
	ctrlChannel = "aeron:ipc?alias=ctrl"
)

// TestWireSpec_10_1_2_PerConsumerStreams: a per-consumer stream is
// requested only by a channel together with a nonzero id; a half request is
// declined with id 0 and an empty channel. The requested id is a preference
// within the driver's range (Driver §11).
func TestWireSpec_10_1_2_PerConsumerStreams(t *testing.T) {
	tests := []struct {
		name       string
		hello      wire.ConsumerHello
		descriptor uint32
		descChan   string
		control    uint32
		ctrlChan   string
	}{
		{"no request", wire.ConsumerHello{}, 0, "", 0, ""},
		{"both requested, preferred ids in range",
			wire.ConsumerHello{DescriptorStreamID: 31001, DescriptorChannel: descChannel, ControlStreamID: 32001, ControlChannel: ctrlChannel},
			31001, descChannel, 32001, ctrlChannel},
		{"preferred id outside range gets the next free id",
			wire.ConsumerHello{DescriptorStreamID: 2300, DescriptorChannel: descChannel},
			31000, descChannel, 0, ""},
		{"channel with id 0 is declined (Wire rule, not Driver §11)",
			wire.ConsumerHello{DescriptorStreamID: 0, DescriptorChannel: descChannel, ControlStreamID: 0, ControlChannel: ctrlChannel},
			0, "", 0, ""},
		{"id without channel is declined",
			wire.ConsumerHello{DescriptorStreamID: 31000, ControlStreamID: 32000},
			0, "", 0, ""},
		{"each request stands alone",
			wire.ConsumerHello{DescriptorStreamID: 31000, DescriptorChannel: descChannel, ControlStreamID: 0, ControlChannel: ctrlChannel},
			31000, descChannel, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCore(t)
			attach(t, c, request(camStream, 5, wire.RoleConsumer), 0)
			h := tt.hello
			h.StreamID, h.ConsumerID = camStream, 5
			got, ok := c.ConsumerHello(h)
			require.True(t, ok)
			assert.Equal(t, wire.ConsumerConfig{
				StreamID: camStream, ConsumerID: 5, UseShm: true, Mode: wire.ModeStream,
				DescriptorStreamID: tt.descriptor, DescriptorChannel: tt.descChan,
				ControlStreamID: tt.control, ControlChannel: tt.ctrlChan,
			}, got)
		})
	}
}

// TestDriverSpec_11_ConfigConfirmsTheConsumersMode: the driver assigns streams, not
// modes: its ConsumerConfig confirms the mode the hello asked for (Wire §10.1.3: the
// consumer applies the config's mode, so STREAM here would turn a RATE_LIMITED
// consumer's cap off).
func TestDriverSpec_11_ConfigConfirmsTheConsumersMode(t *testing.T) {
	for _, mode := range []wire.Mode{wire.ModeStream, wire.ModeRateLimited} {
		c := newTestCore(t)
		attach(t, c, request(camStream, 5, wire.RoleConsumer), 0)
		got, ok := c.ConsumerHello(wire.ConsumerHello{StreamID: camStream, ConsumerID: 5, Mode: mode, MaxRateHz: 30})
		require.True(t, ok)
		assert.Equal(t, mode, got.Mode)
	}
}

// TestDriverSpec_11_PerConsumerAssignment: assignments are sticky, unique
// among consumers, declined when the range is exhausted or unset, and
// freed when the lease ends.
func TestDriverSpec_11_PerConsumerAssignment(t *testing.T) {
	hello := func(consumer uint32) wire.ConsumerHello {
		return wire.ConsumerHello{StreamID: camStream, ConsumerID: consumer, DescriptorStreamID: 31000, DescriptorChannel: descChannel}
	}
	c := newTestCore(t)
	first := attach(t, c, request(camStream, 1, wire.RoleConsumer), 0)
	attach(t, c, request(camStream, 2, wire.RoleConsumer), 0)
	attach(t, c, request(camStream, 3, wire.RoleConsumer), 0)

	a, _ := c.ConsumerHello(hello(1))
	assert.Equal(t, uint32(31000), a.DescriptorStreamID)
	a, _ = c.ConsumerHello(hello(1))
	assert.Equal(t, uint32(31000), a.DescriptorStreamID, "sticky across hellos")
	b, _ := c.ConsumerHello(hello(2))
	assert.Equal(t, uint32(31001), b.DescriptorStreamID, "a taken id is not shared")
	full, _ := c.ConsumerHello(hello(3))
	assert.Equal(t, uint32(0), full.DescriptorStreamID, "range exhausted")
	assert.Empty(t, full.DescriptorChannel)

	c.Detach(wire.ShmDetachRequest{LeaseID: first.LeaseID, StreamID: camStream, ClientID: 1, Role: wire.RoleConsumer}, 1)
	freed, _ := c.ConsumerHello(hello(3))
	assert.Equal(t, uint32(31000), freed.DescriptorStreamID, "freed when the lease ended")

	released, _ := c.ConsumerHello(wire.ConsumerHello{StreamID: camStream, ConsumerID: 3})
	assert.Equal(t, uint32(0), released.DescriptorStreamID, "a hello without the request gives the id back")
	again, _ := c.ConsumerHello(hello(2))
	assert.Equal(t, uint32(31001), again.DescriptorStreamID)

	cfg := loadConfig(t, "")
	cfg.Driver.DescriptorStreamIDRange = config.StreamIDRange{}
	unset := NewCore(cfg, testInstance)
	attach(t, unset, request(camStream, 1, wire.RoleConsumer), 0)
	got, ok := unset.ConsumerHello(hello(1))
	require.True(t, ok)
	assert.Equal(t, uint32(0), got.DescriptorStreamID, "range unset: declined")
	assert.Empty(t, got.DescriptorChannel)
}

// TestConsumerHelloNeedsConsumerLease: only a consumer holding a consumer
// lease on the hello's stream gets a ConsumerConfig from the driver.
func TestConsumerHelloNeedsConsumerLease(t *testing.T) {
	c := newTestCore(t)
	attach(t, c, request(camStream, 1, wire.RoleProducer), 0)
	attach(t, c, request(camStream, 2, wire.RoleConsumer), 0)
	for _, h := range []wire.ConsumerHello{
		{StreamID: camStream, ConsumerID: 9}, // no lease
		{StreamID: camStream, ConsumerID: 1}, // producer lease
		{StreamID: dynFirst, ConsumerID: 2},  // lease on another stream
	} {
		_, ok := c.ConsumerHello(h)
		assert.False(t, ok, "%+v", h)
	}
}

package driver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/wire"
)

// TestDriverSpec_4_13_ShutdownToken: only a request carrying the configured
// token starts the drain; an empty configured token disables the request.
func TestDriverSpec_4_13_ShutdownToken(t *testing.T) {
	tests := []struct {
		name       string
		configured string
		presented  string
		outcome    ShutdownOutcome
	}{
		{"matching token", "let-me-stop", "let-me-stop", ShutdownAccepted},
		{"wrong token", "let-me-stop", "let-me-sto", ShutdownBadToken},
		{"missing token", "let-me-stop", "", ShutdownBadToken},
		{"disabled without a configured token", "", "", ShutdownDisabled},
		{"disabled ignores any token", "", "let-me-stop", ShutdownDisabled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := loadConfig(t, "")
			cfg.Policies.ShutdownToken = tt.configured
			c := NewCore(cfg, testInstance)
			outcome, _ := c.RequestShutdown(wire.ShmDriverShutdownRequest{Reason: wire.ShutdownAdmin, Token: tt.presented}, 0)
			assert.Equal(t, tt.outcome, outcome)
			want := Running
			if tt.outcome == ShutdownAccepted {
				want = Draining
			}
			assert.Equal(t, want, c.State())
		})
	}
}

// TestDriverSpec_4_13_DrainThenShutdown: an accepted request drains (final
// announce of every stream, leases still served, attaches rejected); at the
// shutdown timeout every lease is revoked, then ShmDriverShutdown carries
// the request's reason and message.
func TestDriverSpec_4_13_DrainThenShutdown(t *testing.T) {
	c := newTestCore(t)
	prod := attach(t, c, request(camStream, 1, wire.RoleProducer), 0)
	cons := attach(t, c, request(camStream, 2, wire.RoleConsumer), 0)

	outcome, actions := c.RequestShutdown(wire.ShmDriverShutdownRequest{Reason: wire.ShutdownAdmin, Token: "let-me-stop", ErrorMessage: "maintenance"}, second)
	require.Equal(t, ShutdownAccepted, outcome)
	assert.Equal(t, []Action{{Kind: ActionSendPoolAnnounce, StreamID: camStream, Epoch: prod.Epoch}}, actions, "final announce")
	assert.Equal(t, Draining, c.State())

	again, _ := c.RequestShutdown(wire.ShmDriverShutdownRequest{Token: "let-me-stop"}, second)
	assert.Equal(t, ShutdownAlreadyStopping, again)
	assert.Equal(t, KeepaliveExtended, keepalive(c, keepaliveFor(cons, 2, wire.RoleConsumer), second), "leases work while draining")
	assert.Equal(t, wire.CodeRejected, c.DecideAttach(request(camStream, 3, wire.RoleConsumer), second).Code)

	assert.Empty(t, c.Tick(3*second-1), "drain lasts shutdown_timeout_ms")
	actions = cloneActions(c.Tick(3 * second))
	require.Equal(t, []ActionKind{ActionSendLeaseRevoked, ActionSendLeaseRevoked, ActionSendDriverShutdown}, kinds(actions),
		"every lease is revoked (no epoch bump: the driver is leaving), then the shutdown notice")
	assert.Equal(t, prod.LeaseID, actions[0].Revoked.LeaseID)
	assert.Equal(t, wire.RevokeRevoked, actions[0].Revoked.Reason)
	assert.Equal(t, cons.LeaseID, actions[1].Revoked.LeaseID)
	assert.Equal(t, wire.ShmDriverShutdown{TimestampNs: 3 * second, Reason: wire.ShutdownAdmin, ErrorMessage: "maintenance"}, actions[2].Shutdown)
	assert.Equal(t, Stopped, c.State())
	assert.Empty(t, c.Tick(4*second), "stopped is final")
	assert.Empty(t, c.StopNow(4*second))
}

// TestDriverLifecycleStopNow: closing the agent stops at once, with reason
// NORMAL when running and the drain's reason when draining.
func TestDriverLifecycleStopNow(t *testing.T) {
	t.Run("from running", func(t *testing.T) {
		c := newTestCore(t)
		attach(t, c, request(camStream, 1, wire.RoleConsumer), 0)
		actions := c.StopNow(5)
		require.Equal(t, []ActionKind{ActionSendLeaseRevoked, ActionSendDriverShutdown}, kinds(actions))
		assert.Equal(t, wire.ShutdownNormal, actions[1].Shutdown.Reason)
		assert.Equal(t, Stopped, c.State())
	})
	t.Run("from draining", func(t *testing.T) {
		c := newTestCore(t)
		c.BeginShutdown(wire.ShutdownError, "disk full", 0)
		actions := c.StopNow(5)
		require.Equal(t, []ActionKind{ActionSendDriverShutdown}, kinds(actions))
		assert.Equal(t, wire.ShmDriverShutdown{TimestampNs: 5, Reason: wire.ShutdownError, ErrorMessage: "disk full"}, actions[0].Shutdown)
	})
}

// TestDriverLifecycleZeroTimeout: shutdown_timeout_ms = 0 stops at the next tick.
func TestDriverLifecycleZeroTimeout(t *testing.T) {
	cfg := loadConfig(t, "")
	cfg.Policies.ShutdownTimeoutMs = 0
	c := NewCore(cfg, testInstance)
	c.BeginShutdown(wire.ShutdownNormal, "", 7)
	assert.Equal(t, []ActionKind{ActionSendDriverShutdown}, kinds(c.Tick(7)))
}

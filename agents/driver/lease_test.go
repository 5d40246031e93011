package driver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/wire"
)

// TestDriverSpec_4_7_LeaseLifecycle is the transition table of the lease
// lifecycle: live states accept every event, ended states accept none.
func TestDriverSpec_4_7_LeaseLifecycle(t *testing.T) {
	tests := []struct {
		from  LeaseState
		event leaseEvent
		to    LeaseState
		ok    bool
	}{
		{LeaseStateAttached, eventKeepalive, LeaseStateActive, true},
		{LeaseStateActive, eventKeepalive, LeaseStateActive, true},
		{LeaseStateAttached, eventDetach, LeaseStateDetached, true},
		{LeaseStateActive, eventDetach, LeaseStateDetached, true},
		{LeaseStateAttached, eventExpire, LeaseStateExpired, true},
		{LeaseStateActive, eventExpire, LeaseStateExpired, true},
		{LeaseStateAttached, eventRevoke, LeaseStateRevoked, true},
		{LeaseStateActive, eventRevoke, LeaseStateRevoked, true},
		{LeaseStateDetached, eventKeepalive, LeaseStateDetached, false},
		{LeaseStateDetached, eventRevoke, LeaseStateDetached, false},
		{LeaseStateExpired, eventKeepalive, LeaseStateExpired, false},
		{LeaseStateExpired, eventDetach, LeaseStateExpired, false},
		{LeaseStateRevoked, eventExpire, LeaseStateRevoked, false},
		{LeaseStateRevoked, eventKeepalive, LeaseStateRevoked, false},
	}
	for _, tt := range tests {
		to, ok := tt.from.next(tt.event)
		assert.Equal(t, tt.to, to, "%v + event %d", tt.from, tt.event)
		assert.Equal(t, tt.ok, ok, "%v + event %d", tt.from, tt.event)
	}
	assert.Equal(t, wire.RevokeDetached, LeaseStateDetached.revokeReason())
	assert.Equal(t, wire.RevokeExpired, LeaseStateExpired.revokeReason())
	assert.Equal(t, wire.RevokeRevoked, LeaseStateRevoked.revokeReason())
}

// TestDriverSpec_4_4_Keepalive: a keepalive extends the lease only when
// lease id, stream, client and role all match (the reference checks the
// lease id alone) and the deadline has not passed.
func TestDriverSpec_4_4_Keepalive(t *testing.T) {
	const granted = 10 * second
	tests := []struct {
		name    string
		edit    func(*wire.ShmLeaseKeepalive)
		at      uint64
		result  KeepaliveResult
		extends bool
	}{
		{"matching keepalive extends", func(*wire.ShmLeaseKeepalive) {}, granted + second, KeepaliveExtended, true},
		{"just before the deadline extends", func(*wire.ShmLeaseKeepalive) {}, granted + leaseLifetime - 1, KeepaliveExtended, true},
		{"at the deadline is late", func(*wire.ShmLeaseKeepalive) {}, granted + leaseLifetime, KeepaliveLate, false},
		{"unknown lease", func(k *wire.ShmLeaseKeepalive) { k.LeaseID = 99 }, granted + second, KeepaliveUnknownLease, false},
		{"other stream", func(k *wire.ShmLeaseKeepalive) { k.StreamID = dynFirst }, granted + second, KeepaliveMismatch, false},
		{"other client", func(k *wire.ShmLeaseKeepalive) { k.ClientID = 2 }, granted + second, KeepaliveMismatch, false},
		{"other role", func(k *wire.ShmLeaseKeepalive) { k.Role = wire.RoleProducer }, granted + second, KeepaliveMismatch, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCore(t)
			resp := attach(t, c, request(camStream, 1, wire.RoleConsumer), granted)
			k := keepaliveFor(resp, 1, wire.RoleConsumer)
			tt.edit(&k)
			assert.Equal(t, tt.result, c.Keepalive(k, tt.at))
			l, _ := c.Lease(resp.LeaseID)
			if tt.extends {
				assert.Equal(t, tt.at+leaseLifetime, l.ExpiresAtNs, "expiry = keepalive time + interval × grace")
				assert.Equal(t, LeaseStateActive, l.State)
			} else {
				assert.Equal(t, resp.LeaseExpiryTimestampNs, l.ExpiresAtNs)
				assert.Equal(t, LeaseStateAttached, l.State)
			}
		})
	}
}

// TestDriverSpec_4_4_LeaseExpiry: a lease expires at last keepalive +
// keepalive interval × expiry grace, and its expiry is announced with
// ShmLeaseRevoked(EXPIRED).
func TestDriverSpec_4_4_LeaseExpiry(t *testing.T) {
	c := newTestCore(t)
	resp := attach(t, c, request(camStream, 1, wire.RoleConsumer), 0)
	require.Equal(t, KeepaliveExtended, c.Keepalive(keepaliveFor(resp, 1, wire.RoleConsumer), 2*second))
	deadline := 2*second + leaseLifetime

	assert.Empty(t, c.ExpireLeases(deadline-1))
	actions := cloneActions(c.ExpireLeases(deadline))
	require.Equal(t, []ActionKind{ActionSendLeaseRevoked}, kinds(actions))
	assert.Equal(t, wire.ShmLeaseRevoked{
		TimestampNs: deadline, LeaseID: resp.LeaseID, StreamID: camStream, ClientID: 1, Role: wire.RoleConsumer,
		Reason: wire.RevokeExpired, ErrorMessage: "lease expired: no keepalive before the deadline",
	}, actions[0].Revoked)
	_, live := c.Lease(resp.LeaseID)
	assert.False(t, live)
	assert.Equal(t, KeepaliveUnknownLease, c.Keepalive(keepaliveFor(resp, 1, wire.RoleConsumer), deadline))
}

func TestDriverSpec_4_4_KeepaliveDoesNotAllocate(t *testing.T) {
	c := newTestCore(t)
	resp := attach(t, c, request(camStream, 1, wire.RoleConsumer), 0)
	k := keepaliveFor(resp, 1, wire.RoleConsumer)
	now := uint64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		now += second
		if c.Keepalive(k, now) != KeepaliveExtended {
			panic("keepalive not extended")
		}
	})
	assert.Zero(t, allocs)
}

func TestExpireLeasesDoesNotAllocateWhenNothingExpires(t *testing.T) {
	c := newTestCore(t)
	attach(t, c, request(camStream, 1, wire.RoleConsumer), 0)
	c.ExpireLeases(0) // sizes the scratch buffer
	assert.Zero(t, testing.AllocsPerRun(1000, func() { c.ExpireLeases(second) }))
}

// TestDriverSpec_4_9_Detach: a matching detach ends the lease with OK and a
// ShmLeaseRevoked(DETACHED); anything else is REJECTED and changes nothing.
func TestDriverSpec_4_9_Detach(t *testing.T) {
	tests := []struct {
		name string
		edit func(*wire.ShmDetachRequest)
		code wire.ResponseCode
	}{
		{"matching detach", func(*wire.ShmDetachRequest) {}, wire.CodeOK},
		{"unknown lease", func(r *wire.ShmDetachRequest) { r.LeaseID = 99 }, wire.CodeRejected},
		{"other stream", func(r *wire.ShmDetachRequest) { r.StreamID = dynFirst }, wire.CodeRejected},
		{"other client", func(r *wire.ShmDetachRequest) { r.ClientID = 5 }, wire.CodeRejected},
		{"other role", func(r *wire.ShmDetachRequest) { r.Role = wire.RoleProducer }, wire.CodeRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCore(t)
			resp := attach(t, c, request(camStream, 1, wire.RoleConsumer), 0)
			req := wire.ShmDetachRequest{CorrelationID: 555, LeaseID: resp.LeaseID, StreamID: camStream, ClientID: 1, Role: wire.RoleConsumer}
			tt.edit(&req)
			out, actions := c.Detach(req, second)
			assert.Equal(t, int64(555), out.CorrelationID, "correlationId is echoed")
			assert.Equal(t, tt.code, out.Code)
			_, live := c.Lease(resp.LeaseID)
			if tt.code == wire.CodeOK {
				require.Equal(t, []ActionKind{ActionSendLeaseRevoked}, kinds(actions))
				assert.Equal(t, wire.RevokeDetached, actions[0].Revoked.Reason)
				assert.False(t, live)
			} else {
				assert.NotEmpty(t, out.ErrorMessage)
				assert.Empty(t, actions)
				assert.True(t, live)
			}
		})
	}
}

// TestDriverSpec_4_9_DetachTwiceIsRejected: detach is idempotent in effect;
// the second one finds no lease.
func TestDriverSpec_4_9_DetachTwiceIsRejected(t *testing.T) {
	c := newTestCore(t)
	resp := attach(t, c, request(camStream, 1, wire.RoleConsumer), 0)
	req := wire.ShmDetachRequest{LeaseID: resp.LeaseID, StreamID: camStream, ClientID: 1, Role: wire.RoleConsumer}
	first, _ := c.Detach(req, 1)
	second, actions := c.Detach(req, 2)
	assert.Equal(t, wire.CodeOK, first.Code)
	assert.Equal(t, wire.CodeRejected, second.Code)
	assert.Empty(t, actions, "no duplicate ShmLeaseRevoked")
}

// TestDriverSpec_4_7a_ProducerRevokeBumpsEpoch: revoking a producer lease
// emits ShmLeaseRevoked, then the new epoch, then ShmPoolAnnounce.
func TestDriverSpec_4_7a_ProducerRevokeBumpsEpoch(t *testing.T) {
	c := newTestCore(t)
	resp := attach(t, c, request(camStream, 1, wire.RoleProducer), 100)
	actions, ok := c.RevokeLease(resp.LeaseID, "operator request", 200)
	require.True(t, ok)
	require.Equal(t, []ActionKind{ActionSendLeaseRevoked, ActionProvisionEpoch, ActionSendPoolAnnounce}, kinds(actions))
	assert.Equal(t, wire.RevokeRevoked, actions[0].Revoked.Reason)
	assert.Equal(t, "operator request", actions[0].Revoked.ErrorMessage)
	assert.Equal(t, uint64(200), actions[1].Epoch)
	assert.Equal(t, uint64(200), actions[2].Epoch)
	_, ok = c.RevokeLease(resp.LeaseID, "again", 300)
	assert.False(t, ok, "an ended lease cannot be revoked twice")
}

// TestDriverSpec_4_9_ConsumerRevokeKeepsEpoch: consumer leases get their
// ShmLeaseRevoked too, without an epoch change.
func TestDriverSpec_4_9_ConsumerRevokeKeepsEpoch(t *testing.T) {
	c := newTestCore(t)
	resp := attach(t, c, request(camStream, 1, wire.RoleConsumer), 100)
	actions, ok := c.RevokeLease(resp.LeaseID, "", 200)
	require.True(t, ok)
	assert.Equal(t, []ActionKind{ActionSendLeaseRevoked}, kinds(actions))
	s, _ := c.Stream(camStream)
	assert.Equal(t, uint64(100), s.Epoch)
	assert.Equal(t, 0, s.ConsumerLeases)
}

// TestDriverSpec_4_8_LeaseIDsNeverReused: lease ids are unique for the
// process lifetime, also after detach and expiry.
func TestDriverSpec_4_8_LeaseIDsNeverReused(t *testing.T) {
	c := newTestCore(t)
	seen := map[uint64]bool{}
	for i := range uint64(5) {
		resp := attach(t, c, request(camStream, 1, wire.RoleConsumer), i*second)
		assert.False(t, seen[resp.LeaseID], "lease id %d reused", resp.LeaseID)
		seen[resp.LeaseID] = true
		c.Detach(wire.ShmDetachRequest{LeaseID: resp.LeaseID, StreamID: camStream, ClientID: 1, Role: wire.RoleConsumer}, i*second)
	}
}

// TestDriverSpec_4_8_ClientIDFreedWhenLeaseEnds: once a client's lease
// ended, the same clientId may attach again.
func TestDriverSpec_4_8_ClientIDFreedWhenLeaseEnds(t *testing.T) {
	c := newTestCore(t)
	resp := attach(t, c, request(camStream, 1, wire.RoleConsumer), 0)
	assert.Equal(t, wire.CodeRejected, c.DecideAttach(request(camStream, 1, wire.RoleConsumer), 1).Code)
	c.ExpireLeases(resp.LeaseExpiryTimestampNs)
	assert.Equal(t, wire.CodeOK, c.DecideAttach(request(camStream, 1, wire.RoleConsumer), resp.LeaseExpiryTimestampNs).Code)
}

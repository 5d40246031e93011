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
			assert.Equal(t, tt.result, keepalive(c, k, tt.at))
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
	require.Equal(t, KeepaliveExtended, keepalive(c, keepaliveFor(resp, 1, wire.RoleConsumer), 2*second))
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
	result, actions := c.Keepalive(keepaliveFor(resp, 1, wire.RoleConsumer), deadline)
	assert.Equal(t, KeepaliveEndedLease, result)
	assert.Empty(t, actions, "its end was announced once, when it expired")
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
		{"lease never issued", func(r *wire.ShmDetachRequest) { r.LeaseID = leaseID(99) }, wire.CodeRejected},
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
				if req.LeaseID == resp.LeaseID {
					assert.Empty(t, actions, "a mismatch changes nothing")
				} else {
					require.Equal(t, []ActionKind{ActionSendUnknownLeaseRevoked}, kinds(actions), "a lease never issued is revoked")
					assert.Equal(t, req.LeaseID, actions[0].Revoked.LeaseID)
				}
				assert.True(t, live)
			}
		})
	}
}

// TestDriverSpec_4_9_DetachOfAnotherRunsLeaseIsRevoked: a detach naming a
// lease of another driver run is REJECTED and told, with ShmLeaseRevoked
// for exactly that lease, that the lease is gone.
func TestDriverSpec_4_9_DetachOfAnotherRunsLeaseIsRevoked(t *testing.T) {
	c := newTestCore(t)
	other := uint64(0x1234_5678)<<32 | 1
	out, actions := c.Detach(wire.ShmDetachRequest{CorrelationID: 9, LeaseID: other, StreamID: camStream, ClientID: 4, Role: wire.RoleProducer}, second)
	assert.Equal(t, wire.CodeRejected, out.Code)
	require.Equal(t, []ActionKind{ActionSendUnknownLeaseRevoked}, kinds(actions))
	assert.Equal(t, wire.ShmLeaseRevoked{TimestampNs: second, LeaseID: other, StreamID: camStream, ClientID: 4,
		Role: wire.RoleProducer, Reason: wire.RevokeRevoked, ErrorMessage: UnknownLeaseMessage}, actions[0].Revoked)
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
// emits ShmLeaseRevoked, then the new epoch, and ShmPoolAnnounce once that
// epoch is provisioned.
func TestDriverSpec_4_7a_ProducerRevokeBumpsEpoch(t *testing.T) {
	c := newTestCore(t)
	resp := attach(t, c, request(camStream, 1, wire.RoleProducer), 100)
	actions, ok := c.RevokeLease(resp.LeaseID, "operator request", 200)
	require.True(t, ok)
	actions = cloneActions(actions)
	require.Equal(t, []ActionKind{ActionSendLeaseRevoked, ActionProvisionEpoch}, kinds(actions))
	assert.Equal(t, wire.RevokeRevoked, actions[0].Revoked.Reason)
	assert.Equal(t, "operator request", actions[0].Revoked.ErrorMessage)
	assert.Equal(t, uint64(200), actions[1].Epoch)
	announced := provisionAll(c, actions, 200)
	require.Equal(t, []ActionKind{ActionSendPoolAnnounce}, kinds(announced), "the new epoch is announced once provisioned")
	assert.Equal(t, uint64(200), announced[0].Epoch)
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

// TestDriverSpec_4_8_LeaseIDsCarryTheInstance: lease ids are the instance
// nonce over a counter, so two driver runs never issue the same id; the
// counter never makes 0 or NullU64 and skips live ids when it wraps.
func TestDriverSpec_4_8_LeaseIDsCarryTheInstance(t *testing.T) {
	first := attach(t, newTestCore(t), request(camStream, 1, wire.RoleConsumer), 0)
	assert.Equal(t, leaseID(1), first.LeaseID)
	other := NewCore(loadConfig(t, ""), testInstance+1)
	again := attach(t, other, request(camStream, 1, wire.RoleConsumer), 0)
	assert.NotEqual(t, first.LeaseID, again.LeaseID, "a restarted driver issues other ids")
	assert.Equal(t, uint64(testInstance+1)<<32|1, again.LeaseID)

	ids := leaseIDs{instance: 1<<32 - 1, last: maxLeaseCounter - 1}
	live := map[uint64]*Lease{uint64(1<<32-1)<<32 | 1: {}}
	assert.Equal(t, uint64(1<<32-1)<<32|maxLeaseCounter, ids.next(live), "the last counter")
	assert.NotEqual(t, uint64(wire.NullU64), uint64(1<<32-1)<<32|maxLeaseCounter)
	assert.Equal(t, uint64(1<<32-1)<<32|2, ids.next(live), "wraps past 0 and the live id 1")
	assert.True(t, ids.issued(uint64(1<<32-1)<<32|7), "after a wrap every counter was issued")
	assert.False(t, ids.issued(uint64(1<<32-1)<<32), "counter 0 never is")
	assert.False(t, ids.issued(wire.NullU64))

	fresh := leaseIDs{instance: 5}
	assert.False(t, fresh.issued(uint64(5)<<32|1), "not yet issued")
	assert.Equal(t, uint64(5)<<32|1, fresh.next(nil))
	assert.True(t, fresh.issued(uint64(5)<<32|1))
	assert.False(t, fresh.issued(uint64(6)<<32|1), "another instance's")

	for range 100 {
		assert.NotZero(t, NewInstanceNonce())
	}
}

// TestDriverSpec_4_4_KeepaliveForAnotherRunsLease: a restarted driver
// answers a keepalive for a lease of the earlier run with ShmLeaseRevoked
// (REVOKED) naming exactly that lease, client, stream and role, at most once
// per client per keepalive interval and for at most 1024 clients a window.
func TestDriverSpec_4_4_KeepaliveForAnotherRunsLease(t *testing.T) {
	c := newTestCore(t)
	own := attach(t, c, request(camStream, 1, wire.RoleConsumer), 0)
	stale := wire.ShmLeaseKeepalive{LeaseID: uint64(0xdead_beef)<<32 | 1, StreamID: camStream, ClientID: 7, Role: wire.RoleProducer}

	result, actions := c.Keepalive(stale, second)
	assert.Equal(t, KeepaliveUnknownLease, result)
	require.Equal(t, []ActionKind{ActionSendUnknownLeaseRevoked}, kinds(actions))
	assert.Equal(t, wire.ShmLeaseRevoked{TimestampNs: second, LeaseID: stale.LeaseID, StreamID: camStream, ClientID: 7,
		Role: wire.RoleProducer, Reason: wire.RevokeRevoked, ErrorMessage: "unknown lease (driver restarted?)"}, actions[0].Revoked)
	_, live := c.Lease(own.LeaseID)
	assert.True(t, live, "the notice ends nothing of this run")

	// Paced per client: a flood inside the window (1 s, the keepalive interval) gets no more.
	for i := range uint64(1000) {
		_, actions = c.Keepalive(stale, second+i*1000)
		require.Empty(t, actions)
	}
	_, actions = c.Keepalive(stale, 2*second)
	assert.Len(t, actions, 1, "the next window")

	// A lease of this run that never existed is unknown too.
	_, actions = c.Keepalive(wire.ShmLeaseKeepalive{LeaseID: leaseID(50), StreamID: camStream, ClientID: 8, Role: wire.RoleConsumer}, 2*second)
	assert.Len(t, actions, 1)

	// Made-up client ids: at most 1024 notices a window, and the map stays bounded.
	c = newTestCore(t)
	sent := 0
	for client := range uint32(5000) {
		stale.ClientID = client + 1
		_, actions = c.Keepalive(stale, 10*second)
		sent += len(actions)
	}
	assert.Equal(t, maxUnknownLeaseClients, sent)
	assert.Len(t, c.unknownNotices.lastNs, maxUnknownLeaseClients)
	c.ExpireLeases(11 * second)
	assert.Empty(t, c.unknownNotices.lastNs, "forgotten once the window passed")
	_, actions = c.Keepalive(stale, 11*second)
	assert.Len(t, actions, 1)
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

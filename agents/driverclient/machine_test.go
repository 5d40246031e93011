package driverclient

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/wire"
)

const ms = uint64(time.Millisecond)

func testParams() Params {
	return Params{
		ClientID: 7, Role: wire.RoleProducer, StreamID: 10000,
		AttachTimeout: 100 * time.Millisecond, KeepaliveInterval: 50 * time.Millisecond,
		BackoffMin: 10 * time.Millisecond, BackoffMax: 40 * time.Millisecond,
		DetachTimeout: 100 * time.Millisecond,
		Rand:          func() uint32 { return 1 }, // the correlation seed: ids start at clientId<<32 + 1
	}
}

func grant(corr int64, now uint64) wire.ShmAttachResponse {
	return wire.ShmAttachResponse{
		CorrelationID: corr, Code: wire.CodeOK, LeaseID: 3, LeaseExpiryTimestampNs: now + 300*ms,
		StreamID: 10000, Epoch: 99, LayoutVersion: 1, HeaderNslots: 16, HeaderSlotBytes: 256, MaxDims: 8,
		PayloadPools: []wire.PayloadPool{
			{PoolID: 1, PoolNslots: 16, StrideBytes: 4096, RegionURI: "shm:file?path=/dev/shm/tp/payload-1.pool"},
		},
		HeaderRegionURI: "shm:file?path=/dev/shm/tp/header.ring",
	}
}

func kinds(effects []Effect) []EffectKind {
	out := []EffectKind{}
	for _, e := range effects {
		out = append(out, e.Kind)
	}
	return out
}

// attached returns a machine holding a lease granted at now.
func attached(t *testing.T, now uint64) *Machine {
	t.Helper()
	m := NewMachine(testParams())
	e := m.Start(now)
	g := grant(e[0].Attach.CorrelationID, now)
	require.Equal(t, []EffectKind{Granted, SendKeepalive}, kinds(m.OnAttachResponse(&g, now)))
	return m
}

// Driver spec §4.2, §4.12.1: attach, keepalive pacing.
func TestMachine_AttachThenKeepaliveAtTheInterval(t *testing.T) {
	m := NewMachine(testParams())
	e := m.Start(0)
	require.Equal(t, []EffectKind{SendAttach}, kinds(e))
	req := e[0].Attach
	require.Equal(t, int64(7)<<32+1, req.CorrelationID, "correlation ids are scoped by clientId")
	require.Zero(t, req.MaxDims, "§4.3: maxDims omitted")
	require.Equal(t, wire.PublishModeNull, req.PublishMode)
	require.Equal(t, Attaching, m.State())

	g := grant(req.CorrelationID, 0)
	e = m.OnAttachResponse(&g, 0)
	require.Equal(t, []EffectKind{Granted, SendKeepalive}, kinds(e))
	require.Equal(t, uint64(3), e[0].Grant.LeaseID)
	require.Equal(t, Attached, m.State())

	require.Empty(t, m.Tick(49*ms))
	e = m.Tick(50 * ms)
	require.Equal(t, []EffectKind{SendKeepalive}, kinds(e))
	require.Equal(t, wire.ShmLeaseKeepalive{LeaseID: 3, StreamID: 10000, ClientID: 7, Role: wire.RoleProducer, ClientTimestampNs: 50 * ms}, e[0].Keepalive)
	m.KeepaliveSent(50 * ms)
	require.Empty(t, m.Tick(99*ms))
	require.Equal(t, []EffectKind{SendKeepalive}, kinds(m.Tick(100*ms)))
}

func TestMachine_RefusalBacksOffExponentiallyAndRetries(t *testing.T) {
	m := NewMachine(testParams())
	corr := m.Start(0)[0].Attach.CorrelationID
	stale := grant(corr-1, 0)
	require.Empty(t, m.OnAttachResponse(&stale, 0), "another correlation id is ignored")

	now := uint64(0)
	for i, wait := range []uint64{10, 20, 40, 40} {
		r := driver.Rejection(corr, wire.CodeRejected, "stream 10000 already has a producer")
		e := m.OnAttachResponse(&r, now)
		require.Equal(t, []EffectKind{Refused}, kinds(e), "attempt %d", i)
		var refused *RefusedError
		require.ErrorAs(t, e[0].Err, &refused)
		require.Equal(t, wire.CodeRejected, refused.Code)
		require.Equal(t, Backoff, m.State())
		require.Empty(t, m.Tick(now+wait*ms-1))
		e = m.Tick(now + wait*ms)
		require.Equal(t, []EffectKind{SendAttach}, kinds(e))
		require.Greater(t, e[0].Attach.CorrelationID, corr)
		corr = e[0].Attach.CorrelationID
		now += wait * ms
	}
	// A grant resets the backoff.
	g := grant(corr, now)
	m.OnAttachResponse(&g, now)
	require.Nil(t, m.LastRefusal())
}

// RetryNow cuts a backoff short (the consumer calls it when the driver announces the
// stream its attach was refused for) and leaves every other state alone.
func TestMachine_RetryNowEndsTheBackoff(t *testing.T) {
	m := NewMachine(testParams())
	corr := m.Start(0)[0].Attach.CorrelationID
	m.RetryNow(1 * ms)
	require.Empty(t, m.Tick(1*ms), "attaching: nothing to cut short")
	r := driver.Rejection(corr, wire.CodeRejected, "stream 10000 is not provisioned (publishMode REQUIRE_EXISTING)")
	m.OnAttachResponse(&r, 2*ms)
	require.Equal(t, Backoff, m.State())
	require.Empty(t, m.Tick(3*ms))
	m.RetryNow(3 * ms)
	e := m.Tick(3 * ms)
	require.Equal(t, []EffectKind{SendAttach}, kinds(e), "the retry comes at once")
	g := grant(e[0].Attach.CorrelationID, 4*ms)
	m.OnAttachResponse(&g, 4*ms)
	require.Equal(t, Attached, m.State())
	m.RetryNow(5 * ms)
	require.Empty(t, m.Tick(5*ms), "attached: nothing to retry")
	require.Equal(t, Attached, m.State())
}

func TestMachine_AttachTimeoutAndUnsentAttachRetry(t *testing.T) {
	m := NewMachine(testParams())
	m.Start(0)
	e := m.Tick(100 * ms)
	require.Equal(t, []EffectKind{Refused}, kinds(e))
	require.ErrorIs(t, e[0].Err, ErrAttachTimeout)
	require.Equal(t, Backoff, m.State())
	require.Equal(t, []EffectKind{SendAttach}, kinds(m.Tick(110*ms)))
	require.Empty(t, m.AttachNotSent(111*ms))
	require.Equal(t, Backoff, m.State(), "an unsent attach retries after the backoff, not the timeout")
}

// Driver spec §4.2, §4.7a: any violation in an OK response drops the attach,
// gives the lease back, and reattaches.
func TestMachine_ProtocolErrorsDropTheAttach(t *testing.T) {
	cases := []struct {
		field  string
		mutate func(r *wire.ShmAttachResponse)
	}{
		{"leaseId", func(r *wire.ShmAttachResponse) { r.LeaseID = wire.NullU64 }},
		{"streamId", func(r *wire.ShmAttachResponse) { r.StreamID = wire.NullU32 }},
		{"streamId", func(r *wire.ShmAttachResponse) { r.StreamID = 10001 }},
		{"epoch", func(r *wire.ShmAttachResponse) { r.Epoch = wire.NullU64 }},
		{"layoutVersion", func(r *wire.ShmAttachResponse) { r.LayoutVersion = wire.NullU32 }},
		{"headerNslots", func(r *wire.ShmAttachResponse) { r.HeaderNslots = 12 }},
		{"headerSlotBytes", func(r *wire.ShmAttachResponse) { r.HeaderSlotBytes = 128 }},
		{"maxDims", func(r *wire.ShmAttachResponse) { r.MaxDims = 4 }},
		{"payloadPools", func(r *wire.ShmAttachResponse) { r.PayloadPools = nil }},
		{"payloadPools[0].poolNslots", func(r *wire.ShmAttachResponse) { r.PayloadPools[0].PoolNslots = 8 }},
		{"payloadPools[0].strideBytes", func(r *wire.ShmAttachResponse) { r.PayloadPools[0].StrideBytes = 0 }},
		{"headerRegionUri", func(r *wire.ShmAttachResponse) { r.HeaderRegionURI = "" }},
		{"headerRegionUri", func(r *wire.ShmAttachResponse) { r.HeaderRegionURI = "   " }},
		{"headerRegionUri", func(r *wire.ShmAttachResponse) { r.HeaderRegionURI = "shm:file?path=relative" }},
		{"headerRegionUri", func(r *wire.ShmAttachResponse) { r.HeaderRegionURI = "shm:file?path=/a|unknown=1" }},
		{"headerRegionUri", func(r *wire.ShmAttachResponse) {
			r.HeaderRegionURI = "shm:file?path=/" + strings.Repeat("a", wire.MaxURIBytes)
		}},
		{"payloadPools[0].regionUri", func(r *wire.ShmAttachResponse) { r.PayloadPools[0].RegionURI = "file:///x" }},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			m := NewMachine(testParams())
			corr := m.Start(0)[0].Attach.CorrelationID
			r := grant(corr, 0)
			c.mutate(&r)
			e := m.OnAttachResponse(&r, 0)
			want := []EffectKind{SendDetach, Refused}
			if r.LeaseID == wire.NullU64 {
				want = []EffectKind{Refused}
			}
			require.Equal(t, want, kinds(e))
			last := e[len(e)-1].Err
			require.ErrorIs(t, last, ErrProtocol)
			var re *ResponseError
			require.ErrorAs(t, last, &re)
			require.Equal(t, c.field, re.Field)
			require.Equal(t, Backoff, m.State())
			_, ok := m.Lease()
			require.False(t, ok)
			if want[0] == SendDetach {
				require.Equal(t, r.LeaseID, e[0].Detach.LeaseID)
			}
		})
	}
}

// Driver spec §4.9: only this lease's revocation ends it (lease, stream, role and
// client id); unknown reasons and roles are rejected.
func TestMachine_RevocationOfOwnLeaseOnly(t *testing.T) {
	m := attached(t, 0)
	other := wire.ShmLeaseRevoked{LeaseID: 4, StreamID: 10000, Role: wire.RoleProducer, Reason: wire.RevokeExpired}
	require.Empty(t, m.OnLeaseRevoked(&other, ms))
	badReason := wire.ShmLeaseRevoked{LeaseID: 3, StreamID: 10000, Role: wire.RoleProducer, Reason: 9}
	require.Empty(t, m.OnLeaseRevoked(&badReason, ms))
	badRole := wire.ShmLeaseRevoked{LeaseID: 3, StreamID: 10000, Role: 0, Reason: wire.RevokeExpired}
	require.Empty(t, m.OnLeaseRevoked(&badRole, ms))
	// Lease ids of an earlier driver instance may repeat: another client's notice for
	// the same lease id is not this client's.
	otherClient := wire.ShmLeaseRevoked{LeaseID: 3, StreamID: 10000, ClientID: 8, Role: wire.RoleProducer, Reason: wire.RevokeExpired}
	require.Empty(t, m.OnLeaseRevoked(&otherClient, ms))
	require.Equal(t, Attached, m.State())

	own := wire.ShmLeaseRevoked{LeaseID: 3, StreamID: 10000, ClientID: 7, Role: wire.RoleProducer, Reason: wire.RevokeExpired}
	e := m.OnLeaseRevoked(&own, ms)
	require.Equal(t, []EffectKind{Lost}, kinds(e))
	require.Equal(t, LossRevoked, e[0].Reason)
	require.Equal(t, Backoff, m.State())
	require.Equal(t, []EffectKind{SendAttach}, kinds(m.Tick(11*ms)))
}

// Driver spec §4.13: shutdown invalidates the lease at once; the client
// keeps trying so it reattaches to a restarted driver.
func TestMachine_DriverShutdownLosesLeaseAndRetries(t *testing.T) {
	m := attached(t, 0)
	e := m.OnDriverShutdown(ms)
	require.Equal(t, []EffectKind{Lost}, kinds(e))
	require.Equal(t, LossDriverShutdown, e[0].Reason)
	require.Equal(t, []EffectKind{SendAttach}, kinds(m.Tick(11*ms)))
}

// Driver spec §4.4: a keepalive that cannot be sent is fatal for the lease.
func TestMachine_KeepaliveFailureGivesLeaseBackAndReattaches(t *testing.T) {
	m := attached(t, 0)
	require.Equal(t, []EffectKind{SendKeepalive}, kinds(m.Tick(50*ms)))
	e := m.KeepaliveFailed(50 * ms)
	require.Equal(t, []EffectKind{SendDetach, Lost}, kinds(e))
	require.Equal(t, LossKeepaliveFailure, e[1].Reason)
	require.Equal(t, Backoff, m.State())
}

// Driver spec §4.2: leaseExpiryTimestampNs is a hard deadline.
func TestMachine_HardDeadlinePassedLosesLease(t *testing.T) {
	m := attached(t, 0)
	e := m.Tick(300 * ms)
	require.Equal(t, []EffectKind{Lost}, kinds(e))
	require.Equal(t, LossExpired, e[0].Reason)

	// Keepalives move the deadline by the granted lifetime.
	m = attached(t, 0)
	for now := 50 * ms; now <= 1000*ms; now += 50 * ms {
		e := m.Tick(now)
		require.Equal(t, []EffectKind{SendKeepalive}, kinds(e), "at %d ms", now/ms)
		m.KeepaliveSent(now)
	}
}

func TestMachine_DetachWaitsForResponseOrTimeout(t *testing.T) {
	m := attached(t, 0)
	e := m.Detach(ms)
	require.Equal(t, []EffectKind{SendDetach}, kinds(e))
	req := e[0].Detach
	require.Equal(t, wire.ShmDetachRequest{CorrelationID: req.CorrelationID, LeaseID: 3, StreamID: 10000, ClientID: 7, Role: wire.RoleProducer}, req)
	require.Empty(t, m.Tick(60*ms), "no keepalive while detaching")
	require.Equal(t, []EffectKind{Detached}, kinds(m.OnDetachResponse(&wire.ShmDetachResponse{CorrelationID: req.CorrelationID})))
	require.Equal(t, Closed, m.State())

	m = attached(t, 0)
	m.Detach(ms)
	require.Equal(t, []EffectKind{Detached}, kinds(m.Tick(101*ms)))
	require.Equal(t, Closed, m.State())
}

func TestValidateGrant_AcceptsADriverGrant(t *testing.T) {
	g := grant(1, 0)
	require.NoError(t, ValidateGrant(&g, 10000))
	require.NoError(t, ValidateGrant(&g, 0), "a dynamic stream may be any id")
	g.HeaderRegionURI = "shm:file?path=/dev/shm/h|require_hugepages=true"
	require.NoError(t, ValidateGrant(&g, 10000))
}

// A grant that arrives after its attempt timed out is given back, so the
// retry is not refused as a second lease of this clientId (§4.8).
func TestMachine_LateGrantOfEarlierAttemptIsGivenBack(t *testing.T) {
	m := NewMachine(testParams())
	first := m.Start(0)[0].Attach.CorrelationID
	m.Tick(100 * ms) // timed out
	second := m.Tick(110 * ms)[0].Attach.CorrelationID

	late := grant(first, 120*ms)
	e := m.OnAttachResponse(&late, 120*ms)
	require.Equal(t, []EffectKind{SendDetach}, kinds(e))
	require.Equal(t, late.LeaseID, e[0].Detach.LeaseID)
	require.Equal(t, Attaching, m.State())

	foreign := grant(int64(8)<<32+1, 120*ms)
	require.Empty(t, m.OnAttachResponse(&foreign, 120*ms), "another client's grant")

	current := grant(second, 130*ms)
	current.LeaseID = 4
	require.Equal(t, []EffectKind{Granted, SendKeepalive}, kinds(m.OnAttachResponse(&current, 130*ms)))
	require.Empty(t, m.OnAttachResponse(&current, 131*ms), "a duplicate of the live grant is not given back")
}

// A lease the client can no longer use is given back and attached again: a detach for
// it, the loss, and after the backoff a new attach.
func TestMachineAbandonGivesBackAndReattaches(t *testing.T) {
	m := attached(t, 0)
	effects := m.Abandon(ms)
	require.Equal(t, []EffectKind{SendDetach, Lost}, kinds(effects))
	require.Equal(t, uint64(3), effects[0].Detach.LeaseID)
	require.Equal(t, LossAbandoned, effects[1].Reason)
	require.Equal(t, Backoff, m.State())
	require.Equal(t, []EffectKind{SendAttach}, kinds(m.Tick(100*ms)))
	require.Empty(t, m.Abandon(101*ms), "nothing to give back while attaching")
}

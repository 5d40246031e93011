package driverclient

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/wire"
)

// draws returns a Rand that yields values in turn, then repeats the last.
func draws(values ...uint32) func() uint32 {
	return func() uint32 {
		v := values[0]
		if len(values) > 1 {
			values = values[1:]
		}
		return v
	}
}

// TestDriverSpec_B_1_CorrelationIDsSeededPerProcess: correlation ids start at a random
// seed (the default Rand draws it per process run), carry the client id in their upper
// half, and are never reused while the machine lives.
func TestDriverSpec_B_1_CorrelationIDsSeededPerProcess(t *testing.T) {
	p := testParams()
	p.Rand = draws(0xffff_fffe)
	m := NewMachine(p)
	first := m.Start(0)[0].Attach.CorrelationID
	require.Equal(t, int64(7)<<32|0x3fff_fffe, first, "the seed is the low half, within CorrelationLowMask")
	seen := map[int64]bool{first: true}
	now := uint64(0)
	for range 4 { // time out and retry: each attempt takes a new id, wrapping in the low half
		m.Tick(now + 100*ms)
		now += 100*ms + 40*ms
		e := m.Tick(now)
		require.Equal(t, []EffectKind{SendAttach}, kinds(e))
		id := e[0].Attach.CorrelationID
		require.False(t, seen[id], "id %x reused", id)
		require.Equal(t, uint32(7), uint32(id>>32), "the client id stays in the upper half")
		require.Zero(t, uint32(id)&^CorrelationLowMask, "the low half stays within its mask")
		seen[id] = true
	}

	p.Rand = nil // the default: random per process
	a, b := NewMachine(p), NewMachine(p)
	require.NotEqual(t, a.Start(0)[0].Attach.CorrelationID, b.Start(0)[0].Attach.CorrelationID,
		"two runs of one client id do not start at the same id (1 in 2^32 to fail)")
}

// TestDriverSpec_B_1_DuplicateResponsesAfterOKIgnored: once an OK is accepted, every
// later response with its correlation id is ignored, OK or not, whatever lease it names.
func TestDriverSpec_B_1_DuplicateResponsesAfterOKIgnored(t *testing.T) {
	m := NewMachine(testParams())
	corr := m.Start(0)[0].Attach.CorrelationID
	g := grant(corr, 0)
	require.Equal(t, []EffectKind{Granted, SendKeepalive}, kinds(m.OnAttachResponse(&g, 0)))

	dup := grant(corr, ms)
	require.Empty(t, m.OnAttachResponse(&dup, ms), "the same OK again")
	dup.LeaseID = 99
	require.Empty(t, m.OnAttachResponse(&dup, ms), "an OK naming another lease is not given back either")
	refusal := driver.Rejection(corr, wire.CodeRejected, "stream 10000 already has a producer")
	require.Empty(t, m.OnAttachResponse(&refusal, ms), "a non-OK duplicate does not override the OK")

	lease, ok := m.Lease()
	require.True(t, ok)
	require.Equal(t, uint64(3), lease.LeaseID)
	require.Equal(t, Attached, m.State())
}

// TestDriverSpec_B_2_ClientIDZeroPicksOne: clientId 0 is the auto-assign sentinel; the
// client picks a non-zero id before sending anything.
func TestDriverSpec_B_2_ClientIDZeroPicksOne(t *testing.T) {
	p := testParams()
	p.ClientID = 0
	p.Rand = draws(5, 0, 0x8000_0011) // the seed, then a 0 to skip, then the id
	m := NewMachine(p)
	require.Equal(t, uint32(0x8000_0011), m.ClientID())
	req := m.Start(0)[0].Attach
	require.Equal(t, uint32(0x8000_0011), req.ClientID)
	require.Equal(t, uint32(0x8000_0011), uint32(req.CorrelationID>>32), "the picked id scopes the correlation ids")
	require.Equal(t, uint32(5), uint32(req.CorrelationID))
}

// TestDriverSpec_B_2_TakenAutoIDRetriesWithAnother: refused with "client_id already
// attached", a client whose id was picked picks another and retries after the backoff; a
// client given its id keeps it.
func TestDriverSpec_B_2_TakenAutoIDRetriesWithAnother(t *testing.T) {
	p := testParams()
	p.ClientID = 0
	p.Rand = draws(1, 11, 12)
	m := NewMachine(p)
	corr := m.Start(0)[0].Attach.CorrelationID
	taken := driver.Rejection(corr, wire.CodeRejected, driver.ClientIDTaken)
	require.Equal(t, []EffectKind{Refused}, kinds(m.OnAttachResponse(&taken, 0)))
	require.Equal(t, Backoff, m.State(), "the retry respects the backoff")
	e := m.Tick(10 * ms)
	require.Equal(t, []EffectKind{SendAttach}, kinds(e))
	require.Equal(t, uint32(12), e[0].Attach.ClientID)
	g := grant(e[0].Attach.CorrelationID, 10*ms)
	require.Equal(t, []EffectKind{Granted, SendKeepalive}, kinds(m.OnAttachResponse(&g, 10*ms)),
		"the response to the new id is the client's own")

	m = NewMachine(testParams())
	corr = m.Start(0)[0].Attach.CorrelationID
	taken = driver.Rejection(corr, wire.CodeRejected, driver.ClientIDTaken)
	m.OnAttachResponse(&taken, 0)
	require.Equal(t, uint32(7), m.Tick(10 * ms)[0].Attach.ClientID, "a configured id is kept")
}

// TestDriverSpec_B_KeepaliveStraightAfterAttach: the grant is followed by a keepalive at
// once, then at the interval.
func TestDriverSpec_B_KeepaliveStraightAfterAttach(t *testing.T) {
	m := NewMachine(testParams())
	corr := m.Start(0)[0].Attach.CorrelationID
	g := grant(corr, 5*ms)
	e := m.OnAttachResponse(&g, 5*ms)
	require.Equal(t, []EffectKind{Granted, SendKeepalive}, kinds(e))
	require.Equal(t, wire.ShmLeaseKeepalive{LeaseID: 3, StreamID: 10000, ClientID: 7, Role: wire.RoleProducer, ClientTimestampNs: 5 * ms}, e[1].Keepalive)
	m.KeepaliveSent(5 * ms)
	require.Empty(t, m.Tick(54*ms))
	require.Equal(t, []EffectKind{SendKeepalive}, kinds(m.Tick(55*ms)))
}

// TestDriverSpec_4_2_V1_2AttachRequest: a client speaking v1.2 sends its attach in that
// layout with the node id it wants (null when none) and accepts a grant without maxDims;
// a v1.1 grant still needs maxDims 8.
func TestDriverSpec_4_2_V1_2AttachRequest(t *testing.T) {
	p := testParams()
	p.WireVersion = wire.V1_2
	req := NewMachine(p).Start(0)[0].Attach
	require.Equal(t, wire.V1_2, req.Version)
	_, asked := req.DesiredNode()
	require.False(t, asked)
	require.Equal(t, 8+27, req.EncodedLength())

	p.DesiredNodeID = 9
	m := NewMachine(p)
	req = m.Start(0)[0].Attach
	node, asked := req.DesiredNode()
	require.True(t, asked)
	require.Equal(t, uint32(9), node)

	g := grant(req.CorrelationID, 0)
	g.Version, g.MaxDims, g.NodeID = wire.V1_2, 0, 9
	require.Equal(t, []EffectKind{Granted, SendKeepalive}, kinds(m.OnAttachResponse(&g, 0)))
	lease, _ := m.Lease()
	node, ok := lease.Node()
	require.True(t, ok)
	require.Equal(t, uint32(9), node)

	g.Version = wire.V1_1
	require.ErrorContains(t, ValidateGrant(&g, 10000), "maxDims")
}

// TestClient_DriverSpec_B_2_AutoClientIDPastATakenOne: end to end with the driver agent,
// a client with clientId 0 whose first pick is taken is refused with the driver's text,
// picks another and is granted; it speaks v1.2 and its grant carries a node id.
func TestClient_DriverSpec_B_2_AutoClientIDPastATakenOne(t *testing.T) {
	cfg := driverConfig(t)
	a := connect(t)
	runDriver(t, cfg, a)
	s := newSide(t, a)
	s.attach(s.client(cfg, 41, wire.RoleConsumer, nil))

	var events []Effect
	var c *Client
	var err error
	require.NoError(t, s.p.Do(func() {
		c, err = New(s.p.Hub(), Config{
			Control: controlplane.Endpoint{Channel: cfg.Driver.ControlChannel, StreamID: int32(cfg.Driver.ControlStreamID)},
			Params: Params{
				Role: wire.RoleConsumer, StreamID: 10000, WireVersion: wire.V1_2,
				AttachTimeout: 500 * time.Millisecond, KeepaliveInterval: 50 * time.Millisecond,
				BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
				Rand: draws(9, 41, 77), // the correlation seed, a taken id, a free one
			},
			OnEvent: func(e Effect) { events = append(events, e) },
		})
		if err == nil {
			err = s.p.Add(c)
		}
	}))
	s.p.DoWork() // runs what Do posted
	require.NoError(t, err)
	require.Equal(t, uint32(41), c.ClientID())
	lease := s.attach(c)
	require.Equal(t, uint32(77), c.ClientID(), "picked again after the refusal")
	require.Equal(t, []EffectKind{Refused, Granted}, kinds(events))
	var refused *RefusedError
	require.ErrorAs(t, events[0].Err, &refused)
	require.Equal(t, ClientIDTaken, refused.Message)
	require.Equal(t, wire.V1_2, lease.Version)
	_, ok := lease.Node()
	require.True(t, ok, "a v1.2 grant carries a node id")
}

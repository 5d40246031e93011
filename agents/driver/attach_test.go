package driver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// TestDriverSpec_4_3_AttachRules: one subtest per request rule, each with
// the code the driver must answer.
func TestDriverSpec_4_3_AttachRules(t *testing.T) {
	const now = 5 * second
	with := func(f func(*wire.ShmAttachRequest)) wire.ShmAttachRequest {
		r := request(camStream, 1, wire.RoleConsumer)
		f(&r)
		return r
	}
	tests := []struct {
		name    string
		core    func(t *testing.T) *Core // nil: the test configuration
		setup   func(t *testing.T, c *Core)
		req     wire.ShmAttachRequest
		code    wire.ResponseCode
		message string
	}{
		{name: "configured stream is granted", req: request(camStream, 1, wire.RoleConsumer), code: wire.CodeOK},
		{name: "invalid role is INVALID_PARAMS", req: with(func(r *wire.ShmAttachRequest) { r.Role = 3 }), code: wire.CodeInvalidParams, message: "role 3"},
		{name: "null role is INVALID_PARAMS", req: with(func(r *wire.ShmAttachRequest) { r.Role = 0 }), code: wire.CodeInvalidParams, message: "role 0"},
		{name: "clientId 0 is INVALID_PARAMS", req: with(func(r *wire.ShmAttachRequest) { r.ClientID = 0 }), code: wire.CodeInvalidParams, message: "clientId 0"},
		{name: "unknown publishMode is UNSUPPORTED", req: with(func(r *wire.ShmAttachRequest) { r.PublishMode = 3 }), code: wire.CodeUnsupported, message: "publishMode 3"},
		{name: "null publishMode means REQUIRE_EXISTING", req: request(dynFirst, 1, wire.RoleProducer), code: wire.CodeRejected, message: "REQUIRE_EXISTING"},
		{name: "REQUIRE_EXISTING rejects an unprovisioned stream",
			req: with(func(r *wire.ShmAttachRequest) {
				r.StreamID = dynFirst
				r.PublishMode = wire.PublishModeRequireExisting
			}),
			code: wire.CodeRejected, message: "not provisioned"},
		{name: "EXISTING_OR_CREATE creates a dynamic stream",
			req: with(func(r *wire.ShmAttachRequest) {
				r.StreamID = dynFirst
				r.PublishMode = wire.PublishModeExistingOrCreate
			}),
			code: wire.CodeOK},
		{name: "EXISTING_OR_CREATE on an existing stream attaches to it",
			req:  with(func(r *wire.ShmAttachRequest) { r.PublishMode = wire.PublishModeExistingOrCreate }),
			code: wire.CodeOK},
		{name: "unknown stream without dynamic streams is REJECTED",
			core: func(t *testing.T) *Core {
				return NewCore(loadConfig(t, ""), testInstance).withPolicy(func(p *config.PolicySection) { p.AllowDynamicStreams = false })
			},
			req: with(func(r *wire.ShmAttachRequest) {
				r.StreamID = dynFirst
				r.PublishMode = wire.PublishModeExistingOrCreate
			}),
			code: wire.CodeRejected, message: "dynamic streams are disabled"},
		{name: "dynamic stream without stream_id_range is INVALID_PARAMS",
			core: func(t *testing.T) *Core {
				cfg := loadConfig(t, "")
				cfg.Driver.StreamIDRange = config.StreamIDRange{}
				return NewCore(cfg, testInstance)
			},
			req: with(func(r *wire.ShmAttachRequest) {
				r.StreamID = dynFirst
				r.PublishMode = wire.PublishModeExistingOrCreate
			}),
			code: wire.CodeInvalidParams, message: "stream_id_range is not configured"},
		{name: "dynamic stream outside stream_id_range is INVALID_PARAMS",
			req: with(func(r *wire.ShmAttachRequest) {
				r.StreamID = 12345
				r.PublishMode = wire.PublishModeExistingOrCreate
			}),
			code: wire.CodeInvalidParams, message: "outside driver.stream_id_range 20000-20002"},
		{name: "exhausted stream_id_range is REJECTED",
			setup: func(t *testing.T, c *Core) {
				for client := uint32(50); client < 53; client++ {
					r := request(0, client, wire.RoleProducer)
					r.PublishMode = wire.PublishModeExistingOrCreate
					attach(t, c, r, now)
				}
			},
			req:  with(func(r *wire.ShmAttachRequest) { r.StreamID = 0; r.PublishMode = wire.PublishModeExistingOrCreate }),
			code: wire.CodeRejected, message: "exhausted"},
		{name: "expectedLayoutVersion 0 takes the driver's", req: with(func(r *wire.ShmAttachRequest) { r.ExpectedLayoutVersion = 0 }), code: wire.CodeOK},
		{name: "expectedLayoutVersion 1 matches", req: with(func(r *wire.ShmAttachRequest) { r.ExpectedLayoutVersion = 1 }), code: wire.CodeOK},
		{name: "expectedLayoutVersion mismatch is REJECTED", req: with(func(r *wire.ShmAttachRequest) { r.ExpectedLayoutVersion = 2 }), code: wire.CodeRejected, message: "expectedLayoutVersion 2"},
		{name: "nonzero maxDims is ignored", req: with(func(r *wire.ShmAttachRequest) { r.MaxDims = 3 }), code: wire.CodeOK},
		{name: "HUGEPAGES on a standard-page driver is REJECTED", req: with(func(r *wire.ShmAttachRequest) { r.RequireHugepages = wire.HugepagesRequired }), code: wire.CodeRejected, message: "hugepage-backed"},
		{name: "STANDARD on a standard-page driver is granted", req: with(func(r *wire.ShmAttachRequest) { r.RequireHugepages = wire.HugepagesStandard }), code: wire.CodeOK},
		{name: "STANDARD on a hugepage-only driver is REJECTED",
			core: func(t *testing.T) *Core {
				cfg := loadConfig(t, "")
				cfg.Shm.RequireHugepages = true
				return NewCore(cfg, testInstance)
			},
			req:  with(func(r *wire.ShmAttachRequest) { r.RequireHugepages = wire.HugepagesStandard }),
			code: wire.CodeRejected, message: "hugepages only"},
		{name: "HUGEPAGES on a hugepage driver is granted",
			core: func(t *testing.T) *Core {
				cfg := loadConfig(t, "")
				cfg.Shm.RequireHugepages = true
				return NewCore(cfg, testInstance)
			},
			req:  with(func(r *wire.ShmAttachRequest) { r.RequireHugepages = wire.HugepagesRequired }),
			code: wire.CodeOK},
		{name: "unknown hugepages policy is INVALID_PARAMS", req: with(func(r *wire.ShmAttachRequest) { r.RequireHugepages = 7 }), code: wire.CodeInvalidParams, message: "requireHugepages 7"},
		{name: "second producer on a stream is REJECTED",
			setup: func(t *testing.T, c *Core) { attach(t, c, request(camStream, 2, wire.RoleProducer), now) },
			req:   request(camStream, 1, wire.RoleProducer), code: wire.CodeRejected, message: "already has a producer"},
		{name: "consumers beside a producer are granted",
			setup: func(t *testing.T, c *Core) {
				attach(t, c, request(camStream, 2, wire.RoleProducer), now)
				attach(t, c, request(camStream, 3, wire.RoleConsumer), now)
			},
			req: request(camStream, 1, wire.RoleConsumer), code: wire.CodeOK},
		{name: "clientId with a live lease is REJECTED",
			setup: func(t *testing.T, c *Core) { attach(t, c, request(camStream, 1, wire.RoleConsumer), now) },
			req:   request(camStream, 1, wire.RoleProducer), code: wire.CodeRejected, message: ClientIDTaken},
		{name: "stream without payload pools is INVALID_PARAMS",
			core: func(t *testing.T) *Core {
				cfg := loadConfig(t, "")
				cfg.Profiles["cam"] = config.Profile{Name: "cam", HeaderNslots: 64}
				return NewCore(cfg, testInstance)
			},
			req: request(camStream, 1, wire.RoleConsumer), code: wire.CodeInvalidParams, message: "no payload pools"},
		{name: "draining driver is REJECTED",
			setup: func(t *testing.T, c *Core) { c.BeginShutdown(wire.ShutdownAdmin, "", now) },
			req:   request(camStream, 1, wire.RoleConsumer), code: wire.CodeRejected, message: "draining"},
		{name: "stopped driver is REJECTED",
			setup: func(t *testing.T, c *Core) { c.StopNow(now) },
			req:   request(camStream, 1, wire.RoleConsumer), code: wire.CodeRejected, message: "stopped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCore(t)
			if tt.core != nil {
				c = tt.core(t)
			}
			if tt.setup != nil {
				tt.setup(t, c)
			}
			d := c.DecideAttach(tt.req, now)
			assert.Equal(t, tt.code, d.Code, "message %q", d.Message)
			assert.Contains(t, d.Message, tt.message)
			resp, ok := response(attachAll(c, tt.req, now), tt.req.CorrelationID)
			require.True(t, ok, "the request is answered")
			assert.Equal(t, tt.req.CorrelationID, resp.CorrelationID)
			assert.Equal(t, tt.code, resp.Code)
			if d.Code != wire.CodeOK {
				assert.Equal(t, d.Response(), resp)
				return
			}
			assert.Equal(t, uint8(shm.MaxDims), resp.MaxDims)
		})
	}
}

// withPolicy edits the configuration of a fresh core (tests only).
func (c *Core) withPolicy(edit func(*config.PolicySection)) *Core {
	edit(&c.cfg.Policies)
	return c
}

// TestDriverSpec_4_2_OKResponseFields: an OK response echoes correlationId
// and carries every required field, with headerSlotBytes 256, maxDims 8 and
// poolNslots = headerNslots.
func TestDriverSpec_4_2_OKResponseFields(t *testing.T) {
	c := newTestCore(t)
	req := request(camStream, 9, wire.RoleProducer)
	req.CorrelationID = -42
	req.MaxDims = 4
	resp := attach(t, c, req, 7*second)
	assert.Equal(t, wire.ShmAttachResponse{
		CorrelationID:          -42,
		Code:                   wire.CodeOK,
		LeaseID:                leaseID(1),
		LeaseExpiryTimestampNs: 7*second + leaseLifetime,
		StreamID:               camStream,
		Epoch:                  7 * second,
		LayoutVersion:          1,
		HeaderNslots:           64,
		HeaderSlotBytes:        256,
		MaxDims:                8,
		NodeID:                 wire.NullU32, // a v1.1 lease has none
		PayloadPools: []wire.PayloadPool{
			{PoolID: 1, PoolNslots: 64, StrideBytes: 65536},
			{PoolID: 2, PoolNslots: 64, StrideBytes: 1048576},
		},
	}, resp)
}

// TestDriverSpec_4_2_RejectionNullFields: a failed attach carries code and
// diagnostic, every optional field at its null value, no pools, no URI.
func TestDriverSpec_4_2_RejectionNullFields(t *testing.T) {
	long := make([]byte, 3000)
	for i := range long {
		long[i] = 'x'
	}
	resp := Rejection(17, wire.CodeRejected, string(long))
	assert.Equal(t, wire.ShmAttachResponse{
		CorrelationID:          17,
		Code:                   wire.CodeRejected,
		LeaseID:                wire.NullU64,
		LeaseExpiryTimestampNs: wire.NullU64,
		StreamID:               wire.NullU32,
		Epoch:                  wire.NullU64,
		LayoutVersion:          wire.NullU32,
		HeaderNslots:           wire.NullU32,
		HeaderSlotBytes:        wire.NullU16,
		MaxDims:                wire.NullU8,
		NodeID:                 wire.NullU32,
		ErrorMessage:           string(long[:wire.MaxErrorMessageBytes]),
	}, resp)
}

// TestDriverSpec_6_EpochIncrements: the epoch moves on producer attach (no
// producer yet) and on producer detach/expiry/revoke, never for consumers.
func TestDriverSpec_6_EpochIncrements(t *testing.T) {
	c := newTestCore(t)
	epoch := func() uint64 { s, _ := c.Stream(camStream); return s.Epoch }

	cons := attach(t, c, request(camStream, 1, wire.RoleConsumer), 10)
	assert.Equal(t, uint64(10), cons.Epoch, "first lease provisions the stream")
	attach(t, c, request(camStream, 2, wire.RoleConsumer), 11)
	assert.Equal(t, uint64(10), epoch(), "a consumer attach keeps the epoch")

	prod := attach(t, c, request(camStream, 3, wire.RoleProducer), 12)
	assert.Equal(t, uint64(12), prod.Epoch, "a producer attach bumps")
	_, actions := c.Detach(wire.ShmDetachRequest{LeaseID: prod.LeaseID, StreamID: camStream, ClientID: 3, Role: wire.RoleProducer}, 13)
	actions = cloneActions(actions)
	assert.Equal(t, []ActionKind{ActionSendLeaseRevoked, ActionProvisionEpoch}, kinds(actions))
	assert.Equal(t, uint64(13), epoch(), "a producer detach bumps")
	assert.Equal(t, []ActionKind{ActionSendPoolAnnounce}, kinds(provisionAll(c, actions, 13)), "announced once provisioned")

	// The clock has not moved: epochs still strictly increase.
	prod = attach(t, c, request(camStream, 3, wire.RoleProducer), 13)
	assert.Equal(t, uint64(14), prod.Epoch)

	_, actions = c.Detach(wire.ShmDetachRequest{LeaseID: cons.LeaseID, StreamID: camStream, ClientID: 1, Role: wire.RoleConsumer}, 20)
	assert.Equal(t, []ActionKind{ActionSendLeaseRevoked}, kinds(actions))
	assert.Equal(t, uint64(14), epoch(), "a consumer detach keeps the epoch")
}

// TestDriverSpec_7_ProducerReattachAfterExpiry: a producer that stopped
// keepalives is expired, and the next producer lease has a higher epoch.
func TestDriverSpec_7_ProducerReattachAfterExpiry(t *testing.T) {
	c := newTestCore(t)
	first := attach(t, c, request(camStream, 1, wire.RoleProducer), second)
	actions := cloneActions(c.ExpireLeases(first.LeaseExpiryTimestampNs))
	require.Equal(t, []ActionKind{ActionSendLeaseRevoked, ActionProvisionEpoch}, kinds(actions))
	assert.Equal(t, wire.RevokeExpired, actions[0].Revoked.Reason)
	assert.Equal(t, []ActionKind{ActionSendPoolAnnounce}, kinds(provisionAll(c, actions, first.LeaseExpiryTimestampNs)))
	again := attach(t, c, request(camStream, 1, wire.RoleProducer), first.LeaseExpiryTimestampNs)
	assert.Greater(t, again.Epoch, actions[1].Epoch)
	assert.Greater(t, actions[1].Epoch, first.Epoch)
	assert.NotEqual(t, first.LeaseID, again.LeaseID)
}

// TestDriverSpec_8_ProducerIDInStream: the stream records the producer's
// clientId for ShmPoolAnnounce.producerId, and 0 without a producer.
func TestDriverSpec_8_ProducerIDInStream(t *testing.T) {
	c := newTestCore(t)
	p := attach(t, c, request(camStream, 77, wire.RoleProducer), 1)
	s, _ := c.Stream(camStream)
	assert.Equal(t, uint32(77), s.ProducerClientID)
	c.RevokeLease(p.LeaseID, "operator", 2)
	s, _ = c.Stream(camStream)
	assert.Equal(t, uint32(0), s.ProducerClientID)
}

// TestDriverSpec_11_DynamicStreams: dynamic ids come from the range; a
// requested id in range is honoured, 0 lets the driver choose; a dynamic
// stream is forgotten with its last lease and comes back at a higher epoch.
func TestDriverSpec_11_DynamicStreams(t *testing.T) {
	c := newTestCore(t)
	create := func(stream, client uint32, now uint64) wire.ShmAttachResponse {
		r := request(stream, client, wire.RoleProducer)
		r.PublishMode = wire.PublishModeExistingOrCreate
		return attach(t, c, r, now)
	}
	a := create(20001, 1, 100)
	assert.Equal(t, uint32(20001), a.StreamID)
	b := create(0, 2, 101)
	assert.Equal(t, uint32(20002), b.StreamID, "round robin continues after the last id handed out")
	d := create(0, 3, 102)
	assert.Equal(t, uint32(20000), d.StreamID)

	cons := request(20001, 4, wire.RoleConsumer)
	assert.Equal(t, wire.CodeOK, c.DecideAttach(cons, 103).Code, "a live dynamic stream exists for REQUIRE_EXISTING")

	actions := cloneActions(c.ExpireLeases(a.LeaseExpiryTimestampNs))
	assert.Contains(t, kinds(actions), ActionRetireStream)
	assert.NotContains(t, kinds(actions), ActionSendPoolAnnounce, "a retired stream is not announced")
	_, known := c.Stream(20001)
	assert.False(t, known)
	again := create(20001, 1, a.LeaseExpiryTimestampNs)
	assert.Greater(t, again.Epoch, a.Epoch)
}

func TestAppendProvisionedStreams(t *testing.T) {
	c := newTestCore(t)
	assert.Empty(t, c.AppendProvisionedStreams(nil), "configured but unprovisioned streams are not announced")
	r := request(dynLast, 1, wire.RoleProducer)
	r.PublishMode = wire.PublishModeExistingOrCreate
	attach(t, c, r, 5)
	attach(t, c, request(camStream, 2, wire.RoleConsumer), 5)
	assert.Equal(t, []uint32{camStream, dynLast}, c.AppendProvisionedStreams(nil))
}

// Provisioning is asynchronous: an attach that needs a new epoch waits for
// it while keepalives, detaches and attaches of other streams are served;
// attaches of the same stream join the provisioning under way; the grants
// follow Provisioned in arrival order, each lease running from its grant.
func TestDriverSpec_4_2_AttachWaitsForItsEpoch(t *testing.T) {
	c := newTestCore(t)
	other := attach(t, c, withCreate(request(dynFirst, 9, wire.RoleProducer)), 0)

	actions := cloneActions(c.Attach(request(camStream, 1, wire.RoleProducer), second))
	require.Equal(t, []ActionKind{ActionProvisionEpoch}, kinds(actions), "no answer before the epoch exists")
	epoch := actions[0].Epoch
	assert.Equal(t, []Action{{Kind: ActionProvisionEpoch, StreamID: camStream, Epoch: second}}, actions)
	assert.Empty(t, c.Attach(request(camStream, 2, wire.RoleConsumer), 2*second), "joins the provisioning under way")
	assert.NotContains(t, c.AppendProvisionedStreams(nil), uint32(camStream), "not announced before it is ready")

	// Meanwhile the driver serves everything else.
	assert.Equal(t, KeepaliveExtended, keepalive(c, keepaliveFor(other, 9, wire.RoleProducer), 2*second))
	busy := cloneActions(c.Attach(request(camStream, 3, wire.RoleProducer), 3*second))
	require.Len(t, busy, 1)
	assert.Equal(t, wire.CodeRejected, busy[0].Response.Code, "the waiting producer holds the stream")
	assert.Contains(t, busy[0].Response.ErrorMessage, "already has a producer")
	out, _ := c.Detach(wire.ShmDetachRequest{LeaseID: other.LeaseID, StreamID: dynFirst, ClientID: 9, Role: wire.RoleProducer}, 3*second)
	assert.Equal(t, wire.CodeOK, out.Code)

	require.True(t, c.AwaitsEpoch(camStream, epoch))
	assert.False(t, c.AwaitsEpoch(camStream, epoch+1))
	done := cloneActions(c.Provisioned(camStream, epoch, "", 20*second))
	require.Equal(t, []ActionKind{ActionSendAttachResponse, ActionSendAttachResponse, ActionSendPoolAnnounce}, kinds(done))
	for i, client := range []uint32{1, 2} {
		r := done[i].Response
		assert.Equal(t, int64(client)*100+7, r.CorrelationID, "arrival order")
		assert.Equal(t, wire.CodeOK, r.Code)
		assert.Equal(t, epoch, r.Epoch)
		assert.Equal(t, 20*second+leaseLifetime, r.LeaseExpiryTimestampNs, "the lease runs from its grant")
		assert.Equal(t, epoch, done[i].Epoch)
	}
	s, _ := c.Stream(camStream)
	assert.True(t, s.Ready)
	assert.False(t, s.Provisioning)
	assert.Equal(t, uint32(1), s.ProducerClientID)
	assert.Equal(t, 1, s.ConsumerLeases)
	assert.Empty(t, c.Provisioned(camStream, epoch, "", 21*second), "a completion reported twice changes nothing")
}

// A failed provisioning answers every attach waiting for it INTERNAL_ERROR
// naming the cause; the next attach provisions a new epoch.
func TestDriverSpec_4_2_ProvisioningFailureIsInternalError(t *testing.T) {
	c := newTestCore(t)
	actions := cloneActions(c.Attach(request(camStream, 1, wire.RoleConsumer), second))
	require.Equal(t, []ActionKind{ActionProvisionEpoch}, kinds(actions))
	require.Empty(t, c.Attach(request(camStream, 2, wire.RoleConsumer), second))
	failed := cloneActions(c.Provisioned(camStream, actions[0].Epoch, "no space left", 2*second))
	require.Equal(t, []ActionKind{ActionSendAttachResponse, ActionSendAttachResponse}, kinds(failed), "no announce")
	for _, a := range failed {
		requireRejected(t, a.Response, wire.CodeInternalError, "failed to provision SHM: no space left")
	}
	s, _ := c.Stream(camStream)
	assert.False(t, s.Ready)
	assert.Empty(t, c.AppendProvisionedStreams(nil))

	retry := cloneActions(c.Attach(request(camStream, 1, wire.RoleConsumer), 3*second))
	require.Equal(t, []ActionKind{ActionProvisionEpoch}, kinds(retry))
	assert.Greater(t, retry[0].Epoch, actions[0].Epoch)
}

// A client that asks again while its attach waits (a new correlationId,
// after its own timeout) replaces the waiting one, which is answered
// REJECTED; the same request again is a duplicate. A dynamic stream made
// for the replaced attach is forgotten once its provisioning ends.
func TestDriverSpec_4_8_NewerAttachSupersedesWaitingOne(t *testing.T) {
	c := newTestCore(t)
	first := withCreate(request(dynFirst, 1, wire.RoleProducer))
	actions := cloneActions(c.Attach(first, second))
	require.Equal(t, []ActionKind{ActionProvisionEpoch}, kinds(actions))
	assert.Empty(t, c.Attach(first, second), "a duplicate")

	again := request(camStream, 1, wire.RoleConsumer)
	again.CorrelationID = 555
	out := cloneActions(c.Attach(again, 2*second))
	require.Equal(t, []ActionKind{ActionSendAttachResponse, ActionProvisionEpoch}, kinds(out))
	requireRejected(t, out[0].Response, wire.CodeRejected, "superseded by attach request correlationId 555")
	assert.Equal(t, first.CorrelationID, out[0].Response.CorrelationID)

	_, known := c.Stream(dynFirst)
	assert.True(t, known, "kept while its provisioning is under way")
	assert.Equal(t, []ActionKind{ActionRetireStream}, kinds(c.Provisioned(dynFirst, actions[0].Epoch, "", 3*second)),
		"nobody waits for it: forgotten, not announced")
	_, known = c.Stream(dynFirst)
	assert.False(t, known)
	granted, ok := response(provisionAll(c, out, 3*second), 555)
	require.True(t, ok)
	assert.Equal(t, wire.CodeOK, granted.Code)
}

// Stopping refuses the attaches still waiting; their provisioning's end is
// then not awaited.
func TestDriverSpec_4_13_StopRefusesWaitingAttaches(t *testing.T) {
	c := newTestCore(t)
	actions := cloneActions(c.Attach(request(camStream, 1, wire.RoleProducer), second))
	stop := cloneActions(c.StopNow(2 * second))
	require.Equal(t, []ActionKind{ActionSendAttachResponse, ActionSendDriverShutdown}, kinds(stop))
	requireRejected(t, stop[0].Response, wire.CodeRejected, "driver is stopping")
	assert.False(t, c.AwaitsEpoch(camStream, actions[0].Epoch))
	assert.Empty(t, c.Provisioned(camStream, actions[0].Epoch, "", 3*second))
}

// requireRejected checks a refusal's code, diagnostic and null fields.
func requireRejected(t *testing.T, r wire.ShmAttachResponse, code wire.ResponseCode, message string) {
	t.Helper()
	assert.Equal(t, code, r.Code)
	assert.Contains(t, r.ErrorMessage, message)
	assert.Equal(t, Rejection(r.CorrelationID, code, r.ErrorMessage), r)
}

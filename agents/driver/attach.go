package driver

import (
	"fmt"

	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// AttachDecision is the outcome of DecideAttach: a rejection (Code != OK,
// with a diagnostic) or a plan to grant the lease.
type AttachDecision struct {
	Code    wire.ResponseCode
	Message string
	Plan    AttachPlan
}

// Response is the ShmAttachResponse of a rejected decision, in the request's wire
// version.
func (d AttachDecision) Response() wire.ShmAttachResponse {
	r := Rejection(d.Plan.Request.CorrelationID, d.Code, d.Message)
	r.Version = d.Plan.Request.Version
	return r
}

// ClientIDTaken is the diagnostic of an attach whose client id already holds a lease:
// Driver spec Appendix B.2 fixes the text, which clients that picked their id at random
// match to pick another.
const ClientIDTaken = "client_id already attached"

// NodeIDUnavailable is the diagnostic of a v1.2 attach whose desiredNodeId another lease
// holds (Driver spec §4.2: REJECTED, no nodeId).
const NodeIDUnavailable = "node_id unavailable"

// AttachPlan describes a grant: the lease is granted on StreamID once Epoch
// is provisioned. ProvisionEpoch nonzero means a new epoch must be
// provisioned for it (it is then Epoch); Ready means Epoch's files exist and
// the lease can be granted at once; neither means the grant waits for the
// stream's provisioning already under way.
type AttachPlan struct {
	Request  wire.ShmAttachRequest
	StreamID uint32
	Profile  config.Profile
	// CreateStream: StreamID is a new dynamic stream.
	CreateStream   bool
	ProvisionEpoch uint64
	Ready          bool
}

// DecideAttach applies the attach rules (Driver spec §4.2, §4.3, §4.6,
// §4.8, §5, §6, §11) to a request without changing any state. The first
// rule that fails decides the code. An attach still waiting for its epoch
// counts as the client's lease and as the stream's producer.
func (c *Core) DecideAttach(req wire.ShmAttachRequest, nowNs uint64) AttachDecision {
	reject := func(code wire.ResponseCode, format string, args ...any) AttachDecision {
		return AttachDecision{Code: code, Message: fmt.Sprintf(format, args...), Plan: AttachPlan{Request: req}}
	}
	switch c.life.state {
	case Draining:
		return reject(wire.CodeRejected, "driver is draining for shutdown")
	case Stopped:
		return reject(wire.CodeRejected, "driver is stopped")
	}
	if !req.Role.Valid() {
		return reject(wire.CodeInvalidParams, "role %d is neither PRODUCER (1) nor CONSUMER (2)", req.Role)
	}
	// producerId 0 means "no producer" in ShmPoolAnnounce (§8), so 0 cannot name a client.
	if req.ClientID == 0 {
		return reject(wire.CodeInvalidParams, "clientId 0 is reserved")
	}
	mode := req.PublishMode
	switch mode {
	case wire.PublishModeNull:
		mode = wire.PublishModeRequireExisting
	case wire.PublishModeRequireExisting, wire.PublishModeExistingOrCreate:
	default:
		return reject(wire.CodeUnsupported, "publishMode %d is not supported", mode)
	}
	switch req.RequireHugepages {
	case wire.HugepagesUnspecified:
	case wire.HugepagesRequired:
		if !c.cfg.Shm.RequireHugepages {
			return reject(wire.CodeRejected, "hugepage-backed regions requested but this driver provides standard pages (shm.require_hugepages=false)")
		}
	case wire.HugepagesStandard:
		if c.cfg.Shm.RequireHugepages {
			return reject(wire.CodeRejected, "standard-page regions requested but this driver provides hugepages only (shm.require_hugepages=true)")
		}
	default:
		return reject(wire.CodeInvalidParams, "requireHugepages %d is not a wire.HugepagesPolicy", req.RequireHugepages)
	}
	if _, ok := c.leaseOf[req.ClientID]; ok {
		return reject(wire.CodeRejected, ClientIDTaken)
	}
	if w := c.waitingOf(req.ClientID); w >= 0 {
		return reject(wire.CodeRejected, "clientId %d has an attach waiting (correlationId %d)", req.ClientID, c.waiting[w].Request.CorrelationID)
	}

	plan := AttachPlan{Request: req, StreamID: req.StreamID}
	s, known := c.streams[req.StreamID]
	if known {
		plan.Profile = s.Profile
	} else {
		d, ok := c.planDynamicStream(req, mode, &plan)
		if !ok {
			return d
		}
	}
	if req.ExpectedLayoutVersion != 0 && req.ExpectedLayoutVersion != shm.LayoutVersion {
		return reject(wire.CodeRejected, "expectedLayoutVersion %d does not match stream layout version %d", req.ExpectedLayoutVersion, shm.LayoutVersion)
	}
	// maxDims (v1.1) is ignored on purpose: the response always carries shm.MaxDims (§4.3).
	if node, ok := req.DesiredNode(); ok && c.nodeTaken(node) {
		return reject(wire.CodeRejected, NodeIDUnavailable)
	}
	if len(plan.Profile.PayloadPools) == 0 {
		return reject(wire.CodeInvalidParams, "stream %d has no payload pools (profile %q)", plan.StreamID, plan.Profile.Name)
	}
	if !known {
		// A new stream needs its first epoch.
		plan.ProvisionEpoch = nextEpoch(0, c.epochFloor[plan.StreamID], nowNs)
		return AttachDecision{Code: wire.CodeOK, Plan: plan}
	}
	if req.Role == wire.RoleProducer {
		if s.ProducerLeaseID != 0 {
			return reject(wire.CodeRejected, "stream %d already has a producer (lease %d)", plan.StreamID, s.ProducerLeaseID)
		}
		if w := c.waitingProducer(s.ID); w >= 0 {
			return reject(wire.CodeRejected, "stream %d already has a producer (clientId %d, waiting for its epoch)", plan.StreamID, c.waiting[w].Request.ClientID)
		}
	}
	switch {
	case s.Provisioning:
		// The epoch under way is new: nobody has written it, so a producer
		// starts on it as well as on a freshly bumped one (§6).
	case req.Role == wire.RoleProducer || !s.Ready:
		// A producer always starts a new epoch (§6, §7); a consumer of a
		// stream without usable files needs one to map at all.
		plan.ProvisionEpoch = nextEpoch(s.Epoch, c.epochFloor[plan.StreamID], nowNs)
	default:
		plan.Ready = true
	}
	return AttachDecision{Code: wire.CodeOK, Plan: plan}
}

// planDynamicStream resolves a stream that is neither configured nor live.
func (c *Core) planDynamicStream(req wire.ShmAttachRequest, mode wire.PublishMode, plan *AttachPlan) (AttachDecision, bool) {
	reject := func(code wire.ResponseCode, format string, args ...any) (AttachDecision, bool) {
		return AttachDecision{Code: code, Message: fmt.Sprintf(format, args...), Plan: AttachPlan{Request: req}}, false
	}
	rng := c.cfg.Driver.StreamIDRange
	switch {
	case mode == wire.PublishModeRequireExisting:
		// Whether a producer could still create it tells a consumer that is early from
		// one that waits for nothing (driverclient.RefusedError.Permanent).
		const notYet = "stream %d is not provisioned (publishMode REQUIRE_EXISTING)"
		switch {
		case !c.cfg.Policies.AllowDynamicStreams:
			return reject(wire.CodeRejected, notYet+"; no producer can create it: it is not configured and dynamic streams are disabled", req.StreamID)
		case !rng.IsSet() || req.StreamID == 0 || !rng.Contains(req.StreamID):
			return reject(wire.CodeRejected, notYet+"; no producer can create it: it is outside driver.stream_id_range", req.StreamID)
		}
		return reject(wire.CodeRejected, notYet, req.StreamID)
	case !c.cfg.Policies.AllowDynamicStreams:
		return reject(wire.CodeRejected, "stream %d is not configured and dynamic streams are disabled", req.StreamID)
	case !rng.IsSet():
		return reject(wire.CodeInvalidParams, "stream %d cannot be created: driver.stream_id_range is not configured", req.StreamID)
	case req.StreamID != 0 && !rng.Contains(req.StreamID):
		return reject(wire.CodeInvalidParams, "stream %d is outside driver.stream_id_range %d-%d", req.StreamID, rng.First, rng.Last)
	}
	if req.StreamID == 0 {
		id := c.dynamicIDs.next(0)
		if id == 0 {
			return reject(wire.CodeRejected, "driver.stream_id_range %d-%d is exhausted", rng.First, rng.Last)
		}
		plan.StreamID = id
	}
	plan.Profile = c.cfg.Profiles[c.cfg.Policies.DefaultProfile]
	plan.CreateStream = true
	return AttachDecision{}, true
}

// Attach applies a ShmAttachRequest. Its actions are, in order:
//   - a rejection: ActionSendAttachResponse;
//   - a grant on a stream whose epoch is ready: ActionSendAttachResponse
//     (OK, without URIs: the agent fills HeaderRegionURI and each pool's
//     RegionURI from the epoch's files), then ActionSendPoolAnnounce;
//   - a grant that needs a new epoch: ActionProvisionEpoch; the request
//     waits, and Provisioned answers it;
//   - a grant that waits for a provisioning under way: nothing yet.
//
// A request from a client whose earlier attach is still waiting replaces
// it: the earlier one is answered REJECTED first. The same request again
// (same correlationId) is a duplicate and changes nothing.
func (c *Core) Attach(req wire.ShmAttachRequest, nowNs uint64) []Action {
	c.actions = c.actions[:0]
	if w := c.waitingOf(req.ClientID); w >= 0 && req.ClientID != 0 {
		if c.waiting[w].Request.CorrelationID == req.CorrelationID {
			return c.actions
		}
		superseded := c.dropWaiting(w)
		c.reject(&superseded.Request, wire.CodeRejected,
			fmt.Sprintf("superseded by attach request correlationId %d", req.CorrelationID))
		if s, ok := c.streams[superseded.StreamID]; ok {
			c.forgetIfUnused(s)
		}
	}
	d := c.DecideAttach(req, nowNs)
	if d.Code != wire.CodeOK {
		c.reject(&req, d.Code, d.Message)
		return c.actions
	}
	plan := d.Plan
	s := c.streams[plan.StreamID]
	if plan.CreateStream {
		c.dynamicIDs.claim(plan.StreamID)
		s = &Stream{ID: plan.StreamID, Profile: plan.Profile, Dynamic: true}
		c.streams[plan.StreamID] = s
		delete(c.epochFloor, plan.StreamID)
	}
	if plan.Ready {
		c.grant(plan, nowNs)
		c.actions = append(c.actions, Action{Kind: ActionSendPoolAnnounce, StreamID: s.ID, Epoch: s.Epoch})
		return c.actions
	}
	c.waiting = append(c.waiting, plan)
	if plan.ProvisionEpoch != 0 {
		c.startEpoch(s, plan.ProvisionEpoch, nowNs)
	}
	return c.actions
}

// startEpoch makes epoch the stream's newest, not yet usable, and asks the
// agent to provision it.
func (c *Core) startEpoch(s *Stream, epoch, nowNs uint64) {
	s.Epoch, s.EpochStartNs = epoch, nowNs
	s.Ready, s.Provisioning = false, true
	c.actions = append(c.actions, Action{Kind: ActionProvisionEpoch, StreamID: s.ID, Epoch: epoch})
}

// AwaitsEpoch reports whether the core waits for epoch of a stream to be
// provisioned: the agent installs a finished provisioning only then, and
// discards one the core no longer wants (its stream was forgotten or the
// driver stopped).
func (c *Core) AwaitsEpoch(streamID uint32, epoch uint64) bool {
	s, ok := c.streams[streamID]
	return ok && s.Provisioning && s.Epoch == epoch && c.life.state != Stopped
}

// Provisioned completes an ActionProvisionEpoch: failure is empty when the
// epoch's files are ready (and installed by the agent), else the cause. On
// success the stream's waiting attaches are granted, each lease running
// from nowNs, in arrival order (ActionSendAttachResponse each), then the
// stream is announced; on failure they are answered INTERNAL_ERROR naming
// the cause, and the stream stays without a usable epoch until an attach
// provisions one. A completion the core does not await changes nothing.
func (c *Core) Provisioned(streamID uint32, epoch uint64, failure string, nowNs uint64) []Action {
	c.actions = c.actions[:0]
	if !c.AwaitsEpoch(streamID, epoch) {
		return c.actions
	}
	s := c.streams[streamID]
	s.Provisioning = false
	kept := c.waiting[:0]
	granted := 0
	for _, plan := range c.waiting {
		switch {
		case plan.StreamID != streamID:
			kept = append(kept, plan)
		case failure != "":
			c.reject(&plan.Request, wire.CodeInternalError, "failed to provision SHM: "+failure)
		default:
			c.grant(plan, nowNs)
			granted++
		}
	}
	clear(c.waiting[len(kept):])
	c.waiting = kept
	if granted == 0 && c.forgetIfUnused(s) {
		return c.actions
	}
	if failure == "" {
		s.Ready, s.EpochStartNs = true, nowNs
		c.actions = append(c.actions, Action{Kind: ActionSendPoolAnnounce, StreamID: s.ID, Epoch: s.Epoch})
	}
	return c.actions
}

// reject appends the answer to a refused attach, in the request's wire version.
func (c *Core) reject(req *wire.ShmAttachRequest, code wire.ResponseCode, message string) {
	r := Rejection(req.CorrelationID, code, message)
	r.Version = req.Version
	c.actions = append(c.actions, Action{Kind: ActionSendAttachResponse, Response: r})
}

// nodeTaken reports whether a live lease holds TraceLink node id node, or a waiting
// attach asked for it.
func (c *Core) nodeTaken(node uint32) bool {
	if _, ok := c.leaseOfNode[node]; ok {
		return true
	}
	for i := range c.waiting {
		if n, ok := c.waiting[i].Request.DesiredNode(); ok && n == node {
			return true
		}
	}
	return false
}

// assignNode gives a v1.2 lease its TraceLink node id (Driver spec §4.2): the one it asked
// for (DecideAttach checked it is free), else the next free one counting up from the
// last assigned, skipping 0 and the null value. A v1.1 lease gets none (NullU32): its
// response has no field for one.
func (c *Core) assignNode(l *Lease, req *wire.ShmAttachRequest) {
	l.NodeID = wire.NullU32
	if req.Version != wire.V1_2 {
		return
	}
	node, ok := req.DesiredNode() // free: DecideAttach refused it otherwise, and kept it since
	for !ok || node == 0 || node == wire.NullU32 {
		c.nextNode++
		if !c.nodeTaken(c.nextNode) {
			node, ok = c.nextNode, true
		}
	}
	l.NodeID = node
	c.leaseOfNode[node] = l.ID
}

// waitingOf returns the index of the client's waiting attach, or -1.
func (c *Core) waitingOf(clientID uint32) int {
	for i := range c.waiting {
		if c.waiting[i].Request.ClientID == clientID {
			return i
		}
	}
	return -1
}

// waitingProducer returns the index of the stream's waiting producer attach, or -1.
func (c *Core) waitingProducer(streamID uint32) int {
	for i := range c.waiting {
		if c.waiting[i].StreamID == streamID && c.waiting[i].Request.Role == wire.RoleProducer {
			return i
		}
	}
	return -1
}

// dropWaiting removes and returns a waiting attach, keeping the others' order.
func (c *Core) dropWaiting(i int) AttachPlan {
	plan := c.waiting[i]
	c.waiting = append(c.waiting[:i], c.waiting[i+1:]...)
	return plan
}

// grant issues the lease a plan describes and appends its OK response.
func (c *Core) grant(plan AttachPlan, nowNs uint64) {
	req := plan.Request
	s := c.streams[plan.StreamID]
	l := &Lease{
		ID:          c.ids.next(c.leases),
		StreamID:    s.ID,
		ClientID:    req.ClientID,
		Role:        req.Role,
		State:       LeaseStateAttached,
		ExpiresAtNs: nowNs + c.leaseExpiryNs,
	}
	c.leases[l.ID] = l
	c.leaseOf[l.ClientID] = l.ID
	c.assignNode(l, &req)
	if l.Role == wire.RoleProducer {
		s.ProducerLeaseID, s.ProducerClientID = l.ID, l.ClientID
	} else {
		s.ConsumerLeases++
	}

	pools := make([]wire.PayloadPool, len(s.Profile.PayloadPools))
	for i, p := range s.Profile.PayloadPools {
		pools[i] = wire.PayloadPool{PoolID: p.PoolID, PoolNslots: s.Profile.HeaderNslots, StrideBytes: p.StrideBytes}
	}
	c.actions = append(c.actions, Action{Kind: ActionSendAttachResponse, StreamID: s.ID, Epoch: s.Epoch, Response: wire.ShmAttachResponse{
		Version:                req.Version,
		CorrelationID:          req.CorrelationID,
		Code:                   wire.CodeOK,
		LeaseID:                l.ID,
		LeaseExpiryTimestampNs: l.ExpiresAtNs,
		StreamID:               s.ID,
		Epoch:                  s.Epoch,
		LayoutVersion:          shm.LayoutVersion,
		HeaderNslots:           s.Profile.HeaderNslots,
		HeaderSlotBytes:        shm.HeaderSlotSize,
		MaxDims:                shm.MaxDims,
		NodeID:                 l.NodeID,
		PayloadPools:           pools,
	}})
}

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

// Response is the ShmAttachResponse of a rejected decision.
func (d AttachDecision) Response() wire.ShmAttachResponse {
	return Rejection(d.Plan.Request.CorrelationID, d.Code, d.Message)
}

// AttachPlan describes a grant. When ProvisionEpoch is nonzero the agent
// creates that epoch's SHM files for StreamID with Profile first; if that
// fails it answers Rejection(..., wire.CodeInternalError, ...) and drops the
// plan, otherwise it calls CommitAttach.
type AttachPlan struct {
	Request  wire.ShmAttachRequest
	StreamID uint32
	Profile  config.Profile
	// CreateStream: StreamID is a new dynamic stream.
	CreateStream   bool
	ProvisionEpoch uint64
}

// DecideAttach applies the attach rules (Driver spec §4.2, §4.3, §4.6,
// §4.8, §5, §6, §11) to a request without changing any state. The first
// rule that fails decides the code.
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
	if leaseID, ok := c.leaseOf[req.ClientID]; ok {
		return reject(wire.CodeRejected, "clientId %d already holds lease %d", req.ClientID, leaseID)
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
	// maxDims is ignored on purpose: the response always carries shm.MaxDims (§4.3).
	if len(plan.Profile.PayloadPools) == 0 {
		return reject(wire.CodeInvalidParams, "stream %d has no payload pools (profile %q)", plan.StreamID, plan.Profile.Name)
	}
	var prevEpoch uint64
	if known {
		if req.Role == wire.RoleProducer && s.ProducerLeaseID != 0 {
			return reject(wire.CodeRejected, "stream %d already has a producer (lease %d)", plan.StreamID, s.ProducerLeaseID)
		}
		prevEpoch = s.Epoch
	}
	// A producer always starts a new epoch (§6, §7); the first lease of an
	// unprovisioned stream needs one to map at all.
	if req.Role == wire.RoleProducer || prevEpoch == 0 {
		plan.ProvisionEpoch = nextEpoch(prevEpoch, c.epochFloor[plan.StreamID], nowNs)
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
		return reject(wire.CodeRejected, "stream %d is not provisioned (publishMode REQUIRE_EXISTING)", req.StreamID)
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

// CommitAttach grants the lease a plan from the latest DecideAttach
// describes; the agent calls it after provisioning, with no other Core call
// in between. It returns the OK response without URIs (the agent fills
// HeaderRegionURI and each pool's RegionURI) and the actions to carry out
// after sending it: the announce of the stream.
func (c *Core) CommitAttach(plan AttachPlan, nowNs uint64) (wire.ShmAttachResponse, []Action) {
	c.actions = c.actions[:0]
	req := plan.Request
	s := c.streams[plan.StreamID]
	if plan.CreateStream {
		c.dynamicIDs.claim(plan.StreamID)
		s = &Stream{ID: plan.StreamID, Profile: plan.Profile, Dynamic: true}
		c.streams[plan.StreamID] = s
		delete(c.epochFloor, plan.StreamID)
	}
	if plan.ProvisionEpoch != 0 {
		s.Epoch, s.EpochStartNs = plan.ProvisionEpoch, nowNs
	}
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
	if l.Role == wire.RoleProducer {
		s.ProducerLeaseID, s.ProducerClientID = l.ID, l.ClientID
	} else {
		s.ConsumerLeases++
	}

	pools := make([]wire.PayloadPool, len(s.Profile.PayloadPools))
	for i, p := range s.Profile.PayloadPools {
		pools[i] = wire.PayloadPool{PoolID: p.PoolID, PoolNslots: s.Profile.HeaderNslots, StrideBytes: p.StrideBytes}
	}
	c.actions = append(c.actions, Action{Kind: ActionSendPoolAnnounce, StreamID: s.ID, Epoch: s.Epoch})
	return wire.ShmAttachResponse{
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
		PayloadPools:           pools,
	}, c.actions
}

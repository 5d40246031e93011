package driver

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// maxPending bounds the messages kept for a retry after back pressure; past
// it the oldest pending message is dropped and counted.
const maxPending = 4096

// fragmentLimit is the most control messages handled per duty cycle.
const fragmentLimit = 32

// Agent is the SHM driver as a duty-cycle agent: it polls the control
// stream, feeds the pure Core, and carries out the actions it returns
// (responses, notices, announces; provisioning is handed to its worker
// goroutine, whose results it polls). It owns its subscription,
// publications, counters and provisioner, and must run on one goroutine.
type Agent struct {
	cfg  *config.DriverConfig
	log  *slog.Logger
	core *Core
	prov *Provisioner
	// work provisions epochs off the duty cycle; refused are the epochs its
	// full queue refused, reported to the core next cycle.
	work    *worker
	refused []job
	// instance is this run's nonce: the high half of its lease ids.
	instance uint32

	sub         transport.Subscription
	controlPub  transport.Publication
	announcePub transport.Publication
	onControl   transport.Handler

	scratch []byte
	claim   transport.Claim
	pending []pendingMessage

	nowNs            uint64
	nextAnnounceNs   uint64
	nextLeaseCheckNs uint64
	announceIDs      []uint32
	// announce is rewritten and re-encoded for every announce: its encoder
	// allocates nothing.
	announce wire.ShmPoolAnnounce

	localShutdown atomic.Bool // set by Shutdown from any goroutine
	// fatal is a failure the driver cannot run on (mlock); it drains next cycle.
	fatal   error
	stopped bool
	done    chan struct{}

	metrics  Metrics
	counters []transport.Counter
	// Drops are logged at most once per dropLogEvery, as what changed since.
	dropLogEvery  time.Duration
	nextDropLogNs uint64
	dropsLogged   [len(dropLogNames)]uint64
}

// dropLogEvery is how often, at most, the driver logs its drop counters.
const dropLogEvery = 10 * time.Second

// dropLogNames are the drop and ignore counters the driver logs when they
// grow, in the order of drops.
var dropLogNames = [...]string{
	"foreign_schema", "malformed", "newer_version", "publish_failed", "shutdown_refused",
	"keepalive_unknown_lease", "keepalive_ended_lease", "keepalive_mismatch", "keepalive_late",
	"unknown_lease_revokes_paced",
}

func (m *Metrics) drops() [len(dropLogNames)]uint64 {
	return [...]uint64{
		m.DroppedForeign.Load(), m.DroppedMalformed.Load(), m.DroppedNewer.Load(), m.PublishDrops.Load(), m.ShutdownsRejected.Load(),
		m.KeepaliveUnknownLease.Load(), m.KeepaliveEndedLease.Load(), m.KeepaliveMismatch.Load(), m.KeepaliveLate.Load(),
		m.UnknownLeaseRevokesPaced.Load(),
	}
}

// logDrops logs, at WARN, what the drop and ignore counters gained since the
// last time they were logged. It allocates only when there is something to say.
func (a *Agent) logDrops() {
	now := a.metrics.drops()
	if now == a.dropsLogged {
		return
	}
	attrs := make([]any, 0, 2*len(now)+2)
	for i, v := range now {
		if d := v - a.dropsLogged[i]; d > 0 {
			attrs = append(attrs, dropLogNames[i], d)
		}
	}
	attrs = append(attrs, "since", a.dropLogEvery)
	a.dropsLogged = now
	a.log.Warn("control messages dropped or ignored", attrs...)
}

type pendingMessage struct {
	pub transport.Publication
	msg []byte
}

// NewAgent prepares shm.base_dir and takes its lock (one driver per
// directory), scans the epochs earlier runs left (so new epochs are above
// them, §10), removes those of dead drivers, runs startup epoch GC when
// configured, adds the control subscription, the control and announce
// publications (exclusive: the driver's own session) and its metrics'
// Aeron counters on client, waiting for them until ctx ends, and starts
// the provisioning worker. SHM is provisioned later, on demand.
func NewAgent(ctx context.Context, cfg *config.DriverConfig, client transport.Client, log *slog.Logger) (*Agent, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	instance := NewInstanceNonce()
	prov, err := NewProvisioner(cfg, instance)
	if err != nil {
		return nil, err
	}
	a := &Agent{
		cfg:          cfg,
		log:          log,
		core:         NewCore(cfg, instance),
		prov:         prov,
		instance:     instance,
		scratch:      make([]byte, 64*1024),
		done:         make(chan struct{}),
		dropLogEvery: dropLogEvery,
	}
	fail := func(err error) (*Agent, error) {
		a.closeTransport()
		prov.Close()
		return nil, err
	}
	found, err := prov.ScanEpochs()
	if err != nil {
		return fail(err)
	}
	for _, e := range found {
		a.core.RecordEpochOnDisk(e.StreamID, e.Epoch)
	}
	// What a dead driver left is reclaimed, now that the epochs it reached are recorded.
	reclaimed, bytes, err := prov.ReclaimDead(found)
	if err != nil {
		log.Warn("reclaiming a dead driver's epochs incomplete", "err", err)
	}
	if len(reclaimed) > 0 {
		log.Info("reclaimed the epochs a dead driver left", "epochs", len(reclaimed), "bytes", bytes)
	}
	if cfg.Shm.PermissionsMode&0o002 != 0 {
		log.Warn("shm.permissions_mode makes region files world-writable: any local user can corrupt frames (docs/trust.md)",
			"permissions_mode", fmt.Sprintf("%03o", uint32(cfg.Shm.PermissionsMode)))
	}
	if prev := prov.dirLock.Previous; prev.Pid != 0 {
		log.Warn("took over the lock of a driver that did not stop cleanly", "previous", prev.String())
	}
	if cfg.Policies.EpochGCEnabled && cfg.Policies.EpochGCOnStartup {
		if err := prov.CollectAtStartup(found, uint64(clock.Now())); err != nil {
			log.Warn("startup epoch GC incomplete", "err", err)
		}
	}
	if a.sub, err = transport.Await(ctx, client.AddSubscription(cfg.Driver.ControlChannel, int32(cfg.Driver.ControlStreamID))); err != nil {
		return fail(fmt.Errorf("driver: control subscription: %w", err))
	}
	// Exclusive publications: the driver's messages come from a session of
	// its own, which clients pin (docs/trust.md); a concurrent publication
	// would share one session with every client's requests.
	if a.controlPub, err = transport.Await(ctx, client.AddExclusivePublication(cfg.Driver.ControlChannel, int32(cfg.Driver.ControlStreamID))); err != nil {
		return fail(fmt.Errorf("driver: control publication: %w", err))
	}
	a.announcePub = a.controlPub
	if cfg.Driver.AnnounceChannel != cfg.Driver.ControlChannel || cfg.Driver.AnnounceStreamID != cfg.Driver.ControlStreamID {
		if a.announcePub, err = transport.Await(ctx, client.AddExclusivePublication(cfg.Driver.AnnounceChannel, int32(cfg.Driver.AnnounceStreamID))); err != nil {
			return fail(fmt.Errorf("driver: announce publication: %w", err))
		}
	}
	if a.counters, err = a.metrics.publishCounters(ctx, client, cfg.Driver.InstanceID, instance, cfg.Driver.ControlStreamID); err != nil {
		log.Warn("some metrics are not published as Aeron counters", "err", err)
	}
	a.onControl = a.onMessage
	a.work = startWorker(prov)
	log.Info("driver ready", "instance", cfg.Driver.InstanceID, "lease_id_prefix", fmt.Sprintf("%08x", instance), "base_dir", prov.BaseDir(),
		"control", cfg.Driver.ControlChannel, "control_stream", cfg.Driver.ControlStreamID,
		"epochs_on_disk", len(found))
	return a, nil
}

// NewInstanceNonce draws the random 32-bit nonce a driver run puts in the
// high half of its lease ids (NewCore); never 0, so no id of a run looks
// like a bare counter.
func NewInstanceNonce() uint32 {
	for {
		var b [4]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
		if n := binary.LittleEndian.Uint32(b[:]); n != 0 {
			return n
		}
	}
}

// RoleName implements agent.Agent.
func (a *Agent) RoleName() string { return "tp-driver:" + a.cfg.Driver.InstanceID }

// Metrics are the agent's counters.
func (a *Agent) Metrics() *Metrics { return &a.metrics }

// Shutdown asks the agent, from any goroutine, to drain and stop as a
// shutdown request would (used for SIGINT/SIGTERM).
func (a *Agent) Shutdown() { a.localShutdown.Store(true) }

// Done is closed once the driver has stopped: ShmDriverShutdown was sent
// (or the agent closed). The runner may then be closed.
func (a *Agent) Done() <-chan struct{} { return a.done }

// DoWork implements agent.Agent: retry deferred sends, poll the control
// stream, then run the timers.
func (a *Agent) DoWork(now clock.Mono) int {
	a.forgiveStall(uint64(now))
	a.nowNs = uint64(now)
	if a.stopped {
		return a.flushPending()
	}
	work := a.flushPending()
	if a.core.State() == Running {
		if a.fatal != nil {
			a.log.Error("draining after a fatal error", "err", a.fatal, "timeout", a.cfg.Policies.ShutdownTimeout())
			_, actions := a.core.BeginShutdown(wire.ShutdownError, a.fatal.Error(), a.nowNs)
			work += a.runActions(actions)
		} else if a.localShutdown.Load() {
			a.log.Info("draining", "timeout", a.cfg.Policies.ShutdownTimeout())
			_, actions := a.core.BeginShutdown(wire.ShutdownNormal, "driver stopping", a.nowNs)
			work += a.runActions(actions) + 1
		}
	}
	work += a.pollWorker()
	work += a.sub.Poll(a.onControl, fragmentLimit)
	work += a.runTimers()
	return work
}

// forgiveStall notices that the duty cycle did not run for longer than a lease check's
// period (the process was descheduled, stopped or swapped out) and moves the leases'
// deadlines on by that time: the clients kept sending while the driver was away.
func (a *Agent) forgiveStall(nowNs uint64) {
	last := a.nowNs
	if last == 0 || nowNs <= last {
		return
	}
	if gap, period := nowNs-last, uint64(a.cfg.Policies.KeepaliveInterval())/4; gap > period {
		a.core.ForgiveStall(gap)
		a.metrics.Stalls.Add(1)
		// Worth a warning when the stall came near to expiring leases.
		level := slog.LevelDebug
		if gap >= uint64(a.cfg.Policies.LeaseExpiry())/2 {
			level = slog.LevelWarn
		}
		a.log.Log(context.Background(), level, "the driver did not run for a while: lease deadlines moved on by as much", "stalled", time.Duration(gap))
	}
}

// pollWorker takes the provisioning worker's finished jobs: an epoch the
// core awaits is installed and its waiting attaches answered; any other is
// discarded and its files removed.
func (a *Agent) pollWorker() int {
	n := len(a.refused)
	for _, j := range a.refused {
		a.runActions(a.core.Provisioned(j.streamID, j.epoch, "the provisioning queue is full", a.nowNs))
	}
	a.refused = a.refused[:0]
	for ; n < fragmentLimit; n++ {
		r, ok := a.work.poll()
		if !ok {
			break
		}
		j := r.job
		if j.remove {
			if r.err != nil {
				a.log.Warn("removing an unused epoch failed", "stream", j.streamID, "epoch", j.epoch, "err", r.err)
			}
			continue
		}
		if !a.core.AwaitsEpoch(j.streamID, j.epoch) {
			if r.prepared != nil {
				a.prov.Discard(r.prepared)
				a.work.submit(job{streamID: j.streamID, epoch: j.epoch, remove: true})
			}
			continue
		}
		failure := ""
		if r.prepared == nil {
			failure = r.err.Error()
			a.metrics.ProvisionFailures.Add(1)
			a.metrics.ProvisioningNs.Add(int64(r.took))
			a.log.Error("provisioning failed", "stream", j.streamID, "epoch", j.epoch, "took", r.took, "err", r.err)
			if errors.Is(r.err, ErrMlock) && a.fatal == nil {
				// policies.mlock_shm promises locked memory; without it the driver
				// stops. The drain starts next cycle: the core's actions are in use.
				a.fatal = r.err
			}
		} else {
			if r.err != nil {
				a.log.Warn("epoch GC incomplete", "stream", j.streamID, "err", r.err)
			}
			a.metrics.EpochsProvisioned.Add(1)
			a.metrics.ProvisioningNs.Add(int64(r.took))
			a.prov.Install(r.prepared)
			a.log.Info("epoch provisioned", "stream", j.streamID, "epoch", j.epoch, "took", r.took)
		}
		a.runActions(a.core.Provisioned(j.streamID, j.epoch, failure, a.nowNs))
	}
	return n
}

func (a *Agent) runTimers() int {
	work := 0
	if a.nowNs >= a.nextLeaseCheckNs {
		// Four checks per keepalive interval: an expiry is acted on within a
		// quarter interval of its deadline (a stall of the driver itself is
		// forgiven first: forgiveStall).
		a.nextLeaseCheckNs = a.nowNs + uint64(a.cfg.Policies.KeepaliveInterval())/4
		work += a.runActions(a.core.ExpireLeases(a.nowNs))
	}
	if a.nowNs >= a.nextAnnounceNs {
		a.nextAnnounceNs = a.nowNs + uint64(a.cfg.Policies.AnnouncePeriod())
		a.announceIDs = a.core.AppendProvisionedStreams(a.announceIDs[:0])
		for _, id := range a.announceIDs {
			s, ok := a.core.Stream(id)
			if !ok {
				continue // forgotten after a loss earlier in this loop
			}
			err := a.prov.Verify(id)
			if err == nil && s.ProducerLeaseID == 0 {
				err = a.prov.RefreshActivity(id, a.nowNs)
			}
			if err != nil {
				a.regionsLost(id, s.Epoch, err)
				continue
			}
			a.sendAnnounce(id, false)
		}
		work += len(a.announceIDs)
	}
	if a.nowNs >= a.nextDropLogNs {
		a.nextDropLogNs = a.nowNs + uint64(a.dropLogEvery)
		a.logDrops()
	}
	if actions := a.core.Tick(a.nowNs); len(actions) > 0 {
		work += a.runActions(actions)
	}
	if a.core.State() == Stopped && !a.stopped {
		a.stopped = true
		close(a.done)
		a.log.Info("driver stopped")
	}
	return work
}

// OnClose implements agent.Agent: a driver that has not stopped stops now
// (revoking every lease and sending ShmDriverShutdown, best effort), then
// the mappings are released and, if configured, the files removed.
func (a *Agent) OnClose() {
	if !a.stopped {
		a.nowNs = uint64(clock.Now())
		a.runActions(a.core.StopNow(a.nowNs))
		a.flushPending()
		a.stopped = true
		close(a.done)
	}
	a.work.stop()
	if err := a.prov.Close(); err != nil {
		a.log.Warn("SHM cleanup incomplete", "err", err)
	}
	a.closeTransport()
}

func (a *Agent) closeTransport() {
	for _, c := range a.counters {
		c.Close()
	}
	if a.announcePub != nil && a.announcePub != a.controlPub {
		a.announcePub.Close()
	}
	if a.controlPub != nil {
		a.controlPub.Close()
	}
	if a.sub != nil {
		a.sub.Close()
	}
}

// onMessage gates one control-stream message by schema, then decodes and
// dispatches it (Driver spec §4.4a, §4.5; Wire spec schema gating: template
// ids repeat across schemas).
func (a *Agent) onMessage(msg []byte, _ *transport.Header) {
	hdr, err := wire.PeekHeader(msg)
	if err != nil || (hdr.SchemaID != wire.DriverSchemaID && hdr.SchemaID != wire.ControlSchemaID) {
		a.metrics.DroppedForeign.Add(1)
		return
	}
	if hdr.SchemaID == wire.ControlSchemaID {
		if hdr.ID() == wire.ConsumerHelloID {
			a.onConsumerHello(msg, hdr)
		} else {
			// Our own announces and ConsumerConfigs come back on a shared stream, too.
			a.metrics.NotForDriver.Add(1)
		}
		return
	}
	if hdr.Version > wire.DriverSchemaVersion {
		a.onNewerVersion(msg, hdr)
		return
	}
	switch hdr.ID() {
	case wire.ShmAttachRequestID:
		var req wire.ShmAttachRequest
		if a.usable(req.Decode(msg)) {
			a.onAttach(req)
		}
	case wire.ShmLeaseKeepaliveID:
		var k wire.ShmLeaseKeepalive
		if !a.usable(k.Decode(msg)) {
			return
		}
		result, actions := a.core.Keepalive(k, a.nowNs)
		a.keepaliveCount(result).Add(1)
		a.runActions(actions)
	case wire.ShmDetachRequestID:
		var req wire.ShmDetachRequest
		if !a.usable(req.Decode(msg)) {
			return
		}
		resp, actions := a.core.Detach(req, a.nowNs)
		a.sendMessage(a.controlPub, &resp)
		a.metrics.DetachResponses.Add(1)
		a.runActions(actions)
	case wire.ShmDriverShutdownRequestID:
		var req wire.ShmDriverShutdownRequest
		if !a.usable(req.Decode(msg)) {
			return
		}
		outcome, actions := a.core.RequestShutdown(req, a.nowNs)
		if outcome != ShutdownAccepted {
			a.metrics.ShutdownsRejected.Add(1)
			a.log.Warn("shutdown request ignored", "outcome", outcome, "correlation_id", req.CorrelationID)
			return
		}
		a.log.Info("shutdown requested", "reason", req.Reason, "message", req.ErrorMessage, "timeout", a.cfg.Policies.ShutdownTimeout())
		a.runActions(actions)
	default:
		// Responses and notices: ours, echoed by the shared stream.
		if _, err := wire.ValidateSchema(msg, wire.DriverSchemaID); a.usable(err) {
			a.metrics.NotForDriver.Add(1)
		}
	}
}

// usable reports whether a message that decoded with err can be acted on.
// An undefined enum value is answered by the protocol rules, not dropped;
// any other decode error drops the message.
func (a *Agent) usable(err error) bool {
	if err != nil && !errors.Is(err, wire.ErrUnknownEnum) {
		a.metrics.DroppedMalformed.Add(1)
		return false
	}
	return true
}

// onNewerVersion applies §4.4a to a message of a driver schema version
// this driver does not speak: an attach request is answered UNSUPPORTED
// (its correlationId is at the start of the block in every version); other
// messages are dropped.
func (a *Agent) onNewerVersion(msg []byte, hdr wire.Header) {
	correlationID, ok := wire.CorrelationIDOf(msg, hdr)
	if hdr.ID() != wire.ShmAttachRequestID || !ok {
		a.metrics.DroppedNewer.Add(1)
		return
	}
	resp := Rejection(correlationID, wire.CodeUnsupported,
		fmt.Sprintf("driver schema version %d is not supported (highest %d)", hdr.Version, wire.DriverSchemaVersion))
	a.sendAttachResponse(&resp)
}

func (a *Agent) onAttach(req wire.ShmAttachRequest) {
	// Before granting on files that exist, check they still do: a stream
	// whose files were deleted or replaced moves to a new epoch instead.
	if s, ok := a.core.Stream(req.StreamID); ok && s.Ready {
		if err := a.prov.Verify(s.ID); err != nil {
			a.regionsLost(s.ID, s.Epoch, err)
		}
	}
	a.runActions(a.core.Attach(req, a.nowNs))
}

// regionsLost handles an epoch whose files are no longer the driver's: its
// mappings are released and the core moves the stream on.
func (a *Agent) regionsLost(streamID uint32, epoch uint64, err error) {
	a.metrics.RegionsLost.Add(1)
	a.log.Warn("SHM regions lost: the stream moves to a new epoch", "stream", streamID, "epoch", epoch, "err", err)
	a.prov.Retire(streamID)
	a.runActions(a.core.RegionsLost(streamID, epoch, err.Error(), a.nowNs))
}

func (a *Agent) onConsumerHello(msg []byte, hdr wire.Header) {
	var h wire.ConsumerHello
	if !a.usable(h.Decode(msg)) {
		return
	}
	if hdr.Version > wire.ControlSchemaVersion {
		a.metrics.DroppedNewer.Add(1)
		return
	}
	cc, ok := a.core.ConsumerHello(h)
	if !ok {
		return
	}
	a.sendMessage(a.controlPub, &cc)
	a.metrics.ConsumerConfigs.Add(1)
}

// runActions carries out the core's actions in order and returns how many.
func (a *Agent) runActions(actions []Action) int {
	for i := range actions {
		act := &actions[i]
		switch act.Kind {
		case ActionSendLeaseRevoked:
			r := &act.Revoked
			a.sendMessage(a.controlPub, r)
			a.leaseEndCount(r.Reason).Add(1)
			a.log.Info("lease ended", "lease", r.LeaseID, "stream", r.StreamID, "client", r.ClientID,
				"role", r.Role.String(), "reason", r.Reason.String(), "message", r.ErrorMessage)
		case ActionSendUnknownLeaseRevoked:
			r := &act.Revoked
			a.sendMessage(a.controlPub, r)
			a.metrics.UnknownLeaseRevokes.Add(1)
			a.log.Info("revoked a lease this driver run does not know", "lease", r.LeaseID, "stream", r.StreamID,
				"client", r.ClientID, "role", r.Role.String())
		case ActionProvisionEpoch:
			a.provision(act.StreamID, act.Epoch)
		case ActionSendAttachResponse:
			a.answerAttach(act)
		case ActionSendPoolAnnounce:
			a.sendAnnounce(act.StreamID, true)
		case ActionRetireStream:
			a.prov.Retire(act.StreamID)
		case ActionSendDriverShutdown:
			s := &act.Shutdown
			a.sendMessage(a.controlPub, s)
			a.log.Info("ShmDriverShutdown sent", "reason", s.Reason.String(), "message", s.ErrorMessage)
		}
	}
	a.metrics.LeasesActive.Set(int64(a.core.LeaseCount()))
	a.metrics.UnknownLeaseRevokesPaced.Set(int64(a.core.PacedNotices()))
	return len(actions)
}

// keepaliveCount is the metric of a keepalive's result.
func (a *Agent) keepaliveCount(r KeepaliveResult) *Count {
	switch r {
	case KeepaliveExtended:
		return &a.metrics.Keepalives
	case KeepaliveUnknownLease:
		return &a.metrics.KeepaliveUnknownLease
	case KeepaliveEndedLease:
		return &a.metrics.KeepaliveEndedLease
	case KeepaliveMismatch:
		return &a.metrics.KeepaliveMismatch
	}
	return &a.metrics.KeepaliveLate
}

// leaseEndCount is the metric of a lease end's reason.
func (a *Agent) leaseEndCount(r wire.LeaseRevokeReason) *Count {
	switch r {
	case wire.RevokeDetached:
		return &a.metrics.LeasesDetached
	case wire.RevokeExpired:
		return &a.metrics.LeasesExpired
	}
	return &a.metrics.LeasesRevoked
}

// attachCount is the metric of an attach answer's code.
func (a *Agent) attachCount(code wire.ResponseCode) *Count {
	switch code {
	case wire.CodeOK:
		return &a.metrics.AttachOK
	case wire.CodeInvalidParams:
		return &a.metrics.AttachInvalidParams
	case wire.CodeUnsupported:
		return &a.metrics.AttachUnsupported
	case wire.CodeInternalError:
		return &a.metrics.AttachInternalError
	}
	return &a.metrics.AttachRejected
}

// provision hands an epoch to the worker; a full queue fails it at once.
func (a *Agent) provision(streamID uint32, epoch uint64) {
	s, _ := a.core.Stream(streamID)
	if a.work.submit(job{streamID: streamID, epoch: epoch, profile: s.Profile, nowNs: a.nowNs}) {
		return
	}
	a.metrics.ProvisionFailures.Add(1)
	a.log.Error("provisioning refused: the worker's queue is full", "stream", streamID, "epoch", epoch, "queue", workerQueue)
	// The core's actions are in use: the failure goes to the core next cycle.
	a.refused = append(a.refused, job{streamID: streamID, epoch: epoch})
}

// answerAttach sends an attach response; an OK one gets the URIs of its
// epoch's files.
func (a *Agent) answerAttach(act *Action) {
	resp := &act.Response
	if resp.Code == wire.CodeOK {
		r, ok := a.prov.Current(act.StreamID)
		if !ok || r.Epoch != act.Epoch {
			// Cannot happen: the core grants only installed epochs. Refuse rather than send no URI.
			version := resp.Version
			*resp = Rejection(resp.CorrelationID, wire.CodeInternalError, fmt.Sprintf("stream %d epoch %d has no files", act.StreamID, act.Epoch))
			resp.Version = version
		} else {
			resp.HeaderRegionURI = r.HeaderURI
			for i := range resp.PayloadPools {
				resp.PayloadPools[i].RegionURI = r.Pools[i].RegionURI
			}
		}
	}
	a.sendAttachResponse(resp)
	if resp.Code == wire.CodeOK {
		l, _ := a.core.Lease(resp.LeaseID)
		a.log.Info("lease granted", "lease", resp.LeaseID, "stream", resp.StreamID, "client", l.ClientID,
			"role", l.Role.String(), "epoch", resp.Epoch, "correlation_id", resp.CorrelationID)
	}
}

// sendAnnounce publishes ShmPoolAnnounce for a stream whose files match its
// epoch; a stream whose provisioning failed is not announced. A prompt
// announce (after an attach or epoch change) is retried after back
// pressure; a periodic one is simply sent again next period.
func (a *Agent) sendAnnounce(streamID uint32, prompt bool) {
	s, ok := a.core.Stream(streamID)
	if !ok {
		return
	}
	r, ok := a.prov.Current(streamID)
	if !ok || r.Epoch != s.Epoch {
		return
	}
	a.announce = wire.ShmPoolAnnounce{
		StreamID:            streamID,
		ProducerID:          s.ProducerClientID,
		Epoch:               s.Epoch,
		AnnounceTimestampNs: a.nowNs,
		AnnounceClockDomain: wire.ClockMonotonic,
		LayoutVersion:       shm.LayoutVersion,
		HeaderNslots:        s.Profile.HeaderNslots,
		HeaderSlotBytes:     shm.HeaderSlotSize,
		PayloadPools:        r.Pools,
		HeaderRegionURI:     r.HeaderURI,
	}
	n, ok := a.encode(&a.announce)
	if !ok {
		return
	}
	if prompt {
		a.send(a.announcePub, n)
	} else if !a.offerNow(a.announcePub, a.scratch[:n]) {
		a.metrics.PublishDrops.Add(1)
		return
	}
	a.metrics.Announces.Add(1)
}

func (a *Agent) sendAttachResponse(r *wire.ShmAttachResponse) {
	a.sendMessage(a.controlPub, r)
	a.attachCount(r.Code).Add(1)
	if r.Code != wire.CodeOK {
		a.log.Info("attach refused", "correlation_id", r.CorrelationID, "code", r.Code.String(), "reason", r.ErrorMessage)
	}
}

// message is a typed message of package wire the agent sends.
type message interface {
	EncodedLength() int
	Encode(buf []byte) (int, error)
}

// encode writes m into the scratch buffer. A message that cannot be
// encoded (a string beyond its encoding's maximum) is logged and counted
// as a drop.
func (a *Agent) encode(m message) (int, bool) {
	n, err := m.Encode(a.buffer(m.EncodedLength()))
	if err != nil {
		a.metrics.PublishDrops.Add(1)
		a.log.Error("message not sent", "err", err)
		return 0, false
	}
	return n, true
}

// sendMessage encodes m and sends it (send).
func (a *Agent) sendMessage(pub transport.Publication, m message) {
	if n, ok := a.encode(m); ok {
		a.send(pub, n)
	}
}

// buffer returns the encode scratch, grown when a message needs more.
func (a *Agent) buffer(length int) []byte {
	if length > len(a.scratch) {
		a.scratch = make([]byte, length)
	}
	return a.scratch
}

// send publishes scratch[:n] now, or keeps a copy to retry on the next duty
// cycles; anything already waiting goes first, so notices keep their order
// (revoke before announce, §4.9).
func (a *Agent) send(pub transport.Publication, n int) {
	msg := a.scratch[:n]
	if len(a.pending) == 0 && a.offerNow(pub, msg) {
		return
	}
	if len(a.pending) >= maxPending {
		a.pending = a.pending[1:]
		a.metrics.PublishDrops.Add(1)
	}
	a.pending = append(a.pending, pendingMessage{pub: pub, msg: append([]byte(nil), msg...)})
	a.metrics.PublishRetries.Add(1)
}

// offerNow publishes msg by try-claim when it fits one frame, else by
// offer. It reports false when the message should be retried later.
func (a *Agent) offerNow(pub transport.Publication, msg []byte) bool {
	var result int64
	if len(msg) <= pub.MaxPayloadLength() {
		result = pub.TryClaim(len(msg), &a.claim)
		if result > 0 {
			copy(a.claim.Buffer(), msg)
			a.claim.Commit()
			return true
		}
	} else {
		result = pub.Offer(msg)
	}
	switch result {
	case transport.BackPressured, transport.AdminAction:
		return false
	case transport.NotConnected:
		// Nobody subscribes: a retry would only deliver it to later subscribers, which must not act on it.
		a.metrics.PublishDrops.Add(1)
		return true
	}
	if result < 0 {
		a.metrics.PublishDrops.Add(1)
		return true
	}
	return true
}

// flushPending retries deferred messages in order until one is refused.
func (a *Agent) flushPending() int {
	sent := 0
	for len(a.pending) > 0 {
		p := a.pending[0]
		if !a.offerNow(p.pub, p.msg) {
			break
		}
		a.pending[0] = pendingMessage{}
		a.pending = a.pending[1:]
		sent++
	}
	if len(a.pending) == 0 {
		a.pending = nil
	}
	return sent
}

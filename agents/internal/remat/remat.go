// Package remat is the destination side the bridge receiver and the rate limiter share:
// a stream they re-materialise frames into, on the local SHM driver. A Dest attaches as
// the stream's exclusive producer (Driver spec §4; Bridge spec §4; RateLimiter spec §3),
// maps each grant's regions, and publishes on the shared descriptor stream the frames
// its role writes with the source's sequence numbers (producer.Producer.ClaimAt). A
// stream id 0 is taken from a range of candidates, skipping those another producer
// holds (Bridge spec §4). Renew gives the lease back and attaches again, for the new
// local epoch a source epoch change calls for (Bridge spec §8, RateLimiter spec §7).
//
// Everything runs on the process's duty cycle, the frame path included: a Dest is not
// safe for concurrent use.
package remat

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/driverclient"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// ErrOccupied is what a Dest fails with when another producer holds its stream and it has
// no other stream to take.
var ErrOccupied = errors.New("remat: the destination stream already has a producer")

// Config configures a Dest.
type Config struct {
	// StreamID is the destination stream; 0 takes the first of Candidates the driver
	// grants.
	StreamID   uint32
	Candidates []uint32
	// ClientID hands out the driver client ids of the leases, a fresh one per attach.
	ClientID func() uint32
	// Control is the SHM driver's control stream.
	Control controlplane.Endpoint
	// Descriptors is where the destination's FrameDescriptors go.
	Descriptors controlplane.Endpoint
	// Qos, when it has a channel, receives the destination's QosProducer.
	Qos controlplane.Endpoint
	// AllowedBaseDirs are the directories the granted regions may lie in.
	AllowedBaseDirs []string
	// KeepaliveInterval paces the lease's keepalives; default 1 s.
	KeepaliveInterval time.Duration
	// OnControl receives the control-schema messages of the driver's control stream
	// (ConsumerHello, ...), on the duty cycle.
	OnControl func(msg []byte, h wire.Header)
	// OnEpochEnd is called before the frame path's epoch goes (a lost lease, Renew,
	// Close): a claim still open must be given up then.
	OnEpochEnd func()
	// WireVersion is the version the destination speaks: its attach requests, its
	// regions' stride rule and its FrameDescriptors (in V1_2 they carry the frames' trace
	// ids, Claim.SetTraceID); default V1_1.
	WireVersion wire.Version
}

// State is where a Dest stands.
type State uint8

const (
	Idle      State = iota // not asked to attach yet
	Attaching              // a lease is being asked for
	Ready                  // an epoch is mapped: Producer is usable
	Renewing               // the lease is being given back before attaching again
	Failed                 // given up: Err says why
	Closed                 // detached on request
)

func (s State) String() string {
	return [...]string{"idle", "attaching", "ready", "renewing", "failed", "closed"}[s]
}

// Dest is one destination stream.
type Dest struct {
	cfg    Config
	policy *shm.PathPolicy
	hub    *controlplane.Hub
	client transport.Client

	state     State
	streamID  uint32
	candidate int // index into Candidates of the stream tried
	lease     *driverclient.Lease
	clientID  uint32 // the lease's
	occupied  bool   // the lease's attach was refused: another producer holds the stream
	err       error  // why it failed, or the last problem met
	everReady bool   // an epoch was mapped once for this stream: a refusal is no longer final

	descPending transport.Pending[transport.Publication]
	desc        transport.Publication
	control     *controlplane.Outbound
	qos         *controlplane.Outbound
	ctl         *producer.Controller
	cur         *producer.Producer
	pendingMap  *producer.Regions // mapped, waiting for the descriptor publication
	epochs      uint64            // epochs mapped
	closing     bool
}

// New makes a Dest; it does nothing before Start and Attach.
func New(cfg Config) (*Dest, error) {
	if cfg.StreamID == 0 && len(cfg.Candidates) == 0 {
		return nil, errors.New("remat: a destination needs a stream id or candidates to take one from")
	}
	if cfg.ClientID == nil {
		return nil, errors.New("remat: Config.ClientID is required")
	}
	if !cfg.WireVersion.Valid() {
		return nil, fmt.Errorf("remat: Config.WireVersion %v is not a wire spec version a destination speaks (1.1, 1.2)", cfg.WireVersion)
	}
	policy, err := shm.NewPathPolicy(cfg.AllowedBaseDirs...)
	if err != nil {
		return nil, fmt.Errorf("remat: AllowedBaseDirs: %w", err)
	}
	d := &Dest{cfg: cfg, policy: policy, streamID: cfg.StreamID}
	if d.streamID == 0 {
		d.streamID = cfg.Candidates[0]
	}
	return d, nil
}

// Start takes the process's transport and control plane and adds the publications. Duty
// cycle (a role's OnStart).
func (d *Dest) Start(p *process.Process) {
	d.hub, d.client = p.Hub(), p.Transport()
	d.descPending = d.client.AddExclusivePublication(d.cfg.Descriptors.Channel, d.cfg.Descriptors.StreamID)
	d.control = d.hub.Publication(d.cfg.Control)
	if d.cfg.Qos.Channel != "" {
		d.qos = d.hub.Publication(d.cfg.Qos)
	}
}

// StreamID is the destination stream: the configured one, or the candidate being tried
// or granted.
func (d *Dest) StreamID() uint32 { return d.streamID }

// State is where the Dest stands.
func (d *Dest) State() State { return d.state }

// Err is why the Dest failed, or the last problem it met.
func (d *Dest) Err() error { return d.err }

// Epochs counts the local epochs mapped so far.
func (d *Dest) Epochs() uint64 { return d.epochs }

// Producer is the frame path of the mapped epoch, nil unless Ready.
func (d *Dest) Producer() *producer.Producer {
	if d.state != Ready {
		return nil
	}
	return d.cur
}

// Attach begins attaching, unless the Dest is attaching or attached already.
func (d *Dest) Attach() {
	if d.state == Idle {
		d.newLease()
	}
}

// Renew asks for a new local epoch: the lease is given back and a new one asked for
// (the driver starts a producer's every attach with a new epoch). From Idle it attaches.
// While attaching there is nothing to renew: no epoch is mapped, and the one the attach
// brings is new. Giving the lease up then would orphan a grant in flight, which holds
// the stream at the driver until it expires and has the next attach refused as another
// producer's (a source epoch that changed just after the first announce did that).
func (d *Dest) Renew(now clock.Mono) {
	switch d.state {
	case Idle:
		d.newLease()
	case Ready:
		d.endEpoch()
		d.state = Renewing
		d.lease.Detach(now)
	}
}

// Detach gives the lease back for good; Done reports when it is.
func (d *Dest) Detach(now clock.Mono) {
	d.closing = true
	d.endEpoch()
	if d.lease != nil {
		d.lease.Detach(now)
	}
}

// Done reports whether the lease is given back after Detach.
func (d *Dest) Done() bool { return d.lease == nil || d.lease.Done() }

func (d *Dest) newLease() {
	d.occupied = false
	d.clientID = d.cfg.ClientID()
	lease, err := driverclient.NewLease(d.hub, driverclient.Config{
		Control: d.cfg.Control,
		Params: driverclient.Params{
			ClientID: d.clientID, Role: wire.RoleProducer, StreamID: d.streamID,
			PublishMode: wire.PublishModeExistingOrCreate, ExpectedLayoutVersion: shm.LayoutVersion,
			KeepaliveInterval: d.cfg.KeepaliveInterval, WireVersion: d.cfg.WireVersion,
		},
		OnEvent:   d.onEvent,
		OnControl: d.cfg.OnControl,
	})
	if err != nil {
		d.fail(fmt.Errorf("remat: stream %d: %w", d.streamID, err))
		return
	}
	d.lease, d.state = lease, Attaching
}

// onEvent notes a refusal that names another producer of the stream (the driver's
// words for it: the protocol has no code of its own for it).
func (d *Dest) onEvent(e driverclient.Effect) {
	var refused *driverclient.RefusedError
	if e.Kind == driverclient.Refused && errors.As(e.Err, &refused) && strings.Contains(refused.Message, "already has a producer") {
		d.occupied = true
		d.err = e.Err
	}
}

func (d *Dest) fail(err error) {
	d.endEpoch()
	if d.lease != nil {
		d.lease.OnClose()
		d.lease = nil
	}
	d.state, d.err = Failed, err
}

// DoWork runs the lease and maps what it grants. Duty cycle.
func (d *Dest) DoWork(now clock.Mono) int {
	work := d.publications()
	if d.lease == nil {
		return work
	}
	work += d.lease.DoWork(now)
	switch {
	case d.state == Renewing || d.closing:
		if d.lease.Done() {
			d.lease.OnClose()
			d.lease = nil
			if d.closing {
				d.state = Closed
				return work + 1
			}
			d.newLease()
		}
		return work
	case d.occupied:
		return work + d.onOccupied()
	}
	lost, granted, grant := d.lease.Take()
	if lost {
		d.endEpoch()
		d.state = Attaching // the lease client attaches again by itself
		work++
	}
	if granted {
		d.mapGrant(&grant)
		work++
	}
	if d.pendingMap != nil && d.desc != nil {
		d.beginEpoch()
		work++
	}
	if d.ctl != nil {
		work += d.ctl.DoWork(now.Nanos())
	}
	if d.cur != nil {
		work += d.cur.TickProgress(now.Nanos())
	}
	return work
}

// onOccupied reacts to a refusal naming another producer: the next candidate, or failure
// (Bridge spec §4: fail, or remap to a different destination). Once an epoch was mapped,
// the refusal is the driver still holding this Dest's own last lease: retrying waits it
// out.
func (d *Dest) onOccupied() int {
	d.occupied = false
	if d.everReady {
		return 0
	}
	d.lease.OnClose()
	d.lease = nil
	if d.cfg.StreamID == 0 && d.candidate+1 < len(d.cfg.Candidates) {
		d.candidate++
		d.streamID = d.cfg.Candidates[d.candidate]
		d.state = Idle
		d.newLease()
		return 1
	}
	what := fmt.Sprintf("stream %d", d.streamID)
	if d.cfg.StreamID == 0 {
		what = fmt.Sprintf("every candidate stream (%d of them, last %d)", len(d.cfg.Candidates), d.streamID)
	}
	d.state, d.err = Failed, fmt.Errorf("%w: %s: %w", ErrOccupied, what, d.err)
	return 1
}

// publications completes the descriptor publication's add.
func (d *Dest) publications() int {
	if d.desc != nil || d.descPending == nil {
		return 0
	}
	pub, err := d.descPending.Poll()
	switch {
	case errors.Is(err, transport.ErrPending):
		return 0
	case err != nil:
		d.descPending = nil
		d.fail(fmt.Errorf("remat: descriptor publication %v: %w", d.cfg.Descriptors, err))
		return 1
	}
	d.descPending, d.desc = nil, pub
	return 1
}

// mapGrant maps a grant's regions read-write; they become the frame path's epoch once the
// descriptor publication is in place.
func (d *Dest) mapGrant(g *wire.ShmAttachResponse) {
	d.dropPending()
	layout := producer.Layout{StreamID: g.StreamID, Epoch: g.Epoch, Nslots: g.HeaderNslots, WireVersion: d.cfg.WireVersion}
	uris := make([]string, len(g.PayloadPools))
	for i, pool := range g.PayloadPools {
		layout.Pools = append(layout.Pools, producer.PoolSpec{PoolID: pool.PoolID, StrideBytes: pool.StrideBytes})
		uris[i] = pool.RegionURI
	}
	regions, err := producer.OpenRegions(layout, d.policy, g.HeaderRegionURI, uris)
	if err != nil {
		d.err = fmt.Errorf("remat: mapping the regions of stream %d epoch %d: %w", g.StreamID, g.Epoch, err)
		return
	}
	if d.ctl == nil {
		ctl, err := producer.NewController(d.streamID, producer.Config{ProducerID: d.clientID, Clock: clock.Now, AssignedByDriver: true, WireVersion: d.cfg.WireVersion})
		if err != nil {
			regions.Close()
			d.fail(fmt.Errorf("remat: producer of stream %d: %w", d.streamID, err))
			return
		}
		d.ctl = ctl
	}
	d.pendingMap = regions
}

// beginEpoch makes the mapped grant the frame path's epoch.
func (d *Dest) beginEpoch() {
	regions := d.pendingMap
	d.pendingMap = nil
	if pub := d.control.Pub(); pub != nil {
		d.ctl.SetControl(pub)
	}
	if d.qos != nil && d.qos.Pub() != nil {
		d.ctl.SetQos(d.qos.Pub())
	}
	p, err := d.ctl.NewEpoch(regions, d.desc)
	if err != nil {
		regions.Close()
		d.err = fmt.Errorf("remat: epoch of stream %d: %w", d.streamID, err)
		return
	}
	p.Controller().RefreshActivity(clock.Now().Nanos())
	d.cur, d.state, d.everReady = p, Ready, true
	d.epochs++
}

// endEpoch withdraws the frame path's epoch and unmaps it.
func (d *Dest) endEpoch() {
	d.dropPending()
	if d.cur == nil {
		return
	}
	if d.cfg.OnEpochEnd != nil {
		d.cfg.OnEpochEnd()
	}
	d.ctl.EndEpoch(d.cur)
	d.cur.Regions().Close()
	d.cur = nil
	if d.state == Ready {
		d.state = Attaching
	}
}

func (d *Dest) dropPending() {
	if d.pendingMap != nil {
		d.pendingMap.Close()
		d.pendingMap = nil
	}
}

// Close releases everything; Detach first to give the lease back promptly. Duty cycle
// (a role's OnClose).
func (d *Dest) Close() {
	d.endEpoch()
	if d.lease != nil {
		d.lease.OnClose()
		d.lease = nil
	}
	if d.ctl != nil {
		d.ctl.Close()
	}
	if d.descPending != nil {
		d.descPending.Cancel()
	}
	if d.desc != nil {
		_ = d.desc.Close() // best effort: nothing publishes on it any more
	}
	if d.control != nil {
		d.control.Release()
	}
	if d.qos != nil {
		d.qos.Release()
	}
	if d.state != Failed {
		d.state = Closed
	}
}

// ClientIDs hands out SHM driver client ids from first, or, with first 0, from a counter
// that starts from the process id, in a range apart from package tp's (which counts up
// from pid<<10 + 1), so a process may host both.
func ClientIDs(first uint32) func() uint32 {
	var next atomic.Uint32
	if first == 0 {
		first = uint32(os.Getpid())<<10 | 1<<9
	}
	next.Store(first)
	return func() uint32 {
		for {
			if id := next.Add(1) - 1; id != 0 {
				return id
			}
		}
	}
}

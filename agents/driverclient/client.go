package driverclient

import (
	"errors"
	"fmt"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// Config configures a Client.
type Config struct {
	// Control is the driver's control channel and stream.
	Control controlplane.Endpoint
	Params
	// OnEvent receives the Granted, Lost, Refused and Detached effects, on the duty
	// cycle. It must not call back into the Client.
	OnEvent func(Effect)
	// OnControl receives the messages of the control schema that share the driver's
	// control stream (ConsumerHello, ConsumerConfig, ...), on the duty cycle; nil ignores
	// them. A producer follows the driver's ConsumerConfig with it (Driver spec §11). It
	// must not call back into the Client, nor keep msg.
	OnControl func(msg []byte, h wire.Header)
}

// Counters are what a Client ignored, and why.
type Counters struct {
	// ForeignShutdowns counts ShmDriverShutdown notices from a session other than the
	// one that granted the lease: not the driver's (docs/trust.md).
	ForeignShutdowns uint64
	// KeepalivesDeferred counts keepalives that met back pressure and went out later.
	KeepalivesDeferred uint64
}

// Client runs the driver client protocol for one lease on a process's control plane:
// it reads the driver's control stream through a controlplane.Route and writes to it
// through the process's shared publication, so any number of Clients in a process read
// the stream once. It is an agent.Agent of the process's duty cycle (package process);
// every method runs there. Start begins attaching, Detach gives the lease back, and the
// events arrive through Config.OnEvent.
type Client struct {
	cfg     Config
	m       *Machine
	route   *controlplane.Route
	control *controlplane.Route // nil without Config.OnControl
	out     *controlplane.Outbound
	claim   transport.Claim
	nowNs   uint64

	// driverSession is the publication session the grant came from: the driver's, whose
	// ShmDriverShutdown alone ends the lease.
	driverSession int32
	counters      Counters

	// Decoded messages, kept to avoid allocating per message.
	attachResp wire.ShmAttachResponse
	detachResp wire.ShmDetachResponse
	revoked    wire.ShmLeaseRevoked
	shutdown   wire.ShmDriverShutdown
}

// New registers the Client on hub: a route for the driver's messages on the control
// stream and a reference to the shared control publication. Nothing is sent until Start.
func New(hub *controlplane.Hub, cfg Config) (*Client, error) {
	if cfg.Role != wire.RoleProducer && cfg.Role != wire.RoleConsumer {
		return nil, fmt.Errorf("driverclient: Config.Role %d is neither PRODUCER nor CONSUMER", cfg.Role)
	}
	if !cfg.WireVersion.Valid() {
		return nil, fmt.Errorf("driverclient: Config.WireVersion %v is not a wire spec version this client speaks (1.1, 1.2)", cfg.WireVersion)
	}
	c := &Client{cfg: cfg, m: NewMachine(cfg.Params)}
	c.route = hub.Route(cfg.Control, controlplane.Messages(
		wire.ShmAttachResponseID, wire.ShmDetachResponseID, wire.ShmLeaseRevokedID, wire.ShmDriverShutdownID), c.onDriverMessage)
	if cfg.OnControl != nil {
		// The same stream, the same subscription: the hub delivers both routes' messages.
		c.control = hub.Route(cfg.Control, controlplane.Schema(wire.ControlSchemaID), func(msg []byte, h wire.Header, _ *transport.Header) {
			cfg.OnControl(msg, h)
		})
	}
	c.out = hub.Publication(cfg.Control)
	return c, nil
}

// RoleName implements agent.Agent.
func (c *Client) RoleName() string { return fmt.Sprintf("tp-driver-client:%d", c.m.ClientID()) }

// State is the protocol state.
func (c *Client) State() State { return c.m.State() }

// Lease is the live grant, validated; ok is false unless attached.
func (c *Client) Lease() (wire.ShmAttachResponse, bool) { return c.m.Lease() }

// LastRefusal is why the latest attach attempt failed, nil after a grant.
func (c *Client) LastRefusal() error { return c.m.LastRefusal() }

// Counters returns what the Client ignored so far.
func (c *Client) Counters() Counters { return c.counters }

// ClientID is the driver client id the Client attaches with: Config.ClientID, or the one
// it picked when that is 0 (Driver spec Appendix B.2), which changes when the driver
// refuses it as taken.
func (c *Client) ClientID() uint32 { return c.m.ClientID() }

// Ready reports whether the control stream's subscription and publication are in place,
// so an attach request can be sent and its answer read.
func (c *Client) Ready() bool { return c.route.Ready() && c.out.Pub() != nil }

// Start begins attaching; DoWork carries on from there.
func (c *Client) Start(now clock.Mono) {
	c.nowNs = uint64(now)
	c.carryOut(c.m.Start(c.nowNs))
}

// DoWork implements agent.Agent: the machine's timers. The driver's messages arrive
// through the route, on the hub's part of the same duty cycle.
func (c *Client) DoWork(now clock.Mono) int {
	c.nowNs = uint64(now)
	effects := c.m.Tick(c.nowNs)
	work := len(effects)
	c.carryOut(effects)
	return work
}

// Abandon gives the live lease back and attaches again (Machine.Abandon).
func (c *Client) Abandon(now clock.Mono) {
	c.nowNs = uint64(now)
	c.carryOut(c.m.Abandon(c.nowNs))
}

// RetryNow attempts the attach at the next DoWork if the client waits to retry one
// (Machine.RetryNow).
func (c *Client) RetryNow(now clock.Mono) { c.m.RetryNow(uint64(now)) }

// Detach gives the lease back: from Attached it sends ShmDetachRequest and the Detached
// event follows the driver's answer or the detach timeout; otherwise it stops at once.
func (c *Client) Detach(now clock.Mono) {
	c.nowNs = uint64(now)
	c.carryOut(c.m.Detach(c.nowNs))
}

// OnClose implements agent.Agent: the route closes and the publication's reference is
// given back. It does not detach; call Detach first to give the lease back promptly.
func (c *Client) OnClose() {
	c.route.Close()
	if c.control != nil {
		c.control.Close()
	}
	c.out.Release()
}

// carryOut performs effects in order. A failed send is reported to the
// machine after the batch, since its answer reuses the batch's storage.
func (c *Client) carryOut(effects []Effect) {
	for len(effects) > 0 {
		attachFailed, keepaliveResult := false, int64(0)
		for i := range effects {
			e := &effects[i]
			switch e.Kind {
			case SendAttach:
				attachFailed = c.publish(&e.Attach) <= 0
			case SendKeepalive:
				if keepaliveResult = c.publish(&e.Keepalive); keepaliveResult > 0 {
					c.m.KeepaliveSent(c.nowNs)
				}
			case SendDetach:
				c.publish(&e.Detach)
			default:
				if c.cfg.OnEvent != nil {
					c.cfg.OnEvent(*e)
				}
			}
		}
		switch {
		case keepaliveResult == transport.BackPressured || keepaliveResult == transport.AdminAction:
			// A busy control stream is not a dead driver: the keepalive goes out on a
			// later duty cycle, and only the lease's deadline ends the lease (§4.4's
			// "send failure" is a publication that cannot reach the driver).
			c.counters.KeepalivesDeferred++
			effects = c.m.KeepaliveDeferred(c.nowNs)
		case keepaliveResult < 0:
			effects = c.m.KeepaliveFailed(c.nowNs)
		case attachFailed:
			effects = c.m.AttachNotSent(c.nowNs)
		default:
			effects = nil
		}
	}
}

// request is a driver request the client sends; every one is fixed-size.
type request interface {
	EncodedLength() int
	Encode(buf []byte) (int, error)
}

// publish encodes r into a try-claimed frame (requests are small and fixed-size),
// retrying a few times through admin actions. It returns the publication's result:
// positive once sent, transport.NotConnected while the publication is not added yet.
func (c *Client) publish(r request) int64 {
	pub := c.out.Pub()
	if pub == nil {
		return transport.NotConnected
	}
	result := int64(transport.AdminAction)
	for range 3 {
		result = pub.TryClaim(r.EncodedLength(), &c.claim)
		if result > 0 {
			if _, err := r.Encode(c.claim.Buffer()); err != nil {
				c.claim.Abort()
				return transport.PublicationError
			}
			c.claim.Commit()
			return result
		}
		if result != transport.AdminAction {
			return result
		}
	}
	return result
}

// onDriverMessage takes the driver's responses and notices off the control stream. A
// newer schema version is rejected (§4.4a); malformed messages are dropped.
func (c *Client) onDriverMessage(msg []byte, hdr wire.Header, from *transport.Header) {
	if hdr.Version > wire.DriverSchemaVersion {
		return
	}
	switch hdr.ID() {
	case wire.ShmAttachResponseID:
		if !c.isOwn(msg, hdr) {
			return // another client's: skip decoding its strings
		}
		if usable(c.attachResp.Decode(msg)) {
			effects := c.m.OnAttachResponse(&c.attachResp, c.nowNs)
			if _, ok := c.m.Lease(); ok && grantedIn(effects) {
				c.driverSession = from.SessionID
			}
			c.carryOut(effects)
		}
	case wire.ShmDetachResponseID:
		if usable(c.detachResp.Decode(msg)) {
			c.carryOut(c.m.OnDetachResponse(&c.detachResp))
		}
	case wire.ShmLeaseRevokedID:
		// From any session: a revoke ends the lease only when it names this lease,
		// client, stream and role exactly, and lease ids are unique per driver instance,
		// so a restarted driver's revoke of a lease it does not know reaches its holder.
		if usable(c.revoked.Decode(msg)) {
			c.carryOut(c.m.OnLeaseRevoked(&c.revoked, c.nowNs))
		}
	case wire.ShmDriverShutdownID:
		if usable(c.shutdown.Decode(msg)) {
			if _, ok := c.m.Lease(); ok && from.SessionID != c.driverSession {
				c.counters.ForeignShutdowns++
				return
			}
			c.carryOut(c.m.OnDriverShutdown(c.nowNs))
		}
	}
}

func grantedIn(effects []Effect) bool {
	for i := range effects {
		if effects[i].Kind == Granted {
			return true
		}
	}
	return false
}

// usable reports whether a driver message that decoded with err goes to the
// machine: a malformed one is dropped; one with an undefined enum value goes
// on, for the machine's rules to reject (§4.9).
func usable(err error) bool { return err == nil || errors.Is(err, wire.ErrUnknownEnum) }

// isOwn peeks at an attach response's correlationId (its first field):
// this client's ids carry its clientId in the upper half.
func (c *Client) isOwn(msg []byte, h wire.Header) bool {
	id, ok := wire.CorrelationIDOf(msg, h)
	return ok && uint32(id>>32) == c.m.ClientID()
}

var _ agent.Agent = (*Client)(nil)

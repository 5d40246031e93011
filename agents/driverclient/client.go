package driverclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// Config configures a Client.
type Config struct {
	// Transport is the connected transport client; the Client does not close it.
	Transport       transport.Client
	ControlChannel  string
	ControlStreamID int32
	Params
	// OnEvent receives the Granted, Lost, Refused and Detached effects, on
	// the goroutine that runs DoWork. It must not call back into the Client.
	OnEvent func(Effect)
	// OnControl receives the messages of the control schema that share the driver's
	// control stream (ConsumerHello, ConsumerConfig, ...), on the goroutine that runs
	// DoWork; nil ignores them. A producer follows the driver's ConsumerConfig with it
	// (Driver spec §11). It must not call back into the Client, nor keep msg.
	OnControl func(msg []byte)
	// Clock must be the driver's (CLOCK_MONOTONIC) so lease deadlines
	// compare; default clock.Now. Tests may inject another.
	Clock func() clock.Mono
}

// Client runs the driver client protocol for one lease over the driver's
// control stream. It is an agent.Agent: run it in a Runner or Invoker, or
// use the blocking Attach and Detach from the goroutine that owns it. It is
// not safe for concurrent use.
type Client struct {
	cfg       Config
	m         *Machine
	pub       transport.Publication
	sub       transport.Subscription
	onControl transport.Handler
	claim     transport.Claim
	nowNs     uint64

	// Decoded messages, kept to avoid allocating per message.
	attachResp wire.ShmAttachResponse
	detachResp wire.ShmDetachResponse
	revoked    wire.ShmLeaseRevoked
	shutdown   wire.ShmDriverShutdown
}

// New adds the control publication and subscription, waiting for them until
// ctx ends. Nothing is sent until Attach or Start.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Transport == nil {
		return nil, errors.New("driverclient: Config.Transport is nil")
	}
	if cfg.ClientID == 0 {
		return nil, errors.New("driverclient: Config.ClientID 0 is reserved (ShmPoolAnnounce producerId 0 means none)")
	}
	if cfg.Role != wire.RoleProducer && cfg.Role != wire.RoleConsumer {
		return nil, fmt.Errorf("driverclient: Config.Role %d is neither PRODUCER nor CONSUMER", cfg.Role)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Now
	}
	c := &Client{cfg: cfg, m: NewMachine(cfg.Params)}
	var err error
	if c.pub, err = transport.Await(ctx, cfg.Transport.AddPublication(cfg.ControlChannel, cfg.ControlStreamID)); err != nil {
		return nil, fmt.Errorf("driverclient: control publication: %w", err)
	}
	if c.sub, err = transport.Await(ctx, cfg.Transport.AddSubscription(cfg.ControlChannel, cfg.ControlStreamID)); err != nil {
		c.pub.Close()
		return nil, fmt.Errorf("driverclient: control subscription: %w", err)
	}
	c.onControl = c.onMessage
	return c, nil
}

// RoleName implements agent.Agent.
func (c *Client) RoleName() string { return fmt.Sprintf("tp-driver-client:%d", c.cfg.ClientID) }

// State is the protocol state.
func (c *Client) State() State { return c.m.State() }

// Lease is the live grant, validated; ok is false unless attached.
func (c *Client) Lease() (wire.ShmAttachResponse, bool) { return c.m.Lease() }

// Start begins attaching; DoWork carries on from there.
func (c *Client) Start() {
	c.nowNs = uint64(c.cfg.Clock())
	c.carryOut(c.m.Start(c.nowNs))
}

// DoWork implements agent.Agent: handle driver messages, then timers.
func (c *Client) DoWork(now clock.Mono) int {
	c.nowNs = uint64(now)
	work := c.sub.Poll(c.onControl, 16)
	effects := c.m.Tick(c.nowNs)
	work += len(effects)
	c.carryOut(effects)
	return work
}

// OnClose implements agent.Agent: the publication and subscription close.
// It does not detach; call Detach first to give the lease back promptly.
func (c *Client) OnClose() {
	c.sub.Close()
	c.pub.Close()
}

// Close is OnClose for a client driven by Attach/Detach rather than a runner.
func (c *Client) Close() { c.OnClose() }

// Attach attaches (if not attached yet) and runs the client on the calling
// goroutine until the lease is granted or ctx ends; refusals, timeouts and
// protocol errors are retried with backoff meanwhile. The error on ctx's
// end wraps ctx.Err() and names the last refusal.
func (c *Client) Attach(ctx context.Context) (wire.ShmAttachResponse, error) {
	if c.m.State() == Unattached {
		c.Start()
	}
	idle := agent.NewBackoff()
	for {
		if lease, ok := c.m.Lease(); ok {
			return lease, nil
		}
		if c.m.State() == Closed {
			return wire.ShmAttachResponse{}, errors.New("driverclient: client detached")
		}
		if err := ctx.Err(); err != nil {
			if last := c.m.LastRefusal(); last != nil {
				return wire.ShmAttachResponse{}, fmt.Errorf("driverclient: attach to stream %d: %w (last attempt: %w)", c.cfg.StreamID, err, last)
			}
			return wire.ShmAttachResponse{}, fmt.Errorf("driverclient: attach to stream %d: %w", c.cfg.StreamID, err)
		}
		idle.Idle(c.DoWork(c.cfg.Clock()))
	}
}

// Detach gives the lease back and waits (on the calling goroutine) for the
// driver's answer, the detach timeout, or ctx's end.
func (c *Client) Detach(ctx context.Context) error {
	c.nowNs = uint64(c.cfg.Clock())
	c.carryOut(c.m.Detach(c.nowNs))
	idle := agent.NewBackoff()
	for c.m.State() != Closed {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("driverclient: detach: %w", err)
		}
		idle.Idle(c.DoWork(c.cfg.Clock()))
	}
	return nil
}

// carryOut performs effects in order. A failed send is reported to the
// machine after the batch, since its answer reuses the batch's storage.
func (c *Client) carryOut(effects []Effect) {
	for len(effects) > 0 {
		attachFailed, keepaliveFailed := false, false
		for i := range effects {
			e := &effects[i]
			switch e.Kind {
			case SendAttach:
				attachFailed = !c.publish(&e.Attach)
			case SendKeepalive:
				keepaliveFailed = !c.publish(&e.Keepalive)
				if !keepaliveFailed {
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
		case keepaliveFailed:
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

// publish encodes r into a try-claimed frame (requests are small and
// fixed-size), retrying a few times through admin actions; false means
// not sent.
func (c *Client) publish(r request) bool {
	for range 3 {
		result := c.pub.TryClaim(r.EncodedLength(), &c.claim)
		if result > 0 {
			if _, err := r.Encode(c.claim.Buffer()); err != nil {
				c.claim.Abort()
				return false
			}
			c.claim.Commit()
			return true
		}
		if result != transport.AdminAction {
			return false
		}
	}
	return false
}

// onMessage takes driver messages off the control stream. Anything not of
// the driver schema is someone else's; a newer schema version is rejected
// (§4.4a); malformed messages are dropped.
func (c *Client) onMessage(msg []byte, _ *transport.Header) {
	hdr, err := wire.PeekHeader(msg)
	if err == nil && hdr.SchemaID == wire.ControlSchemaID && c.cfg.OnControl != nil {
		c.cfg.OnControl(msg)
		return
	}
	if err != nil || hdr.SchemaID != wire.DriverSchemaID || hdr.Version > wire.DriverSchemaVersion {
		return
	}
	switch hdr.ID() {
	case wire.ShmAttachResponseID:
		if !c.isOwn(msg, hdr) {
			return // another client's: skip decoding its strings
		}
		if usable(c.attachResp.Decode(msg)) {
			c.carryOut(c.m.OnAttachResponse(&c.attachResp, c.nowNs))
		}
	case wire.ShmDetachResponseID:
		if usable(c.detachResp.Decode(msg)) {
			c.carryOut(c.m.OnDetachResponse(&c.detachResp))
		}
	case wire.ShmLeaseRevokedID:
		if usable(c.revoked.Decode(msg)) {
			c.carryOut(c.m.OnLeaseRevoked(&c.revoked, c.nowNs))
		}
	case wire.ShmDriverShutdownID:
		if usable(c.shutdown.Decode(msg)) {
			c.carryOut(c.m.OnDriverShutdown(c.nowNs))
		}
	}
	// Anything else is a request of another client.
}

// usable reports whether a driver message that decoded with err goes to the
// machine: a malformed one is dropped; one with an undefined enum value goes
// on, for the machine's rules to reject (§4.9).
func usable(err error) bool { return err == nil || errors.Is(err, wire.ErrUnknownEnum) }

// isOwn peeks at an attach response's correlationId (its first field):
// this client's ids carry its clientId in the upper half.
func (c *Client) isOwn(msg []byte, h wire.Header) bool {
	id, ok := wire.CorrelationIDOf(msg, h)
	return ok && uint32(id>>32) == c.cfg.ClientID
}

var _ agent.Agent = (*Client)(nil)

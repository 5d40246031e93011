package tp

import (
	"context"
	"fmt"
	"time"

	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/driverclient"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// LeaseRef names a lease on the driver, whoever holds it (Driver spec §4.6, §4.7).
type LeaseRef struct {
	LeaseID  uint64
	StreamID uint32
	ClientID uint32
	Role     wire.Role
}

// Detach asks the driver to end the lease and waits for its answer, until ctx ends. A
// lease the driver no longer knows is not an error when this client detached it
// before: detaching twice is harmless.
func (c *Client) Detach(ctx context.Context, l LeaseRef) error {
	if err := c.usable(); err != nil {
		return err
	}
	req := wire.ShmDetachRequest{CorrelationID: c.correlationID(l.ClientID), LeaseID: l.LeaseID,
		StreamID: l.StreamID, ClientID: l.ClientID, Role: l.Role}
	buf := make([]byte, req.EncodedLength())
	if _, err := req.Encode(buf); err != nil {
		return fmt.Errorf("tp: %w", err)
	}
	var resp wire.ShmDetachResponse
	got := false
	err := c.request(ctx, buf, wire.ShmDetachResponseID, func(msg []byte) bool {
		got = resp.Decode(msg) == nil && resp.CorrelationID == req.CorrelationID
		return got
	})
	if err != nil {
		return err
	}
	if resp.Code != wire.CodeOK {
		return fmt.Errorf("tp: detach of lease %d refused (%v): %s", l.LeaseID, resp.Code, resp.ErrorMessage)
	}
	return nil
}

// Keepalive sends one ShmLeaseKeepalive for the lease (Driver spec §4.4). The driver
// does not answer keepalives; a lease it does not know ends with ShmLeaseRevoked.
func (c *Client) Keepalive(l LeaseRef) error {
	if err := c.usable(); err != nil {
		return err
	}
	k := wire.ShmLeaseKeepalive{LeaseID: l.LeaseID, StreamID: l.StreamID, ClientID: l.ClientID, Role: l.Role,
		ClientTimestampNs: uint64(clock.Now())}
	buf := make([]byte, k.EncodedLength())
	if _, err := k.Encode(buf); err != nil {
		return fmt.Errorf("tp: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), controlTimeout)
	defer cancel()
	return c.request(ctx, buf, 0, nil)
}

// controlTimeout bounds a one-shot control message of a call without a context.
const controlTimeout = 5 * time.Second

// request sends msg on the control stream through the process's control plane and, when
// match is not nil, waits for a message of kind answer that match accepts, until ctx
// ends. match runs on the duty cycle.
func (c *Client) request(ctx context.Context, msg []byte, answer wire.MessageID, match func(msg []byte) bool) error {
	ep := controlplane.Endpoint{Channel: c.opts.ControlChannel, StreamID: c.opts.ControlStreamID}
	var route *controlplane.Route
	var out *controlplane.Outbound
	answered := false
	if err := c.proc.Do(func() {
		if match != nil {
			route = c.proc.Hub().Route(ep, controlplane.Messages(answer), func(m []byte, _ wire.Header, _ *transport.Header) {
				if !answered {
					answered = match(m)
				}
			})
		}
		out = c.proc.Hub().Publication(ep)
	}); err != nil {
		return ErrClosed
	}
	defer c.proc.Do(func() {
		if route != nil {
			route.Close()
		}
		out.Release()
	})
	sent := false
	var sendErr error
	err := c.wait(ctx, func() bool {
		if !sent && (route == nil || route.Ready()) && out.Pub() != nil {
			switch err := offerErr(out.Pub().Offer(msg)); err {
			case nil:
				sent = true
			case ErrNoSubscriber, ErrBackPressured:
			default:
				sendErr = err
			}
		}
		return sendErr != nil || (sent && (match == nil || answered))
	})
	switch {
	case sendErr != nil:
		return sendErr
	case err != nil && !sent:
		return fmt.Errorf("tp: sending on the control stream: %w", err)
	case err != nil:
		return fmt.Errorf("tp: no answer from the driver: %w", err)
	}
	return nil
}

// correlationID is unique within the process and, seeded at random per Client, unlikely
// to meet a stale response of an earlier run (Driver spec Appendix B.1): the high half is
// the client id, as for the driver clients, and the low half has bit 30 set, which theirs
// never have (driverclient.CorrelationLowMask).
func (c *Client) correlationID(clientID uint32) int64 {
	return int64(clientID)<<32 | int64(1<<30|(c.requestSeed+uint32(c.requests.Add(1)))&driverclient.CorrelationLowMask)
}

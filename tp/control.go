package tp

import (
	"context"
	"fmt"
	"time"

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
	err := c.request(ctx, buf, func(msg []byte, h wire.Header) bool {
		if h.ID() != wire.ShmDetachResponseID || resp.Decode(msg) != nil {
			return false
		}
		got = resp.CorrelationID == req.CorrelationID
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
	pub, err := await(c.aeron.AddPublication(c.opts.ControlChannel, c.opts.ControlStreamID))
	if err != nil {
		return fmt.Errorf("tp: control publication: %w", err)
	}
	defer pub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), c.aeron.DriverTimeout())
	defer cancel()
	return offerUntil(ctx, pub.Offer, buf)
}

// request offers msg on the control stream until it is sent, then polls the control
// stream until match accepts a message or ctx ends.
func (c *Client) request(ctx context.Context, msg []byte, match func([]byte, wire.Header) bool) error {
	sub, err := transport.Await(ctx, c.aeron.AddSubscription(c.opts.ControlChannel, c.opts.ControlStreamID))
	if err != nil {
		return fmt.Errorf("tp: control subscription: %w", err)
	}
	defer sub.Close()
	pub, err := transport.Await(ctx, c.aeron.AddPublication(c.opts.ControlChannel, c.opts.ControlStreamID))
	if err != nil {
		return fmt.Errorf("tp: control publication: %w", err)
	}
	defer pub.Close()
	if err := offerUntil(ctx, pub.Offer, msg); err != nil {
		return err
	}
	done := false
	handler := func(msg []byte, _ *transport.Header) {
		h, err := wire.PeekHeader(msg)
		if err == nil && !done {
			done = match(msg, h)
		}
	}
	for !done {
		if sub.Poll(handler, 16) == 0 {
			if err := pause(ctx); err != nil {
				return fmt.Errorf("tp: no answer from the driver: %w", err)
			}
		}
	}
	return nil
}

// correlationID is unique within the process: the high half is the client id, as for
// the driver clients, the low half counts down from the top so it never meets theirs.
func (c *Client) correlationID(clientID uint32) int64 {
	return int64(clientID)<<32 | int64(0x7fff_ffff-c.requests.Add(1)&0x3fff_ffff)
}

// offerUntil offers msg until it is in the log or ctx ends.
func offerUntil(ctx context.Context, offer func([]byte) int64, msg []byte) error {
	for {
		err := offerErr(offer(msg))
		if err == nil || (err != ErrNoSubscriber && err != ErrBackPressured) {
			return err
		}
		if perr := pause(ctx); perr != nil {
			return fmt.Errorf("%w: %w", err, perr)
		}
	}
}

// pause waits a millisecond, or returns ctx's error once it ends.
func pause(ctx context.Context) error {
	t := time.NewTimer(time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

package driver

import (
	"github.com/tensorpool/tensorpool/wire"
)

// ConsumerHello applies the per-consumer stream requests of a ConsumerHello
// and returns the ConsumerConfig to send. It acts only for a consumer that
// holds a consumer lease on the hello's stream (clientId = consumerId);
// otherwise ok is false and nothing is sent.
//
// Each request (descriptor, control) is honoured only when it names both a
// channel and a nonzero stream id (Wire §10.1.2); a half request is
// declined. The id comes from the configured range: the requested id when
// it is in range and free, else the next free one. Assignments stick to the
// lease until it ends or a hello stops asking. A declined request, an unset
// range or an exhausted one answer stream id 0 and an empty channel, which
// keeps the consumer on the shared stream (Wire §10.1.3, Driver §11).
// The channel strings are kept in the lease, so they must not alias a
// receive buffer.
func (c *Core) ConsumerHello(h wire.ConsumerHello) (cfg wire.ConsumerConfig, ok bool) {
	leaseID, held := c.leaseOf[h.ConsumerID]
	if !held {
		return wire.ConsumerConfig{}, false
	}
	l := c.leases[leaseID]
	if l.Role != wire.RoleConsumer || l.StreamID != h.StreamID {
		return wire.ConsumerConfig{}, false
	}
	l.DescriptorStreamID, l.DescriptorChannel = assign(&c.descriptorIDs, l.DescriptorStreamID, h.DescriptorStreamID, h.DescriptorChannel)
	l.ControlStreamID, l.ControlChannel = assign(&c.controlIDs, l.ControlStreamID, h.ControlStreamID, h.ControlChannel)
	return wire.ConsumerConfig{
		StreamID:           h.StreamID,
		ConsumerID:         h.ConsumerID,
		UseShm:             true,
		Mode:               modeOf(h),
		DescriptorStreamID: l.DescriptorStreamID,
		DescriptorChannel:  l.DescriptorChannel,
		ControlStreamID:    l.ControlStreamID,
		ControlChannel:     l.ControlChannel,
	}, true
}

// assign resolves one per-consumer stream request against the id the lease
// already holds (0 for none) and returns the new assignment.
func assign(pool *idPool, held, requestedID uint32, requestedChannel string) (uint32, string) {
	if requestedID == 0 || requestedChannel == "" {
		pool.release(held)
		return 0, ""
	}
	if held != 0 {
		return held, requestedChannel
	}
	id := pool.take(requestedID)
	if id == 0 {
		return 0, ""
	}
	return id, requestedChannel
}

// modeOf is the mode a ConsumerConfig confirms: the one the consumer asked for. The driver
// assigns streams, not modes; answering STREAM to a RATE_LIMITED consumer would turn its
// rate cap off.
func modeOf(h wire.ConsumerHello) wire.Mode {
	if h.Mode == wire.ModeRateLimited {
		return wire.ModeRateLimited
	}
	return wire.ModeStream
}

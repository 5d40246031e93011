package tp

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/agents/consumer"
	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/wire"
)

// Consumer receives the frames of one stream through a driver lease. It is safe for
// concurrent use; the handler runs inside Poll, on the polling goroutine.
//
// A Consumer is a facade over a consumer role (consumer.Agent) on the Client's duty
// cycle, which holds the lease and maps each epoch; Poll runs only the role's data path,
// which never waits on the duty cycle, the control plane or the media driver.
type Consumer struct {
	client   *Client
	role     *consumer.Agent
	host     *consumerHost // runs role on the Client's duty cycle
	counters *consumerCounters
	streamID uint32
	handler  func(*Frame)
	closed   atomic.Bool

	// frame is the data path's, used inside Poll (the role serialises its calls).
	frame Frame
}

// ConsumerStats are a consumer's totals.
type ConsumerStats struct {
	Frames, Bytes uint64
	// DropsGap counts frames never seen (overwritten before read or not announced);
	// DropsLate frames overwritten while read; DropsInvalid descriptors and headers that
	// failed validation, every other reason.
	DropsGap, DropsLate, DropsInvalid uint64
	// Remaps counts epochs mapped.
	Remaps uint64
	// Epoch is the mapped epoch, 0 while unmapped.
	Epoch uint64
	// LeaseLosses counts leases that ended (revoked, expired, driver shutdown); a loss
	// is counted together with the unmapping it caused (Epoch 0 until a new grant).
	LeaseLosses uint64
	// DescriptorStreamID is the per-consumer descriptor stream frames are read from, 0
	// while they come from the shared one.
	DescriptorStreamID uint32
}

// NewConsumer attaches to the driver as a consumer of streamID, maps the granted regions
// read-only (only from Options.AllowedBaseDirs) and keeps the lease alive on the Client's
// duty cycle. handler receives each frame inside Poll (see Frame for how long it may be
// used) and must not call Poll, FrameValid or Close of the same Consumer, which would
// wait forever for the Poll it runs in; the other methods do not wait for Poll.
// NewConsumer blocks until the first grant is mapped or ctx's end; a grant of regions
// their producer has not refreshed within the freshness window (paused, its lease alive)
// is waited out until an announce names them live again (Wire §15.1), and ctx's end then
// names them.
func (c *Client) NewConsumer(ctx context.Context, streamID uint32, handler func(*Frame)) (*Consumer, error) {
	if handler == nil {
		return nil, fmt.Errorf("%w: a frame handler is required", ErrInvalidOptions)
	}
	if err := c.usable(); err != nil {
		return nil, err
	}
	cs := &Consumer{client: c, streamID: streamID, handler: handler}
	o := &c.opts
	id := c.clientID() // the driver client id doubles as the consumer id (QoS)
	role, err := consumer.NewAgent(consumer.AgentConfig{
		Consumer: consumer.Config{
			StreamID: streamID, ConsumerID: id, AllowedBaseDirs: o.AllowedBaseDirs,
			Mode: o.Consumer.Mode, MaxRateHz: o.Consumer.MaxRateHz, FreshnessNs: o.Consumer.FreshnessNs,
			QosIntervalNs: o.QosInterval.Nanoseconds(), Progress: o.Consumer.Progress, WireVersion: o.WireVersion,
			DescriptorChannel: o.Consumer.DescriptorChannel, DescriptorStreamID: o.Consumer.DescriptorStreamID,
			ControlChannel: o.Consumer.ControlChannel, ControlStreamID: o.Consumer.ControlStreamID,
		},
		Control:           controlplane.Endpoint{Channel: o.ControlChannel, StreamID: o.ControlStreamID},
		Announce:          controlplane.Endpoint{Channel: o.AnnounceChannel, StreamID: o.AnnounceStreamID},
		Descriptors:       controlplane.Endpoint{Channel: o.DescriptorChannel, StreamID: o.DescriptorStreamID},
		Qos:               controlplane.Endpoint{Channel: o.QosChannel, StreamID: o.QosStreamID},
		Lease:             true,
		KeepaliveInterval: o.KeepaliveInterval,
		OnLeaseEvent:      newLeaseLog(o.Logger, wire.RoleConsumer, streamID, id).event,
	}, cs.onFrame)
	if err != nil {
		return nil, optionsError(err)
	}
	cs.role, cs.counters = role, newConsumerCounters(role, streamID)
	cs.host = &consumerHost{Agent: role, c: c}
	if err := c.proc.Add(cs.host); err != nil {
		return nil, ErrClosed
	}
	if err := c.proc.Add(cs.counters); err != nil {
		cs.shut()
		return nil, ErrClosed
	}
	// The condition runs on the duty cycle, and may run once more after a wait that ended
	// with ctx: what it reads is handed over under a lock.
	var mu sync.Mutex
	var startErr, refused error
	werr := c.wait(ctx, func() bool {
		ready, err := role.Started()
		last := role.LastRefusal()
		mu.Lock()
		defer mu.Unlock()
		startErr, refused = err, last
		return ready || err != nil || c.Err() != nil || permanent(last)
	})
	mu.Lock()
	err = firstError(startErr, c.Err(), c.attachError(werr, streamID, refused))
	mu.Unlock()
	if err != nil {
		cs.shut()
		return nil, err
	}
	if err := c.track(cs); err != nil {
		cs.shut()
		return nil, err
	}
	return cs, nil
}

func (cs *Consumer) onFrame(f *consumer.Frame) {
	cs.frame.f = f
	cs.handler(&cs.frame)
}

// Poll reads up to limit descriptors and calls the handler for each frame that passes
// every check. It never blocks on the duty cycle, the control plane or the media driver:
// while the consumer is not mapped, or its descriptor stream is still being added, it
// returns 0 at once. It returns the descriptors read, delivered or dropped: the work
// done, for an idle strategy (a consumer that backed off on dropped frames alone would
// stay behind the producer and find every later frame overwritten too).
func (cs *Consumer) Poll(limit int) int { return cs.role.Poll(limit) }

// Stats returns the consumer's totals.
func (cs *Consumer) Stats() ConsumerStats {
	st := cs.role.Status()
	c := &st.Counters
	s := ConsumerStats{Frames: c.Frames, Bytes: c.Bytes, DropsGap: c.DropsGap, DropsLate: c.DropsLate,
		Remaps: c.Remaps, Epoch: st.Epoch, LeaseLosses: st.LeaseLosses, DescriptorStreamID: st.DescriptorStreamID}
	for _, d := range c.Drops {
		s.DropsInvalid += d
	}
	s.DropsInvalid -= c.DropsLate // every late drop is also counted in Drops
	return s
}

// Err returns and clears the last control-path problem: an announce or grant whose
// regions were refused, or a mapping given up for a dead producer or because its files
// were truncated (consumer.ErrRegionTruncated).
//
// Once the Client's transport is dead it is the Client's terminal error (Client.Err),
// for good.
func (cs *Consumer) Err() error {
	if err := cs.client.Err(); err != nil {
		return err
	}
	return cs.role.Err()
}

// Close detaches from the driver and unmaps the regions. It waits for a Poll in
// progress, so a handler must not call it.
func (cs *Consumer) Close() error {
	if cs.closed.Swap(true) {
		return nil
	}
	cs.shut()
	cs.client.untrack(cs)
	return nil
}

// shut stops the data path, gives the lease back (briefly waiting for the driver) and
// removes the role and its counters; the mapping and subscriptions go once both are done.
func (cs *Consumer) shut() {
	cs.closed.Store(true)
	cs.role.StopPolling()
	c, r := cs.client, cs.role
	if done, err := c.proc.Remove(cs.counters); err == nil {
		_ = c.wait(context.Background(), func() bool { return isClosed(done) })
	}
	ctx, cancel := context.WithTimeout(context.Background(), detachTimeout)
	if c.Err() == nil && c.proc.Do(r.Detach) == nil {
		_ = c.wait(ctx, r.Detached) // best effort; a dead transport could not send it
	}
	cancel()
	if done, err := c.proc.Remove(cs.host); err == nil {
		_ = c.wait(context.Background(), func() bool { return isClosed(done) })
	}
}

// consumerHost runs a consumer's agent on the Client's duty cycle while the Client's
// transport lives; once it is dead (Client.Err) the agent, which could only retry
// attaches nobody can receive, runs no more.
type consumerHost struct {
	*consumer.Agent
	c *Client
}

func (h *consumerHost) DoWork(now clock.Mono) int {
	if h.c.terminal.Load() != nil {
		return 0
	}
	return h.Agent.DoWork(now)
}

// SendQos sends one QosConsumer with the given fields now (Wire spec §10.4.1); the
// consumer also sends them on its own every Options.QosInterval.
func (cs *Consumer) SendQos(mode wire.Mode, lastSeqSeen, dropsGap, dropsLate uint64) error {
	if cs.closed.Load() {
		return ErrClosed
	}
	q := wire.QosConsumer{StreamID: cs.streamID, ConsumerID: cs.ID(), Epoch: cs.role.Status().Epoch, LastSeqSeen: lastSeqSeen,
		DropsGap: dropsGap, DropsLate: dropsLate, Mode: mode}
	res, ok := cs.role.OfferQos(&q)
	if !ok {
		return ErrNoQosStream
	}
	return offerErr(res)
}

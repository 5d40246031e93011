package consumer

import (
	"fmt"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
)

// Agent is the consumer's duty cycle for an agent.Runner or agent.Invoker: each cycle
// polls the control stream (announces, configs, progress), the per-consumer control
// stream if one is assigned (progress), then the descriptor stream (frames, handled on
// the agent's goroutine), then runs the consumer's timers.
type Agent struct {
	Consumer    *Consumer
	Control     transport.Subscription // nil when announces arrive some other way
	Descriptors transport.Subscription
	// FragmentLimit bounds the descriptors handled per cycle; default 10 (the reference's).
	FragmentLimit int
	// OnError receives announce rejections and liveness failures; nil drops them (the
	// consumer's counters and Mapped still show the state).
	OnError func(error)
	// Subscribe opens the per-consumer streams a ConsumerConfig assigns (§5, §10.1.3): the
	// descriptor stream, which then replaces Descriptors until the assignment is
	// withdrawn, and the control stream, where FrameProgress is read from then on (the
	// shared Control stream still carries everything else). nil keeps the consumer on the
	// shared streams. Descriptors is not polled meanwhile, and an Aeron image nobody polls
	// holds its publication back: a caller should close it while Assigned names a
	// descriptor stream, as tp.Consumer does.
	Subscribe func(channel string, streamID int32) (transport.Subscription, error)

	assigned Follower // per-consumer descriptor stream
	progress Follower // per-consumer control stream
}

// Follower holds one per-consumer subscription and the assignment it was opened for
// (§10.1.3): Follow moves it to the latest assignment's stream, or back to none.
type Follower struct {
	sub     transport.Subscription
	channel string
	id      uint32
}

// Sub is the per-consumer subscription, nil while the consumer is on the shared stream.
func (f *Follower) Sub() transport.Subscription { return f.sub }

// Follow moves f to stream id on channel, closing the subscription of an earlier
// assignment; id 0 leaves it on none. A stream that cannot be opened leaves it on none
// too, and the error says which (the next different assignment tries again).
func (f *Follower) Follow(subscribe func(channel string, streamID int32) (transport.Subscription, error), kind, channel string, id uint32) error {
	if id == f.id && channel == f.channel {
		return nil
	}
	f.Close()
	f.channel, f.id = channel, id
	if id == 0 {
		return nil
	}
	sub, err := subscribe(channel, int32(id))
	if err != nil {
		return fmt.Errorf("consumer: per-consumer %s stream %d: %w", kind, id, err)
	}
	f.sub = sub
	return nil
}

// Close closes the subscription, if any.
func (f *Follower) Close() {
	if f.sub != nil {
		_ = f.sub.Close() // best effort: the stream is being abandoned
		f.sub = nil
	}
}

var _ agent.Agent = (*Agent)(nil)

const defaultFragmentLimit = 10

// DoWork runs one duty cycle and returns the work done.
func (a *Agent) DoWork(now clock.Mono) int {
	c := a.Consumer
	work := 0
	if a.Control != nil {
		work += c.PollControl(a.Control, defaultFragmentLimit)
	}
	as := c.Assigned()
	a.follow(&a.assigned, "descriptor", as.DescriptorChannel, as.DescriptorStreamID)
	a.follow(&a.progress, "control", as.ControlChannel, as.ControlStreamID)
	limit := a.FragmentLimit
	if limit <= 0 {
		limit = defaultFragmentLimit
	}
	if a.progress.sub != nil {
		work += c.PollProgress(a.progress.sub, limit)
	}
	descriptors := a.Descriptors
	if a.assigned.sub != nil {
		descriptors = a.assigned.sub
	}
	work += c.Poll(descriptors, limit)
	work += c.DoWork(now.Nanos())
	if err := c.ControlError(); err != nil && a.OnError != nil {
		a.OnError(err)
	}
	return work
}

// follow moves f to the per-consumer stream of the latest assignment, or back to the
// shared one when there is none or it cannot be opened (§10.1.3).
func (a *Agent) follow(f *Follower, kind, channel string, id uint32) {
	if a.Subscribe == nil {
		return
	}
	if err := f.Follow(a.Subscribe, kind, channel, id); err != nil && a.OnError != nil {
		a.OnError(err)
	}
}

// OnClose releases the per-consumer subscriptions and the consumer's mapping.
func (a *Agent) OnClose() {
	a.assigned.Close()
	a.progress.Close()
	a.Consumer.Close()
}

// RoleName names the agent for runners and logs.
func (a *Agent) RoleName() string { return "tensorpool-consumer" }

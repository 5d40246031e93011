package consumer

import (
	"fmt"

	"github.com/tensorpool/tensorpool/aeron/agent"
)

// Agent is the consumer's duty cycle for an agent.Runner or agent.Invoker: each cycle
// polls the control stream (announces, configs, progress), the per-consumer control
// stream if one is assigned (progress), then the descriptor stream (frames, handled on
// the agent's goroutine), then runs the consumer's timers.
type Agent struct {
	Consumer    *Consumer
	Control     Subscription // nil when announces arrive some other way
	Descriptors Subscription
	// FragmentLimit bounds the descriptors handled per cycle; default 10 (the reference's).
	FragmentLimit int
	// OnError receives announce rejections and liveness failures; nil drops them (the
	// consumer's counters and Mapped still show the state).
	OnError func(error)
	// Subscribe opens the per-consumer streams a ConsumerConfig assigns (§5, §10.1.3): the
	// descriptor stream, which then replaces Descriptors until the assignment is
	// withdrawn, and the control stream, where FrameProgress is read from then on (the
	// shared Control stream still carries everything else). nil keeps the consumer on the
	// shared streams.
	Subscribe func(channel string, streamID int32) (ClosableSubscription, error)

	assigned follower // per-consumer descriptor stream
	progress follower // per-consumer control stream
}

// follower is one per-consumer subscription and the assignment it was opened for.
type follower struct {
	sub     ClosableSubscription
	channel string
	id      uint32
}

// ClosableSubscription is a per-consumer subscription; *aeron.Subscription satisfies it.
type ClosableSubscription interface {
	Subscription
	Close() error
}

var _ agent.Agent = (*Agent)(nil)

const defaultFragmentLimit = 10

// DoWork runs one duty cycle and returns the work done.
func (a *Agent) DoWork(nowNs int64) int {
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
	work += c.DoWork(nowNs)
	if err := c.ControlError(); err != nil && a.OnError != nil {
		a.OnError(err)
	}
	return work
}

// follow moves f to the per-consumer stream of the latest assignment, or back to the
// shared one when there is none or it cannot be opened (§10.1.3).
func (a *Agent) follow(f *follower, kind, channel string, id uint32) {
	if a.Subscribe == nil || (id == f.id && channel == f.channel) {
		return
	}
	f.close()
	f.channel, f.id = channel, id
	if id == 0 {
		return
	}
	sub, err := a.Subscribe(channel, int32(id))
	if err != nil {
		if a.OnError != nil {
			a.OnError(fmt.Errorf("consumer: per-consumer %s stream %d: %w", kind, id, err))
		}
		return
	}
	f.sub = sub
}

func (f *follower) close() {
	if f.sub != nil {
		_ = f.sub.Close() // best effort: the stream is being abandoned
		f.sub = nil
	}
}

// OnClose releases the per-consumer subscriptions and the consumer's mapping.
func (a *Agent) OnClose() {
	a.assigned.close()
	a.progress.close()
	a.Consumer.Close()
}

// RoleName names the agent for runners and logs.
func (a *Agent) RoleName() string { return "tensorpool-consumer" }

package consumer

import (
	"fmt"

	"github.com/tensorpool/tensorpool/aeron/agent"
)

// Agent is the consumer's duty cycle for an agent.Runner or agent.Invoker: each cycle
// polls the control stream (announces), then the descriptor stream (frames, handled on
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
	// Subscribe opens the per-consumer descriptor stream a ConsumerConfig assigns, which
	// then replaces Descriptors until the assignment is withdrawn (§10.1.3); nil keeps the
	// consumer on Descriptors.
	Subscribe func(channel string, streamID int32) (ClosableSubscription, error)

	assigned        ClosableSubscription
	assignedChannel string
	assignedID      uint32
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
	a.follow()
	limit := a.FragmentLimit
	if limit <= 0 {
		limit = defaultFragmentLimit
	}
	descriptors := a.Descriptors
	if a.assigned != nil {
		descriptors = a.assigned
	}
	work += c.Poll(descriptors, limit)
	work += c.DoWork(nowNs)
	if err := c.ControlError(); err != nil && a.OnError != nil {
		a.OnError(err)
	}
	return work
}

// follow moves to the per-consumer descriptor stream of the latest assignment, or back to
// the shared one when there is none or it cannot be opened (§10.1.3).
func (a *Agent) follow() {
	if a.Subscribe == nil {
		return
	}
	as := a.Consumer.Assigned()
	if as.DescriptorStreamID == a.assignedID && as.DescriptorChannel == a.assignedChannel {
		return
	}
	a.closeAssigned()
	a.assignedChannel, a.assignedID = as.DescriptorChannel, as.DescriptorStreamID
	if as.DescriptorStreamID == 0 {
		return
	}
	sub, err := a.Subscribe(as.DescriptorChannel, int32(as.DescriptorStreamID))
	if err != nil {
		if a.OnError != nil {
			a.OnError(fmt.Errorf("consumer: per-consumer descriptor stream %d: %w", as.DescriptorStreamID, err))
		}
		return
	}
	a.assigned = sub
}

func (a *Agent) closeAssigned() {
	if a.assigned != nil {
		_ = a.assigned.Close() // best effort: the stream is being abandoned
		a.assigned = nil
	}
}

// OnClose releases the per-consumer subscription and the consumer's mapping.
func (a *Agent) OnClose() {
	a.closeAssigned()
	a.Consumer.Close()
}

// RoleName names the agent for runners and logs.
func (a *Agent) RoleName() string { return "tensorpool-consumer" }

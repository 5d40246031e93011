package consumer

import "github.com/tensorpool/tensorpool/aeron/agent"

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
	limit := a.FragmentLimit
	if limit <= 0 {
		limit = defaultFragmentLimit
	}
	work += c.Poll(a.Descriptors, limit)
	work += c.DoWork(nowNs)
	if err := c.ControlError(); err != nil && a.OnError != nil {
		a.OnError(err)
	}
	return work
}

// OnClose releases the consumer's mapping.
func (a *Agent) OnClose() { a.Consumer.Close() }

// RoleName names the agent for runners and logs.
func (a *Agent) RoleName() string { return "tensorpool-consumer" }

package agent

import (
	"strings"

	"github.com/tensorpool/tensorpool/clock"
)

// Composite runs several agents on one duty cycle: each cycle reads the clock
// once and hands that time to every agent in order, and its work is the sum of
// theirs. It is how the agents of a process (a transport's conductor in invoker
// mode, the SHM driver, the roles) share one Runner or Invoker, and so one
// goroutine and one idle strategy.
type Composite struct {
	agents []Agent
	name   string
}

// NewComposite combines agents, in the order their DoWork runs. nil entries are
// left out, so an optional agent (a transport's Conductor, nil when the
// transport runs its own) can be passed as it is.
func NewComposite(agents ...Agent) *Composite {
	c := &Composite{}
	names := make([]string, 0, len(agents))
	for _, a := range agents {
		if a != nil {
			c.agents = append(c.agents, a)
			names = append(names, a.RoleName())
		}
	}
	c.name = "[" + strings.Join(names, ",") + "]"
	return c
}

// DoWork runs one duty cycle of every agent at now.
func (c *Composite) DoWork(now clock.Mono) int {
	work := 0
	for _, a := range c.agents {
		work += a.DoWork(now)
	}
	return work
}

// OnClose closes every agent, in order.
func (c *Composite) OnClose() {
	for _, a := range c.agents {
		a.OnClose()
	}
}

// RoleName lists the agents' names, e.g. "[aeron-client-conductor,tp-driver]".
func (c *Composite) RoleName() string { return c.name }

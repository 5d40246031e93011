package driver

import (
	"crypto/subtle"

	"github.com/tensorpool/tensorpool/wire"
)

// LifecycleState is the driver lifecycle: Running → Draining → Stopped.
type LifecycleState uint8

const (
	// Running: attaches are served.
	Running LifecycleState = iota + 1
	// Draining: a shutdown was accepted; existing leases keep working,
	// new attaches are rejected, and the shutdown timeout runs.
	Draining
	// Stopped: every lease was revoked and ShmDriverShutdown was sent.
	Stopped
)

func (s LifecycleState) String() string {
	switch s {
	case Running:
		return "Running"
	case Draining:
		return "Draining"
	case Stopped:
		return "Stopped"
	}
	return "LifecycleState(?)"
}

// ShutdownOutcome says what a ShmDriverShutdownRequest did. The protocol
// has no response message, so the agent only logs and counts it.
type ShutdownOutcome uint8

const (
	// ShutdownAccepted: the driver started draining.
	ShutdownAccepted ShutdownOutcome = iota + 1
	// ShutdownDisabled: no shutdown token is configured, so requests are ignored.
	ShutdownDisabled
	// ShutdownBadToken: the token is missing or wrong (Driver spec §4.13).
	ShutdownBadToken
	// ShutdownAlreadyStopping: the driver is already draining or stopped.
	ShutdownAlreadyStopping
)

// lifecycle holds the driver lifecycle state and the pending shutdown.
type lifecycle struct {
	state      LifecycleState
	deadlineNs uint64
	reason     wire.ShutdownReason
	message    string
}

// checkToken applies the §4.13 token rule. The comparison is constant-time
// so that response timing does not leak how much of a guess was right.
func checkToken(configured, presented string) ShutdownOutcome {
	if configured == "" {
		return ShutdownDisabled
	}
	if subtle.ConstantTimeCompare([]byte(configured), []byte(presented)) != 1 {
		return ShutdownBadToken
	}
	return ShutdownAccepted
}

// beginDrain moves Running to Draining with a deadline; it reports false in
// any other state.
func (l *lifecycle) beginDrain(reason wire.ShutdownReason, message string, nowNs, timeoutNs uint64) bool {
	if l.state != Running {
		return false
	}
	l.state = Draining
	l.deadlineNs = nowNs + timeoutNs
	l.reason = reason
	l.message = truncateMessage(message)
	return true
}

// drainOver reports whether a drain has reached its deadline.
func (l *lifecycle) drainOver(nowNs uint64) bool {
	return l.state == Draining && nowNs >= l.deadlineNs
}

// Package backend connects the transport a binary is built with: the pure-Go Aeron client
// (package aeron) by default, or the official Aeron C client (package aeronc) with the
// build tag aeronc. The roles, tp, the commands and their integration tests connect
// through it, so `go test -tags aeronc` and `make TRANSPORT=aeronc` run them all over
// libaeron without a change of code.
package backend

import (
	"time"

	"github.com/tensorpool/tensorpool/agent"
)

// Config is what every backend takes; the zero value keeps each backend's defaults.
type Config struct {
	// Dir is the media driver's aeron.dir; default $AERON_DIR, then the platform's.
	Dir string
	// ConnectTimeout bounds Connect's wait for an active driver; default the driver
	// timeout. The driver's liveness is judged by the backend's driver timeout either way.
	ConnectTimeout time.Duration
	// UseInvoker leaves the conductor to the caller (transport.Client.Conductor).
	UseInvoker bool
	// IdleStrategy is the pure-Go client's conductor goroutine's, when it runs its own;
	// the C client's conductor thread has its own idle strategy.
	IdleStrategy agent.IdleStrategy
	// ErrorHandler receives the client's asynchronous errors; nil drops them (the one
	// that ends the client stays visible through Err). It must return promptly and not
	// call back into the client.
	ErrorHandler func(error)
}

// driverTimeout is how stale the driver's heartbeat may get before a client gives up on
// it, Aeron's default in both backends.
const driverTimeout = 10 * time.Second

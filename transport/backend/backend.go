// Package backend connects the transport a binary is built with: the pure-Go Aeron client
// (package aeron) by default, or the official Aeron C client (package aeronc) with the
// build tag aeronc. The roles, tp, the commands and their integration tests connect
// through it, so `go test -tags aeronc` and `make TRANSPORT=aeronc` run them all over
// libaeron without a change of code. A binary built with the tag has both backends, and
// benchmarks compare them by name (ConnectNamed).
package backend

import (
	"fmt"
	"slices"
	"time"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/transport"
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

// connectors are the backends this binary has, by name.
var connectors = map[string]func(Config) (transport.Client, error){"aeron": connectAeron}

// Connect connects a client of the backend the binary was built with (Name).
func Connect(cfg Config) (transport.Client, error) { return connectors[Name](cfg) }

// ConnectNamed connects a client of the backend called name, one of Names.
func ConnectNamed(name string, cfg Config) (transport.Client, error) {
	connect, ok := connectors[name]
	if !ok {
		return nil, fmt.Errorf("backend: no transport %q in this binary (it has %v; aeronc needs the build tag aeronc)", name, Names())
	}
	return connect(cfg)
}

// Names are the backends this binary has, sorted: aeron, and aeronc with the tag.
func Names() []string {
	names := make([]string, 0, len(connectors))
	for name := range connectors {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// connectAeron connects the pure-Go Aeron client to the media driver in cfg.Dir.
func connectAeron(cfg Config) (transport.Client, error) {
	c, err := aeron.Connect(aeron.Config{Dir: cfg.Dir, ConnectTimeout: cfg.ConnectTimeout, UseInvoker: cfg.UseInvoker,
		IdleStrategy: cfg.IdleStrategy, ErrorHandler: cfg.ErrorHandler})
	if err != nil {
		return nil, err
	}
	return c, nil
}

//go:build !aeronc

package backend

import (
	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/transport"
)

// Name is the transport this binary was built with.
const Name = "aeron"

// Connect connects the pure-Go Aeron client to the media driver in cfg.Dir.
func Connect(cfg Config) (transport.Client, error) {
	c, err := aeron.Connect(aeron.Config{Dir: cfg.Dir, ConnectTimeout: cfg.ConnectTimeout, UseInvoker: cfg.UseInvoker,
		IdleStrategy: cfg.IdleStrategy, ErrorHandler: cfg.ErrorHandler})
	if err != nil {
		return nil, err
	}
	return c, nil
}

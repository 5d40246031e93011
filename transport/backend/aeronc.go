//go:build aeronc

package backend

import (
	"fmt"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/aeronc"
	"github.com/tensorpool/tensorpool/transport"
)

// Name is the transport this binary was built with: the Aeron C client.
const Name = "aeronc"

func init() { connectors["aeronc"] = connectAeronc }

// connectAeronc connects the official Aeron C client to the media driver in cfg.Dir. The C
// client has one driver timeout, for the wait at connect and for the driver's liveness
// after it; so that ConnectTimeout bounds the wait alone, as with the pure-Go client,
// Connect first waits that long for an active driver itself, reading the CnC file as
// the pure-Go client does (and failing with the same cnc errors), and then connects the
// C client with its own timeout.
func connectAeronc(cfg Config) (transport.Client, error) {
	if cfg.Dir == "" {
		cfg.Dir = aeron.DefaultDir()
	}
	if cfg.ConnectTimeout > 0 {
		f, err := cnc.OpenWithin(cfg.Dir, driverTimeout, cfg.ConnectTimeout)
		if err != nil {
			return nil, fmt.Errorf("aeronc: connect to the media driver in %s: %w", cfg.Dir, err)
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
	}
	c, err := aeronc.Connect(aeronc.Config{Dir: cfg.Dir, UseInvoker: cfg.UseInvoker, ErrorHandler: cfg.ErrorHandler})
	if err != nil {
		return nil, err
	}
	return c, nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/transport"
)

// The commands that watch a running system (list, tap, hz, bw, stat) find it the way
// tp-driver and the clients do: the Aeron directory from --aeron-dir, $AERON_DIR,
// $TP_AERON_DIR or /dev/shm/aeron-$USER, and the driver's endpoints from --config or the
// built-in configuration tp-driver serves without one (with the same environment
// overrides).

// systemFlags locate a running system.
type systemFlags struct {
	aeronDir   string
	configPath string
	wait       time.Duration
}

func (s *systemFlags) register(f *pflag.FlagSet) {
	f.StringVar(&s.aeronDir, "aeron-dir", "", "the media driver's directory (default $AERON_DIR, $TP_AERON_DIR, else /dev/shm/aeron-$USER)")
	f.StringVar(&s.configPath, "config", "", "the tp-driver configuration whose endpoints to use (default: tp-driver's built-in one)")
	f.DurationVar(&s.wait, "connect-timeout", 5*time.Second, "how long to wait for the media driver and the subscriptions")
}

// dir is the Aeron directory.
func (s *systemFlags) dir() (string, error) {
	if s.aeronDir != "" {
		return filepath.Abs(s.aeronDir)
	}
	if env := os.Getenv(mediadriver.EnvDir); env != "" && os.Getenv("AERON_DIR") == "" {
		return filepath.Abs(env)
	}
	return aeronDir("", nil)
}

// driverConfig is the configuration named by --config, else the built-in one. Its
// errors are usage errors naming the key.
func (s *systemFlags) driverConfig() (*config.DriverConfig, error) {
	if s.configPath == "" {
		cfg, err := config.Builtin(os.LookupEnv)
		if err != nil {
			return nil, usageError(&configError{file: "(built-in)", err: err})
		}
		return cfg, nil
	}
	cfg, err := config.LoadDriverConfig(s.configPath)
	if err != nil {
		return nil, usageError(&configError{file: s.configPath, err: err})
	}
	return cfg, nil
}

// connect connects to the media driver in the Aeron directory, with an error that says
// what to do when there is none.
func (s *systemFlags) connect() (*aeron.Client, string, error) {
	dir, err := s.dir()
	if err != nil {
		return nil, "", usageError(err)
	}
	client, err := aeron.Connect(aeron.Config{Dir: dir, ConnectTimeout: s.wait, IdleStrategy: agent.NewBackoff()})
	switch {
	case errors.Is(err, cnc.ErrNotFound):
		return nil, dir, failure(fmt.Errorf("no media driver in %s (no %s there): start one with `tp media-driver` or `tp-driver`, or name its directory with --aeron-dir or $AERON_DIR", dir, cnc.FileName))
	case errors.Is(err, cnc.ErrDriverInactive):
		return nil, dir, failure(fmt.Errorf("the media driver in %s is not running: %w", dir, err))
	case err != nil:
		return nil, dir, failure(err)
	}
	return client, dir, nil
}

// subEndpoint is a channel and stream to subscribe to, with what it carries.
type subEndpoint struct {
	Channel  string
	StreamID int32
	// Labels say what the stream carries, e.g. "control", "announce".
	Labels []string
}

func (e subEndpoint) String() string { return fmt.Sprintf("%s stream %d", e.Channel, e.StreamID) }

// sameStream reports whether two endpoints reach the same stream: an IPC subscription
// receives every IPC publication of its stream id, whatever the channel's parameters.
func sameStream(a, b subEndpoint) bool {
	if a.StreamID != b.StreamID {
		return false
	}
	if strings.HasPrefix(a.Channel, "aeron:ipc") && strings.HasPrefix(b.Channel, "aeron:ipc") {
		return true
	}
	return a.Channel == b.Channel
}

// addEndpoint adds e to eps, merging its labels into an subEndpoint of the same stream.
func addEndpoint(eps []subEndpoint, e subEndpoint) []subEndpoint {
	for i := range eps {
		if sameStream(eps[i], e) {
			for _, l := range e.Labels {
				if !containsString(eps[i].Labels, l) {
					eps[i].Labels = append(eps[i].Labels, l)
				}
			}
			return eps
		}
	}
	return append(eps, e)
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// listener holds one subscription per subEndpoint.
type listener struct {
	client *aeron.Client
	subs   []transport.Subscription
	eps    []subEndpoint
}

// subscribe adds a subscription for every subEndpoint.
func subscribe(ctx context.Context, client *aeron.Client, eps []subEndpoint, wait time.Duration) (*listener, error) {
	l := &listener{client: client, eps: eps}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for _, e := range eps {
		sub, err := transport.Await(ctx, client.AddSubscription(e.Channel, e.StreamID))
		if err != nil {
			l.close()
			return nil, failure(fmt.Errorf("subscribing to %v: %w", e, err))
		}
		l.subs = append(l.subs, sub)
	}
	return l, nil
}

func (l *listener) close() {
	for _, s := range l.subs {
		_ = s.Close()
	}
}

// handler receives every message of an subEndpoint.
type handler func(ep *subEndpoint, msg []byte, h *transport.Header)

// run polls every subscription until ctx ends, stop returns true, or the media driver
// is lost, backing off while there is nothing to read. Each poll reads many fragments:
// a watching subscriber that falls behind holds back the publishers of an IPC stream.
func (l *listener) run(ctx context.Context, h handler, stop func() bool) error {
	idle := agent.NewBackoff()
	handlers := make([]transport.Handler, len(l.subs))
	for i := range l.subs {
		ep := &l.eps[i]
		handlers[i] = func(msg []byte, hdr *transport.Header) { h(ep, msg, hdr) }
	}
	for ctx.Err() == nil && (stop == nil || !stop()) {
		work := 0
		for i, s := range l.subs {
			work += s.Poll(handlers[i], 256)
		}
		if work == 0 {
			if err := l.client.Err(); err != nil {
				return failure(fmt.Errorf("lost the media driver: %w", err))
			}
		}
		idle.Idle(work)
	}
	return nil
}

// signalContext ends on SIGINT or SIGTERM, or after d when d is positive.
func signalContext(cmd *cobra.Command, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	if d <= 0 {
		return ctx, stop
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, func() { cancel(); stop() }
}

// controlEndpoints are the driver's control, announce and QoS streams of cfg.
func controlEndpoints(cfg *config.DriverConfig) []subEndpoint {
	d := cfg.Driver
	eps := addEndpoint(nil, subEndpoint{Channel: d.ControlChannel, StreamID: int32(d.ControlStreamID), Labels: []string{"control"}})
	eps = addEndpoint(eps, subEndpoint{Channel: d.AnnounceChannel, StreamID: int32(d.AnnounceStreamID), Labels: []string{"announce"}})
	if d.QosChannel != "" {
		eps = addEndpoint(eps, subEndpoint{Channel: d.QosChannel, StreamID: int32(d.QosStreamID), Labels: []string{"qos"}})
	}
	return eps
}

// Package local runs, inside the calling process, what a tensorpool client otherwise finds
// running as services: the SHM driver (agents/driver) and, when no running media driver is
// named, the official Java media driver as a child process. For demos, tests, benchmarks
// and single-process tools; a deployment runs `tp media-driver` and `tp-driver`.
//
// It is apart from package tp so that clients (and libtensorpool.so) link neither the SHM
// driver, nor the TOML parser, nor the JVM launcher.
//
//	stack, err := local.Start(ctx, local.Config{Driver: cfg})
//	defer stack.Close()
//	client, err := tp.Connect(ctx, stack.Options())
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/backend"
)

// Config configures a Stack.
type Config struct {
	// AeronDir is the aeron.dir of a running media driver; empty starts the embedded Java
	// media driver for the Stack (in a directory of its own), stopped by Close.
	AeronDir string
	// Driver is the SHM driver's configuration (required); config.Local builds a small one.
	Driver *config.DriverConfig
	// Logger receives the SHM driver's logs and the Aeron client's asynchronous errors;
	// default discards them.
	Logger *slog.Logger
}

// Stack is a media driver (embedded, or a running one) and an SHM driver running in this
// process on a goroutine of its own.
type Stack struct {
	cfg    *config.DriverConfig
	dir    string
	media  *mediadriver.Driver
	aeron  transport.Client
	runner *agent.Runner
	agent  *driver.Agent
}

// Start starts the Stack. A deadline on ctx bounds the wait for the media driver and the
// SHM driver's setup.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.Driver == nil {
		return nil, fmt.Errorf("%w: local.Config.Driver is required", tp.ErrInvalidOptions)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Stack{cfg: cfg.Driver, dir: cfg.AeronDir}
	if s.dir == "" {
		var out strings.Builder
		m, err := mediadriver.Launch(mediadriver.Config{Output: &out})
		if err != nil {
			return nil, fmt.Errorf("local: media driver: %w (output: %s)", err, strings.TrimSpace(out.String()))
		}
		s.media, s.dir = m, m.Dir()
	}
	var wait time.Duration
	if deadline, ok := ctx.Deadline(); ok {
		wait = max(time.Until(deadline), time.Millisecond)
	}
	var err error
	if s.aeron, err = backend.Connect(backend.Config{Dir: s.dir, ConnectTimeout: wait, IdleStrategy: agent.NewBackoff(),
		ErrorHandler: func(err error) { log.Warn("aeron client (SHM driver)", "err", err) }}); err != nil {
		s.Close()
		return nil, fmt.Errorf("local: connecting to the media driver in %s: %w", s.dir, err)
	}
	if s.agent, err = driver.NewAgent(ctx, cfg.Driver, s.aeron, log); err != nil {
		s.Close()
		return nil, fmt.Errorf("local: SHM driver: %w", err)
	}
	s.runner = agent.NewRunner(s.agent, agent.RunnerConfig{Idle: agent.NewBackoff()})
	if err := s.runner.Start(); err != nil {
		s.agent.OnClose()
		s.agent = nil
		s.Close()
		return nil, fmt.Errorf("local: SHM driver: %w", err)
	}
	return s, nil
}

// Options are the tp.Options that reach this Stack: its media driver, the SHM driver's
// control and announce streams, its base directory and keepalive interval.
func (s *Stack) Options() tp.Options {
	d := s.cfg
	return tp.Options{
		AeronDir:          s.dir,
		ControlChannel:    d.Driver.ControlChannel,
		ControlStreamID:   int32(d.Driver.ControlStreamID),
		AnnounceChannel:   d.Driver.AnnounceChannel,
		AnnounceStreamID:  int32(d.Driver.AnnounceStreamID),
		AllowedBaseDirs:   d.Shm.AllowedBaseDirs,
		KeepaliveInterval: d.Policies.KeepaliveInterval(),
	}
}

// AeronDir is the media driver's directory.
func (s *Stack) AeronDir() string { return s.dir }

// Driver is the SHM driver's agent, for its metrics.
func (s *Stack) Driver() *driver.Agent { return s.agent }

// StopDriver stops the SHM driver (it revokes every lease and sends ShmDriverShutdown),
// leaving the media driver running; Close stops the rest.
func (s *Stack) StopDriver() error {
	if s.runner == nil {
		return nil
	}
	err := s.runner.Close()
	s.runner = nil
	return err
}

// Close stops the SHM driver (which removes its files when configured to), then the
// media driver if the Stack started it.
func (s *Stack) Close() error {
	errs := []error{s.StopDriver()}
	if s.aeron != nil {
		errs = append(errs, s.aeron.Close())
	}
	if s.media != nil {
		errs = append(errs, s.media.Close())
	}
	return errors.Join(errs...)
}

// Command tp-driver runs the tensorpool SHM driver (Driver Model spec v1.0):
// it owns the SHM backing files of the configured streams and leases them to
// producers and consumers over the Aeron control stream.
//
// Usage:
//
//	tp-driver --config driver.toml [--aeron-dir DIR] [--log-level info] [--log-format text]
//	tp-driver --version
//
// The Aeron media driver is embedded (the official Java driver as a child
// process) unless an external one is named: --aeron-dir, then
// $TP_AERON_DIR, then driver.aeron_dir from the configuration.
//
// SIGINT or SIGTERM drains the driver: new attaches are refused, and after
// policies.shutdown_timeout_ms every lease is revoked and ShmDriverShutdown
// is sent. A second signal stops at once. The exit status is 0 after a
// clean stop (by signal or by an authorised ShmDriverShutdownRequest), 1
// on a runtime failure and 2 on a usage or configuration error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/internal/version"
)

const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Stderr, signals))
}

type options struct {
	version    bool
	configPath string
	aeronDir   string
	logLevel   slog.Level
	logFormat  string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("tp-driver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `tp-driver runs the tensorpool SHM driver.

Usage: tp-driver --config FILE [flags]

The media driver is embedded unless --aeron-dir, $TP_AERON_DIR or
driver.aeron_dir names an external one. Scalar configuration keys can be
overridden from the environment (e.g. SHM_BASE_DIR, POLICIES_SHUTDOWN_TOKEN).
SIGINT/SIGTERM drain and stop the driver; a second signal stops it at once.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.configPath, "config", "", "driver configuration (TOML; see config/examples/driver.toml)")
	fs.StringVar(&o.aeronDir, "aeron-dir", "", "aeron.dir of an external media driver")
	fs.TextVar(&o.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&o.version, "version", false, "print the version, the protocol versions and the pinned Aeron version, and exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.version {
		return o, nil
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.configPath == "" {
		return o, errors.New("--config is required")
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return o, fmt.Errorf("--log-format %q: want text or json", o.logFormat)
	}
	return o, nil
}

func newLogger(o options, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: o.logLevel}
	if o.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// run is the whole command; signals stands in for the process's signal
// delivery so tests can drive it.
func run(args []string, stderr io.Writer, signals <-chan os.Signal) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "tp-driver:", err)
		return exitUsage
	}
	if o.version {
		if err := version.Get().Write(os.Stdout, "tp-driver"); err != nil {
			return exitFailure
		}
		return exitOK
	}
	log := newLogger(o, stderr)
	cfg, err := config.LoadDriverConfig(o.configPath)
	if err != nil {
		log.Error("configuration rejected", "file", o.configPath, "err", err)
		return exitUsage
	}

	media, err := startMediaDriver(o, cfg, log)
	if err != nil {
		log.Error("media driver unavailable", "err", err)
		return exitFailure
	}
	defer func() {
		if err := media.Close(); err != nil {
			log.Warn("media driver close", "err", err)
		}
	}()
	client, err := aeron.Connect(aeron.Config{Dir: media.Dir(), IdleStrategy: agent.NewBackoff(),
		ErrorHandler: func(err error) { log.Warn("aeron client", "err", err) }})
	if err != nil {
		log.Error("connecting to the media driver", "dir", media.Dir(), "err", err)
		return exitFailure
	}
	defer client.Close()

	// The adds end with the media driver's answer, or fail at its driver timeout.
	a, err := driver.NewAgent(context.Background(), cfg, client, log)
	if err != nil {
		log.Error("driver setup failed", "err", err)
		return exitFailure
	}
	runner := agent.NewRunner(a, agent.RunnerConfig{Idle: agent.NewBackoff()})
	if err := runner.Start(); err != nil {
		log.Error("starting the driver agent", "err", err)
		return exitFailure
	}
	status := supervise(a, client, cfg, signals, log)
	if err := runner.Close(); err != nil {
		log.Error("stopping the driver agent", "err", err)
		status = exitFailure
	}
	log.Info("tp-driver exiting", "status", status)
	return status
}

// startMediaDriver picks the external driver (flag, $TP_AERON_DIR, config)
// or launches the embedded one.
func startMediaDriver(o options, cfg *config.DriverConfig, log *slog.Logger) (*mediadriver.Driver, error) {
	dir := o.aeronDir
	if dir == "" {
		dir = os.Getenv("TP_AERON_DIR")
	}
	if dir == "" {
		dir = cfg.Driver.AeronDir
	}
	if dir != "" {
		log.Info("using external media driver", "dir", dir)
		return mediadriver.External(dir, 10*time.Second)
	}
	var out strings.Builder
	d, err := mediadriver.Start(mediadriver.Config{Output: &out})
	if err != nil {
		return nil, fmt.Errorf("%w (output: %s)", err, strings.TrimSpace(out.String()))
	}
	log.Info("embedded media driver started", "dir", d.Dir(), "pid", d.Pid())
	return d, nil
}

// supervise waits for the driver to stop, by a shutdown request or after a
// signal started its drain, and watches the media driver meanwhile.
func supervise(a *driver.Agent, client *aeron.Client, cfg *config.DriverConfig, signals <-chan os.Signal, log *slog.Logger) int {
	health := time.NewTicker(250 * time.Millisecond)
	defer health.Stop()
	var drainDeadline <-chan time.Time
	for {
		select {
		case <-a.Done():
			return exitOK
		case sig := <-signals:
			if drainDeadline != nil {
				log.Warn("second signal: stopping now", "signal", sig)
				return exitOK
			}
			log.Info("signal received: draining", "signal", sig, "timeout", cfg.Policies.ShutdownTimeout())
			a.Shutdown()
			drainDeadline = time.After(cfg.Policies.ShutdownTimeout() + 5*time.Second)
		case <-drainDeadline:
			log.Error("driver did not stop within the shutdown timeout; closing")
			return exitFailure
		case <-health.C:
			if err := client.Err(); err != nil {
				log.Error("lost the media driver", "err", err)
				return exitFailure
			}
		}
	}
}

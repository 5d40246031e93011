// Command tp-driver runs the tensorpool SHM driver (Driver Model spec v1.0):
// it owns the SHM backing files of the configured streams and leases them to
// producers and consumers over the Aeron control stream.
//
// Usage:
//
//	tp-driver [--config driver.toml] [--aeron-dir DIR] [--metrics-addr HOST:PORT]
//	          [--log-level info] [--log-format text]
//	tp-driver --version
//
// Without --config the built-in configuration serves (config.Builtin; see
// tp-driver -h). The Aeron directory is --aeron-dir, else $AERON_DIR, else
// $TP_AERON_DIR, else driver.aeron_dir, else Aeron's default
// /dev/shm/aeron-$USER; a media driver running there is used, else tp-driver
// starts the Java one there, in its own process group, and stops it last.
//
// SIGINT or SIGTERM drains the driver: new attaches are refused, and after
// policies.shutdown_timeout_ms every lease is revoked and ShmDriverShutdown
// is sent; then the media driver tp-driver started is stopped. A second
// signal stops at once. The exit status is 0 after a clean stop (by signal or
// by an authorised ShmDriverShutdownRequest), 1 on a runtime failure (another
// driver already runs on the base directory or control stream, the media
// driver was lost) and 2 on a usage or configuration error.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
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
	version     bool
	configPath  string
	aeronDir    string
	metricsAddr string
	logLevel    slog.Level
	logFormat   string
}

const usageText = `tp-driver runs the tensorpool SHM driver.

Usage: tp-driver [--config FILE] [flags]

Without --config the built-in configuration serves:
  control and announce   aeron:ipc stream 1000 (clients send descriptors on 1100)
  streams                created on attach (publishMode EXISTING_OR_CREATE), ids 1-999
  profile "default"      64 header slots; pools of 64 KiB and 1 MiB slots (~68 MiB an epoch)
  shm.base_dir           /dev/shm/tensorpool, removed on exit
  leases                 keepalive every 1 s, expire after 3 s
Scalar keys can be overridden from the environment, with a file or without
(e.g. SHM_BASE_DIR, DRIVER_CONTROL_STREAM_ID, POLICIES_SHUTDOWN_TOKEN); see
config/examples/ for files.

The Aeron directory is --aeron-dir, else $AERON_DIR, else $TP_AERON_DIR, else
driver.aeron_dir, else /dev/shm/aeron-$USER. A media driver running there is
used; else tp-driver starts the Java one there and stops it when it exits.

SIGINT/SIGTERM drain and stop the driver (exit 0); a second signal stops it at
once. Only one tp-driver may run per shm.base_dir, and per control stream of a
media driver.

Flags:
`

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("tp-driver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.configPath, "config", "", "driver configuration (TOML; see config/examples/); default: the built-in one")
	fs.StringVar(&o.aeronDir, "aeron-dir", "", "Aeron directory (default $AERON_DIR, $TP_AERON_DIR, driver.aeron_dir, /dev/shm/aeron-$USER)")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "serve the driver's metrics in Prometheus format at http://HOST:PORT/metrics")
	fs.TextVar(&o.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json (every line, the media driver's output included)")
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
	cfg, source, err := loadConfig(o.configPath)
	if err != nil {
		log.Error("configuration rejected", "file", source, "err", err)
		return exitUsage
	}

	dir := aeronDir(o, cfg)
	// One driver per control stream of a media driver: two would both answer
	// every attach. The lock lives beside the Aeron directory, which the media
	// driver owns (and deletes).
	lock, err := driver.AcquireLock(controlLockPath(dir, cfg), fmt.Sprintf("control stream %s %d of the media driver in %s",
		cfg.Driver.ControlChannel, cfg.Driver.ControlStreamID, dir), driver.LockOwner{Pid: os.Getpid(), Instance: cfg.Driver.InstanceID, Since: time.Now()})
	if err != nil {
		log.Error("another driver serves this control stream", "err", err)
		return exitFailure
	}
	defer lock.Release()

	media, err := mediadriver.StartOrUse(mediadriver.Config{Dir: dir, Output: &lineLogger{log: log}})
	if err != nil {
		log.Error("media driver unavailable", "dir", dir, "err", err)
		return exitFailure
	}
	if media.Embedded() {
		log.Info("media driver started", "dir", dir, "pid", media.Pid())
	} else {
		log.Info("using the running media driver", "dir", dir)
	}
	// The media driver stops last: after the drain has sent ShmDriverShutdown.
	defer func() {
		if err := media.Close(); err != nil {
			log.Warn("media driver close", "err", err)
		}
	}()
	client, err := aeron.Connect(aeron.Config{Dir: dir, IdleStrategy: agent.NewBackoff(),
		ErrorHandler: func(err error) { log.Warn("aeron client", "err", err) }})
	if err != nil {
		log.Error("connecting to the media driver", "dir", dir, "err", err)
		return exitFailure
	}
	defer client.Close()

	// The adds end with the media driver's answer, or fail at its driver timeout.
	a, err := driver.NewAgent(context.Background(), cfg, client, log)
	if err != nil {
		log.Error("driver setup failed", "config", source, "err", err)
		return exitFailure
	}
	runner := agent.NewRunner(a, agent.RunnerConfig{Idle: agent.NewBackoff()})
	if err := runner.Start(); err != nil {
		log.Error("starting the driver agent", "err", err)
		return exitFailure
	}
	status := exitOK
	if o.metricsAddr != "" {
		stop, err := serveMetrics(o.metricsAddr, a.Metrics(), log)
		if err != nil {
			log.Error("serving metrics", "addr", o.metricsAddr, "err", err)
			status = exitFailure
		} else {
			defer stop()
		}
	}
	if status == exitOK {
		status = supervise(a, client, cfg, signals, log)
	}
	if err := runner.Close(); err != nil {
		log.Error("stopping the driver agent", "err", err)
		status = exitFailure
	}
	log.Info("tp-driver exiting", "status", status)
	return status
}

// loadConfig reads the file at path, or the built-in configuration when
// path is empty; both take environment overrides. source names it for logs.
func loadConfig(path string) (*config.DriverConfig, string, error) {
	if path == "" {
		cfg, err := config.Builtin(os.LookupEnv)
		return cfg, "(built-in)", err
	}
	cfg, err := config.LoadDriverConfig(path)
	return cfg, path, err
}

// aeronDir picks the Aeron directory: the flag, $AERON_DIR (Aeron's own
// variable), $TP_AERON_DIR (its alias), driver.aeron_dir, then Aeron's
// default.
func aeronDir(o options, cfg *config.DriverConfig) string {
	for _, dir := range []string{o.aeronDir, os.Getenv("AERON_DIR"), os.Getenv(mediadriver.EnvDir), cfg.Driver.AeronDir} {
		if dir != "" {
			return filepath.Clean(dir)
		}
	}
	return aeron.DefaultDir()
}

// controlLockPath is the lock file of a control stream of the media driver
// in dir: beside the directory, named after it and the stream. IPC streams
// are told apart by stream id alone (an IPC subscription matches any IPC
// channel of its stream); other channels by the channel too.
func controlLockPath(dir string, cfg *config.DriverConfig) string {
	key := fmt.Sprintf("ipc-%d", cfg.Driver.ControlStreamID)
	if !strings.HasPrefix(cfg.Driver.ControlChannel, "aeron:ipc") {
		key = fmt.Sprintf("%d-%08x", cfg.Driver.ControlStreamID, fnv32(cfg.Driver.ControlChannel))
	}
	return dir + ".tp-driver-" + key + ".lock"
}

// fnv32 is the FNV-1a hash of s.
func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
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
				log.Warn("second signal: stopping now", "signal", sig.String())
				return exitOK
			}
			log.Info("signal received: draining", "signal", sig.String(), "timeout", cfg.Policies.ShutdownTimeout())
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

// lineLogger logs what the media driver prints, a record per line, so every
// line tp-driver writes is in the chosen log format. The driver's output
// comes from one goroutine.
type lineLogger struct {
	log     *slog.Logger
	partial []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := strings.TrimRight(string(l.partial[:i]), "\r"); line != "" {
			l.log.Info("media driver output", "line", line)
		}
		l.partial = l.partial[i+1:]
	}
}

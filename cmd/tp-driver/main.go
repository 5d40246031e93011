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
// tp-driver -h). A [discovery] table in the configuration runs a discovery
// provider on the same duty cycle. `tp run driver` is the same command. The Aeron directory is --aeron-dir, else $AERON_DIR, else
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
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/tensorpool/tensorpool/cmd/internal/role"
	"github.com/tensorpool/tensorpool/internal/version"
)

const (
	exitOK      = role.ExitOK
	exitFailure = role.ExitFailure
	exitUsage   = role.ExitUsage
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

A [discovery] table in the file also runs a discovery provider beside the
driver (Discovery spec; config/examples/driver.toml has one).

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
	return o, role.CheckLogFormat(o.logFormat)
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
	return role.RunDriver(role.Options{ConfigPath: o.configPath, AeronDir: o.aeronDir, MetricsAddr: o.metricsAddr,
		LogLevel: o.logLevel, LogFormat: o.logFormat}, stderr, signals)
}

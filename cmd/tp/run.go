package main

import (
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tensorpool/tensorpool/cmd/internal/role"
)

// runRole is one role `tp run` runs: a row of runRoles.
type runRole struct {
	name, short, long, example string
	run                        func(o role.Options, stderr io.Writer, signals <-chan os.Signal) int
}

// runRoles are the roles `tp run ROLE` runs, one row each.
var runRoles = []runRole{
	{name: "driver", short: "The SHM driver: owns the SHM and leases it to producers and consumers (what tp-driver runs)",
		long: `driver runs the SHM driver (Driver Model spec), exactly as tp-driver does: the
configuration of --config, else the built-in one (tp-driver --help lists it).
A [discovery] table in the configuration also runs a discovery provider beside
the driver. SIGINT/SIGTERM drain it: attaches are refused, leases revoked and
ShmDriverShutdown sent after policies.shutdown_timeout_ms; a second signal
stops it at once.`,
		example: `  tp run driver
  tp run driver --config config/examples/driver.toml --metrics-addr 127.0.0.1:9101`,
		run: role.RunDriver},
	{name: "supervisor", short: "The supervisor: watches producers and consumers and rate-limits consumers that fall behind",
		long: `supervisor runs the supervisor (Wire spec §10.5) of the [supervisor] table of
--config; without one, the defaults, watching every stream of the control
stream aeron:ipc?term-length=4m 1000 with QoS on 1200. It keeps a live view of
producers and consumers (rates, lag, drops, liveness), moves a consumer that
falls behind to RATE_LIMITED at the max_rate_hz its ConsumerHello declared and
restores it once it keeps up, never flapping, and assigns per-consumer streams
where no driver does. --metrics-addr serves the view to Prometheus (per
consumer: lag, drops, rate-limited) beside its Aeron counters (type ids
1060-1069). config/examples/roles/supervisor.toml explains every key.`,
		example: `  tp run supervisor
  tp run supervisor --config config/examples/roles/supervisor.toml --metrics-addr 127.0.0.1:9102`,
		run: role.RunSupervisor},
	{name: "discovery", short: "A discovery provider: answers which streams one driver serves (standalone)",
		long: `discovery runs a standalone discovery provider (Discovery spec) of the
[discovery] table of --config; without one, a provider for the built-in
tp-driver (announces and control on stream 1000) answering requests on
aeron:ipc?term-length=4m stream 7000. Keys the table leaves out default to the
file's [driver] table. To run one inside the driver's process instead, put the
[discovery] table in the driver's configuration.
config/examples/roles/discovery.toml explains every key.`,
		example: `  tp run discovery
  tp run discovery --config config/examples/roles/discovery.toml`,
		run: role.RunDiscovery},
	{name: "registry", short: "A discovery registry: answers which streams several drivers serve, and where to attach",
		long: `registry runs a discovery registry (Discovery spec §8) of the
[discovery_registry] table of --config (required): one request endpoint
answering for every driver of its [[discovery_registry.endpoints]], each result
naming the driver whose control endpoint a client then attaches through.
config/examples/roles/registry.toml explains every key.`,
		example: `  tp run registry --config config/examples/roles/registry.toml`,
		run:     role.RunRegistry},
	{name: "bridge", short: "A UDP bridge: carries SHM streams to another host over Aeron UDP and re-materialises them there",
		long: `bridge runs the bridge instance (Bridge spec v1.0) of --config (required):
for each [[mappings]] entry its sender half reads the source stream's frames
from local SHM and sends them as BridgeFrameChunks on payload_channel, and its
receiver half assembles them and writes them into the destination stream, of
which it is the exclusive producer on the local SHM driver (dest_stream_id 0:
one taken from dest_stream_id_range). bridge.role = "sender" or "receiver"
runs one half; each host runs the half it needs. An incomplete frame is
dropped after assembly_timeout_ms, never published. It stops with exit 1 if a
destination is held by another producer. --metrics-addr serves its counts
(Aeron counters 1080-1089). config/examples/roles/bridge.toml explains every key.`,
		example: `  tp run bridge --config config/examples/roles/bridge.toml --metrics-addr 127.0.0.1:9103`,
		run:     role.RunBridge},
	{name: "ratelimiter", short: "A rate limiter: republishes a stream's frames at most at a rate, on another stream",
		long: `ratelimiter runs the rate limiter instance (RateLimiter spec v1.0) of
--config (required): for each [[mappings]] entry it consumes the source stream
and republishes at most max_rate_hz frames a second (the mapping's, else the
instance's; a consumer's ConsumerHello.max_rate_hz on the destination overrides
both) on the destination stream, of which it is the exclusive producer, with
the source's sequence numbers, timestamps and metadata. When a rate slot opens
it sends the newest frame. --metrics-addr serves its counts (Aeron counters
1090-1099). config/examples/roles/ratelimiter.toml explains every key.`,
		example: `  tp run ratelimiter --config config/examples/roles/ratelimiter.toml`,
		run:     role.RunRateLimiter},
}

func newRunCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run ROLE",
		Short: "Run a tensorpool role in the foreground: " + roleNames(),
		Long: `run runs one tensorpool role in the foreground until SIGINT or SIGTERM (exit 0).
It uses the media driver in the Aeron directory (--aeron-dir, else $AERON_DIR,
else $TP_AERON_DIR, else the configuration's, else /dev/shm/aeron-$USER), or
starts one there and stops it last. One instance of a role serves an endpoint:
a second one refuses to start (exit 1), naming the first. A bad configuration
exits 2, naming the key.`,
		Args: cobra.NoArgs,
	}
	for _, r := range runRoles {
		cmd.AddCommand(newRunRoleCommand(r))
	}
	return cmd
}

func roleNames() string {
	s := ""
	for i, r := range runRoles {
		if i > 0 {
			s += ", "
		}
		s += r.name
	}
	return s
}

func newRunRoleCommand(r runRole) *cobra.Command {
	o := role.Options{LogLevel: slog.LevelInfo}
	cmd := &cobra.Command{
		Use:     r.name + " [--config FILE] [flags]",
		Short:   r.short,
		Long:    r.long,
		Example: r.example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := role.CheckLogFormat(o.LogFormat); err != nil {
				return usageError(err)
			}
			signals := make(chan os.Signal, 2)
			signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
			defer signal.Stop(signals)
			if status := r.run(o, cmd.ErrOrStderr(), signals); status != exitOK {
				return &exitError{code: status} // the role logged why
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ConfigPath, "config", "", "configuration file (TOML)")
	f.StringVar(&o.AeronDir, "aeron-dir", "", "Aeron directory (default $AERON_DIR, $TP_AERON_DIR, the configuration's, /dev/shm/aeron-$USER)")
	f.StringVar(&o.MetricsAddr, "metrics-addr", "", "serve the role's metrics in Prometheus format at http://HOST:PORT/metrics")
	f.TextVar(&o.LogLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	f.StringVar(&o.LogFormat, "log-format", "text", "log format: text or json (every line, the media driver's output included)")
	return cmd
}

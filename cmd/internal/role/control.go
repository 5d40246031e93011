package role

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/discovery"
	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/agents/supervisor"
	"github.com/tensorpool/tensorpool/config"
)

// controlRole is a role that watches and describes the system: an agent on a process of
// its own, answering on one endpoint that only one instance may serve.
type controlRole struct {
	name string
	// load reads the configuration and returns what the run needs of it: the endpoint
	// the instance serves (its lock), the Aeron directory the configuration names, and
	// the agent to host.
	load func(o Options, log *slog.Logger) (endpoint, error)
}

type endpoint struct {
	what       string // for the lock and the logs, e.g. "discovery requests aeron:ipc 7000"
	channel    string
	streamID   uint32
	instance   string
	configured string // aeron dir from the configuration, "" for none
	// build makes the agent and its metrics once the process exists.
	build func(p *process.Process) (agent.Agent, metricSource)
}

// RunSupervisor runs the supervisor of the [supervisor] table of o.ConfigPath (with none,
// its defaults watching every stream) until SIGINT or SIGTERM.
func RunSupervisor(o Options, stderr io.Writer, signals <-chan os.Signal) int {
	return runControl(o, stderr, signals, controlRole{name: "supervisor", load: func(o Options, log *slog.Logger) (endpoint, error) {
		cfg := config.DefaultSupervisor()
		cfg.StreamID = 0
		if o.ConfigPath != "" {
			loaded, err := config.LoadSupervisorConfig(o.ConfigPath)
			if err != nil {
				return endpoint{}, err
			}
			cfg = *loaded
		}
		return endpoint{what: fmt.Sprintf("supervisor of control stream %s %d", cfg.AeronURI, cfg.ControlStreamID),
			channel: cfg.AeronURI, streamID: cfg.ControlStreamID, instance: "supervisor", configured: cfg.AeronDir,
			build: func(p *process.Process) (agent.Agent, metricSource) {
				a := supervisor.New(cfg, log, nil)
				return a, supervisorMetrics(a, p)
			}}, nil
	}})
}

// RunDiscovery runs a standalone discovery provider of the [discovery] table of
// o.ConfigPath (with none, one for the driver defaults: the built-in tp-driver's) until
// SIGINT or SIGTERM.
func RunDiscovery(o Options, stderr io.Writer, signals <-chan os.Signal) int {
	return runControl(o, stderr, signals, controlRole{name: "discovery", load: func(o Options, log *slog.Logger) (endpoint, error) {
		cfg := config.DiscoveryFor(config.Default().Driver)
		if o.ConfigPath != "" {
			loaded, err := config.LoadDiscoveryConfig(o.ConfigPath)
			if err != nil {
				return endpoint{}, err
			}
			cfg = *loaded
		}
		svc := discoveryConfigFor(discovery.ProviderConfig(&cfg), log)
		return serviceEndpoint("discovery requests", svc), nil
	}})
}

// RunRegistry runs the discovery registry of the [discovery_registry] table of
// o.ConfigPath (required) until SIGINT or SIGTERM.
func RunRegistry(o Options, stderr io.Writer, signals <-chan os.Signal) int {
	return runControl(o, stderr, signals, controlRole{name: "registry", load: func(o Options, log *slog.Logger) (endpoint, error) {
		if o.ConfigPath == "" {
			return endpoint{}, fmt.Errorf("a registry needs --config: the drivers it aggregates are [[discovery_registry.endpoints]]")
		}
		cfg, err := config.LoadRegistryConfig(o.ConfigPath)
		if err != nil {
			return endpoint{}, err
		}
		host, _ := os.Hostname()
		svc := discoveryConfigFor(discovery.RegistryConfig(cfg, host), log)
		return serviceEndpoint("discovery registry requests", svc), nil
	}})
}

func discoveryConfigFor(c discovery.Config, log *slog.Logger) discovery.Config {
	c.Log = log
	return c
}

func serviceEndpoint(what string, c discovery.Config) endpoint {
	return endpoint{what: fmt.Sprintf("%s %s %d", what, c.Channel, c.StreamID), channel: c.Channel, streamID: c.StreamID, instance: c.Instance,
		build: func(*process.Process) (agent.Agent, metricSource) {
			s := discovery.New(c)
			return s, discoveryMetrics(s.Metrics())
		}}
}

// runControl runs a control role: configuration, lock, media driver, one process, metrics,
// then waits for a signal (exit 0) or the loss of the media driver (exit 1).
func runControl(o Options, stderr io.Writer, signals <-chan os.Signal, r controlRole) int {
	log := NewLogger(o, stderr)
	ep, err := r.load(o, log)
	if err != nil {
		log.Error("configuration rejected", "file", o.ConfigPath, "err", err)
		return ExitUsage
	}
	dir := AeronDir(o.AeronDir, ep.configured)
	// One instance per endpoint: two would both answer every request.
	lock, err := driver.AcquireLock(LockPath(dir, r.name, ep.channel, ep.streamID), ep.what+" of the media driver in "+dir,
		driver.LockOwner{Pid: os.Getpid(), Instance: ep.instance, Since: time.Now()})
	if err != nil {
		log.Error("another instance serves this endpoint", "err", err)
		return ExitFailure
	}
	defer lock.Release()
	media, client, status := connect(dir, log)
	if status != ExitOK {
		return status
	}
	defer closeMedia(media, log)
	defer client.Close()

	proc := process.New(client, process.Config{Idle: agent.NewBackoff()})
	a, metrics := ep.build(proc)
	if err := proc.Add(a); err != nil {
		log.Error("starting the agent", "err", err)
		return ExitFailure
	}
	proc.Start()
	if o.MetricsAddr != "" {
		stop, err := serveMetrics(o.MetricsAddr, []metricSource{metrics}, log)
		if err != nil {
			log.Error("serving metrics", "addr", o.MetricsAddr, "err", err)
			status = ExitFailure
		} else {
			defer stop()
		}
	}
	if status == ExitOK {
		status = waitForStop(client.Err, signals, log)
	}
	if err := proc.Close(); err != nil {
		log.Error("stopping the agent", "err", err)
		status = ExitFailure
	}
	log.Info("exiting", "status", status)
	return status
}

// waitForStop returns on a signal (a clean stop) or when the media driver is lost.
func waitForStop(clientErr func() error, signals <-chan os.Signal, log *slog.Logger) int {
	health := time.NewTicker(250 * time.Millisecond)
	defer health.Stop()
	for {
		select {
		case sig := <-signals:
			log.Info("signal received: stopping", "signal", sig.String())
			return ExitOK
		case <-health.C:
			if err := clientErr(); err != nil {
				log.Error("lost the media driver", "err", err)
				return ExitFailure
			}
		}
	}
}

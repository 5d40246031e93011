package role

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/discovery"
	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/backend"
)

// RunDriver runs the SHM driver of the configuration at o.ConfigPath (the built-in one
// when empty) until SIGINT or SIGTERM on signals, or an authorised
// ShmDriverShutdownRequest: it takes the control stream's lock (one driver per control
// stream of a media driver), uses or starts the media driver, runs the driver agent, and
// a discovery provider beside it when the configuration has a [discovery] table, on one
// duty cycle. A first signal drains (new attaches refused, leases revoked and
// ShmDriverShutdown sent after policies.shutdown_timeout_ms); a second stops at once.
// The media driver it started is stopped last. Logs go to stderr.
func RunDriver(o Options, stderr io.Writer, signals <-chan os.Signal) int {
	log := NewLogger(o, stderr)
	cfg, source, err := loadDriverConfig(o.ConfigPath)
	if err != nil {
		log.Error("configuration rejected", "file", source, "err", err)
		return ExitUsage
	}

	dir := AeronDir(o.AeronDir, cfg.Driver.AeronDir)
	// One driver per control stream of a media driver: two would both answer every
	// attach. The lock lives beside the Aeron directory, which the media driver owns (and
	// deletes).
	lock, err := driver.AcquireLock(LockPath(dir, "driver", cfg.Driver.ControlChannel, cfg.Driver.ControlStreamID),
		fmt.Sprintf("control stream %s %d of the media driver in %s", cfg.Driver.ControlChannel, cfg.Driver.ControlStreamID, dir),
		driver.LockOwner{Pid: os.Getpid(), Instance: cfg.Driver.InstanceID, Since: time.Now()})
	if err != nil {
		log.Error("another driver serves this control stream", "err", err)
		return ExitFailure
	}
	defer lock.Release()

	media, client, status := connect(dir, log)
	if status != ExitOK {
		return status
	}
	// The media driver stops last: after the drain has sent ShmDriverShutdown.
	defer closeMedia(media, log)
	defer client.Close()

	// The adds end with the media driver's answer, or fail at its driver timeout.
	a, err := driver.NewAgent(context.Background(), cfg, client, log)
	if err != nil {
		log.Error("driver setup failed", "config", source, "err", err)
		return ExitFailure
	}
	proc := process.New(client, process.Config{Idle: agent.NewBackoff()})
	sources := []metricSource{driverMetrics(a.Metrics())}
	if err := proc.Add(a); err != nil {
		log.Error("starting the driver agent", "err", err)
		return ExitFailure
	}
	if cfg.Discovery != nil {
		d := discoveryConfigFor(discovery.ProviderConfig(cfg.Discovery), log)
		svc := discovery.New(d)
		if err := proc.Add(svc); err != nil {
			log.Error("starting the discovery provider", "err", err)
			return ExitFailure
		}
		sources = append(sources, discoveryMetrics(svc.Metrics()))
	}
	proc.Start()
	status = ExitOK
	if o.MetricsAddr != "" {
		stop, err := serveMetrics(o.MetricsAddr, sources, log)
		if err != nil {
			log.Error("serving metrics", "addr", o.MetricsAddr, "err", err)
			status = ExitFailure
		} else {
			defer stop()
		}
	}
	if status == ExitOK {
		status = serveDriver(a, client, cfg, signals, log)
	}
	if err := proc.Close(); err != nil {
		log.Error("stopping the driver agent", "err", err)
		status = ExitFailure
	}
	log.Info("tp-driver exiting", "status", status)
	return status
}

// loadDriverConfig reads the file at path, or the built-in configuration when path is
// empty; both take environment overrides. source names it for logs.
func loadDriverConfig(path string) (*config.DriverConfig, string, error) {
	if path == "" {
		cfg, err := config.Builtin(os.LookupEnv)
		return cfg, "(built-in)", err
	}
	cfg, err := config.LoadDriverConfig(path)
	return cfg, path, err
}

// connect uses the media driver running in dir, or starts one there in its own process
// group, and connects an Aeron client to it.
func connect(dir string, log *slog.Logger) (*mediadriver.Driver, transport.Client, int) {
	media, err := mediadriver.StartOrUse(mediadriver.Config{Dir: dir, Output: &lineLogger{log: log}})
	if err != nil {
		log.Error("media driver unavailable", "dir", dir, "err", err)
		return nil, nil, ExitFailure
	}
	if media.Embedded() {
		log.Info("media driver started", "dir", dir, "pid", media.Pid())
	} else {
		log.Info("using the running media driver", "dir", dir)
	}
	client, err := backend.Connect(backend.Config{Dir: dir, IdleStrategy: agent.NewBackoff(),
		ErrorHandler: func(err error) { log.Warn("aeron client", "err", err) }})
	if err != nil {
		log.Error("connecting to the media driver", "dir", dir, "err", err)
		closeMedia(media, log)
		return nil, nil, ExitFailure
	}
	return media, client, ExitOK
}

func closeMedia(media *mediadriver.Driver, log *slog.Logger) {
	if err := media.Close(); err != nil {
		log.Warn("media driver close", "err", err)
	}
}

// serveDriver waits for the driver to stop, by a shutdown request or after a signal
// started its drain, and watches the media driver meanwhile.
func serveDriver(a *driver.Agent, client transport.Client, cfg *config.DriverConfig, signals <-chan os.Signal, log *slog.Logger) int {
	health := time.NewTicker(250 * time.Millisecond)
	defer health.Stop()
	var drainDeadline <-chan time.Time
	for {
		select {
		case <-a.Done():
			return ExitOK
		case sig := <-signals:
			if drainDeadline != nil {
				log.Warn("second signal: stopping now", "signal", sig.String())
				return ExitOK
			}
			log.Info("signal received: draining", "signal", sig.String(), "timeout", cfg.Policies.ShutdownTimeout())
			a.Shutdown()
			drainDeadline = time.After(cfg.Policies.ShutdownTimeout() + 5*time.Second)
		case <-drainDeadline:
			log.Error("driver did not stop within the shutdown timeout; closing")
			return ExitFailure
		case <-health.C:
			if err := client.Err(); err != nil {
				log.Error("lost the media driver", "err", err)
				return ExitFailure
			}
		}
	}
}

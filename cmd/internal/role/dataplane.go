package role

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/bridge"
	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/agents/ratelimiter"
	"github.com/tensorpool/tensorpool/config"
)

// dataRole is a role that moves frames from source streams into destination streams it
// produces (the bridge, the rate limiter): hosted on a process of its own, one instance
// per instance id on a media driver.
type dataRole struct {
	name       string
	instance   string
	configured string // aeron dir from the configuration, "" for none
	add        func(p *process.Process) error
	// detach gives the destinations' leases back; detached reports when they are (duty
	// cycle).
	detach   func(p *process.Process) error
	detached func() bool
	// err is the role's first asynchronous failure (a destination another producer
	// holds, a channel the media driver refused): it stops the process.
	err func() error
	// mappings describes each mapping's state, a line each, for the log.
	mappings func(p *process.Process) ([]string, error)
	metrics  metricSource
}

// RunBridge runs the bridge instance of o.ConfigPath (required; Bridge spec §10) until
// SIGINT or SIGTERM.
func RunBridge(o Options, stderr io.Writer, signals <-chan os.Signal) int {
	log := NewLogger(o, stderr)
	if o.ConfigPath == "" {
		log.Error("configuration rejected", "err", "a bridge needs --config: its channels and [[mappings]]")
		return ExitUsage
	}
	cfg, err := config.LoadBridgeConfig(o.ConfigPath)
	if err != nil {
		log.Error("configuration rejected", "file", o.ConfigPath, "err", err)
		return ExitUsage
	}
	b, err := bridge.New(cfg, bridge.Options{OnError: func(err error) { log.Error("bridge failure", "err", err) }})
	if err != nil {
		log.Error("configuration rejected", "file", o.ConfigPath, "err", err)
		return ExitUsage
	}
	return runData(o, log, signals, dataRole{
		name: "bridge", instance: cfg.Bridge.InstanceID, configured: cfg.Bridge.AeronDir,
		add: b.Add, detach: b.Detach, detached: b.Detached, err: b.Err,
		mappings: func(p *process.Process) ([]string, error) {
			st, err := b.Status(p)
			lines := make([]string, len(st))
			for i, s := range st {
				lines[i] = fmt.Sprintf("mapping %d→%d: destination %s, source epoch %d, local epochs %d", s.SourceStreamID, s.DestStreamID, s.Dest, s.SourceEpoch, s.LocalEpochs)
			}
			return lines, err
		},
		metrics: func() []sample { return infoSamples(b.Each) },
	})
}

// RunRateLimiter runs the rate limiter instance of o.ConfigPath (required; RateLimiter
// spec §8) until SIGINT or SIGTERM.
func RunRateLimiter(o Options, stderr io.Writer, signals <-chan os.Signal) int {
	log := NewLogger(o, stderr)
	if o.ConfigPath == "" {
		log.Error("configuration rejected", "err", "a rate limiter needs --config: its descriptor stream and [[mappings]]")
		return ExitUsage
	}
	cfg, err := config.LoadRateLimiterConfig(o.ConfigPath)
	if err != nil {
		log.Error("configuration rejected", "file", o.ConfigPath, "err", err)
		return ExitUsage
	}
	rl, err := ratelimiter.New(cfg, ratelimiter.Options{OnError: func(err error) { log.Error("rate limiter failure", "err", err) }})
	if err != nil {
		log.Error("configuration rejected", "file", o.ConfigPath, "err", err)
		return ExitUsage
	}
	return runData(o, log, signals, dataRole{
		name: "ratelimiter", instance: cfg.RateLimiter.InstanceID, configured: cfg.RateLimiter.AeronDir,
		add: rl.Add, detach: rl.Detach, detached: rl.Detached, err: rl.Err,
		mappings: func(p *process.Process) ([]string, error) {
			st, err := rl.Status(p)
			lines := make([]string, len(st))
			for i, s := range st {
				lines[i] = fmt.Sprintf("mapping %d→%d: destination %s, rate %d Hz, local epochs %d", s.SourceStreamID, s.DestStreamID, s.Dest, s.RateHz, s.LocalEpochs)
			}
			return lines, err
		},
		metrics: func() []sample { return infoSamples(rl.Each) },
	})
}

// detachTimeout bounds how long a stopping role waits for its destinations' leases to be
// given back; past it they expire at the driver.
const detachTimeout = 2 * time.Second

// runData runs a data role: lock, media driver, one process, metrics, then waits for a
// signal (exit 0), the role's failure or the loss of the media driver (exit 1). It logs
// each mapping's state as it changes.
func runData(o Options, log *slog.Logger, signals <-chan os.Signal, r dataRole) int {
	dir := AeronDir(o.AeronDir, r.configured)
	// One instance per instance id: two would both claim its destinations.
	lock, err := driver.AcquireLock(fmt.Sprintf("%s.tp-%s-%08x.lock", dir, r.name, fnv32(r.instance)),
		fmt.Sprintf("%s instance %q of the media driver in %s", r.name, r.instance, dir),
		driver.LockOwner{Pid: os.Getpid(), Instance: r.instance, Since: time.Now()})
	if err != nil {
		log.Error("another instance runs", "err", err)
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
	if err := r.add(proc); err != nil {
		log.Error("starting the "+r.name, "err", err)
		return ExitFailure
	}
	proc.Start()
	log.Info(r.name+" running", "instance", r.instance)
	if o.MetricsAddr != "" {
		stop, err := serveMetrics(o.MetricsAddr, []metricSource{r.metrics}, log)
		if err != nil {
			log.Error("serving metrics", "addr", o.MetricsAddr, "err", err)
			status = ExitFailure
		} else {
			defer stop()
		}
	}
	if status == ExitOK {
		status = watchData(proc, client.Err, signals, r, log)
	}
	// Leave the destinations free at once rather than at their leases' expiry.
	if err := r.detach(proc); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), detachTimeout)
		if err := proc.Wait(ctx, r.detached); err != nil {
			log.Warn("destinations not detached; their leases expire at the driver", "err", err)
		}
		cancel()
	}
	if err := proc.Close(); err != nil {
		log.Error("stopping the "+r.name, "err", err)
		status = ExitFailure
	}
	log.Info("exiting", "status", status)
	return status
}

// watchData returns on a signal (a clean stop), the role's failure or the loss of the
// media driver, logging the mappings' states as they change meanwhile.
func watchData(proc *process.Process, clientErr func() error, signals <-chan os.Signal, r dataRole, log *slog.Logger) int {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var last []string
	for {
		select {
		case sig := <-signals:
			log.Info("signal received: stopping", "signal", sig.String())
			return ExitOK
		case <-tick.C:
			if err := clientErr(); err != nil {
				log.Error("lost the media driver", "err", err)
				return ExitFailure
			}
			if err := r.err(); err != nil {
				log.Error(r.name+" failed: stopping", "err", err)
				return ExitFailure
			}
			lines, err := r.mappings(proc)
			if err != nil {
				continue
			}
			for i, l := range lines {
				if i >= len(last) || last[i] != l {
					log.Info(l)
				}
			}
			last = lines
		}
	}
}

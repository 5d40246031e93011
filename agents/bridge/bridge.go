package bridge

import (
	"fmt"
	"sync"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/internal/remat"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/internal/metrics"
)

// Options are what a Bridge needs besides its configuration.
type Options struct {
	// OnError receives the bridge's asynchronous failures (a refused publication, a
	// destination another producer holds), on the duty cycle; nil drops them (Err keeps the
	// first).
	OnError func(error)
}

// Bridge is one bridge instance: the sender and receiver halves its role runs, for every
// mapping of its configuration, as agents of one process (package process).
type Bridge struct {
	cfg      *config.BridgeConfig
	opts     Options
	metrics  Metrics
	counters *metrics.Publisher
	sender   *sender
	receiver *receiver
	hosted   *hosted

	errMu sync.Mutex
	err   error
}

// New makes the bridge a validated configuration describes; Add hosts it in a process.
func New(cfg *config.BridgeConfig, opts Options) (*Bridge, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &Bridge{cfg: cfg, opts: opts}
	ids := remat.ClientIDs(cfg.Bridge.ClientID)
	var err error
	if cfg.Bridge.Role.Sends() {
		if b.sender, err = newSender(cfg, &b.metrics, ids, b.report); err != nil {
			return nil, err
		}
	}
	if cfg.Bridge.Role.Receives() {
		if b.receiver, err = newReceiver(cfg, &b.metrics, ids, b.report); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (b *Bridge) report(err error) {
	b.errMu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.errMu.Unlock()
	if b.opts.OnError != nil {
		b.opts.OnError(err)
	}
}

// Err is the first asynchronous failure, nil while there is none. Any goroutine.
func (b *Bridge) Err() error {
	b.errMu.Lock()
	defer b.errMu.Unlock()
	return b.err
}

// Metrics are the bridge's counts. Any goroutine may read them.
func (b *Bridge) Metrics() *Metrics { return &b.metrics }

// Each calls fn with every metric and its value (for exporters).
func (b *Bridge) Each(fn func(info metrics.Info, value uint64)) { b.metrics.Each(fn) }

// Add hosts the bridge in p: its halves run on p's duty cycle from the next cycle on.
func (b *Bridge) Add(p *process.Process) error {
	b.hosted = &hosted{b: b}
	return p.Add(b.hosted)
}

// Remove stops hosting the bridge in p (process.Process.Remove): its subscriptions,
// publications and leases close; Detach first to give the leases back at once.
func (b *Bridge) Remove(p *process.Process) (done <-chan struct{}, err error) {
	return p.Remove(b.hosted)
}

// hosted runs a Bridge's halves and its Aeron counters as one agent.
type hosted struct {
	b *Bridge
}

func (h *hosted) OnStart(p *process.Process) {
	b := h.b
	b.counters = metrics.Publish(p.Transport(), b.metrics.list(), "bridge", b.cfg.Bridge.InstanceID, metrics.Key(b.cfg.Bridge.PayloadStreamID, b.cfg.Bridge.InstanceID))
	if b.sender != nil {
		b.sender.OnStart(p)
	}
	if b.receiver != nil {
		b.receiver.OnStart(p)
	}
}

func (h *hosted) DoWork(now clock.Mono) int {
	b := h.b
	work := b.counters.Poll()
	if err := b.counters.Err(); err != nil {
		b.report(fmt.Errorf("bridge: %w", err))
	}
	if b.sender != nil {
		work += b.sender.DoWork(now)
	}
	if b.receiver != nil {
		work += b.receiver.DoWork(now)
	}
	return work
}

func (h *hosted) OnClose() {
	b := h.b
	if b.sender != nil {
		b.sender.OnClose()
	}
	if b.receiver != nil {
		b.receiver.OnClose()
	}
	b.counters.Close()
}

func (h *hosted) RoleName() string { return "tp-bridge:" + h.b.cfg.Bridge.InstanceID }

var (
	_ agent.Agent     = (*hosted)(nil)
	_ process.Starter = (*hosted)(nil)
)

// MappingStatus is one mapping's state on the receiving side.
type MappingStatus struct {
	SourceStreamID uint32
	// DestStreamID is the destination stream: configured, or taken from the range (0
	// until one is).
	DestStreamID uint32
	// Dest is the destination's state ("idle" until the mapping's first announce,
	// "attaching", "ready", "renewing", "failed").
	Dest string
	// DestErr is why the destination failed, or the last problem it met.
	DestErr error
	// LocalEpochs counts the local epochs mapped; SourceEpoch is the source epoch of the
	// latest forwarded announce.
	LocalEpochs uint64
	SourceEpoch uint64
	// Verdicts counts what became of the mapping's chunks and frames.
	Verdicts [VerdictCount]uint64
}

// Status is the state of every mapping's receiving side, in configuration order (none
// for a sender-only bridge). It runs on the duty cycle (p.Do) and waits for it.
func (b *Bridge) Status(p *process.Process) ([]MappingStatus, error) {
	if b.receiver == nil {
		return nil, nil
	}
	out := make(chan []MappingStatus, 1)
	if err := p.Do(func() {
		var st []MappingStatus
		for _, mp := range b.receiver.mappings {
			s := MappingStatus{SourceStreamID: mp.m.SourceStreamID, Dest: mp.dest.State().String(), DestErr: mp.dest.Err(),
				LocalEpochs: mp.dest.Epochs(), Verdicts: mp.asm.Counts()}
			if mp.dest.State() != remat.Idle {
				s.DestStreamID = mp.dest.StreamID()
			}
			s.SourceEpoch, _ = mp.asm.Epoch()
			st = append(st, s)
		}
		out <- st
	}); err != nil {
		return nil, err
	}
	if !p.Running() {
		p.DoWork()
	}
	return <-out, nil
}

// Detach gives every destination's lease back (on the duty cycle); Detached reports
// once they are. Call it before closing the process to leave the destination streams free at
// once rather than at their leases' expiry.
func (b *Bridge) Detach(p *process.Process) error {
	return p.Do(func() {
		if b.receiver != nil {
			for _, mp := range b.receiver.mappings {
				mp.dest.Detach(clock.Now())
			}
		}
	})
}

// Detached reports whether every destination gave its lease back after Detach. Duty
// cycle (inside p.Wait's condition).
func (b *Bridge) Detached() bool {
	if b.receiver == nil {
		return true
	}
	for _, mp := range b.receiver.mappings {
		if !mp.dest.Done() {
			return false
		}
	}
	return true
}

func (b *Bridge) String() string {
	return fmt.Sprintf("bridge %s (%s, %d mappings)", b.cfg.Bridge.InstanceID, b.cfg.Bridge.Role, len(b.cfg.Mappings))
}

package tp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// Options configure Connect. Zero values pick the defaults.
type Options struct {
	// AeronDir is the aeron.dir of a running media driver. Empty starts an embedded one
	// for this Client (or uses $TP_AERON_DIR when set), stopped by Close.
	AeronDir string
	// Driver, when set, runs the SHM driver inside this process with that configuration,
	// stopped by Close; the control and announce streams and AllowedBaseDirs then default
	// to the driver's. Without it a driver (tp-driver) must already run.
	Driver *config.DriverConfig
	// ControlChannel and ControlStreamID are the driver's control stream (attach,
	// keepalive, revoke).
	ControlChannel  string
	ControlStreamID int32
	// AnnounceChannel and AnnounceStreamID carry the driver's ShmPoolAnnounce; default the
	// control stream.
	AnnounceChannel  string
	AnnounceStreamID int32
	// DescriptorChannel and DescriptorStreamID carry FrameDescriptors from producers to
	// consumers; default "aeron:ipc" and 1100 (the reference's defaults).
	DescriptorChannel  string
	DescriptorStreamID int32
	// AllowedBaseDirs are the only directories regions are mapped from (Wire §15.21a.5).
	AllowedBaseDirs []string
	// KeepaliveInterval paces lease keepalives; default the in-process driver's interval,
	// else 1 s (Driver spec §4.4).
	KeepaliveInterval time.Duration
	// ClientID is the first driver client id this Client uses; each producer and consumer
	// takes the next one. By default ids come from one counter per process that starts
	// from the process id, so neither two Clients nor two processes share one.
	ClientID uint32
	// QosChannel and QosStreamID carry QosProducer and QosConsumer (Wire spec §10.4), sent
	// every QosInterval (default 1 s); with no channel none are sent.
	QosChannel  string
	QosStreamID int32
	QosInterval time.Duration
	// MetadataChannel and MetadataStreamID carry a producer's DataSourceAnnounce and
	// DataSourceMeta (Wire spec §10.3); with no channel none are sent.
	MetadataChannel  string
	MetadataStreamID int32
	// Consumer is how consumers introduce themselves (ConsumerHello, Wire spec §10.1.2).
	Consumer ConsumerOptions
	// Logger receives the in-process driver's logs and the Aeron client's asynchronous
	// errors; default discards them (a transport failure still ends the Client's
	// operations with an error).
	Logger *slog.Logger
	// Transport, when set, is the transport the Client uses instead of connecting to
	// AeronDir (an in-memory one in tests, another backend); the Client does not close it.
	// If it leaves its conductor to its caller, the Client's duty cycle runs it.
	Transport transport.Client
	// Invoker leaves the Client's duty cycle (the control plane, the leases, the timers of
	// every producer and consumer) to the caller, who calls DoWork regularly, at least
	// every KeepaliveInterval/10, from one goroutine; otherwise a goroutine of the Client
	// runs it. Offer, Claim, Commit and Poll never run it.
	Invoker bool
}

// ConsumerOptions are the consumer side of ConsumerHello (Wire spec §10.1.2, §11).
type ConsumerOptions struct {
	// Mode is STREAM (default) or RATE_LIMITED; in RATE_LIMITED mode with MaxRateHz set
	// the consumer thins frames to that rate.
	Mode      wire.Mode
	MaxRateHz uint32
	// Per-consumer stream requests: a channel and a nonzero stream id, or neither. The
	// driver assigns the stream ids from its ranges (Driver spec §11; the id asked for is
	// only a request); the consumer then reads frames from its descriptor stream, capped
	// by the producer at MaxRateHz in RATE_LIMITED mode, and FrameProgress from its
	// control stream. Without a range configured the driver declines, and frames keep
	// arriving on the shared streams.
	DescriptorChannel  string
	DescriptorStreamID uint32
	ControlChannel     string
	ControlStreamID    uint32
	// Progress opts in to FrameProgress (Wire spec §10.2.2): the hello says so, and the
	// newest valid progress is kept for Consumer.Progress.
	Progress bool
	// FreshnessNs bounds the age of announces and of the regions' activity timestamp;
	// default 3 s.
	FreshnessNs int64
}

// Client is a connection to Aeron (and, optionally, an in-process SHM driver) from which
// producers and consumers are made. Its methods are safe for concurrent use.
type Client struct {
	opts      Options
	media     *mediadriver.Driver // nil when the media driver is external
	transport transport.Client
	// ownsTransport: the Client connected it and closes it.
	ownsTransport bool
	// proc runs the Client's agents: the transport's conductor, the control plane, and
	// the control side of every producer and consumer.
	proc   *process.Process
	log    *slog.Logger
	runner *agent.Runner // the in-process SHM driver, if any
	nextID atomic.Uint32
	// requests numbers Detach requests (correlationID).
	requests atomic.Int64

	mu      sync.Mutex
	closed  bool
	closers map[closer]struct{}
}

type closer interface{ Close() error }

// Connect connects to the media driver (starting an embedded one if Options.AeronDir is
// empty) and, if Options.Driver is set, starts the SHM driver in this process. A deadline
// on ctx also bounds the wait for the media driver (Aeron's driver timeout otherwise).
func Connect(ctx context.Context, o Options) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{opts: o, closers: map[closer]struct{}{}}
	c.nextID.Store(o.ClientID)
	dir := o.AeronDir
	if dir == "" {
		var out strings.Builder
		if c.media, err = mediadriver.Launch(mediadriver.Config{Output: &out}); err != nil {
			return nil, fmt.Errorf("tp: media driver: %w (output: %s)", err, strings.TrimSpace(out.String()))
		}
		dir = c.media.Dir()
	}
	// A deadline on ctx bounds the wait for the media driver too.
	var wait time.Duration
	if deadline, ok := ctx.Deadline(); ok {
		wait = max(time.Until(deadline), time.Millisecond)
	}
	c.log = o.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.transport = o.Transport; c.transport == nil {
		onError := func(err error) { c.log.Warn("aeron client", "err", err) }
		ac, err := aeron.Connect(aeron.Config{Dir: dir, ConnectTimeout: wait, UseInvoker: true, ErrorHandler: onError})
		if err != nil {
			c.stopMedia()
			return nil, fmt.Errorf("tp: connecting to the media driver in %s: %w", dir, err)
		}
		c.transport, c.ownsTransport = ac, true
	}
	c.proc = process.New(c.transport, process.Config{Hub: controlplane.Config{OnError: func(err error) { c.log.Warn("control plane", "err", err) }}})
	if !o.Invoker {
		c.proc.Start()
	}
	if o.Driver != nil {
		if o.Invoker {
			c.closeRuntime()
			return nil, fmt.Errorf("%w: an in-process Driver needs the Client's own duty cycle, not Invoker", ErrInvalidOptions)
		}
		a, err := driver.NewAgent(ctx, o.Driver, c.transport, c.log)
		if err != nil {
			c.closeRuntime()
			return nil, fmt.Errorf("tp: SHM driver: %w", err)
		}
		c.runner = agent.NewRunner(a, agent.RunnerConfig{Idle: agent.NewBackoff()})
		if err := c.runner.Start(); err != nil {
			a.OnClose()
			c.closeRuntime()
			return nil, fmt.Errorf("tp: SHM driver: %w", err)
		}
	}
	return c, nil
}

func (o Options) withDefaults() (Options, error) {
	if d := o.Driver; d != nil {
		if o.ControlChannel == "" {
			o.ControlChannel, o.ControlStreamID = d.Driver.ControlChannel, int32(d.Driver.ControlStreamID)
		}
		if o.AnnounceChannel == "" {
			o.AnnounceChannel, o.AnnounceStreamID = d.Driver.AnnounceChannel, int32(d.Driver.AnnounceStreamID)
		}
		if len(o.AllowedBaseDirs) == 0 {
			o.AllowedBaseDirs = d.Shm.AllowedBaseDirs
		}
		if o.KeepaliveInterval == 0 {
			o.KeepaliveInterval = d.Policies.KeepaliveInterval()
		}
	}
	if o.ControlChannel == "" || o.ControlStreamID == 0 {
		return o, fmt.Errorf("%w: ControlChannel and ControlStreamID are required without an in-process Driver", ErrInvalidOptions)
	}
	if o.AnnounceChannel == "" {
		o.AnnounceChannel, o.AnnounceStreamID = o.ControlChannel, o.ControlStreamID
	}
	if o.DescriptorChannel == "" {
		o.DescriptorChannel = "aeron:ipc"
	}
	if o.DescriptorStreamID == 0 {
		o.DescriptorStreamID = 1100
	}
	if len(o.AllowedBaseDirs) == 0 {
		return o, fmt.Errorf("%w: AllowedBaseDirs is required without an in-process Driver", ErrInvalidOptions)
	}
	if o.KeepaliveInterval <= 0 {
		o.KeepaliveInterval = time.Second
	}
	if o.QosInterval <= 0 {
		o.QosInterval = time.Second
	}
	switch o.Consumer.Mode {
	case 0:
		o.Consumer.Mode = wire.ModeStream
	case wire.ModeStream, wire.ModeRateLimited:
	default:
		return o, fmt.Errorf("%w: Consumer.Mode %d is neither STREAM nor RATE_LIMITED", ErrInvalidOptions, o.Consumer.Mode)
	}
	return o, nil
}

// usable fails once Close has begun.
func (c *Client) usable() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	return nil
}

// processIDs numbers the driver clients of this process when Options.ClientID is 0: the
// pid in the upper bits, a counter below (the driver refuses a second lease per id).
var processIDs = sync.OnceValue(func() *atomic.Uint32 {
	var n atomic.Uint32
	n.Store(uint32(os.Getpid()) << 10)
	return &n
})

// clientID hands out driver client ids, never 0 (reserved).
func (c *Client) clientID() uint32 {
	for {
		var id uint32
		if c.opts.ClientID != 0 {
			id = c.nextID.Add(1) - 1
		} else {
			id = processIDs().Add(1)
		}
		if id != 0 {
			return id
		}
	}
}

func (c *Client) track(x closer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.closers[x] = struct{}{}
	return nil
}

func (c *Client) untrack(x closer) {
	c.mu.Lock()
	delete(c.closers, x)
	c.mu.Unlock()
}

// Close closes the producers and consumers still open, then the in-process SHM driver
// (which removes its files when configured to), the Aeron client and an embedded media
// driver.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	open := make([]closer, 0, len(c.closers))
	for x := range c.closers {
		open = append(open, x)
	}
	c.mu.Unlock()
	var errs []error
	for _, x := range open {
		errs = append(errs, x.Close())
	}
	if c.runner != nil {
		errs = append(errs, c.runner.Close())
	}
	errs = append(errs, c.closeRuntime())
	return errors.Join(errs...)
}

// closeRuntime stops the duty cycle, then closes the transport the Client connected and
// stops an embedded media driver.
func (c *Client) closeRuntime() error {
	errs := []error{c.proc.Close()}
	if c.ownsTransport {
		errs = append(errs, c.transport.Close())
	}
	errs = append(errs, c.stopMedia())
	return errors.Join(errs...)
}

// DoWork runs one duty cycle of the Client: the transport's conductor (when the Client
// connected it), the control plane, the leases and the timers of every producer and
// consumer. With Options.Invoker the caller must call it regularly; otherwise it does
// nothing and returns 0. It returns the work done, for an idle strategy.
func (c *Client) DoWork() int {
	if !c.opts.Invoker {
		return 0
	}
	return c.proc.DoWork()
}

// wait blocks until cond, evaluated on the duty cycle, holds or ctx ends; in invoker
// mode it runs the duty cycle meanwhile. For the control path only.
func (c *Client) wait(ctx context.Context, cond func() bool) error {
	return c.proc.Wait(ctx, cond)
}

// await waits for an add until the media driver answers or ctx ends, running the duty
// cycle meanwhile in invoker mode. For the control path only.
func await[T any](ctx context.Context, c *Client, p transport.Pending[T]) (T, error) {
	var v T
	err := transport.ErrPending
	if werr := c.wait(ctx, func() bool {
		v, err = p.Poll()
		return !errors.Is(err, transport.ErrPending)
	}); werr != nil {
		p.Cancel()
		return v, werr
	}
	return v, err
}

func (c *Client) stopMedia() error {
	if c.media == nil {
		return nil
	}
	return c.media.Close()
}

// StreamSpec is one stream of LocalDriverConfig: its slot count (a power of two) and the
// payload pool strides (powers of two, multiples of the page size), smallest first.
type StreamSpec struct {
	StreamID uint32
	Slots    uint32
	Strides  []uint32
}

// LocalDriverConfig is a driver configuration for an in-process driver (Options.Driver):
// files under baseDir, removed on exit, control and announce on IPC stream
// controlStreamID, and the given streams.
func LocalDriverConfig(baseDir string, controlStreamID int32, streams ...StreamSpec) (*config.DriverConfig, error) {
	cfg := config.Default()
	cfg.Driver.InstanceID = fmt.Sprintf("tp-%d", os.Getpid())
	cfg.Driver.ControlChannel, cfg.Driver.ControlStreamID = "aeron:ipc", uint32(controlStreamID)
	cfg.Driver.AnnounceChannel, cfg.Driver.AnnounceStreamID = "aeron:ipc", uint32(controlStreamID)
	cfg.Shm.BaseDir = baseDir
	cfg.Policies.CleanupShmOnExit = true
	for i, s := range streams {
		p := config.Profile{Name: fmt.Sprintf("p%d", i), HeaderNslots: s.Slots}
		for j, stride := range s.Strides {
			p.PayloadPools = append(p.PayloadPools, config.PayloadPool{PoolID: uint16(j + 1), StrideBytes: stride})
		}
		cfg.Profiles[p.Name] = p
		cfg.Streams[fmt.Sprintf("s%d", i)] = config.Stream{StreamID: s.StreamID, Profile: p.Name}
		if i == 0 {
			cfg.Policies.DefaultProfile = p.Name
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	return cfg, nil
}

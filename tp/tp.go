package tp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/backend"
	"github.com/tensorpool/tensorpool/wire"
)

// Options configure Connect. Zero values pick the defaults.
type Options struct {
	// AeronDir is the aeron.dir of the running media driver; default Aeron's own:
	// $AERON_DIR, else /dev/shm/aeron-$USER ($TP_AERON_DIR is read as an alias of
	// $AERON_DIR). To run the media driver and the SHM driver inside this process
	// instead, see package tp/local.
	AeronDir string
	// ControlChannel and ControlStreamID are the SHM driver's control stream (attach,
	// keepalive, revoke); default "aeron:ipc" and 1000, tp-driver's defaults.
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
	// AllowedBaseDirs are the only directories regions are mapped from (Wire §15.21a.5);
	// default $TP_SHM_BASE_DIRS (colon-separated, as the C library reads it), else the SHM
	// driver's default base directory, shm.DefaultBaseDir.
	AllowedBaseDirs []string
	// KeepaliveInterval paces lease keepalives; default 1 s (Driver spec §4.4).
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
	// Logger receives what happens to the Client's leases, with the role, stream and
	// client named: grants and reattaches (Info), losses with their reason and refused
	// attaches (Warn; a refusal's repeats at Debug), detaches, the epochs a producer maps
	// and what it cannot map; and the Aeron client's and the control plane's asynchronous
	// errors. The default discards them (a transport failure still ends the Client's
	// operations with an error).
	Logger *slog.Logger
	// Transport, when set, is the transport the Client uses instead of connecting to
	// AeronDir (an in-memory one in tests, another backend); the Client does not close it.
	// If it leaves its conductor to its caller, the Client's duty cycle runs it.
	Transport transport.Client
	// WireVersion is the wire spec version this Client's producers and driver clients
	// speak: the layout of their FrameDescriptors, FrameProgress and attach requests
	// (wire.Version); default wire.V1_1. Consumers and the driver read either version,
	// whatever this says; a producer speaking V1_2 carries trace ids
	// (Claim.SetTraceID) and leaves the slot index to the consumers (Wire spec v1.2).
	WireVersion wire.Version
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

// Client is a connection to Aeron and an SHM driver from which producers and consumers
// are made. Its methods are safe for concurrent use.
type Client struct {
	opts Options
	// transport is the transport the Client uses now (transportNow); Reconnect replaces
	// it, on the duty cycle.
	transport atomic.Pointer[transport.Client]
	// ownsTransport: the Client connected it and closes it (and may Reconnect).
	ownsTransport bool
	// proc runs the Client's agents: the transport's conductor, the control plane, and
	// the control side of every producer and consumer.
	proc   *process.Process
	log    *slog.Logger
	nextID atomic.Uint32
	// requests numbers Detach requests from requestSeed, drawn at random (correlationID).
	requests    atomic.Int64
	requestSeed uint32

	// terminal is the Client's terminal error (ErrAeronLost wrapping the transport's),
	// set once by its transportWatch.
	terminal atomic.Pointer[error]

	mu      sync.Mutex
	closed  bool
	closers map[closer]struct{}

	// reconnecting serialises Reconnect, and Close after it.
	reconnecting sync.Mutex
	// retired are the dead transports Reconnect replaced, each closed by the transport
	// watch once nothing can touch it any more (closeRetired). The duty cycle's.
	retired []retiredTransport
}

// retiredTransport is a dead transport waiting to be closed.
type retiredTransport struct {
	t       transport.Client
	closeAt clock.Mono
}

// transportNow is the transport the Client uses now. It takes no lock.
func (c *Client) transportNow() transport.Client { return *c.transport.Load() }

// Err is nil while the Client is usable, else its terminal error, which wraps
// ErrAeronLost and the transport's own: the media driver was lost, or timed this process
// out (a pause past its client liveness timeout). Producers and consumers then fail with
// it too; nothing reattaches until Reconnect (or Close the Client and Connect again).
func (c *Client) Err() error {
	if err := c.terminal.Load(); err != nil {
		return *err
	}
	return nil
}

// transportWatch is the agent that notices the transport's death, on the duty cycle.
type transportWatch struct {
	c    *Client
	next clock.Mono
}

// transportCheckInterval paces transportWatch (Err takes the transport's lock).
const transportCheckInterval = 50 * time.Millisecond

func (w *transportWatch) DoWork(now clock.Mono) int {
	work := w.c.closeRetired(now, false)
	if now.Before(w.next) || w.c.terminal.Load() != nil {
		return work
	}
	w.next = now.Add(transportCheckInterval)
	err := w.c.transportNow().Err()
	if err == nil {
		return work
	}
	w.c.lost(err)
	return work + 1
}

// lost makes the transport's error err the Client's terminal error, once: whoever sees the
// transport dead first (its watch, or a producer's failed publication) logs it at ERROR
// (the C error handler's TP_ERR_AERON) before any caller is told. It returns the terminal
// error.
func (c *Client) lost(err error) error {
	terminal := fmt.Errorf("%w: %w", ErrAeronLost, err)
	if c.terminal.CompareAndSwap(nil, &terminal) {
		c.log.Error("aeron client lost: producers and consumers stop until the client reconnects", "aeron_dir", c.opts.AeronDir, "err", err)
		return terminal
	}
	return *c.terminal.Load()
}

func (w *transportWatch) OnClose()         {}
func (w *transportWatch) RoleName() string { return "tp-transport-watch" }

type closer interface{ Close() error }

// Connect connects to the media driver in Options.AeronDir (Aeron's default directory
// unless set) and starts the Client's duty cycle. A deadline on ctx also bounds the wait
// for the media driver (Aeron's driver timeout otherwise).
func Connect(ctx context.Context, o Options) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{opts: o, closers: map[closer]struct{}{}, requestSeed: rand.Uint32()}
	c.nextID.Store(o.ClientID)
	// A deadline on ctx bounds the wait for the media driver too.
	var wait time.Duration
	if deadline, ok := ctx.Deadline(); ok {
		wait = max(time.Until(deadline), time.Millisecond)
	}
	c.log = o.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	t := o.Transport
	if t == nil {
		if t, err = c.dial(wait); err != nil {
			return nil, fmt.Errorf("tp: connecting to the media driver in %s: %w", o.AeronDir, err)
		}
		c.ownsTransport = true
	}
	c.transport.Store(&t)
	c.proc = process.New(t, process.Config{Hub: controlplane.Config{
		OnError:    func(err error) { c.log.Warn("control plane", "err", err) },
		Untethered: true,
	}})
	if err := c.proc.Add(&transportWatch{c: c}); err != nil {
		return nil, errors.Join(err, c.closeRuntime())
	}
	if !o.Invoker {
		c.proc.Start()
	}
	return c, nil
}

// dial connects a transport to the media driver in Options.AeronDir, waiting up to wait
// for an active one (Aeron's driver timeout when 0).
func (c *Client) dial(wait time.Duration) (transport.Client, error) {
	onError := func(err error) { c.log.Warn("aeron client", "err", err) }
	return backend.Connect(backend.Config{Dir: c.opts.AeronDir, ConnectTimeout: wait, UseInvoker: true, ErrorHandler: onError})
}

// Reconnect brings a Client whose transport died (Err wraps ErrAeronLost) back: it
// connects a new Aeron client to the media driver in Options.AeronDir (a new one started
// there after the old one died), moves the duty cycle, the control plane and every
// producer and consumer of this Client onto it, and clears Err. The producers and
// consumers keep their handles: each attaches to the SHM driver afresh, as after a
// driver restart (a new lease, a new epoch), and its frame path says ErrNotAttached (or
// ErrNotReady) until then, never waiting. A claim open across Reconnect belongs to the
// dead epoch: its Commit fails and the frame is lost. The Client's other handles (QoS
// monitors, metadata caches, discovery clients, driver requests) stay on the dead
// transport: close them and make them again.
//
// Reconnect waits for an active media driver until ctx's deadline (Aeron's driver
// timeout, 10 s, without one), like Connect; without one it fails with an error wrapping
// ErrAeronLost and the media driver's error, and the Client stays as it was, to be
// reconnected again. On a Client whose transport lives it does nothing and returns nil
// (so goroutines that each saw ErrAeronLost may all call it); on one made with
// Options.Transport it fails with ErrInvalidOptions (the Client cannot make another),
// and after Close with ErrClosed. It is safe for concurrent use; calls are serialised.
// The dead Aeron client is closed once nothing can touch its memory any more: after
// Aeron's resource linger (3 s).
func (c *Client) Reconnect(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.reconnecting.Lock()
	defer c.reconnecting.Unlock()
	if err := c.usable(); !errors.Is(err, ErrAeronLost) {
		return err // nil while the transport lives, or ErrClosed
	}
	if !c.ownsTransport {
		return fmt.Errorf("%w: the Client was given its transport (Options.Transport) and cannot make another: close it and Connect again", ErrInvalidOptions)
	}
	var wait time.Duration
	if deadline, ok := ctx.Deadline(); ok {
		wait = max(time.Until(deadline), time.Millisecond)
	}
	began := time.Now()
	t, err := c.dial(wait)
	if err != nil {
		return fmt.Errorf("%w: reconnecting to the media driver in %s: %w", ErrAeronLost, c.opts.AeronDir, err)
	}
	// The move runs on the duty cycle, whatever ctx does meanwhile: once queued it must
	// complete (or the Client closes, and Close waits for this call).
	moved := false
	if err := c.wait(context.Background(), func() bool {
		if !moved {
			moved = true
			old := c.proc.Rebind(t)
			c.retired = append(c.retired, retiredTransport{t: old, closeAt: clock.Now().Add(aeron.DefaultResourceLinger)})
			c.transport.Store(&t)
			c.terminal.Store(nil)
		}
		return true
	}); err != nil && !moved {
		return errors.Join(ErrClosed, t.Close())
	}
	c.log.Info("aeron client reconnected: producers and consumers attach again", "aeron_dir", c.opts.AeronDir, "took", time.Since(began))
	return nil
}

// closeRetired closes the dead transports Reconnect replaced once their linger has
// passed (all of them with all set, when the duty cycle has stopped). It returns the
// work done.
func (c *Client) closeRetired(now clock.Mono, all bool) int {
	kept := c.retired[:0]
	work := 0
	for _, r := range c.retired {
		if !all && now.Before(r.closeAt) {
			kept = append(kept, r)
			continue
		}
		if err := r.t.Close(); err != nil {
			c.log.Warn("closing the dead aeron client", "err", err)
		}
		work++
	}
	clear(c.retired[len(kept):])
	c.retired = kept
	return work
}

// DefaultControlStreamID is tp-driver's default control stream id (on aeron:ipc), and
// DefaultDescriptorStreamID the reference's default descriptor stream id.
const (
	DefaultControlStreamID    = 1000
	DefaultDescriptorStreamID = 1100
)

func (o Options) withDefaults() (Options, error) {
	if o.AeronDir == "" {
		if dir := os.Getenv("TP_AERON_DIR"); dir != "" && os.Getenv("AERON_DIR") == "" {
			o.AeronDir = dir
		} else {
			o.AeronDir = aeron.DefaultDir()
		}
	}
	if o.ControlChannel == "" {
		o.ControlChannel = "aeron:ipc"
	}
	if o.ControlStreamID == 0 {
		o.ControlStreamID = DefaultControlStreamID
	}
	if o.AnnounceChannel == "" {
		o.AnnounceChannel, o.AnnounceStreamID = o.ControlChannel, o.ControlStreamID
	}
	if o.DescriptorChannel == "" {
		o.DescriptorChannel = "aeron:ipc"
	}
	if o.DescriptorStreamID == 0 {
		o.DescriptorStreamID = DefaultDescriptorStreamID
	}
	if len(o.AllowedBaseDirs) == 0 {
		o.AllowedBaseDirs = []string{shm.DefaultBaseDir}
		if env := os.Getenv("TP_SHM_BASE_DIRS"); env != "" {
			o.AllowedBaseDirs = filepath.SplitList(env)
		}
	}
	if o.KeepaliveInterval <= 0 {
		o.KeepaliveInterval = time.Second
	}
	if o.QosInterval <= 0 {
		o.QosInterval = time.Second
	}
	if !o.WireVersion.Valid() {
		return o, fmt.Errorf("%w: WireVersion %v is not a wire spec version this client speaks (1.1, 1.2)", ErrInvalidOptions, o.WireVersion)
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

// usable fails once Close has begun, or with the terminal error (Err).
func (c *Client) usable() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	return c.Err()
}

// processIDs numbers the driver clients of this process when Options.ClientID is 0: the
// pid in the upper bits, a counter below (the driver refuses a second lease per id).
var processIDs = sync.OnceValue(func() *atomic.Uint32 {
	var n atomic.Uint32
	n.Store(uint32(os.Getpid()) << 10)
	return &n
})

// NewClientID is the next driver client id of the sequence this process's Clients draw
// from when Options.ClientID is 0: unique in the process, and across processes while
// pids are. The C library names each client by one.
func NewClientID() uint32 {
	for {
		if id := processIDs().Add(1); id != 0 {
			return id
		}
	}
}

// clientID hands out driver client ids, never 0 (reserved).
func (c *Client) clientID() uint32 {
	if c.opts.ClientID == 0 {
		return NewClientID()
	}
	for {
		if id := c.nextID.Add(1) - 1; id != 0 {
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

// Close closes the producers and consumers still open, then the duty cycle and the Aeron
// client it connected.
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
	c.reconnecting.Lock() // a Reconnect in progress finishes first
	defer c.reconnecting.Unlock()
	errs = append(errs, c.closeRuntime())
	return errors.Join(errs...)
}

// closeRuntime stops the duty cycle, then closes the transport the Client connected and
// the dead ones Reconnect replaced.
func (c *Client) closeRuntime() error {
	errs := []error{c.proc.Close()}
	c.closeRetired(0, true)
	if c.ownsTransport {
		errs = append(errs, c.transportNow().Close())
	}
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

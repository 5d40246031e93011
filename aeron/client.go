// Package aeron is a client of the official Aeron media driver, written from
// the protocol: it talks to the driver through the driver's CnC file exactly
// as the C and Java clients do. Commands go into the to-driver ring buffer;
// responses come from the to-clients broadcast buffer; liveness runs both
// ways through heartbeats (the driver's on the ring buffer, the client's in
// a heartbeat counter the driver allocates for it).
//
// A Client implements transport.Client. Its conductor runs on its own
// goroutine (the default) or in the caller's duty cycle (Config.UseInvoker,
// Client.Conductor). Adds are asynchronous: they send the command and return
// a Pending that the conductor completes when the driver answers, or fails at
// the driver timeout; nothing waits on the driver except Connect.
package aeron

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/aeron/concurrent"
	"github.com/tensorpool/tensorpool/aeron/counters"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
)

// Client defaults (the C client's, aeron_context.c).
const (
	DefaultDriverTimeout     = 10 * time.Second
	DefaultKeepaliveInterval = 500 * time.Millisecond
	DefaultIdleSleep         = 16 * time.Millisecond
	DefaultResourceLinger    = 3 * time.Second
)

// Config configures a client. Zero values pick the defaults.
type Config struct {
	// Dir is the driver's aeron.dir; default $AERON_DIR, then
	// /dev/shm/aeron-<user>.
	Dir string
	// DriverTimeout bounds how long a request waits for the driver's answer,
	// and how stale the driver's heartbeat may get before the client gives up
	// on it.
	DriverTimeout time.Duration
	// ConnectTimeout bounds how long Connect waits for an active driver in
	// Dir; default DriverTimeout.
	ConnectTimeout time.Duration
	// KeepaliveInterval is how often the client heartbeat is written and the
	// driver heartbeat checked.
	KeepaliveInterval time.Duration
	// UseInvoker leaves the conductor to the caller: run Client.Conductor in an
	// agent.Runner or Invoker, at least every KeepaliveInterval.
	UseInvoker bool
	// IdleStrategy is the conductor goroutine's; default sleeping 16ms.
	IdleStrategy agent.IdleStrategy
	// ErrorHandler receives asynchronous errors: driver loss, client
	// timeout, lapped broadcast, malformed responses, a remove the driver
	// refused. The default, nil, drops them: the one that ends the client
	// stays visible through Err, and nothing is printed. It and the image
	// handlers run on the conductor with the client's lock held: they must not
	// call back into the Client.
	ErrorHandler func(error)
	// OnAvailableImage is told about images of this client's subscriptions.
	OnAvailableImage func(ImageInfo)
	// OnUnavailableImage is told when such an image goes away.
	OnUnavailableImage func(UnavailableImageInfo)
	// ResourceLinger is how long a closed publication's log stays mapped,
	// so an append already inside it completes; default 3s. (An image's log
	// needs no timer: it is unmapped once its subscription's poller is past
	// it, see Subscription.Poll.)
	ResourceLinger time.Duration
}

// DefaultDir is $AERON_DIR, else the platform default /dev/shm/aeron-<user>.
func DefaultDir() string {
	if dir := os.Getenv("AERON_DIR"); dir != "" {
		return dir
	}
	name := "default"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return "/dev/shm/aeron-" + name
}

// checkInterval is how often the conductor checks its timers.
const checkInterval = 16 * time.Millisecond

// Client is a connection to one media driver. Its methods are safe for
// concurrent use.
type Client struct {
	cfg       Config
	cncFile   *cnc.File
	proxy     driverProxy
	counters  *counters.Reader
	clientID  int64
	closed    atomic.Bool
	runner    *agent.Runner
	onMessage concurrent.BroadcastHandler
	// lightPoll: processFence works here, so subscriptions use the cheaper
	// busy mark in Poll (see Subscription.pollerDone).
	lightPoll bool

	// mu guards everything below: the conductor state. The duty cycle, adds,
	// removes and polled Pendings take it, briefly; mapped memory is touched
	// only while holding it and only while terminal is nil.
	mu                 sync.Mutex
	toClients          *concurrent.BroadcastReceiver
	terminal           error
	pending            map[int64]*request
	counterByID        map[int64]*Counter
	publicationByID    map[int64]*Publication
	subscriptionByID   map[int64]*Subscription
	lingering          []lingeringLog
	retired            []retiredImage
	heartbeatCounterID int32
	heartbeatAddr      *int64
	sentCommand        bool
	lastService        clock.Mono
	lastKeepalive      clock.Mono
	interService       time.Duration
}

// Connect maps the driver's CnC file, checks the driver is alive, and starts
// the conductor (unless Config.UseInvoker). A missing CnC gives an error
// wrapping cnc.ErrNotFound, a foreign one cnc.ErrCorrupt or cnc.ErrVersion,
// a stale heartbeat ErrDriverInactive.
func Connect(cfg Config) (*Client, error) {
	if cfg.Dir == "" {
		cfg.Dir = DefaultDir()
	}
	if cfg.DriverTimeout <= 0 {
		cfg.DriverTimeout = DefaultDriverTimeout
	}
	if cfg.KeepaliveInterval <= 0 {
		cfg.KeepaliveInterval = DefaultKeepaliveInterval
	}
	if cfg.ResourceLinger <= 0 {
		cfg.ResourceLinger = DefaultResourceLinger
	}
	if cfg.IdleStrategy == nil {
		cfg.IdleStrategy = agent.Sleeping{Period: DefaultIdleSleep}
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = cfg.DriverTimeout
	}
	f, err := cnc.OpenWithin(cfg.Dir, cfg.DriverTimeout, cfg.ConnectTimeout)
	if err != nil {
		return nil, fmt.Errorf("aeron: connect to driver in %s: %w", cfg.Dir, err)
	}
	receiver, err := concurrent.NewBroadcastReceiver(f.ToClients)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("aeron: %s to-clients buffer: %w: %w", f.Path, cnc.ErrCorrupt, err)
	}
	reader, err := counters.NewReader(f.CountersMetadata, f.CountersValues)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("aeron: %s counters buffers: %w: %w", f.Path, cnc.ErrCorrupt, err)
	}
	c := newClient(cfg, f, receiver, reader)
	if !cfg.UseInvoker {
		c.runner = agent.NewRunner(conductorAgent{c}, agent.RunnerConfig{Idle: cfg.IdleStrategy})
		if err := c.runner.Start(); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	return c, nil
}

func newClient(cfg Config, f *cnc.File, receiver *concurrent.BroadcastReceiver, reader *counters.Reader) *Client {
	ring := f.ToDriverRing()
	// The client id comes from the same counter as correlation ids, so it
	// is unique among every client of this driver.
	clientID := ring.NextCorrelationID()
	interService := f.ClientLivenessTimeout
	if interService <= 0 {
		interService = 10 * time.Second
	}
	// Before the service clock starts: a process's first client registers for
	// membarrier(2) here, which waits for an RCU grace period, milliseconds on an idle
	// machine and seconds on an overloaded one; counted as a conductor gap, that wait
	// ended the client at its first timer check.
	lightPoll := asymmetricFenceAvailable()
	now := clock.Now()
	c := &Client{
		cfg:                cfg,
		cncFile:            f,
		proxy:              driverProxy{rb: ring, clientID: clientID},
		counters:           reader,
		clientID:           clientID,
		toClients:          receiver,
		pending:            make(map[int64]*request),
		counterByID:        make(map[int64]*Counter),
		publicationByID:    make(map[int64]*Publication),
		subscriptionByID:   make(map[int64]*Subscription),
		heartbeatCounterID: counters.NullCounterID,
		lastService:        now,
		lastKeepalive:      now,
		interService:       interService,
	}
	c.onMessage = c.onResponse
	c.lightPoll = lightPoll
	return c
}

var _ transport.Client = (*Client)(nil)

// ClientID is this client's id, unique among the driver's clients.
func (c *Client) ClientID() int64 { return c.clientID }

// Dir is the driver directory this client is connected to.
func (c *Client) Dir() string { return c.cfg.Dir }

// DriverTimeout is the configured driver timeout.
func (c *Client) DriverTimeout() time.Duration { return c.cfg.DriverTimeout }

// CountersReader reads all of the driver's counters. It stays valid until
// Close.
func (c *Client) CountersReader() *counters.Reader { return c.counters }

// Err implements transport.Client: nil while the client is usable, otherwise
// why it is not (ErrDriverInactive, ErrClientTimedOut,
// ErrConductorServiceTimeout or ErrClientClosed, wrapped with details).
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.terminal
}

// HeartbeatCounterID is the id of this client's heartbeat counter, or
// counters.NullCounterID until the driver has allocated it (after the
// client's first command).
func (c *Client) HeartbeatCounterID() int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.heartbeatCounterID
}

// BroadcastLappedCount is how often the driver's broadcast lapped this
// client (responses lost because the conductor ran too rarely).
func (c *Client) BroadcastLappedCount() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.toClients.LappedCount()
}

// Conductor implements transport.Client: with Config.UseInvoker, the duty
// cycle the caller runs in its own agent.Runner or agent.Invoker, alone or in
// an agent.Composite with other agents; nil when the client runs it on its own
// goroutine. Closing the runner does not close the client.
func (c *Client) Conductor() agent.Agent {
	if c.cfg.UseInvoker {
		return conductorAgent{c}
	}
	return nil
}

type conductorAgent struct{ c *Client }

func (a conductorAgent) DoWork(now clock.Mono) int { return a.c.doWork(now) }
func (a conductorAgent) OnClose()                  {}
func (a conductorAgent) RoleName() string          { return "aeron-client-conductor" }

func (c *Client) doWork(now clock.Mono) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.serviceLocked(now)
}

// responsesPerCycle bounds the broadcast messages handled per duty cycle so a
// busy driver cannot starve the timers.
const responsesPerCycle = 64

func (c *Client) serviceLocked(now clock.Mono) int {
	if c.terminal != nil {
		return 0
	}
	work := 0
	for i := 0; i < responsesPerCycle && c.terminal == nil; i++ {
		n, err := c.toClients.Receive(c.onMessage)
		if err != nil {
			c.report(fmt.Errorf("aeron: to-clients broadcast: %w", err))
			work++
			continue
		}
		if n == 0 {
			break
		}
		work += n
	}
	if c.terminal == nil {
		work += c.checkTimersLocked(now)
	}
	return work
}

// report hands an asynchronous error to the configured handler, if any.
func (c *Client) report(err error) {
	if c.cfg.ErrorHandler != nil {
		c.cfg.ErrorHandler(err)
	}
}

func (c *Client) checkTimersLocked(now clock.Mono) int {
	if now.Before(c.lastService.Add(checkInterval)) {
		return 0
	}
	if gap := now.Sub(c.lastService); gap > c.interService {
		c.terminateLocked(fmt.Errorf("%w: %v since the last duty cycle, limit %v",
			ErrConductorServiceTimeout, gap, c.interService))
		return 1
	}
	c.lastService = now
	work := c.unmapExpiredLocked(now) + c.unmapRetiredLocked() + c.expireRequestsLocked(now)
	if now.Before(c.lastKeepalive.Add(c.cfg.KeepaliveInterval)) {
		return work
	}
	c.lastKeepalive = now
	c.checkLivenessLocked()
	return work + 1
}

// checkLivenessLocked checks the driver's heartbeat and writes the client's.
func (c *Client) checkLivenessLocked() {
	nowMs := time.Now().UnixMilli()
	driverHeartbeat := c.proxy.rb.ConsumerHeartbeatMs()
	if driverHeartbeat == nullValue {
		c.terminateLocked(fmt.Errorf("%w: the driver in %s has shut down", ErrDriverInactive, c.cfg.Dir))
		return
	}
	if age := nowMs - driverHeartbeat; age > c.cfg.DriverTimeout.Milliseconds() {
		c.terminateLocked(fmt.Errorf("%w: driver heartbeat in %s is %v old, timeout %v",
			ErrDriverInactive, c.cfg.Dir, time.Duration(age)*time.Millisecond, c.cfg.DriverTimeout))
		return
	}

	if c.heartbeatCounterID == counters.NullCounterID {
		// The driver allocates the counter on the client's first command
		// and announces it with ON_COUNTER_READY; scan as a fallback in case
		// that response was lost to lapping.
		if !c.sentCommand {
			return
		}
		c.adoptHeartbeatCounterLocked(c.counters.FindByTypeAndKeyRegistrationID(counters.TypeClientHeartbeatTimestamp, c.clientID))
		if c.heartbeatCounterID == counters.NullCounterID {
			return
		}
	}
	if !c.counters.IsActive(c.heartbeatCounterID, counters.TypeClientHeartbeatTimestamp, c.clientID) {
		c.terminateLocked(fmt.Errorf("%w: heartbeat counter %d was reclaimed by the driver",
			ErrClientTimedOut, c.heartbeatCounterID))
		return
	}
	// The driver reads this word to decide whether the client is alive.
	atomic.StoreInt64(c.heartbeatAddr, nowMs)
}

func (c *Client) adoptHeartbeatCounterLocked(id int32) {
	if !c.counters.IsActive(id, counters.TypeClientHeartbeatTimestamp, c.clientID) {
		return
	}
	c.heartbeatCounterID = id
	c.heartbeatAddr = c.counters.Addr(id)
	atomic.StoreInt64(c.heartbeatAddr, time.Now().UnixMilli())
}

// terminateLocked ends the client: pending requests and later calls fail
// with err, resources are marked closed. The CnC stays mapped until Close.
func (c *Client) terminateLocked(err error) {
	if c.terminal != nil {
		return
	}
	c.terminal = err
	for _, req := range c.pending {
		c.completeLocked(req, err)
	}
	c.closeResourcesLocked()
	if !errors.Is(err, ErrClientClosed) {
		c.report(err)
	}
}

func (c *Client) closeResourcesLocked() {
	for id, counter := range c.counterByID {
		counter.closed.Store(true)
		delete(c.counterByID, id)
	}
	for id, sub := range c.subscriptionByID {
		sub.closeLocked()
		delete(c.subscriptionByID, id)
	}
	for id, pub := range c.publicationByID {
		pub.closeLocked()
		delete(c.publicationByID, id)
	}
}

// lingerLocked schedules a log for unmapping after the linger time: a
// publisher or poller that loaded it before it was closed may still be
// inside it.
func (c *Client) lingerLocked(log *mappedLog) {
	if log != nil {
		c.lingering = append(c.lingering, lingeringLog{log: log, deadline: clock.Now().Add(c.cfg.ResourceLinger)})
	}
}

// retireLocked schedules an image's log for unmapping once sub's poller can
// no longer be reading it (see Subscription.pollerDone); if it already
// cannot, the log is unmapped now.
func (c *Client) retireLocked(sub *Subscription, log *mappedLog, changeNumber int64) {
	if log == nil {
		return
	}
	// The list without the image is published; fencing now orders that
	// before every later load of the poller's state.
	fenced := !sub.lightPoll || processFence()
	c.retired = append(c.retired, retiredImage{sub: sub, log: log, changeNumber: changeNumber, fenced: fenced})
	c.unmapRetiredLocked()
}

func (c *Client) unmapRetiredLocked() int {
	kept := c.retired[:0]
	unmapped := 0
	for _, r := range c.retired {
		if !r.sub.pollerDone(r.changeNumber, r.fenced) {
			kept = append(kept, r)
			continue
		}
		if err := r.log.unmap(); err != nil {
			c.report(fmt.Errorf("aeron: unmap %s: %w", r.log.path, err))
		}
		unmapped++
	}
	clear(c.retired[len(kept):])
	c.retired = kept
	return unmapped
}

type lingeringLog struct {
	log      *mappedLog
	deadline clock.Mono
}

func (c *Client) unmapExpiredLocked(now clock.Mono) int {
	kept := c.lingering[:0]
	unmapped := 0
	for _, l := range c.lingering {
		if now.Before(l.deadline) {
			kept = append(kept, l)
			continue
		}
		if err := l.log.unmap(); err != nil {
			c.report(fmt.Errorf("aeron: unmap %s: %w", l.log.path, err))
		}
		unmapped++
	}
	clear(c.lingering[len(kept):])
	c.lingering = kept
	return unmapped
}

// Close releases everything the client holds in the driver (each resource,
// then the client itself), stops the conductor and unmaps the CnC file and
// every log. Nothing obtained from the client (counters, publications,
// subscriptions, claims, fragments) may be used concurrently with or after
// Close.
func (c *Client) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	var runnerErr error
	if c.runner != nil {
		runnerErr = c.runner.Close()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.terminal == nil {
		// Best effort: the driver releases the client's resources on
		// CLIENT_CLOSE anyway; explicit removes make that immediate.
		for id := range c.publicationByID {
			_, _ = c.proxy.removePublication(id)
		}
		for id := range c.subscriptionByID {
			_, _ = c.proxy.removeSubscription(id)
		}
		for id := range c.counterByID {
			_, _ = c.proxy.removeCounter(id)
		}
		_ = c.proxy.clientClose()
	}
	c.terminateLocked(ErrClientClosed)
	c.heartbeatAddr = nil
	var err error
	for _, l := range c.lingering {
		if uerr := l.log.unmap(); err == nil {
			err = uerr
		}
	}
	c.lingering = nil
	for _, r := range c.retired {
		if uerr := r.log.unmap(); err == nil {
			err = uerr
		}
	}
	c.retired = nil
	if cerr := c.cncFile.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = runnerErr
	}
	return err
}

// onResponse dispatches one broadcast message. The broadcast carries the
// responses for every client of the driver: anything not for this client is
// ignored, and nothing is allocated before that is known.
func (c *Client) onResponse(typeID int32, b []byte) {
	switch typeID {
	case rspOnError:
		c.onError(b)
	case rspOnPublicationReady, rspOnExclusivePublicationReady:
		correlationID, ok := readInt64(b, 0)
		if req := c.pending[correlationID]; ok && req != nil {
			ready, ok := decodePublicationReady(b)
			if !ok {
				c.malformed(typeID, b)
				return
			}
			req.publication = ready
			c.completeLocked(req, nil)
		}
	case rspOnSubscriptionReady:
		correlationID, ok1 := readInt64(b, 0)
		statusID, ok2 := readInt32(b, 8)
		if req := c.pending[correlationID]; ok1 && req != nil {
			if !ok2 {
				c.malformed(typeID, b)
				return
			}
			req.statusID = statusID
			c.completeLocked(req, nil)
		}
	case rspOnOperationSuccess:
		correlationID, ok := readInt64(b, 0)
		if req := c.pending[correlationID]; ok && req != nil {
			c.completeLocked(req, nil)
		}
	case rspOnCounterReady:
		correlationID, ok1 := readInt64(b, 0)
		counterID, ok2 := readInt32(b, 8)
		if !ok1 || !ok2 {
			return
		}
		if correlationID == c.clientID && c.heartbeatCounterID == counters.NullCounterID {
			c.adoptHeartbeatCounterLocked(counterID)
		} else if req := c.pending[correlationID]; req != nil {
			req.counterID = counterID
			c.completeLocked(req, nil)
		}
	case rspOnUnavailableCounter:
		registrationID, ok := readInt64(b, 0)
		if counter := c.counterByID[registrationID]; ok && counter != nil {
			counter.closed.Store(true)
			delete(c.counterByID, registrationID)
		}
	case rspOnClientTimeout:
		if clientID, ok := readInt64(b, 0); ok && clientID == c.clientID {
			c.terminateLocked(fmt.Errorf("%w: ON_CLIENT_TIMEOUT for client %d", ErrClientTimedOut, c.clientID))
		}
	case rspOnAvailableImage:
		subscriptionID, ok := readInt64(b, 16)
		if sub := c.subscriptionByID[subscriptionID]; ok && sub != nil {
			info, ok := decodeAvailableImage(b)
			if !ok {
				c.malformed(typeID, b)
				return
			}
			if err := sub.addImageLocked(info); err != nil {
				c.report(err)
				return
			}
			if c.cfg.OnAvailableImage != nil {
				c.cfg.OnAvailableImage(info)
			}
		}
	case rspOnUnavailableImage:
		subscriptionID, ok := readInt64(b, 8)
		if sub := c.subscriptionByID[subscriptionID]; ok && sub != nil {
			info, ok := decodeUnavailableImage(b)
			if !ok {
				c.malformed(typeID, b)
				return
			}
			if sub.removeImageLocked(info.CorrelationID) && c.cfg.OnUnavailableImage != nil {
				c.cfg.OnUnavailableImage(info)
			}
		}
	}
	// Other types (static counters, publication errors, session ids, and
	// any added by newer drivers) are not used by this client.
}

func (c *Client) onError(b []byte) {
	correlationID, ok1 := readInt64(b, 0)
	req := c.pending[correlationID]
	if !ok1 || req == nil {
		return
	}
	code, ok2 := readInt32(b, 8)
	message, _, ok3 := readString(b, 12)
	if !ok2 || !ok3 {
		c.malformed(rspOnError, b)
		c.completeLocked(req, fmt.Errorf("aeron: %s failed with a malformed ON_ERROR response", req.description))
		return
	}
	c.completeLocked(req, &DriverError{
		Code:          ErrorCode(code),
		Message:       string(message),
		CorrelationID: correlationID,
		Request:       req.description,
	})
}

func (c *Client) malformed(typeID int32, b []byte) {
	c.report(fmt.Errorf("aeron: malformed driver response type 0x%x, %d bytes", typeID, len(b)))
}

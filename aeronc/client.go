//go:build aeronc

package aeronc

/*
#include <stdlib.h>
#include "capi.h"
*/
import "C"

import (
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
)

// Config configures a client. Zero values keep the C client's defaults, which its
// environment variables (AERON_DIR, AERON_DRIVER_TIMEOUT, ...) may set.
type Config struct {
	// Dir is the media driver's aeron.dir; default $AERON_DIR, then the C client's
	// platform default (/dev/shm/aeron-<user> on Linux).
	Dir string
	// Library is libaeron.so's path (or its directory); default $AERON_C_LIBRARY, then
	// DefaultLibrary, then the dynamic loader's search path. A process loads one.
	Library string
	// DriverTimeout bounds Connect's wait for an active driver and each add's wait for
	// the driver's answer, and is how stale the driver's heartbeat may get (C default
	// 10s).
	DriverTimeout time.Duration
	// KeepaliveInterval is how often the client heartbeats (C default 500ms).
	KeepaliveInterval time.Duration
	// ResourceLinger is how long a closed resource's log stays mapped (C default 3s).
	ResourceLinger time.Duration
	// IdleSleep is the C conductor thread's sleep when idle (C default 16ms); unused
	// with UseInvoker.
	IdleSleep time.Duration
	// ClientName is the name the driver shows for this client.
	ClientName string
	// UseInvoker leaves the conductor to the caller: run Client.Conductor in an
	// agent.Runner or Invoker, at least every KeepaliveInterval. Every callback of the C
	// client then runs on the goroutine that runs the conductor. Without it, the C
	// client runs its conductor on a thread of its own (see the package doc).
	UseInvoker bool
	// ErrorHandler receives the C client's asynchronous errors (*Error), including the
	// one that ends the client, which Err reports too once the handler has returned.
	// nil drops them. It must return promptly, not panic, and not call back into the
	// Client.
	ErrorHandler func(error)
}

// Client is a client of a media driver through the Aeron C client; it implements
// transport.Client. Its methods are safe for concurrent use.
type Client struct {
	cfg      Config
	dir      string
	clientID int64
	handle   cgo.Handle

	// mu serializes every call that touches the C client's conductor state: the duty
	// cycle, adds and their polls and cancels, closes. (In invoker mode the C client runs
	// those commands on the calling thread, so they must not overlap the duty cycle.) The
	// data path does not take it.
	mu     sync.Mutex
	aeron  *C.aeron_t
	ctx    *C.aeron_context_t
	closed atomic.Bool // Close was called; set under mu
	live   map[resource]struct{}
	marked bool // live resources were marked closed after the client ended

	// errMu guards terminal. The error callback takes it, never mu: in the C client's
	// conductor thread it may run while Close holds mu and waits for that thread.
	errMu    sync.Mutex
	terminal error
}

// resource is a publication, subscription or counter the client made, not yet closed.
type resource interface {
	// clientGoneLocked marks the resource closed because its client closed (closed)
	// or ended; the C client frees it, and with closed its memory is gone.
	clientGoneLocked(closed bool)
	// removeLocked asks the C client to close the resource, counting closed up once its
	// conductor has sent the media driver the remove command; false if it could not.
	removeLocked(closed *C.int64_t) bool
}

var _ transport.Client = (*Client)(nil)

// Connect loads libaeron (see Config.Library), then creates and starts a C client of the
// driver in cfg.Dir; it waits up to the driver timeout for an active driver. A library
// that cannot be loaded gives an error matching ErrLibrary that names AERON_C_LIBRARY.
func Connect(cfg Config) (*Client, error) {
	if err := load(cfg.Library); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, live: make(map[resource]struct{})}
	c.handle = cgo.NewHandle(c)
	options := C.tp_aeronc_options{
		driver_timeout_ms:     C.uint64_t(cfg.DriverTimeout / time.Millisecond),
		keepalive_interval_ns: C.uint64_t(cfg.KeepaliveInterval),
		resource_linger_ns:    C.uint64_t(cfg.ResourceLinger),
		idle_sleep_ns:         C.uint64_t(cfg.IdleSleep),
		error_handle:          C.uintptr_t(c.handle),
	}
	if cfg.UseInvoker {
		options.use_invoker = 1
	}
	if cfg.Dir != "" {
		options.dir = C.CString(cfg.Dir)
		defer C.free(unsafe.Pointer(options.dir))
	}
	if cfg.ClientName != "" {
		options.client_name = C.CString(cfg.ClientName)
		defer C.free(unsafe.Pointer(options.client_name))
	}
	var client *C.aeron_t
	var ctx *C.aeron_context_t
	var cerr C.tp_aeronc_error
	dir := make([]byte, 4096)
	if C.tp_aeronc_connect(&options, &client, &ctx, (*C.char)(unsafe.Pointer(&dir[0])), C.size_t(len(dir)), &cerr) != 0 {
		c.handle.Delete()
		return nil, cError("connect to the media driver in "+cfg.Dir, &cerr)
	}
	c.aeron, c.ctx = client, ctx
	c.dir = C.GoString((*C.char)(unsafe.Pointer(&dir[0])))
	c.clientID = int64(C.tp_aeronc_client_id(client))
	return c, nil
}

// Dir is the media driver's directory the client connected to.
func (c *Client) Dir() string { return c.dir }

// ClientID is the id the driver knows this client by.
func (c *Client) ClientID() int64 { return c.clientID }

// Conductor implements transport.Client: the C client's duty cycle with
// Config.UseInvoker, nil when the C client runs it on its own thread.
func (c *Client) Conductor() agent.Agent {
	if c.cfg.UseInvoker {
		return conductor{c}
	}
	return nil
}

type conductor struct{ c *Client }

// DoWork runs one duty cycle of the C client (aeron_main_do_work): driver responses,
// keepalives, timeouts, and the callbacks they cause, all on this goroutine.
func (a conductor) DoWork(clock.Mono) int {
	c := a.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return 0
	}
	work := int(C.tp_aeronc_do_work(c.aeron))
	if work < 0 {
		c.endLocked(ErrClientEnded)
		return 0
	}
	return work
}

func (conductor) OnClose()         {}
func (conductor) RoleName() string { return "aeronc-client-conductor" }

// Err implements transport.Client.
func (c *Client) Err() error {
	if c.closed.Load() {
		return ErrClientClosed
	}
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.terminal
}

// onError receives an error of the C client, on its conductor's thread. The handler hears
// of a terminal error before Err reports it, so a caller that sees Err knows the handler
// has been told.
func (c *Client) onError(err *Error) {
	if h := c.cfg.ErrorHandler; h != nil {
		h(err)
	}
	if err.Terminal() {
		c.errMu.Lock()
		if c.terminal == nil {
			c.terminal = err
		}
		c.errMu.Unlock()
	}
}

// endLocked records that the C client ended (unless its error handler said why already)
// and marks the resources closed.
func (c *Client) endLocked(why error) {
	c.errMu.Lock()
	if c.terminal == nil {
		c.terminal = why
	}
	c.errMu.Unlock()
	c.markResourcesLocked()
}

func (c *Client) markResourcesLocked() {
	if c.marked {
		return
	}
	c.marked = true
	for r := range c.live {
		r.clientGoneLocked(false)
	}
}

// removeWait bounds how long Close waits for the C client to send its removes: a
// conductor that does not run within it has stopped, and CLIENT_CLOSE still frees all.
const removeWait = time.Second

// removeLiveLocked removes every live resource of a usable client and waits until the C
// client has sent the media driver the removes (in invoker mode, running its duty cycle).
func (c *Client) removeLiveLocked() {
	if c.marked || c.terminal != nil || C.tp_aeronc_is_closed(c.aeron) != 0 {
		return
	}
	closed := (*C.int64_t)(C.calloc(1, C.size_t(unsafe.Sizeof(C.int64_t(0)))))
	if closed == nil {
		return
	}
	want := int64(0)
	for r := range c.live {
		if r.removeLocked(closed) {
			want++
		}
	}
	// The count is written by the C client's conductor (an atomic add with release).
	count := (*int64)(unsafe.Pointer(closed))
	idle := agent.NewBackoff()
	deadline := time.Now().Add(removeWait)
	for atomic.LoadInt64(count) < want && time.Now().Before(deadline) {
		if c.cfg.UseInvoker && C.tp_aeronc_do_work(c.aeron) < 0 {
			break
		}
		idle.Idle(0)
	}
	if atomic.LoadInt64(count) < want {
		// A conductor that never ran the closes could still call back: leak the count
		// rather than let it write freed memory.
		return
	}
	C.free(unsafe.Pointer(closed))
}

// usableLocked is nil while the client is usable, else why not. It notices an end the
// C client reported on its own thread.
func (c *Client) usableLocked() error {
	if c.closed.Load() {
		return ErrClientClosed
	}
	c.errMu.Lock()
	terminal := c.terminal
	c.errMu.Unlock()
	if terminal == nil && C.tp_aeronc_is_closed(c.aeron) != 0 {
		terminal = ErrClientEnded
	}
	if terminal != nil {
		c.endLocked(terminal)
	}
	return terminal
}

// Close implements transport.Client: it closes the C client, which frees every
// publication, subscription and counter; those answer Closed from now on.
//
// aeron_close tells the media driver only CLIENT_CLOSE, which it acts on at its next
// timer event (aeron.timer.interval, 1 s by default): until then a subscription of the
// closed client stays, and a subscriber joining one of its IPC streams meanwhile joins
// where that subscription last read. So, as the pure-Go client does, Close first removes
// each resource and waits (up to removeWait) for the C client to send those removes,
// which the media driver acts on at once.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return nil
	}
	c.closed.Store(true)
	c.removeLiveLocked()
	for r := range c.live {
		r.clientGoneLocked(true)
	}
	clear(c.live)
	// No callback runs after aeron_close returns: its conductor (thread) has stopped.
	C.tp_aeronc_close(c.aeron, c.ctx)
	c.aeron, c.ctx = nil, nil
	c.handle.Delete()
	return nil
}

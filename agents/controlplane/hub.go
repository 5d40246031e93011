// Package controlplane is the control plane of one process: one subscription per control
// channel and stream, whatever the number of roles in the process, each message decoded
// once (its SBE header) and routed to every role that asked for its kind; and one shared
// publication per channel and stream for what the roles send there.
//
// Roles do not each subscribe to the driver's control stream: N producers and consumers
// in one process would otherwise read and decode every control message N times, and a
// busy stream would cost every one of them. A Hub is an agent on the process's duty
// cycle; it and everything it calls run on that one goroutine.
package controlplane

import (
	"errors"
	"fmt"
	"time"

	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// DefaultFragmentLimit is how many fragments a Hub reads from each stream per duty
// cycle: enough that a flood of control traffic is read at the stream's rate, not a
// role's polling rate.
const DefaultFragmentLimit = 256

// retryDelay is how long a Hub waits before adding again a subscription or publication
// the media driver refused.
const retryDelay = time.Second

// Endpoint is a channel and stream id.
type Endpoint struct {
	Channel  string
	StreamID int32
}

func (e Endpoint) String() string { return fmt.Sprintf("%s stream %d", e.Channel, e.StreamID) }

// Filter selects messages by their SBE header: one schema, and within it the templates
// whose bits are set in Templates (bit n for template id n), or all templates when
// Templates is 0.
type Filter struct {
	Schema    uint16
	Templates uint64
}

// Schema selects every message of a schema.
func Schema(id uint16) Filter { return Filter{Schema: id} }

// Templates selects the given templates of a schema. Template ids of the tensorpool
// schemas are below 64.
func Templates(schema uint16, templates ...uint16) Filter {
	f := Filter{Schema: schema}
	for _, t := range templates {
		f.Templates |= 1 << (t & 63)
	}
	return f
}

// Messages selects the given messages, which must all be of one schema.
func Messages(ids ...wire.MessageID) Filter {
	var f Filter
	for i, id := range ids {
		schema, template := uint16(id>>16), uint16(id)
		if i > 0 && schema != f.Schema {
			panic(fmt.Sprintf("controlplane.Messages: schemas %d and %d mixed", f.Schema, schema))
		}
		f.Schema = schema
		f.Templates |= 1 << (template & 63)
	}
	return f
}

func (f Filter) matches(h wire.Header) bool {
	return h.SchemaID == f.Schema && (f.Templates == 0 || (h.TemplateID < 64 && f.Templates&(1<<h.TemplateID) != 0))
}

// Func receives a message routed to it: its bytes, its SBE header, and what the transport
// says of it (the publication session it came from). All are valid only during the call.
type Func func(msg []byte, h wire.Header, from *transport.Header)

// Counters are what a Hub saw.
type Counters struct {
	Messages  uint64 // messages read from every stream
	Routed    uint64 // deliveries to routes (one message may go to several)
	Unrouted  uint64 // messages no route wanted
	Malformed uint64 // messages too short for an SBE header
	AddErrors uint64 // subscriptions and publications the media driver refused
}

// Hub is the control plane of one process. It is not safe for concurrent use: every
// method runs on the duty cycle it is an agent of.
type Hub struct {
	client  transport.Client
	limit   int
	onError func(error)
	// tether adapts a stream's channel for its subscription.
	tether   func(string) string
	inbound  map[Endpoint]*inbound
	outbound map[Endpoint]*Outbound
	counters Counters
}

// Config configures a Hub. Zero values pick the defaults.
type Config struct {
	// FragmentLimit bounds the fragments read per stream and duty cycle; default
	// DefaultFragmentLimit.
	FragmentLimit int
	// OnError receives refused adds; nil drops them (Counters still count them).
	OnError func(error)
	// Untethered subscribes with tether=false (Untethered) where the channel names no
	// tether setting: a client's control plane, so that a client paused (SIGSTOP, a
	// debugger) falls behind alone instead of holding back the driver's and every other
	// client's messages on the shared control stream. The driver keeps its tether.
	Untethered bool
}

// New makes a Hub over client.
func New(client transport.Client, cfg Config) *Hub {
	if cfg.FragmentLimit <= 0 {
		cfg.FragmentLimit = DefaultFragmentLimit
	}
	tether := func(channel string) string { return channel }
	if cfg.Untethered {
		tether = Untethered
	}
	return &Hub{
		client:   client,
		limit:    cfg.FragmentLimit,
		onError:  cfg.OnError,
		tether:   tether,
		inbound:  make(map[Endpoint]*inbound),
		outbound: make(map[Endpoint]*Outbound),
	}
}

// Subscriptions is the number of streams the Hub subscribes to.
func (h *Hub) Subscriptions() int { return len(h.inbound) }

// Counters returns what the Hub saw so far.
func (h *Hub) Counters() Counters { return h.counters }

// inbound is one subscription and the routes on it.
type inbound struct {
	hub      *Hub
	ep       Endpoint
	pending  transport.Pending[transport.Subscription]
	sub      transport.Subscription
	retryAt  clock.Mono
	routes   []*Route
	handler  transport.Handler
	removing bool // a route closed during a dispatch; compact after it
}

// Route is one role's registration for the messages of one stream that pass its filter.
type Route struct {
	in     *inbound
	filter Filter
	fn     Func
	closed bool
}

// Route registers fn for the messages on channel and stream that pass filter, subscribing
// to the stream if no route did before. Messages arrive once the subscription is ready.
func (h *Hub) Route(ep Endpoint, filter Filter, fn Func) *Route {
	in := h.inbound[ep]
	if in == nil {
		in = &inbound{hub: h, ep: ep}
		in.handler = in.dispatch
		in.pending = h.client.AddSubscription(h.tether(ep.Channel), ep.StreamID)
		h.inbound[ep] = in
	}
	r := &Route{in: in, filter: filter, fn: fn}
	in.routes = append(in.routes, r)
	return r
}

// Ready reports whether the route's subscription is in place, so that messages sent to
// its stream from now on reach it.
func (r *Route) Ready() bool { return !r.closed && r.in.sub != nil }

// Connected reports whether the route's subscription has at least one publisher's image.
func (r *Route) Connected() bool { return r.Ready() && r.in.sub.IsConnected() }

// Close stops the route; the last route of a stream closes its subscription. It may be
// called from inside a Func.
func (r *Route) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.in.removing = true
}

// DoWork implements agent.Agent: complete pending adds, then read every stream.
func (h *Hub) DoWork(now clock.Mono) int {
	work := 0
	for ep, in := range h.inbound {
		if in.removing {
			in.compact()
			if len(in.routes) == 0 {
				in.close()
				delete(h.inbound, ep)
				continue
			}
		}
		work += in.service(now)
	}
	for ep, o := range h.outbound {
		if o.refs == 0 {
			o.close()
			delete(h.outbound, ep)
			continue
		}
		work += o.service(now)
	}
	return work
}

// OnClose implements agent.Agent: every subscription and publication closes.
func (h *Hub) OnClose() {
	for ep, in := range h.inbound {
		in.close()
		delete(h.inbound, ep)
	}
	for ep, o := range h.outbound {
		o.close()
		delete(h.outbound, ep)
	}
}

// RoleName implements agent.Agent.
func (h *Hub) RoleName() string { return "tp-control-plane" }

func (h *Hub) addFailed(what string, ep Endpoint, err error) {
	h.counters.AddErrors++
	if h.onError != nil {
		h.onError(fmt.Errorf("controlplane: %s on %v: %w", what, ep, err))
	}
}

func (in *inbound) service(now clock.Mono) int {
	if in.sub == nil {
		if in.pending == nil {
			if now.Before(in.retryAt) {
				return 0
			}
			in.pending = in.hub.client.AddSubscription(in.hub.tether(in.ep.Channel), in.ep.StreamID)
		}
		sub, err := in.pending.Poll()
		switch {
		case errors.Is(err, transport.ErrPending):
			return 0
		case err != nil:
			in.pending, in.retryAt = nil, now.Add(retryDelay)
			in.hub.addFailed("subscription", in.ep, err)
			return 0
		}
		in.pending, in.sub = nil, sub
	}
	return in.sub.Poll(in.handler, in.hub.limit)
}

func (in *inbound) dispatch(msg []byte, from *transport.Header) {
	c := &in.hub.counters
	c.Messages++
	h, err := wire.PeekHeader(msg)
	if err != nil {
		c.Malformed++
		return
	}
	routed := false
	for _, r := range in.routes {
		if !r.closed && r.filter.matches(h) {
			routed = true
			c.Routed++
			r.fn(msg, h, from)
		}
	}
	if !routed {
		c.Unrouted++
	}
}

func (in *inbound) compact() {
	kept := in.routes[:0]
	for _, r := range in.routes {
		if !r.closed {
			kept = append(kept, r)
		}
	}
	clear(in.routes[len(kept):])
	in.routes, in.removing = kept, false
}

func (in *inbound) close() {
	if in.pending != nil {
		in.pending.Cancel()
		in.pending = nil
	}
	if in.sub != nil {
		_ = in.sub.Close() // best effort: nothing reads it any more
		in.sub = nil
	}
	for _, r := range in.routes {
		r.closed = true
	}
}

// Outbound is a publication the roles of the process share on one channel and stream.
type Outbound struct {
	hub     *Hub
	ep      Endpoint
	refs    int
	pending transport.Pending[transport.Publication]
	pub     transport.Publication
	retryAt clock.Mono
}

// Publication returns the shared publication on ep, adding it if no role holds it; each
// call takes a reference that Release gives back.
func (h *Hub) Publication(ep Endpoint) *Outbound {
	o := h.outbound[ep]
	if o == nil {
		o = &Outbound{hub: h, ep: ep, pending: h.client.AddPublication(ep.Channel, ep.StreamID)}
		h.outbound[ep] = o
	}
	o.refs++
	return o
}

// Pub is the publication once the media driver added it, nil until then (or after a
// refusal, until the retry succeeds). It must be used on the Hub's duty cycle only.
func (o *Outbound) Pub() transport.Publication { return o.pub }

// Endpoint is the publication's channel and stream.
func (o *Outbound) Endpoint() Endpoint { return o.ep }

// Release gives back a reference; the last one closes the publication on the next duty
// cycle.
func (o *Outbound) Release() {
	if o.refs > 0 {
		o.refs--
	}
}

func (o *Outbound) service(now clock.Mono) int {
	if o.pub != nil {
		return 0
	}
	if o.pending == nil {
		if now.Before(o.retryAt) {
			return 0
		}
		o.pending = o.hub.client.AddPublication(o.ep.Channel, o.ep.StreamID)
	}
	pub, err := o.pending.Poll()
	switch {
	case errors.Is(err, transport.ErrPending):
		return 0
	case err != nil:
		o.pending, o.retryAt = nil, now.Add(retryDelay)
		o.hub.addFailed("publication", o.ep, err)
		return 0
	}
	o.pending, o.pub = nil, pub
	return 1
}

func (o *Outbound) close() {
	if o.pending != nil {
		o.pending.Cancel()
		o.pending = nil
	}
	if o.pub != nil {
		_ = o.pub.Close() // best effort: no role holds it any more
		o.pub = nil
	}
}

package discovery

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/internal/metrics"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// Role names, for counters and logs.
const (
	RoleProvider = "discovery"
	RoleRegistry = "registry"
)

// Defaults of the shell.
const (
	// DefaultResponseTimeout is how long a response waits for its publication to be added
	// and connected, or for back pressure to clear, before it is dropped: the client
	// retries meanwhile (the reference clients every second).
	DefaultResponseTimeout = 2 * time.Second
	// maxPendingResponses bounds the responses waiting at once; a request beyond it is
	// dropped as undeliverable.
	maxPendingResponses = 128
	// sweepEvery paces the expiry sweep (visibility itself is judged at every request).
	sweepEvery = 100 * time.Millisecond
	// dropLogEvery is how often, at most, dropped requests and messages are logged.
	dropLogEvery = 10 * time.Second
)

// Config configures a Service: a provider is a Service of one endpoint, a registry one of
// several.
type Config struct {
	// Role is RoleProvider or RoleRegistry; it names the counters and the agent.
	Role string
	// Instance names this service in counter labels and logs.
	Instance string
	// Channel and StreamID are where requests arrive.
	Channel  string
	StreamID uint32
	// Endpoints are the drivers indexed, each with its own announce endpoint.
	Endpoints []config.DiscoveryEndpoint
	Limits    config.DiscoveryLimits
	// ResponseTimeout, default DefaultResponseTimeout.
	ResponseTimeout time.Duration
	// Log receives what the service does; nil discards it.
	Log *slog.Logger
	// Clock replaces clock.Now, for tests.
	Clock func() clock.Mono
}

// ProviderConfig is the Config of the provider cfg describes.
func ProviderConfig(cfg *config.DiscoveryConfig) Config {
	return Config{Role: RoleProvider, Instance: cfg.Endpoint.DriverInstanceID, Channel: cfg.Channel, StreamID: cfg.StreamID,
		Endpoints: []config.DiscoveryEndpoint{cfg.Endpoint}, Limits: cfg.DiscoveryLimits}
}

// RegistryConfig is the Config of the registry cfg describes.
func RegistryConfig(cfg *config.RegistryConfig, instance string) Config {
	return Config{Role: RoleRegistry, Instance: instance, Channel: cfg.Channel, StreamID: cfg.StreamID,
		Endpoints: cfg.Endpoints, Limits: cfg.DiscoveryLimits}
}

// Service answers DiscoveryRequests from an index of its drivers' announces and metadata
// (Discovery spec v1.0): a provider for one driver, a registry for several. It is an
// agent of a process (package process): its routes on the process's control plane carry
// requests, announces and metadata to it, and it answers on each request's response
// endpoint through the control plane's shared publications. It holds no attach
// authority: it never publishes on a driver's control stream, and what it answers is an
// advisory snapshot (§3, §8, §12).
type Service struct {
	cfg   Config
	log   *slog.Logger
	clock func() clock.Mono

	index     *Index
	responder *Responder
	view      wire.DiscoveryRequestView
	announce  wire.ShmPoolAnnounce
	dsa       wire.DataSourceAnnounce
	dsm       wire.DataSourceMeta

	client    transport.Client
	hub       *controlplane.Hub
	routes    []*controlplane.Route
	endpoints endpoints
	pending   []pendingResponse
	publisher *metrics.Publisher
	metrics   Metrics

	nextSweepNs   int64
	nextDropLogNs int64
	dropsLogged   [5]uint64
}

// New makes a Service of cfg; add it to a process to run it. cfg comes from validated
// configuration (ProviderConfig, RegistryConfig).
func New(cfg Config) *Service {
	if cfg.ResponseTimeout <= 0 {
		cfg.ResponseTimeout = DefaultResponseTimeout
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Now
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sources := make([]Source, len(cfg.Endpoints))
	for i, e := range cfg.Endpoints {
		sources[i] = Source{DriverInstanceID: e.DriverInstanceID, DriverControlChannel: e.DriverControlChannel, DriverControlStreamID: e.DriverControlStreamID}
	}
	index := NewIndex(sources, int64(cfg.Limits.ExpiryNs), int(cfg.Limits.MaxEntries))
	return &Service{
		cfg: cfg, log: log.With("role", cfg.Role), clock: cfg.Clock, index: index,
		responder: NewResponder(index, int64(cfg.Limits.ExpiryNs), int(cfg.Limits.MaxResults), int(cfg.Limits.ResponseBufBytes)),
		endpoints: endpoints{max: int(cfg.Limits.MaxResponseEndpoints)},
		pending:   make([]pendingResponse, 0, maxPendingResponses),
	}
}

// Metrics are the service's counters; any goroutine may read them.
func (s *Service) Metrics() *Metrics { return &s.metrics }

// RoleName implements agent.Agent.
func (s *Service) RoleName() string { return "tp-" + s.cfg.Role + ":" + s.cfg.Instance }

// OnStart implements process.Starter: the request route, one announce route and one
// metadata route per driver, and the Aeron counters.
func (s *Service) OnStart(p *process.Process) {
	s.client, s.hub = p.Transport(), p.Hub()
	s.endpoints.hub = s.hub
	req := controlplane.Endpoint{Channel: s.cfg.Channel, StreamID: int32(s.cfg.StreamID)}
	// Discovery §4.2: the request stream may carry other traffic; only DiscoveryRequests
	// (schema 910, template 1) reach the handler.
	s.routes = append(s.routes, s.hub.Route(req, controlplane.Messages(wire.DiscoveryRequestID), s.onRequest))
	for i, e := range s.cfg.Endpoints {
		src := i
		ann := controlplane.Endpoint{Channel: e.AnnounceChannel, StreamID: int32(e.AnnounceStreamID)}
		s.routes = append(s.routes, s.hub.Route(ann, controlplane.Messages(wire.ShmPoolAnnounceID),
			func(msg []byte, _ wire.Header, _ *transport.Header) { s.onAnnounce(src, msg) }))
		if e.MetadataChannel != "" {
			md := controlplane.Endpoint{Channel: e.MetadataChannel, StreamID: int32(e.MetadataStreamID)}
			s.routes = append(s.routes, s.hub.Route(md, controlplane.Messages(wire.DataSourceAnnounceID, wire.DataSourceMetaID),
				func(msg []byte, h wire.Header, _ *transport.Header) { s.onMetadata(src, msg, h) }))
		}
	}
	s.publisher = metrics.Publish(s.client, s.metrics.list(), s.cfg.Role, s.cfg.Instance, metrics.Key(s.cfg.StreamID, s.cfg.Instance))
	drivers := make([]string, len(s.cfg.Endpoints))
	for i, e := range s.cfg.Endpoints {
		drivers[i] = fmt.Sprintf("%s (announces %s stream %d, control %s stream %d)", e.DriverInstanceID,
			e.AnnounceChannel, e.AnnounceStreamID, e.DriverControlChannel, e.DriverControlStreamID)
	}
	s.log.Info("discovery service ready", "requests", req.String(), "drivers", drivers)
}

// DoWork implements agent.Agent: answer the responses waiting for their publication,
// sweep expired entries, take the Aeron counters as they are added.
func (s *Service) DoWork(now clock.Mono) int {
	nowNs := int64(now)
	work := s.flushPending(nowNs)
	if nowNs >= s.nextSweepNs {
		s.nextSweepNs = nowNs + int64(sweepEvery)
		if n := s.index.Expire(nowNs); n > 0 {
			s.metrics.EntriesExpired.Add(int64(n))
			work += n
		}
		s.metrics.Entries.Set(int64(s.visibleEntries(nowNs)))
	}
	if s.publisher != nil {
		work += s.publisher.Poll()
		if err := s.publisher.Err(); err != nil {
			s.log.Warn("some metrics are not published as Aeron counters", "err", err)
		}
	}
	if nowNs >= s.nextDropLogNs {
		s.nextDropLogNs = nowNs + int64(dropLogEvery)
		s.logDrops()
	}
	return work
}

func (s *Service) visibleEntries(nowNs int64) int {
	n := 0
	for _, e := range s.index.Entries() {
		if e.Visible(nowNs, int64(s.cfg.Limits.ExpiryNs)) {
			n++
		}
	}
	return n
}

// OnClose implements agent.Agent: routes, publications and counters are given back.
func (s *Service) OnClose() {
	for _, r := range s.routes {
		r.Close()
	}
	s.routes = nil
	s.endpoints.releaseAll()
	s.pending = s.pending[:0]
	if s.publisher != nil {
		s.publisher.Close()
	}
}

func (s *Service) onAnnounce(source int, msg []byte) {
	if err := s.announce.Decode(msg); err != nil {
		s.metrics.AnnouncesDropped.Add(1)
		return
	}
	if v := s.index.Announce(source, &s.announce, int64(s.clock())); v == AnnounceIndexed {
		s.metrics.Announces.Add(1)
	} else {
		s.metrics.AnnouncesDropped.Add(1)
		s.metrics.announceDrops[v].Add(1)
	}
}

func (s *Service) onMetadata(source int, msg []byte, h wire.Header) {
	var v MetadataVerdict
	nowNs := int64(s.clock())
	switch h.ID() {
	case wire.DataSourceAnnounceID:
		if s.dsa.Decode(msg) != nil {
			v = MetadataInvalid
		} else {
			v = s.index.DataSourceAnnounce(source, &s.dsa, nowNs)
		}
	default:
		if s.dsm.Decode(msg) != nil {
			v = MetadataInvalid
		} else {
			v = s.index.DataSourceMeta(source, &s.dsm, nowNs)
		}
	}
	if v == MetadataIndexed {
		s.metrics.Metadata.Add(1)
	} else {
		s.metrics.MetadataDropped.Add(1)
	}
}

// onRequest judges one DiscoveryRequest and answers it now if its response publication
// is ready, else queues it.
func (s *Service) onRequest(msg []byte, h wire.Header, _ *transport.Header) {
	v, problem := Judge(msg, h, &s.view)
	s.metrics.verdicts[v].Add(1)
	if v != Answer && v != AnswerError {
		s.metrics.RequestsRejected.Add(1)
		return
	}
	nowNs := int64(s.clock())
	ep := s.endpoints.get(s.view.ResponseChannel, int32(s.view.ResponseStreamID), nowNs)
	if ep == nil {
		s.undeliverable(undeliverableEndpoints)
		return
	}
	if ep.waiting == 0 && ep.out.Pub() != nil {
		switch s.send(ep, v, problem, nowNs) {
		case sent, failed:
			return
		}
	}
	if len(s.pending) == cap(s.pending) {
		s.undeliverable(undeliverableQueue)
		return
	}
	s.pending = append(s.pending, pendingResponse{ep: ep, deadlineNs: nowNs + int64(s.cfg.ResponseTimeout)})
	p := &s.pending[len(s.pending)-1]
	p.msg = append(p.msg[:0], msg...)
	p.header = h
	ep.waiting++
}

// pendingResponse is a request whose response waits for its publication; the request's
// bytes are kept and judged again when it goes out, against the index of that moment.
type pendingResponse struct {
	ep         *endpoint
	msg        []byte
	header     wire.Header
	deadlineNs int64
}

type sendResult uint8

const (
	sent sendResult = iota
	retry
	failed
)

// send encodes and offers the response to the request in s.view.
func (s *Service) send(ep *endpoint, v Verdict, problem string, nowNs int64) sendResult {
	pub := ep.out.Pub()
	var msg []byte
	if v == AnswerError {
		msg = s.responder.Error(s.view.RequestID, problem)
	} else {
		msg = s.responder.Answer(&s.view, nowNs, pub.MaxMessageLength())
	}
	ep.usedNs = nowNs
	for range 3 {
		switch r := pub.Offer(msg); {
		case r >= 0:
			if v == AnswerError {
				s.metrics.RequestsError.Add(1)
			} else {
				s.metrics.RequestsOK.Add(1)
			}
			return sent
		case r == transport.AdminAction:
			continue
		case r == transport.BackPressured || r == transport.NotConnected:
			return retry
		default:
			s.undeliverable(undeliverablePublication)
			return failed
		}
	}
	return retry
}

// flushPending answers the queued requests whose publications are ready, in arrival
// order per endpoint, and drops those past their deadline.
func (s *Service) flushPending(nowNs int64) int {
	work, kept := 0, 0
	for i := range s.pending {
		p := &s.pending[i]
		done := false
		if p.ep.out.Pub() != nil && p.ep.blockedNs != nowNs {
			v, problem := Judge(p.msg, p.header, &s.view)
			switch s.send(p.ep, v, problem, nowNs) {
			case sent, failed:
				done = true
				work++
			case retry:
				p.ep.blockedNs = nowNs // keep this endpoint's order: the rest wait for the next cycle
			}
		}
		if !done && nowNs > p.deadlineNs {
			s.undeliverable(undeliverableTimeout)
			done = true
		}
		if done {
			p.ep.waiting--
			p.ep = nil
			continue
		}
		// Swap rather than copy, so every slot keeps a buffer of its own for reuse.
		s.pending[kept], s.pending[i] = s.pending[i], s.pending[kept]
		kept++
	}
	s.pending = s.pending[:kept]
	return work
}

// Why a response was not delivered.
const (
	undeliverableEndpoints = iota
	undeliverableQueue
	undeliverableTimeout
	undeliverablePublication
	undeliverableReasons
)

var undeliverableNames = [undeliverableReasons]string{"response_endpoints_full", "response_queue_full", "response_timeout", "response_publication_failed"}

func (s *Service) undeliverable(reason int) {
	s.metrics.RequestsUndeliverable.Add(1)
	s.metrics.undeliverable[reason].Add(1)
}

// logDrops logs at WARN what was dropped since the last time, at most every dropLogEvery.
func (s *Service) logDrops() {
	m := &s.metrics
	now := [5]uint64{m.RequestsRejected.Load(), m.RequestsUndeliverable.Load(), m.AnnouncesDropped.Load(), m.MetadataDropped.Load(), m.RequestsError.Load()}
	if now == s.dropsLogged {
		return
	}
	attrs := []any{}
	for i, name := range []string{"requests_rejected", "requests_undeliverable", "announces_dropped", "metadata_dropped", "requests_answered_error"} {
		if d := now[i] - s.dropsLogged[i]; d > 0 {
			attrs = append(attrs, name, d)
		}
	}
	s.dropsLogged = now
	s.log.Warn("discovery messages dropped or refused", append(attrs, "since", dropLogEvery)...)
}

// endpoint is one response endpoint: the control plane's shared publication on it.
type endpoint struct {
	channel   string
	streamID  int32
	out       *controlplane.Outbound
	usedNs    int64
	waiting   int   // responses queued for it
	blockedNs int64 // the duty cycle its publication last refused an offer
}

// endpoints are the response endpoints in use, at most max of them: a request naming a
// new one when all are taken evicts the least recently used idle one.
type endpoints struct {
	hub   *controlplane.Hub
	max   int
	byKey map[string][]*endpoint // by channel, then stream id
	all   []*endpoint
}

// get returns the endpoint of (channel, stream), adding it if there is room; the lookup
// allocates nothing.
func (es *endpoints) get(channel []byte, streamID int32, nowNs int64) *endpoint {
	for _, e := range es.byKey[string(channel)] {
		if e.streamID == streamID {
			return e
		}
	}
	if len(es.all) >= es.max && !es.evict() {
		return nil
	}
	if es.byKey == nil {
		es.byKey = map[string][]*endpoint{}
	}
	e := &endpoint{channel: string(channel), streamID: streamID, usedNs: nowNs}
	e.out = es.hub.Publication(controlplane.Endpoint{Channel: e.channel, StreamID: streamID})
	es.byKey[e.channel] = append(es.byKey[e.channel], e)
	es.all = append(es.all, e)
	return e
}

// evict releases the least recently used endpoint with no response waiting.
func (es *endpoints) evict() bool {
	victim := -1
	for i, e := range es.all {
		if e.waiting == 0 && (victim < 0 || e.usedNs < es.all[victim].usedNs) {
			victim = i
		}
	}
	if victim < 0 {
		return false
	}
	es.release(victim)
	return true
}

func (es *endpoints) release(i int) {
	e := es.all[i]
	e.out.Release()
	list := es.byKey[e.channel]
	for j, x := range list {
		if x == e {
			list = append(list[:j], list[j+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(es.byKey, e.channel)
	} else {
		es.byKey[e.channel] = list
	}
	es.all = append(es.all[:i], es.all[i+1:]...)
}

func (es *endpoints) releaseAll() {
	for len(es.all) > 0 {
		es.release(len(es.all) - 1)
	}
}

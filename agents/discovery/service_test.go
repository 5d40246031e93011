package discovery

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/mem"
	"github.com/tensorpool/tensorpool/wire"
)

var (
	requests  = controlplane.Endpoint{Channel: "aeron:ipc", StreamID: 7000}
	responses = controlplane.Endpoint{Channel: "aeron:ipc", StreamID: 7004}
	controlA  = controlplane.Endpoint{Channel: "aeron:ipc", StreamID: 1000}
	controlB  = controlplane.Endpoint{Channel: "aeron:ipc", StreamID: 2000}
	metadataA = controlplane.Endpoint{Channel: "aeron:ipc", StreamID: 1300}
)

func endpointOf(id string, control controlplane.Endpoint) config.DiscoveryEndpoint {
	return config.DiscoveryEndpoint{DriverInstanceID: id, AnnounceChannel: control.Channel, AnnounceStreamID: uint32(control.StreamID),
		DriverControlChannel: control.Channel, DriverControlStreamID: uint32(control.StreamID)}
}

func limits() config.DiscoveryLimits {
	return config.DiscoveryLimits{MaxResults: 100, ExpiryNs: uint64(expiry), ResponseBufBytes: 65536, MaxEntries: 64, MaxResponseEndpoints: 4}
}

// rig is a Service on an invoker-mode process over an in-memory transport, and a test
// client of the same driver that publishes and reads raw messages. Time is the rig's.
type rig struct {
	t      *testing.T
	driver *mem.Driver
	server *mem.Client
	client *mem.Client
	proc   *process.Process
	svc    *Service
	now    clock.Mono
	pubs   map[controlplane.Endpoint]transport.Publication
	subs   map[controlplane.Endpoint]transport.Subscription
}

func newRig(t *testing.T, cfg Config) *rig {
	r := &rig{t: t, driver: mem.NewDriver(mem.Config{}), now: clock.Mono(1_000_000_000),
		pubs: map[controlplane.Endpoint]transport.Publication{}, subs: map[controlplane.Endpoint]transport.Subscription{}}
	r.server = r.driver.Connect(mem.ClientConfig{UseInvoker: true})
	r.client = r.driver.Connect(mem.ClientConfig{UseInvoker: true})
	t.Cleanup(func() { _ = r.client.Close(); _ = r.server.Close() })
	cfg.Clock = func() clock.Mono { return r.now }
	r.proc = process.New(r.server, process.Config{Clock: cfg.Clock})
	t.Cleanup(func() { _ = r.proc.Close() })
	r.svc = New(cfg)
	require.NoError(t, r.proc.Add(r.svc))
	r.cycles(5)
	return r
}

func providerRig(t *testing.T) *rig {
	ep := endpointOf("driver-a", controlA)
	ep.MetadataChannel, ep.MetadataStreamID = metadataA.Channel, uint32(metadataA.StreamID)
	return newRig(t, Config{Role: RoleProvider, Instance: "driver-a", Channel: requests.Channel, StreamID: uint32(requests.StreamID),
		Endpoints: []config.DiscoveryEndpoint{ep}, Limits: limits()})
}

func (r *rig) cycle() {
	r.now = r.now.Add(time.Millisecond)
	r.client.Conductor().DoWork(r.now)
	r.proc.DoWork()
}

func (r *rig) cycles(n int) {
	for range n {
		r.cycle()
	}
}

func await[T any](r *rig, p transport.Pending[T]) T {
	r.t.Helper()
	for range 100 {
		r.cycle()
		v, err := p.Poll()
		if err == nil {
			return v
		}
		if !errors.Is(err, transport.ErrPending) {
			r.t.Fatal(err)
		}
	}
	r.t.Fatal("add never completed")
	var zero T
	return zero
}

// send publishes msg on ep from an exclusive publication of the test client.
func (r *rig) send(ep controlplane.Endpoint, msg []byte) {
	r.t.Helper()
	pub := r.pubs[ep]
	if pub == nil {
		pub = await(r, r.client.AddExclusivePublication(ep.Channel, ep.StreamID))
		r.pubs[ep] = pub
		r.cycles(3)
	}
	for range 100 {
		switch res := pub.Offer(msg); res {
		case transport.AdminAction:
		case transport.BackPressured:
			r.cycle()
		default:
			if res < 0 {
				r.t.Fatalf("offer on %v: %s", ep, transport.ResultName(res))
			}
			return
		}
	}
	r.t.Fatalf("offer on %v: never accepted", ep)
}

func (r *rig) sendMsg(ep controlplane.Endpoint, m interface {
	EncodedLength() int
	Encode([]byte) (int, error)
}) {
	r.t.Helper()
	r.send(ep, encodeMsg(r.t, m))
}

// listen subscribes the test client to ep.
func (r *rig) listen(ep controlplane.Endpoint) {
	if r.subs[ep] == nil {
		r.subs[ep] = await(r, r.client.AddSubscription(ep.Channel, ep.StreamID))
	}
}

// received reads every message waiting on ep (listened to before).
func (r *rig) received(ep controlplane.Endpoint) [][]byte {
	var out [][]byte
	for r.subs[ep].Poll(func(msg []byte, _ *transport.Header) { out = append(out, append([]byte(nil), msg...)) }, 100) > 0 {
	}
	return out
}

// responsesOn reads the DiscoveryResponses waiting on ep.
func (r *rig) responsesOn(ep controlplane.Endpoint) []wire.DiscoveryResponse {
	r.t.Helper()
	var out []wire.DiscoveryResponse
	for _, msg := range r.received(ep) {
		h, err := wire.PeekHeader(msg)
		require.NoError(r.t, err)
		if h.ID() != wire.DiscoveryResponseID {
			continue
		}
		var resp wire.DiscoveryResponse
		require.NoError(r.t, resp.Decode(msg))
		out = append(out, resp)
	}
	return out
}

// ask sends a request answered on responses and returns the one response to it.
func (r *rig) ask(req wire.DiscoveryRequest) wire.DiscoveryResponse {
	r.t.Helper()
	r.listen(responses)
	r.cycles(2) // what was sent before is handled before the request
	if req.ResponseChannel == "" {
		req.ResponseChannel, req.ResponseStreamID = responses.Channel, uint32(responses.StreamID)
	}
	r.sendMsg(requests, &req)
	r.cycles(5)
	got := r.responsesOn(responses)
	require.Len(r.t, got, 1)
	require.Equal(r.t, req.RequestID, got[0].RequestID)
	return got[0]
}

func streamsOf(resp wire.DiscoveryResponse) []string {
	var out []string
	for _, res := range resp.Results {
		out = append(out, fmt.Sprintf("%s/%d", res.DriverInstanceID, res.StreamID))
	}
	return out
}

// §6.4 end to end on the transport: the provider indexes its driver's announces and its
// producers' metadata and answers from them, naming the driver it was configured with.
func TestDiscoverySpec_6_4_ProviderAnswersFromAnnouncesAndMetadata(t *testing.T) {
	r := providerRig(t)
	r.sendMsg(controlA, announceOf(10000, 2))
	r.sendMsg(controlA, announceOf(10001, 1))
	r.sendMsg(metadataA, &wire.DataSourceAnnounce{StreamID: 10000, MetaVersion: 1, Name: "camera-1"})
	r.sendMsg(metadataA, &wire.DataSourceMeta{StreamID: 10000, MetaVersion: 1, Attributes: []wire.Attribute{{Key: TagAttribute, Value: []byte("rgb")}}})
	r.cycles(3)
	resp := r.ask(wire.DiscoveryRequest{RequestID: 5, DataSourceName: "camera-1"})
	assert.Equal(t, wire.DiscoveryStatusOK, resp.Status)
	require.Equal(t, []string{"driver-a/10000"}, streamsOf(resp))
	assert.Equal(t, []string{"rgb"}, resp.Results[0].Tags)
	assert.Equal(t, uint32(1000), resp.Results[0].DriverControlStreamID)
	assert.Equal(t, []string{"driver-a/10000", "driver-a/10001"}, streamsOf(r.ask(wire.DiscoveryRequest{RequestID: 6})))
	r.cycles(int(sweepEvery / time.Millisecond))
	m := r.svc.Metrics()
	assert.Equal(t, uint64(2), m.Announces.Load())
	assert.Equal(t, uint64(2), m.Metadata.Load())
	assert.Equal(t, uint64(2), m.RequestsOK.Load())
	assert.Equal(t, uint64(2), m.Entries.Load())
}

// §4.3: responses go to the endpoint each request names, never to the request stream
// unless a request names it.
func TestDiscoverySpec_4_3_RespondsOnTheRequestedEndpointOnly(t *testing.T) {
	r := providerRig(t)
	r.sendMsg(controlA, announceOf(10000, 1))
	r.listen(requests)
	other := controlplane.Endpoint{Channel: "aeron:ipc", StreamID: 7123}
	r.listen(other)
	r.ask(wire.DiscoveryRequest{RequestID: 1})
	r.sendMsg(requests, &wire.DiscoveryRequest{RequestID: 2, ResponseChannel: other.Channel, ResponseStreamID: uint32(other.StreamID)})
	r.cycles(5)
	require.Len(t, r.responsesOn(other), 1)
	assert.Empty(t, r.responsesOn(requests), "nothing answered on the request stream")
	assert.Empty(t, r.responsesOn(responses))

	r.sendMsg(requests, &wire.DiscoveryRequest{RequestID: 3, ResponseChannel: requests.Channel, ResponseStreamID: uint32(requests.StreamID)})
	r.cycles(5)
	assert.Len(t, r.responsesOn(requests), 1, "a client may ask for its answer on the request stream")
}

// §5.1: an empty response channel is dropped without any response anywhere; a zero
// response stream is answered ERROR on the channel it named, stream 0.
func TestDiscoverySpec_5_1_InvalidResponseEndpoints(t *testing.T) {
	r := providerRig(t)
	r.sendMsg(controlA, announceOf(10000, 1))
	zero := controlplane.Endpoint{Channel: "aeron:ipc", StreamID: 0}
	r.listen(zero)
	r.listen(requests)
	r.listen(responses)
	r.sendMsg(requests, &wire.DiscoveryRequest{RequestID: 1, ResponseStreamID: 7004})
	r.sendMsg(requests, &wire.DiscoveryRequest{RequestID: 2, ResponseChannel: "aeron:ipc", ResponseStreamID: 0})
	r.cycles(5)
	got := r.responsesOn(zero)
	require.Len(t, got, 1)
	assert.Equal(t, uint64(2), got[0].RequestID)
	assert.Equal(t, wire.DiscoveryStatusError, got[0].Status)
	assert.Empty(t, got[0].Results)
	assert.Empty(t, r.responsesOn(requests))
	assert.Empty(t, r.responsesOn(responses))
	m := r.svc.Metrics()
	assert.Equal(t, uint64(1), m.RequestsRejected.Load())
	assert.Equal(t, uint64(1), m.RequestsError.Load())
	assert.Equal(t, uint64(1), m.Reasons().Requests["no_response_channel"])
	require.Len(t, r.svc.endpoints.all, 1, "no publication was added for the empty channel")
	assert.Equal(t, int32(0), r.svc.endpoints.all[0].streamID)
}

// §4.2, §10: on a stream shared with control traffic only DiscoveryRequests of schema 910
// version 1 are taken; messages of other schemas with the same template id are not, and
// other versions are rejected and counted.
func TestDiscoverySpec_4_2_And_10_SchemaAndVersionGating(t *testing.T) {
	ep := endpointOf("driver-a", controlA)
	r := newRig(t, Config{Role: RoleProvider, Instance: "a", Channel: controlA.Channel, StreamID: uint32(controlA.StreamID),
		Endpoints: []config.DiscoveryEndpoint{ep}, Limits: limits()})
	r.listen(responses)
	r.sendMsg(controlA, announceOf(10000, 1)) // template 1 of schema 900 on the shared stream
	r.sendMsg(controlA, &wire.ShmAttachRequest{CorrelationID: 1, StreamID: 10000, ClientID: 3, Role: wire.RoleConsumer})
	req := encodeMsg(t, &wire.DiscoveryRequest{RequestID: 9, ResponseChannel: responses.Channel, ResponseStreamID: uint32(responses.StreamID)})
	newer := append([]byte(nil), req...)
	newer[6] = 2 // messageHeader.version
	r.send(controlA, newer)
	r.send(controlA, req)
	r.cycles(5)
	got := r.responsesOn(responses)
	require.Len(t, got, 1, "only the version-1 request is answered")
	assert.Equal(t, []string{"driver-a/10000"}, streamsOf(got[0]))
	assert.Equal(t, uint64(1), r.svc.Metrics().Reasons().Requests["unsupported_version"])
	assert.Equal(t, uint64(1), r.svc.Metrics().Announces.Load(), "the announce was not taken for a request")
}

// §8: a registry aggregates several drivers and names each result's driver; it never
// publishes on a driver's control endpoint (it does not proxy attaches), and an attach
// request sent to it is not answered.
func TestDiscoverySpec_8_RegistryAggregatesAndNeverProxiesAttach(t *testing.T) {
	r := newRig(t, Config{Role: RoleRegistry, Instance: "reg", Channel: requests.Channel, StreamID: uint32(requests.StreamID),
		Endpoints: []config.DiscoveryEndpoint{endpointOf("driver-a", controlA), endpointOf("driver-b", controlB)}, Limits: limits()})
	r.listen(controlA)
	r.listen(controlB)
	r.sendMsg(controlA, announceOf(10000, 1))
	r.sendMsg(controlB, announceOf(10000, 7))
	r.sendMsg(controlB, announceOf(10002, 7))
	r.sendMsg(requests, &wire.ShmAttachRequest{CorrelationID: 1, StreamID: 10000, ClientID: 3, Role: wire.RoleConsumer})
	r.cycles(3)
	resp := r.ask(wire.DiscoveryRequest{RequestID: 1, StreamID: 10000})
	assert.Equal(t, []string{"driver-a/10000", "driver-b/10000"}, streamsOf(resp))
	assert.Equal(t, uint32(1000), resp.Results[0].DriverControlStreamID)
	assert.Equal(t, uint32(2000), resp.Results[1].DriverControlStreamID)
	assert.Equal(t, uint64(7), resp.Results[1].Epoch)
	r.cycles(5)
	for _, ep := range []controlplane.Endpoint{controlA, controlB} {
		for _, msg := range r.received(ep) {
			h, _ := wire.PeekHeader(msg)
			assert.Equal(t, wire.ShmPoolAnnounceID, h.ID(), "only the test's own announces on %v", ep)
		}
	}
}

// §6.2 on the transport: a driver that stops announcing leaves the answers within the
// expiry window, and the gauge and the expiry count follow.
func TestDiscoverySpec_6_2_SilentDriverExpires(t *testing.T) {
	r := newRig(t, Config{Role: RoleRegistry, Instance: "reg", Channel: requests.Channel, StreamID: uint32(requests.StreamID),
		Endpoints: []config.DiscoveryEndpoint{endpointOf("driver-a", controlA), endpointOf("driver-b", controlB)}, Limits: limits()})
	r.sendMsg(controlA, announceOf(10000, 1))
	r.sendMsg(controlB, announceOf(10000, 1))
	r.cycles(150)
	assert.Equal(t, uint64(2), r.svc.Metrics().Entries.Load())
	for range 40 { // driver-a keeps announcing every 100 ms; driver-b is gone
		r.sendMsg(controlA, announceOf(10000, 1))
		r.cycles(100)
	}
	assert.Equal(t, []string{"driver-a/10000"}, streamsOf(r.ask(wire.DiscoveryRequest{RequestID: 1})))
	assert.Equal(t, uint64(1), r.svc.Metrics().EntriesExpired.Load())
	assert.Equal(t, uint64(1), r.svc.Metrics().Entries.Load())
}

// A response whose publication is not added yet waits for it (bounded by the response
// timeout): the first request of a client is answered once its endpoint is ready, and one
// never ready is dropped and counted.
func TestService_ResponsesWaitForTheirPublication(t *testing.T) {
	r := providerRig(t)
	r.listen(responses)
	r.server.HoldAdds(true)
	r.sendMsg(requests, &wire.DiscoveryRequest{RequestID: 1, ResponseChannel: responses.Channel, ResponseStreamID: uint32(responses.StreamID)})
	r.cycles(50)
	assert.Empty(t, r.responsesOn(responses))
	r.server.HoldAdds(false)
	r.cycles(5)
	got := r.responsesOn(responses)
	require.Len(t, got, 1)
	assert.Equal(t, uint64(1), got[0].RequestID)

	lonely := controlplane.Endpoint{Channel: "aeron:ipc", StreamID: 7999} // nobody subscribes
	r.sendMsg(requests, &wire.DiscoveryRequest{RequestID: 2, ResponseChannel: lonely.Channel, ResponseStreamID: uint32(lonely.StreamID)})
	r.cycles(int(DefaultResponseTimeout/time.Millisecond) + 10)
	assert.Equal(t, uint64(1), r.svc.Metrics().RequestsUndeliverable.Load())
	assert.Equal(t, uint64(1), r.svc.Metrics().Reasons().Undeliverable["response_timeout"])
}

// Hostile requests are answered or dropped without harm, and counted: over-long names,
// too many tags, wrong schemas, garbage, and floods of requests naming invented response
// endpoints (which must not open publications without bound) or one endpoint.
func TestService_HostileRequests(t *testing.T) {
	r := providerRig(t)
	r.sendMsg(controlA, announceOf(10000, 1))
	r.listen(responses)
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'x'
	}
	r.sendMsg(requests, &wire.DiscoveryRequest{RequestID: 1, ResponseChannel: responses.Channel, ResponseStreamID: 7004, DataSourceName: string(long)})
	r.sendMsg(requests, &wire.DiscoveryRequest{RequestID: 2, ResponseChannel: responses.Channel, ResponseStreamID: 7004, Tags: make([]string, 100)})
	r.send(requests, []byte{1, 2, 3})                             // not even a header
	r.send(requests, encodeMsg(t, announceOf(10000, 99)))         // another schema's template 1
	r.send(requests, encodeMsg(t, &wire.DiscoveryRequest{})[:12]) // truncated
	r.cycles(5)
	got := r.responsesOn(responses)
	require.Len(t, got, 2)
	for _, resp := range got {
		assert.Equal(t, wire.DiscoveryStatusError, resp.Status, resp.ErrorMessage)
		assert.Empty(t, resp.Results)
	}
	assert.Equal(t, uint64(1), r.svc.Metrics().Reasons().Requests["malformed"])

	// A flood naming 50 invented endpoints: at most MaxResponseEndpoints (4) are open, so
	// most answers are undeliverable, and the service keeps answering its real client.
	for i := range 50 {
		r.sendMsg(requests, &wire.DiscoveryRequest{RequestID: uint64(100 + i), ResponseChannel: "aeron:ipc", ResponseStreamID: uint32(9000 + i)})
		r.cycle()
	}
	assert.LessOrEqual(t, len(r.svc.endpoints.all), 4)
	r.cycles(int(DefaultResponseTimeout/time.Millisecond) + 10)
	assert.Equal(t, []string{"driver-a/10000"}, streamsOf(r.ask(wire.DiscoveryRequest{RequestID: 1000})))
	m := r.svc.Metrics()
	assert.Positive(t, m.RequestsUndeliverable.Load())
	assert.Equal(t, uint64(50), m.RequestsUndeliverable.Load()+m.RequestsOK.Load()-1, "every flooded request is answered or counted")

	// A flood on one endpoint, read by nobody for a while: back pressure, then answers
	// resume; nothing is lost without being counted.
	before := m.RequestsOK.Load() + m.RequestsUndeliverable.Load()
	for i := range 2000 {
		r.sendMsg(requests, &wire.DiscoveryRequest{RequestID: uint64(5000 + i), ResponseChannel: responses.Channel, ResponseStreamID: 7004})
		if i%100 == 0 {
			r.cycle()
		}
	}
	r.cycles(int(DefaultResponseTimeout/time.Millisecond) + 10)
	r.received(responses)
	assert.Equal(t, uint64(2000), m.RequestsOK.Load()+m.RequestsUndeliverable.Load()-before)
	r.sendMsg(controlA, announceOf(10000, 1)) // the driver still announces
	assert.Equal(t, []string{"driver-a/10000"}, streamsOf(r.ask(wire.DiscoveryRequest{RequestID: 9999})))
}

// A flood of announces for invented streams fills the index to its bound, no further.
func TestService_AnnounceFloodIsBounded(t *testing.T) {
	r := providerRig(t)
	for s := range uint32(200) {
		r.sendMsg(controlA, announceOf(30000+s, 1))
		if s%50 == 0 {
			r.cycle()
		}
	}
	r.cycles(200)
	assert.Equal(t, 64, r.svc.index.Len())
	assert.Equal(t, uint64(136), r.svc.Metrics().Reasons().Announces["table_full"])
}

// The metrics are Aeron counters with the type ids 1070-1079.
func TestService_MetricsAreAeronCounters(t *testing.T) {
	infos := MetricInfos()
	require.Len(t, infos, 10)
	for i, info := range infos {
		assert.Equal(t, int32(1070+i), info.TypeID)
	}
	r := providerRig(t)
	r.cycles(5)
	assert.Len(t, r.svc.publisher.Counters(), 10)
}

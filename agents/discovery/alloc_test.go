//go:build !race

package discovery

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// Answering requests allocates nothing in steady state: a client asking again and again
// on its connected response endpoint, with filters and results, through the control
// plane, the index and the encoder.
func TestService_RequestsAllocateNothing(t *testing.T) {
	r := providerRig(t)
	for s := range uint32(20) {
		r.sendMsg(controlA, announceOf(10000+s, 1))
	}
	r.sendMsg(metadataA, &wire.DataSourceMeta{StreamID: 10003, MetaVersion: 1, Attributes: []wire.Attribute{{Key: TagAttribute, Value: []byte("rgb")}}})
	all := encodeMsg(t, &wire.DiscoveryRequest{RequestID: 1, ResponseChannel: responses.Channel, ResponseStreamID: uint32(responses.StreamID)})
	tagged := encodeMsg(t, &wire.DiscoveryRequest{RequestID: 2, ResponseChannel: responses.Channel, ResponseStreamID: uint32(responses.StreamID),
		Tags: []string{"rgb", "rgb"}, StreamID: 10003})
	r.listen(responses)
	r.ask(wire.DiscoveryRequest{RequestID: 3}) // the endpoint is open and connected
	pub := r.pubs[requests]
	answered := 0
	drain := func(msg []byte, _ *transport.Header) { answered++ }
	round := func() {
		for _, msg := range [][]byte{all, tagged} {
			res := pub.Offer(msg)
			if res == transport.AdminAction {
				res = pub.Offer(msg)
			}
			if res < 0 {
				t.Fatal(transport.ResultName(res))
			}
		}
		r.cycle()
		for r.subs[responses].Poll(drain, 10) > 0 {
		}
	}
	for range 10 {
		round()
	}
	allocs := testing.AllocsPerRun(500, round)
	require.Zero(t, allocs, "allocations per round of two requests")
	require.Equal(t, 2*(10+501), answered)
	require.Zero(t, r.svc.Metrics().RequestsUndeliverable.Load())
}

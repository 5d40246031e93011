package discovery

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/wire"
)

func encodeMsg(t testing.TB, m interface {
	EncodedLength() int
	Encode([]byte) (int, error)
}) []byte {
	t.Helper()
	buf := make([]byte, m.EncodedLength())
	_, err := m.Encode(buf)
	require.NoError(t, err)
	return buf
}

func judge(t *testing.T, r wire.DiscoveryRequest) (Verdict, string, *wire.DiscoveryRequestView) {
	t.Helper()
	msg := encodeMsg(t, &r)
	h, err := wire.PeekHeader(msg)
	require.NoError(t, err)
	var v wire.DiscoveryRequestView
	verdict, problem := Judge(msg, h, &v)
	return verdict, problem, &v
}

func request(edit func(*wire.DiscoveryRequest)) wire.DiscoveryRequest {
	r := wire.DiscoveryRequest{RequestID: 1<<32 | 1, ClientID: 1, ResponseStreamID: 7004, ResponseChannel: "aeron:ipc"}
	if edit != nil {
		edit(&r)
	}
	return r
}

// §5.1, §10: what a request gets. An empty response channel is dropped silently, a zero
// response stream answered ERROR on the channel given, other schema versions rejected.
func TestDiscoverySpec_5_1_RequestRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*wire.DiscoveryRequest)
		want Verdict
	}{
		{"no filters", nil, Answer},
		{"every filter", func(r *wire.DiscoveryRequest) {
			r.StreamID, r.ProducerID, r.DataSourceID, r.DataSourceName, r.Tags = 1, 2, 3, "n", []string{"a", "a", ""}
		}, Answer},
		{"empty response channel (§5.1: drop silently)", func(r *wire.DiscoveryRequest) { r.ResponseChannel = "" }, DropNoResponseChannel},
		{"empty channel and stream 0 (§5.1: drop silently)", func(r *wire.DiscoveryRequest) { r.ResponseChannel, r.ResponseStreamID = "", 0 }, DropNoResponseChannel},
		{"response stream 0 (§5.1: reject, ERROR)", func(r *wire.DiscoveryRequest) { r.ResponseStreamID = 0 }, AnswerError},
		{"channel not Aeron", func(r *wire.DiscoveryRequest) { r.ResponseChannel = "udp://x:1" }, DropUnusableChannel},
		{"channel just the scheme", func(r *wire.DiscoveryRequest) { r.ResponseChannel = "aeron:" }, DropUnusableChannel},
		{"channel too long", func(r *wire.DiscoveryRequest) {
			r.ResponseChannel = "aeron:ipc?" + strings.Repeat("x", MaxResponseChannelBytes)
		}, DropUnusableChannel},
		{"name over 256 bytes", func(r *wire.DiscoveryRequest) { r.DataSourceName = strings.Repeat("n", 257) }, AnswerError},
		{"name of 256 bytes", func(r *wire.DiscoveryRequest) { r.DataSourceName = strings.Repeat("n", 256) }, Answer},
		{"17 tags", func(r *wire.DiscoveryRequest) { r.Tags = make([]string, 17) }, AnswerError},
		{"tag over 64 bytes", func(r *wire.DiscoveryRequest) { r.Tags = []string{strings.Repeat("t", 65)} }, AnswerError},
		{"request over MaxRequestBytes", func(r *wire.DiscoveryRequest) { r.Tags = []string{strings.Repeat("t", MaxRequestBytes)} }, DropMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, problem, _ := judge(t, request(tc.edit))
			assert.Equal(t, tc.want, v, v.String())
			assert.Equal(t, v == AnswerError, problem != "", problem)
		})
	}

	msg := encodeMsg(t, new(request(nil)))
	h, _ := wire.PeekHeader(msg)
	var view wire.DiscoveryRequestView
	for _, version := range []uint16{0, 2} {
		h.Version = version
		v, _ := Judge(msg, h, &view)
		assert.Equal(t, DropUnsupportedVersion, v, "§10: version %d", version)
	}
	h.Version = wire.DiscoverySchemaVersion
	v, _ := Judge(msg[:len(msg)-1], h, &view)
	assert.Equal(t, DropMalformed, v, "truncated")
}

// entryOf is a visible entry of source 0.
func entryOf(stream, producer uint32, id uint64, name string, tags ...string) *Entry {
	return &Entry{StreamID: stream, ProducerID: producer, DataSourceID: id, DataSourceName: name, Tags: tags, announced: true}
}

// §5.1: filters are AND-ed; absent ones (null ids, empty name, no tags, §5.0) match
// everything; names and tags compare byte for byte, case included; every requested tag
// must be present, duplicates counting once.
func TestDiscoverySpec_5_1_FiltersAreANDedAndByteExact(t *testing.T) {
	e := entryOf(10000, 7, 42, "Camera-1", "RGB", "front")
	for _, tc := range []struct {
		name string
		edit func(*wire.DiscoveryRequest)
		want bool
	}{
		{"no filter", nil, true},
		{"stream", func(r *wire.DiscoveryRequest) { r.StreamID = 10000 }, true},
		{"other stream", func(r *wire.DiscoveryRequest) { r.StreamID = 10001 }, false},
		{"producer", func(r *wire.DiscoveryRequest) { r.ProducerID = 7 }, true},
		{"other producer", func(r *wire.DiscoveryRequest) { r.ProducerID = 8 }, false},
		{"data source id", func(r *wire.DiscoveryRequest) { r.DataSourceID = 42 }, true},
		{"other data source id", func(r *wire.DiscoveryRequest) { r.DataSourceID = 43 }, false},
		{"name", func(r *wire.DiscoveryRequest) { r.DataSourceName = "Camera-1" }, true},
		{"name in another case", func(r *wire.DiscoveryRequest) { r.DataSourceName = "camera-1" }, false},
		{"name prefix", func(r *wire.DiscoveryRequest) { r.DataSourceName = "Camera" }, false},
		{"a tag", func(r *wire.DiscoveryRequest) { r.Tags = []string{"front"} }, true},
		{"all tags", func(r *wire.DiscoveryRequest) { r.Tags = []string{"front", "RGB"} }, true},
		{"duplicate tags count once", func(r *wire.DiscoveryRequest) { r.Tags = []string{"RGB", "RGB", "front", "RGB"} }, true},
		{"empty tag is no tag", func(r *wire.DiscoveryRequest) { r.Tags = []string{"", "RGB"} }, true},
		{"tag in another case", func(r *wire.DiscoveryRequest) { r.Tags = []string{"rgb"} }, false},
		{"one tag missing", func(r *wire.DiscoveryRequest) { r.Tags = []string{"RGB", "rear"} }, false},
		{"every filter", func(r *wire.DiscoveryRequest) {
			r.StreamID, r.ProducerID, r.DataSourceID, r.DataSourceName, r.Tags = 10000, 7, 42, "Camera-1", []string{"RGB"}
		}, true},
		{"every filter but one", func(r *wire.DiscoveryRequest) {
			r.StreamID, r.ProducerID, r.DataSourceID, r.DataSourceName, r.Tags = 10000, 7, 41, "Camera-1", []string{"RGB"}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, _, view := judge(t, request(tc.edit))
			require.Equal(t, Answer, v)
			assert.Equal(t, tc.want, Matches(e, view))
		})
	}
	untagged := entryOf(10000, 7, 0, "")
	_, _, view := judge(t, request(func(r *wire.DiscoveryRequest) { r.DataSourceID = 42 }))
	assert.False(t, Matches(untagged, view), "an entry without a data source id does not match one")
}

// respond answers r from x at nowNs and decodes the response.
func respond(t *testing.T, x *Index, maxResults, maxBytes int, r wire.DiscoveryRequest, nowNs int64) (wire.DiscoveryResponse, *Responder) {
	t.Helper()
	v, problem, view := judge(t, r)
	rs := NewResponder(x, expiry, maxResults, maxBytes)
	var msg []byte
	if v == AnswerError {
		msg = rs.Error(view.RequestID, problem)
	} else {
		require.Equal(t, Answer, v)
		msg = rs.Answer(view, nowNs, 1<<20)
	}
	var resp wire.DiscoveryResponse
	require.NoError(t, resp.Decode(msg))
	return resp, rs
}

// §5.2: responses echo the request id; OK also for zero matches (NOT_FOUND is for
// streams hidden by access control, which this provider has none of, §12); ERROR carries
// no results; each result names its driver's control endpoint (never empty, never
// stream 0), the layout (max_dims 8, pool_nslots = header_nslots) and the full tag set
// of its stream, not the requested subset.
func TestDiscoverySpec_5_2_ResponseRules(t *testing.T) {
	x := NewIndex(twoSources, expiry, 100)
	x.Announce(1, announceOf(10000, 3), 0)
	x.DataSourceMeta(1, &wire.DataSourceMeta{StreamID: 10000, Attributes: []wire.Attribute{
		{Key: TagAttribute, Value: []byte("RGB")}, {Key: TagAttribute, Value: []byte("front")}}}, 0)
	x.Announce(0, announceOf(10001, 1), 0)

	resp, _ := respond(t, x, 10, 65536, request(func(r *wire.DiscoveryRequest) { r.RequestID = 99; r.Tags = []string{"front"} }), 1)
	assert.Equal(t, uint64(99), resp.RequestID)
	assert.Equal(t, wire.DiscoveryStatusOK, resp.Status)
	assert.Empty(t, resp.ErrorMessage)
	require.Len(t, resp.Results, 1)
	res := resp.Results[0]
	assert.Equal(t, []string{"RGB", "front"}, res.Tags, "the full tag set")
	assert.Equal(t, "driver-b", res.DriverInstanceID)
	assert.Equal(t, "aeron:udp?endpoint=b:40123", res.DriverControlChannel)
	assert.Equal(t, uint32(1000), res.DriverControlStreamID)
	assert.Equal(t, uint8(8), res.MaxDims)
	assert.Equal(t, uint64(3), res.Epoch)
	for _, p := range res.PayloadPools {
		assert.Equal(t, res.HeaderNslots, p.PoolNslots)
	}
	assert.Zero(t, res.DataSourceID, "absent: sent as the null value")

	resp, _ = respond(t, x, 10, 65536, request(func(r *wire.DiscoveryRequest) { r.RequestID = 100; r.StreamID = 4 }), 1)
	assert.Equal(t, wire.DiscoveryStatusOK, resp.Status, "zero matches are still OK")
	assert.Empty(t, resp.Results)
	assert.Equal(t, uint64(100), resp.RequestID)

	resp, _ = respond(t, x, 10, 65536, request(func(r *wire.DiscoveryRequest) { r.RequestID = 101; r.ResponseStreamID = 0 }), 1)
	assert.Equal(t, wire.DiscoveryStatusError, resp.Status)
	assert.Empty(t, resp.Results, "ERROR carries no results")
	assert.Contains(t, resp.ErrorMessage, "response_stream_id")
	assert.Equal(t, uint64(101), resp.RequestID)

	resp, _ = respond(t, x, 10, 65536, request(nil), 1+expiry+1)
	assert.Empty(t, resp.Results, "§6.2: expired entries are not returned")
}

// §5.2: responses are capped at max_results and at the byte limit; a response that left
// matches out is still OK (the request was processed) and says so.
func TestDiscoverySpec_5_2_ResponsesAreCapped(t *testing.T) {
	x := NewIndex(twoSources, expiry, 1000)
	for s := range uint32(50) {
		x.Announce(0, announceOf(20000+s, 1), 0)
	}
	resp, rs := respond(t, x, 10, 65536, request(nil), 1)
	assert.Equal(t, wire.DiscoveryStatusOK, resp.Status)
	assert.Len(t, resp.Results, 10)
	assert.Equal(t, uint32(20000), resp.Results[0].StreamID, "in index order")
	assert.Contains(t, resp.ErrorMessage, "truncated")
	assert.Equal(t, uint64(1), rs.Truncated)

	resp, _ = respond(t, x, 1000, 2048, request(nil), 1)
	assert.NotEmpty(t, resp.Results)
	assert.Less(t, len(resp.Results), 50)
	assert.LessOrEqual(t, resp.EncodedLength(), 2048)
	assert.Contains(t, resp.ErrorMessage, "truncated")

	resp, _ = respond(t, x, 50, 1<<20, request(nil), 1)
	assert.Len(t, resp.Results, 50)
	assert.Empty(t, resp.ErrorMessage, "everything fit")
}

// §5.1: client_id is opaque, not an authority: two clients asking the same get the same.
func TestDiscoverySpec_5_1_ClientIDGrantsNothing(t *testing.T) {
	x := NewIndex(twoSources, expiry, 100)
	x.Announce(0, announceOf(10000, 1), 0)
	a, _ := respond(t, x, 10, 65536, request(func(r *wire.DiscoveryRequest) { r.ClientID = 1 }), 1)
	b, _ := respond(t, x, 10, 65536, request(func(r *wire.DiscoveryRequest) { r.ClientID = 0xffffffff }), 1)
	assert.Equal(t, a.Results, b.Results)
}

// FuzzJudgeAndAnswer: whatever bytes arrive on the request stream, Judge never panics,
// and what it answers decodes as a DiscoveryResponse to the request's id, within the
// byte limit, with results only when OK.
func FuzzJudgeAndAnswer(f *testing.F) {
	f.Add(encodeMsg(f, new(request(nil))))
	f.Add(encodeMsg(f, new(request(func(r *wire.DiscoveryRequest) { r.Tags = []string{"rgb", "", "rgb"}; r.ResponseStreamID = 0 }))))
	f.Add([]byte{})
	x := NewIndex(twoSources, expiry, 100)
	x.Announce(0, announceOf(10000, 1), 0)
	x.DataSourceMeta(0, &wire.DataSourceMeta{StreamID: 10000, Attributes: []wire.Attribute{{Key: TagAttribute, Value: []byte("rgb")}}}, 0)
	rs := NewResponder(x, expiry, 10, 4096)
	var view wire.DiscoveryRequestView
	f.Fuzz(func(t *testing.T, msg []byte) {
		h, err := wire.PeekHeader(msg)
		if err != nil {
			return
		}
		v, problem := Judge(msg, h, &view)
		var out []byte
		switch v {
		case Answer:
			out = rs.Answer(&view, 1, 4096)
		case AnswerError:
			out = rs.Error(view.RequestID, problem)
		default:
			return
		}
		var resp wire.DiscoveryResponse
		if err := resp.Decode(out); err != nil {
			t.Fatalf("answer does not decode: %v", err)
		}
		if resp.RequestID != view.RequestID || len(out) > 4096 || (resp.Status != wire.DiscoveryStatusOK && len(resp.Results) > 0) {
			t.Fatalf("answer %+v to request %d (%d bytes)", resp, view.RequestID, len(out))
		}
	})
}

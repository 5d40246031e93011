package tp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// encodeDiscoveryResponse encodes r exactly as given: invalid results, results under a
// non-OK status and all. DataSourceID 0 goes out as the null.
func encodeDiscoveryResponse(r *DiscoveryResponse) []byte {
	return encoded(&wire.DiscoveryResponse{RequestID: r.RequestID, Status: r.Status, Results: r.Entries, ErrorMessage: r.ErrorMessage})
}

func validEntry(streamID uint32) DiscoveryEntry {
	return DiscoveryEntry{
		StreamID: streamID, ProducerID: 4, Epoch: 12, LayoutVersion: 1, HeaderNslots: 16, HeaderSlotBytes: 256, MaxDims: 8,
		DataSourceID: 99, DriverControlStreamID: 1000,
		PayloadPools: []DiscoveryPool{
			{PoolID: 1, PoolNslots: 16, StrideBytes: 4096, RegionURI: "shm:file?path=/dev/shm/tp/p1"},
			{PoolID: 2, PoolNslots: 16, StrideBytes: 65536, RegionURI: "shm:file?path=/dev/shm/tp/p2"},
		},
		Tags:            []string{"camera", "Left"},
		HeaderRegionURI: "shm:file?path=/dev/shm/tp/h", DataSourceName: "cam0", DriverInstanceID: "driver-a", DriverControlChannel: "aeron:ipc",
	}
}

// decodeOK decodes a response that must be usable as a whole.
func decodeOK(t *testing.T, buf []byte) (DiscoveryResponse, error) {
	t.Helper()
	var r DiscoveryResponse
	ignored, err := decodeDiscoveryResponse(buf, &r)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return r, ignored
}

// Discovery §5.2: a response's results decode field for field; an absent data_source_id
// (the null value) reads as 0.
func TestDiscoverySpec_5_2_ResponseRoundTrip(t *testing.T) {
	noSource := validEntry(2)
	noSource.DataSourceID, noSource.Tags, noSource.DataSourceName = 0, nil, ""
	want := DiscoveryResponse{RequestID: 1<<32 | 5, Status: DiscoveryStatusOK, ErrorMessage: "", Entries: []DiscoveryEntry{validEntry(1), noSource}}
	got, ignored := decodeOK(t, encodeDiscoveryResponse(&want))
	if ignored != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %+v (ignored %v)\nwant    %+v", got, ignored, want)
	}
	// OK with zero results is a normal answer.
	empty := DiscoveryResponse{RequestID: 3, Status: DiscoveryStatusOK}
	if got, ignored := decodeOK(t, encodeDiscoveryResponse(&empty)); ignored != nil || !reflect.DeepEqual(got, empty) {
		t.Fatalf("empty response %+v %v", got, ignored)
	}
}

// Discovery §5.2: results that break a MUST (empty driver control channel, driver control
// stream id 0, pool_nslots unlike header_nslots, header_slot_bytes other than 256, max_dims
// other than 8) or this client's limits are ignored; the valid ones stay.
func TestDiscoverySpec_5_2_InvalidResultsIgnored(t *testing.T) {
	for _, tc := range []struct {
		name, field string
		spoil       func(*DiscoveryEntry)
	}{
		{"empty driver control channel", "driverControlChannel", func(e *DiscoveryEntry) { e.DriverControlChannel = "" }},
		{"driver control stream 0", "driverControlStreamId", func(e *DiscoveryEntry) { e.DriverControlStreamID = 0 }},
		{"pool nslots mismatch", "payloadPools[1].poolNslots", func(e *DiscoveryEntry) { e.PayloadPools[1].PoolNslots = 32 }},
		{"header slot bytes", "headerSlotBytes", func(e *DiscoveryEntry) { e.HeaderSlotBytes = 128 }},
		{"max dims", "maxDims", func(e *DiscoveryEntry) { e.MaxDims = 4 }},
		{"too many pools", "payloadPools", func(e *DiscoveryEntry) {
			e.PayloadPools = make([]DiscoveryPool, MaxDiscoveryPools+1)
			for i := range e.PayloadPools {
				e.PayloadPools[i] = DiscoveryPool{PoolID: uint16(i), PoolNslots: e.HeaderNslots}
			}
		}},
		{"too many tags", "tags", func(e *DiscoveryEntry) {
			e.Tags = strings.Split(strings.Repeat("t,", MaxDiscoveryTags+1), ",")[:MaxDiscoveryTags+1]
		}},
		{"long tag", "tags[1]", func(e *DiscoveryEntry) { e.Tags[1] = strings.Repeat("x", MaxDiscoveryTagBytes+1) }},
		{"long region uri", "payloadPools[0].regionUri", func(e *DiscoveryEntry) { e.PayloadPools[0].RegionURI = strings.Repeat("u", MaxDiscoveryURIBytes+1) }},
		{"long header uri", "headerRegionUri", func(e *DiscoveryEntry) { e.HeaderRegionURI = strings.Repeat("u", MaxDiscoveryURIBytes+1) }},
		{"long name", "dataSourceName", func(e *DiscoveryEntry) { e.DataSourceName = strings.Repeat("n", MaxDiscoveryTextBytes+1) }},
		{"long instance id", "driverInstanceId", func(e *DiscoveryEntry) { e.DriverInstanceID = strings.Repeat("i", MaxDiscoveryTextBytes+1) }},
		{"long control channel", "driverControlChannel", func(e *DiscoveryEntry) { e.DriverControlChannel = strings.Repeat("c", MaxDiscoveryURIBytes+1) }},
	} {
		bad := validEntry(2)
		tc.spoil(&bad)
		r := DiscoveryResponse{RequestID: 9, Status: DiscoveryStatusOK, Entries: []DiscoveryEntry{validEntry(1), bad, validEntry(3)}}
		got, ignored := decodeOK(t, encodeDiscoveryResponse(&r))
		if len(got.Entries) != 2 || got.Entries[0].StreamID != 1 || got.Entries[1].StreamID != 3 || got.IgnoredResults != 1 {
			t.Errorf("%s: %d entries, %d ignored", tc.name, len(got.Entries), got.IgnoredResults)
			continue
		}
		var me *MessageError
		if !errors.As(ignored, &me) || !errors.Is(ignored, ErrMalformed) || me.Field != "results[1]."+tc.field {
			t.Errorf("%s: ignored %v", tc.name, ignored)
		}
	}
	// An empty tag is "not provided" (§5.0), not an error.
	e := validEntry(1)
	e.Tags = []string{"", "a", ""}
	got, ignored := decodeOK(t, encodeDiscoveryResponse(&DiscoveryResponse{RequestID: 1, Status: DiscoveryStatusOK, Entries: []DiscoveryEntry{e}}))
	if ignored != nil || len(got.Entries) != 1 || !reflect.DeepEqual(got.Entries[0].Tags, []string{"a"}) {
		t.Fatalf("empty tags: %+v %v", got.Entries, ignored)
	}
}

// Discovery §5.2: with status NOT_FOUND or ERROR any results are ignored; the error
// message is kept (cut at MaxDiscoveryErrorBytes).
func TestDiscoverySpec_5_2_NonOKStatusCarriesNoResults(t *testing.T) {
	for _, status := range []DiscoveryStatus{DiscoveryStatusNotFound, DiscoveryStatusError} {
		r := DiscoveryResponse{RequestID: 4, Status: status, ErrorMessage: "no such stream", Entries: []DiscoveryEntry{validEntry(1), validEntry(2)}}
		got, ignored := decodeOK(t, encodeDiscoveryResponse(&r))
		if got.Entries != nil || got.IgnoredResults != 2 || got.Status != status || got.ErrorMessage != "no such stream" {
			t.Fatalf("%v: %+v", status, got)
		}
		var me *MessageError
		if !errors.As(ignored, &me) || me.Field != "results" {
			t.Fatalf("%v: ignored %v", status, ignored)
		}
	}
	long := strings.Repeat("e", MaxDiscoveryErrorBytes+10)
	got, _ := decodeOK(t, encodeDiscoveryResponse(&DiscoveryResponse{RequestID: 4, Status: DiscoveryStatusError, ErrorMessage: long}))
	if got.ErrorMessage != long[:MaxDiscoveryErrorBytes] {
		t.Fatalf("error message of %d bytes", len(got.ErrorMessage))
	}
}

// More than MaxDiscoveryEntries valid results: the first are kept and the response says
// it was truncated.
func TestDiscoveryResponseTruncated(t *testing.T) {
	r := DiscoveryResponse{RequestID: 1, Status: DiscoveryStatusOK}
	for i := range MaxDiscoveryEntries + 5 {
		r.Entries = append(r.Entries, validEntry(uint32(i)))
	}
	got, ignored := decodeOK(t, encodeDiscoveryResponse(&r))
	if ignored != nil || !got.Truncated || len(got.Entries) != MaxDiscoveryEntries || got.Entries[MaxDiscoveryEntries-1].StreamID != MaxDiscoveryEntries-1 {
		t.Fatalf("truncated %v, %d entries, ignored %v", got.Truncated, len(got.Entries), ignored)
	}
}

// Discovery §10 and §4.2: only schema 910 version 1 DiscoveryResponses are read; a status
// outside the enum, a broken structure or another version rejects the whole response.
func TestDiscoverySpec_10_ResponseGating(t *testing.T) {
	valid := encodeDiscoveryResponse(&DiscoveryResponse{RequestID: 1, Status: DiscoveryStatusOK, Entries: []DiscoveryEntry{validEntry(1)}})
	patch := func(offset int, v uint16) []byte {
		b := bytes.Clone(valid)
		binary.LittleEndian.PutUint16(b[offset:], v)
		return b
	}
	badStatus := bytes.Clone(valid)
	badStatus[wire.HeaderLength+8] = 7
	nullStatus := bytes.Clone(valid)
	nullStatus[wire.HeaderLength+8] = 0xff
	for _, tc := range []struct {
		name  string
		msg   []byte
		field string
		want  error
	}{
		{"version 2", patch(6, 2), "messageHeader.version", nil},
		{"version 0", patch(6, 0), "messageHeader.version", nil},
		{"another schema", patch(4, wire.ControlSchemaID), "messageHeader", nil},
		{"a request", patch(2, wire.DiscoveryRequestID.TemplateID()), "messageHeader", nil},
		{"unknown status", badStatus, "", wire.ErrUnknownEnum},
		{"null status", nullStatus, "", wire.ErrUnknownEnum},
		{"truncated", valid[:len(valid)-1], "", wire.ErrShortBuffer},
		{"short block", patch(0, 8), "", wire.ErrBadLength},
		{"header only", valid[:wire.HeaderLength], "", wire.ErrShortBuffer},
		{"empty", nil, "", wire.ErrShortBuffer},
	} {
		var r DiscoveryResponse
		_, err := decodeDiscoveryResponse(tc.msg, &r)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		wantMalformed(t, err, tc.field, tc.want)
	}
}

// The client drops responses to ids it did not send (§5.2), keeps the newest response per
// pending id, skips other schemas and counts malformed responses.
func TestDiscoverySpec_5_2_ResponsesMatchPendingRequests(t *testing.T) {
	d := &DiscoveryClient{clientID: 3}
	d.pending[0] = pendingDiscovery{id: 3<<32 | 1}
	first := DiscoveryResponse{RequestID: 3<<32 | 1, Status: DiscoveryStatusOK, Entries: []DiscoveryEntry{validEntry(1)}}
	d.handle(encodeDiscoveryResponse(&DiscoveryResponse{RequestID: 4<<32 | 1, Status: DiscoveryStatusOK}))
	d.handle(encodeDiscoveryResponse(&first))
	if got, ok := d.Response(first.RequestID); !ok || !reflect.DeepEqual(got, first) {
		t.Fatalf("response %+v %v", got, ok)
	}
	second := DiscoveryResponse{RequestID: first.RequestID, Status: DiscoveryStatusNotFound, ErrorMessage: "gone"}
	d.handle(encodeDiscoveryResponse(&second))
	if got, _ := d.Response(first.RequestID); !reflect.DeepEqual(got, second) {
		t.Fatalf("newest response %+v", got)
	}
	d.handle(encodeQosProducer(QosProducerSnapshot{}))
	d.handle([]byte{1})
	if s := d.Stats(); s != (DiscoveryStats{Responses: 2, Unmatched: 1, Malformed: 1}) {
		t.Fatalf("stats %+v", s)
	}
	wantMalformed(t, d.Err(), "", wire.ErrShortBuffer)
	if _, ok := d.Response(0); ok {
		t.Fatal("a response for id 0")
	}
	// The copy handed out is the caller's own.
	got, _ := d.Response(first.RequestID)
	got.ErrorMessage = "x"
	if again, _ := d.Response(first.RequestID); again.ErrorMessage != "gone" {
		t.Fatal("Response shares state with the client")
	}
}

// decodeRequest reads a DiscoveryRequest as a provider would: absent filters read as 0.
func decodeRequest(t *testing.T, buf []byte) wire.DiscoveryRequest {
	t.Helper()
	var r wire.DiscoveryRequest
	if err := r.Decode(buf); err != nil {
		t.Fatalf("request: %v", err)
	}
	if r.EncodedLength() != len(buf) {
		t.Fatalf("request of %d bytes in a message of %d", r.EncodedLength(), len(buf))
	}
	return r
}

// Discovery §5.0 and §5.1: absent filters go out as the schema's null values (a zero
// data source name as length 0), present ones as given, duplicate tags once; the request
// names the response endpoint.
func TestDiscoverySpec_5_0_RequestEncoding(t *testing.T) {
	encode := func(q DiscoveryQuery) (wire.DiscoveryRequest, []byte) {
		tags, err := q.checkedTags()
		if err != nil {
			t.Fatal(err)
		}
		req := discoveryRequest(7<<32|1, 7, 2001, "aeron:ipc?term-length=64k", &q, tags)
		buf := encoded(&req)
		return decodeRequest(t, buf), buf
	}
	got, buf := encode(DiscoveryQuery{})
	want := wire.DiscoveryRequest{RequestID: 7<<32 | 1, ClientID: 7, ResponseStreamID: 2001, ResponseChannel: "aeron:ipc?term-length=64k"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("no filters: %+v", got)
	}
	// On the wire the absent filters are the null values (streamId @16, producerId @20,
	// dataSourceId @24 of the block).
	block := buf[wire.HeaderLength:]
	if binary.LittleEndian.Uint32(block[16:]) != math.MaxUint32 || binary.LittleEndian.Uint32(block[20:]) != math.MaxUint32 ||
		binary.LittleEndian.Uint64(block[24:]) != math.MaxUint64 {
		t.Fatalf("absent filters not null: %x", block[16:32])
	}
	got, _ = encode(DiscoveryQuery{StreamID: 10, ProducerID: 4, DataSourceID: 99, DataSourceName: "cam0", Tags: []string{"b", "a", "b"}})
	want.StreamID, want.ProducerID, want.DataSourceID, want.DataSourceName, want.Tags = 10, 4, 99, "cam0", []string{"b", "a"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("filters: %+v", got)
	}
}

// Discovery §5.1: the client refuses to send what a provider must reject or cannot
// match: no response endpoint, response stream 0, empty or oversized tags and names.
func TestDiscoverySpec_5_1_InvalidRequestsRefused(t *testing.T) {
	c := bareClient(t)
	if _, err := c.NewDiscoveryClient("aeron:ipc", 1, "", 2); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("empty response channel: %v", err)
	}
	if _, err := c.NewDiscoveryClient("aeron:ipc", 1, "aeron:ipc", 0); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("response stream 0: %v", err)
	}
	if _, err := c.NewDiscoveryClient("", 1, "aeron:ipc", 2); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("empty request channel: %v", err)
	}
	d, err := c.NewDiscoveryClient("aeron:ipc", freshStream(), "aeron:ipc", freshStream())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	many := make([]string, MaxDiscoveryTags+1)
	for i := range many {
		many[i] = fmt.Sprint("t", i)
	}
	for name, q := range map[string]DiscoveryQuery{
		"empty tag":     {Tags: []string{"a", ""}},
		"long tag":      {Tags: []string{strings.Repeat("t", MaxDiscoveryTagBytes+1)}},
		"too many tags": {Tags: many},
		"long name":     {DataSourceName: strings.Repeat("n", MaxDiscoveryTextBytes+1)},
	} {
		if _, err := d.Request(q); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// No provider subscribes to the request stream.
	if _, err := d.Request(DiscoveryQuery{}); !errors.Is(err, ErrDiscoveryUnavailable) {
		t.Errorf("request without a provider: %v", err)
	}
	if s := d.Stats(); s.Requests != 0 {
		t.Errorf("stats %+v", s)
	}
}

// Discovery §4.3 over the media driver: the test plays the provider. It reads the request
// from the request stream and answers on the endpoint the request names, first with a
// response for another client (dropped) and a malformed one (counted), then with the
// answer, one of whose results is invalid.
func TestDiscoverySpec_4_3_RequestAndResponseOverAeron(t *testing.T) {
	c := bareClient(t)
	requests, responses := freshStream(), freshStream()
	server, err := await(context.Background(), c, c.transportNow().AddSubscription("aeron:ipc", requests))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	d, err := c.NewDiscoveryClient("aeron:ipc", requests, "aeron:ipc", responses)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })

	var id uint64
	deadline := time.Now().Add(waitTimeout)
	for {
		id, err = d.Request(DiscoveryQuery{StreamID: 10000, Tags: []string{"camera"}})
		if err == nil {
			break
		}
		if !errors.Is(err, ErrDiscoveryUnavailable) && !errors.Is(err, ErrDiscoveryBusy) || time.Now().After(deadline) {
			t.Fatalf("Request: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
	if id>>32 != uint64(d.ClientID()) || uint32(id) != 1 {
		t.Fatalf("request id %#x for client %d", id, d.ClientID())
	}

	var req *wire.DiscoveryRequest
	onRequest := func(msg []byte, _ *transport.Header) {
		r := decodeRequest(t, msg)
		req = &r
	}
	pollUntil(t, "the request at the provider", func(n int) int { return server.Poll(onRequest, n) }, func() bool { return req != nil })
	if req.RequestID != id || req.ClientID != d.ClientID() || req.StreamID != 10000 || req.ProducerID != 0 ||
		!reflect.DeepEqual(req.Tags, []string{"camera"}) || req.ResponseChannel != "aeron:ipc" || req.ResponseStreamID != uint32(responses) {
		t.Fatalf("request %+v", *req)
	}

	reply := testPublication(t, c, int32(req.ResponseStreamID))
	bad := validEntry(10000)
	bad.DriverControlStreamID = 0
	answer := DiscoveryResponse{RequestID: id, Status: DiscoveryStatusOK, Entries: []DiscoveryEntry{validEntry(10000), bad}}
	other := encodeDiscoveryResponse(&DiscoveryResponse{RequestID: id + 1<<32, Status: DiscoveryStatusOK})
	publish(t, reply, other)
	publish(t, reply, other[:len(other)-2])
	publish(t, reply, encodeDiscoveryResponse(&answer))
	var got DiscoveryResponse
	pollUntil(t, "the response", d.Poll, func() bool {
		var ok bool
		got, ok = d.Response(id)
		return ok
	})
	if len(got.Entries) != 1 || !reflect.DeepEqual(got.Entries[0], validEntry(10000)) || got.IgnoredResults != 1 || got.Status != DiscoveryStatusOK {
		t.Fatalf("response %+v", got)
	}
	if s := d.Stats(); s != (DiscoveryStats{Requests: 1, Responses: 1, Unmatched: 1, Malformed: 1, IgnoredResults: 1}) {
		t.Fatalf("stats %+v", s)
	}
	wantMalformed(t, d.Err(), "results[1].driverControlStreamId", nil)
}

// Whatever arrives, decoding never panics, and what it accepts obeys every rule and
// limit and survives re-encoding unchanged.
func FuzzDiscoveryResponse(f *testing.F) {
	for _, r := range discoveryCorpus() {
		f.Add(encodeDiscoveryResponse(&r))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		var r DiscoveryResponse
		_, err := decodeDiscoveryResponse(msg, &r)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		if len(r.Entries) > MaxDiscoveryEntries || len(r.ErrorMessage) > MaxDiscoveryErrorBytes ||
			r.Status != DiscoveryStatusOK && len(r.Entries) > 0 {
			t.Fatalf("accepted %d entries, status %v, error message of %d bytes", len(r.Entries), r.Status, len(r.ErrorMessage))
		}
		for i, e := range r.Entries {
			if problem := entryRuleBroken(&e); problem != "" {
				t.Fatalf("accepted result %d: %s: %+v", i, problem, e)
			}
		}
		again := r
		again.Truncated, again.IgnoredResults = false, 0
		var back DiscoveryResponse
		if ignored, err := decodeDiscoveryResponse(encodeDiscoveryResponse(&again), &back); err != nil || ignored != nil || !reflect.DeepEqual(back, again) {
			t.Fatalf("re-encoded response decoded as %+v (%v, %v), want %+v", back, err, ignored, again)
		}
	})
}

func entryRuleBroken(e *DiscoveryEntry) string {
	switch {
	case e.DriverControlChannel == "" || len(e.DriverControlChannel) > MaxDiscoveryURIBytes:
		return "driver control channel"
	case e.DriverControlStreamID == 0:
		return "driver control stream id"
	case e.HeaderSlotBytes != 256 || e.MaxDims != 8:
		return "layout constants"
	case len(e.PayloadPools) > MaxDiscoveryPools || len(e.Tags) > MaxDiscoveryTags:
		return "counts"
	case len(e.HeaderRegionURI) > MaxDiscoveryURIBytes || len(e.DataSourceName) > MaxDiscoveryTextBytes || len(e.DriverInstanceID) > MaxDiscoveryTextBytes:
		return "string lengths"
	}
	for _, p := range e.PayloadPools {
		if p.PoolNslots != e.HeaderNslots || len(p.RegionURI) > MaxDiscoveryURIBytes {
			return "pool"
		}
	}
	for _, tag := range e.Tags {
		if tag == "" || len(tag) > MaxDiscoveryTagBytes {
			return "tag"
		}
	}
	return ""
}

// discoveryCorpus are the fuzz seeds (also committed under testdata/fuzz).
func discoveryCorpus() []DiscoveryResponse {
	bad := validEntry(3)
	bad.PayloadPools[0].PoolNslots = 8
	return []DiscoveryResponse{
		{RequestID: 1<<32 | 1, Status: DiscoveryStatusOK, Entries: []DiscoveryEntry{validEntry(1), validEntry(2)}},
		{RequestID: 2, Status: DiscoveryStatusOK, Entries: []DiscoveryEntry{bad}},
		{RequestID: 3, Status: DiscoveryStatusError, ErrorMessage: "internal", Entries: []DiscoveryEntry{validEntry(1)}},
		{RequestID: 4, Status: DiscoveryStatusNotFound},
	}
}

package tp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// Limits of the discovery client. Responses are checked against them and never truncated
// inside a result: a result with more pools or tags, or a longer string, is ignored as
// invalid. They are the reference C client's (TP_MAX_DISCOVERY_ENTRIES, TP_MAX_POOLS,
// TP_MAX_TAGS, TP_TAG_MAX, TP_URI_MAX, TP_METADATA_TEXT_MAX), so a C program can hold
// every result in its fixed-size structs.
const (
	// MaxDiscoveryEntries results of one response are kept; further valid ones are
	// dropped and the response is marked Truncated.
	MaxDiscoveryEntries = 64
	// MaxDiscoveryPools payload pools per result.
	MaxDiscoveryPools = 16
	// MaxDiscoveryTags tags per result and per query, each at most MaxDiscoveryTagBytes.
	MaxDiscoveryTags     = 16
	MaxDiscoveryTagBytes = 64
	// MaxDiscoveryURIBytes bounds region URIs and the driver control channel.
	MaxDiscoveryURIBytes = 1024
	// MaxDiscoveryTextBytes bounds data source names (Discovery §5.1: SHOULD be at most
	// 256 bytes) and driver instance ids.
	MaxDiscoveryTextBytes = 256
	// MaxDiscoveryErrorBytes of an error_message are kept (Discovery §5.2: SHOULD be at
	// most 1024 bytes); longer ones are cut (by wire), as the text is only diagnostic.
	MaxDiscoveryErrorBytes = wire.MaxErrorMessageBytes
	// MaxPendingDiscoveryRequests request ids are remembered; a further Request forgets
	// the oldest, and its response, if any.
	MaxPendingDiscoveryRequests = 16
)

// discoverySchemaVersion is the only discovery schema version this client reads
// (Discovery §10).
const discoverySchemaVersion = wire.DiscoverySchemaVersion

// Errors of DiscoveryClient.Request; compare with errors.Is.
var (
	// ErrDiscoveryUnavailable: nothing subscribes to the request stream.
	ErrDiscoveryUnavailable = errors.New("tp: no discovery service on the request stream")
	// ErrDiscoveryBusy: the request stream is back-pressured; try again.
	ErrDiscoveryBusy = errors.New("tp: discovery request stream back-pressured")
)

// DiscoveryStatus is a DiscoveryResponse's status (Discovery §5.2).
type DiscoveryStatus = wire.DiscoveryStatus

// The statuses of Discovery §5.2: OK also for zero results; NOT_FOUND and ERROR carry no
// results.
const (
	DiscoveryStatusOK       = wire.DiscoveryStatusOK
	DiscoveryStatusNotFound = wire.DiscoveryStatusNotFound
	DiscoveryStatusError    = wire.DiscoveryStatusError
)

// DiscoveryQuery are a request's filters, AND-ed by the provider (Discovery §5.1). Zero
// ids, an empty name and no tags mean "any": they go out as the schema's null values.
type DiscoveryQuery struct {
	StreamID       uint32
	ProducerID     uint32
	DataSourceID   uint64
	DataSourceName string // compared byte for byte; at most MaxDiscoveryTextBytes
	// Tags must all be present on a result; duplicates count once. At most
	// MaxDiscoveryTags distinct, non-empty, of at most MaxDiscoveryTagBytes each.
	Tags []string
}

// DiscoveryPool is one payload pool of a result.
type DiscoveryPool = wire.PayloadPool

// DiscoveryEntry is one stream of a response: an advisory snapshot (Discovery §3). Attach
// through the driver it names (DriverControlChannel, DriverControlStreamID) and validate
// what it grants; never map regions from a discovery result alone. DataSourceID is 0 when
// the provider sent none; Tags leave out empty ones (§5.0: "not provided").
type DiscoveryEntry = wire.DiscoveryResult

// DiscoveryResponse is a decoded DiscoveryResponse (Discovery §5.2). Entries holds the
// valid results only, at most MaxDiscoveryEntries of them.
type DiscoveryResponse struct {
	RequestID    uint64
	Status       DiscoveryStatus
	ErrorMessage string
	Entries      []DiscoveryEntry
	// Truncated: more than MaxDiscoveryEntries valid results came; the rest were dropped.
	Truncated bool
	// IgnoredResults counts the results left out: invalid ones (DiscoveryClient.Err says
	// why the first was) and any sent with a status other than OK.
	IgnoredResults uint32
}

func (r *DiscoveryResponse) clone() DiscoveryResponse {
	c := *r
	if r.Entries != nil {
		c.Entries = make([]DiscoveryEntry, len(r.Entries))
		for i, e := range r.Entries {
			e.PayloadPools = slices.Clone(e.PayloadPools)
			e.Tags = slices.Clone(e.Tags)
			c.Entries[i] = e
		}
	}
	return c
}

// DiscoveryStats are a DiscoveryClient's totals.
type DiscoveryStats struct {
	// Requests counts requests sent; Responses the responses taken.
	Requests, Responses uint64
	// Unmatched counts well-formed responses to request ids this client is not waiting
	// for, dropped (Discovery §5.2): other clients' on a shared stream, or forgotten ones.
	Unmatched uint64
	// Malformed counts responses ignored as a whole (Err says why).
	Malformed uint64
	// IgnoredResults counts results left out of responses taken.
	IgnoredResults uint64
}

type pendingDiscovery struct {
	id       uint64
	answered bool
	resp     DiscoveryResponse
}

// DiscoveryClient asks a discovery provider which streams exist (Discovery spec v1.0). It
// publishes DiscoveryRequests on the request stream, naming its response endpoint in each
// (§4.3), and keeps the newest response to each of its last MaxPendingDiscoveryRequests
// requests. Responses are validated (§5.2, §10): malformed ones are ignored as a whole,
// invalid results are left out, and responses to request ids it did not send are dropped.
//
// Request ids are the client id in the upper 32 bits and a count from 1 below, so clients
// sharing a response stream never take each other's answers. Its methods are safe for
// concurrent use.
type DiscoveryClient struct {
	client           *Client
	pub              transport.Publication
	sub              transport.Subscription
	onFragment       transport.Handler
	responseChannel  string
	responseStreamID uint32
	clientID         uint32

	mu      sync.Mutex
	closed  bool
	seq     uint32
	pending [MaxPendingDiscoveryRequests]pendingDiscovery
	oldest  int // the ring slot the next request takes
	buf     []byte
	stats   DiscoveryStats
	err     error
}

// NewDiscoveryClient publishes requests on requestChannel/requestStreamID and reads
// responses on responseChannel/responseStreamID, the endpoint each request names
// (Discovery §4.3, §5.1: non-empty, stream id non-zero).
func (c *Client) NewDiscoveryClient(requestChannel string, requestStreamID int32, responseChannel string, responseStreamID int32) (*DiscoveryClient, error) {
	switch {
	case requestChannel == "":
		return nil, fmt.Errorf("%w: a discovery request channel is required", ErrInvalidOptions)
	case responseChannel == "":
		return nil, fmt.Errorf("%w: a discovery response channel is required (Discovery §5.1)", ErrInvalidOptions)
	case len(responseChannel) > wire.MaxChannelBytes:
		return nil, fmt.Errorf("%w: discovery response channel of %d bytes, more than %d", ErrInvalidOptions, len(responseChannel), wire.MaxChannelBytes)
	case responseStreamID == 0:
		return nil, fmt.Errorf("%w: discovery response stream id 0 (Discovery §5.1: must be non-zero)", ErrInvalidOptions)
	}
	d := &DiscoveryClient{client: c, responseChannel: responseChannel, responseStreamID: uint32(responseStreamID), clientID: c.clientID()}
	var err error
	if d.sub, d.onFragment, err = c.subscribeMessages(responseChannel, responseStreamID, d.handle); err != nil {
		return nil, err
	}
	if d.pub, err = await(context.Background(), c, c.transportNow().AddPublication(requestChannel, requestStreamID)); err != nil {
		d.sub.Close()
		return nil, fmt.Errorf("tp: discovery request publication %s stream %d: %w", requestChannel, requestStreamID, err)
	}
	if err := c.track(d); err != nil {
		d.closeStreams()
		return nil, err
	}
	return d, nil
}

// ClientID is the client_id this client's requests carry.
func (d *DiscoveryClient) ClientID() uint32 { return d.clientID }

// Request sends one DiscoveryRequest and returns its id; the answer arrives through Poll
// and is read with Response. It never blocks: without a provider subscribed it fails with
// ErrDiscoveryUnavailable, under back pressure with ErrDiscoveryBusy (send it again).
func (d *DiscoveryClient) Request(q DiscoveryQuery) (uint64, error) {
	tags, err := q.checkedTags()
	if err != nil {
		return 0, err
	}
	if len(q.DataSourceName) > MaxDiscoveryTextBytes {
		return 0, fmt.Errorf("%w: data source name of %d bytes, more than %d", ErrInvalidOptions, len(q.DataSourceName), MaxDiscoveryTextBytes)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, ErrClosed
	}
	seq := d.seq + 1
	if seq == 0 {
		seq = 1
	}
	id := uint64(d.clientID)<<32 | uint64(seq)
	req := discoveryRequest(id, d.clientID, d.responseStreamID, d.responseChannel, &q, tags)
	if n := req.EncodedLength(); len(d.buf) < n {
		d.buf = make([]byte, n)
	}
	n, err := req.Encode(d.buf) // bounded by the checks above
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if err := sendDiscovery(d.pub, d.buf[:n]); err != nil {
		return 0, err
	}
	d.seq = seq
	d.pending[d.oldest] = pendingDiscovery{id: id}
	d.oldest = (d.oldest + 1) % len(d.pending)
	d.stats.Requests++
	return id, nil
}

// checkedTags validates the query's tags and returns them without duplicates.
func (q *DiscoveryQuery) checkedTags() ([]string, error) {
	var tags []string
	for _, t := range q.Tags {
		switch {
		case t == "":
			return nil, fmt.Errorf("%w: empty discovery tag", ErrInvalidOptions)
		case len(t) > MaxDiscoveryTagBytes:
			return nil, fmt.Errorf("%w: discovery tag of %d bytes, more than %d", ErrInvalidOptions, len(t), MaxDiscoveryTagBytes)
		case slices.Contains(tags, t):
			continue // Discovery §5.1: duplicates are one tag
		}
		tags = append(tags, t)
	}
	if len(tags) > MaxDiscoveryTags {
		return nil, fmt.Errorf("%w: %d discovery tags, more than %d", ErrInvalidOptions, len(tags), MaxDiscoveryTags)
	}
	return tags, nil
}

// discoveryRequest is the DiscoveryRequest for q, whose tags were checked (checkedTags).
// Absent filters are 0, which go out as the schema's null values (Discovery §5.0).
func discoveryRequest(id uint64, clientID, responseStreamID uint32, responseChannel string, q *DiscoveryQuery, tags []string) wire.DiscoveryRequest {
	return wire.DiscoveryRequest{RequestID: id, ClientID: clientID, ResponseStreamID: responseStreamID,
		StreamID: q.StreamID, ProducerID: q.ProducerID, DataSourceID: q.DataSourceID, Tags: tags,
		ResponseChannel: responseChannel, DataSourceName: q.DataSourceName}
}

func sendDiscovery(pub transport.Publication, msg []byte) error {
	for range 3 {
		switch r := pub.Offer(msg); {
		case r >= 0:
			return nil
		case r == transport.AdminAction:
			continue
		case r == transport.NotConnected:
			return ErrDiscoveryUnavailable
		case r == transport.BackPressured:
			return ErrDiscoveryBusy
		case r == transport.Closed:
			return ErrClosed
		default:
			return fmt.Errorf("tp: discovery request publication failed (%d)", r)
		}
	}
	return ErrDiscoveryBusy
}

// Poll reads up to limit fragments of the response stream and returns how many it read.
// It never blocks.
func (d *DiscoveryClient) Poll(limit int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0
	}
	return d.sub.Poll(d.onFragment, limit)
}

// handle takes one message of the response stream (with d.mu held). Other schemas and
// templates are skipped (Discovery §4.2: the stream may be shared).
func (d *DiscoveryClient) handle(msg []byte) {
	h, err := wire.PeekHeader(msg)
	if err != nil {
		d.stats.Malformed++
		d.err = decodeFailure("DiscoveryResponse", "Discovery §4.2", err)
		return
	}
	if h.ID() != wire.DiscoveryResponseID {
		return
	}
	var r DiscoveryResponse
	ignored, err := decodeDiscoveryResponse(msg, &r)
	if err != nil {
		d.stats.Malformed++
		d.err = err
		return
	}
	i := slices.IndexFunc(d.pending[:], func(p pendingDiscovery) bool { return p.id != 0 && p.id == r.RequestID })
	if i < 0 {
		d.stats.Unmatched++ // Discovery §5.2: drop responses with unknown request ids
		return
	}
	d.pending[i].resp, d.pending[i].answered = r, true
	d.stats.Responses++
	d.stats.IgnoredResults += uint64(r.IgnoredResults)
	if ignored != nil {
		d.err = ignored
	}
}

// Response returns a copy of the newest response to requestID, if one arrived and the id
// is still remembered.
func (d *DiscoveryClient) Response(requestID uint64) (DiscoveryResponse, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.pending {
		if p := &d.pending[i]; p.answered && p.id == requestID {
			return p.resp.clone(), true
		}
	}
	return DiscoveryResponse{}, false
}

// Awaiting reports whether requestID is a request of this client still remembered and not
// answered yet: its response may still come.
func (d *DiscoveryClient) Awaiting(requestID uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.pending {
		if p := &d.pending[i]; p.id != 0 && p.id == requestID {
			return !p.answered
		}
	}
	return false
}

// Stats returns the client's totals.
func (d *DiscoveryClient) Stats() DiscoveryStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Err returns and clears the reason the latest response, or result, was ignored: a
// *MessageError, matching ErrMalformed.
func (d *DiscoveryClient) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	err := d.err
	d.err = nil
	return err
}

// Close removes the publication and the subscription. Responses already taken stay
// readable.
func (d *DiscoveryClient) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	err := d.closeStreams()
	d.mu.Unlock()
	d.client.untrack(d)
	return err
}

func (d *DiscoveryClient) closeStreams() error {
	return errors.Join(d.sub.Close(), d.pub.Close())
}

// decodeDiscoveryResponse validates buf as a DiscoveryResponse and decodes it into r. A
// response unusable as a whole (Discovery §10 version, wire structure, unknown status)
// returns err. Results breaking a rule of §5.2 or this client's limits are left out and
// counted in r.IgnoredResults; ignored says why the first was. It never panics.
func decodeDiscoveryResponse(buf []byte, r *DiscoveryResponse) (ignored, err error) {
	const name = "DiscoveryResponse"
	h, err := wire.PeekHeader(buf)
	if err != nil {
		return nil, decodeFailure(name, "Discovery §10", err)
	}
	if h.ID() != wire.DiscoveryResponseID {
		return nil, &MessageError{Message: name, Section: "Discovery §10", Field: "messageHeader",
			Problem: fmt.Sprintf("schema %d template %d is not a DiscoveryResponse", h.SchemaID, h.TemplateID)}
	}
	if h.Version != discoverySchemaVersion {
		return nil, &MessageError{Message: name, Section: "Discovery §10", Field: "messageHeader.version",
			Problem: fmt.Sprintf("schema version %d, only %d is supported", h.Version, discoverySchemaVersion)}
	}
	var m wire.DiscoveryResponse
	if err := m.Decode(buf); err != nil {
		// Includes a status outside OK/NOT_FOUND/ERROR (wire.ErrUnknownEnum).
		return nil, decodeFailure(name, "Discovery §5.2", err)
	}
	*r = DiscoveryResponse{RequestID: m.RequestID, Status: m.Status, ErrorMessage: m.ErrorMessage}
	if r.Status != DiscoveryStatusOK {
		if n := len(m.Results); n > 0 {
			// §5.2: NOT_FOUND and ERROR carry no results; ignore any sent.
			r.IgnoredResults = uint32(n)
			ignored = &MessageError{Message: name, Section: "Discovery §5.2", Field: "results",
				Problem: fmt.Sprintf("%d results with status %v, ignored", n, r.Status)}
		}
		return ignored, nil
	}
	for i := range m.Results {
		e := &m.Results[i]
		field, problem := checkDiscoveryEntry(e)
		switch {
		case problem != "":
			r.IgnoredResults++
			if ignored == nil {
				ignored = &MessageError{Message: name, Section: "Discovery §5.2", Field: fmt.Sprintf("results[%d].%s", i, field), Problem: problem}
			}
		case len(r.Entries) == MaxDiscoveryEntries:
			r.Truncated = true
		default:
			r.Entries = append(r.Entries, *e)
		}
	}
	return ignored, nil
}

// checkDiscoveryEntry applies the rules of §5.2 and this client's limits to one result,
// in schema order, and drops its empty tags (§5.0: length 0 is "not provided"). It
// returns the first field at fault and the problem, "" if the result is valid.
func checkDiscoveryEntry(e *DiscoveryEntry) (field, problem string) {
	fail := func(f, p string) {
		if problem == "" {
			field, problem = f, p
		}
	}
	if e.DriverControlStreamID == 0 {
		fail("driverControlStreamId", "0: a result's driver control stream id must be non-zero")
	}
	if e.HeaderSlotBytes != shm.HeaderSlotSize {
		fail("headerSlotBytes", fmt.Sprintf("%d, v1.x requires %d", e.HeaderSlotBytes, shm.HeaderSlotSize))
	}
	if e.MaxDims != shm.MaxDims {
		fail("maxDims", fmt.Sprintf("%d, v1.x requires %d", e.MaxDims, shm.MaxDims))
	}
	if n := len(e.PayloadPools); n > MaxDiscoveryPools {
		fail("payloadPools", fmt.Sprintf("%d pools, more than %d", n, MaxDiscoveryPools))
	}
	for i, p := range e.PayloadPools {
		if p.PoolNslots != e.HeaderNslots {
			fail(fmt.Sprintf("payloadPools[%d].poolNslots", i), fmt.Sprintf("%d, header_nslots is %d: they must match", p.PoolNslots, e.HeaderNslots))
		}
		if n := len(p.RegionURI); n > MaxDiscoveryURIBytes {
			fail(fmt.Sprintf("payloadPools[%d].regionUri", i), fmt.Sprintf("%d bytes, more than %d", n, MaxDiscoveryURIBytes))
		}
	}
	if n := len(e.Tags); n > MaxDiscoveryTags {
		fail("tags", fmt.Sprintf("%d tags, more than %d", n, MaxDiscoveryTags))
	}
	for i, t := range e.Tags {
		if n := len(t); n > MaxDiscoveryTagBytes {
			fail(fmt.Sprintf("tags[%d]", i), fmt.Sprintf("%d bytes, more than %d", n, MaxDiscoveryTagBytes))
		}
	}
	e.Tags = slices.DeleteFunc(e.Tags, func(t string) bool { return t == "" })
	if len(e.Tags) == 0 {
		e.Tags = nil
	}
	for _, s := range []struct {
		field, value string
		limit        int
	}{
		{"headerRegionUri", e.HeaderRegionURI, MaxDiscoveryURIBytes},
		{"dataSourceName", e.DataSourceName, MaxDiscoveryTextBytes},
		{"driverInstanceId", e.DriverInstanceID, MaxDiscoveryTextBytes},
		{"driverControlChannel", e.DriverControlChannel, MaxDiscoveryURIBytes},
	} {
		if len(s.value) > s.limit {
			fail(s.field, fmt.Sprintf("%d bytes, more than %d", len(s.value), s.limit))
		}
	}
	if e.DriverControlChannel == "" {
		fail("driverControlChannel", "empty: a result must name its driver's control channel")
	}
	return field, problem
}

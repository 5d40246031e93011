package discovery

import (
	"bytes"
	"strconv"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// Bounds of a request the provider answers: a response channel Aeron could use, and the
// filters the clients send (tp.MaxDiscoveryTags and friends).
const (
	MaxResponseChannelBytes = wire.MaxChannelBytes
	MaxRequestTags          = MaxTags
	// MaxRequestBytes bounds a request's encoded size: the response channel, a name and
	// MaxRequestTags tags fit with room to spare. Longer requests are dropped.
	MaxRequestBytes = 8192
)

// Verdict is what a request gets (Discovery §5.1, §10).
type Verdict uint8

const (
	// Answer: a well-formed request, answered OK with its matches (§5.2), even none.
	Answer Verdict = iota
	// AnswerError: a malformed request with a usable response endpoint, answered
	// status=ERROR and no results (§5.1 response_stream_id 0; filters beyond the limits).
	AnswerError
	// DropNoResponseChannel: an empty response_channel, dropped silently (§5.1).
	DropNoResponseChannel
	// DropUnusableChannel: a response channel no publication can be added on (not an
	// Aeron URI, or longer than MaxResponseChannelBytes), dropped.
	DropUnusableChannel
	// DropUnsupportedVersion: a schema version other than 1 (§10), dropped.
	DropUnsupportedVersion
	// DropMalformed: bytes that do not validate as a DiscoveryRequest, or more than
	// MaxRequestBytes of them, dropped.
	DropMalformed
	verdictCount
)

var verdictNames = [verdictCount]string{"answer", "answer_error", "no_response_channel", "unusable_channel", "unsupported_version", "malformed"}

func (v Verdict) String() string {
	if v < verdictCount {
		return verdictNames[v]
	}
	return "Verdict(" + strconv.Itoa(int(v)) + ")"
}

// Judge applies the request rules to msg, whose header is h, decoding it into req. An
// AnswerError comes with the error_message to send.
func Judge(msg []byte, h wire.Header, req *wire.DiscoveryRequestView) (Verdict, string) {
	if h.Version != wire.DiscoverySchemaVersion {
		return DropUnsupportedVersion, ""
	}
	if len(msg) > MaxRequestBytes || req.Decode(msg) != nil {
		return DropMalformed, ""
	}
	switch ch := req.ResponseChannel; {
	case len(ch) == 0:
		return DropNoResponseChannel, ""
	case len(ch) > MaxResponseChannelBytes || !bytes.HasPrefix(ch, aeronScheme) || len(ch) == len(aeronScheme):
		return DropUnusableChannel, ""
	}
	switch {
	case req.ResponseStreamID == 0:
		return AnswerError, "response_stream_id 0: a request must name a non-zero response stream (Discovery §5.1)"
	case len(req.DataSourceName) > MaxNameBytes:
		return AnswerError, "data_source_name longer than 256 bytes (Discovery §5.1)"
	case len(req.Tags) > MaxRequestTags:
		return AnswerError, "more than 16 tags"
	}
	for _, t := range req.Tags {
		if len(t) > MaxTagBytes {
			return AnswerError, "a tag longer than 64 bytes"
		}
	}
	return Answer, ""
}

var aeronScheme = []byte("aeron:")

// Matches reports whether a visible entry passes the request's filters: every filter
// given must hold (§5.1: AND), absent ones are 0 or empty (§5.0). Names and tags compare
// byte for byte, case included; every requested tag must be among the entry's, so a
// duplicate or empty requested tag changes nothing.
func Matches(e *Entry, req *wire.DiscoveryRequestView) bool {
	switch {
	case req.StreamID != 0 && e.StreamID != req.StreamID:
		return false
	case req.ProducerID != 0 && e.ProducerID != req.ProducerID:
		return false
	case req.DataSourceID != 0 && e.DataSourceID != req.DataSourceID:
		return false
	case len(req.DataSourceName) != 0 && string(req.DataSourceName) != e.DataSourceName:
		return false
	}
	for _, want := range req.Tags {
		if len(want) == 0 {
			continue
		}
		found := false
		for _, have := range e.Tags {
			if have == string(want) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Responder builds responses into buffers it keeps, so answering allocates nothing once
// they have grown to the largest response sent.
type Responder struct {
	index      *Index
	expiryNs   int64
	maxResults int
	maxBytes   int
	results    []wire.DiscoveryResult
	resp       wire.DiscoveryResponse
	buf        []byte
	// Truncated counts the responses that left matches out.
	Truncated uint64
}

// NewResponder answers from index with at most maxResults results of at most maxBytes in
// all.
func NewResponder(index *Index, expiryNs int64, maxResults, maxBytes int) *Responder {
	return &Responder{index: index, expiryNs: expiryNs, maxResults: maxResults, maxBytes: maxBytes,
		results: make([]wire.DiscoveryResult, 0, min(maxResults, 256)), buf: make([]byte, 4096)}
}

// Answer encodes the OK response to req at nowNs, no larger than limit bytes (the
// publication's largest message, or less): every visible matching entry, in index order,
// as long as maxResults and the byte limit allow. A response that leaves matches out says
// so in its error_message (status stays OK: the request was processed). Each result names
// its entry's driver, whose control endpoint is never empty nor stream 0 (the sources are
// validated), and carries the entry's full tag set (§5.2).
func (r *Responder) Answer(req *wire.DiscoveryRequestView, nowNs int64, limit int) []byte {
	limit = min(limit, r.maxBytes)
	size := wire.DiscoveryResponseBaseLength(len(truncatedNote))
	r.results = r.results[:0]
	left := 0
	sources := r.index.Sources()
	for _, e := range r.index.Entries() {
		if !e.Visible(nowNs, r.expiryNs) || !Matches(e, req) {
			continue
		}
		if len(r.results) == r.maxResults {
			left++
			continue
		}
		src := &sources[e.Source]
		res := wire.DiscoveryResult{StreamID: e.StreamID, ProducerID: e.ProducerID, Epoch: e.Epoch, LayoutVersion: e.LayoutVersion,
			HeaderNslots: e.HeaderNslots, HeaderSlotBytes: e.HeaderSlotBytes, MaxDims: shm.MaxDims, DataSourceID: e.DataSourceID,
			DriverControlStreamID: src.DriverControlStreamID, PayloadPools: e.Pools, Tags: e.Tags, HeaderRegionURI: e.HeaderRegionURI,
			DataSourceName: e.DataSourceName, DriverInstanceID: src.DriverInstanceID, DriverControlChannel: src.DriverControlChannel}
		if n := res.EncodedLength(); size+n > limit {
			left++
			continue
		}
		size += res.EncodedLength()
		r.results = append(r.results, res)
	}
	note := ""
	if left > 0 {
		r.Truncated++
		note = truncatedNote
	}
	return r.encode(req.RequestID, wire.DiscoveryStatusOK, note)
}

// truncatedNote is the error_message of an OK response that left matches out.
const truncatedNote = "truncated: more streams match than one response holds; narrow the filters"

// Error encodes the ERROR response to requestID: no results (§5.2), the message.
func (r *Responder) Error(requestID uint64, message string) []byte {
	r.results = r.results[:0]
	return r.encode(requestID, wire.DiscoveryStatusError, message)
}

func (r *Responder) encode(requestID uint64, status wire.DiscoveryStatus, note string) []byte {
	r.resp = wire.DiscoveryResponse{RequestID: requestID, Status: status, Results: r.results, ErrorMessage: note}
	n := r.resp.EncodedLength()
	if len(r.buf) < n {
		r.buf = make([]byte, n)
	}
	m, err := r.resp.Encode(r.buf)
	r.resp = wire.DiscoveryResponse{}
	if err != nil {
		return nil // bounded fields cannot fail to encode
	}
	return r.buf[:m]
}

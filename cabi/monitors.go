package main

/*
#include "support.h"
*/
import "C"

import (
	"sync"
	"unsafe"

	"github.com/tensorpool/tensorpool/tp"
)

// The read-side helpers share one shape: a tp object behind a lock, polled by C.
type (
	tpQosMonitor struct {
		mu sync.Mutex
		m  *tp.QosMonitor
	}
	tpMetadataCache struct {
		mu sync.Mutex
		m  *tp.MetadataCache
	}
	tpDiscovery struct {
		mu sync.Mutex
		d  *tp.DiscoveryClient
	}
)

// putString copies s into the fixed C array dst, NUL-terminated and cut to fit.
func putString(dst []C.char, s string) {
	n := min(len(s), len(dst)-1)
	for i := range n {
		dst[i] = C.char(s[i])
	}
	dst[n] = 0
}

func channelArg(channel *C.char) (string, C.tp_err_t) {
	ch, ok := goString(channel)
	if !ok || ch == "" {
		return "", fail(C.TP_ERR_ARG, "tp: a channel is required")
	}
	return ch, C.TP_OK
}

//export tp_qos_monitor_init
func tp_qos_monitor_init(client *C.tp_client_t, channel *C.char, stream C.int32_t, out **C.tp_qos_monitor_t) C.tp_err_t {
	cl, ok := clientOf(client)
	if !ok {
		return badHandle()
	}
	ch, code := channelArg(channel)
	if code != C.TP_OK {
		return code
	}
	if out == nil {
		return nullArg()
	}
	m, err := cl.c.NewQosMonitor(ch, int32(stream))
	if err != nil {
		return failErr(err)
	}
	h, ok := register(&tpQosMonitor{m: m})
	if !ok {
		m.Close()
		return tooManyHandles()
	}
	*out = (*C.tp_qos_monitor_t)(handle(h))
	return C.TP_OK
}

//export tp_qos_monitor_close
func tp_qos_monitor_close(monitor *C.tp_qos_monitor_t) {
	if m, ok := unregister[*tpQosMonitor](token(unsafe.Pointer(monitor))); ok {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.m.Close()
	}
}

//export tp_qos_monitor_poll
func tp_qos_monitor_poll(monitor *C.tp_qos_monitor_t, limit C.int) C.int {
	m, ok := lookup[*tpQosMonitor](token(unsafe.Pointer(monitor)))
	if !ok {
		return C.int(badHandle())
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return C.int(m.m.Poll(max(int(limit), 1)))
}

//export tp_qos_monitor_get_producer
func tp_qos_monitor_get_producer(monitor *C.tp_qos_monitor_t, id C.uint32_t, out *C.tp_qos_producer_snapshot_t) C.tp_err_t {
	m, ok := lookup[*tpQosMonitor](token(unsafe.Pointer(monitor)))
	if !ok {
		return badHandle()
	}
	if out == nil {
		return nullArg()
	}
	m.mu.Lock()
	s, found := m.m.Producer(uint32(id))
	m.mu.Unlock()
	if !found {
		return fail(C.TP_ERR_NOT_FOUND, "tp: no QosProducer from producer %d", id)
	}
	*out = C.tp_qos_producer_snapshot_t{epoch: C.uint64_t(s.Epoch), current_seq: C.uint64_t(s.CurrentSeq),
		watermark: C.uint64_t(s.Watermark), stream_id: C.uint32_t(s.StreamID), producer_id: C.uint32_t(s.ProducerID)}
	return C.TP_OK
}

//export tp_qos_monitor_get_consumer
func tp_qos_monitor_get_consumer(monitor *C.tp_qos_monitor_t, id C.uint32_t, out *C.tp_qos_consumer_snapshot_t) C.tp_err_t {
	m, ok := lookup[*tpQosMonitor](token(unsafe.Pointer(monitor)))
	if !ok {
		return badHandle()
	}
	if out == nil {
		return nullArg()
	}
	m.mu.Lock()
	s, found := m.m.Consumer(uint32(id))
	m.mu.Unlock()
	if !found {
		return fail(C.TP_ERR_NOT_FOUND, "tp: no QosConsumer from consumer %d", id)
	}
	*out = C.tp_qos_consumer_snapshot_t{epoch: C.uint64_t(s.Epoch), last_seq_seen: C.uint64_t(s.LastSeqSeen),
		drops_gap: C.uint64_t(s.DropsGap), drops_late: C.uint64_t(s.DropsLate), stream_id: C.uint32_t(s.StreamID),
		consumer_id: C.uint32_t(s.ConsumerID), mode: C.uint8_t(s.Mode)}
	return C.TP_OK
}

//export tp_metadata_cache_init
func tp_metadata_cache_init(client *C.tp_client_t, channel *C.char, stream C.int32_t, out **C.tp_metadata_cache_t) C.tp_err_t {
	cl, ok := clientOf(client)
	if !ok {
		return badHandle()
	}
	ch, code := channelArg(channel)
	if code != C.TP_OK {
		return code
	}
	if out == nil {
		return nullArg()
	}
	m, err := cl.c.NewMetadataCache(ch, int32(stream))
	if err != nil {
		return failErr(err)
	}
	h, ok := register(&tpMetadataCache{m: m})
	if !ok {
		m.Close()
		return tooManyHandles()
	}
	*out = (*C.tp_metadata_cache_t)(handle(h))
	return C.TP_OK
}

//export tp_metadata_cache_close
func tp_metadata_cache_close(cache *C.tp_metadata_cache_t) {
	if m, ok := unregister[*tpMetadataCache](token(unsafe.Pointer(cache))); ok {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.m.Close()
	}
}

//export tp_metadata_cache_poll
func tp_metadata_cache_poll(cache *C.tp_metadata_cache_t, limit C.int) C.int {
	m, ok := lookup[*tpMetadataCache](token(unsafe.Pointer(cache)))
	if !ok {
		return C.int(badHandle())
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return C.int(m.m.Poll(max(int(limit), 1)))
}

// tp_metadata_cache_get fills out with the stream's metadata; attributes beyond
// TP_MAX_METADATA_ATTRS, or longer than the struct's fields, are cut to fit.
//
//export tp_metadata_cache_get
func tp_metadata_cache_get(cache *C.tp_metadata_cache_t, stream C.uint32_t, out *C.tp_metadata_entry_t) C.tp_err_t {
	m, ok := lookup[*tpMetadataCache](token(unsafe.Pointer(cache)))
	if !ok {
		return badHandle()
	}
	if out == nil {
		return nullArg()
	}
	m.mu.Lock()
	e, found := m.m.Get(uint32(stream))
	m.mu.Unlock()
	if !found {
		return fail(C.TP_ERR_NOT_FOUND, "tp: no metadata for stream %d", stream)
	}
	out.stream_id, out.producer_id, out.epoch = C.uint32_t(e.StreamID), C.uint32_t(e.ProducerID), C.uint64_t(e.Epoch)
	out.meta_version, out.timestamp_ns = C.uint32_t(e.MetaVersion), C.uint64_t(e.TimestampNs)
	putString(out.name[:], e.Name)
	putString(out.summary[:], e.Summary)
	n := min(len(e.Attributes), C.TP_MAX_METADATA_ATTRS)
	out.attr_count = C.uint32_t(n)
	for i, a := range e.Attributes[:n] {
		dst := &out.attrs[i]
		putString(dst.key[:], a.Key)
		putString(dst.mime_type[:], a.Format)
		v := min(len(a.Value), C.TP_METADATA_VALUE_MAX)
		for j := range v {
			dst.value[j] = C.uint8_t(a.Value[j])
		}
		dst.value_len = C.uint32_t(v)
	}
	return C.TP_OK
}

//export tp_discovery_client_init
func tp_discovery_client_init(client *C.tp_client_t, reqChannel *C.char, reqStream C.int32_t, respChannel *C.char, respStream C.int32_t, out **C.tp_discovery_client_t) C.tp_err_t {
	cl, ok := clientOf(client)
	if !ok {
		return badHandle()
	}
	req, code := channelArg(reqChannel)
	if code != C.TP_OK {
		return code
	}
	resp, code := channelArg(respChannel)
	if code != C.TP_OK {
		return code
	}
	if out == nil {
		return nullArg()
	}
	d, err := cl.c.NewDiscoveryClient(req, int32(reqStream), resp, int32(respStream))
	if err != nil {
		return failErr(err)
	}
	h, ok := register(&tpDiscovery{d: d})
	if !ok {
		d.Close()
		return tooManyHandles()
	}
	*out = (*C.tp_discovery_client_t)(handle(h))
	return C.TP_OK
}

//export tp_discovery_client_close
func tp_discovery_client_close(discovery *C.tp_discovery_client_t) {
	if d, ok := unregister[*tpDiscovery](token(unsafe.Pointer(discovery))); ok {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.d.Close()
	}
}

//export tp_discovery_client_poll
func tp_discovery_client_poll(discovery *C.tp_discovery_client_t, limit C.int) C.int {
	d, ok := lookup[*tpDiscovery](token(unsafe.Pointer(discovery)))
	if !ok {
		return C.int(badHandle())
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return C.int(d.d.Poll(max(int(limit), 1)))
}

//export tp_discovery_send_request
func tp_discovery_send_request(discovery *C.tp_discovery_client_t, stream, producer, source C.uint32_t, name *C.char, tags **C.char, ntags C.uint32_t, requestID *C.uint64_t) C.tp_err_t {
	d, ok := lookup[*tpDiscovery](token(unsafe.Pointer(discovery)))
	if !ok {
		return badHandle()
	}
	if requestID == nil || (tags == nil && ntags != 0) {
		return nullArg()
	}
	if ntags > C.TP_MAX_TAGS {
		return fail(C.TP_ERR_ARG, "tp: %d tags, at most TP_MAX_TAGS (%d)", ntags, C.TP_MAX_TAGS)
	}
	q := tp.DiscoveryQuery{StreamID: uint32(stream), ProducerID: uint32(producer), DataSourceID: uint64(source)}
	if name != nil {
		q.DataSourceName = C.GoString(name)
	}
	if ntags > 0 {
		for i, t := range unsafe.Slice(tags, int(ntags)) {
			if t == nil {
				return fail(C.TP_ERR_ARG, "tp: tag %d is NULL", i)
			}
			q.Tags = append(q.Tags, C.GoString(t))
		}
	}
	d.mu.Lock()
	id, err := d.d.Request(q)
	d.mu.Unlock()
	if err != nil {
		return failErr(err)
	}
	*requestID = C.uint64_t(id)
	return C.TP_OK
}

// msgNoDiscoveryResponseYet is tp_discovery_get_response's TP_ERR_TIMEOUT.
const msgNoDiscoveryResponseYet = "tp: no response to the discovery request yet; poll and ask again"

//export tp_discovery_get_response
func tp_discovery_get_response(discovery *C.tp_discovery_client_t, requestID C.uint64_t, entries *C.tp_discovery_entry_t, count *C.uint32_t, errBuf *C.char, errLen C.size_t, status *C.int32_t) C.tp_err_t {
	d, ok := lookup[*tpDiscovery](token(unsafe.Pointer(discovery)))
	if !ok {
		return badHandle()
	}
	if count == nil || (entries == nil && *count != 0) {
		return nullArg()
	}
	d.mu.Lock()
	r, found := d.d.Response(uint64(requestID))
	awaiting := !found && d.d.Awaiting(uint64(requestID))
	d.mu.Unlock()
	if awaiting {
		// The reference's example polls while the answer is TP_ERR_TIMEOUT: not yet.
		return failStatic(C.TP_ERR_TIMEOUT, msgNoDiscoveryResponseYet)
	}
	if !found {
		return fail(C.TP_ERR_NOT_FOUND, "tp: discovery request %d is not one this client is waiting for", requestID)
	}
	if status != nil {
		*status = C.int32_t(r.Status)
	}
	if errBuf != nil && errLen > 0 {
		putString(unsafe.Slice(errBuf, int(errLen)), r.ErrorMessage)
	}
	n := min(len(r.Entries), int(*count))
	*count = C.uint32_t(n)
	if n == 0 {
		return C.TP_OK
	}
	for i, e := range r.Entries[:n] {
		fillDiscoveryEntry(&unsafe.Slice(entries, n)[i], &e)
	}
	return C.TP_OK
}

func fillDiscoveryEntry(out *C.tp_discovery_entry_t, e *tp.DiscoveryEntry) {
	*out = C.tp_discovery_entry_t{stream_id: C.uint32_t(e.StreamID), producer_id: C.uint32_t(e.ProducerID),
		epoch: C.uint64_t(e.Epoch), layout_version: C.uint32_t(e.LayoutVersion), header_nslots: C.uint32_t(e.HeaderNslots),
		header_slot_bytes: C.uint16_t(e.HeaderSlotBytes), max_dims: C.uint8_t(e.MaxDims),
		data_source_id: C.uint32_t(e.DataSourceID), driver_control_stream_id: C.uint32_t(e.DriverControlStreamID)}
	np := min(len(e.PayloadPools), C.TP_MAX_POOLS)
	out.pool_count = C.uint32_t(np)
	for i, p := range e.PayloadPools[:np] {
		dst := &out.pools[i]
		dst.pool_id, dst.pool_nslots, dst.stride_bytes = C.uint16_t(p.PoolID), C.uint32_t(p.PoolNslots), C.uint32_t(p.StrideBytes)
		putString(dst.region_uri[:], p.RegionURI)
	}
	nt := min(len(e.Tags), C.TP_MAX_TAGS)
	out.tag_count = C.uint32_t(nt)
	for i, t := range e.Tags[:nt] {
		putString(out.tags[i][:], t)
	}
	putString(out.header_region_uri[:], e.HeaderRegionURI)
	putString(out.data_source_name[:], e.DataSourceName)
	putString(out.driver_instance_id[:], e.DriverInstanceID)
	putString(out.driver_control_channel[:], e.DriverControlChannel)
}

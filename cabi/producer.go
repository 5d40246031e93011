package main

/*
#include "support.h"
*/
import "C"

import (
	"context"
	"errors"
	"math"
	"unsafe"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/tp"
)

// tpProducer is a tp.Producer with what reattaching it needs. It adds no lock of its own:
// tp.Producer admits one frame-path call at a time and keeps the open claim.
type tpProducer struct {
	client uintptr // the tp_client_t it was attached through, for reattach
	stream uint32
	p      *tp.Producer
}

var (
	msgNoClaim    = "tp: the claim is not the producer's open claim"
	msgBadTensor  = "tp: tensor header has ndims > TP_MAX_DIMS"
	msgNoPayload  = "tp: payload is NULL but values_len is not 0"
	msgMetaRange  = "tp: too many metadata attributes"
	msgAttrLength = "tp: metadata attribute value_len exceeds TP_METADATA_VALUE_MAX"
)

// producerOf is lookup[*tpProducer] written out, which the compiler inlines where the
// generic function is a call: every producer call pays it.
func producerOf(p *C.tp_producer_t) (*tpProducer, bool) {
	if e := entryOf(token(unsafe.Pointer(p))); e != nil {
		x, ok := e.obj.(*tpProducer)
		return x, ok
	}
	return nil, false
}

// tensorHeader converts a C tensor header; false when ndims is out of range. Field by
// field into h, which the caller has zeroed: a composite literal is built on the stack and
// copied in wide loads that stall on its narrow stores, a cost every frame of a C
// producer paid.
func tensorHeader(t *C.tp_tensor_header_t, h *shm.TensorHeader) bool {
	if t.ndims > C.TP_MAX_DIMS {
		return false
	}
	h.Dtype, h.MajorOrder, h.Ndims = shm.Dtype(t.dtype), shm.MajorOrder(t.major_order), uint8(t.ndims)
	h.ProgressUnit, h.ProgressStrideBytes = shm.ProgressUnit(t.progress_unit), uint32(t.progress_stride_bytes)
	for i := range shm.MaxDims {
		h.Dims[i], h.Strides[i] = int32(t.dims[i]), int32(t.strides[i])
	}
	return true
}

func attachProducer(cl *tpClient, clientToken uintptr, stream uint32) (*tpProducer, C.tp_err_t) {
	ctx, cancel := context.WithTimeout(context.Background(), cl.attachTimeout)
	defer cancel()
	p, err := cl.c.NewProducer(ctx, stream)
	if err != nil {
		return nil, failErr(err)
	}
	return &tpProducer{client: clientToken, stream: stream, p: p}, C.TP_OK
}

//export tp_attach_producer
func tp_attach_producer(client *C.tp_client_t, stream C.uint32_t, out **C.tp_producer_t) C.tp_err_t {
	cl, ok := clientOf(client)
	if !ok {
		return badHandle()
	}
	if out == nil {
		return nullArg()
	}
	tp, code := attachProducer(cl, token(unsafe.Pointer(client)), uint32(stream))
	if code != C.TP_OK {
		return code
	}
	h, ok := register(tp)
	if !ok {
		tp.close()
		return tooManyHandles()
	}
	*out = (*C.tp_producer_t)(handle(h))
	return C.TP_OK
}

//export tp_producer_reattach
func tp_producer_reattach(producer **C.tp_producer_t) C.tp_err_t {
	if producer == nil {
		return nullArg()
	}
	old, ok := unregister[*tpProducer](token(unsafe.Pointer(*producer)))
	if !ok {
		return badHandle()
	}
	old.close()
	cl, ok := lookup[*tpClient](old.client)
	if !ok {
		return fail(C.TP_ERR_ARG, "tp: the producer's client is closed")
	}
	tp, code := attachProducer(cl, old.client, old.stream)
	if code != C.TP_OK {
		*producer = nil
		return code
	}
	h, ok := register(tp)
	if !ok {
		tp.close()
		*producer = nil
		return tooManyHandles()
	}
	*producer = (*C.tp_producer_t)(handle(h))
	return C.TP_OK
}

func (p *tpProducer) close() {
	if c := p.p.OpenClaim(); c != nil {
		c.Abort()
	}
	p.p.Close()
}

//export tp_producer_close
func tp_producer_close(producer *C.tp_producer_t) {
	if p, ok := unregister[*tpProducer](token(unsafe.Pointer(producer))); ok {
		p.close()
	}
}

//export tp_producer_offer_frame
func tp_producer_offer_frame(producer *C.tp_producer_t, payload *C.uint8_t, n C.uint32_t, tensor *C.tp_tensor_header_t, meta C.uint32_t) C.tp_err_t {
	return offerFrame(producer, payload, n, tensor, meta, 0)
}

//export tp_producer_offer_frame_traced
func tp_producer_offer_frame_traced(producer *C.tp_producer_t, payload *C.uint8_t, n C.uint32_t, tensor *C.tp_tensor_header_t, meta C.uint32_t, traceID C.uint64_t) C.tp_err_t {
	return offerFrame(producer, payload, n, tensor, meta, uint64(traceID))
}

func offerFrame(producer *C.tp_producer_t, payload *C.uint8_t, n C.uint32_t, tensor *C.tp_tensor_header_t, meta C.uint32_t, traceID uint64) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	return p.offer(payload, n, tensor, meta, traceID)
}

// tp_producer_offer_frames is tp_producer_offer_frame_traced for each frame of a batch,
// in one crossing into Go: the handle is looked up once, and the frames are offered in
// order until one is not published.
//
//export tp_producer_offer_frames
func tp_producer_offer_frames(producer *C.tp_producer_t, frames *C.tp_frame_offer_t, count C.uint32_t, published *C.uint32_t) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	if published == nil || (frames == nil && count != 0) {
		return nullArg()
	}
	offers := unsafe.Slice(frames, count)
	for i := range offers {
		f := &offers[i]
		if code := p.offer(f.payload, f.values_len, f.tensor, f.meta_version, uint64(f.trace_id)); code != C.TP_OK {
			*published = C.uint32_t(i)
			return code
		}
	}
	*published = count
	return C.TP_OK
}

// offer copies payload into a claimed slot and publishes it.
func (p *tpProducer) offer(payload *C.uint8_t, n C.uint32_t, tensor *C.tp_tensor_header_t, meta C.uint32_t, traceID uint64) C.tp_err_t {
	if tensor == nil || (payload == nil && n != 0) {
		return nullArg()
	}
	var h shm.TensorHeader
	if !tensorHeader(tensor, &h) {
		return failStatic(C.TP_ERR_ARG, msgBadTensor)
	}
	c, err := p.p.Claim(int(n))
	if err != nil {
		return failData(err)
	}
	if n > 0 {
		copy(c.Payload(), unsafe.Slice((*byte)(unsafe.Pointer(payload)), int(n)))
	}
	c.SetMetaVersion(uint32(meta))
	c.SetTraceID(traceID)
	return failData(c.CommitHeader(&h))
}

//export tp_producer_set_claim_trace_id
func tp_producer_set_claim_trace_id(producer *C.tp_producer_t, claim *C.tp_slot_claim_t, traceID C.uint64_t) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	c, open := p.openClaim(claim)
	if !open {
		return failStatic(C.TP_ERR_ARG, msgNoClaim)
	}
	c.SetTraceID(uint64(traceID))
	return C.TP_OK
}

func fillClaim(c *tp.Claim, out *C.tp_slot_claim_t) {
	payload := c.Payload()
	out.ptr = nil
	if cap(payload) > 0 {
		out.ptr = (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(payload)))
	}
	out.seq = C.uint64_t(c.Seq())
	out.stride_bytes = C.uint32_t(c.Capacity())
	out.header_index = C.uint32_t(c.HeaderIndex())
	out.payload_slot = C.uint32_t(c.HeaderIndex())
	out.pool_id = C.uint16_t(c.PoolID())
}

//export tp_producer_try_claim_slot
func tp_producer_try_claim_slot(producer *C.tp_producer_t, pool C.uint16_t, out *C.tp_slot_claim_t) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	if out == nil {
		return nullArg()
	}
	c, err := p.p.ClaimPool(uint16(pool))
	if err != nil {
		return failData(err)
	}
	fillClaim(c, out)
	return C.TP_OK
}

//export tp_producer_try_claim_slot_by_size
func tp_producer_try_claim_slot_by_size(producer *C.tp_producer_t, n C.uint32_t, out *C.tp_slot_claim_t) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	if out == nil {
		return nullArg()
	}
	c, err := p.p.Claim(int(n))
	if err != nil {
		return failData(err)
	}
	fillClaim(c, out)
	return C.TP_OK
}

// openClaim returns the producer's open claim if claim describes it.
func (p *tpProducer) openClaim(claim *C.tp_slot_claim_t) (*tp.Claim, bool) {
	c := p.p.OpenClaim()
	if c == nil || claim == nil || uint64(claim.seq) != c.Seq() || uint32(claim.header_index) != c.HeaderIndex() {
		return nil, false
	}
	return c, true
}

//export tp_producer_commit_slot
func tp_producer_commit_slot(producer *C.tp_producer_t, claim *C.tp_slot_claim_t, n C.uint32_t, tensor *C.tp_tensor_header_t, meta C.uint32_t) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	return p.commit(claim, n, tensor, meta)
}

// tp_producer_commit_and_claim_next is tp_producer_commit_slot and
// tp_producer_try_claim_slot_by_size in one crossing into Go: a C producer's steady
// state needs one per frame, as tp_producer_offer_frame does. A valid commit and the
// next claim run in one hold of the frame path (tp.Claim.CommitHeaderAndClaim).
//
//export tp_producer_commit_and_claim_next
func tp_producer_commit_and_claim_next(producer *C.tp_producer_t, claim *C.tp_slot_claim_t, n C.uint32_t, tensor *C.tp_tensor_header_t, meta C.uint32_t, next C.uint32_t, nextResult *C.tp_err_t) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	if claim == nil || nextResult == nil {
		return nullArg()
	}
	var h shm.TensorHeader
	var c *tp.Claim
	var err error
	code := C.tp_err_t(C.TP_OK)
	if open, bad := p.prepare(claim, n, tensor, meta, &h); bad != C.TP_OK {
		code = bad
		c, err = p.p.Claim(int(next))
	} else {
		var commitErr error
		commitErr, c, err = open.CommitHeaderAndClaim(&h, int(next))
		code = failData(commitErr)
	}
	if err != nil {
		*claim = C.tp_slot_claim_t{}
		*nextResult = failData(err)
		return code
	}
	fillClaim(c, claim)
	*nextResult = C.TP_OK
	return code
}

// commit publishes the open claim claim describes.
func (p *tpProducer) commit(claim *C.tp_slot_claim_t, n C.uint32_t, tensor *C.tp_tensor_header_t, meta C.uint32_t) C.tp_err_t {
	var h shm.TensorHeader
	c, code := p.prepare(claim, n, tensor, meta, &h)
	if code != C.TP_OK {
		return code
	}
	return failData(c.CommitHeader(&h))
}

// prepare checks that claim describes the open claim and converts its tensor header
// into h, which must be zero, and sets its length and meta_version: the open claim, or
// the error, with the claim aborted when it was open.
func (p *tpProducer) prepare(claim *C.tp_slot_claim_t, n C.uint32_t, tensor *C.tp_tensor_header_t, meta C.uint32_t, h *shm.TensorHeader) (*tp.Claim, C.tp_err_t) {
	if tensor == nil {
		return nil, nullArg()
	}
	c, ok := p.openClaim(claim)
	if !ok {
		return nil, failStatic(C.TP_ERR_ARG, msgNoClaim)
	}
	if !tensorHeader(tensor, h) {
		c.Abort()
		return nil, failStatic(C.TP_ERR_ARG, msgBadTensor)
	}
	if err := c.SetLength(int(n)); err != nil {
		c.Abort()
		return nil, failData(err)
	}
	c.SetMetaVersion(uint32(meta))
	return c, C.TP_OK
}

//export tp_producer_abort_slot
func tp_producer_abort_slot(producer *C.tp_producer_t, claim *C.tp_slot_claim_t) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	c, ok := p.openClaim(claim)
	if !ok {
		return failStatic(C.TP_ERR_ARG, msgNoClaim)
	}
	return failData(c.Abort())
}

//export tp_producer_report_progress
func tp_producer_report_progress(producer *C.tp_producer_t, claim *C.tp_slot_claim_t, filled C.uint64_t) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	c, ok := p.openClaim(claim)
	if !ok {
		return failStatic(C.TP_ERR_ARG, msgNoClaim)
	}
	return failData(c.Progress(uint64(filled)))
}

// withProducer runs f on the live producer behind producer.
func withProducer(producer *C.tp_producer_t, f func(p *tpProducer) C.tp_err_t) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	return f(p)
}

//export tp_producer_metadata_version
func tp_producer_metadata_version(producer *C.tp_producer_t, out *C.uint32_t) C.tp_err_t {
	if out == nil {
		return nullArg()
	}
	return withProducer(producer, func(p *tpProducer) C.tp_err_t {
		v, err := p.p.MetaVersion()
		if err != nil {
			return failErr(err)
		}
		*out = C.uint32_t(v)
		return C.TP_OK
	})
}

// attributes converts n C attributes.
func attributes(attrs *C.tp_metadata_attribute_t, n C.uint32_t) ([]tp.Attribute, C.tp_err_t) {
	if n == 0 {
		return nil, C.TP_OK
	}
	if attrs == nil {
		return nil, nullArg()
	}
	if n > C.TP_MAX_METADATA_ATTRS {
		return nil, failStatic(C.TP_ERR_ARG, msgMetaRange)
	}
	out := make([]tp.Attribute, n)
	for i, a := range unsafe.Slice(attrs, int(n)) {
		if a.value_len > C.TP_METADATA_VALUE_MAX {
			return nil, failStatic(C.TP_ERR_ARG, msgAttrLength)
		}
		out[i] = tp.Attribute{
			Key:    C.GoStringN(&a.key[0], C.int(strnlen(a.key[:]))),
			Format: C.GoStringN(&a.mime_type[0], C.int(strnlen(a.mime_type[:]))),
			Value:  C.GoBytes(unsafe.Pointer(&a.value[0]), C.int(a.value_len)),
		}
	}
	return out, C.TP_OK
}

// strnlen is the length of a NUL-terminated string in a fixed array, at most its size.
func strnlen(s []C.char) int {
	for i, c := range s {
		if c == 0 {
			return i
		}
	}
	return len(s)
}

//export tp_producer_set_metadata
func tp_producer_set_metadata(producer *C.tp_producer_t, name, summary *C.char, attrs *C.tp_metadata_attribute_t, n C.uint32_t) C.tp_err_t {
	if code := tp_producer_announce_data_source(producer, name, summary); code != C.TP_OK {
		return code
	}
	return tp_producer_set_metadata_attributes(producer, attrs, n)
}

//export tp_producer_announce_data_source
func tp_producer_announce_data_source(producer *C.tp_producer_t, name, summary *C.char) C.tp_err_t {
	nm, ok1 := goString(name)
	sm, ok2 := goString(summary)
	if !ok1 || !ok2 {
		return nullArg()
	}
	return withProducer(producer, func(p *tpProducer) C.tp_err_t { return failErr(p.p.SetDataSource(nm, sm)) })
}

// tp_producer_set_metadata_attributes replaces the whole attribute set with attrs.
//
//export tp_producer_set_metadata_attributes
func tp_producer_set_metadata_attributes(producer *C.tp_producer_t, attrs *C.tp_metadata_attribute_t, n C.uint32_t) C.tp_err_t {
	list, code := attributes(attrs, n)
	if code != C.TP_OK {
		return code
	}
	return withProducer(producer, func(p *tpProducer) C.tp_err_t { return failErr(p.p.ReplaceAttributes(list)) })
}

//export tp_producer_set_metadata_attribute
func tp_producer_set_metadata_attribute(producer *C.tp_producer_t, key, mime *C.char, value *C.uint8_t, n C.uint32_t) C.tp_err_t {
	k, ok1 := goString(key)
	m, ok2 := goString(mime)
	if !ok1 || !ok2 || (value == nil && n != 0) {
		return nullArg()
	}
	if n > C.TP_METADATA_VALUE_MAX {
		return failStatic(C.TP_ERR_ARG, msgAttrLength)
	}
	a := tp.Attribute{Key: k, Format: m, Value: C.GoBytes(unsafe.Pointer(value), C.int(n))}
	return withProducer(producer, func(p *tpProducer) C.tp_err_t { return failErr(p.p.SetAttribute(a)) })
}

//export tp_producer_delete_metadata_attribute
func tp_producer_delete_metadata_attribute(producer *C.tp_producer_t, key *C.char) C.tp_err_t {
	k, ok := goString(key)
	if !ok {
		return nullArg()
	}
	return withProducer(producer, func(p *tpProducer) C.tp_err_t {
		found, err := p.p.DeleteAttribute(k)
		if err != nil {
			return failErr(err)
		}
		if !found {
			return fail(C.TP_ERR_NOT_FOUND, "tp: no metadata attribute %q", k)
		}
		return C.TP_OK
	})
}

//export tp_producer_send_metadata_announce
func tp_producer_send_metadata_announce(producer *C.tp_producer_t, meta C.uint32_t, name, summary *C.char) C.tp_err_t {
	nm, ok1 := goString(name)
	sm, ok2 := goString(summary)
	if !ok1 || !ok2 {
		return nullArg()
	}
	return withProducer(producer, func(p *tpProducer) C.tp_err_t {
		return failErr(p.p.SendDataSourceAnnounce(uint32(meta), nm, sm))
	})
}

//export tp_producer_send_metadata_meta
func tp_producer_send_metadata_meta(producer *C.tp_producer_t, meta C.uint32_t, ts C.uint64_t, attrs *C.tp_metadata_attribute_t, n C.uint32_t) C.tp_err_t {
	list, code := attributes(attrs, n)
	if code != C.TP_OK {
		return code
	}
	return withProducer(producer, func(p *tpProducer) C.tp_err_t {
		return failErr(p.p.SendDataSourceMeta(uint32(meta), uint64(ts), list))
	})
}

//export tp_producer_send_qos
func tp_producer_send_qos(producer *C.tp_producer_t, seq, watermark C.uint64_t) C.tp_err_t {
	return withProducer(producer, func(p *tpProducer) C.tp_err_t {
		return failErr(p.p.SendQos(uint64(seq), uint32(min(uint64(watermark), math.MaxUint32))))
	})
}

// tp_producer_poll reports the lease: the timers themselves run on the library's
// threads.
//
//export tp_producer_poll
func tp_producer_poll(producer *C.tp_producer_t) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	if !p.p.Attached() {
		if err := p.p.Err(); errors.Is(err, tp.ErrAeronLost) {
			return failData(err) // TP_ERR_AERON: the client is dead, for good
		}
		return failData(errNotAttached)
	}
	return C.TP_OK
}

//export tp_producer_get_lease_id
func tp_producer_get_lease_id(producer *C.tp_producer_t, out *C.uint64_t) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	if out == nil {
		return nullArg()
	}
	*out = C.uint64_t(p.p.LeaseID())
	return C.TP_OK
}

//export tp_producer_get_stream_id
func tp_producer_get_stream_id(producer *C.tp_producer_t, out *C.uint32_t) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	if out == nil {
		return nullArg()
	}
	*out = C.uint32_t(p.stream)
	return C.TP_OK
}

//export tp_producer_get_producer_id
func tp_producer_get_producer_id(producer *C.tp_producer_t, out *C.uint32_t) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	if out == nil {
		return nullArg()
	}
	*out = C.uint32_t(p.p.ID())
	return C.TP_OK
}

//export tp_producer_is_connected
func tp_producer_is_connected(producer *C.tp_producer_t) C.bool {
	p, ok := producerOf(producer)
	return C.bool(ok && p.p.IsConnected())
}

//export tp_producer_get_stats
func tp_producer_get_stats(producer *C.tp_producer_t, out *C.tp_producer_stats_t) C.tp_err_t {
	p, ok := producerOf(producer)
	if !ok {
		return badHandle()
	}
	if out == nil {
		return nullArg()
	}
	s := p.p.Stats()
	*out = C.tp_producer_stats_t{frames: C.uint64_t(s.Frames), bytes: C.uint64_t(s.Bytes), dropped: C.uint64_t(s.Dropped),
		epoch: C.uint64_t(s.Epoch), lease_losses: C.uint64_t(s.LeaseLosses)}
	return C.TP_OK
}

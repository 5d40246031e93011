package main

/*
#include "support.h"
*/
import "C"

import (
	"context"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/wire"
)

// tpConsumer is a tp.Consumer with the C side's three ways to take frames: the newest
// one kept for tp_consumer_try_read_frame, each one handed to a frame handler, or each
// one written into the caller's array by tp_consumer_poll_batch. mu guards that state,
// the poll's: tp_consumer_poll, _poll_frames, _poll_batch, _try_read_frame and
// _frame_is_valid hold it; the calls that read what tp's control side publishes (stats,
// progress, QoS, lease) do not.
type tpConsumer struct {
	mu     sync.Mutex
	key    uint64    // names the consumer in support.c's record of running handlers
	client uintptr   // the client's handle token, which names the client in that record
	cl     *tpClient // the client, for a close deferred to this consumer's poll
	stream uint32
	c      *tp.Consumer

	pending bool // view holds a frame try_read has not returned yet
	view    C.tp_frame_view_t
	handler C.uintptr_t        // the C handler, set while tp_consumer_poll_frames runs
	clientd C.uintptr_t        // its argument
	cview   *C.tp_frame_view_t // C memory handed to handlers
	handled int
	// batch is the caller's array while tp_consumer_poll_batch polls, filled up to
	// batchLen; frames beyond it go to overflow, which the next batch poll returns,
	// from overflowAt on, before it polls again.
	batch      []C.tp_polled_frame_t
	batchLen   int
	overflow   []C.tp_polled_frame_t
	overflowAt int
	// marks are the frames the last poll delivered, whichever way, for
	// tp_consumer_frame_is_valid: their mapping stays mapped until the next poll.
	marks      []frameMark
	closeAfter atomic.Bool // tp_consumer_close was called from inside a handler
	// closeClient: tp_client_close was called inside a handler this poll called, and no
	// poll further out on the thread is of the same client's consumers.
	closeClient bool
	// tracedSeq and tracedTrace are the sequence number and trace id of the frame last
	// put in a view, for tp_consumer_frame_trace_id. Written under mu by the poll, like
	// the views: plain stores, where a lock of their own cost two atomic operations a
	// frame.
	tracedSeq   uint64
	tracedTrace uint64
}

// frameMark is what tp_consumer_frame_is_valid needs of a delivered frame: what
// identifies its view, and its seqlock word in the mapped header ring.
type frameMark struct {
	payload   *C.uint8_t
	seqCommit uint64
	slot      uint32
	word      *uint64
}

// marksCapacity is the frames a poll delivers before tpConsumer.marks grows: a poll
// delivers at most its fragment limit but for the rare frames of an epoch change.
const marksCapacity = 256

// consumerKeys issues tpConsumer.key: never 0, never reused.
var consumerKeys atomic.Uint64

var (
	msgNoFrame = "tp: no new frame"
	// msgNotLastFrame: tp_consumer_frame_trace_id of a view older than the last frame.
	msgNotLastFrame = "tp: the view is not of the frame the consumer handed out last"
	msgLateFrame    = "tp: the frame was overwritten before it was read"
	msgReentrant    = "tp: called from inside the consumer's own frame handler"
	msgNoFrames     = "tp: frames is NULL or capacity is 0"
)

// consumerOf is lookup[*tpConsumer] written out, as producerOf is.
func consumerOf(c *C.tp_consumer_t) (*tpConsumer, bool) {
	if e := entryOf(token(unsafe.Pointer(c))); e != nil {
		x, ok := e.obj.(*tpConsumer)
		return x, ok
	}
	return nil, false
}

func attachConsumer(cl *tpClient, clientToken uintptr, stream uint32) (*tpConsumer, C.tp_err_t) {
	tc := &tpConsumer{key: consumerKeys.Add(1), client: clientToken, cl: cl, stream: stream,
		marks: make([]frameMark, 0, marksCapacity)}
	ctx, cancel := context.WithTimeout(context.Background(), cl.attachTimeout)
	defer cancel()
	c, err := cl.c.NewConsumer(ctx, stream, tc.onFrame)
	if err != nil {
		return nil, failErr(err)
	}
	tc.c = c
	tc.cview = (*C.tp_frame_view_t)(C.calloc(1, C.size_t(unsafe.Sizeof(C.tp_frame_view_t{}))))
	if tc.cview == nil {
		c.Close()
		return nil, fail(C.TP_ERR_NOMEM, "tp: no memory for a frame view")
	}
	return tc, C.TP_OK
}

// onFrame runs inside tp.Consumer.Poll, with tc.mu held.
func (tc *tpConsumer) onFrame(f *tp.Frame) {
	tc.traced(f)
	word := f.SeqCommitWord()
	tc.marks = append(tc.marks, frameMark{payload: payloadPtr(f), seqCommit: f.SeqCommit(), slot: f.HeaderIndex(), word: word})
	if tc.batch != nil {
		// The caller reads the frame after the poll and re-checks it then, in C.
		f.DeferValidation()
		var e *C.tp_polled_frame_t
		if tc.batchLen < len(tc.batch) {
			e = &tc.batch[tc.batchLen]
			tc.batchLen++
		} else {
			tc.overflow = append(tc.overflow, C.tp_polled_frame_t{}) // rare: an epoch's held frames
			e = &tc.overflow[len(tc.overflow)-1]
		}
		fillView(f, &e.view)
		e.seq_commit_word = (*C.uint64_t)(unsafe.Pointer(word))
		e.trace_id = C.uint64_t(f.TraceID())
		return
	}
	if tc.handler != 0 {
		fillView(f, tc.cview)
		// The handler is C code, its clientd C's own value (maybe not even a pointer)
		// and the view C.calloc'd: never Go memory, so they go as integers. As pointers,
		// cgo would check each of them for Go pointers on every frame.
		if C.tp_call_frame_handler(tc.handler, tc.clientd, C.uintptr_t(uintptr(unsafe.Pointer(tc.cview))),
			C.uint64_t(tc.key), C.uintptr_t(tc.client)) {
			tc.closeClient = true
		}
		tc.handled++
		return
	}
	fillView(f, &tc.view)
	tc.pending = true
}

// startPoll forgets what the previous poll delivered: its views are no longer valid. The
// pointers into its mappings are cleared, not just sliced off: the garbage collector
// scans whole backing arrays, and a mapping released may have its addresses reused.
func (tc *tpConsumer) startPoll() {
	clear(tc.marks)
	clear(tc.overflow)
	tc.marks, tc.overflow, tc.overflowAt = tc.marks[:0], tc.overflow[:0], 0
}

// frameValid is tp_consumer_frame_is_valid for v, one of the frames the last poll
// delivered (a copy of its view will do), with tc.mu held: whether its slot's seqlock word
// still holds what the frame was read under. The word's mapping is still mapped: the
// control side releases a mapping only once a later poll has begun. A header ring
// truncated under the consumer faults; that reads as not valid.
func (tc *tpConsumer) frameValid(v *C.tp_frame_view_t) (valid bool) {
	prev := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(prev)
		if recover() != nil {
			valid = false
		}
	}()
	for i := len(tc.marks) - 1; i >= 0; i-- { // the newest first: a handler asks about its own
		m := &tc.marks[i]
		if m.payload == v.payload && m.seqCommit == uint64(v.seq_commit) && m.slot == uint32(v.payload_slot) {
			return shm.SeqCommitUnchanged(m.word, m.seqCommit)
		}
	}
	return false
}

func payloadPtr(f *tp.Frame) *C.uint8_t {
	return (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(f.Payload())))
}

// traced records f's trace id for tp_consumer_frame_trace_id; tc.mu is held.
func (tc *tpConsumer) traced(f *tp.Frame) {
	tc.tracedSeq, tc.tracedTrace = f.Seq(), f.TraceID()
}

// tp_consumer_frame_trace_id reads the pair under tc.mu, so another thread's call waits
// for a poll in progress, as the handle's calls serialise; inside one of tc's handlers
// the thread holds tc.mu already, and its poll wrote the pair on this same thread.
//
//export tp_consumer_frame_trace_id
func tp_consumer_frame_trace_id(consumer *C.tp_consumer_t, view *C.tp_frame_view_t, out *C.uint64_t) C.tp_err_t {
	tc, ok := consumerOf(consumer)
	if !ok {
		return badHandle()
	}
	if view == nil || out == nil {
		return nullArg()
	}
	var seq, trace uint64
	switch {
	case tc.mu.TryLock():
		seq, trace = tc.tracedSeq, tc.tracedTrace
		tc.mu.Unlock()
	case tc.reentered():
		seq, trace = tc.tracedSeq, tc.tracedTrace
	default:
		tc.mu.Lock()
		seq, trace = tc.tracedSeq, tc.tracedTrace
		tc.mu.Unlock()
	}
	if uint64(view.seq_commit>>1) != seq {
		return failStatic(C.TP_ERR_ARG, msgNotLastFrame)
	}
	*out = C.uint64_t(trace)
	return C.TP_OK
}

func fillView(f *tp.Frame, v *C.tp_frame_view_t) {
	p := f.Payload()
	v.payload = payloadPtr(f)
	v.payload_len = C.uint32_t(len(p))
	v.values_len_bytes = C.uint32_t(len(p))
	v.seq_commit = C.uint64_t(shm.Committed(f.Seq()))
	v.timestamp_ns = C.uint64_t(f.TimestampNs())
	v.payload_slot = C.uint32_t(f.HeaderIndex())
	v.pool_id = C.uint16_t(f.PoolID())
	v.payload_offset = 0 // always 0 in layout v1.1 (Wire spec §8.2)
	v.meta_version = C.uint32_t(f.MetaVersion())
	h := f.Header()
	t := &v.tensor
	t.dtype, t.major_order, t.ndims, t.pad_align = C.uint8_t(h.Dtype), C.uint8_t(h.MajorOrder), C.uint8_t(h.Ndims), 0
	t.progress_unit, t.progress_stride_bytes = C.uint8_t(h.ProgressUnit), C.uint32_t(h.ProgressStrideBytes)
	for i := range shm.MaxDims {
		t.dims[i], t.strides[i] = C.int32_t(h.Dims[i]), C.int32_t(h.Strides[i])
	}
}

//export tp_attach_consumer
func tp_attach_consumer(client *C.tp_client_t, stream C.uint32_t, out **C.tp_consumer_t) C.tp_err_t {
	cl, ok := clientOf(client)
	if !ok {
		return badHandle()
	}
	if out == nil {
		return nullArg()
	}
	tc, code := attachConsumer(cl, token(unsafe.Pointer(client)), uint32(stream))
	if code != C.TP_OK {
		return code
	}
	h, ok := register(tc)
	if !ok {
		tc.close()
		return tooManyHandles()
	}
	*out = (*C.tp_consumer_t)(handle(h))
	return C.TP_OK
}

//export tp_consumer_reattach
func tp_consumer_reattach(consumer **C.tp_consumer_t) C.tp_err_t {
	if consumer == nil {
		return nullArg()
	}
	old, ok := consumerOf(*consumer)
	if !ok {
		return badHandle()
	}
	if old.reentered() {
		return failStatic(C.TP_ERR_BUSY, msgReentrant)
	}
	unregister[*tpConsumer](token(unsafe.Pointer(*consumer)))
	old.close()
	cl, ok := lookup[*tpClient](old.client)
	if !ok {
		*consumer = nil
		return fail(C.TP_ERR_ARG, "tp: the consumer's client is closed")
	}
	tc, code := attachConsumer(cl, old.client, old.stream)
	if code != C.TP_OK {
		*consumer = nil
		return code
	}
	h, ok := register(tc)
	if !ok {
		tc.close()
		*consumer = nil
		return tooManyHandles()
	}
	*consumer = (*C.tp_consumer_t)(handle(h))
	return C.TP_OK
}

// reentered reports whether the calling thread is inside one of tc's frame handlers,
// where it already holds tc.mu. The C call into each handler records that in a
// thread-local list (support.c), so this reads it rather than asking the kernel which
// thread this is.
func (tc *tpConsumer) reentered() bool { return bool(C.tp_in_frame_handler(C.uint64_t(tc.key))) }

func (tc *tpConsumer) close() {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tc.c.Close()
	C.free(unsafe.Pointer(tc.cview))
	tc.cview = nil
	tc.startPoll() // the views are gone with the mapping
}

//export tp_consumer_close
func tp_consumer_close(consumer *C.tp_consumer_t) {
	tc, ok := unregister[*tpConsumer](token(unsafe.Pointer(consumer)))
	if !ok {
		return
	}
	if tc.reentered() {
		tc.closeAfter.Store(true) // the poll running on this thread closes it on return
		return
	}
	tc.close()
}

// lockedConsumer returns the live consumer behind consumer with its lock held, or the
// error to return.
func lockedConsumer(consumer *C.tp_consumer_t) (*tpConsumer, C.tp_err_t) {
	tc, ok := consumerOf(consumer)
	if !ok {
		return nil, badHandle()
	}
	// A thread inside one of tc's handlers holds tc.mu, so getting it at once rules
	// that out; only when it is taken need the thread ask whether it is the taker.
	if !tc.mu.TryLock() {
		if tc.reentered() {
			return nil, failStatic(C.TP_ERR_BUSY, msgReentrant)
		}
		tc.mu.Lock()
	}
	return tc, C.TP_OK
}

// consumerOutsideHandler returns the live consumer behind consumer unless the calling
// thread is inside one of its frame handlers: the calls that would take the consumer's
// lock there are refused there alike (include/tensorpool_client.h, Threads), even those
// that no longer need it.
func consumerOutsideHandler(consumer *C.tp_consumer_t) (*tpConsumer, C.tp_err_t) {
	tc, ok := consumerOf(consumer)
	if !ok {
		return nil, badHandle()
	}
	if tc.reentered() {
		return nil, failStatic(C.TP_ERR_BUSY, msgReentrant)
	}
	return tc, C.TP_OK
}

// leaseCode is TP_OK while the consumer holds its lease, else TP_ERR_PROTOCOL.
func (tc *tpConsumer) leaseCode() C.tp_err_t {
	attached, err := tc.c.Status() // what tp's control side published, after every poll
	if err != nil {
		return failErr(err)
	}
	if !attached {
		return failData(errNotAttached)
	}
	return C.TP_OK
}

//export tp_consumer_poll
func tp_consumer_poll(consumer *C.tp_consumer_t, limit C.int) C.tp_err_t {
	tc, code := lockedConsumer(consumer)
	if code != C.TP_OK {
		return code
	}
	defer tc.mu.Unlock()
	tc.startPoll()
	tc.c.Poll(max(int(limit), 1))
	return tc.leaseCode()
}

//export tp_consumer_try_read_frame
func tp_consumer_try_read_frame(consumer *C.tp_consumer_t, view *C.tp_frame_view_t) C.tp_err_t {
	if view == nil {
		return nullArg()
	}
	tc, code := lockedConsumer(consumer)
	if code != C.TP_OK {
		return code
	}
	defer tc.mu.Unlock()
	if !tc.pending {
		return failStatic(C.TP_ERR_TIMEOUT, msgNoFrame)
	}
	tc.pending = false
	if !tc.frameValid(&tc.view) {
		return failStatic(C.TP_ERR_TIMEOUT, msgLateFrame)
	}
	*view = tc.view
	return C.TP_OK
}

//export tp_consumer_poll_frames
func tp_consumer_poll_frames(consumer *C.tp_consumer_t, handler C.tp_frame_handler_t, clientd unsafe.Pointer, limit C.int) C.int {
	if handler == nil {
		return C.int(nullArg())
	}
	tc, code := lockedConsumer(consumer)
	if code != C.TP_OK {
		return C.int(code)
	}
	tc.handler, tc.clientd, tc.handled = C.uintptr_t(uintptr(unsafe.Pointer(handler))), C.uintptr_t(uintptr(clientd)), 0
	tc.startPoll()
	tc.c.Poll(max(int(limit), 1))
	n, closeClient := tc.handled, tc.closeClient
	tc.handler, tc.clientd, tc.closeClient = 0, 0, false
	code = tc.leaseCode()
	tc.mu.Unlock()
	if tc.closeAfter.Load() {
		tc.close()
	}
	if closeClient {
		tc.cl.c.Close() // tp_client_close from inside a handler: see tp_client_close
	}
	if code != C.TP_OK {
		return C.int(code)
	}
	return C.int(n)
}

// tp_consumer_poll_batch is one crossing into Go for up to capacity frames: the
// per-frame work is Go's, and the caller re-checks each frame in C
// (tp_polled_frame_is_valid, support.c).
//
//export tp_consumer_poll_batch
func tp_consumer_poll_batch(consumer *C.tp_consumer_t, frames *C.tp_polled_frame_t, capacity C.uint32_t, limit C.int) C.int {
	if frames == nil || capacity == 0 {
		return C.int(failStatic(C.TP_ERR_ARG, msgNoFrames))
	}
	tc, code := lockedConsumer(consumer)
	if code != C.TP_OK {
		return C.int(code)
	}
	defer tc.mu.Unlock()
	out := unsafe.Slice(frames, int(capacity))
	if tc.overflowAt < len(tc.overflow) {
		// The rest of the last poll's frames, whose mappings no poll has let go of yet.
		n := copy(out, tc.overflow[tc.overflowAt:])
		tc.overflowAt += n
		return C.int(n)
	}
	tc.startPoll()
	tc.batch, tc.batchLen = out, 0
	tc.c.Poll(max(min(int(limit), int(capacity)), 1))
	n := tc.batchLen
	tc.batch, tc.batchLen = nil, 0
	if n > 0 {
		return C.int(n)
	}
	return C.int(tc.leaseCode())
}

//export tp_consumer_frame_is_valid
func tp_consumer_frame_is_valid(consumer *C.tp_consumer_t, view *C.tp_frame_view_t) C.bool {
	tc, ok := consumerOf(consumer)
	if !ok || view == nil {
		return false
	}
	// Inside one of tc's handlers this thread holds tc.mu already; a thread that gets the
	// lock at once is not inside one.
	if tc.mu.TryLock() {
		defer tc.mu.Unlock()
	} else if !tc.reentered() {
		tc.mu.Lock()
		defer tc.mu.Unlock()
	}
	return C.bool(tc.frameValid(view))
}

//export tp_consumer_send_qos
func tp_consumer_send_qos(consumer *C.tp_consumer_t, mode C.uint8_t, last, gap, late C.uint64_t) C.tp_err_t {
	m := wire.Mode(mode)
	if !m.Valid() {
		return fail(C.TP_ERR_ARG, "tp: consumer mode %d is neither STREAM (1) nor RATE_LIMITED (2)", mode)
	}
	// A handler is refused, as the header says; the consumer sends QoS on its own every
	// interval anyway.
	tc, code := consumerOutsideHandler(consumer)
	if code != C.TP_OK {
		return code
	}
	return failErr(tc.c.SendQos(m, uint64(last), uint64(gap), uint64(late)))
}

//export tp_consumer_get_lease_id
func tp_consumer_get_lease_id(consumer *C.tp_consumer_t, out *C.uint64_t) C.tp_err_t {
	tc, ok := consumerOf(consumer)
	if !ok {
		return badHandle()
	}
	if out == nil {
		return nullArg()
	}
	*out = C.uint64_t(tc.c.LeaseID()) // takes no lock, so a handler gets it too
	return C.TP_OK
}

//export tp_consumer_get_stream_id
func tp_consumer_get_stream_id(consumer *C.tp_consumer_t, out *C.uint32_t) C.tp_err_t {
	tc, ok := consumerOf(consumer)
	if !ok {
		return badHandle()
	}
	if out == nil {
		return nullArg()
	}
	*out = C.uint32_t(tc.stream)
	return C.TP_OK
}

//export tp_consumer_get_consumer_id
func tp_consumer_get_consumer_id(consumer *C.tp_consumer_t, out *C.uint32_t) C.tp_err_t {
	tc, ok := consumerOf(consumer)
	if !ok {
		return badHandle()
	}
	if out == nil {
		return nullArg()
	}
	*out = C.uint32_t(tc.c.ID())
	return C.TP_OK
}

//export tp_consumer_is_connected
func tp_consumer_is_connected(consumer *C.tp_consumer_t) C.bool {
	tc, ok := consumerOf(consumer)
	return C.bool(ok && tc.c.IsConnected())
}

//export tp_consumer_get_stats
func tp_consumer_get_stats(consumer *C.tp_consumer_t, out *C.tp_consumer_stats_t) C.tp_err_t {
	if out == nil {
		return nullArg()
	}
	// The counters are what the data path published by the end of its last poll: a
	// handler, in the middle of one, is refused them, as the header says.
	tc, code := consumerOutsideHandler(consumer)
	if code != C.TP_OK {
		return code
	}
	s := tc.c.Stats()
	*out = C.tp_consumer_stats_t{frames: C.uint64_t(s.Frames), bytes: C.uint64_t(s.Bytes),
		drops_gap: C.uint64_t(s.DropsGap), drops_late: C.uint64_t(s.DropsLate), drops_invalid: C.uint64_t(s.DropsInvalid),
		remaps: C.uint64_t(s.Remaps), epoch: C.uint64_t(s.Epoch), lease_losses: C.uint64_t(s.LeaseLosses)}
	return C.TP_OK
}

//export tp_consumer_get_progress
func tp_consumer_get_progress(consumer *C.tp_consumer_t, frameID, filled *C.uint64_t, state *C.uint8_t, available *C.bool) C.tp_err_t {
	if frameID == nil || filled == nil || state == nil || available == nil {
		return nullArg()
	}
	tc, code := consumerOutsideHandler(consumer)
	if code != C.TP_OK {
		return code
	}
	p, ok := tc.c.Progress()
	*available = C.bool(ok)
	if ok {
		*frameID, *filled, *state = C.uint64_t(p.FrameID), C.uint64_t(p.PayloadBytesFilled), C.uint8_t(p.State)
	}
	return C.TP_OK
}

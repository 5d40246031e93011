/*
 * tensorpool: the C API of libtensorpool.so.
 *
 * C and C++ programs attach to a tensorpool driver (tp-driver, or any
 * implementation of the driver spec) as producers and consumers of one
 * stream. The library is the Go implementation built with -buildmode=c-shared;
 * it speaks Aeron to the media driver whose directory the context names.
 *
 * Compatibility: every declaration the reference C client (AeronTensorPool.jl
 * c/include) has is here with the same name, signature and struct layout, so
 * its programs compile and run unchanged. Where that client deviated from the
 * wire spec (its seqlock commit bit), the library follows the spec.
 * Declarations marked "extension" are tensorpool's own.
 *
 * Errors: functions return TP_OK or a negative tp_err_t; functions returning
 * void never fail, and functions returning int return a count (>= 0) or a
 * negative tp_err_t. After a failure, tp_errmsg() on the same thread says
 * what went wrong. NULL handles, closed handles and double closes are caught
 * and reported as TP_ERR_ARG, never a crash.
 *
 * Memory: handles are opaque tokens, not pointers into Go memory, and the
 * library keeps no pointer to caller memory after a call returns, except
 * for frame handlers while tp_consumer_poll_frames runs. Frame and claim
 * payload pointers point into shared memory: a claim's until it is
 * committed or aborted, a frame view's until the next poll of its consumer.
 * If a mapped file is truncated under a consumer, the library's own reads of
 * it fail the poll (the consumer gives the mapping up and remaps on the next
 * announce), but a read the caller's code makes through a payload pointer past
 * the new end raises SIGBUS in the caller's thread, as any mmap'd file does.
 *
 * Crossings: every call of a function of this API but tp_errmsg, tp_errcode,
 * tp_err_str, tp_version and tp_polled_frame_is_valid enters the library's Go
 * side, which costs tens of nanoseconds (tp-cabi-bench measures it). The hot
 * path needs one such call per frame at most: tp_producer_offer_frame (copy
 * and publish; tp_producer_offer_frames for several frames a call) or
 * tp_producer_commit_and_claim_next (commit a claimed frame and claim the
 * next) for producers, tp_consumer_poll_batch (up to its
 * capacity of frames a call) with tp_polled_frame_is_valid (in C) for
 * consumers. A frame handler costs a call back per frame, and
 * tp_consumer_frame_is_valid one more.
 *
 * Threads: any thread may call any function. Each handle serialises its own
 * calls; different handles do not contend. The library runs one thread of its
 * own per client for the Aeron conductor, the control plane and the leases'
 * keepalives (none in invoker mode: see tp_context_set_use_invoker), so
 * tp_*_poll are needed only for their own results (frames, QoS, metadata).
 * A claim must be committed or aborted before its producer claims or offers
 * again (TP_ERR_BUSY otherwise). Offering, claiming, committing and polling
 * never wait for that thread: the lease is kept alive while a claim is open.
 *
 * Frame handlers: a handler runs inside tp_consumer_poll_frames, which holds
 * its consumer's lock until it returns; other threads' polls of that consumer
 * (tp_consumer_poll, tp_consumer_poll_frames, tp_consumer_try_read_frame) wait
 * for it, while its stats, progress, QoS and ids answer at once. Inside a
 * handler, on its own consumer (or that of any handler further out on the same
 * thread), these are refused with TP_ERR_BUSY, to be made after the poll
 * returns: tp_consumer_poll, tp_consumer_poll_frames, tp_consumer_poll_batch,
 * tp_consumer_try_read_frame, tp_consumer_send_qos, tp_consumer_get_stats,
 * tp_consumer_get_progress and tp_consumer_reattach. These answer as usual:
 * tp_consumer_frame_is_valid, tp_consumer_get_lease_id,
 * tp_consumer_get_stream_id, tp_consumer_get_consumer_id and
 * tp_consumer_is_connected. tp_consumer_close of such a consumer closes its
 * handle at once (TP_ERR_ARG from then on) and the consumer when its poll
 * returns; tp_client_close of such a consumer's client closes the client
 * handle at once and the client when the outermost poll of its consumers on
 * this thread returns. Other calls are not restricted, but a handler that
 * waits on a consumer whose handler, on another thread, waits on this one
 * deadlocks like any lock cycle.
 */
#ifndef TENSORPOOL_CLIENT_H
#define TENSORPOOL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensorpool_errors.h"
#include "tensorpool_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tp_context_stct tp_context_t;
typedef struct tp_client_stct tp_client_t;
typedef struct tp_producer_stct tp_producer_t;
typedef struct tp_consumer_stct tp_consumer_t;
typedef struct tp_qos_monitor_stct tp_qos_monitor_t;
typedef struct tp_metadata_cache_stct tp_metadata_cache_t;
typedef struct tp_discovery_client_stct tp_discovery_client_t;

/* ---- Context: connection settings, copied by tp_client_connect. ----
 *
 * Defaults: aeron_dir "" (the AERON_DIR environment variable, else Aeron's
 * default directory); control channel "aeron:ipc" stream 1000 (tp-driver's
 * default; without parameters it joins the stream's publication whatever its term
 * length, where the reference's "aeron:ipc?term-length=4m" would be refused by a
 * publication of another); descriptor channel the same, stream 1100; QoS and metadata off (no channel);
 * client id: each client, producer and consumer draws its own from a sequence
 * of the process (the pid in the upper bits), so two clients in one process
 * never share one (tp_context_set_client_id sets the first id of a client's
 * producers and consumers, each taking the next); attach and detach timeouts 5 s; keepalive and QoS
 * intervals 1 s; announce freshness 3 s; consumer mode STREAM, no rate cap,
 * no FrameProgress (see tp_context_set_consumer_progress); regions may be
 * mapped from /dev/shm and the temporary directory only (TP_SHM_BASE_DIRS,
 * colon-separated, overrides; see tp_context_add_allowed_base_dir). */
tp_err_t tp_context_init(tp_context_t **ctx);
void tp_context_close(tp_context_t *ctx);

tp_err_t tp_context_set_aeron_dir(tp_context_t *ctx, const char *aeron_dir);
tp_err_t tp_context_set_control_channel(tp_context_t *ctx, const char *channel);
tp_err_t tp_context_set_control_stream_id(tp_context_t *ctx, int32_t stream_id);
tp_err_t tp_context_set_descriptor_channel(tp_context_t *ctx, const char *channel);
tp_err_t tp_context_set_descriptor_stream_id(tp_context_t *ctx, int32_t stream_id);
tp_err_t tp_context_set_qos_channel(tp_context_t *ctx, const char *channel);
tp_err_t tp_context_set_qos_stream_id(tp_context_t *ctx, int32_t stream_id);
tp_err_t tp_context_set_metadata_channel(tp_context_t *ctx, const char *channel);
tp_err_t tp_context_set_metadata_stream_id(tp_context_t *ctx, int32_t stream_id);
tp_err_t tp_context_set_client_id(tp_context_t *ctx, uint32_t client_id);
/* Invoker mode: the library starts no thread of its own; the caller runs the client's duty
 * cycle (the Aeron conductor, the leases' keepalives, every timer) by calling
 * tp_client_do_work regularly, at least every tenth of the keepalive interval, from one
 * thread. Attach and detach then run the duty cycle themselves while they wait. Frames are
 * offered, claimed, committed and polled without it either way. */
tp_err_t tp_context_set_use_invoker(tp_context_t *ctx, bool value);
/* Asynchronous errors (the Aeron client's, the control plane's) go to handler, one line each,
 * with TP_ERR_AERON or TP_ERR_PROTOCOL; without one they are dropped. The handler runs on the
 * thread that runs the duty cycle (the library's, or tp_client_do_work's in invoker mode) and
 * must not call back into the library. Extension: the reference C client has none. */
typedef void (*tp_error_handler_t)(void *clientd, tp_err_t code, const char *message);
tp_err_t tp_context_set_error_handler(tp_context_t *ctx, tp_error_handler_t handler, void *clientd);
/* How long an attach waits for the SHM driver, and tp_client_connect for the media driver. */
tp_err_t tp_context_set_attach_timeout_ns(tp_context_t *ctx, uint64_t timeout_ns);
tp_err_t tp_context_set_qos_interval_ns(tp_context_t *ctx, uint64_t interval_ns);
tp_err_t tp_context_set_detach_timeout_ns(tp_context_t *ctx, uint64_t timeout_ns);
tp_err_t tp_context_set_announce_freshness_ns(tp_context_t *ctx, uint64_t freshness_ns);
tp_err_t tp_context_set_lease_keepalive_interval_ns(tp_context_t *ctx, uint64_t interval_ns);
/* TP_CONSUMER_MODE_STREAM or TP_CONSUMER_MODE_RATE_LIMITED, else TP_ERR_ARG. */
tp_err_t tp_context_set_consumer_mode(tp_context_t *ctx, uint8_t mode);
tp_err_t tp_context_set_consumer_max_rate_hz(tp_context_t *ctx, uint64_t rate_hz);
/* Ask the producer, in ConsumerHello, for a per-consumer descriptor or control stream. */
tp_err_t tp_context_set_consumer_descriptor_request(tp_context_t *ctx, const char *channel, int32_t stream_id);
tp_err_t tp_context_set_consumer_control_request(tp_context_t *ctx, const char *channel, int32_t stream_id);
/* The wire spec version the client's producers and attach requests speak: "1.1" (the
 * default) or "1.2", else TP_ERR_ARG. Consumers and the driver read either version; a
 * producer speaking "1.2" carries trace ids (tp_producer_offer_frame_traced,
 * tp_producer_set_claim_trace_id), and a consumer speaking it maps the strides wire v1.2
 * allows (any power-of-two multiple of 64). Extension: the reference C client has none. */
tp_err_t tp_context_set_wire_version(tp_context_t *ctx, const char *version);

/* ---- Client: one Aeron connection shared by everything attached through it. ---- */
/* Waits up to the attach timeout for an active media driver (TP_ERR_AERON when there is none). */
tp_err_t tp_client_connect(tp_context_t *ctx, tp_client_t **client);
/* Closes the client and every producer, consumer, monitor and cache still open on it
 * (from inside a frame handler of one of its consumers: once the poll returns, see Threads). */
void tp_client_close(tp_client_t *client);
/* Extension. After the Aeron client died (the media driver was lost: calls answer
 * TP_ERR_AERON and the error handler heard it), connects a new one to the media driver in
 * the context's aeron dir, a new one started there, waiting up to the attach timeout for it,
 * and moves the client onto it: its producers and consumers keep their handles and each
 * attaches to the SHM driver afresh, by itself (a new lease and epoch). Meanwhile, and
 * until then, their data-path calls never block: producers answer TP_ERR_BUSY, polls
 * TP_ERR_PROTOCOL, and TP_OK follows. A claim open across the reconnect belongs to the
 * dead epoch: committing it fails and the frame is lost; so commit or abort first. Frame
 * views taken before stay readable until the consumer's next poll, as always (the old
 * mapping is let go at that poll). QoS monitors, metadata caches and discovery clients of
 * the client stay on the dead Aeron client: close them and make them again.
 * Returns TP_OK (also when the Aeron client is alive: nothing to do), TP_ERR_AERON while
 * there is no live media driver (the client stays as it was; call again), TP_ERR_ARG for
 * a NULL or closed handle. Any thread may call it; calls on one client are serialised,
 * and tp_client_close waits for one in progress. */
tp_err_t tp_client_reconnect(tp_client_t *client);
/* Runs one duty cycle of an invoker-mode client and returns the work done (>= 0; 0 without
 * invoker mode, where the library's thread runs it), or a negative tp_err_t. */
int tp_client_do_work(tp_client_t *client);
tp_err_t tp_client_get_client_id(const tp_client_t *client, uint32_t *client_id);

/* ---- Attach: blocks up to the attach timeout for the driver's grant. ----
 * A refusal no retry changes returns at once: TP_ERR_UNSUPPORTED (UNSUPPORTED),
 * TP_ERR_ARG (INVALID_PARAMS), TP_ERR_PROTOCOL (REJECTED: e.g. a stream the driver does
 * not serve; INTERNAL_ERROR: a failed provisioning), tp_errmsg() giving the driver's
 * reason. Refusals that can pass (a lease still held, a driver draining) are retried;
 * TP_ERR_TIMEOUT then says nothing was granted in time, and tp_errmsg() names the last
 * refusal, or the aeron dir, control channel and stream nothing answered on. A consumer
 * granted regions their producer has not refreshed within the freshness window (paused,
 * its lease alive) waits for them to be live again, as for a stale announce (Wire §15.1);
 * TP_ERR_TIMEOUT's tp_errmsg() then names the stale regions. */
tp_err_t tp_attach_producer(tp_client_t *client, uint32_t stream_id, tp_producer_t **producer);
tp_err_t tp_attach_consumer(tp_client_t *client, uint32_t stream_id, tp_consumer_t **consumer);
/* Close *handle and attach again to the same stream; *handle is replaced on success. */
tp_err_t tp_producer_reattach(tp_producer_t **producer);
tp_err_t tp_consumer_reattach(tp_consumer_t **consumer);

/* Send one ShmDetachRequest (or ShmLeaseKeepalive) for any lease and wait for the answer. */
tp_err_t tp_detach(tp_client_t *client, uint64_t lease_id, uint32_t stream_id, uint32_t client_id, uint8_t role);
tp_err_t tp_lease_keepalive(tp_client_t *client, uint64_t lease_id, uint32_t stream_id, uint32_t client_id, uint8_t role);

/* ---- Producer data path ----
 * Data-path calls return TP_OK, TP_ERR_BUSY when the frame was dropped and may
 * be retried (no consumer, back-pressure, a claim open, reattaching),
 * TP_ERR_ARG for a frame no pool holds or a bad tensor header, and
 * TP_ERR_PROTOCOL when the lease is gone for good, TP_ERR_SHM when the stream's shared
 * memory faulted (a file truncated, a full filesystem: the library gives the epoch up
 * and reattaches), TP_ERR_AERON once the Aeron client is dead (until tp_client_reconnect).
 * They never block. */

/* Copy payload into the smallest pool that holds values_len bytes and publish it. */
tp_err_t tp_producer_offer_frame(
    tp_producer_t *producer,
    const uint8_t *payload,
    uint32_t values_len,
    const tp_tensor_header_t *tensor,
    uint32_t meta_version);
/* tp_producer_offer_frame with the frame's TraceLink trace id (0: none), which a producer
 * speaking wire "1.2" (tp_context_set_wire_version) carries in its FrameDescriptor and one
 * speaking "1.1" drops. Extension: the reference C client has none. */
tp_err_t tp_producer_offer_frame_traced(
    tp_producer_t *producer,
    const uint8_t *payload,
    uint32_t values_len,
    const tp_tensor_header_t *tensor,
    uint32_t meta_version,
    uint64_t trace_id);

/* tp_producer_offer_frame_traced for frames[0], frames[1], ... in order, in one call into
 * the library where those are count: a producer with several small frames ready crosses
 * into the library once for all of them. Stops at the first frame not published: *published
 * receives how many were, and the call returns TP_OK when that is count, else what
 * tp_producer_offer_frame_traced returned for frames[*published] (TP_ERR_BUSY: dropped, to
 * be offered again from there; tp_errmsg says why). TP_ERR_ARG for a NULL published, or a
 * NULL frames with count above 0. Extension. */
tp_err_t tp_producer_offer_frames(
    tp_producer_t *producer,
    const tp_frame_offer_t *frames,
    uint32_t count,
    uint32_t *published);

/* Open the next frame in pool pool_id (or the smallest pool holding values_len bytes). */
tp_err_t tp_producer_try_claim_slot(tp_producer_t *producer, uint16_t pool_id, tp_slot_claim_t *claim);
tp_err_t tp_producer_try_claim_slot_by_size(tp_producer_t *producer, uint32_t values_len, tp_slot_claim_t *claim);
/* Publish a claimed frame: write its headers, commit the seqlock, send the FrameDescriptor. */
tp_err_t tp_producer_commit_slot(
    tp_producer_t *producer,
    tp_slot_claim_t *claim,
    uint32_t values_len,
    const tp_tensor_header_t *tensor,
    uint32_t meta_version);
/* Set the trace id the claimed frame carries once committed (as tp_producer_offer_frame_traced);
 * TP_ERR_ARG when claim is not the producer's open claim. Extension. */
tp_err_t tp_producer_set_claim_trace_id(tp_producer_t *producer, tp_slot_claim_t *claim, uint64_t trace_id);

/* ---- Producer metadata (wire spec §10.3); setters bump meta_version. ---- */
tp_err_t tp_producer_metadata_version(const tp_producer_t *producer, uint32_t *meta_version);
tp_err_t tp_producer_set_metadata(
    tp_producer_t *producer,
    const char *name,
    const char *summary,
    const tp_metadata_attribute_t *attrs,
    uint32_t attr_count);
tp_err_t tp_producer_announce_data_source(tp_producer_t *producer, const char *name, const char *summary);
tp_err_t tp_producer_set_metadata_attributes(
    tp_producer_t *producer,
    const tp_metadata_attribute_t *attrs,
    uint32_t attr_count);
tp_err_t tp_producer_set_metadata_attribute(
    tp_producer_t *producer,
    const char *key,
    const char *mime_type,
    const uint8_t *value,
    uint32_t value_len);
/* TP_ERR_NOT_FOUND when there is no attribute named key. */
tp_err_t tp_producer_delete_metadata_attribute(tp_producer_t *producer, const char *key);

/* Send a DataSourceAnnounce / DataSourceMeta now, with the given fields. */
tp_err_t tp_producer_send_metadata_announce(
    tp_producer_t *producer,
    uint32_t meta_version,
    const char *name,
    const char *summary);
tp_err_t tp_producer_send_metadata_meta(
    tp_producer_t *producer,
    uint32_t meta_version,
    uint64_t timestamp_ns,
    const tp_metadata_attribute_t *attrs,
    uint32_t attr_count);
/* Send one QosProducer now (wire spec §10.4.2). */
tp_err_t tp_producer_send_qos(tp_producer_t *producer, uint64_t current_seq, uint64_t watermark);
/* Reports the lease (the timers run on the library's thread): TP_ERR_PROTOCOL while it is
 * lost (revoked, expired, a driver restarted or shut down; the library reattaches by
 * itself, and TP_OK follows once it has), TP_ERR_AERON once the Aeron client is dead
 * (the media driver was lost: call tp_client_reconnect, or close the client). */
tp_err_t tp_producer_poll(tp_producer_t *producer);
tp_err_t tp_producer_get_lease_id(const tp_producer_t *producer, uint64_t *lease_id);
tp_err_t tp_producer_get_stream_id(const tp_producer_t *producer, uint32_t *stream_id);
tp_err_t tp_producer_get_producer_id(const tp_producer_t *producer, uint32_t *producer_id);

/* ---- Consumer ---- */

/* Poll control and descriptor streams; the newest valid frame waits for tp_consumer_try_read_frame.
 * Returns TP_OK, TP_ERR_PROTOCOL while the lease is lost (the library reattaches by itself:
 * keep polling, TP_OK follows once it has), or TP_ERR_AERON once the Aeron client is dead
 * (the media driver was lost: call tp_client_reconnect, or close the client). */
tp_err_t tp_consumer_poll(tp_consumer_t *consumer, int fragment_limit);
/* The newest frame tp_consumer_poll accepted, once: TP_ERR_TIMEOUT when there is none
 * or it was overwritten since. */
tp_err_t tp_consumer_try_read_frame(tp_consumer_t *consumer, tp_frame_view_t *view);
/* Send one QosConsumer now (wire spec §10.4.1). */
tp_err_t tp_consumer_send_qos(
    tp_consumer_t *consumer,
    uint8_t mode,
    uint64_t last_seq_seen,
    uint64_t drops_gap,
    uint64_t drops_late);
/* The newest valid FrameProgress (wire spec §10.2.2). Only consumers of a client connected
 * from a context with tp_context_set_consumer_progress(ctx, true) ask for progress and keep
 * it; for the others (the default) *available is always false, on TP_OK as usual. When
 * *available is false, frame_id, bytes_filled and state are left as they were. */
tp_err_t tp_consumer_get_progress(
    const tp_consumer_t *consumer,
    uint64_t *frame_id,
    uint64_t *bytes_filled,
    uint8_t *state,
    bool *available);
/* The TraceLink trace id of the frame view shows (0: none, always from a producer speaking
 * wire "1.1"), for the frame the consumer handed out last (a handler's view, or
 * tp_consumer_try_read_frame's); TP_ERR_ARG for an older one (tp_consumer_poll_batch
 * gives every frame's in tp_polled_frame_t.trace_id). Extension. */
tp_err_t tp_consumer_frame_trace_id(const tp_consumer_t *consumer, const tp_frame_view_t *view, uint64_t *trace_id);
tp_err_t tp_consumer_get_lease_id(const tp_consumer_t *consumer, uint64_t *lease_id);
tp_err_t tp_consumer_get_stream_id(const tp_consumer_t *consumer, uint32_t *stream_id);
tp_err_t tp_consumer_get_consumer_id(const tp_consumer_t *consumer, uint32_t *consumer_id);

const char *tp_err_str(tp_err_t err);

/* Detach from the driver and unmap. NULL and already-closed handles are ignored. */
void tp_producer_close(tp_producer_t *producer);
void tp_consumer_close(tp_consumer_t *consumer);

/* True when some subscriber is connected to the producer's descriptor stream /
 * the consumer sees some publisher on its descriptor stream. */
bool tp_producer_is_connected(const tp_producer_t *producer);
bool tp_consumer_is_connected(const tp_consumer_t *consumer);

/* ---- QoS monitor: the newest QosProducer / QosConsumer per id on one stream. ---- */
tp_err_t tp_qos_monitor_init(tp_client_t *client, const char *channel, int32_t stream_id, tp_qos_monitor_t **monitor);
void tp_qos_monitor_close(tp_qos_monitor_t *monitor);
int tp_qos_monitor_poll(tp_qos_monitor_t *monitor, int fragment_limit);
tp_err_t tp_qos_monitor_get_producer(
    const tp_qos_monitor_t *monitor,
    uint32_t producer_id,
    tp_qos_producer_snapshot_t *out);
tp_err_t tp_qos_monitor_get_consumer(
    const tp_qos_monitor_t *monitor,
    uint32_t consumer_id,
    tp_qos_consumer_snapshot_t *out);

/* ---- Metadata cache: the newest DataSourceAnnounce + DataSourceMeta per stream. ---- */
tp_err_t tp_metadata_cache_init(tp_client_t *client, const char *channel, int32_t stream_id, tp_metadata_cache_t **cache);
void tp_metadata_cache_close(tp_metadata_cache_t *cache);
int tp_metadata_cache_poll(tp_metadata_cache_t *cache, int fragment_limit);
tp_err_t tp_metadata_cache_get(const tp_metadata_cache_t *cache, uint32_t stream_id, tp_metadata_entry_t *out);

/* ---- Discovery client (discovery spec): ask a discovery service which streams exist. ---- */
tp_err_t tp_discovery_client_init(
    tp_client_t *client,
    const char *request_channel,
    int32_t request_stream_id,
    const char *response_channel,
    int32_t response_stream_id,
    tp_discovery_client_t **discovery);
void tp_discovery_client_close(tp_discovery_client_t *discovery);
int tp_discovery_client_poll(tp_discovery_client_t *discovery, int fragment_limit);
/* Zero ids and NULL or empty names mean "any". TP_ERR_AERON when no discovery service
 * subscribes to the request stream, TP_ERR_BUSY under back pressure. */
tp_err_t tp_discovery_send_request(
    tp_discovery_client_t *discovery,
    uint32_t stream_id,
    uint32_t producer_id,
    uint32_t data_source_id,
    const char *data_source_name,
    const char **tags,
    uint32_t tag_count,
    uint64_t *request_id);
/* TP_ERR_TIMEOUT while the response to request_id has not arrived yet (poll and ask
 * again), TP_ERR_NOT_FOUND for a request_id this client is not waiting for. *entry_count
 * holds the capacity of entries on entry and the number written on return. */
tp_err_t tp_discovery_get_response(
    const tp_discovery_client_t *discovery,
    uint64_t request_id,
    tp_discovery_entry_t *entries,
    uint32_t *entry_count,
    char *error_message,
    size_t error_len,
    int32_t *status);

/* ---- Extensions ---- */

/* Why the last failing call on this thread failed ("" if none); valid until the next call. */
const char *tp_errmsg(void);
/* The tp_err_t of the last failing call on this thread (TP_OK if none). */
tp_err_t tp_errcode(void);
/* The library's version, e.g. "tensorpool 0.1.0". */
const char *tp_version(void);

/* Allow mapping regions under dir (path containment, wire spec §15.21a.5). The first call
 * replaces the defaults. */
tp_err_t tp_context_add_allowed_base_dir(tp_context_t *ctx, const char *dir);
/* Whether consumers attached through clients connected from ctx take FrameProgress (wire
 * spec §10.2.2): their ConsumerHello says supportsProgress, producers that see it may send
 * FrameProgress messages beside each frame (ours do for frames of at least the progress
 * bytes delta, 64 KiB by default), and tp_consumer_get_progress reports the newest.
 * Default false, as in the reference C client. tp_client_connect copies the setting, so
 * it applies to clients connected after the call. */
tp_err_t tp_context_set_consumer_progress(tp_context_t *ctx, bool enabled);

/* tp_producer_commit_slot(claim, values_len, tensor, meta_version), then
 * tp_producer_try_claim_slot_by_size(next_values_len) into *claim, in one call into the
 * library where those are two: a producer that claims its next frame as it commits one
 * crosses into the library once per frame. Returns the commit's result. The next claim is
 * tried whatever the commit returned; *next_result receives its result: TP_OK and *claim
 * is the open claim, or a tp_err_t and *claim is zeroed. tp_errmsg describes the claim's
 * failure if it failed, else the commit's. Extension. */
tp_err_t tp_producer_commit_and_claim_next(
    tp_producer_t *producer,
    tp_slot_claim_t *claim,
    uint32_t values_len,
    const tp_tensor_header_t *tensor,
    uint32_t meta_version,
    uint32_t next_values_len,
    tp_err_t *next_result);
/* Give up a claim without publishing it. */
tp_err_t tp_producer_abort_slot(tp_producer_t *producer, tp_slot_claim_t *claim);
/* Report that the first bytes_filled bytes of a claimed frame are written (FrameProgress,
 * wire spec §10.2.2; sent only to consumers that asked for progress). */
tp_err_t tp_producer_report_progress(tp_producer_t *producer, const tp_slot_claim_t *claim, uint64_t bytes_filled);
tp_err_t tp_producer_get_stats(const tp_producer_t *producer, tp_producer_stats_t *out);

/* Called once per accepted frame. The view struct is the library's and valid only during
 * the call (copy it to keep it); the payload it points to stays readable until the next
 * poll of the consumer. What it may call on its own consumer and client: see Threads. */
typedef void (*tp_frame_handler_t)(void *clientd, const tp_frame_view_t *frame);
/* Poll like tp_consumer_poll and hand every accepted frame to handler, in order.
 * Returns the number of frames handed to handler (>= 0) or a negative tp_err_t. A frame
 * the handler read while it was overwritten counts here, and in drops_late, not frames.
 * fragment_limit bounds the descriptors taken from the stream; when the producer's epoch
 * ends (driver spec §4.9) the descriptors of that epoch already waiting are read out as well,
 * so the count may exceed it. */
int tp_consumer_poll_frames(tp_consumer_t *consumer, tp_frame_handler_t handler, void *clientd, int fragment_limit);
/* True while nothing has overwritten the frame's slot since the view was made: check it
 * after reading the payload; false means what was read may be torn. Works for any frame
 * the consumer's last poll delivered (tp_consumer_try_read_frame's, a handler's, a copy of
 * either, a tp_consumer_poll_batch view), inside a handler and after the poll; false for
 * anything else, and for every frame once the next poll begins. One call into the
 * library's Go side: a batch's frames are cheaper to check with tp_polled_frame_is_valid. */
bool tp_consumer_frame_is_valid(const tp_consumer_t *consumer, const tp_frame_view_t *view);
/* Poll like tp_consumer_poll and write every accepted frame into frames, in order, at most
 * capacity of them: one call into the library's Go side for all of them, where a handler
 * (tp_consumer_poll_frames) costs a call back per frame and its re-check another. At most
 * min(fragment_limit, capacity) descriptors are read; frames accepted beyond capacity (an
 * epoch change releases the descriptors held for it at once) are kept and returned by the
 * next call, which then returns only those and does not poll. Returns the number of frames
 * written (>= 0), or a negative tp_err_t when none was: TP_ERR_PROTOCOL once the lease is
 * lost, TP_ERR_ARG for a NULL frames or a capacity of 0. The views and their payloads stay
 * readable until the next poll of the consumer (of any kind) or its close: read each, then
 * re-check it with tp_polled_frame_is_valid. A frame found torn then is the caller's to
 * count: the library counted it in frames, having handed it over intact. Each entry's
 * trace_id is its frame's trace id. Extension. */
int tp_consumer_poll_batch(tp_consumer_t *consumer, tp_polled_frame_t *frames, uint32_t capacity, int fragment_limit);
/* The seqlock re-check of a tp_consumer_poll_batch frame, in C, with no call into the
 * library's Go side: true while nothing has overwritten the frame since it was polled;
 * call it after reading the payload (false: what was read may be torn). Only until the
 * next poll of its consumer: the slot's memory may be unmapped after that. Extension. */
bool tp_polled_frame_is_valid(const tp_polled_frame_t *frame);
tp_err_t tp_consumer_get_stats(const tp_consumer_t *consumer, tp_consumer_stats_t *out);

#ifdef __cplusplus
}
#endif

#endif

/*
 * Shared by the tensorpool example programs (C and C++): environment settings,
 * the payload pattern producers write and consumers check, and a monotonic clock.
 *
 * Settings (all optional):
 *   TP_AERON_DIR             Aeron media driver directory (default: AERON_DIR, else Aeron's default)
 *   TP_CONTROL_CHANNEL       driver control channel          TP_CONTROL_STREAM_ID     its stream id
 *   TP_DESCRIPTOR_CHANNEL    descriptor channel              TP_DESCRIPTOR_STREAM_ID  its stream id
 *   TP_STREAM_ID             tensor pool stream to attach to (default 10000)
 *   TP_COUNT                 frames to publish / receive (default 10)
 *   TP_MIN_COUNT             consumers: succeed with at least this many frames (default TP_COUNT)
 *   TP_PAYLOAD_BYTES         payload bytes of every frame (default 1024)
 *   TP_TIMEOUT_MS            time allowed after attaching (default 10000)
 *   TP_WAIT_CONNECT          producer: 1 = wait for a descriptor subscriber before publishing
 *   TP_FRAME_INTERVAL_US     producer: pause between frames (default 0)
 *   TP_LINGER_MS             producer: keep the lease this long after the last frame (default 200)
 *   TP_IDLE_MS               consumers with TP_MIN_COUNT < TP_COUNT: stop once at least
 *                            TP_MIN_COUNT frames arrived and none for this long (default 1000)
 *   TP_SHM_BASE_DIRS         read by the library itself: where regions may be mapped
 *
 * Exit codes: 0 success, 1 the run failed, 2 a setting could not be parsed. A consumer
 * whose lease ends (TP_ERR_PROTOCOL, e.g. the producer detached) stops there, and the
 * frames received so far decide its exit code.
 */
#ifndef TP_EXAMPLE_COMMON_H
#define TP_EXAMPLE_COMMON_H

#if !defined(__cplusplus) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tensorpool.h"

#define TP_EXAMPLE_DEFAULT_STREAM_ID 10000u
#define TP_EXAMPLE_DEFAULT_COUNT 10u
#define TP_EXAMPLE_DEFAULT_PAYLOAD_BYTES 1024u
#define TP_EXAMPLE_DEFAULT_TIMEOUT_MS 10000u
#define TP_EXAMPLE_DEFAULT_LINGER_MS 200u
#define TP_EXAMPLE_DEFAULT_IDLE_MS 1000u

/* The environment variable name, or NULL when it is unset or empty. */
static inline const char *tp_example_env(const char *name)
{
    const char *value = getenv(name);
    return (value != NULL && value[0] != '\0') ? value : NULL;
}

/* Parses an unsigned decimal setting no larger than max; false (with a message) if malformed. */
static inline bool tp_example_env_u64(const char *name, uint64_t fallback, uint64_t max, uint64_t *out)
{
    const char *value = tp_example_env(name);
    if (value == NULL)
    {
        *out = fallback;
        return true;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long parsed = strtoull(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || value[0] == '-' || parsed > max)
    {
        fprintf(stderr, "%s=%s: expected an integer from 0 to %llu\n", name, value, (unsigned long long)max);
        return false;
    }
    *out = (uint64_t)parsed;
    return true;
}

static inline bool tp_example_env_u32(const char *name, uint32_t fallback, uint32_t *out)
{
    uint64_t v = 0;
    if (!tp_example_env_u64(name, fallback, UINT32_MAX, &v))
    {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static inline bool tp_example_env_flag(const char *name)
{
    const char *value = tp_example_env(name);
    return value != NULL && strcmp(value, "0") != 0;
}

/* Everything the examples read from the environment. */
typedef struct tp_example_settings_stct
{
    const char *aeron_dir;          /* NULL: the library's default */
    const char *control_channel;    /* NULL: the library's default */
    const char *descriptor_channel; /* NULL: the library's default */
    int64_t control_stream_id;      /* -1: the library's default */
    int64_t descriptor_stream_id;   /* -1: the library's default */
    uint32_t stream_id;
    uint32_t count;
    uint32_t min_count;
    uint32_t payload_bytes;
    uint64_t timeout_ns;
    bool wait_connect;
    uint32_t frame_interval_us;
    uint64_t linger_ns;
    uint64_t idle_ns;
}
tp_example_settings_t;

/* Reads the TP_* settings; false (with a message) when one is malformed. */
static inline bool tp_example_settings_load(tp_example_settings_t *s)
{
    uint64_t v = 0;
    memset(s, 0, sizeof(*s));
    s->aeron_dir = tp_example_env("TP_AERON_DIR");
    s->control_channel = tp_example_env("TP_CONTROL_CHANNEL");
    s->descriptor_channel = tp_example_env("TP_DESCRIPTOR_CHANNEL");
    s->control_stream_id = -1;
    s->descriptor_stream_id = -1;
    if (tp_example_env("TP_CONTROL_STREAM_ID") != NULL)
    {
        if (!tp_example_env_u64("TP_CONTROL_STREAM_ID", 0, INT32_MAX, &v))
        {
            return false;
        }
        s->control_stream_id = (int64_t)v;
    }
    if (tp_example_env("TP_DESCRIPTOR_STREAM_ID") != NULL)
    {
        if (!tp_example_env_u64("TP_DESCRIPTOR_STREAM_ID", 0, INT32_MAX, &v))
        {
            return false;
        }
        s->descriptor_stream_id = (int64_t)v;
    }
    if (!tp_example_env_u32("TP_STREAM_ID", TP_EXAMPLE_DEFAULT_STREAM_ID, &s->stream_id) ||
        !tp_example_env_u32("TP_COUNT", TP_EXAMPLE_DEFAULT_COUNT, &s->count) ||
        !tp_example_env_u32("TP_MIN_COUNT", s->count, &s->min_count) ||
        !tp_example_env_u32("TP_PAYLOAD_BYTES", TP_EXAMPLE_DEFAULT_PAYLOAD_BYTES, &s->payload_bytes) ||
        !tp_example_env_u32("TP_FRAME_INTERVAL_US", 0, &s->frame_interval_us))
    {
        return false;
    }
    if (!tp_example_env_u64("TP_TIMEOUT_MS", TP_EXAMPLE_DEFAULT_TIMEOUT_MS, UINT32_MAX, &v))
    {
        return false;
    }
    s->timeout_ns = v * 1000000ull;
    if (!tp_example_env_u64("TP_LINGER_MS", TP_EXAMPLE_DEFAULT_LINGER_MS, UINT32_MAX, &v))
    {
        return false;
    }
    s->linger_ns = v * 1000000ull;
    if (!tp_example_env_u64("TP_IDLE_MS", TP_EXAMPLE_DEFAULT_IDLE_MS, UINT32_MAX, &v))
    {
        return false;
    }
    s->idle_ns = v * 1000000ull;
    s->wait_connect = tp_example_env_flag("TP_WAIT_CONNECT");
    if (s->min_count > s->count)
    {
        fprintf(stderr, "TP_MIN_COUNT=%u is more than TP_COUNT=%u\n", s->min_count, s->count);
        return false;
    }
    return true;
}

/* Prints what failed, the code's name and the library's message; returns false. */
static inline bool tp_example_fail(const char *what, tp_err_t err)
{
    fprintf(stderr, "%s failed: %s (%d): %s\n", what, tp_err_str(err), (int)err, tp_errmsg());
    return false;
}

/* Applies the connection settings to ctx; false (with a message) on failure. */
static inline bool tp_example_configure(tp_context_t *ctx, const tp_example_settings_t *s)
{
    tp_err_t err = TP_OK;
    if (s->aeron_dir != NULL && (err = tp_context_set_aeron_dir(ctx, s->aeron_dir)) != TP_OK)
    {
        return tp_example_fail("tp_context_set_aeron_dir", err);
    }
    if (s->control_channel != NULL && (err = tp_context_set_control_channel(ctx, s->control_channel)) != TP_OK)
    {
        return tp_example_fail("tp_context_set_control_channel", err);
    }
    if (s->control_stream_id >= 0 &&
        (err = tp_context_set_control_stream_id(ctx, (int32_t)s->control_stream_id)) != TP_OK)
    {
        return tp_example_fail("tp_context_set_control_stream_id", err);
    }
    if (s->descriptor_channel != NULL &&
        (err = tp_context_set_descriptor_channel(ctx, s->descriptor_channel)) != TP_OK)
    {
        return tp_example_fail("tp_context_set_descriptor_channel", err);
    }
    if (s->descriptor_stream_id >= 0 &&
        (err = tp_context_set_descriptor_stream_id(ctx, (int32_t)s->descriptor_stream_id)) != TP_OK)
    {
        return tp_example_fail("tp_context_set_descriptor_stream_id", err);
    }
    return true;
}

static inline uint64_t tp_example_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void tp_example_sleep_us(uint32_t us)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(us / 1000000u);
    ts.tv_nsec = (long)(us % 1000000u) * 1000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    {
    }
}

/*
 * The payload of frame seq: its first 8 bytes are seq, little-endian (as many as fit),
 * every later byte i is (seq + i) & 0xff.
 */
static inline void tp_example_fill_pattern(uint8_t *payload, uint32_t len, uint64_t seq)
{
    uint32_t i = 0;
    for (; i < len && i < 8; i++)
    {
        payload[i] = (uint8_t)(seq >> (8 * i));
    }
    for (; i < len; i++)
    {
        payload[i] = (uint8_t)((seq + i) & 0xff);
    }
}

/* True when payload is exactly what tp_example_fill_pattern writes for seq. */
static inline bool tp_example_check_pattern(const uint8_t *payload, uint32_t len, uint64_t seq)
{
    uint32_t i = 0;
    for (; i < len && i < 8; i++)
    {
        if (payload[i] != (uint8_t)(seq >> (8 * i)))
        {
            return false;
        }
    }
    for (; i < len; i++)
    {
        if (payload[i] != (uint8_t)((seq + i) & 0xff))
        {
            return false;
        }
    }
    return true;
}

/* The tensor header producers send: payload_bytes uint8 values in one dimension. */
static inline void tp_example_tensor(tp_tensor_header_t *tensor, uint32_t payload_bytes)
{
    memset(tensor, 0, sizeof(*tensor));
    tensor->dtype = (uint8_t)shm_tensorpool_control_dtype_UINT8;
    tensor->major_order = (uint8_t)shm_tensorpool_control_majorOrder_ROW;
    tensor->ndims = 1;
    tensor->progress_unit = (uint8_t)shm_tensorpool_control_progressUnit_NONE;
    tensor->dims[0] = (int32_t)payload_bytes;
}

/*
 * Checks one frame view against what the producer example sends: the expected size and
 * shape, and the pattern of its sequence number (seq_commit >> 1).
 */
static inline bool tp_example_check_frame(const tp_frame_view_t *view, uint32_t payload_bytes)
{
    const uint64_t seq = view->seq_commit >> 1;
    if (view->payload == NULL || view->values_len_bytes != payload_bytes || view->payload_len < payload_bytes)
    {
        return false;
    }
    if (view->tensor.dtype != (uint8_t)shm_tensorpool_control_dtype_UINT8 || view->tensor.ndims != 1 ||
        view->tensor.dims[0] != (int32_t)payload_bytes)
    {
        return false;
    }
    return tp_example_check_pattern(view->payload, payload_bytes, seq);
}

/* What a consumer example saw. */
typedef struct tp_example_tally_stct
{
    uint32_t received; /* frames read intact (tp_consumer_frame_is_valid after reading) */
    uint32_t bad;      /* of those, frames that were not what the producer example sends */
    uint32_t torn;     /* frames overwritten while being read: skipped, not counted */
    bool have_last;
    uint64_t last_seq;
    uint64_t last_frame_ns;
}
tp_example_tally_t;

/*
 * Counts one frame: checks its contents first, then whether the slot was overwritten
 * meanwhile (torn: skipped). Sequence numbers must increase from frame to frame.
 */
static inline void tp_example_tally_frame(
    tp_example_tally_t *tally,
    const tp_consumer_t *consumer,
    const tp_frame_view_t *view,
    uint32_t payload_bytes)
{
    const uint64_t seq = view->seq_commit >> 1;
    bool ok = tp_example_check_frame(view, payload_bytes);
    if (!tp_consumer_frame_is_valid(consumer, view))
    {
        tally->torn++;
        return;
    }
    if (tally->have_last && seq <= tally->last_seq)
    {
        ok = false;
    }
    if (!ok && tally->bad < 5)
    {
        fprintf(stderr, "bad frame: seq %llu after %llu, %u of %u bytes, first byte %u\n",
            (unsigned long long)seq, (unsigned long long)tally->last_seq, view->values_len_bytes,
            payload_bytes, view->payload != NULL && view->payload_len > 0 ? view->payload[0] : 0u);
    }
    tally->received++;
    tally->bad += ok ? 0u : 1u;
    tally->have_last = true;
    tally->last_seq = seq;
    tally->last_frame_ns = tp_example_now_ns();
}

/* True once a consumer may stop: all frames, or enough of them and an idle spell. */
static inline bool tp_example_tally_done(const tp_example_tally_t *tally, const tp_example_settings_t *s, uint64_t now_ns)
{
    if (tally->received >= s->count)
    {
        return true;
    }
    return s->min_count < s->count && tally->received >= s->min_count && now_ns - tally->last_frame_ns >= s->idle_ns;
}

/* Prints the consumer's summary (the last stdout line) and returns its exit code. */
static inline int tp_example_tally_report(const tp_example_tally_t *tally, const tp_example_settings_t *s)
{
    if (tally->received < s->min_count)
    {
        fprintf(stderr, "timed out: %u of %u frames\n", tally->received, s->min_count);
    }
    fprintf(stderr, "torn frames skipped: %u\n", tally->torn);
    printf("received %u frames, %u bad\n", tally->received, tally->bad);
    fflush(stdout);
    return (tally->received >= s->min_count && tally->bad == 0) ? 0 : 1;
}

/* Prints the consumer's own counters to stderr. */
static inline bool tp_example_print_consumer_stats(const tp_consumer_t *consumer)
{
    tp_consumer_stats_t stats;
    tp_err_t err = tp_consumer_get_stats(consumer, &stats);
    if (err != TP_OK)
    {
        return tp_example_fail("tp_consumer_get_stats", err);
    }
    fprintf(stderr, "consumer stats: frames %llu, drops gap %llu late %llu invalid %llu, remaps %llu, epoch %llu\n",
        (unsigned long long)stats.frames, (unsigned long long)stats.drops_gap,
        (unsigned long long)stats.drops_late, (unsigned long long)stats.drops_invalid,
        (unsigned long long)stats.remaps, (unsigned long long)stats.epoch);
    return true;
}

#endif

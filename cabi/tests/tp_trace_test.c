/*
 * Trace ids through the C API, in wire v1.2 (tp_context_set_wire_version). Run by
 * cabi/interop against a Go peer; settings as in tp_example_common.h, and
 *   TP_TRACE_ROLE  "producer": publish TP_COUNT frames, frame seq with trace id
 *                  TRACE_BASE + seq, alternately offered (tp_producer_offer_frame_traced)
 *                  and claimed (tp_producer_set_claim_trace_id before the commit);
 *                  "consumer": receive at least TP_MIN_COUNT frames and check that
 *                  tp_consumer_frame_trace_id reports TRACE_BASE + seq for each, from the
 *                  handler and from tp_consumer_try_read_frame, and that
 *                  tp_consumer_poll_batch's trace_id holds it for every frame of a batch.
 * Both check the setters' refusals too. Prints "traced frames: <n>" and exits 0 when every
 * check held.
 */
#include "../examples/tp_example_common.h" /* first: it selects POSIX */

#include "tp_expect.h"

#define TRACE_BASE 0x7700000000ull

typedef struct seen_stct
{
    tp_consumer_t *consumer;
    uint32_t frames;
    uint32_t batched; /* of frames, those checked from a batch */
    uint32_t wrong;
}
seen_t;

static void check_trace(seen_t *seen, const tp_frame_view_t *frame)
{
    uint64_t trace = 0;
    tp_err_t err = tp_consumer_frame_trace_id(seen->consumer, frame, &trace);
    uint64_t seq = frame->seq_commit >> 1;
    if (err != TP_OK || trace != TRACE_BASE + seq)
    {
        fprintf(stderr, "frame %llu: trace id %#llx (%s), want %#llx\n", (unsigned long long)seq,
            (unsigned long long)trace, tp_err_str(err), (unsigned long long)(TRACE_BASE + seq));
        seen->wrong++;
        return;
    }
    seen->frames++;
}

static void on_frame(void *clientd, const tp_frame_view_t *frame)
{
    check_trace((seen_t *)clientd, frame);
}

/* The batch's own trace ids, for every frame of it (tp_consumer_frame_trace_id answers
 * for the newest only). */
static void check_batch_traces(seen_t *seen, const tp_polled_frame_t *batch, int n)
{
    for (int i = 0; i < n; i++)
    {
        uint64_t seq = batch[i].view.seq_commit >> 1;
        if (batch[i].trace_id != TRACE_BASE + seq)
        {
            fprintf(stderr, "batch frame %llu: trace id %#llx, want %#llx\n", (unsigned long long)seq,
                (unsigned long long)batch[i].trace_id, (unsigned long long)(TRACE_BASE + seq));
            seen->wrong++;
            continue;
        }
        seen->frames++;
        seen->batched++;
    }
}

static int consume(tp_client_t *client, const tp_example_settings_t *s)
{
    tp_consumer_t *consumer = NULL;
    tp_err_t err = tp_attach_consumer(client, s->stream_id, &consumer);
    if (err != TP_OK)
    {
        return !tp_example_fail("tp_attach_consumer", err);
    }
    seen_t seen = {consumer, 0, 0, 0};
    const uint64_t deadline = tp_example_now_ns() + s->timeout_ns;
    enum { BY_HANDLER, BY_TRY_READ, BY_BATCH } way = BY_HANDLER;
    tp_polled_frame_t batch[8];
    while (seen.frames < s->min_count && seen.wrong == 0 && tp_example_now_ns() < deadline)
    {
        int n = 0;
        if (way == BY_BATCH)
        {
            if ((n = tp_consumer_poll_batch(consumer, batch, 8, 64)) < 0)
            {
                failures += !tp_example_fail("tp_consumer_poll_batch", (tp_err_t)n);
                break;
            }
            check_batch_traces(&seen, batch, n);
        }
        else if (way == BY_TRY_READ)
        {
            if ((err = tp_consumer_poll(consumer, 64)) != TP_OK)
            {
                failures += !tp_example_fail("tp_consumer_poll", err);
                break;
            }
            tp_frame_view_t view;
            if (tp_consumer_try_read_frame(consumer, &view) == TP_OK)
            {
                check_trace(&seen, &view);
                n = 1;
            }
        }
        else if ((n = tp_consumer_poll_frames(consumer, on_frame, &seen, 64)) < 0)
        {
            failures += !tp_example_fail("tp_consumer_poll_frames", (tp_err_t)n);
            break;
        }
        way = way == BY_HANDLER ? BY_TRY_READ : way == BY_TRY_READ ? BY_BATCH : BY_HANDLER;
        if (n == 0)
        {
            tp_example_sleep_us(100);
        }
    }
    tp_frame_view_t stale;
    memset(&stale, 0, sizeof(stale));
    stale.seq_commit = UINT64_MAX; /* no frame has this sequence number */
    uint64_t trace = 0;
    EXPECT_CODE(TP_ERR_ARG, tp_consumer_frame_trace_id(consumer, &stale, &trace));
    EXPECT(seen.wrong == 0);
    EXPECT(seen.frames >= s->min_count);
    EXPECT(seen.batched > 0);
    printf("traced frames: %u\n", seen.frames);
    tp_consumer_close(consumer);
    return 0;
}

static int produce(tp_client_t *client, const tp_example_settings_t *s)
{
    tp_producer_t *producer = NULL;
    tp_err_t err = tp_attach_producer(client, s->stream_id, &producer);
    if (err != TP_OK)
    {
        return !tp_example_fail("tp_attach_producer", err);
    }
    const uint64_t deadline = tp_example_now_ns() + s->timeout_ns;
    while (!tp_producer_is_connected(producer) && tp_example_now_ns() < deadline)
    {
        tp_producer_poll(producer);
        tp_example_sleep_us(1000);
    }
    tp_tensor_header_t tensor;
    tp_example_tensor(&tensor, s->payload_bytes);
    uint8_t *payload = calloc(1, s->payload_bytes);
    uint32_t sent = 0;
    tp_slot_claim_t stale;
    memset(&stale, 0, sizeof(stale));
    stale.seq = UINT64_MAX;
    EXPECT_CODE(TP_ERR_ARG, tp_producer_set_claim_trace_id(producer, &stale, 1));
    while (payload != NULL && sent < s->count && tp_example_now_ns() < deadline)
    {
        tp_producer_poll(producer);
        tp_slot_claim_t claim;
        if (tp_producer_try_claim_slot_by_size(producer, s->payload_bytes, &claim) != TP_OK)
        {
            tp_example_sleep_us(200);
            continue;
        }
        uint64_t seq = claim.seq;
        if (seq % 2 == 0)
        {
            /* The offer path: give the claim up and offer the same frame, traced. */
            EXPECT_OK(tp_producer_abort_slot(producer, &claim));
            tp_example_fill_pattern(payload, s->payload_bytes, seq);
            err = tp_producer_offer_frame_traced(producer, payload, s->payload_bytes, &tensor, 0, TRACE_BASE + seq);
        }
        else
        {
            tp_example_fill_pattern(claim.ptr, s->payload_bytes, seq);
            EXPECT_OK(tp_producer_set_claim_trace_id(producer, &claim, TRACE_BASE + seq));
            err = tp_producer_commit_slot(producer, &claim, s->payload_bytes, &tensor, 0);
        }
        if (err == TP_OK)
        {
            sent++;
        }
        tp_example_sleep_us(s->frame_interval_us);
    }
    free(payload);
    EXPECT(sent == s->count);
    printf("traced frames: %u\n", sent);
    uint64_t linger = tp_example_now_ns() + s->linger_ns;
    while (tp_example_now_ns() < linger)
    {
        tp_producer_poll(producer);
        tp_example_sleep_us(1000);
    }
    tp_producer_close(producer);
    return 0;
}

int main(void)
{
    tp_example_settings_t s;
    if (!tp_example_settings_load(&s))
    {
        return 2;
    }
    const char *role = tp_example_env("TP_TRACE_ROLE");
    if (role == NULL || (strcmp(role, "producer") != 0 && strcmp(role, "consumer") != 0))
    {
        fprintf(stderr, "TP_TRACE_ROLE must be producer or consumer\n");
        return 2;
    }
    tp_context_t *ctx = NULL;
    EXPECT_OK(tp_context_init(&ctx));
    EXPECT_CODE(TP_ERR_ARG, tp_context_set_wire_version(ctx, "2.0"));
    EXPECT_CODE(TP_ERR_ARG, tp_context_set_wire_version(ctx, NULL));
    EXPECT_OK(tp_context_set_wire_version(ctx, "1.2"));
    tp_client_t *client = NULL;
    tp_err_t err = TP_OK;
    if (!tp_example_configure(ctx, &s))
    {
        failures++;
    }
    else if ((err = tp_client_connect(ctx, &client)) != TP_OK)
    {
        failures += !tp_example_fail("tp_client_connect", err);
    }
    else
    {
        failures += strcmp(role, "producer") == 0 ? produce(client, &s) : consume(client, &s);
        tp_client_close(client);
    }
    tp_context_close(ctx);
    return failures == 0 ? 0 : 1;
}

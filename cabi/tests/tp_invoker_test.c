/*
 * Invoker mode and the error handler. Run by cabi/interop against a running driver;
 * settings as in tp_example_common.h.
 *   - a client made with tp_context_set_use_invoker(ctx, true) attaches a producer and a
 *     consumer (attach runs the duty cycle itself while it waits), then the program alone
 *     runs the duty cycle with tp_client_do_work: COUNT frames go from its producer to its
 *     consumer intact;
 *   - frames keep flowing while the program does NOT call tp_client_do_work for longer
 *     than a third of a lease (TP_LEASE_MS), because offering, claiming, committing and polling never need
 *     it: after that, the next tp_client_do_work sees the lease lost and attaches again;
 *   - a producer whose QoS channel the media driver refuses reports that through the
 *     handler of tp_context_set_error_handler, on the thread calling tp_client_do_work.
 * Exit 0 when every check held.
 */
#include "../examples/tp_example_common.h" /* first: it selects POSIX */

#include <string.h>

#include "tp_expect.h"

typedef struct errors_stct
{
    int count;
    tp_err_t code;
    char message[256];
}
errors_t;

static void on_error(void *clientd, tp_err_t code, const char *message)
{
    errors_t *e = (errors_t *)clientd;
    e->count++;
    e->code = code;
    snprintf(e->message, sizeof(e->message), "%s", message);
}

typedef struct seen_stct
{
    uint32_t frames;
    uint32_t bad;
    uint32_t payload_bytes;
}
seen_t;

static void on_frame(void *clientd, const tp_frame_view_t *frame)
{
    seen_t *seen = (seen_t *)clientd;
    if (!tp_example_check_frame(frame, seen->payload_bytes) ||
        !tp_example_check_pattern(frame->payload, frame->payload_len, frame->seq_commit >> 1))
    {
        seen->bad++;
        return;
    }
    seen->frames++;
}

/* Offers frame seq until it goes out or the deadline passes; returns whether it went. */
static bool offer(tp_producer_t *producer, tp_client_t *client, tp_consumer_t *consumer, seen_t *seen,
    const tp_example_settings_t *s, uint8_t *payload, uint64_t seq, bool do_work)
{
    tp_tensor_header_t tensor;
    tp_example_tensor(&tensor, s->payload_bytes);
    tp_example_fill_pattern(payload, s->payload_bytes, seq);
    const uint64_t deadline = tp_example_now_ns() + s->timeout_ns;
    while (tp_example_now_ns() < deadline)
    {
        tp_err_t err = tp_producer_offer_frame(producer, payload, s->payload_bytes, &tensor, 0);
        if (err == TP_OK)
        {
            return true;
        }
        if (err != TP_ERR_BUSY)
        {
            return tp_example_fail("tp_producer_offer_frame", err);
        }
        if (do_work)
        {
            tp_client_do_work(client);
        }
        tp_consumer_poll_frames(consumer, on_frame, seen, 64);
        tp_example_sleep_us(100);
    }
    fprintf(stderr, "frame %llu never went out\n", (unsigned long long)seq);
    return false;
}

static void frames_flow(const tp_example_settings_t *s)
{
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    tp_producer_t *producer = NULL;
    tp_consumer_t *consumer = NULL;
    EXPECT_OK(tp_context_init(&ctx));
    EXPECT(tp_example_configure(ctx, s));
    EXPECT_OK(tp_context_set_use_invoker(ctx, true));
    uint64_t keepalive_ms = 0;
    EXPECT(tp_example_env_u64("TP_KEEPALIVE_MS", 1000, 60000, &keepalive_ms));
    EXPECT_OK(tp_context_set_lease_keepalive_interval_ns(ctx, keepalive_ms * 1000000ull));
    EXPECT_OK(tp_client_connect(ctx, &client));
    EXPECT_OK(tp_attach_consumer(client, s->stream_id, &consumer));
    EXPECT_OK(tp_attach_producer(client, s->stream_id, &producer));
    if (failures != 0)
    {
        return;
    }
    uint8_t *payload = malloc(s->payload_bytes);
    seen_t seen = {0, 0, s->payload_bytes};
    int work = 0;
    uint64_t seq = 0;
    for (; seq < s->count && failures == 0; seq++)
    {
        if (!offer(producer, client, consumer, &seen, s, payload, seq, true))
        {
            failures++;
        }
        work += tp_client_do_work(client);
    }
    /* No duty cycle for a third of a lease: the frame path does not need it, and every
     * frame arrives. */
    uint64_t lease_ms = 0;
    EXPECT(tp_example_env_u64("TP_LEASE_MS", 3000, 60000, &lease_ms));
    const uint64_t quiet_until = tp_example_now_ns() + lease_ms * 1000000ull / 3;
    uint32_t quiet_frames = 0;
    while (tp_example_now_ns() < quiet_until && failures == 0)
    {
        if (offer(producer, client, consumer, &seen, s, payload, seq, false))
        {
            seq++;
            quiet_frames++;
        }
        tp_consumer_poll_frames(consumer, on_frame, &seen, 64); /* keep up: the ring holds few */
        tp_example_sleep_us(1000);
    }
    EXPECT(quiet_frames > 0);
    const uint64_t deadline = tp_example_now_ns() + s->timeout_ns;
    while (seen.frames < seq && tp_example_now_ns() < deadline)
    {
        tp_consumer_poll_frames(consumer, on_frame, &seen, 64);
        tp_client_do_work(client);
    }
    if (seen.frames != seq)
    {
        tp_producer_stats_t ps;
        tp_consumer_stats_t cs;
        tp_producer_get_stats(producer, &ps);
        tp_consumer_get_stats(consumer, &cs);
        fprintf(stderr, "seen %u of %llu frames (%u while still); producer frames %llu dropped %llu epoch %llu losses %llu; consumer frames %llu epoch %llu losses %llu\n",
            seen.frames, (unsigned long long)seq, quiet_frames, (unsigned long long)ps.frames, (unsigned long long)ps.dropped,
            (unsigned long long)ps.epoch, (unsigned long long)ps.lease_losses, (unsigned long long)cs.frames,
            (unsigned long long)cs.epoch, (unsigned long long)cs.lease_losses);
        failures++;
    }
    EXPECT(seen.bad == 0);
    /* Nothing for twice a lease (within the Aeron client's liveness timeout, past which the
     * media driver would drop the whole client): the leases expire, and the duty cycle, once
     * it runs again, attaches anew; frames follow. */
    tp_example_sleep_us((uint32_t)(2 * lease_ms * 1000));
    tp_producer_stats_t stats;
    memset(&stats, 0, sizeof(stats));
    bool reattached = false;
    while (!reattached && tp_example_now_ns() < deadline)
    {
        tp_client_do_work(client);
        EXPECT_OK(tp_producer_get_stats(producer, &stats));
        reattached = stats.lease_losses > 0 && stats.epoch != 0;
        tp_example_sleep_us(200);
    }
    if (!reattached)
    {
        fprintf(stderr, "not reattached: lease losses %llu, epoch %llu\n",
            (unsigned long long)stats.lease_losses, (unsigned long long)stats.epoch);
        failures++;
    }
    seen.frames = 0;
    EXPECT(offer(producer, client, consumer, &seen, s, payload, 0, true));
    printf("invoker: %llu frames, %u while the duty cycle stood still, work %d\n",
        (unsigned long long)seq, quiet_frames, work);
    free(payload);
    tp_producer_close(producer);
    tp_consumer_close(consumer);
    tp_client_close(client);
    tp_context_close(ctx);
}

static void errors_reach_the_handler(const tp_example_settings_t *s)
{
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    tp_producer_t *producer = NULL;
    errors_t errors = {0, TP_OK, ""};
    EXPECT_OK(tp_context_init(&ctx));
    EXPECT(tp_example_configure(ctx, s));
    EXPECT_OK(tp_context_set_use_invoker(ctx, true));
    EXPECT_OK(tp_context_set_error_handler(ctx, on_error, &errors));
    /* A QoS channel the media driver refuses (UDP without an endpoint): the producer
     * attaches, and the refusal arrives later, on the duty cycle. */
    EXPECT_OK(tp_context_set_qos_channel(ctx, "aeron:udp"));
    EXPECT_OK(tp_context_set_qos_stream_id(ctx, 1200));
    EXPECT_OK(tp_client_connect(ctx, &client));
    EXPECT_OK(tp_attach_producer(client, s->stream_id, &producer));
    const uint64_t deadline = tp_example_now_ns() + s->timeout_ns;
    while (errors.count == 0 && tp_example_now_ns() < deadline)
    {
        tp_client_do_work(client);
        tp_example_sleep_us(1000);
    }
    EXPECT(errors.count > 0);
    EXPECT(errors.code == TP_ERR_PROTOCOL || errors.code == TP_ERR_AERON);
    EXPECT(strstr(errors.message, "aeron:udp") != NULL);
    printf("error handler: %d calls, last: %s\n", errors.count, errors.message);
    tp_producer_close(producer);
    tp_client_close(client);
    tp_context_close(ctx);
}

int main(void)
{
    tp_example_settings_t s;
    if (!tp_example_settings_load(&s))
    {
        return 2;
    }
    frames_flow(&s);
    errors_reach_the_handler(&s);
    return failures == 0 ? 0 : 1;
}

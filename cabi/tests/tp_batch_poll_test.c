/*
 * The one-crossing data path, against a media driver (run by cabi/interop; settings as in
 * tp_example_common.h, TP_PAYLOAD_BYTES the frame size, TP_SLOTS the stream's header
 * slots): a C producer publishing with tp_producer_commit_and_claim_next and a C consumer
 * polling with tp_consumer_poll_batch, in one process.
 *   - every frame arrives in order, byte for byte as written, at most capacity a poll;
 *     tp_polled_frame_is_valid and tp_consumer_frame_is_valid hold for every frame of the
 *     batch (not only the newest) and for a copy of its view, and the consumer counts the
 *     frames it delivered;
 *   - the next claim comes with the commit, one sequence number on;
 *   - once the producer has overwritten every slot, both checks report each frame of a
 *     batch kept since as overwritten, reading the slots still mapped;
 *   - after the next poll tp_consumer_frame_is_valid no longer answers for the old views;
 *   - tp_consumer_poll_frames returns the frames it handed to the handler;
 *   - tp_producer_offer_frames publishes a batch in order, byte for byte, from the
 *     sequence number an aborted claim left; it refuses to offer while a claim is open,
 *     stops at a frame with a bad tensor header (those before it published, the rest not),
 *     and takes an empty batch;
 *   - frames beyond a batch's capacity come with the next calls, in order and intact: a
 *     consumer in invoker mode, not running its duty cycle, holds the descriptors of the
 *     producer's new epoch until it maps it, then takes them all in one poll.
 * Exit 0 when every check held.
 */
#include "../examples/tp_example_common.h" /* first: it selects POSIX */

#include <unistd.h>

#include "tp_expect.h"

#define CAPACITY 8u
#define FIRST_FRAMES 20u
#define KEPT_FRAMES 3u

typedef struct publisher_stct
{
    tp_producer_t *producer;
    tp_slot_claim_t claim;
    bool open; /* claim is the producer's open claim */
    uint32_t payload_bytes;
    tp_tensor_header_t tensor;
    uint64_t timeout_ns;
}
publisher_t;

/* Publishes frames frames with the example pattern, committing each and claiming the next
 * in one call; a dropped frame (TP_ERR_BUSY) is published again. */
static bool publish(publisher_t *pub, uint32_t frames)
{
    const uint64_t deadline = tp_example_now_ns() + pub->timeout_ns;
    uint32_t done = 0;
    while (done < frames)
    {
        if (tp_example_now_ns() > deadline)
        {
            fprintf(stderr, "published %u of %u frames in time\n", done, frames);
            return false;
        }
        tp_err_t err = TP_OK;
        if (!pub->open)
        {
            err = tp_producer_try_claim_slot_by_size(pub->producer, pub->payload_bytes, &pub->claim);
            if (err == TP_ERR_BUSY)
            {
                tp_example_sleep_us(100);
                continue;
            }
            if (err != TP_OK)
            {
                return tp_example_fail("tp_producer_try_claim_slot_by_size", err);
            }
            pub->open = true;
        }
        const uint64_t seq = pub->claim.seq;
        tp_example_fill_pattern(pub->claim.ptr, pub->payload_bytes, seq);
        tp_err_t next = TP_OK;
        err = tp_producer_commit_and_claim_next(pub->producer, &pub->claim, pub->payload_bytes, &pub->tensor, 0,
            pub->payload_bytes, &next);
        if (err != TP_OK && err != TP_ERR_BUSY)
        {
            return tp_example_fail("tp_producer_commit_and_claim_next", err);
        }
        done += err == TP_OK ? 1u : 0u;
        pub->open = next == TP_OK;
        if (next == TP_OK)
        {
            EXPECT(pub->claim.seq == seq + 1 && pub->claim.ptr != NULL);
        }
        else if (next == TP_ERR_BUSY)
        {
            EXPECT(pub->claim.ptr == NULL);
        }
        else
        {
            return tp_example_fail("tp_producer_commit_and_claim_next (next claim)", next);
        }
    }
    return true;
}

/* Polls batches until want frames arrived, checking each; the last batch stays in batch
 * (its size in *last). Frames must come in order from *next_seq on. */
static bool receive(tp_consumer_t *consumer, tp_polled_frame_t *batch, uint32_t payload_bytes, uint32_t want,
    uint64_t *next_seq, int *last, uint64_t timeout_ns)
{
    const uint64_t deadline = tp_example_now_ns() + timeout_ns;
    uint32_t got = 0;
    while (got < want)
    {
        if (tp_example_now_ns() > deadline)
        {
            fprintf(stderr, "received %u of %u frames in time\n", got, want);
            return false;
        }
        int n = tp_consumer_poll_batch(consumer, batch, CAPACITY, 64);
        if (n < 0)
        {
            return tp_example_fail("tp_consumer_poll_batch", (tp_err_t)n);
        }
        if (n == 0)
        {
            tp_example_sleep_us(100);
            continue;
        }
        EXPECT((uint32_t)n <= CAPACITY);
        for (int i = 0; i < n; i++)
        {
            const tp_frame_view_t *view = &batch[i].view;
            EXPECT(view->seq_commit >> 1 == *next_seq);
            EXPECT(view->seq_commit & 1u);
            EXPECT(tp_example_check_frame(view, payload_bytes)); /* every byte */
            EXPECT(tp_polled_frame_is_valid(&batch[i]));
            *next_seq = (view->seq_commit >> 1) + 1;
        }
        /* After reading them all: the consumer answers for any frame of the poll. */
        for (int i = 0; i < n; i++)
        {
            tp_frame_view_t copy = batch[i].view;
            EXPECT(tp_consumer_frame_is_valid(consumer, &batch[i].view));
            EXPECT(tp_consumer_frame_is_valid(consumer, &copy));
            copy.seq_commit += 2; /* another frame in the same slot */
            EXPECT(!tp_consumer_frame_is_valid(consumer, &copy));
        }
        got += (uint32_t)n;
        *last = n;
    }
    return true;
}

#define OFFERED 12u
#define BAD_AT 5u

/* Offers OFFERED frames with tp_producer_offer_frames, the first to take sequence number
 * first_seq: frames[BAD_AT] first has a bad tensor header, which stops the batch there. */
static bool offer_batch(tp_producer_t *producer, uint32_t payload_bytes, uint64_t first_seq, uint64_t timeout_ns)
{
    uint8_t *payloads = malloc((size_t)OFFERED * payload_bytes);
    if (payloads == NULL)
    {
        fprintf(stderr, "no memory for the payloads\n");
        return false;
    }
    tp_tensor_header_t tensor;
    tp_example_tensor(&tensor, payload_bytes);
    tp_tensor_header_t bad = tensor;
    bad.ndims = TP_MAX_DIMS + 1;
    tp_frame_offer_t frames[OFFERED];
    for (uint32_t i = 0; i < OFFERED; i++)
    {
        uint8_t *payload = payloads + (size_t)i * payload_bytes;
        tp_example_fill_pattern(payload, payload_bytes, first_seq + i);
        frames[i] = (tp_frame_offer_t){.payload = payload, .tensor = &tensor, .values_len = payload_bytes};
    }
    frames[BAD_AT].tensor = &bad;
    uint32_t n = 7;
    EXPECT(tp_producer_offer_frames(producer, NULL, 0, &n) == TP_OK && n == 0);
    EXPECT_CODE(TP_ERR_ARG, tp_producer_offer_frames(producer, frames, OFFERED, NULL));
    EXPECT_CODE(TP_ERR_ARG, tp_producer_offer_frames(producer, NULL, 1, &n));
    const uint64_t deadline = tp_example_now_ns() + timeout_ns;
    uint32_t done = 0;
    bool refused = false;
    bool ok = true;
    while (ok && done < OFFERED)
    {
        if (tp_example_now_ns() > deadline)
        {
            fprintf(stderr, "offered %u of %u frames in time\n", done, OFFERED);
            ok = false;
            break;
        }
        n = UINT32_MAX;
        tp_err_t err = tp_producer_offer_frames(producer, frames + done, OFFERED - done, &n);
        EXPECT(n <= OFFERED - done);
        done += n <= OFFERED - done ? n : 0;
        if (err == TP_OK)
        {
            EXPECT(done == OFFERED);
            break;
        }
        if (err == TP_ERR_ARG && !refused)
        {
            EXPECT(done == BAD_AT);
            refused = true;
            frames[BAD_AT].tensor = &tensor;
            continue;
        }
        if (err != TP_ERR_BUSY)
        {
            ok = tp_example_fail("tp_producer_offer_frames", err);
            break;
        }
        tp_example_sleep_us(100);
    }
    EXPECT(refused);
    free(payloads);
    return ok;
}

static void count_frame(void *clientd, const tp_frame_view_t *frame)
{
    (void)frame;
    (*(uint32_t *)clientd)++;
}

static bool wait_connected(tp_producer_t *producer, tp_consumer_t *consumer, uint64_t timeout_ns)
{
    const uint64_t deadline = tp_example_now_ns() + timeout_ns;
    while (!tp_producer_is_connected(producer) || !tp_consumer_is_connected(consumer))
    {
        if (tp_example_now_ns() > deadline)
        {
            fprintf(stderr, "producer and consumer not connected in time\n");
            return false;
        }
        tp_example_sleep_us(1000);
    }
    return true;
}

static bool run(const tp_example_settings_t *s, uint32_t slots, tp_producer_t *producer, tp_consumer_t *consumer)
{
    if (!wait_connected(producer, consumer, s->timeout_ns))
    {
        return false;
    }
    publisher_t pub = {.producer = producer, .payload_bytes = s->payload_bytes, .timeout_ns = s->timeout_ns};
    tp_example_tensor(&pub.tensor, s->payload_bytes);
    tp_polled_frame_t batch[CAPACITY];
    int last = 0;
    uint64_t next_seq = 0;

    /* In order, byte for byte, a batch at a time. */
    if (!publish(&pub, FIRST_FRAMES) ||
        !receive(consumer, batch, s->payload_bytes, FIRST_FRAMES, &next_seq, &last, s->timeout_ns))
    {
        return false;
    }
    tp_consumer_stats_t stats;
    EXPECT_OK(tp_consumer_get_stats(consumer, &stats));
    EXPECT(stats.frames == FIRST_FRAMES);
    tp_frame_view_t old = batch[0].view;

    /* Overwritten under a kept batch: every slot rewritten, nothing polled since. */
    if (!publish(&pub, KEPT_FRAMES) ||
        !receive(consumer, batch, s->payload_bytes, KEPT_FRAMES, &next_seq, &last, s->timeout_ns))
    {
        return false;
    }
    EXPECT(!tp_consumer_frame_is_valid(consumer, &old)); /* a poll ago */
    if (!publish(&pub, 2 * slots))
    {
        return false;
    }
    for (int i = 0; i < last; i++)
    {
        EXPECT(!tp_polled_frame_is_valid(&batch[i]));
        EXPECT(!tp_consumer_frame_is_valid(consumer, &batch[i].view));
    }

    /* Read out what is queued, then count a handler's frames. */
    for (int idle = 0; idle < 20;)
    {
        int n = tp_consumer_poll_batch(consumer, batch, CAPACITY, 64);
        if (n < 0)
        {
            return tp_example_fail("tp_consumer_poll_batch", (tp_err_t)n);
        }
        idle = n == 0 ? idle + 1 : 0;
        tp_example_sleep_us(1000);
    }
    if (!publish(&pub, 5))
    {
        return false;
    }
    uint32_t handled = 0;
    uint32_t returned = 0;
    const uint64_t deadline = tp_example_now_ns() + s->timeout_ns;
    while (returned < 5 && tp_example_now_ns() < deadline)
    {
        int n = tp_consumer_poll_frames(consumer, count_frame, &handled, 64);
        if (n < 0)
        {
            return tp_example_fail("tp_consumer_poll_frames", (tp_err_t)n);
        }
        returned += (uint32_t)n;
        EXPECT(handled == returned);
        tp_example_sleep_us(100);
    }
    EXPECT(returned == 5);

    /* A batch of offers, from the sequence number the aborted claim gives back. */
    for (uint64_t until = tp_example_now_ns() + s->timeout_ns; !pub.open;)
    {
        tp_err_t err = tp_producer_try_claim_slot_by_size(producer, s->payload_bytes, &pub.claim);
        if (err != TP_OK && (err != TP_ERR_BUSY || tp_example_now_ns() > until))
        {
            return tp_example_fail("tp_producer_try_claim_slot_by_size", err);
        }
        pub.open = err == TP_OK;
    }
    const uint64_t first_seq = pub.claim.seq;
    uint32_t n = 7;
    tp_frame_offer_t one = {.payload = pub.claim.ptr, .tensor = &pub.tensor, .values_len = s->payload_bytes};
    EXPECT_CODE(TP_ERR_BUSY, tp_producer_offer_frames(producer, &one, 1, &n)); /* a claim is open */
    EXPECT(n == 0);
    EXPECT_OK(tp_producer_abort_slot(producer, &pub.claim));
    next_seq = first_seq;
    return offer_batch(producer, s->payload_bytes, first_seq, s->timeout_ns) &&
        receive(consumer, batch, s->payload_bytes, OFFERED, &next_seq, &last, s->timeout_ns);
}

/* Runs an invoker-mode client's duty cycle for about ms milliseconds. */
static void work_for(tp_client_t *client, uint32_t ms)
{
    const uint64_t until = tp_example_now_ns() + (uint64_t)ms * 1000000ull;
    while (tp_example_now_ns() < until)
    {
        tp_client_do_work(client);
        tp_example_sleep_us(200);
    }
}

/* The producer moves to a new epoch and publishes HELD_FRAMES frames before the consumer
 * (its client in invoker mode) maps it: polls in between hold their descriptors; the poll
 * after the mapping hands over CAPACITY of them and keeps the rest for the next calls. */
#define HELD_FRAMES 20u

static bool run_overflow(const tp_example_settings_t *s, tp_producer_t **producer)
{
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    tp_consumer_t *consumer = NULL;
    bool ok = false;
    EXPECT_OK(tp_context_init(&ctx));
    if (ctx == NULL || !tp_example_configure(ctx, s))
    {
        tp_context_close(ctx);
        return false;
    }
    EXPECT_OK(tp_context_set_use_invoker(ctx, true));
    /* Not the process id, the first client's: a driver grants a client id one lease a role. */
    EXPECT_OK(tp_context_set_client_id(ctx, (uint32_t)getpid() + 1000000u));
    tp_err_t err = tp_client_connect(ctx, &client);
    if (err != TP_OK)
    {
        tp_example_fail("tp_client_connect (invoker)", err);
        goto done;
    }
    if ((err = tp_attach_consumer(client, s->stream_id, &consumer)) != TP_OK)
    {
        tp_example_fail("tp_attach_consumer (invoker)", err);
        goto done;
    }
    if ((err = tp_producer_reattach(producer)) != TP_OK)
    {
        tp_example_fail("tp_producer_reattach", err);
        goto done;
    }
    tp_producer_stats_t ps;
    EXPECT_OK(tp_producer_get_stats(*producer, &ps));
    const uint64_t deadline = tp_example_now_ns() + s->timeout_ns;
    while (!tp_producer_is_connected(*producer) || !tp_consumer_is_connected(consumer))
    {
        if (tp_example_now_ns() > deadline)
        {
            fprintf(stderr, "the invoker consumer did not connect in time\n");
            goto done;
        }
        work_for(client, 1);
    }
    tp_consumer_stats_t cs;
    EXPECT_OK(tp_consumer_get_stats(consumer, &cs));
    if (cs.epoch == ps.epoch)
    {
        fprintf(stderr, "the consumer mapped the new epoch %llu before the test could hold it\n",
            (unsigned long long)ps.epoch);
        goto done;
    }
    publisher_t pub = {.producer = *producer, .payload_bytes = s->payload_bytes, .timeout_ns = s->timeout_ns};
    tp_example_tensor(&pub.tensor, s->payload_bytes);
    if (!publish(&pub, HELD_FRAMES))
    {
        goto done;
    }
    tp_polled_frame_t batch[CAPACITY];
    for (uint32_t i = 0; i < 2 * HELD_FRAMES / CAPACITY + 2; i++) /* read every descriptor: all held */
    {
        EXPECT(tp_consumer_poll_batch(consumer, batch, CAPACITY, 64) == 0);
    }
    while (cs.epoch != ps.epoch)
    {
        if (tp_example_now_ns() > deadline)
        {
            fprintf(stderr, "the invoker consumer did not map epoch %llu in time\n", (unsigned long long)ps.epoch);
            goto done;
        }
        work_for(client, 1);
        EXPECT_OK(tp_consumer_get_stats(consumer, &cs));
    }
    uint32_t got = 0;
    uint64_t next_seq = 0;
    const int expected[] = {CAPACITY, CAPACITY, HELD_FRAMES - 2 * CAPACITY, 0};
    for (int call = 0; call < 4; call++)
    {
        int n = tp_consumer_poll_batch(consumer, batch, CAPACITY, 64);
        EXPECT(n == expected[call]);
        for (int i = 0; i < n; i++)
        {
            const uint64_t seq = batch[i].view.seq_commit >> 1;
            EXPECT(got == 0 || seq == next_seq);
            EXPECT(tp_example_check_frame(&batch[i].view, s->payload_bytes));
            EXPECT(tp_polled_frame_is_valid(&batch[i]));
            EXPECT(tp_consumer_frame_is_valid(consumer, &batch[i].view));
            next_seq = seq + 1;
            got++;
        }
    }
    EXPECT(got == HELD_FRAMES);
    if (pub.open)
    {
        EXPECT_OK(tp_producer_abort_slot(*producer, &pub.claim));
    }
    ok = true;
done:
    tp_consumer_close(consumer);
    tp_client_close(client);
    tp_context_close(ctx);
    return ok;
}

int main(void)
{
    tp_example_settings_t s;
    uint32_t slots = 0;
    if (!tp_example_settings_load(&s) || !tp_example_env_u32("TP_SLOTS", 64, &slots))
    {
        return 2;
    }
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    tp_producer_t *producer = NULL;
    tp_consumer_t *consumer = NULL;
    tp_err_t err = TP_OK;
    bool ok = false;
    if ((err = tp_context_init(&ctx)) != TP_OK)
    {
        tp_example_fail("tp_context_init", err);
    }
    else if (!tp_example_configure(ctx, &s))
    {
    }
    else if ((err = tp_client_connect(ctx, &client)) != TP_OK)
    {
        tp_example_fail("tp_client_connect", err);
    }
    else if ((err = tp_attach_producer(client, s.stream_id, &producer)) != TP_OK)
    {
        tp_example_fail("tp_attach_producer", err);
    }
    else if ((err = tp_attach_consumer(client, s.stream_id, &consumer)) != TP_OK)
    {
        tp_example_fail("tp_attach_consumer", err);
    }
    else
    {
        ok = run(&s, slots, producer, consumer);
        tp_consumer_close(consumer);
        consumer = NULL;
        ok = ok && run_overflow(&s, &producer);
    }
    tp_consumer_close(consumer);
    tp_producer_close(producer);
    tp_client_close(client);
    tp_context_close(ctx);
    if (!ok || failures > 0)
    {
        fprintf(stderr, "%d checks failed\n", failures);
        return 1;
    }
    printf("batch poll: every check held\n");
    return 0;
}

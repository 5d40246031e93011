/*
 * tp_example_producer: attaches to a tensorpool driver as the producer of one stream and
 * publishes TP_COUNT frames of TP_PAYLOAD_BYTES bytes, written in place into claimed
 * slots (tp_producer_try_claim_slot_by_size + tp_producer_commit_slot). Each payload
 * carries the pattern of tp_example_fill_pattern for the frame's sequence number.
 *
 * Dropped frames (TP_ERR_BUSY: no consumer yet, back-pressure) are retried until
 * TP_TIMEOUT_MS after attaching. With TP_WAIT_CONNECT=1 it first waits for a descriptor
 * subscriber. Settings: see tp_example_common.h. Exit 0 when all frames were published.
 */
#include "tp_example_common.h"

static int run(const tp_example_settings_t *s, tp_producer_t *producer)
{
    const uint64_t deadline = tp_example_now_ns() + s->timeout_ns;
    tp_err_t err = TP_OK;

    if (s->wait_connect)
    {
        while (!tp_producer_is_connected(producer))
        {
            if (tp_example_now_ns() >= deadline)
            {
                fprintf(stderr, "no consumer connected to the descriptor stream within TP_TIMEOUT_MS\n");
                return 1;
            }
            if ((err = tp_producer_poll(producer)) != TP_OK)
            {
                tp_example_fail("tp_producer_poll", err);
                return 1;
            }
            tp_example_sleep_us(1000);
        }
    }

    uint32_t meta_version = 0;
    if ((err = tp_producer_metadata_version(producer, &meta_version)) != TP_OK)
    {
        tp_example_fail("tp_producer_metadata_version", err);
        return 1;
    }
    tp_tensor_header_t tensor;
    tp_example_tensor(&tensor, s->payload_bytes);

    uint32_t sent = 0;
    uint64_t busy = 0;
    while (sent < s->count && tp_example_now_ns() < deadline)
    {
        if ((err = tp_producer_poll(producer)) != TP_OK)
        {
            tp_example_fail("tp_producer_poll", err);
            return 1;
        }
        tp_slot_claim_t claim;
        err = tp_producer_try_claim_slot_by_size(producer, s->payload_bytes, &claim);
        if (err == TP_ERR_BUSY)
        {
            busy++;
            tp_example_sleep_us(100);
            continue;
        }
        if (err != TP_OK)
        {
            tp_example_fail("tp_producer_try_claim_slot_by_size", err);
            return 1;
        }
        if (claim.ptr == NULL || claim.stride_bytes < s->payload_bytes)
        {
            fprintf(stderr, "claimed slot of %u bytes for a %u-byte frame\n", claim.stride_bytes, s->payload_bytes);
            if ((err = tp_producer_abort_slot(producer, &claim)) != TP_OK)
            {
                tp_example_fail("tp_producer_abort_slot", err);
            }
            return 1;
        }
        tp_example_fill_pattern(claim.ptr, s->payload_bytes, claim.seq);
        /* A failed commit closes the claim: the next try claims a new slot. */
        err = tp_producer_commit_slot(producer, &claim, s->payload_bytes, &tensor, meta_version);
        if (err == TP_ERR_BUSY)
        {
            busy++;
            tp_example_sleep_us(100);
            continue;
        }
        if (err != TP_OK)
        {
            tp_example_fail("tp_producer_commit_slot", err);
            return 1;
        }
        sent++;
        if (s->frame_interval_us > 0)
        {
            tp_example_sleep_us(s->frame_interval_us);
        }
    }

    /* Keep the lease a little so consumers can read the last frames before the detach. */
    const uint64_t linger_end = tp_example_now_ns() + s->linger_ns;
    while (sent == s->count && tp_example_now_ns() < linger_end)
    {
        if ((err = tp_producer_poll(producer)) != TP_OK)
        {
            tp_example_fail("tp_producer_poll", err);
            return 1;
        }
        tp_example_sleep_us(1000);
    }

    tp_producer_stats_t stats;
    if ((err = tp_producer_get_stats(producer, &stats)) != TP_OK)
    {
        tp_example_fail("tp_producer_get_stats", err);
        return 1;
    }
    fprintf(stderr, "producer stats: frames %llu, bytes %llu, dropped %llu, epoch %llu; retried %llu busy\n",
        (unsigned long long)stats.frames, (unsigned long long)stats.bytes, (unsigned long long)stats.dropped,
        (unsigned long long)stats.epoch, (unsigned long long)busy);
    printf("sent %u frames\n", sent);
    if (sent < s->count)
    {
        fprintf(stderr, "timed out: published %u of %u frames\n", sent, s->count);
        return 1;
    }
    return 0;
}

int main(void)
{
    tp_example_settings_t s;
    if (!tp_example_settings_load(&s))
    {
        return 2;
    }

    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    tp_producer_t *producer = NULL;
    int rc = 1;
    tp_err_t err = TP_OK;

    if ((err = tp_context_init(&ctx)) != TP_OK)
    {
        tp_example_fail("tp_context_init", err);
    }
    else if (tp_example_configure(ctx, &s))
    {
        if ((err = tp_client_connect(ctx, &client)) != TP_OK)
        {
            tp_example_fail("tp_client_connect", err);
        }
        else if ((err = tp_attach_producer(client, s.stream_id, &producer)) != TP_OK)
        {
            tp_example_fail("tp_attach_producer", err);
        }
        else
        {
            rc = run(&s, producer);
        }
    }

    tp_producer_close(producer);
    tp_client_close(client);
    tp_context_close(ctx);
    fflush(stdout);
    return rc;
}

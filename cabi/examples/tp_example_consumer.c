/*
 * tp_example_consumer: attaches to a tensorpool driver as a consumer of one stream and
 * reads frames with tp_consumer_poll + tp_consumer_try_read_frame (the newest frame each
 * poll accepted; older ones it skipped are counted by the library as drops, not here).
 *
 * Every frame read is checked against the producer example's pattern; a frame whose slot
 * was overwritten while being read (tp_consumer_frame_is_valid false) is skipped as torn.
 * The last line on stdout is "received N frames, M bad". Exit 0 when TP_COUNT frames (or
 * TP_MIN_COUNT if set) arrived within TP_TIMEOUT_MS of attaching and none was bad.
 * Settings: see tp_example_common.h.
 */
#include "tp_example_common.h"

static int run(const tp_example_settings_t *s, tp_consumer_t *consumer)
{
    const uint64_t deadline = tp_example_now_ns() + s->timeout_ns;
    tp_example_tally_t tally;
    memset(&tally, 0, sizeof(tally));
    tally.last_frame_ns = tp_example_now_ns();
    bool failed = false;

    for (uint64_t now = tp_example_now_ns(); now < deadline && !tp_example_tally_done(&tally, s, now);
         now = tp_example_now_ns())
    {
        tp_err_t err = tp_consumer_poll(consumer, 16);
        if (err != TP_OK)
        {
            /* TP_ERR_PROTOCOL: the lease is gone (e.g. the producer left); judge what arrived. */
            tp_example_fail("tp_consumer_poll", err);
            failed = err != TP_ERR_PROTOCOL;
            break;
        }
        tp_frame_view_t view;
        err = tp_consumer_try_read_frame(consumer, &view);
        if (err == TP_ERR_TIMEOUT)
        {
            tp_example_sleep_us(100);
            continue;
        }
        if (err != TP_OK)
        {
            tp_example_fail("tp_consumer_try_read_frame", err);
            failed = true;
            break;
        }
        tp_example_tally_frame(&tally, consumer, &view, s->payload_bytes);
    }

    if (!tp_example_print_consumer_stats(consumer))
    {
        failed = true;
    }
    int rc = tp_example_tally_report(&tally, s);
    return failed ? 1 : rc;
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
    tp_consumer_t *consumer = NULL;
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
        else if ((err = tp_attach_consumer(client, s.stream_id, &consumer)) != TP_OK)
        {
            tp_example_fail("tp_attach_consumer", err);
        }
        else
        {
            rc = run(&s, consumer);
        }
    }

    tp_consumer_close(consumer);
    tp_client_close(client);
    tp_context_close(ctx);
    fflush(stdout);
    return rc;
}

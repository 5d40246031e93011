/*
 * tp_example_consumer_callback: like tp_example_consumer, but every frame a poll accepts
 * is handed to a handler by tp_consumer_poll_frames, in order. The handler reads the
 * payload first and then asks tp_consumer_frame_is_valid whether the slot was overwritten
 * meanwhile; the view is valid only during the call.
 *
 * The last line on stdout is "received N frames, M bad". Exit 0 when TP_COUNT frames (or
 * TP_MIN_COUNT if set) arrived within TP_TIMEOUT_MS of attaching and none was bad.
 * Settings: see tp_example_common.h.
 */
#include "tp_example_common.h"

typedef struct handler_state_stct
{
    const tp_consumer_t *consumer;
    uint32_t payload_bytes;
    tp_example_tally_t tally;
}
handler_state_t;

static void on_frame(void *clientd, const tp_frame_view_t *frame)
{
    handler_state_t *state = (handler_state_t *)clientd;
    tp_example_tally_frame(&state->tally, state->consumer, frame, state->payload_bytes);
}

static int run(const tp_example_settings_t *s, tp_consumer_t *consumer)
{
    const uint64_t deadline = tp_example_now_ns() + s->timeout_ns;
    handler_state_t state;
    memset(&state, 0, sizeof(state));
    state.consumer = consumer;
    state.payload_bytes = s->payload_bytes;
    state.tally.last_frame_ns = tp_example_now_ns();
    bool failed = false;

    for (uint64_t now = tp_example_now_ns(); now < deadline && !tp_example_tally_done(&state.tally, s, now);
         now = tp_example_now_ns())
    {
        int n = tp_consumer_poll_frames(consumer, on_frame, &state, 16);
        if (n < 0)
        {
            /* TP_ERR_PROTOCOL: the lease is gone (e.g. the producer left); judge what arrived. */
            tp_example_fail("tp_consumer_poll_frames", (tp_err_t)n);
            failed = n != TP_ERR_PROTOCOL;
            break;
        }
        if (n == 0)
        {
            tp_example_sleep_us(100);
        }
    }

    if (!tp_example_print_consumer_stats(consumer))
    {
        failed = true;
    }
    int rc = tp_example_tally_report(&state.tally, s);
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

/*
 * tp_fault_peer: a producer or consumer (TP_FAULT_ROLE) that runs for TP_RUN_MS through
 * whatever happens to its driver, for the fault tests (cabi/interop/faults_test.go). It
 * never reattaches by hand: the library does. While the lease is lost, tp_producer_poll
 * and tp_consumer_poll answer TP_ERR_PROTOCOL and offers TP_ERR_BUSY; those are counted,
 * and the loop goes on. Any other error ends it with exit 1.
 *
 * The producer publishes a frame of TP_PAYLOAD_BYTES every TP_FRAME_INTERVAL_US, with the
 * pattern of tp_example_fill_pattern for its seq. The consumer prints "frame SEQ LEASE"
 * for each frame it reads intact (LEASE: its lease id then, which changes when it
 * reattaches), "bad SEQ" for one that is not the pattern. Both end with "stat NAME N"
 * lines. Settings: see tp_example_common.h; the keepalive interval is 100 ms.
 *
 * TP_ERR_AERON (the Aeron client is dead: the media driver was lost) ends the run with
 * "terminal WHAT: MESSAGE" and exit 3, after the library closed everything; the error
 * handler prints "handler CODE MESSAGE" for each asynchronous error. With TP_RECONNECT=1
 * it prints "lost WHAT: MESSAGE" instead, calls tp_client_reconnect until it succeeds
 * ("reconnect: MESSAGE" for each TP_ERR_AERON, waiting up to the attach timeout for a
 * media driver), prints "reconnected MS" (since the loss) and goes on with the same
 * producer or consumer handle.
 */
#include "../examples/tp_example_common.h" /* first: it selects POSIX */

typedef struct
{
    uint64_t ok, busy, lost;
}
counts_t;

static bool terminal = false;
static bool reconnect = false;
static tp_client_t *client = NULL;

/* Brings the client back after TP_ERR_AERON (TP_RECONNECT=1): false if it cannot. */
static bool reconnect_client(const char *what)
{
    printf("lost %s: %s\n", what, tp_errmsg());
    fflush(stdout);
    const uint64_t lost_ns = tp_example_now_ns();
    tp_err_t err;
    while ((err = tp_client_reconnect(client)) == TP_ERR_AERON)
    {
        printf("reconnect: %s\n", tp_errmsg());
        fflush(stdout);
        if (tp_example_now_ns() - lost_ns > 60000000000ull)
        {
            return tp_example_fail("tp_client_reconnect (60 s)", err);
        }
    }
    if (err != TP_OK)
    {
        return tp_example_fail("tp_client_reconnect", err);
    }
    printf("reconnected %llu\n", (unsigned long long)((tp_example_now_ns() - lost_ns) / 1000000ull));
    fflush(stdout);
    return true;
}

static void on_error(void *clientd, tp_err_t code, const char *message)
{
    (void)clientd;
    printf("handler %d %s\n", (int)code, message);
    fflush(stdout);
}

static bool count(counts_t *c, const char *what, tp_err_t err)
{
    switch (err)
    {
    case TP_ERR_AERON:
        if (reconnect)
        {
            return reconnect_client(what);
        }
        printf("terminal %s: %s\n", what, tp_errmsg());
        terminal = true;
        return false;
    case TP_OK:
        c->ok++;
        return true;
    case TP_ERR_BUSY:
    case TP_ERR_TIMEOUT:
        c->busy++;
        return true;
    case TP_ERR_PROTOCOL:
        c->lost++;
        return true;
    default:
        return tp_example_fail(what, err);
    }
}

static int produce(const tp_example_settings_t *s, tp_producer_t *producer, uint64_t end_ns)
{
    tp_tensor_header_t tensor;
    tp_example_tensor(&tensor, s->payload_bytes);
    counts_t polls = {0, 0, 0}, frames = {0, 0, 0};
    while (tp_example_now_ns() < end_ns)
    {
        if (!count(&polls, "tp_producer_poll", tp_producer_poll(producer)))
        {
            return 1;
        }
        tp_slot_claim_t claim;
        tp_err_t err = tp_producer_try_claim_slot_by_size(producer, s->payload_bytes, &claim);
        if (err == TP_OK)
        {
            tp_example_fill_pattern(claim.ptr, s->payload_bytes, claim.seq);
            err = tp_producer_commit_slot(producer, &claim, s->payload_bytes, &tensor, 0);
        }
        if (!count(&frames, "claim and commit", err))
        {
            return 1;
        }
        tp_example_sleep_us(s->frame_interval_us);
    }
    printf("stat sent %llu\nstat busy %llu\nstat lost_polls %llu\n", (unsigned long long)frames.ok,
        (unsigned long long)(frames.busy + frames.lost), (unsigned long long)polls.lost);
    return 0;
}

static int consume(const tp_example_settings_t *s, tp_consumer_t *consumer, uint64_t end_ns)
{
    counts_t polls = {0, 0, 0};
    uint64_t received = 0, bad = 0;
    while (tp_example_now_ns() < end_ns)
    {
        if (!count(&polls, "tp_consumer_poll", tp_consumer_poll(consumer, 16)))
        {
            return 1;
        }
        tp_frame_view_t view;
        tp_err_t err = tp_consumer_try_read_frame(consumer, &view);
        if (err != TP_OK)
        {
            if (err != TP_ERR_TIMEOUT && err != TP_ERR_PROTOCOL && !count(&polls, "tp_consumer_try_read_frame", err))
            {
                return 1;
            }
            tp_example_sleep_us(100);
            continue;
        }
        bool intact = tp_example_check_frame(&view, s->payload_bytes);
        if (!tp_consumer_frame_is_valid(consumer, &view))
        {
            continue; /* overwritten while read: not a bad frame */
        }
        uint64_t lease = 0;
        tp_consumer_get_lease_id(consumer, &lease);
        if (intact)
        {
            received++;
            printf("frame %llu %llu\n", (unsigned long long)(view.seq_commit >> 1), (unsigned long long)lease);
        }
        else
        {
            bad++;
            printf("bad %llu\n", (unsigned long long)(view.seq_commit >> 1));
        }
        fflush(stdout);
    }
    printf("stat received %llu\nstat bad %llu\nstat lost_polls %llu\n", (unsigned long long)received,
        (unsigned long long)bad, (unsigned long long)polls.lost);
    return bad == 0 ? 0 : 1;
}

int main(void)
{
    tp_example_settings_t s;
    uint64_t run_ms = 0;
    const char *role = tp_example_env("TP_FAULT_ROLE");
    if (!tp_example_settings_load(&s) || !tp_example_env_u64("TP_RUN_MS", 10000, UINT32_MAX, &run_ms) || role == NULL)
    {
        fprintf(stderr, "TP_FAULT_ROLE (producer or consumer) and valid TP_* settings are required\n");
        return 2;
    }
    const bool producing = strcmp(role, "producer") == 0;
    const char *reconnect_env = tp_example_env("TP_RECONNECT");
    reconnect = reconnect_env != NULL && strcmp(reconnect_env, "1") == 0;
    tp_context_t *ctx = NULL;
    tp_producer_t *producer = NULL;
    tp_consumer_t *consumer = NULL;
    int rc = 1;
    tp_err_t err = TP_OK;
    if ((err = tp_context_init(&ctx)) != TP_OK)
    {
        tp_example_fail("tp_context_init", err);
    }
    else if (!tp_example_configure(ctx, &s))
    {
    }
    else if ((err = tp_context_set_lease_keepalive_interval_ns(ctx, 100000000ull)) != TP_OK ||
        (err = tp_context_set_attach_timeout_ns(ctx, s.timeout_ns)) != TP_OK ||
        (err = tp_context_set_error_handler(ctx, on_error, NULL)) != TP_OK)
    {
        tp_example_fail("tp_context_set_*", err);
    }
    else if ((err = tp_client_connect(ctx, &client)) != TP_OK)
    {
        tp_example_fail("tp_client_connect", err);
    }
    else if (producing && (err = tp_attach_producer(client, s.stream_id, &producer)) != TP_OK)
    {
        tp_example_fail("tp_attach_producer", err);
    }
    else if (!producing && (err = tp_attach_consumer(client, s.stream_id, &consumer)) != TP_OK)
    {
        tp_example_fail("tp_attach_consumer", err);
    }
    else
    {
        printf("ready\n");
        fflush(stdout);
        const uint64_t end_ns = tp_example_now_ns() + run_ms * 1000000ull;
        rc = producing ? produce(&s, producer, end_ns) : consume(&s, consumer, end_ns);
    }
    fflush(stdout);
    tp_producer_close(producer);
    tp_consumer_close(consumer);
    tp_client_close(client);
    tp_context_close(ctx);
    if (terminal)
    {
        printf("closed\n");
        return 3;
    }
    return rc;
}

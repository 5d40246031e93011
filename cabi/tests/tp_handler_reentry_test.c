/*
 * Calls made from inside frame handlers, against a media driver and a producer (run by
 * cabi/interop, which feeds the stream; settings as in tp_example_common.h):
 *   - a handler's calls that need its own consumer's lock (poll, poll_frames, try_read_frame,
 *     send_qos, get_stats, get_progress, reattach) fail with TP_ERR_BUSY instead of
 *     deadlocking, and frame_is_valid, get_lease_id, get_stream_id, get_consumer_id and
 *     is_connected still answer; outside handlers the refused calls work;
 *   - a handler may poll another consumer, and that consumer's handler is refused the outer
 *     consumer too;
 *   - another thread's call on the consumer waits for the handler instead of failing;
 *   - tp_consumer_close from inside a handler, even a nested one, closes the consumer once
 *     its poll returns, and the handle is closed (TP_ERR_ARG) from then on;
 *   - tp_client_close from inside a handler closes another client at once, and the
 *     handler's own client (closed from a nested handler) once the outermost poll of its
 *     consumers returns, its handle at once.
 * A deadlock hangs the program, which the interop test's timeout reports.
 * Exit 0 when every check held.
 */
#include "../examples/tp_example_common.h" /* first: it selects POSIX */

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "tp_expect.h"

/* call must be refused as made from inside the consumer's frame handler. */
#define EXPECT_REFUSED(call)                                                                          \
    do                                                                                                \
    {                                                                                                 \
        EXPECT_CODE(TP_ERR_BUSY, call);                                                               \
        if (strstr(tp_errmsg(), "frame handler") == NULL)                                             \
        {                                                                                             \
            fprintf(stderr, "%s:%d: %s: message \"%s\" is not the handler refusal\n", __FILE__, __LINE__, \
                #call, tp_errmsg());                                                                  \
            failures++;                                                                               \
        }                                                                                             \
    }                                                                                                 \
    while (0)

typedef struct state_stct
{
    tp_client_t *client;
    tp_client_t *other; /* a second client, with consumer c */
    tp_consumer_t *a;
    tp_consumer_t *b;
    tp_consumer_t *c;
    uint32_t stream;
    uint64_t a_lease, b_lease; /* as read outside handlers */
    uint32_t a_id, b_id;
    uint32_t a_frames, b_frames;
    uint32_t a_valid, b_valid;
    bool a_closed;
    bool other_closed, client_closed;
    pthread_t waiter;
    bool waiter_started;
    atomic_int waiter_done;
    tp_err_t waiter_result;
}
state_t;

static void ignore_frame(void *clientd, const tp_frame_view_t *frame)
{
    (void)clientd;
    (void)frame;
}

/* Every call a handler of a must not make on a (whose lock its poll holds). */
static void expect_refused(tp_consumer_t *a)
{
    tp_frame_view_t view;
    tp_consumer_stats_t stats;
    uint64_t frame_id = 0, filled = 0;
    uint8_t progress_state = 0;
    bool available = false;
    EXPECT_REFUSED(tp_consumer_poll_frames(a, ignore_frame, NULL, 1));
    EXPECT_REFUSED(tp_consumer_poll(a, 1));
    EXPECT_REFUSED(tp_consumer_try_read_frame(a, &view));
    EXPECT_REFUSED(tp_consumer_get_progress(a, &frame_id, &filled, &progress_state, &available));
    EXPECT_REFUSED(tp_consumer_get_stats(a, &stats));
    EXPECT_REFUSED(tp_consumer_send_qos(a, TP_CONSUMER_MODE_STREAM, 0, 0, 0));
    tp_consumer_t *same = a;
    EXPECT_REFUSED(tp_consumer_reattach(&same));
    EXPECT(same == a);
}

/* What a handler of a may still ask of a: the same answers as outside. */
static void expect_answered(const state_t *st, tp_consumer_t *a, uint64_t lease, uint32_t id)
{
    uint64_t got_lease = 0;
    uint32_t got_stream = 0, got_id = 0;
    EXPECT_OK(tp_consumer_get_lease_id(a, &got_lease));
    EXPECT(got_lease == lease);
    EXPECT_OK(tp_consumer_get_stream_id(a, &got_stream));
    EXPECT(got_stream == st->stream);
    EXPECT_OK(tp_consumer_get_consumer_id(a, &got_id));
    EXPECT(got_id == id);
    EXPECT(tp_consumer_is_connected(a)); /* it is receiving a frame */
}

/* The calls refused inside handlers work outside them. */
static void expect_outside(tp_consumer_t *a, uint64_t lease, uint32_t id, uint64_t deadline)
{
    tp_consumer_stats_t stats;
    uint64_t frame_id = 0, filled = 0;
    uint8_t progress_state = 0;
    bool available = false;
    EXPECT_OK(tp_consumer_poll(a, 1));
    EXPECT_OK(tp_consumer_get_stats(a, &stats));
    EXPECT(stats.frames >= 1);
    EXPECT_OK(tp_consumer_get_progress(a, &frame_id, &filled, &progress_state, &available));
    /* TP_ERR_BUSY only until the QoS monitor's subscription is connected. */
    tp_err_t err = TP_ERR_BUSY;
    while ((err = tp_consumer_send_qos(a, TP_CONSUMER_MODE_STREAM, 1, 0, 0)) == TP_ERR_BUSY &&
        tp_example_now_ns() < deadline)
    {
        tp_example_sleep_us(1000);
    }
    EXPECT_OK(err);
    uint32_t got_id = 0;
    uint64_t got_lease = 0;
    EXPECT_OK(tp_consumer_get_lease_id(a, &got_lease));
    EXPECT(got_lease == lease && lease != 0);
    EXPECT_OK(tp_consumer_get_consumer_id(a, &got_id));
    EXPECT(got_id == id);
}

static void on_b(void *clientd, const tp_frame_view_t *frame)
{
    state_t *st = (state_t *)clientd;
    st->b_frames++;
    expect_refused(st->a);
    expect_refused(st->b);
    expect_answered(st, st->a, st->a_lease, st->a_id);
    expect_answered(st, st->b, st->b_lease, st->b_id);
    st->b_valid += tp_consumer_frame_is_valid(st->b, frame) ? 1u : 0u;
}

static void on_a(void *clientd, const tp_frame_view_t *frame)
{
    state_t *st = (state_t *)clientd;
    st->a_frames++;
    expect_refused(st->a);
    expect_answered(st, st->a, st->a_lease, st->a_id);
    st->a_valid += tp_consumer_frame_is_valid(st->a, frame) ? 1u : 0u;
    tp_frame_view_t other = *frame;
    other.seq_commit += 2; /* the next sequence number: not the frame being handled */
    EXPECT(!tp_consumer_frame_is_valid(st->a, &other));
    /* One fragment, or more when an epoch's end reads out its waiting descriptors. */
    int n = tp_consumer_poll_frames(st->b, on_b, st, 1);
    EXPECT(n >= 0);
    /* Back in a's handler after b's: a is still refused, b is not. */
    expect_refused(st->a);
    EXPECT_OK(tp_consumer_poll(st->b, 1));
}

static void *poll_a(void *arg)
{
    state_t *st = (state_t *)arg;
    st->waiter_result = tp_consumer_poll(st->a, 1);
    atomic_store(&st->waiter_done, 1);
    return NULL;
}

/* Starts a thread polling a, which must wait for this handler rather than fail. */
static void on_a_wait(void *clientd, const tp_frame_view_t *frame)
{
    state_t *st = (state_t *)clientd;
    (void)frame;
    st->a_frames++;
    if (st->waiter_started)
    {
        return;
    }
    EXPECT(pthread_create(&st->waiter, NULL, poll_a, st) == 0);
    st->waiter_started = true;
    tp_example_sleep_us(100000);
    EXPECT(atomic_load(&st->waiter_done) == 0);
}

static void on_b_close_a(void *clientd, const tp_frame_view_t *frame)
{
    state_t *st = (state_t *)clientd;
    tp_consumer_close(st->a); /* a's poll, further out on this thread, closes it on return */
    tp_consumer_close(st->a);
    st->a_closed = true;
    EXPECT_CODE(TP_ERR_ARG, tp_consumer_poll_frames(st->a, ignore_frame, NULL, 1));
    EXPECT_CODE(TP_ERR_ARG, tp_consumer_poll(st->a, 1));
    EXPECT(!tp_consumer_frame_is_valid(st->a, frame));
}

static void on_a_close_nested(void *clientd, const tp_frame_view_t *frame)
{
    state_t *st = (state_t *)clientd;
    (void)frame;
    if (!st->a_closed)
    {
        EXPECT(tp_consumer_poll_frames(st->b, on_b_close_a, st, 1) >= 0);
    }
    if (st->a_closed)
    {
        tp_consumer_close(st->a);
        EXPECT_CODE(TP_ERR_ARG, tp_consumer_poll(st->a, 1));
    }
}

/* Inside a's handler, inside b's: closing the client of both waits for a's poll. */
static void on_b_close_client(void *clientd, const tp_frame_view_t *frame)
{
    state_t *st = (state_t *)clientd;
    uint32_t id = 0;
    st->b_frames++;
    st->b_valid += tp_consumer_frame_is_valid(st->b, frame) ? 1u : 0u;
    tp_client_close(st->client);
    st->client_closed = true;
    EXPECT_CODE(TP_ERR_ARG, tp_client_get_client_id(st->client, &id));
    tp_client_close(st->client); /* closed already: ignored */
    expect_refused(st->a);
    expect_refused(st->b);
    expect_answered(st, st->b, st->b_lease, st->b_id);
}

static void on_a_close_clients(void *clientd, const tp_frame_view_t *frame)
{
    state_t *st = (state_t *)clientd;
    uint32_t id = 0;
    st->a_frames++;
    st->a_valid += tp_consumer_frame_is_valid(st->a, frame) ? 1u : 0u;
    if (!st->other_closed)
    {
        /* No handler of other's consumers runs on this thread: it closes at once. */
        tp_client_close(st->other);
        st->other_closed = true;
        EXPECT_CODE(TP_ERR_ARG, tp_client_get_client_id(st->other, &id));
        EXPECT_CODE(TP_ERR_PROTOCOL, tp_consumer_poll(st->c, 1));
    }
    if (st->client_closed)
    {
        return;
    }
    EXPECT(tp_consumer_poll_frames(st->b, on_b_close_client, st, 1) >= 0);
    if (st->client_closed)
    {
        /* b's poll returned without closing the client (a's is still running): b is open. */
        expect_refused(st->a);
        EXPECT_OK(tp_consumer_poll(st->b, 1));
    }
}

/* Polls c until it hands over a frame: a consumer left unpolled while the producer ran
 * on has a backlog of descriptors whose slots were overwritten (dropped as late). The
 * nested phases poll b once per frame of a, so b must start level with a. */
static bool catch_up(tp_consumer_t *c, uint64_t deadline, const char *what)
{
    while (tp_example_now_ns() <= deadline)
    {
        int n = tp_consumer_poll_frames(c, ignore_frame, NULL, 256);
        if (n > 0)
        {
            return true;
        }
        if (n < 0)
        {
            tp_example_fail(what, (tp_err_t)n);
            failures++;
            return false;
        }
    }
    fprintf(stderr, "%s: catching up timed out\n", what);
    failures++;
    return false;
}

/* Polls a with handler until done(st) or the deadline; false (with a message) on failure. */
static bool poll_until(state_t *st, tp_frame_handler_t handler, bool (*done)(const state_t *), uint64_t deadline,
    const char *what)
{
    while (!done(st))
    {
        if (tp_example_now_ns() > deadline)
        {
            fprintf(stderr, "%s: timed out (a %u frames, %u valid; b %u frames, %u valid)\n", what, st->a_frames,
                st->a_valid, st->b_frames, st->b_valid);
            failures++;
            return false;
        }
        int n = tp_consumer_poll_frames(st->a, handler, st, 1);
        if (n < 0)
        {
            tp_example_fail(what, (tp_err_t)n);
            failures++;
            return false;
        }
        if (n == 0)
        {
            tp_example_sleep_us(100);
        }
    }
    return true;
}

static bool nested_done(const state_t *st)
{
    return st->a_valid >= 3 && st->b_valid >= 3;
}

static bool waiter_started(const state_t *st)
{
    return st->waiter_started;
}

static bool a_closed(const state_t *st)
{
    return st->a_closed;
}

static bool client_closed(const state_t *st)
{
    return st->client_closed;
}

/* Reads the consumer's lease and id outside handlers. */
static void identify(tp_consumer_t *consumer, uint64_t *lease, uint32_t *id)
{
    EXPECT_OK(tp_consumer_get_lease_id(consumer, lease));
    EXPECT(*lease != 0);
    EXPECT_OK(tp_consumer_get_consumer_id(consumer, id));
}

static void run(state_t *st, uint64_t deadline)
{
    identify(st->a, &st->a_lease, &st->a_id);
    identify(st->b, &st->b_lease, &st->b_id);
    if (!poll_until(st, on_a, nested_done, deadline, "calls from handlers"))
    {
        return;
    }
    expect_outside(st->a, st->a_lease, st->a_id, deadline);
    expect_outside(st->b, st->b_lease, st->b_id, deadline);

    if (!poll_until(st, on_a_wait, waiter_started, deadline, "another thread waits"))
    {
        return;
    }
    EXPECT(pthread_join(st->waiter, NULL) == 0);
    EXPECT(atomic_load(&st->waiter_done) == 1);
    EXPECT(st->waiter_result == TP_OK);

    if (!catch_up(st->a, deadline, "close from a nested handler") || !catch_up(st->b, deadline, "close from a nested handler") ||
        !poll_until(st, on_a_close_nested, a_closed, deadline, "close from a nested handler"))
    {
        return;
    }
    EXPECT_CODE(TP_ERR_ARG, tp_consumer_poll(st->a, 1));
    EXPECT_CODE(TP_ERR_ARG, tp_consumer_poll_frames(st->a, ignore_frame, NULL, 1));
    tp_consumer_close(st->a);
    EXPECT_OK(tp_consumer_poll(st->b, 1));

    /* A fresh a for the client closes, the last phase: they close a and b. */
    tp_err_t err = tp_attach_consumer(st->client, st->stream, &st->a);
    if (err != TP_OK)
    {
        failures += !tp_example_fail("tp_attach_consumer", err);
        return;
    }
    identify(st->a, &st->a_lease, &st->a_id);
    st->a_closed = false;
    if (!catch_up(st->b, deadline, "client close from a nested handler") ||
        !catch_up(st->a, deadline, "client close from a nested handler") ||
        !poll_until(st, on_a_close_clients, client_closed, deadline, "client close from a nested handler"))
    {
        return;
    }
    /* a's poll has returned and closed the client, with a and b. */
    uint32_t id = 0;
    EXPECT_CODE(TP_ERR_ARG, tp_client_get_client_id(st->client, &id));
    EXPECT_CODE(TP_ERR_PROTOCOL, tp_consumer_poll(st->a, 1));
    EXPECT_CODE(TP_ERR_PROTOCOL, tp_consumer_poll(st->b, 1));
    EXPECT(st->other_closed);
}

int main(void)
{
    tp_example_settings_t s;
    if (!tp_example_settings_load(&s))
    {
        return 2;
    }
    tp_context_t *ctx = NULL;
    tp_qos_monitor_t *monitor = NULL;
    state_t st;
    memset(&st, 0, sizeof(st));
    atomic_init(&st.waiter_done, 0);
    st.stream = s.stream_id;
    /* QoS on a stream of this run's own, with a monitor subscribed, so that
     * tp_consumer_send_qos outside handlers has somewhere to send. */
    int32_t qos_stream = (int32_t)((s.control_stream_id >= 0 ? s.control_stream_id : 1000) + 100000);
    uint32_t first_id = 0, second_id = 0;
    tp_err_t err = TP_OK;
    if ((err = tp_context_init(&ctx)) != TP_OK)
    {
        tp_example_fail("tp_context_init", err);
        return 1;
    }
    if (!tp_example_configure(ctx, &s))
    {
        failures++;
    }
    else if ((err = tp_context_set_qos_channel(ctx, "aeron:ipc")) != TP_OK ||
        (err = tp_context_set_qos_stream_id(ctx, qos_stream)) != TP_OK)
    {
        failures += !tp_example_fail("tp_context_set_qos_*", err);
    }
    else if ((err = tp_client_connect(ctx, &st.client)) != TP_OK)
    {
        failures += !tp_example_fail("tp_client_connect", err);
    }
    else if ((err = tp_qos_monitor_init(st.client, "aeron:ipc", qos_stream, &monitor)) != TP_OK)
    {
        failures += !tp_example_fail("tp_qos_monitor_init", err);
    }
    /* With the default client ids, the second client's consumers take ids clear of the
     * first's: the driver would refuse a second lease of one id. */
    else if ((err = tp_client_connect(ctx, &st.other)) != TP_OK)
    {
        failures += !tp_example_fail("second tp_client_connect", err);
    }
    else if ((err = tp_client_get_client_id(st.client, &first_id)) != TP_OK ||
        (err = tp_client_get_client_id(st.other, &second_id)) != TP_OK || first_id == second_id)
    {
        fprintf(stderr, "FAIL: two clients of one process have client ids %u and %u (%d)\n",
            (unsigned)first_id, (unsigned)second_id, (int)err);
        failures++;
    }
    else if ((err = tp_attach_consumer(st.client, s.stream_id, &st.a)) != TP_OK ||
        (err = tp_attach_consumer(st.client, s.stream_id, &st.b)) != TP_OK ||
        (err = tp_attach_consumer(st.other, s.stream_id, &st.c)) != TP_OK)
    {
        failures += !tp_example_fail("tp_attach_consumer", err);
    }
    else
    {
        run(&st, tp_example_now_ns() + s.timeout_ns);
    }
    /* Whatever run closed already is ignored here. */
    tp_consumer_close(st.c);
    tp_consumer_close(st.b);
    tp_consumer_close(st.a);
    tp_qos_monitor_close(monitor);
    tp_client_close(st.other);
    tp_client_close(st.client);
    tp_context_close(ctx);
    printf("a: %u frames, %u valid; b: %u frames, %u valid; %d failure(s)\n", st.a_frames, st.a_valid, st.b_frames,
        st.b_valid, failures);
    return failures == 0 ? 0 : 1;
}

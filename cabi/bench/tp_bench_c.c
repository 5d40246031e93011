/*
 * tp_bench_c: the C side of tp-cabi-bench (cmd/tp-cabi-bench), which runs it as a child
 * process against its SHM driver and compares it with the same steps done in Go.
 *
 * One process, one client, a producer and a consumer of one stream, each on its own
 * thread, busy-spinning. The producer copies the payload from a source buffer into its
 * claimed slot, stamps the frame's seq in the first 8 bytes (little-endian), and commits
 * it. The consumer polls (fragment limit 256), reads each frame's stamp, re-checks the
 * frame and counts it. Through one of three sets of calls (TP_BENCH_API):
 *   batch     one call into the library per frame: the producer commits and claims the
 *             next frame at once (tp_producer_commit_and_claim_next), the consumer takes
 *             up to 256 frames a call (tp_consumer_poll_batch) and re-checks each in C
 *             (tp_polled_frame_is_valid);
 *   callback  two: the producer claims (tp_producer_try_claim_slot_by_size) and commits
 *             (tp_producer_commit_slot), the consumer's handler (tp_consumer_poll_frames)
 *             is called back for each frame and asks tp_consumer_frame_is_valid;
 *   offer     one call per batch of frames: the producer stamps the seq each frame will
 *             take into buffers of its own (filled from the source once; OFFER_BATCH of
 *             them, fewer where they would pass OFFER_STAGE_BYTES, so that large frames
 *             are copied from a buffer as cache-warm as the other APIs' single source)
 *             and offers them all at once (tp_producer_offer_frames, which copies each
 *             into its slot); the consumer polls as with batch.
 * After the round the consumer thread times TP_BENCH_CROSSING_CALLS calls of
 * tp_consumer_get_stream_id, the cheapest call into the library's Go side with a handle
 * to look up: the cost of one crossing as the data path pays it. That and the two threads'
 * CPU time per frame over the window are read from CLOCK_THREAD_CPUTIME_ID, which a thread
 * waiting for a core does not advance: on a shared machine they hold where frames/s
 * measures the scheduler. Last, each side runs alone on one thread (solo): bursts of frames
 * published, then taken, each phase timed the same way. A producer never waits for consumers,
 * so to measure frames delivered rather than overwritten this one waits while it is more
 * than slots - 1 frames ahead of what the consumer has seen (a C11 atomic the consumer
 * stores after each poll, sequentially consistent as Go's sync/atomic store is, so both
 * sides pay the same for it).
 *
 * The window opens a warm-up after both threads start; the consumer counts the frames it
 * took between its first and last CLOCK_MONOTONIC reads inside the window.
 *
 * Settings (environment): where the driver is and the stream, as for the examples
 * (tp_example_common.h: TP_AERON_DIR, TP_CONTROL_*, TP_DESCRIPTOR_*, TP_STREAM_ID,
 * TP_TIMEOUT_MS for attaching and connecting, TP_SHM_BASE_DIRS), and
 *   TP_BENCH_PAYLOAD_BYTES    payload of every frame, at least 8 (default 65536)
 *   TP_BENCH_SLOTS            slots of the stream's header ring (required)
 *   TP_BENCH_WARMUP_MS        unmeasured run before the window (default 500)
 *   TP_BENCH_WINDOW_MS        measured window (default 2000)
 *   TP_BENCH_API              batch (default), callback or offer
 *   TP_BENCH_CROSSING_CALLS   calls timed for the crossing cost (default 1000000)
 *
 * Output: one JSON line on stdout (the fields of cmd/tp-cabi-bench's roundResult).
 * Exit codes: 0 measured (bad frames and drops are in the result), 1 an API call
 * failed, 2 a setting could not be parsed.
 */
#include "../examples/tp_example_common.h" /* first: it selects POSIX */

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <unistd.h>

#define FRAGMENT_LIMIT 256
#define BATCH_CAPACITY 256
#define OFFER_BATCH 32u
#define OFFER_STAGE_BYTES (256u << 10)
#define CACHE_LINE 64

typedef struct settings_stct
{
    tp_example_settings_t conn; /* driver, stream and timeout, as the examples read them */
    uint64_t payload_bytes;
    uint64_t slots;
    uint64_t warmup_ms;
    uint64_t window_ms;
    bool batch; /* the consumer polls batches: TP_BENCH_API=batch or offer */
    bool offer; /* TP_BENCH_API=offer */
    uint64_t crossing_calls;
}
settings_t;

/* The consumer's handler state, touched by the consumer thread only. */
typedef struct consumer_state_stct
{
    const tp_consumer_t *consumer;
    uint32_t payload_bytes;
    uint64_t seen;   /* frames handed to the handler */
    uint64_t frames; /* of those, intact (tp_consumer_frame_is_valid after reading) */
    uint64_t bad;    /* intact frames whose length or seq stamp was wrong */
    uint64_t torn;   /* frames overwritten while being read */
}
consumer_state_t;

/* Threads share this; what one thread writes in the hot loop has a cache line to itself. */
typedef struct bench_stct
{
    alignas(CACHE_LINE) atomic_uint_least64_t consumed; /* consumer_state_t.seen, after each poll */
    alignas(CACHE_LINE) atomic_bool stop;
    atomic_int window; /* 0 before the window, 1 in it, 2 after: set by the consumer */
    alignas(CACHE_LINE) consumer_state_t cs;
    uint64_t window_frames;
    uint64_t window_ns;
    uint64_t consumer_cpu_ns; /* the consumer thread's CPU time in the window */
    alignas(CACHE_LINE) uint64_t published;
    uint64_t start_dropped; /* the producer's dropped count when its first frame went through */
    uint64_t busy;  /* claims and commits answered TP_ERR_BUSY */
    uint64_t waits; /* frames the producer waited for the consumer before claiming */
    uint64_t producer_cpu_ns;    /* the producer thread's CPU time in the window */
    uint64_t producer_published; /* frames it published in the window */

    tp_producer_t *producer;
    tp_consumer_t *consumer;
    const uint8_t *src;
    uint32_t payload_bytes;
    uint32_t meta_version;
    uint64_t slots;
    uint64_t clock_every;
    uint64_t start_ns;
    uint64_t end_ns;
    bool batch;
    bool offer;
    uint8_t *stage;             /* offer: offer_batch payloads, each a copy of src */
    tp_frame_offer_t *offers;   /* offer: the frames of stage */
    uint32_t offer_batch;       /* offer: frames a call, at most */
    uint64_t next_seq;          /* offer: the seq the next frame published takes */
    uint64_t crossing_calls;
    double crossing_ns; /* one tp_consumer_get_stream_id, timed after the round */
    double loop_crossing_ns; /* one more call into Go a frame, in the solo producer's loop */
    double solo_producer_ns; /* CPU time a frame of each side alone (solo) */
    double solo_consumer_ns;
    tp_tensor_header_t tensor;
    char producer_error[256];
    char consumer_error[256];
}
bench_t;

/* A TP_BENCH_* setting from min to max; false (with a message) if malformed. */
static bool bench_env(const char *name, uint64_t fallback, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!tp_example_env_u64(name, fallback, max, out))
    {
        return false;
    }
    if (*out < min)
    {
        fprintf(stderr, "%s=%llu: expected at least %llu\n", name, (unsigned long long)*out, (unsigned long long)min);
        return false;
    }
    return true;
}

static bool load_settings(settings_t *s)
{
    memset(s, 0, sizeof(*s));
    if (tp_example_env("TP_BENCH_SLOTS") == NULL)
    {
        fprintf(stderr, "TP_BENCH_SLOTS is required: the slots of the stream's header ring\n");
        return false;
    }
    const char *api = tp_example_env("TP_BENCH_API");
    s->offer = api != NULL && strcmp(api, "offer") == 0;
    s->batch = api == NULL || strcmp(api, "batch") == 0 || s->offer;
    if (!s->batch && strcmp(api, "callback") != 0)
    {
        fprintf(stderr, "TP_BENCH_API=%s: expected batch, callback or offer\n", api);
        return false;
    }
    return tp_example_settings_load(&s->conn) &&
        bench_env("TP_BENCH_PAYLOAD_BYTES", 65536, 8, UINT32_MAX, &s->payload_bytes) &&
        bench_env("TP_BENCH_SLOTS", 0, 2, UINT32_MAX, &s->slots) &&
        bench_env("TP_BENCH_WARMUP_MS", 500, 0, 3600000, &s->warmup_ms) &&
        bench_env("TP_BENCH_WINDOW_MS", 2000, 1, 3600000, &s->window_ms) &&
        bench_env("TP_BENCH_CROSSING_CALLS", 1000000, 1, UINT32_MAX, &s->crossing_calls);
}

/* Records the calling thread's failure (tp_errmsg is per thread) for main to print. */
static void thread_fail(char *buf, size_t len, const char *what, tp_err_t err)
{
    snprintf(buf, len, "%s: %s (%s)", what, tp_err_str(err), tp_errmsg());
}

static void store_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
    {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
    {
        v = (v << 8) | p[i];
    }
    return v;
}

static void on_frame(void *clientd, const tp_frame_view_t *view)
{
    consumer_state_t *st = (consumer_state_t *)clientd;
    st->seen++;
    bool ok = view->payload != NULL && view->payload_len >= 8 && view->values_len_bytes == st->payload_bytes &&
        load_le64(view->payload) == view->seq_commit >> 1;
    if (!tp_consumer_frame_is_valid(st->consumer, view))
    {
        st->torn++;
        return;
    }
    st->frames++;
    st->bad += ok ? 0u : 1u;
}

/* One poll of the batch API: what on_frame does, for each frame of the batch. */
static int poll_batch(bench_t *b, tp_polled_frame_t *batch)
{
    consumer_state_t *st = &b->cs;
    int n = tp_consumer_poll_batch(b->consumer, batch, BATCH_CAPACITY, FRAGMENT_LIMIT);
    for (int i = 0; i < n; i++)
    {
        const tp_frame_view_t *view = &batch[i].view;
        st->seen++;
        bool ok = view->payload != NULL && view->payload_len >= 8 && view->values_len_bytes == st->payload_bytes &&
            load_le64(view->payload) == view->seq_commit >> 1;
        if (!tp_polled_frame_is_valid(&batch[i]))
        {
            st->torn++;
            continue;
        }
        st->frames++;
        st->bad += ok ? 0u : 1u;
    }
    return n;
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The mean CPU time of one call into the library's Go side, in ns. */
static double time_crossing(const bench_t *b)
{
    uint32_t stream = 0;
    const uint64_t start = thread_cpu_ns();
    for (uint64_t i = 0; i < b->crossing_calls; i++)
    {
        tp_consumer_get_stream_id(b->consumer, &stream);
    }
    return (double)(thread_cpu_ns() - start) / (double)b->crossing_calls;
}

static void *consume(void *arg)
{
    bench_t *b = (bench_t *)arg;
    consumer_state_t *st = &b->cs;
    uint64_t countdown = b->clock_every;
    uint64_t first_ns = 0;
    uint64_t first_frames = 0;
    uint64_t first_cpu = 0;
    bool started = false;
    tp_polled_frame_t *batch = calloc(BATCH_CAPACITY, sizeof(tp_polled_frame_t));
    if (batch == NULL)
    {
        snprintf(b->consumer_error, sizeof(b->consumer_error), "no memory for the batch");
        atomic_store(&b->stop, true);
        return NULL;
    }
    for (;;)
    {
        int n = b->batch ? poll_batch(b, batch) : tp_consumer_poll_frames(b->consumer, on_frame, st, FRAGMENT_LIMIT);
        if (n < 0)
        {
            thread_fail(b->consumer_error, sizeof(b->consumer_error),
                b->batch ? "tp_consumer_poll_batch" : "tp_consumer_poll_frames", (tp_err_t)n);
            break;
        }
        if (n > 0)
        {
            atomic_store(&b->consumed, st->seen);
        }
        if (--countdown > 0)
        {
            continue;
        }
        countdown = b->clock_every;
        uint64_t now = tp_example_now_ns();
        if (!started && now >= b->start_ns)
        {
            started = true;
            first_ns = now;
            first_frames = st->frames;
            first_cpu = thread_cpu_ns();
            atomic_store(&b->window, 1);
        }
        if (now >= b->end_ns)
        {
            b->window_frames = st->frames - first_frames;
            b->window_ns = now - first_ns;
            b->consumer_cpu_ns = thread_cpu_ns() - first_cpu;
            atomic_store(&b->window, 2);
            break;
        }
        if (atomic_load(&b->stop))
        {
            break; /* the producer failed */
        }
    }
    atomic_store(&b->stop, true);
    free(batch);
    b->crossing_ns = time_crossing(b);
    return NULL;
}

/* Publishes one frame through the API in use: 1 published, 0 dropped or refused as busy
 * (counted in *busy; to be retried), -1 failed (the message in b->producer_error). With the
 * batch API *claim stays open between calls (*open). */
static int publish_one(bench_t *b, tp_slot_claim_t *claim, bool *open, uint64_t *busy)
{
    tp_err_t err = TP_OK;
    if (!b->batch || !*open)
    {
        err = tp_producer_try_claim_slot_by_size(b->producer, b->payload_bytes, claim);
        if (err == TP_ERR_BUSY)
        {
            (*busy)++;
            return 0;
        }
        if (err != TP_OK)
        {
            thread_fail(b->producer_error, sizeof(b->producer_error), "tp_producer_try_claim_slot_by_size", err);
            return -1;
        }
        *open = true;
    }
    memcpy(claim->ptr, b->src, b->payload_bytes);
    store_le64(claim->ptr, claim->seq);
    tp_err_t next = TP_ERR_BUSY;
    if (b->batch)
    {
        err = tp_producer_commit_and_claim_next(
            b->producer, claim, b->payload_bytes, &b->tensor, b->meta_version, b->payload_bytes, &next);
        if (next != TP_OK && next != TP_ERR_BUSY)
        {
            thread_fail(b->producer_error, sizeof(b->producer_error), "tp_producer_commit_and_claim_next (claim)", next);
            return -1;
        }
    }
    else
    {
        err = tp_producer_commit_slot(b->producer, claim, b->payload_bytes, &b->tensor, b->meta_version);
    }
    *open = next == TP_OK;
    if (err == TP_ERR_BUSY)
    {
        (*busy)++; /* dropped (no subscriber, back-pressure): counted in the producer's stats */
        return 0;
    }
    if (err != TP_OK)
    {
        thread_fail(b->producer_error, sizeof(b->producer_error),
            b->batch ? "tp_producer_commit_and_claim_next" : "tp_producer_commit_slot", err);
        return -1;
    }
    return 1;
}

/* Publishes up to max frames (at least 1) through tp_producer_offer_frames, at most
 * b->offer_batch: each stamped with the seq it will take, which a producer's frames take in
 * order from 0 in a new epoch, each frame published taking the next. Returns the number
 * published; a frame dropped or refused as busy ends the batch (counted in *busy; it and
 * those after it are offered again next time); -1 failed. */
static int publish_offers(bench_t *b, uint64_t *busy, uint64_t max)
{
    const uint32_t n = max < b->offer_batch ? (uint32_t)max : b->offer_batch;
    for (uint32_t i = 0; i < n; i++)
    {
        store_le64(b->stage + (size_t)i * b->payload_bytes, b->next_seq + i);
    }
    uint32_t published = 0;
    tp_err_t err = tp_producer_offer_frames(b->producer, b->offers, n, &published);
    b->next_seq += published;
    if (err == TP_ERR_BUSY)
    {
        (*busy)++;
    }
    else if (err != TP_OK)
    {
        thread_fail(b->producer_error, sizeof(b->producer_error), "tp_producer_offer_frames", err);
        return -1;
    }
    return (int)published;
}

/* Publishes through the API in use, at most max frames (at least 1): the number
 * published, or -1 (see publish_one and publish_offers). */
static int publish(bench_t *b, tp_slot_claim_t *claim, bool *open, uint64_t *busy, uint64_t max)
{
    return b->offer ? publish_offers(b, busy, max) : publish_one(b, claim, open, busy);
}

/* Records the producer's dropped count as its first frame went through (see the Go side's
 * roundResult.ProducerDropped: commits refused before it are the stream starting). */
static bool first_published_stats(bench_t *b)
{
    tp_producer_stats_t ps;
    tp_err_t err = tp_producer_get_stats(b->producer, &ps);
    if (err != TP_OK)
    {
        thread_fail(b->producer_error, sizeof(b->producer_error), "tp_producer_get_stats", err);
        return false;
    }
    b->start_dropped = ps.dropped;
    return true;
}

static void *produce(void *arg)
{
    bench_t *b = (bench_t *)arg;
    /* With the batch API the next frame's slot is claimed as the last one is committed,
     * one frame before the wait below would let it be: it counts as one ahead. */
    const uint64_t ahead = b->slots - 1 - (b->batch && !b->offer ? 1u : 0u);
    uint64_t published = 0;
    uint64_t consumed = 0;
    uint64_t busy = 0;
    uint64_t waits = 0;
    bool waiting = false;
    tp_slot_claim_t claim;
    bool open = false;
    int window = 0;
    uint64_t first_cpu = 0;
    uint64_t first_published = 0;
    while (!atomic_load(&b->stop))
    {
        int w = atomic_load_explicit(&b->window, memory_order_relaxed);
        if (w != window)
        {
            window = w;
            if (w == 1)
            {
                first_cpu = thread_cpu_ns();
                first_published = published;
            }
            else
            {
                b->producer_cpu_ns = thread_cpu_ns() - first_cpu;
                b->producer_published = published - first_published;
            }
        }
        if (published - consumed > ahead)
        {
            consumed = atomic_load(&b->consumed);
            if (!waiting && published - consumed > ahead)
            {
                waits++;
                waiting = true;
            }
            continue;
        }
        waiting = false;
        int r = publish(b, &claim, &open, &busy, ahead + 1 - (published - consumed));
        if (r < 0)
        {
            break;
        }
        if (r > 0 && published == 0 && !first_published_stats(b))
        {
            break;
        }
        published += (uint64_t)r;
    }
    if (window == 1) /* the window closed as the loop ended */
    {
        b->producer_cpu_ns = thread_cpu_ns() - first_cpu;
        b->producer_published = published - first_published;
    }
    if (open)
    {
        tp_producer_abort_slot(b->producer, &claim);
    }
    b->published = published;
    b->busy = busy;
    b->waits = waits;
    atomic_store(&b->stop, true);
    return NULL;
}

/* Each side alone on this thread, after the round, SOLO_BURSTS times: publish a burst of
 * frames (at most half the ring, so none is overwritten), then take them. The CPU time per
 * frame of each phase is that side's cost with nothing running beside it to contend for
 * cache lines, and no scheduler in the figure. Every other burst publishes each frame with
 * one more call into the library's Go side (tp_producer_get_stream_id, which does nothing
 * but look its handle up): the difference is what one crossing costs inside the frame loop,
 * with the frame's work between crossings, where time_crossing's tight loop of calls keeps
 * the crossing's code and data hot. The producer's solo figure is the other bursts'. */
#define SOLO_BURSTS 200
#define SOLO_MAX_BURST 256u

static bool solo(bench_t *b)
{
    const uint64_t burst = b->slots / 2 < SOLO_MAX_BURST ? b->slots / 2 : SOLO_MAX_BURST;
    tp_polled_frame_t *batch = calloc(BATCH_CAPACITY, sizeof(tp_polled_frame_t));
    if (batch == NULL)
    {
        fprintf(stderr, "no memory for the batch\n");
        return false;
    }
    consumer_state_t *st = &b->cs;
    tp_slot_claim_t claim;
    bool open = false;
    uint64_t busy = 0;
    uint64_t produce_ns = 0;
    uint64_t consume_ns = 0;
    uint64_t frames = 0;
    uint64_t crossing_produce_ns = 0; /* the bursts with one more crossing a frame */
    uint64_t crossing_frames = 0;
    bool ok = true;
    /* First take what the round left published: the bursts must not lap it. */
    for (int empty = 0; empty < 1000;)
    {
        int n = b->batch ? poll_batch(b, batch) : tp_consumer_poll_frames(b->consumer, on_frame, st, FRAGMENT_LIMIT);
        empty = n > 0 ? 0 : empty + 1;
    }
    for (int i = 0; ok && i < SOLO_BURSTS; i++)
    {
        const bool crossing = i % 2 == 1;
        uint32_t stream = 0;
        const uint64_t t0 = thread_cpu_ns();
        uint64_t done = 0;
        for (uint64_t tries = 0; done < burst && tries < 1000000; tries++)
        {
            int r = publish(b, &claim, &open, &busy, burst - done);
            if (r < 0)
            {
                fprintf(stderr, "solo: %s\n", b->producer_error);
                ok = false;
                break;
            }
            for (int j = 0; crossing && j < r; j++)
            {
                tp_producer_get_stream_id(b->producer, &stream);
            }
            done += (uint64_t)r;
        }
        const uint64_t t1 = thread_cpu_ns();
        const uint64_t before = st->seen;
        for (uint64_t idle = 0; ok && st->seen - before < done;)
        {
            int n = b->batch ? poll_batch(b, batch) : tp_consumer_poll_frames(b->consumer, on_frame, st, FRAGMENT_LIMIT);
            if (n < 0 || ++idle > 10000000)
            {
                fprintf(stderr, "solo: %d of %llu frames taken (%d: %s)\n", (int)(st->seen - before),
                    (unsigned long long)done, n, tp_errmsg());
                ok = false;
            }
            idle = n > 0 ? 0 : idle;
        }
        const uint64_t t2 = thread_cpu_ns();
        if (crossing)
        {
            crossing_produce_ns += t1 - t0;
            crossing_frames += done;
        }
        else
        {
            produce_ns += t1 - t0;
            frames += done;
        }
        consume_ns += t2 - t1;
    }
    if (open)
    {
        tp_producer_abort_slot(b->producer, &claim);
    }
    free(batch);
    b->busy += busy;
    if (frames > 0 && crossing_frames > 0)
    {
        b->solo_producer_ns = (double)produce_ns / (double)frames;
        b->solo_consumer_ns = (double)consume_ns / (double)(frames + crossing_frames);
        b->loop_crossing_ns = (double)crossing_produce_ns / (double)crossing_frames - b->solo_producer_ns;
    }
    return ok;
}

/* The clock is read every this many polls: about every 64 KiB of payload, at least every poll. */
static uint64_t clock_every(uint64_t payload_bytes)
{
    uint64_t n = (64u << 10) / payload_bytes;
    return n > 0 ? n : 1;
}

static bool wait_connected(const bench_t *b, uint64_t timeout_ns)
{
    const uint64_t deadline = tp_example_now_ns() + timeout_ns;
    while (!tp_producer_is_connected(b->producer) || !tp_consumer_is_connected(b->consumer))
    {
        if (tp_example_now_ns() >= deadline)
        {
            fprintf(stderr, "producer and consumer not connected on the descriptor stream within TP_BENCH_TIMEOUT_MS\n");
            return false;
        }
        tp_example_sleep_us(1000);
    }
    return true;
}

static void free_buffers(bench_t *b, uint8_t *src)
{
    free(src);
    free(b->stage);
    free(b->offers);
    b->stage = NULL;
    b->offers = NULL;
}

/* The offer API's frames: page-aligned copies of src (b->payload_bytes each), as many
 * as OFFER_STAGE_BYTES holds, at least 1 and at most OFFER_BATCH. */
static bool stage_offers(bench_t *b, size_t page)
{
    const uint32_t fit = OFFER_STAGE_BYTES / b->payload_bytes;
    b->offer_batch = fit < 1 ? 1 : fit > OFFER_BATCH ? OFFER_BATCH : fit;
    const size_t bytes = ((size_t)b->offer_batch * b->payload_bytes + page - 1) / page * page;
    b->stage = aligned_alloc(page, bytes);
    b->offers = calloc(b->offer_batch, sizeof(tp_frame_offer_t));
    if (b->stage == NULL || b->offers == NULL)
    {
        fprintf(stderr, "no memory for %u staged %u-byte frames\n", b->offer_batch, b->payload_bytes);
        return false;
    }
    for (uint32_t i = 0; i < b->offer_batch; i++)
    {
        uint8_t *payload = b->stage + (size_t)i * b->payload_bytes;
        memcpy(payload, b->src, b->payload_bytes);
        b->offers[i] = (tp_frame_offer_t){
            .payload = payload, .tensor = &b->tensor, .values_len = b->payload_bytes, .meta_version = b->meta_version};
    }
    return true;
}

static bool run(const settings_t *s, bench_t *b)
{
    tp_err_t err = TP_OK;
    if (!wait_connected(b, s->conn.timeout_ns))
    {
        return false;
    }
    if ((err = tp_producer_metadata_version(b->producer, &b->meta_version)) != TP_OK)
    {
        return tp_example_fail("tp_producer_metadata_version", err);
    }
    /* Page-aligned like Go's large allocations: malloc's 16-byte offset from the page-aligned
     * slots slows glibc's memcpy by a quarter or more at 640 KiB on this machine. */
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *src = aligned_alloc(page, (s->payload_bytes + page - 1) / page * page);
    if (src == NULL)
    {
        fprintf(stderr, "no memory for a %llu-byte source buffer\n", (unsigned long long)s->payload_bytes);
        return false;
    }
    for (uint64_t i = 0; i < s->payload_bytes; i++)
    {
        src[i] = (uint8_t)i;
    }
    b->src = src;
    b->payload_bytes = (uint32_t)s->payload_bytes;
    b->slots = s->slots;
    b->clock_every = clock_every(s->payload_bytes);
    b->batch = s->batch;
    b->offer = s->offer;
    if (b->offer && !stage_offers(b, page))
    {
        free_buffers(b, src);
        return false;
    }
    b->crossing_calls = s->crossing_calls;
    b->cs.consumer = b->consumer;
    b->cs.payload_bytes = b->payload_bytes;
    b->tensor.dtype = (uint8_t)shm_tensorpool_control_dtype_UINT8;
    b->tensor.major_order = (uint8_t)shm_tensorpool_control_majorOrder_ROW;
    b->tensor.ndims = 1;
    b->tensor.progress_unit = (uint8_t)shm_tensorpool_control_progressUnit_NONE;
    b->tensor.dims[0] = (int32_t)s->payload_bytes;
    b->start_ns = tp_example_now_ns() + s->warmup_ms * 1000000ull;
    b->end_ns = b->start_ns + s->window_ms * 1000000ull;

    pthread_t consumer_thread;
    pthread_t producer_thread;
    int rc = pthread_create(&consumer_thread, NULL, consume, b);
    if (rc != 0)
    {
        fprintf(stderr, "pthread_create: %s\n", strerror(rc));
        free_buffers(b, src);
        return false;
    }
    if ((rc = pthread_create(&producer_thread, NULL, produce, b)) != 0)
    {
        fprintf(stderr, "pthread_create: %s\n", strerror(rc));
        atomic_store(&b->stop, true);
        pthread_join(consumer_thread, NULL);
        free_buffers(b, src);
        return false;
    }
    pthread_join(producer_thread, NULL);
    pthread_join(consumer_thread, NULL);
    if (b->producer_error[0] != '\0' || b->consumer_error[0] != '\0')
    {
        fprintf(stderr, "%s%s%s\n", b->producer_error, b->producer_error[0] != '\0' ? "; " : "", b->consumer_error);
        free_buffers(b, src);
        return false;
    }
    const bool solo_ok = solo(b); /* it copies from src too */
    free_buffers(b, src);
    b->src = NULL;
    if (!solo_ok)
    {
        return false;
    }
    tp_producer_stats_t ps;
    tp_consumer_stats_t cs;
    if ((err = tp_producer_get_stats(b->producer, &ps)) != TP_OK)
    {
        return tp_example_fail("tp_producer_get_stats", err);
    }
    if ((err = tp_consumer_get_stats(b->consumer, &cs)) != TP_OK)
    {
        return tp_example_fail("tp_consumer_get_stats", err);
    }
    if (ps.lease_losses + cs.lease_losses > 0)
    {
        fprintf(stderr, "a lease was lost during the round\n");
        return false;
    }
    const double seconds = (double)b->window_ns / 1e9;
    const double producer_cpu = b->producer_published > 0 ? (double)b->producer_cpu_ns / (double)b->producer_published : 0;
    const double consumer_cpu = b->window_frames > 0 ? (double)b->consumer_cpu_ns / (double)b->window_frames : 0;
    const double rate = seconds > 0 ? (double)b->window_frames / seconds : 0;
    printf("{\"frames\":%llu,\"seconds\":%.9f,\"frames_per_sec\":%.3f,\"bytes_per_sec\":%.1f,"
           "\"bad\":%llu,\"torn\":%llu,\"drops_gap\":%llu,\"drops_late\":%llu,\"drops_invalid\":%llu,"
           "\"producer_dropped\":%llu,\"published\":%llu,\"busy\":%llu,\"waits\":%llu,\"crossing_ns\":%.2f,"
           "\"producer_cpu_ns\":%.2f,\"consumer_cpu_ns\":%.2f,\"solo_producer_ns\":%.2f,\"solo_consumer_ns\":%.2f,"
           "\"loop_crossing_ns\":%.2f}\n",
        (unsigned long long)b->window_frames, seconds, rate, rate * (double)s->payload_bytes,
        (unsigned long long)b->cs.bad, (unsigned long long)b->cs.torn, (unsigned long long)cs.drops_gap,
        (unsigned long long)cs.drops_late, (unsigned long long)cs.drops_invalid, (unsigned long long)(ps.dropped - b->start_dropped),
        (unsigned long long)b->published, (unsigned long long)b->busy, (unsigned long long)b->waits, b->crossing_ns,
        producer_cpu, consumer_cpu, b->solo_producer_ns, b->solo_consumer_ns, b->loop_crossing_ns);
    fflush(stdout);
    return true;
}

/* Static: its cache-line alignment holds, and it starts zeroed. */
static bench_t bench;

/* Connects and attaches, the producer first: its attach starts the epoch the consumer maps. */
static bool attach(const settings_t *s, tp_context_t **ctx, tp_client_t **client, bench_t *b)
{
    tp_err_t err = TP_OK;
    if ((err = tp_context_init(ctx)) != TP_OK)
    {
        return tp_example_fail("tp_context_init", err);
    }
    if (!tp_example_configure(*ctx, &s->conn))
    {
        return false;
    }
    if ((err = tp_context_set_attach_timeout_ns(*ctx, s->conn.timeout_ns)) != TP_OK)
    {
        return tp_example_fail("tp_context_set_attach_timeout_ns", err);
    }
    if ((err = tp_client_connect(*ctx, client)) != TP_OK)
    {
        return tp_example_fail("tp_client_connect", err);
    }
    if ((err = tp_attach_producer(*client, s->conn.stream_id, &b->producer)) != TP_OK)
    {
        return tp_example_fail("tp_attach_producer", err);
    }
    if ((err = tp_attach_consumer(*client, s->conn.stream_id, &b->consumer)) != TP_OK)
    {
        return tp_example_fail("tp_attach_consumer", err);
    }
    return true;
}

int main(void)
{
    settings_t s;
    if (!load_settings(&s))
    {
        return 2;
    }
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    bool ok = attach(&s, &ctx, &client, &bench) && run(&s, &bench);
    tp_consumer_close(bench.consumer);
    tp_producer_close(bench.producer);
    tp_client_close(client);
    tp_context_close(ctx);
    return ok ? 0 : 1;
}

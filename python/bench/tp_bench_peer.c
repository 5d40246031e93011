/*
 * tp_bench_peer: the C producer, and the C consumer, of bench_consumer.py (the Python
 * consumer against the C consumer, BENCHMARKS.md). Each runs as its own process on one
 * stream of a running tp-driver; the Python consumer takes the C consumer's place.
 *
 * The producer claims a slot (tp_producer_try_claim_slot_by_size), copies the payload
 * from a page-aligned source buffer, stamps the frame's seq in its first 8 bytes
 * (little-endian) and commits (tp_producer_commit_slot), busy-spinning, as tp_bench_c
 * does. It never runs more than slots - 1 frames ahead of what the consumer has seen:
 * the consumer stores that count after each poll in the first word of a shared control
 * file (TP_BENCH_CONTROL, 192 bytes), and sets its second word (offset 64) when its
 * window is over, which stops the producer.
 *
 * The consumer polls as the Python package does, through the same calls: up to 256
 * frames a call into a preallocated array (tp_consumer_poll_batch, fragment limit 256);
 * for each it reads the stamp, re-checks it with tp_polled_frame_is_valid and counts it. It counts the frames
 * it took between its first and last CLOCK_MONOTONIC reads inside the window, which
 * opens TP_BENCH_WARMUP_MS after it attached, and the CPU time its process used between
 * them.
 *
 * Settings (environment): TP_BENCH_ROLE (producer or consumer), TP_BENCH_CONTROL, and as
 * for the examples (tp_example_common.h) TP_AERON_DIR, TP_STREAM_ID, TP_TIMEOUT_MS and
 * TP_PAYLOAD_BYTES (at least 8); TP_BENCH_SLOTS (the stream's header slots, producer),
 * TP_BENCH_WARMUP_MS (default 500) and TP_BENCH_WINDOW_MS (default 2000, consumer).
 *
 * Output: one JSON line on stdout, with the process's CPU time (every thread's) at the end. Exit codes: 0 measured, 1 a call failed, 2 bad settings.
 */
#include "../../cabi/examples/tp_example_common.h" /* first: it selects POSIX */

#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#define FRAGMENT_LIMIT 256
#define CONTROL_BYTES 192

typedef struct control_stct
{
    _Alignas(64) atomic_uint_least64_t consumed; /* frames the consumer has seen */
    _Alignas(64) atomic_uint_least64_t stop;     /* nonzero: the window is over */
}
control_t;

typedef struct consumer_state_stct
{
    uint32_t payload_bytes;
    uint64_t seen;   /* frames handed to the handler */
    uint64_t frames; /* of those, intact after reading */
    uint64_t bad;    /* intact frames whose length or stamp was wrong */
    uint64_t torn;   /* frames overwritten while being read */
}
consumer_state_t;

static control_t *map_control(void)
{
    const char *path = tp_example_env("TP_BENCH_CONTROL");
    if (path == NULL)
    {
        fprintf(stderr, "TP_BENCH_CONTROL is required: the shared control file\n");
        return NULL;
    }
    int fd = open(path, O_RDWR);
    if (fd < 0)
    {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return NULL;
    }
    void *p = mmap(NULL, CONTROL_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
    {
        fprintf(stderr, "mmap %s: %s\n", path, strerror(errno));
        return NULL;
    }
    return (control_t *)p;
}

/* CPU time of the whole process (every thread, the library's too), in seconds. */
static double process_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

static void on_frame(consumer_state_t *st, const tp_polled_frame_t *frame)
{
    const tp_frame_view_t *view = &frame->view;
    st->seen++;
    bool ok = view->payload_len >= 8 && view->values_len_bytes == st->payload_bytes &&
        load_le64(view->payload) == view->seq_commit >> 1;
    if (!tp_polled_frame_is_valid(frame))
    {
        st->torn++;
        return;
    }
    st->frames++;
    st->bad += ok ? 0u : 1u;
}

static int consume(tp_client_t *client, const tp_example_settings_t *s, control_t *ctl)
{
    uint64_t warmup_ms = 0;
    uint64_t window_ms = 0;
    if (!tp_example_env_u64("TP_BENCH_WARMUP_MS", 500, 3600000, &warmup_ms) ||
        !tp_example_env_u64("TP_BENCH_WINDOW_MS", 2000, 3600000, &window_ms))
    {
        return 2;
    }
    tp_consumer_t *consumer = NULL;
    tp_err_t err = tp_attach_consumer(client, s->stream_id, &consumer);
    if (err != TP_OK)
    {
        tp_example_fail("tp_attach_consumer", err);
        return 1;
    }
    tp_polled_frame_t *batch = calloc(FRAGMENT_LIMIT, sizeof(*batch));
    if (batch == NULL)
    {
        fprintf(stderr, "no memory for the batch\n");
        tp_consumer_close(consumer);
        return 1;
    }
    consumer_state_t st = {.payload_bytes = s->payload_bytes};
    const uint64_t start_ns = tp_example_now_ns() + warmup_ms * 1000000ull;
    const uint64_t end_ns = start_ns + window_ms * 1000000ull;
    const uint64_t deadline = end_ns + s->timeout_ns;
    const uint64_t clock_every = (64u << 10) / s->payload_bytes > 0 ? (64u << 10) / s->payload_bytes : 1;
    uint64_t countdown = clock_every;
    uint64_t first_ns = 0;
    uint64_t first_frames = 0;
    uint64_t last_ns = 0;
    uint64_t last_frames = 0;
    double first_cpu = 0;
    double last_cpu = 0;
    bool started = false;
    int rc = 0;
    for (;;)
    {
        int n = tp_consumer_poll_batch(consumer, batch, FRAGMENT_LIMIT, FRAGMENT_LIMIT);
        if (n < 0 && n != TP_ERR_PROTOCOL) /* PROTOCOL: not attached yet, or again */
        {
            tp_example_fail("tp_consumer_poll_batch", (tp_err_t)n);
            rc = 1;
            break;
        }
        for (int i = 0; i < n; i++)
        {
            on_frame(&st, &batch[i]);
        }
        if (n > 0)
        {
            atomic_store(&ctl->consumed, st.seen);
        }
        if (--countdown > 0)
        {
            continue;
        }
        countdown = clock_every;
        uint64_t now = tp_example_now_ns();
        if (!started && now >= start_ns && st.frames > 0)
        {
            started = true;
            first_ns = now;
            first_frames = st.frames;
            first_cpu = process_cpu_seconds();
        }
        if (started)
        {
            last_ns = now;
            last_frames = st.frames;
        }
        if (now >= end_ns && started)
        {
            last_cpu = process_cpu_seconds();
            break;
        }
        if (now >= deadline)
        {
            fprintf(stderr, "no frames within TP_TIMEOUT_MS after the window\n");
            rc = 1;
            break;
        }
    }
    atomic_store(&ctl->stop, 1);
    tp_consumer_stats_t cs;
    if (rc == 0 && (err = tp_consumer_get_stats(consumer, &cs)) != TP_OK)
    {
        tp_example_fail("tp_consumer_get_stats", err);
        rc = 1;
    }
    if (rc == 0)
    {
        const double seconds = (double)(last_ns - first_ns) / 1e9;
        const uint64_t frames = last_frames - first_frames;
        printf("{\"frames\":%llu,\"seconds\":%.9f,\"frames_per_sec\":%.3f,\"bad\":%llu,\"torn\":%llu,"
               "\"drops_late\":%llu,\"drops_gap\":%llu,\"consumer_cpu_s\":%.6f,\"window_cpu_s\":%.6f}\n",
            (unsigned long long)frames, seconds, seconds > 0 ? (double)frames / seconds : 0.0,
            (unsigned long long)st.bad, (unsigned long long)st.torn, (unsigned long long)cs.drops_late,
            (unsigned long long)cs.drops_gap, process_cpu_seconds(), last_cpu - first_cpu);
    }
    tp_consumer_close(consumer);
    free(batch);
    return rc;
}

static int produce(tp_client_t *client, const tp_example_settings_t *s, control_t *ctl)
{
    uint64_t slots = 0;
    if (!tp_example_env_u64("TP_BENCH_SLOTS", 0, UINT32_MAX, &slots) || slots < 2)
    {
        fprintf(stderr, "TP_BENCH_SLOTS: the stream's header slots (at least 2) are required\n");
        return 2;
    }
    tp_producer_t *producer = NULL;
    tp_err_t err = tp_attach_producer(client, s->stream_id, &producer);
    if (err != TP_OK)
    {
        tp_example_fail("tp_attach_producer", err);
        return 1;
    }
    uint32_t meta_version = 0;
    if ((err = tp_producer_metadata_version(producer, &meta_version)) != TP_OK)
    {
        tp_example_fail("tp_producer_metadata_version", err);
        tp_producer_close(producer);
        return 1;
    }
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *src = aligned_alloc(page, (s->payload_bytes + page - 1) / page * page);
    if (src == NULL)
    {
        fprintf(stderr, "no memory for the source buffer\n");
        tp_producer_close(producer);
        return 1;
    }
    for (uint32_t i = 0; i < s->payload_bytes; i++)
    {
        src[i] = (uint8_t)i;
    }
    tp_tensor_header_t tensor;
    tp_example_tensor(&tensor, s->payload_bytes);
    const uint64_t deadline = tp_example_now_ns() + s->timeout_ns;
    uint64_t published = 0;
    uint64_t busy = 0;
    uint64_t waits = 0;
    int rc = 0;
    while (atomic_load(&ctl->stop) == 0)
    {
        if (published - atomic_load(&ctl->consumed) > slots - 1)
        {
            waits++;
            while (published - atomic_load(&ctl->consumed) > slots - 1 && atomic_load(&ctl->stop) == 0)
            {
                if (tp_example_now_ns() > deadline)
                {
                    break;
                }
            }
            if (tp_example_now_ns() > deadline)
            {
                fprintf(stderr, "the consumer did not end its window within TP_TIMEOUT_MS\n");
                rc = 1;
                break;
            }
            continue;
        }
        tp_slot_claim_t claim;
        err = tp_producer_try_claim_slot_by_size(producer, s->payload_bytes, &claim);
        if (err == TP_ERR_BUSY)
        {
            busy++;
            continue;
        }
        if (err != TP_OK)
        {
            tp_example_fail("tp_producer_try_claim_slot_by_size", err);
            rc = 1;
            break;
        }
        memcpy(claim.ptr, src, s->payload_bytes);
        for (int i = 0; i < 8; i++)
        {
            claim.ptr[i] = (uint8_t)(claim.seq >> (8 * i));
        }
        err = tp_producer_commit_slot(producer, &claim, s->payload_bytes, &tensor, meta_version);
        if (err == TP_OK)
        {
            published++;
        }
        else if (err == TP_ERR_BUSY)
        {
            busy++; /* no subscriber yet, or back-pressure: dropped */
        }
        else
        {
            tp_example_fail("tp_producer_commit_slot", err);
            rc = 1;
            break;
        }
    }
    if (rc == 0)
    {
        printf("{\"published\":%llu,\"busy\":%llu,\"waits\":%llu,\"producer_cpu_s\":%.6f}\n",
            (unsigned long long)published, (unsigned long long)busy, (unsigned long long)waits,
            process_cpu_seconds());
    }
    free(src);
    tp_producer_close(producer);
    return rc;
}

int main(void)
{
    tp_example_settings_t s;
    if (!tp_example_settings_load(&s))
    {
        return 2;
    }
    const char *role = tp_example_env("TP_BENCH_ROLE");
    if (role == NULL || (strcmp(role, "producer") != 0 && strcmp(role, "consumer") != 0))
    {
        fprintf(stderr, "TP_BENCH_ROLE: want producer or consumer\n");
        return 2;
    }
    if (s.payload_bytes < 8)
    {
        fprintf(stderr, "TP_PAYLOAD_BYTES=%u: at least 8 (the seq stamp)\n", s.payload_bytes);
        return 2;
    }
    control_t *ctl = map_control();
    if (ctl == NULL)
    {
        return 2;
    }
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    int rc = 1;
    tp_err_t err = tp_context_init(&ctx);
    if (err != TP_OK)
    {
        tp_example_fail("tp_context_init", err);
    }
    else if (tp_example_configure(ctx, &s))
    {
        if ((err = tp_context_set_attach_timeout_ns(ctx, s.timeout_ns)) != TP_OK)
        {
            tp_example_fail("tp_context_set_attach_timeout_ns", err);
        }
        else if ((err = tp_client_connect(ctx, &client)) != TP_OK)
        {
            tp_example_fail("tp_client_connect", err);
        }
        else
        {
            rc = strcmp(role, "producer") == 0 ? produce(client, &s, ctl) : consume(client, &s, ctl);
        }
    }
    tp_client_close(client);
    tp_context_close(ctx);
    munmap(ctl, CONTROL_BYTES);
    fflush(stdout);
    return rc;
}

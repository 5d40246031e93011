/*
 * FrameProgress is opt-in for C consumers. Run by cabi/interop, which feeds the stream,
 * sends a valid FrameProgress on the shared control stream before committing each frame
 * (besides any its producer sends to consumers that asked), and reads the consumers'
 * hellos there; settings as in tp_example_common.h.
 *   - consumer "default" (client connected from a fresh context) takes no progress:
 *     tp_consumer_get_progress returns TP_OK with available false and leaves the other
 *     out-parameters alone, while progress for frame after frame goes by;
 *   - consumer "progress" (client connected after tp_context_set_consumer_progress(ctx,
 *     true)) reports it: a state of the STARTED -> PROGRESS -> COMPLETE machine, at most
 *     the payload size filled;
 *   - turning the setting off again after connecting does not change the connected client.
 * Prints "consumer ids: default <id> progress <id>" for the interop test, which checks that
 * only the second consumer's ConsumerHello says supportsProgress.
 * Exit 0 when every check held.
 */
#include "../examples/tp_example_common.h" /* first: it selects POSIX */

#include <unistd.h>

#include "tp_expect.h"

/* Frames "default" must receive after "progress" first reported progress: the interop
 * test sends progress for each of them, which "default" reads and must ignore. */
#define FRAMES_WHILE_PROGRESS 20u

#define SENTINEL_FRAME_ID 0x5a5a5a5a5a5a5a5aull
#define SENTINEL_BYTES 0xa5a5a5a5a5a5a5a5ull
#define SENTINEL_STATE 0xeeu

static void count_frame(void *clientd, const tp_frame_view_t *frame)
{
    (void)frame;
    (*(uint32_t *)clientd)++;
}

typedef struct run_stct
{
    uint32_t default_frames;
    uint32_t progress_frames;
    uint32_t default_frames_at_progress; /* default_frames when progress was first seen */
    uint32_t progress_reads;             /* tp_consumer_get_progress calls that reported some */
    bool seen;
    uint64_t frame_id;
    uint64_t bytes_filled;
    uint8_t state;
    uint32_t default_reported;           /* available on "default": must stay 0 */
}
run_t;

static bool poll_one(tp_consumer_t *consumer, uint32_t *frames, const char *what, int *work)
{
    int n = tp_consumer_poll_frames(consumer, count_frame, frames, 64);
    if (n < 0)
    {
        failures += !tp_example_fail(what, (tp_err_t)n);
        return false;
    }
    *work += n;
    return true;
}

static void run(tp_consumer_t *plain, tp_consumer_t *opted, const tp_example_settings_t *s, run_t *r)
{
    const uint64_t deadline = tp_example_now_ns() + s->timeout_ns;
    while (!r->seen || r->default_frames < r->default_frames_at_progress + FRAMES_WHILE_PROGRESS)
    {
        if (tp_example_now_ns() > deadline)
        {
            fprintf(stderr, "timed out: progress %s; default %u frames (%u since progress), progress %u frames\n",
                r->seen ? "seen" : "never seen", r->default_frames,
                r->seen ? r->default_frames - r->default_frames_at_progress : 0u, r->progress_frames);
            failures++;
            return;
        }
        int work = 0;
        if (!poll_one(plain, &r->default_frames, "tp_consumer_poll_frames (default)", &work) ||
            !poll_one(opted, &r->progress_frames, "tp_consumer_poll_frames (progress)", &work))
        {
            return;
        }

        uint64_t frame_id = SENTINEL_FRAME_ID, bytes = SENTINEL_BYTES;
        uint8_t state = SENTINEL_STATE;
        bool available = true;
        EXPECT_OK(tp_consumer_get_progress(plain, &frame_id, &bytes, &state, &available));
        if (available && r->default_reported++ == 0)
        {
            fprintf(stderr, "default consumer reported progress: frame %llu, %llu bytes, state %u\n",
                (unsigned long long)frame_id, (unsigned long long)bytes, (unsigned)state);
            failures++;
        }
        if (!available && (frame_id != SENTINEL_FRAME_ID || bytes != SENTINEL_BYTES || state != SENTINEL_STATE))
        {
            fprintf(stderr, "tp_consumer_get_progress wrote its out-parameters with available false\n");
            failures++;
        }

        available = false;
        EXPECT_OK(tp_consumer_get_progress(opted, &frame_id, &bytes, &state, &available));
        if (available)
        {
            r->progress_reads++;
            if (!r->seen)
            {
                r->seen = true;
                r->default_frames_at_progress = r->default_frames;
            }
            r->frame_id = frame_id;
            r->bytes_filled = bytes;
            r->state = state;
        }
        if (work == 0)
        {
            tp_example_sleep_us(100);
        }
    }
}

int main(void)
{
    tp_example_settings_t s;
    if (!tp_example_settings_load(&s))
    {
        return 2;
    }
    tp_context_t *ctx = NULL;
    tp_client_t *plain_client = NULL, *opted_client = NULL;
    tp_consumer_t *plain = NULL, *opted = NULL;
    run_t r;
    memset(&r, 0, sizeof(r));
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
    else if ((err = tp_client_connect(ctx, &plain_client)) != TP_OK)
    {
        failures += !tp_example_fail("tp_client_connect (default)", err);
    }
    /* The second client's consumers take driver client ids clear of the first's. */
    else if ((err = tp_context_set_consumer_progress(ctx, true)) != TP_OK ||
        (err = tp_context_set_client_id(ctx, (uint32_t)getpid() + 4096u)) != TP_OK ||
        (err = tp_client_connect(ctx, &opted_client)) != TP_OK)
    {
        failures += !tp_example_fail("tp_client_connect (progress)", err);
    }
    /* Clients copy the context when they connect: this changes neither. */
    else if ((err = tp_context_set_consumer_progress(ctx, false)) != TP_OK)
    {
        failures += !tp_example_fail("tp_context_set_consumer_progress", err);
    }
    else if ((err = tp_attach_consumer(plain_client, s.stream_id, &plain)) != TP_OK ||
        (err = tp_attach_consumer(opted_client, s.stream_id, &opted)) != TP_OK)
    {
        failures += !tp_example_fail("tp_attach_consumer", err);
    }
    else
    {
        uint32_t plain_id = 0, opted_id = 0;
        EXPECT_OK(tp_consumer_get_consumer_id(plain, &plain_id));
        EXPECT_OK(tp_consumer_get_consumer_id(opted, &opted_id));
        EXPECT(plain_id != opted_id);
        printf("consumer ids: default %u progress %u\n", plain_id, opted_id);
        fflush(stdout);
        run(plain, opted, &s, &r);
        EXPECT(r.seen);
        EXPECT(r.default_reported == 0);
        if (r.seen)
        {
            EXPECT(r.state == (uint8_t)shm_tensorpool_control_frameProgressState_STARTED ||
                r.state == (uint8_t)shm_tensorpool_control_frameProgressState_PROGRESS ||
                r.state == (uint8_t)shm_tensorpool_control_frameProgressState_COMPLETE);
            EXPECT(r.bytes_filled <= s.payload_bytes);
        }
    }
    tp_consumer_close(opted);
    tp_consumer_close(plain);
    tp_client_close(opted_client);
    tp_client_close(plain_client);
    tp_context_close(ctx);
    printf("default: %u frames, progress reported %u times; progress: %u frames, progress reported %u times "
           "(last frame %llu, %llu bytes, state %u); %d failure(s)\n",
        r.default_frames, r.default_reported, r.progress_frames, r.progress_reads, (unsigned long long)r.frame_id,
        (unsigned long long)r.bytes_filled, (unsigned)r.state, failures);
    return failures == 0 ? 0 : 1;
}

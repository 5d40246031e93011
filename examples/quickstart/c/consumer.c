/* consumer: prints every frame of tensorpool stream 1 until Ctrl-C. It attaches to
 * the tp-driver that runs with the media driver in $AERON_DIR (default
 * /dev/shm/aeron-$USER). */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include <tensorpool.h>

static volatile sig_atomic_t running = 1;

static void stop(int sig)
{
    (void)sig;
    running = 0;
}

/* The frame's memory is the producer's SHM: read it here, then check it was not
 * overwritten meanwhile. */
static void on_frame(void *clientd, const tp_frame_view_t *frame)
{
    const tp_consumer_t *consumer = clientd;
    unsigned first = frame->payload_len > 0 ? frame->payload[0] : 0;
    if (tp_consumer_frame_is_valid(consumer, frame))
    {
        printf("frame %llu: %d x %d, first byte %u\n", (unsigned long long)(frame->seq_commit >> 1),
            frame->tensor.dims[0], frame->tensor.dims[1], first);
        fflush(stdout);
    }
}

int main(void)
{
    const struct timespec pause = {0, 1000 * 1000};
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    tp_consumer_t *consumer = NULL;
    int rc = 0, waiting = 0;

    signal(SIGINT, stop);
    signal(SIGTERM, stop);
    if (tp_context_init(&ctx) != TP_OK || tp_client_connect(ctx, &client) != TP_OK ||
        tp_attach_consumer(client, 1, &consumer) != TP_OK)
    {
        fprintf(stderr, "consumer: %s\n", tp_errmsg());
        rc = 1;
    }
    while (rc == 0 && running)
    {
        int n = tp_consumer_poll_frames(consumer, on_frame, consumer, 10);
        if (n == TP_ERR_PROTOCOL) /* no producer's epoch mapped now, or no lease: the library reattaches */
        {
            if (!waiting)
            {
                printf("waiting: %s\n", tp_errmsg());
                fflush(stdout);
                waiting = 1;
            }
            nanosleep(&pause, NULL);
        }
        else if (n < 0)
        {
            fprintf(stderr, "consumer: %s\n", tp_errmsg());
            rc = 1;
        }
        else
        {
            waiting = waiting && n == 0;
            if (n == 0)
            {
                nanosleep(&pause, NULL);
            }
        }
    }
    tp_consumer_close(consumer);
    tp_client_close(client);
    tp_context_close(ctx);
    return rc;
}

/* producer: publishes a 480x640 8-bit image on tensorpool stream 1, ten frames a
 * second, until Ctrl-C. It attaches to the tp-driver that runs with the media driver
 * in $AERON_DIR (default /dev/shm/aeron-$USER). */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <tensorpool.h>

static volatile sig_atomic_t running = 1;

static void stop(int sig)
{
    (void)sig;
    running = 0;
}

int main(void)
{
    static uint8_t image[480 * 640];
    const struct timespec tenth = {0, 100 * 1000 * 1000};
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    tp_producer_t *producer = NULL;
    tp_tensor_header_t tensor;
    tp_err_t err;
    int sent = 0, waiting = 0, rc = 0;

    signal(SIGINT, stop);
    signal(SIGTERM, stop);
    memset(&tensor, 0, sizeof(tensor));
    tensor.dtype = shm_tensorpool_control_dtype_UINT8;
    tensor.major_order = shm_tensorpool_control_majorOrder_ROW;
    tensor.ndims = 2;
    tensor.dims[0] = 480;
    tensor.dims[1] = 640;

    if (tp_context_init(&ctx) != TP_OK || tp_client_connect(ctx, &client) != TP_OK ||
        tp_attach_producer(client, 1, &producer) != TP_OK)
    {
        fprintf(stderr, "producer: %s\n", tp_errmsg());
        rc = 1;
    }
    while (rc == 0 && running)
    {
        image[0] = (uint8_t)sent;
        err = tp_producer_offer_frame(producer, image, sizeof(image), &tensor, 0);
        if (err == TP_OK)
        {
            waiting = 0;
            if (++sent % 10 == 0)
            {
                printf("sent %d frames\n", sent);
                fflush(stdout);
            }
        }
        else if (err == TP_ERR_BUSY) /* no consumer yet, or back-pressure: the frame is dropped */
        {
            if (!waiting)
            {
                printf("waiting for a consumer; frames are dropped meanwhile\n");
                fflush(stdout);
                waiting = 1;
            }
        }
        else
        {
            fprintf(stderr, "producer: %s\n", tp_errmsg());
            rc = 1;
        }
        nanosleep(&tenth, NULL);
    }
    printf("sent %d frames\n", sent);
    tp_producer_close(producer);
    tp_client_close(client);
    tp_context_close(ctx);
    return rc;
}

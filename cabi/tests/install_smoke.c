/* Built against an installed tensorpool (pkg-config or find_package): the headers and
 * the library are found, and a context can be made, set and closed. */
#include <stdio.h>

#include <tensorpool.h>

int main(void)
{
    tp_context_t *ctx = NULL;
    tp_err_t err = tp_context_init(&ctx);
    if (err != TP_OK)
    {
        fprintf(stderr, "tp_context_init failed: %s: %s\n", tp_err_str(err), tp_errmsg());
        return 1;
    }
    err = tp_context_set_consumer_mode(ctx, TP_CONSUMER_MODE_STREAM);
    if (err != TP_OK)
    {
        fprintf(stderr, "tp_context_set_consumer_mode failed: %s: %s\n", tp_err_str(err), tp_errmsg());
        tp_context_close(ctx);
        return 1;
    }
    tp_context_close(ctx);
    printf("install smoke: %s\n", tp_version());
    return 0;
}

/*
 * The C API under misuse, with no media driver: NULL handles and NULL out-pointers give
 * TP_ERR_ARG (void closers ignore them), closed and double-closed contexts are caught, as
 * are handles of another type or never issued, handle values are not reused, other threads
 * see a racing close as TP_OK before it and TP_ERR_ARG after, setters validate, every code
 * has a name, and connecting to a missing Aeron directory fails with a message within
 * seconds.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tensorpool.h"

#include "tp_expect.h"

/* call must return TP_ERR_ARG, set tp_errcode() to it and leave a message. */
#define EXPECT_ARG(call) EXPECT_CODE(TP_ERR_ARG, call)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_codes_and_version(void)
{
    static const tp_err_t codes[] = {
        TP_OK, TP_ERR_ARG, TP_ERR_AERON, TP_ERR_TIMEOUT, TP_ERR_PROTOCOL, TP_ERR_SHM,
        TP_ERR_IO, TP_ERR_NOMEM, TP_ERR_UNSUPPORTED, TP_ERR_BUSY, TP_ERR_NOT_FOUND,
    };
    const size_t n = sizeof(codes) / sizeof(codes[0]);
    for (size_t i = 0; i < n; i++)
    {
        const char *name = tp_err_str(codes[i]);
        EXPECT(name != NULL && name[0] != '\0');
        for (size_t j = 0; name != NULL && j < i; j++)
        {
            const char *other = tp_err_str(codes[j]);
            if (other != NULL && strcmp(name, other) == 0)
            {
                fprintf(stderr, "tp_err_str(%d) and tp_err_str(%d) are both \"%s\"\n", codes[i], codes[j], name);
                failures++;
            }
        }
    }
    /* Codes the header does not define still have some text. */
    const char *unknown = tp_err_str((tp_err_t)-99);
    EXPECT(unknown != NULL && unknown[0] != '\0');
    unknown = tp_err_str((tp_err_t)42);
    EXPECT(unknown != NULL && unknown[0] != '\0');

    const char *version = tp_version();
    EXPECT(version != NULL && version[0] != '\0');
    EXPECT(version != NULL && strncmp(version, "tensorpool", 10) == 0);
    EXPECT(tp_errmsg() != NULL);
}

static void *fresh_thread_errors(void *arg)
{
    int *ok = (int *)arg;
    *ok = tp_errcode() == TP_OK && tp_errmsg() != NULL && tp_errmsg()[0] == '\0';
    return NULL;
}

/* A failure on this thread is not seen by a thread that has not failed. */
static void test_errors_are_per_thread(void)
{
    tp_context_close(NULL);
    EXPECT_ARG(tp_context_set_client_id(NULL, 1));
    pthread_t thread;
    int ok = 0;
    EXPECT(pthread_create(&thread, NULL, fresh_thread_errors, &ok) == 0);
    EXPECT(pthread_join(thread, NULL) == 0);
    EXPECT(ok);
    EXPECT(tp_errcode() == TP_ERR_ARG);
}

static void test_context(void)
{
    EXPECT_ARG(tp_context_init(NULL));
    tp_context_close(NULL);

    /* Every setter with a NULL context. */
    EXPECT_ARG(tp_context_set_aeron_dir(NULL, "/dev/shm/aeron"));
    EXPECT_ARG(tp_context_set_control_channel(NULL, "aeron:ipc"));
    EXPECT_ARG(tp_context_set_control_stream_id(NULL, 1000));
    EXPECT_ARG(tp_context_set_descriptor_channel(NULL, "aeron:ipc"));
    EXPECT_ARG(tp_context_set_descriptor_stream_id(NULL, 1100));
    EXPECT_ARG(tp_context_set_qos_channel(NULL, "aeron:ipc"));
    EXPECT_ARG(tp_context_set_qos_stream_id(NULL, 1200));
    EXPECT_ARG(tp_context_set_metadata_channel(NULL, "aeron:ipc"));
    EXPECT_ARG(tp_context_set_metadata_stream_id(NULL, 1300));
    EXPECT_ARG(tp_context_set_client_id(NULL, 7));
    EXPECT_ARG(tp_context_set_use_invoker(NULL, true));
    EXPECT_ARG(tp_context_set_attach_timeout_ns(NULL, 1000000000ull));
    EXPECT_ARG(tp_context_set_qos_interval_ns(NULL, 1000000000ull));
    EXPECT_ARG(tp_context_set_detach_timeout_ns(NULL, 1000000000ull));
    EXPECT_ARG(tp_context_set_announce_freshness_ns(NULL, 1000000000ull));
    EXPECT_ARG(tp_context_set_lease_keepalive_interval_ns(NULL, 1000000000ull));
    EXPECT_ARG(tp_context_set_consumer_mode(NULL, TP_CONSUMER_MODE_STREAM));
    EXPECT_ARG(tp_context_set_consumer_max_rate_hz(NULL, 10));
    EXPECT_ARG(tp_context_set_consumer_descriptor_request(NULL, "aeron:ipc", 1101));
    EXPECT_ARG(tp_context_set_consumer_control_request(NULL, "aeron:ipc", 1001));
    EXPECT_ARG(tp_context_add_allowed_base_dir(NULL, "/dev/shm"));
    EXPECT_ARG(tp_context_set_consumer_progress(NULL, true));
    EXPECT_ARG(tp_context_set_consumer_progress(NULL, false));
    EXPECT_ARG(tp_context_set_wire_version(NULL, "1.2"));

    tp_context_t *ctx = NULL;
    EXPECT_OK(tp_context_init(&ctx));
    EXPECT(ctx != NULL);
    if (ctx == NULL)
    {
        return;
    }

    /* Valid settings are accepted. */
    EXPECT_OK(tp_context_set_aeron_dir(ctx, "/dev/shm/aeron-tp-misuse-test"));
    EXPECT_OK(tp_context_set_control_channel(ctx, "aeron:ipc?term-length=4m"));
    EXPECT_OK(tp_context_set_control_stream_id(ctx, 1000));
    EXPECT_OK(tp_context_set_descriptor_channel(ctx, "aeron:ipc?term-length=4m"));
    EXPECT_OK(tp_context_set_descriptor_stream_id(ctx, 1100));
    EXPECT_OK(tp_context_set_qos_channel(ctx, "aeron:ipc"));
    EXPECT_OK(tp_context_set_qos_stream_id(ctx, 1200));
    EXPECT_OK(tp_context_set_metadata_channel(ctx, "aeron:ipc"));
    EXPECT_OK(tp_context_set_metadata_stream_id(ctx, 1300));
    EXPECT_OK(tp_context_set_client_id(ctx, 4242));
    EXPECT_OK(tp_context_set_use_invoker(ctx, false));
    EXPECT_OK(tp_context_set_attach_timeout_ns(ctx, 2000000000ull));
    EXPECT_OK(tp_context_set_qos_interval_ns(ctx, 1000000000ull));
    EXPECT_OK(tp_context_set_detach_timeout_ns(ctx, 1000000000ull));
    EXPECT_OK(tp_context_set_announce_freshness_ns(ctx, 3000000000ull));
    EXPECT_OK(tp_context_set_lease_keepalive_interval_ns(ctx, 500000000ull));
    EXPECT_OK(tp_context_set_consumer_mode(ctx, TP_CONSUMER_MODE_STREAM));
    EXPECT_OK(tp_context_set_consumer_mode(ctx, TP_CONSUMER_MODE_RATE_LIMITED));
    EXPECT_OK(tp_context_set_consumer_max_rate_hz(ctx, 30));
    EXPECT_OK(tp_context_set_consumer_descriptor_request(ctx, "aeron:ipc", 1101));
    EXPECT_OK(tp_context_set_consumer_control_request(ctx, "aeron:ipc", 1001));
    EXPECT_OK(tp_context_add_allowed_base_dir(ctx, "/dev/shm"));
    EXPECT_OK(tp_context_set_consumer_progress(ctx, true));
    EXPECT_OK(tp_context_set_consumer_progress(ctx, false));
    EXPECT_OK(tp_context_set_wire_version(ctx, "1.2"));
    EXPECT_OK(tp_context_set_wire_version(ctx, "1.1"));

    /* Invalid values are refused. */
    EXPECT_ARG(tp_context_set_wire_version(ctx, NULL));
    EXPECT_ARG(tp_context_set_wire_version(ctx, "1.3"));
    EXPECT_ARG(tp_context_set_wire_version(ctx, ""));
    EXPECT_ARG(tp_context_set_consumer_mode(ctx, 0));
    EXPECT_ARG(tp_context_set_consumer_mode(ctx, 99));
    EXPECT_ARG(tp_context_set_consumer_mode(ctx, 255));
    EXPECT_ARG(tp_context_set_aeron_dir(ctx, NULL));
    EXPECT_ARG(tp_context_set_control_channel(ctx, NULL));
    EXPECT_ARG(tp_context_set_descriptor_channel(ctx, NULL));
    EXPECT_ARG(tp_context_set_qos_channel(ctx, NULL));
    EXPECT_ARG(tp_context_set_metadata_channel(ctx, NULL));
    EXPECT_ARG(tp_context_add_allowed_base_dir(ctx, NULL));
    /* A NULL request channel may mean "no request"; it must not crash. */
    tp_err_t err = tp_context_set_consumer_descriptor_request(ctx, NULL, 0);
    EXPECT(err == TP_OK || err == TP_ERR_ARG);
    err = tp_context_set_consumer_control_request(ctx, NULL, 0);
    EXPECT(err == TP_OK || err == TP_ERR_ARG);

    /* A closed context is caught, and closing it again is quiet. */
    tp_context_close(ctx);
    tp_context_close(ctx);
    EXPECT_ARG(tp_context_set_client_id(ctx, 1));
    EXPECT_ARG(tp_context_set_aeron_dir(ctx, "/dev/shm"));
    EXPECT_ARG(tp_context_set_consumer_mode(ctx, TP_CONSUMER_MODE_STREAM));
    EXPECT_ARG(tp_context_set_consumer_progress(ctx, true));
    tp_client_t *client = NULL;
    EXPECT_ARG(tp_client_connect(ctx, &client));
    EXPECT(client == NULL);
    tp_context_close(ctx);

    /* Many contexts: each its own handle, all closable. */
    tp_context_t *many[64];
    for (int i = 0; i < 64; i++)
    {
        many[i] = NULL;
        EXPECT_OK(tp_context_init(&many[i]));
        for (int j = 0; j < i; j++)
        {
            EXPECT(many[i] != many[j]);
        }
    }
    for (int i = 0; i < 64; i++)
    {
        tp_context_close(many[i]);
    }
}

static void test_client(void)
{
    tp_client_t *client = NULL;
    EXPECT_ARG(tp_client_connect(NULL, &client));
    EXPECT(client == NULL);
    tp_context_t *ctx = NULL;
    EXPECT_OK(tp_context_init(&ctx));
    EXPECT_ARG(tp_client_connect(ctx, NULL));
    tp_context_close(ctx);

    tp_client_close(NULL);
    EXPECT_ARG(tp_client_do_work(NULL));
    EXPECT_ARG(tp_client_reconnect(NULL));
    uint32_t id = 0;
    EXPECT_ARG(tp_client_get_client_id(NULL, &id));
    EXPECT_ARG(tp_client_get_client_id(NULL, NULL));

    tp_producer_t *producer = NULL;
    tp_consumer_t *consumer = NULL;
    EXPECT_ARG(tp_attach_producer(NULL, 1, &producer));
    EXPECT_ARG(tp_attach_producer(NULL, 1, NULL));
    EXPECT_ARG(tp_attach_consumer(NULL, 1, &consumer));
    EXPECT_ARG(tp_attach_consumer(NULL, 1, NULL));
    EXPECT(producer == NULL && consumer == NULL);
    EXPECT_ARG(tp_producer_reattach(NULL));
    EXPECT_ARG(tp_producer_reattach(&producer));
    EXPECT_ARG(tp_consumer_reattach(NULL));
    EXPECT_ARG(tp_consumer_reattach(&consumer));
    EXPECT_ARG(tp_detach(NULL, 1, 1, 1, TP_ROLE_PRODUCER));
    EXPECT_ARG(tp_lease_keepalive(NULL, 1, 1, 1, TP_ROLE_CONSUMER));
}

static void test_producer(void)
{
    uint8_t payload[16] = {0};
    tp_tensor_header_t tensor;
    memset(&tensor, 0, sizeof(tensor));
    tp_slot_claim_t claim;
    memset(&claim, 0, sizeof(claim));
    tp_metadata_attribute_t attr;
    memset(&attr, 0, sizeof(attr));
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    tp_producer_stats_t stats;

    EXPECT_ARG(tp_producer_offer_frame(NULL, payload, sizeof(payload), &tensor, 0));
    EXPECT_ARG(tp_producer_offer_frame(NULL, NULL, 0, NULL, 0));
    tp_frame_offer_t offer = {.payload = payload, .tensor = &tensor, .values_len = sizeof(payload)};
    uint32_t offered = 0;
    EXPECT_ARG(tp_producer_offer_frames(NULL, &offer, 1, &offered));
    EXPECT_ARG(tp_producer_offer_frames(NULL, NULL, 0, NULL));
    EXPECT_ARG(tp_producer_try_claim_slot(NULL, 0, &claim));
    EXPECT_ARG(tp_producer_try_claim_slot(NULL, 0, NULL));
    EXPECT_ARG(tp_producer_try_claim_slot_by_size(NULL, 16, &claim));
    EXPECT_ARG(tp_producer_try_claim_slot_by_size(NULL, 16, NULL));
    EXPECT_ARG(tp_producer_commit_slot(NULL, &claim, 16, &tensor, 0));
    EXPECT_ARG(tp_producer_commit_slot(NULL, NULL, 16, NULL, 0));
    tp_err_t next = TP_OK;
    EXPECT_ARG(tp_producer_commit_and_claim_next(NULL, &claim, 16, &tensor, 0, 16, &next));
    EXPECT_ARG(tp_producer_commit_and_claim_next(NULL, NULL, 16, NULL, 0, 16, NULL));
    EXPECT_ARG(tp_producer_abort_slot(NULL, &claim));
    EXPECT_ARG(tp_producer_abort_slot(NULL, NULL));
    EXPECT_ARG(tp_producer_report_progress(NULL, &claim, 8));
    EXPECT_ARG(tp_producer_report_progress(NULL, NULL, 8));
    EXPECT_ARG(tp_producer_metadata_version(NULL, &u32));
    EXPECT_ARG(tp_producer_metadata_version(NULL, NULL));
    EXPECT_ARG(tp_producer_set_metadata(NULL, "name", "summary", &attr, 1));
    EXPECT_ARG(tp_producer_set_metadata(NULL, NULL, NULL, NULL, 0));
    EXPECT_ARG(tp_producer_announce_data_source(NULL, "name", "summary"));
    EXPECT_ARG(tp_producer_set_metadata_attributes(NULL, &attr, 1));
    EXPECT_ARG(tp_producer_set_metadata_attribute(NULL, "key", "text/plain", payload, 4));
    EXPECT_ARG(tp_producer_delete_metadata_attribute(NULL, "key"));
    EXPECT_ARG(tp_producer_send_metadata_announce(NULL, 1, "name", "summary"));
    EXPECT_ARG(tp_producer_send_metadata_meta(NULL, 1, 0, &attr, 1));
    EXPECT_ARG(tp_producer_send_qos(NULL, 0, 0));
    EXPECT_ARG(tp_producer_poll(NULL));
    EXPECT_ARG(tp_producer_get_lease_id(NULL, &u64));
    EXPECT_ARG(tp_producer_get_lease_id(NULL, NULL));
    EXPECT_ARG(tp_producer_get_stream_id(NULL, &u32));
    EXPECT_ARG(tp_producer_get_stream_id(NULL, NULL));
    EXPECT_ARG(tp_producer_get_producer_id(NULL, &u32));
    EXPECT_ARG(tp_producer_get_producer_id(NULL, NULL));
    EXPECT_ARG(tp_producer_get_stats(NULL, &stats));
    EXPECT_ARG(tp_producer_get_stats(NULL, NULL));
    EXPECT(!tp_producer_is_connected(NULL));
    tp_producer_close(NULL);
}

static int handler_calls;

static void count_frames(void *clientd, const tp_frame_view_t *frame)
{
    (void)clientd;
    (void)frame;
    handler_calls++;
}

static void test_consumer(void)
{
    tp_frame_view_t view;
    memset(&view, 0, sizeof(view));
    uint64_t frame_id = 0, bytes_filled = 0, u64 = 0;
    uint8_t state = 0;
    bool available = true;
    uint32_t u32 = 0;
    tp_consumer_stats_t stats;

    EXPECT_ARG(tp_consumer_poll(NULL, 10));
    EXPECT_ARG(tp_consumer_try_read_frame(NULL, &view));
    EXPECT_ARG(tp_consumer_try_read_frame(NULL, NULL));
    EXPECT_ARG(tp_consumer_send_qos(NULL, TP_CONSUMER_MODE_STREAM, 0, 0, 0));
    EXPECT_ARG(tp_consumer_get_progress(NULL, &frame_id, &bytes_filled, &state, &available));
    EXPECT_ARG(tp_consumer_get_progress(NULL, NULL, NULL, NULL, NULL));
    EXPECT_ARG(tp_consumer_get_lease_id(NULL, &u64));
    EXPECT_ARG(tp_consumer_get_lease_id(NULL, NULL));
    EXPECT_ARG(tp_consumer_get_stream_id(NULL, &u32));
    EXPECT_ARG(tp_consumer_get_stream_id(NULL, NULL));
    EXPECT_ARG(tp_consumer_get_consumer_id(NULL, &u32));
    EXPECT_ARG(tp_consumer_get_consumer_id(NULL, NULL));
    EXPECT_ARG(tp_consumer_get_stats(NULL, &stats));
    EXPECT_ARG(tp_consumer_get_stats(NULL, NULL));
    EXPECT_ARG(tp_consumer_poll_frames(NULL, count_frames, NULL, 10));
    EXPECT_ARG(tp_consumer_poll_frames(NULL, NULL, NULL, 10));
    EXPECT(handler_calls == 0);
    EXPECT(!tp_consumer_frame_is_valid(NULL, &view));
    EXPECT(!tp_consumer_frame_is_valid(NULL, NULL));
    tp_polled_frame_t polled[2];
    memset(polled, 0, sizeof(polled));
    EXPECT_ARG(tp_consumer_poll_batch(NULL, polled, 2, 10));
    EXPECT_ARG(tp_consumer_poll_batch(NULL, NULL, 0, 10));
    EXPECT(!tp_polled_frame_is_valid(NULL));
    EXPECT(!tp_polled_frame_is_valid(&polled[0])); /* no seqlock word */
    EXPECT(!tp_consumer_is_connected(NULL));
    tp_consumer_close(NULL);
}

static void test_monitors(void)
{
    tp_qos_monitor_t *qos = NULL;
    tp_qos_producer_snapshot_t producer_snapshot;
    tp_qos_consumer_snapshot_t consumer_snapshot;
    EXPECT_ARG(tp_qos_monitor_init(NULL, "aeron:ipc", 1200, &qos));
    EXPECT_ARG(tp_qos_monitor_init(NULL, NULL, 1200, NULL));
    EXPECT(qos == NULL);
    EXPECT_ARG(tp_qos_monitor_poll(NULL, 10));
    EXPECT_ARG(tp_qos_monitor_get_producer(NULL, 1, &producer_snapshot));
    EXPECT_ARG(tp_qos_monitor_get_producer(NULL, 1, NULL));
    EXPECT_ARG(tp_qos_monitor_get_consumer(NULL, 1, &consumer_snapshot));
    EXPECT_ARG(tp_qos_monitor_get_consumer(NULL, 1, NULL));
    tp_qos_monitor_close(NULL);

    tp_metadata_cache_t *cache = NULL;
    static tp_metadata_entry_t entry; /* 33 KiB: not on the stack */
    EXPECT_ARG(tp_metadata_cache_init(NULL, "aeron:ipc", 1300, &cache));
    EXPECT_ARG(tp_metadata_cache_init(NULL, NULL, 1300, NULL));
    EXPECT(cache == NULL);
    EXPECT_ARG(tp_metadata_cache_poll(NULL, 10));
    EXPECT_ARG(tp_metadata_cache_get(NULL, 1, &entry));
    EXPECT_ARG(tp_metadata_cache_get(NULL, 1, NULL));
    tp_metadata_cache_close(NULL);

    tp_discovery_client_t *discovery = NULL;
    static tp_discovery_entry_t entries[2]; /* 40 KiB: not on the stack */
    uint32_t entry_count = 2;
    char error_message[128];
    int32_t status = 0;
    uint64_t request_id = 0;
    const char *tags[1] = {"camera"};
    EXPECT_ARG(tp_discovery_client_init(NULL, "aeron:ipc", 7000, "aeron:ipc", 7001, &discovery));
    EXPECT_ARG(tp_discovery_client_init(NULL, NULL, 7000, NULL, 7001, NULL));
    EXPECT(discovery == NULL);
    EXPECT_ARG(tp_discovery_client_poll(NULL, 10));
    EXPECT_ARG(tp_discovery_send_request(NULL, 0, 0, 0, "source", tags, 1, &request_id));
    EXPECT_ARG(tp_discovery_send_request(NULL, 0, 0, 0, NULL, NULL, 0, NULL));
    EXPECT_ARG(tp_discovery_get_response(NULL, 1, entries, &entry_count, error_message, sizeof(error_message), &status));
    EXPECT_ARG(tp_discovery_get_response(NULL, 1, NULL, NULL, NULL, 0, NULL));
    tp_discovery_client_close(NULL);
}

/* A handle of another type, or a value never issued, is no handle; closing it is quiet and
 * leaves the handle it really is alone. */
static void test_foreign_handles(void)
{
    tp_context_t *ctx = NULL;
    EXPECT_OK(tp_context_init(&ctx));
    EXPECT_ARG(tp_client_do_work((tp_client_t *)ctx));
    EXPECT_ARG(tp_client_reconnect((tp_client_t *)ctx));
    EXPECT_ARG(tp_producer_poll((tp_producer_t *)ctx));
    EXPECT_ARG(tp_consumer_poll((tp_consumer_t *)ctx, 1));
    EXPECT(!tp_consumer_frame_is_valid((tp_consumer_t *)ctx, NULL));
    tp_polled_frame_t polled;
    EXPECT_ARG(tp_consumer_poll_batch((tp_consumer_t *)ctx, &polled, 1, 1));
    tp_client_close((tp_client_t *)ctx);
    tp_producer_close((tp_producer_t *)ctx);
    tp_consumer_close((tp_consumer_t *)ctx);
    tp_qos_monitor_close((tp_qos_monitor_t *)ctx);
    EXPECT_OK(tp_context_set_client_id(ctx, 1));

    static const uintptr_t never[] = {1, 7, 0xff8, UINTPTR_MAX & ~(uintptr_t)7};
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
    {
        EXPECT_ARG(tp_context_set_client_id((tp_context_t *)never[i], 1));
        tp_context_close((tp_context_t *)never[i]);
    }
    EXPECT_OK(tp_context_set_client_id(ctx, 1));
    tp_context_close(ctx);
}

/* A closed handle's value is never issued again. */
static void test_handles_not_reused(void)
{
    enum { closed_count = 16, later_count = 512 };
    tp_context_t *closed[closed_count];
    for (int i = 0; i < closed_count; i++)
    {
        closed[i] = NULL;
        EXPECT_OK(tp_context_init(&closed[i]));
        tp_context_close(closed[i]);
    }
    for (int i = 0; i < later_count; i++)
    {
        tp_context_t *ctx = NULL;
        EXPECT_OK(tp_context_init(&ctx));
        for (int j = 0; j < closed_count; j++)
        {
            EXPECT(ctx != closed[j]);
        }
        tp_context_close(ctx);
    }
    for (int i = 0; i < closed_count; i++)
    {
        EXPECT_ARG(tp_context_set_client_id(closed[i], 1));
    }
}

enum { racing_threads = 4 };

typedef struct close_race_stct
{
    tp_context_t *ctx;
    pthread_barrier_t *start;
    int unexpected; /* results other than TP_OK before the close and TP_ERR_ARG after */
}
close_race_t;

/* Uses the context until it is closed: TP_OK, then TP_ERR_ARG for good. */
static void *use_until_closed(void *arg)
{
    close_race_t *r = (close_race_t *)arg;
    pthread_barrier_wait(r->start);
    for (uint32_t id = 1;; id++)
    {
        tp_err_t err = tp_context_set_client_id(r->ctx, id);
        if (err == TP_ERR_ARG)
        {
            break;
        }
        r->unexpected += err != TP_OK;
    }
    r->unexpected += tp_context_set_client_id(r->ctx, 1) != TP_ERR_ARG;
    return NULL;
}

static void *close_it(void *arg)
{
    close_race_t *r = (close_race_t *)arg;
    pthread_barrier_wait(r->start);
    tp_context_close(r->ctx);
    return NULL;
}

/* Threads using a handle while others close it, all at once: no crash, no result but
 * TP_OK before the close and TP_ERR_ARG after. */
static void test_close_races_use(void)
{
    for (int round = 0; round < 50; round++)
    {
        tp_context_t *ctx = NULL;
        EXPECT_OK(tp_context_init(&ctx));
        pthread_barrier_t start;
        EXPECT(pthread_barrier_init(&start, NULL, 2 * racing_threads) == 0);
        pthread_t threads[2 * racing_threads];
        close_race_t races[2 * racing_threads];
        for (int i = 0; i < 2 * racing_threads; i++)
        {
            races[i] = (close_race_t){ctx, &start, 0};
            EXPECT(pthread_create(&threads[i], NULL, i < racing_threads ? use_until_closed : close_it, &races[i]) == 0);
        }
        for (int i = 0; i < 2 * racing_threads; i++)
        {
            EXPECT(pthread_join(threads[i], NULL) == 0);
            EXPECT(races[i].unexpected == 0);
        }
        pthread_barrier_destroy(&start);
        EXPECT_ARG(tp_context_set_client_id(ctx, 1));
    }
}

/* Connecting to a directory with no media driver fails with a message, without hanging. */
static void test_connect_without_driver(void)
{
    char dir[256];
    snprintf(dir, sizeof(dir), "/tmp/tp-misuse-test-no-driver-%ld/aeron", (long)getpid());

    tp_context_t *ctx = NULL;
    EXPECT_OK(tp_context_init(&ctx));
    EXPECT_OK(tp_context_set_aeron_dir(ctx, dir));
    EXPECT_OK(tp_context_set_attach_timeout_ns(ctx, 1000000000ull));

    tp_client_t *client = NULL;
    const double start = now_s();
    tp_err_t err = tp_client_connect(ctx, &client);
    const double took = now_s() - start;
    printf("tp_client_connect without a driver: %s (%d) after %.2f s: %s\n", tp_err_str(err), (int)err, took,
        tp_errmsg());
    EXPECT(err != TP_OK);
    EXPECT(err < 0);
    EXPECT(tp_errcode() == err);
    EXPECT(tp_errmsg() != NULL && tp_errmsg()[0] != '\0');
    EXPECT(client == NULL);
    EXPECT(took < 12.0);
    if (err == TP_OK)
    {
        tp_client_close(client);
    }
    tp_context_close(ctx);
}

int main(void)
{
    test_codes_and_version();
    test_errors_are_per_thread();
    test_context();
    test_client();
    test_producer();
    test_consumer();
    test_monitors();
    test_foreign_handles();
    test_handles_not_reused();
    test_close_races_use();
    test_connect_without_driver();

    if (failures != 0)
    {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("tp_api_misuse_test: all passed (%s)\n", tp_version());
    return 0;
}

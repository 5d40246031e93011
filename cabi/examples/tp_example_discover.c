/*
 * tp_example_discover: asks a discovery service (a driver's provider, or a registry of
 * several drivers) which streams match, takes the first result, and attaches as a
 * consumer of that stream through the driver the result names (its control channel and
 * stream id), then reads frames as tp_example_consumer does. Discovery only says where
 * to go: the attach itself is validated by that driver (Discovery spec §3, §7).
 *
 * Settings, besides those of tp_example_common.h (TP_CONTROL_* are ignored: the result
 * names the driver; TP_STREAM_ID, when set, is a filter):
 *   TP_DISCOVERY_REQUEST_CHANNEL    default aeron:ipc?term-length=4m
 *   TP_DISCOVERY_REQUEST_STREAM_ID  default 7000 (a registry's: 7100)
 *   TP_DISCOVERY_RESPONSE_CHANNEL   default aeron:ipc
 *   TP_DISCOVERY_RESPONSE_STREAM_ID default 7004
 *   TP_DISCOVERY_DATA_SOURCE_NAME   filter: the data source name, byte for byte
 *   TP_DISCOVERY_TAGS               filter: comma-separated tags, all required
 * It asks again every 500 ms until a result comes or TP_TIMEOUT_MS passes. The line
 * "discovered stream S of driver D at CHANNEL stream C" goes to stdout before the frames'
 * summary.
 */
#include "tp_example_common.h"

typedef struct tp_discover_settings_stct
{
    const char *request_channel;
    const char *response_channel;
    uint32_t request_stream_id;
    uint32_t response_stream_id;
    bool by_stream;
    const char *name;
    char tags_text[TP_MAX_TAGS * TP_TAG_MAX];
    const char *tags[TP_MAX_TAGS];
    uint32_t tag_count;
}
tp_discover_settings_t;

static bool load_discover_settings(tp_discover_settings_t *d)
{
    memset(d, 0, sizeof(*d));
    d->request_channel = tp_example_env("TP_DISCOVERY_REQUEST_CHANNEL");
    d->response_channel = tp_example_env("TP_DISCOVERY_RESPONSE_CHANNEL");
    if (d->request_channel == NULL)
    {
        d->request_channel = "aeron:ipc?term-length=4m";
    }
    if (d->response_channel == NULL)
    {
        d->response_channel = "aeron:ipc";
    }
    if (!tp_example_env_u32("TP_DISCOVERY_REQUEST_STREAM_ID", 7000u, &d->request_stream_id) ||
        !tp_example_env_u32("TP_DISCOVERY_RESPONSE_STREAM_ID", 7004u, &d->response_stream_id))
    {
        return false;
    }
    d->by_stream = tp_example_env("TP_STREAM_ID") != NULL;
    d->name = tp_example_env("TP_DISCOVERY_DATA_SOURCE_NAME");
    const char *tags = tp_example_env("TP_DISCOVERY_TAGS");
    if (tags != NULL)
    {
        if (strlen(tags) >= sizeof(d->tags_text))
        {
            fprintf(stderr, "TP_DISCOVERY_TAGS: longer than %zu bytes\n", sizeof(d->tags_text) - 1);
            return false;
        }
        strcpy(d->tags_text, tags);
        for (char *tag = strtok(d->tags_text, ","); tag != NULL; tag = strtok(NULL, ","))
        {
            if (d->tag_count == TP_MAX_TAGS)
            {
                fprintf(stderr, "TP_DISCOVERY_TAGS: more than %d tags\n", TP_MAX_TAGS);
                return false;
            }
            d->tags[d->tag_count++] = tag;
        }
    }
    return true;
}

/*
 * Asks until a result arrives or the deadline passes; true with *entry filled. Requests
 * go out again every 500 ms: the service may not be up yet, or the stream not announced.
 */
static bool discover(tp_client_t *client, tp_discovery_client_t *discovery, tp_discover_settings_t *d,
    uint32_t stream_id, uint64_t deadline, tp_discovery_entry_t *entry)
{
    static tp_discovery_entry_t entries[TP_MAX_DISCOVERY_ENTRIES]; /* 1.3 MiB: not on the stack */
    uint64_t request_id = 0;
    uint64_t next_request = 0;
    bool asked = false;
    for (uint64_t now = tp_example_now_ns(); now < deadline; now = tp_example_now_ns())
    {
        if (now >= next_request)
        {
            tp_err_t err = tp_discovery_send_request(discovery, d->by_stream ? stream_id : 0, 0, 0, d->name,
                d->tags, d->tag_count, &request_id);
            asked = err == TP_OK;
            if (!asked && err != TP_ERR_AERON && err != TP_ERR_BUSY)
            {
                return tp_example_fail("tp_discovery_send_request", err);
            }
            next_request = now + 500000000ull;
        }
        tp_client_do_work(client);
        tp_discovery_client_poll(discovery, 10);
        if (!asked)
        {
            tp_example_sleep_us(1000);
            continue;
        }
        uint32_t count = TP_MAX_DISCOVERY_ENTRIES;
        int32_t status = 0;
        char message[256];
        tp_err_t err = tp_discovery_get_response(discovery, request_id, entries, &count, message, sizeof(message), &status);
        if (err == TP_ERR_TIMEOUT)
        {
            tp_example_sleep_us(1000);
            continue;
        }
        if (err != TP_OK)
        {
            return tp_example_fail("tp_discovery_get_response", err);
        }
        if (status != 1 /* OK */)
        {
            fprintf(stderr, "discovery answered status %d: %s\n", (int)status, message);
        }
        else if (count > 0)
        {
            *entry = entries[0];
            return true;
        }
        asked = false; /* nothing yet: ask again at the next request time */
    }
    fprintf(stderr, "discovery: no matching stream within TP_TIMEOUT_MS\n");
    return false;
}

static int consume(const tp_example_settings_t *s, tp_consumer_t *consumer)
{
    const uint64_t deadline = tp_example_now_ns() + s->timeout_ns;
    tp_example_tally_t tally;
    memset(&tally, 0, sizeof(tally));
    tally.last_frame_ns = tp_example_now_ns();
    bool failed = false;
    for (uint64_t now = tp_example_now_ns(); now < deadline && !tp_example_tally_done(&tally, s, now);
         now = tp_example_now_ns())
    {
        tp_err_t err = tp_consumer_poll(consumer, 16);
        if (err != TP_OK)
        {
            tp_example_fail("tp_consumer_poll", err);
            failed = err != TP_ERR_PROTOCOL;
            break;
        }
        tp_frame_view_t view;
        err = tp_consumer_try_read_frame(consumer, &view);
        if (err == TP_ERR_TIMEOUT)
        {
            tp_example_sleep_us(100);
            continue;
        }
        if (err != TP_OK)
        {
            tp_example_fail("tp_consumer_try_read_frame", err);
            failed = true;
            break;
        }
        tp_example_tally_frame(&tally, consumer, &view, s->payload_bytes);
    }
    if (!tp_example_print_consumer_stats(consumer))
    {
        failed = true;
    }
    int rc = tp_example_tally_report(&tally, s);
    return failed ? 1 : rc;
}

/* Attaches through the driver entry names and reads frames. */
static int attach_and_consume(tp_example_settings_t *s, const tp_discovery_entry_t *entry)
{
    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    tp_consumer_t *consumer = NULL;
    int rc = 1;
    tp_err_t err = TP_OK;
    s->control_channel = entry->driver_control_channel;
    s->control_stream_id = (int64_t)entry->driver_control_stream_id;
    if ((err = tp_context_init(&ctx)) != TP_OK)
    {
        tp_example_fail("tp_context_init", err);
    }
    else if (tp_example_configure(ctx, s))
    {
        if ((err = tp_client_connect(ctx, &client)) != TP_OK)
        {
            tp_example_fail("tp_client_connect", err);
        }
        else if ((err = tp_attach_consumer(client, entry->stream_id, &consumer)) != TP_OK)
        {
            tp_example_fail("tp_attach_consumer", err);
        }
        else
        {
            rc = consume(s, consumer);
        }
    }
    tp_consumer_close(consumer);
    tp_client_close(client);
    tp_context_close(ctx);
    return rc;
}

int main(void)
{
    tp_example_settings_t s;
    tp_discover_settings_t d;
    if (!tp_example_settings_load(&s) || !load_discover_settings(&d))
    {
        return 2;
    }
    s.control_channel = NULL; /* the result names the driver */
    s.control_stream_id = -1;

    tp_context_t *ctx = NULL;
    tp_client_t *client = NULL;
    tp_discovery_client_t *discovery = NULL;
    tp_discovery_entry_t entry;
    bool found = false;
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
        else if ((err = tp_discovery_client_init(client, d.request_channel, (int32_t)d.request_stream_id,
                      d.response_channel, (int32_t)d.response_stream_id, &discovery)) != TP_OK)
        {
            tp_example_fail("tp_discovery_client_init", err);
        }
        else
        {
            found = discover(client, discovery, &d, s.stream_id, tp_example_now_ns() + s.timeout_ns, &entry);
        }
    }
    tp_discovery_client_close(discovery);
    tp_client_close(client);
    tp_context_close(ctx);
    if (!found)
    {
        fflush(stdout);
        return 1;
    }
    printf("discovered stream %u of driver %s at %s stream %u (epoch %llu)\n", entry.stream_id, entry.driver_instance_id,
        entry.driver_control_channel, entry.driver_control_stream_id, (unsigned long long)entry.epoch);
    fflush(stdout);
    int rc = attach_and_consume(&s, &entry);
    fflush(stdout);
    return rc;
}

//go:build aeronc

// The loader of libaeron and the C side of the calls the Go side makes. Every libaeron
// function is reached through the table `api`, filled once by tp_aeronc_load with dlsym.
// Errors are read with aeron_errcode/aeron_errmsg in the same call that failed: they are
// thread-local in libaeron, and a goroutine may move to another thread between two cgo
// calls.

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi.h"
#include "_cgo_export.h"

#define TP_AERONC_FIELD(result, name, params) result (*name) params;
static struct
{
    TP_AERONC_FUNCTIONS(TP_AERONC_FIELD)
}
api;
#undef TP_AERONC_FIELD

static void *library = NULL;

static void set_error(tp_aeronc_error *err, int32_t code, const char *message)
{
    err->code = code;
    snprintf(err->message, sizeof(err->message), "%s", message);
}

// set_aeron_error records libaeron's error of the call that just failed on this thread.
static void set_aeron_error(tp_aeronc_error *err)
{
    const char *message = api.aeron_errmsg();
    set_error(err, api.aeron_errcode(), NULL == message || '\0' == message[0] ? "(no message)" : message);
}

int tp_aeronc_load(const char *path, tp_aeronc_error *err)
{
    if (NULL != library)
    {
        return 0;
    }
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (NULL == handle)
    {
        const char *message = dlerror();
        set_error(err, 0, NULL == message ? "dlopen failed" : message);
        return -1;
    }
    // dlsym returns an object pointer; POSIX guarantees it converts to a function pointer.
#define TP_AERONC_RESOLVE(result, name, params) \
    *(void **)(&api.name) = dlsym(handle, #name); \
    if (NULL == api.name) \
    { \
        set_error(err, 0, "symbol " #name " not found"); \
        dlclose(handle); \
        return -1; \
    }
    TP_AERONC_FUNCTIONS(TP_AERONC_RESOLVE)
#undef TP_AERONC_RESOLVE
    library = handle;
    return 0;
}

const char *tp_aeronc_version_full(void)
{
    return api.aeron_version_full();
}

int tp_aeronc_version_major(void)
{
    return api.aeron_version_major();
}

int tp_aeronc_version_minor(void)
{
    return api.aeron_version_minor();
}

// on_error is the C client's error handler: it passes the error to the Go client that
// error_handle names. It runs on the thread of the conductor: the Go caller's own in
// invoker mode, else the C client's conductor thread, from which cgo calls into Go too.
static void on_error(void *clientd, int errcode, const char *message)
{
    tpAeroncOnError((uintptr_t)clientd, errcode, (char *)message);
}

int tp_aeronc_connect(
    const tp_aeronc_options *options,
    aeron_t **client,
    aeron_context_t **context,
    char *dir,
    size_t dir_length,
    tp_aeronc_error *err)
{
    aeron_context_t *ctx = NULL;
    aeron_t *c = NULL;
    *client = NULL;
    *context = NULL;
    if (api.aeron_context_init(&ctx) < 0)
    {
        set_aeron_error(err);
        return -1;
    }
    // A zero or NULL option keeps the C client's own default (which its environment
    // variables may have set).
    if ((NULL != options->dir && api.aeron_context_set_dir(ctx, options->dir) < 0) ||
        (NULL != options->client_name && api.aeron_context_set_client_name(ctx, options->client_name) < 0) ||
        (0 != options->driver_timeout_ms &&
            api.aeron_context_set_driver_timeout_ms(ctx, options->driver_timeout_ms) < 0) ||
        (0 != options->keepalive_interval_ns &&
            api.aeron_context_set_keepalive_interval_ns(ctx, options->keepalive_interval_ns) < 0) ||
        (0 != options->resource_linger_ns &&
            api.aeron_context_set_resource_linger_duration_ns(ctx, options->resource_linger_ns) < 0) ||
        (0 != options->idle_sleep_ns && api.aeron_context_set_idle_sleep_duration_ns(ctx, options->idle_sleep_ns) < 0) ||
        api.aeron_context_set_error_handler(ctx, on_error, (void *)options->error_handle) < 0 ||
        api.aeron_context_set_use_conductor_agent_invoker(ctx, 0 != options->use_invoker) < 0 ||
        api.aeron_init(&c, ctx) < 0)
    {
        set_aeron_error(err);
        api.aeron_context_close(ctx);
        return -1;
    }
    if (api.aeron_start(c) < 0)
    {
        set_aeron_error(err);
        api.aeron_close(c);
        api.aeron_context_close(ctx);
        return -1;
    }
    snprintf(dir, dir_length, "%s", api.aeron_context_get_dir(ctx));
    *client = c;
    *context = ctx;
    return 0;
}

int tp_aeronc_do_work(aeron_t *client)
{
    int work = api.aeron_main_do_work(client);
    return api.aeron_is_closed(client) ? -1 : (work < 0 ? 0 : work);
}

int tp_aeronc_is_closed(aeron_t *client)
{
    return api.aeron_is_closed(client) ? 1 : 0;
}

int64_t tp_aeronc_client_id(aeron_t *client)
{
    return api.aeron_client_id(client);
}

void tp_aeronc_close(aeron_t *client, aeron_context_t *context)
{
    api.aeron_close(client);
    api.aeron_context_close(context);
}

// ---- publications ----

int tp_aeronc_add_publication(
    aeron_t *client, const char *channel, int32_t stream_id, int32_t exclusive, void **async, tp_aeronc_error *err)
{
    int rc = exclusive ?
        api.aeron_async_add_exclusive_publication((aeron_async_add_exclusive_publication_t **)async, client, channel, stream_id) :
        api.aeron_async_add_publication((aeron_async_add_publication_t **)async, client, channel, stream_id);
    if (rc < 0)
    {
        set_aeron_error(err);
    }
    return rc < 0 ? -1 : 0;
}

int tp_aeronc_poll_publication(void *async, int32_t exclusive, tp_aeronc_publication_info *info, tp_aeronc_error *err)
{
    void *publication = NULL;
    int rc = exclusive ?
        api.aeron_async_add_exclusive_publication_poll((aeron_exclusive_publication_t **)&publication, async) :
        api.aeron_async_add_publication_poll((aeron_publication_t **)&publication, async);
    if (rc < 0)
    {
        set_aeron_error(err);
        return -1;
    }
    if (0 == rc)
    {
        return 0;
    }
    aeron_publication_constants_t constants;
    if ((exclusive ? api.aeron_exclusive_publication_constants(publication, &constants) :
        api.aeron_publication_constants(publication, &constants)) < 0)
    {
        set_aeron_error(err);
        if (exclusive)
        {
            api.aeron_exclusive_publication_close(publication, NULL, NULL);
        }
        else
        {
            api.aeron_publication_close(publication, NULL, NULL);
        }
        return -1;
    }
    info->publication = (tp_aeronc_handle)publication;
    info->registration_id = constants.registration_id;
    info->max_payload_length = (int64_t)constants.max_payload_length;
    info->max_message_length = (int64_t)constants.max_message_length;
    info->session_id = constants.session_id;
    info->stream_id = constants.stream_id;
    return 1;
}

int tp_aeronc_cancel_publication(aeron_t *client, void *async, int32_t exclusive, tp_aeronc_error *err)
{
    int rc = exclusive ? api.aeron_async_add_exclusive_publication_cancel(client, async) :
        api.aeron_async_add_publication_cancel(client, async);
    if (rc < 0)
    {
        set_aeron_error(err);
    }
    return rc < 0 ? -1 : 0;
}

// count_closed runs on the C client's conductor: the release pairs with the acquire of the
// Go side that waits for the count.
static void count_closed(void *closed)
{
    __atomic_add_fetch((int64_t *)closed, 1, __ATOMIC_RELEASE);
}

int tp_aeronc_close_publication(tp_aeronc_handle publication, int32_t exclusive, int64_t *closed, tp_aeronc_error *err)
{
    aeron_notification_t on_closed = NULL == closed ? NULL : count_closed;
    int rc = exclusive ?
        api.aeron_exclusive_publication_close((aeron_exclusive_publication_t *)publication, on_closed, closed) :
        api.aeron_publication_close((aeron_publication_t *)publication, on_closed, closed);
    if (rc < 0)
    {
        set_aeron_error(err);
    }
    return rc < 0 ? -1 : 0;
}

// libaeron refuses a NULL buffer even for an empty message; an empty one points here.
static const uint8_t empty_message[1];

int64_t tp_aeronc_offer(tp_aeronc_handle publication, int32_t exclusive, const uint8_t *buffer, size_t length)
{
    if (NULL == buffer)
    {
        buffer = empty_message;
    }
    return exclusive ?
        api.aeron_exclusive_publication_offer((aeron_exclusive_publication_t *)publication, buffer, length, NULL, NULL) :
        api.aeron_publication_offer((aeron_publication_t *)publication, buffer, length, NULL, NULL);
}

tp_aeronc_claim tp_aeronc_try_claim(tp_aeronc_handle publication, int32_t exclusive, size_t length)
{
    aeron_buffer_claim_t claim;
    tp_aeronc_claim result;
    result.result = exclusive ?
        api.aeron_exclusive_publication_try_claim((aeron_exclusive_publication_t *)publication, length, &claim) :
        api.aeron_publication_try_claim((aeron_publication_t *)publication, length, &claim);
    result.frame = result.result > 0 ? claim.frame_header : NULL;
    return result;
}

int32_t tp_aeronc_publication_is_connected(tp_aeronc_handle publication, int32_t exclusive)
{
    return (exclusive ? api.aeron_exclusive_publication_is_connected((aeron_exclusive_publication_t *)publication) :
        api.aeron_publication_is_connected((aeron_publication_t *)publication)) ? 1 : 0;
}

int64_t tp_aeronc_publication_position(tp_aeronc_handle publication, int32_t exclusive)
{
    return exclusive ? api.aeron_exclusive_publication_position((aeron_exclusive_publication_t *)publication) :
        api.aeron_publication_position((aeron_publication_t *)publication);
}

// ---- subscriptions ----

typedef struct tp_aeronc_batch_st
{
    aeron_subscription_t *subscription;
    aeron_controlled_fragment_assembler_t *assembler;
    uint8_t *arena; // reassembled messages
    size_t arena_length;
    size_t arena_used;
    tp_aeronc_message *messages;
    int32_t capacity;
    int32_t count;
    int32_t full; // the poll stopped for want of room
    size_t fragments; // read by this poll
    size_t fragment_limit;
    int64_t read_position; // just past the last fragment read from the image being peeked
    int64_t term_base; // the stream position of the peeked term's start; -1 until known
    size_t round_robin;
    aeron_counters_reader_t *counters;
    // The images the last poll read from, retained (aeron_subscription_image_at_index) so
    // that their logs stay mapped while Go reads the messages in them, and the commits Go
    // makes once it has handed the messages on.
    int32_t image_count;
    aeron_image_t *images[TP_AERONC_BATCH_IMAGES];
    tp_aeronc_commit commits[TP_AERONC_BATCH_IMAGES];
}
tp_aeronc_batch;

int tp_aeronc_add_subscription(
    aeron_t *client, const char *channel, int32_t stream_id, void **async, tp_aeronc_error *err)
{
    if (api.aeron_async_add_subscription(
        (aeron_async_add_subscription_t **)async, client, channel, stream_id, NULL, NULL, NULL, NULL) < 0)
    {
        set_aeron_error(err);
        return -1;
    }
    return 0;
}

// collect receives each message the assembler completed and copies it into the batch's
// arena, since the assembler's buffer is refilled by its session's next message. A message
// that finds no room is left in the log (ABORT) for the next poll; one larger than the
// whole arena is handed out in the assembler's buffer, where it stays until its session's
// next fragment, which only a later poll reads (the batch takes nothing more this poll).
static aeron_controlled_fragment_handler_action_t collect(
    void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    tp_aeronc_batch *b = (tp_aeronc_batch *)clientd;
    if (b->count == b->capacity)
    {
        b->full = 1;
        return TP_AERONC_ACTION_ABORT;
    }
    tp_aeronc_message *m = &b->messages[b->count];
    aeron_controlled_fragment_handler_action_t action = TP_AERONC_ACTION_CONTINUE;
    if (length <= b->arena_length - b->arena_used)
    {
        uint8_t *copy = b->arena + b->arena_used;
        memcpy(copy, buffer, length);
        m->data = copy;
        // The next copy starts 8-byte aligned, as in the log.
        size_t aligned = (length + 7) & ~(size_t)7;
        b->arena_used = aligned < b->arena_length - b->arena_used ? b->arena_used + aligned : b->arena_length;
    }
    else if (0 == b->arena_used)
    {
        m->data = buffer;
        b->full = 1;
        action = TP_AERONC_ACTION_BREAK;
    }
    else
    {
        b->full = 1;
        return TP_AERONC_ACTION_ABORT;
    }
    aeron_header_values_t values;
    api.aeron_header_values(header, &values);
    m->position = api.aeron_header_position(header);
    m->reserved_value = values.frame.reserved_value;
    m->length = (int32_t)length;
    m->session_id = values.frame.session_id;
    m->stream_id = values.frame.stream_id;
    b->count++;
    return action;
}

// on_fragment is the peek's handler. A whole message in one frame goes into the list as
// it lies in the log, header fields read from its frame; the fragments of a fragmented one
// go through the assembler. It reads up to the fragment limit; once the batch is full,
// every fragment is left in the log, so no assembler buffer changes under a message the
// batch points into.
static aeron_controlled_fragment_handler_action_t on_fragment(
    void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    tp_aeronc_batch *b = (tp_aeronc_batch *)clientd;
    if (b->full || b->fragments == b->fragment_limit)
    {
        return TP_AERONC_ACTION_ABORT;
    }
    const uint8_t *frame = buffer - TP_AERONC_DATA_HEADER_LENGTH;
    aeron_controlled_fragment_handler_action_t action = TP_AERONC_ACTION_CONTINUE;
    // The position just past the fragment, from its frame (what aeron_header_position
    // computes, without the call): a peek reads one term from the subscriber position,
    // and its first fragment lies at that position (padding, which the handler never sees,
    // only ends a term), which gives the term's start.
    int32_t term_offset, frame_length;
    memcpy(&term_offset, frame + TP_AERONC_FRAME_TERM_OFFSET_OFFSET, sizeof(term_offset));
    memcpy(&frame_length, frame + TP_AERONC_FRAME_LENGTH_OFFSET, sizeof(frame_length));
    if (b->term_base < 0)
    {
        b->term_base = b->read_position - term_offset;
    }
    int64_t position = b->term_base + term_offset +
        ((frame_length + TP_AERONC_FRAME_ALIGNMENT - 1) & ~(TP_AERONC_FRAME_ALIGNMENT - 1));
    if ((frame[TP_AERONC_FRAME_FLAGS_OFFSET] & TP_AERONC_FRAME_UNFRAGMENTED) == TP_AERONC_FRAME_UNFRAGMENTED)
    {
        if (b->count == b->capacity)
        {
            b->full = 1;
            return TP_AERONC_ACTION_ABORT;
        }
        tp_aeronc_message *m = &b->messages[b->count++];
        m->data = buffer;
        m->position = position;
        memcpy(&m->reserved_value, frame + TP_AERONC_FRAME_RESERVED_VALUE_OFFSET, sizeof(m->reserved_value));
        m->length = (int32_t)length;
        memcpy(&m->session_id, frame + TP_AERONC_FRAME_SESSION_ID_OFFSET, sizeof(m->session_id));
        memcpy(&m->stream_id, frame + TP_AERONC_FRAME_STREAM_ID_OFFSET, sizeof(m->stream_id));
    }
    else
    {
        action = api.aeron_controlled_fragment_assembler_handler(b->assembler, buffer, length, header);
        if (TP_AERONC_ACTION_ABORT == action)
        {
            return action;
        }
    }
    b->fragments++;
    b->read_position = position;
    return action;
}

// release gives back the images the last poll read from.
static void release(tp_aeronc_batch *b)
{
    for (int32_t i = 0; i < b->image_count; i++)
    {
        api.aeron_image_release(b->images[i]);
    }
    b->image_count = 0;
}

static int batch_holds(tp_aeronc_batch *b, aeron_image_t *image)
{
    for (int32_t i = 0; i < b->image_count; i++)
    {
        if (b->images[i] == image)
        {
            return 1;
        }
    }
    return 0;
}

// peek reads image from its subscriber position into the batch and, when it read anything,
// keeps it retained with its commit.
static void peek(tp_aeronc_batch *b, aeron_image_t *image)
{
    int64_t position = api.aeron_image_position(image);
    b->read_position = position;
    b->term_base = -1;
    // The peek stops at the end of the term; the limit only has to lie beyond it.
    int64_t peeked = api.aeron_image_controlled_peek(image, position, on_fragment, b, INT64_MAX);
    // The peek's result passes padding at the end of a term, which the handler never sees;
    // read_position passes fragments of a message still being assembled, which the
    // assembler holds. The farther of the two is what was read.
    int64_t read = peeked > b->read_position ? peeked : b->read_position;
    if (read > position)
    {
        aeron_image_constants_t constants;
        api.aeron_image_constants(image, &constants);
        tp_aeronc_commit *c = &b->commits[b->image_count];
        c->subscriber_position = api.aeron_counters_reader_addr(b->counters, constants.subscriber_position_id);
        c->from = position;
        c->to = read;
        b->images[b->image_count++] = image;
    }
    else
    {
        api.aeron_image_release(image);
    }
}

static void free_batch(tp_aeronc_batch *b, int release_images)
{
    if (release_images)
    {
        release(b);
    }
    if (NULL != b->assembler)
    {
        api.aeron_controlled_fragment_assembler_delete(b->assembler);
    }
    free(b->arena);
    free(b->messages);
    free(b);
}

int tp_aeronc_poll_subscription(
    aeron_t *client,
    void *async,
    size_t arena_length,
    int32_t capacity,
    tp_aeronc_handle *batch,
    tp_aeronc_message **messages,
    tp_aeronc_commit **commits,
    tp_aeronc_error *err)
{
    aeron_subscription_t *subscription = NULL;
    int rc = api.aeron_async_add_subscription_poll(&subscription, async);
    if (rc < 0)
    {
        set_aeron_error(err);
        return -1;
    }
    if (0 == rc)
    {
        return 0;
    }
    if (arena_length < TP_AERONC_MIN_ARENA)
    {
        arena_length = TP_AERONC_MIN_ARENA;
    }
    if (capacity < 1)
    {
        capacity = 1;
    }
    tp_aeronc_batch *b = calloc(1, sizeof(tp_aeronc_batch));
    if (NULL == b)
    {
        set_error(err, 0, "out of memory for a subscription's batch");
        api.aeron_subscription_close(subscription, NULL, NULL);
        return -1;
    }
    b->subscription = subscription;
    b->counters = api.aeron_counters_reader(client);
    b->arena = malloc(arena_length);
    b->arena_length = arena_length;
    b->messages = calloc((size_t)capacity, sizeof(tp_aeronc_message));
    b->capacity = capacity;
    if (NULL == b->arena || NULL == b->messages)
    {
        set_error(err, 0, "out of memory for a subscription's batch");
        free_batch(b, 0);
        api.aeron_subscription_close(subscription, NULL, NULL);
        return -1;
    }
    if (api.aeron_controlled_fragment_assembler_create(&b->assembler, collect, b) < 0)
    {
        set_aeron_error(err);
        b->assembler = NULL;
        free_batch(b, 0);
        api.aeron_subscription_close(subscription, NULL, NULL);
        return -1;
    }
    *batch = (tp_aeronc_handle)b;
    *messages = b->messages;
    *commits = b->commits;
    return 1;
}

int tp_aeronc_cancel_subscription(aeron_t *client, void *async, tp_aeronc_error *err)
{
    if (api.aeron_async_add_subscription_cancel(client, async) < 0)
    {
        set_aeron_error(err);
        return -1;
    }
    return 0;
}

int tp_aeronc_close_subscription(tp_aeronc_handle batch, int64_t *closed, tp_aeronc_error *err)
{
    aeron_notification_t on_closed = NULL == closed ? NULL : count_closed;
    if (api.aeron_subscription_close(((tp_aeronc_batch *)batch)->subscription, on_closed, closed) < 0)
    {
        set_aeron_error(err);
        return -1;
    }
    return 0;
}

void tp_aeronc_free_batch(tp_aeronc_handle batch, int32_t release_images)
{
    free_batch((tp_aeronc_batch *)batch, release_images);
}

// tp_aeronc_poll visits the images round robin, starting one further each poll so none is
// starved, as the C client's own subscription poll does.
tp_aeronc_poll_result tp_aeronc_poll(tp_aeronc_handle batch, size_t fragment_limit)
{
    tp_aeronc_batch *b = (tp_aeronc_batch *)batch;
    release(b);
    b->count = 0;
    b->arena_used = 0;
    b->full = 0;
    b->fragments = 0;
    b->fragment_limit = fragment_limit;
    int images = api.aeron_subscription_image_count(b->subscription);
    if (images > 0)
    {
        size_t length = (size_t)images;
        size_t start = b->round_robin++;
        if (start >= length)
        {
            b->round_robin = 1;
            start = 0;
        }
        for (size_t i = 0; i < length && b->fragments < fragment_limit && !b->full; i++)
        {
            if (TP_AERONC_BATCH_IMAGES == b->image_count)
            {
                b->full = 1;
                break;
            }
            size_t index = start + i < length ? start + i : start + i - length;
            // The list may change between calls (the conductor adds and removes images):
            // an index past its end finds none, and an image met twice is read once.
            aeron_image_t *image = api.aeron_subscription_image_at_index(b->subscription, index);
            if (NULL == image)
            {
                continue;
            }
            if (batch_holds(b, image))
            {
                api.aeron_image_release(image);
                continue;
            }
            peek(b, image);
        }
    }
    tp_aeronc_poll_result result = { (int32_t)b->fragments, b->count, b->full, b->image_count };
    return result;
}

int32_t tp_aeronc_subscription_is_connected(tp_aeronc_handle batch)
{
    return api.aeron_subscription_is_connected(((tp_aeronc_batch *)batch)->subscription) ? 1 : 0;
}

int32_t tp_aeronc_subscription_image_count(tp_aeronc_handle batch)
{
    return api.aeron_subscription_image_count(((tp_aeronc_batch *)batch)->subscription);
}

// ---- counters ----

int tp_aeronc_add_counter(
    aeron_t *client,
    int32_t type_id,
    const uint8_t *key,
    size_t key_length,
    const char *label,
    size_t label_length,
    void **async,
    tp_aeronc_error *err)
{
    if (api.aeron_async_add_counter(
        (aeron_async_add_counter_t **)async, client, type_id, key, key_length, label, label_length) < 0)
    {
        set_aeron_error(err);
        return -1;
    }
    return 0;
}

int tp_aeronc_poll_counter(void *async, tp_aeronc_counter_info *info, tp_aeronc_error *err)
{
    aeron_counter_t *counter = NULL;
    int rc = api.aeron_async_add_counter_poll(&counter, async);
    if (rc < 0)
    {
        set_aeron_error(err);
        return -1;
    }
    if (0 == rc)
    {
        return 0;
    }
    aeron_counter_constants_t constants;
    if (api.aeron_counter_constants(counter, &constants) < 0)
    {
        set_aeron_error(err);
        api.aeron_counter_close(counter, NULL, NULL);
        return -1;
    }
    info->counter = counter;
    info->value = api.aeron_counter_addr(counter);
    info->registration_id = constants.registration_id;
    info->counter_id = constants.counter_id;
    return 1;
}

int tp_aeronc_cancel_counter(aeron_t *client, void *async, tp_aeronc_error *err)
{
    if (api.aeron_async_add_counter_cancel(client, async) < 0)
    {
        set_aeron_error(err);
        return -1;
    }
    return 0;
}

int tp_aeronc_close_counter(aeron_counter_t *counter, int64_t *closed, tp_aeronc_error *err)
{
    aeron_notification_t on_closed = NULL == closed ? NULL : count_closed;
    if (api.aeron_counter_close(counter, on_closed, closed) < 0)
    {
        set_aeron_error(err);
        return -1;
    }
    return 0;
}

//go:build aeronc

// What the Go side of package aeronc calls: a loader that opens libaeron at run time and
// small C functions over the Aeron C client API, each doing in one cgo call what would
// otherwise take several. Declarations only (the definitions are in capi.c), so the Go
// file that exports callbacks may include it.
#ifndef TP_AERONC_CAPI_H
#define TP_AERONC_CAPI_H

#include "capi_structs.h"
#include "capi_functions.h"

// The Aeron C client's types, as this package sees them: opaque handles and callbacks.
typedef struct tp_aeronc_context_st aeron_context_t;
typedef struct tp_aeronc_client_st aeron_t;
typedef struct tp_aeronc_publication_st aeron_publication_t;
typedef struct tp_aeronc_exclusive_publication_st aeron_exclusive_publication_t;
typedef struct tp_aeronc_subscription_st aeron_subscription_t;
typedef struct tp_aeronc_image_st aeron_image_t;
typedef struct tp_aeronc_counter_st aeron_counter_t;
typedef struct tp_aeronc_counters_reader_st aeron_counters_reader_t;
typedef struct tp_aeronc_header_st aeron_header_t;
typedef struct tp_aeronc_registering_st aeron_async_add_publication_t;
typedef struct tp_aeronc_registering_st aeron_async_add_exclusive_publication_t;
typedef struct tp_aeronc_registering_st aeron_async_add_subscription_t;
typedef struct tp_aeronc_registering_st aeron_async_add_counter_t;
typedef struct tp_aeronc_controlled_fragment_assembler_st aeron_controlled_fragment_assembler_t;
typedef tp_aeronc_buffer_claim aeron_buffer_claim_t;
typedef tp_aeronc_header_values aeron_header_values_t;
typedef tp_aeronc_publication_constants aeron_publication_constants_t;
typedef tp_aeronc_counter_constants aeron_counter_constants_t;
typedef tp_aeronc_image_constants aeron_image_constants_t;
// An enum in the API, of int's size (declcheck.c checks).
typedef int aeron_controlled_fragment_handler_action_t;
#define TP_AERONC_CALLBACK_TYPEDEF(result, name, params) typedef result (*name) params;
TP_AERONC_CALLBACKS(TP_AERONC_CALLBACK_TYPEDEF)
#undef TP_AERONC_CALLBACK_TYPEDEF

// An error of a call into libaeron: its aeron_errcode and aeron_errmsg, read on the thread
// that made the call (they are thread-local there), message truncated.
typedef struct tp_aeronc_error_st
{
    int32_t code;
    char message[1024];
}
tp_aeronc_error;

// tp_aeronc_load opens the library at path and resolves every function this package
// calls; 0 on success (also when already loaded), -1 with err set otherwise.
int tp_aeronc_load(const char *path, tp_aeronc_error *err);
// The loaded library's version.
const char *tp_aeronc_version_full(void);
int tp_aeronc_version_major(void);
int tp_aeronc_version_minor(void);

// tp_aeronc_options configures a client.
typedef struct tp_aeronc_options_st
{
    // NULL or zero keeps the C client's default.
    const char *dir;
    const char *client_name;
    uint64_t driver_timeout_ms;
    uint64_t keepalive_interval_ns;
    uint64_t resource_linger_ns;
    uint64_t idle_sleep_ns;
    uintptr_t error_handle; // handed to tpAeroncOnError with every error
    int32_t use_invoker;
}
tp_aeronc_options;

// tp_aeronc_connect makes and starts a client; its aeron.dir goes to dir (NUL-terminated,
// truncated to dir_length). 0 or -1 with err set.
int tp_aeronc_connect(
    const tp_aeronc_options *options,
    aeron_t **client,
    aeron_context_t **context,
    char *dir,
    size_t dir_length,
    tp_aeronc_error *err);
// tp_aeronc_do_work runs one conductor duty cycle (invoker mode): the work done, or -1
// once the client has closed itself.
int tp_aeronc_do_work(aeron_t *client);
int tp_aeronc_is_closed(aeron_t *client);
int64_t tp_aeronc_client_id(aeron_t *client);
// tp_aeronc_close closes the client (every resource with it) and then its context.
void tp_aeronc_close(aeron_t *client, aeron_context_t *context);

// Adds. Each returns 0 with *async set, or -1 with err set; a poll returns 1 when done
// (resource filled in), 0 while pending, -1 with err set when the add failed. A polled
// or canceled async is the C client's again: it must not be used after.
int tp_aeronc_add_publication(
    aeron_t *client, const char *channel, int32_t stream_id, int32_t exclusive, void **async, tp_aeronc_error *err);

// The Go side holds the publications and batches it passes on every data path call as
// integers (tp_aeronc_handle): they are C memory, and an integer is an argument cgo has no
// Go pointer to look for in, a check it would make for every call with a pointer to an
// opaque type.
typedef uintptr_t tp_aeronc_handle;

typedef struct tp_aeronc_publication_info_st
{
    tp_aeronc_handle publication; // an aeron_publication_t, or aeron_exclusive_publication_t when exclusive
    int64_t registration_id;
    int64_t max_payload_length;
    int64_t max_message_length;
    int32_t session_id;
    int32_t stream_id;
}
tp_aeronc_publication_info;

int tp_aeronc_poll_publication(void *async, int32_t exclusive, tp_aeronc_publication_info *info, tp_aeronc_error *err);
int tp_aeronc_cancel_publication(aeron_t *client, void *async, int32_t exclusive, tp_aeronc_error *err);
// The close functions take closed, NULL or a count the C client's conductor increments once
// it has sent the media driver the resource's remove command (on_close_complete).
int tp_aeronc_close_publication(tp_aeronc_handle publication, int32_t exclusive, int64_t *closed, tp_aeronc_error *err);

// The data path of a publication: one call each.
typedef struct tp_aeronc_claim_st
{
    int64_t result;
    uint8_t *frame; // the claimed frame's header, when result > 0
}
tp_aeronc_claim;

int64_t tp_aeronc_offer(tp_aeronc_handle publication, int32_t exclusive, const uint8_t *buffer, size_t length);
tp_aeronc_claim tp_aeronc_try_claim(tp_aeronc_handle publication, int32_t exclusive, size_t length);
int32_t tp_aeronc_publication_is_connected(tp_aeronc_handle publication, int32_t exclusive);
int64_t tp_aeronc_publication_position(tp_aeronc_handle publication, int32_t exclusive);

// A message a poll collected: its bytes and its header. An unfragmented message is read in
// place, in the log; a reassembled one is in the batch's arena or, when larger than the
// arena, in the fragment assembler's buffer.
typedef struct tp_aeronc_message_st
{
    const uint8_t *data;
    int64_t position;
    int64_t reserved_value;
    int32_t length;
    int32_t session_id;
    int32_t stream_id;
    int32_t unused;
}
tp_aeronc_message;

// A batch (tp_aeronc_batch in capi.c, a handle here) is a subscription with what its polls
// collect into: a fragment assembler, an arena for reassembled messages, the messages'
// list and the images the last poll read from. The Go Subscription owns it.

// What one poll collected: the fragments it read, the messages in the list, whether it
// stopped for want of room (more may be waiting), and how many images it read from: the
// first that many entries of the batch's commits.
typedef struct tp_aeronc_poll_result_st
{
    int32_t fragments;
    int32_t count;
    int32_t full;
    int32_t images;
}
tp_aeronc_poll_result;

// The images one poll may read from before it stops and leaves the rest to the next poll.
#define TP_AERONC_BATCH_IMAGES 16

// A commit moves an image's subscriber position past what a poll read from it, once Go has
// handed those messages on: Go compares and swaps *subscriber_position (the image's
// position counter in the client's counters) from `from` to `to`, as libaeron's own image
// poll stores it after its handler ran, and without a call into C.
typedef struct tp_aeronc_commit_st
{
    int64_t *subscriber_position;
    int64_t from;
    int64_t to;
}
tp_aeronc_commit;

int tp_aeronc_add_subscription(
    aeron_t *client, const char *channel, int32_t stream_id, void **async, tp_aeronc_error *err);
// tp_aeronc_poll_subscription completes the add into a new batch of arena_length bytes
// (at least TP_AERONC_MIN_ARENA) and capacity messages, and returns its message list and
// its TP_AERONC_BATCH_IMAGES commits.
int tp_aeronc_poll_subscription(
    aeron_t *client,
    void *async,
    size_t arena_length,
    int32_t capacity,
    tp_aeronc_handle *batch,
    tp_aeronc_message **messages,
    tp_aeronc_commit **commits,
    tp_aeronc_error *err);
int tp_aeronc_cancel_subscription(aeron_t *client, void *async, tp_aeronc_error *err);
int tp_aeronc_close_subscription(tp_aeronc_handle batch, int64_t *closed, tp_aeronc_error *err);
// tp_aeronc_free_batch frees a batch whose subscription is closed. With release_images it
// gives back the images the batch still holds; without, their client is closed and they
// are gone with it.
void tp_aeronc_free_batch(tp_aeronc_handle batch, int32_t release_images);
// tp_aeronc_poll gives back the images the batch's previous poll read from, then reads up
// to fragment_limit fragments into the batch, leaving every position where it is: the
// images it reads from stay retained, so their logs stay mapped and the messages in place,
// until the next poll or the batch's free. Go commits what it handed on (the batch's
// commits); what it did not commit is read again.
tp_aeronc_poll_result tp_aeronc_poll(tp_aeronc_handle batch, size_t fragment_limit);
int32_t tp_aeronc_subscription_is_connected(tp_aeronc_handle batch);
int32_t tp_aeronc_subscription_image_count(tp_aeronc_handle batch);

// The smallest arena for reassembled messages.
#define TP_AERONC_MIN_ARENA (64 * 1024)

int tp_aeronc_add_counter(
    aeron_t *client,
    int32_t type_id,
    const uint8_t *key,
    size_t key_length,
    const char *label,
    size_t label_length,
    void **async,
    tp_aeronc_error *err);

typedef struct tp_aeronc_counter_info_st
{
    aeron_counter_t *counter;
    int64_t *value;
    int64_t registration_id;
    int32_t counter_id;
}
tp_aeronc_counter_info;

int tp_aeronc_poll_counter(void *async, tp_aeronc_counter_info *info, tp_aeronc_error *err);
int tp_aeronc_cancel_counter(aeron_t *client, void *async, tp_aeronc_error *err);
int tp_aeronc_close_counter(aeron_counter_t *counter, int64_t *closed, tp_aeronc_error *err);

#endif

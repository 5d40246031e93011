// The parts of libtensorpool.so written in C: the per-thread error slot, which must
// live in exactly one translation unit, the error and version strings, the call
// through a frame handler pointer, which Go cannot make itself, with the per-thread
// record of the handlers running, and the re-check of a polled frame, which must not
// cost a call into Go.
#include <stdio.h>
#include <string.h>

#include "support.h"

static __thread char tp_error_message[TP_ERROR_MAX];
static __thread tp_err_t tp_error_code = TP_OK;

void tp_set_error(tp_err_t code, const char *message, size_t length)
{
    if (length >= sizeof(tp_error_message))
    {
        length = sizeof(tp_error_message) - 1;
    }
    memcpy(tp_error_message, message, length);
    tp_error_message[length] = '\0';
    tp_error_code = code;
}

const char *tp_errmsg(void)
{
    return tp_error_message;
}

tp_err_t tp_errcode(void)
{
    return tp_error_code;
}

const char *tp_err_str(tp_err_t err)
{
    switch (err)
    {
        case TP_OK: return "ok";
        case TP_ERR_ARG: return "invalid argument";
        case TP_ERR_AERON: return "aeron error";
        case TP_ERR_TIMEOUT: return "timed out";
        case TP_ERR_PROTOCOL: return "protocol error";
        case TP_ERR_SHM: return "shared memory error";
        case TP_ERR_IO: return "i/o error";
        case TP_ERR_NOMEM: return "out of memory";
        case TP_ERR_UNSUPPORTED: return "unsupported";
        case TP_ERR_BUSY: return "busy, try again";
        case TP_ERR_NOT_FOUND: return "not found";
    }
    return "unknown error";
}

void tp_call_error_handler(uintptr_t handler, uintptr_t clientd, tp_err_t code, const char *message)
{
    ((tp_error_handler_t)handler)((void *)clientd, code, message);
}

const char *tp_version(void)
{
    return "tensorpool " TP_VERSION;
}

// The frame handler calls running on this thread, innermost first, each naming its
// consumer and that consumer's client. A handler may poll another consumer, whose handler
// then runs inside it, so this is a list kept on the C stack, not a single slot.
typedef struct tp_handler_call_stct
{
    uint64_t consumer;
    uintptr_t client;
    bool close_client; // tp_client_close(client) was deferred to this call's poll
    struct tp_handler_call_stct *outer;
}
tp_handler_call_t;

static __thread tp_handler_call_t *tp_handler_calls;

// handler, clientd and view come as integers: see tpConsumer.onFrame. True when the
// poll that made this call is to close client once it returns (tp_defer_client_close).
bool tp_call_frame_handler(uintptr_t handler, uintptr_t clientd, uintptr_t view, uint64_t consumer, uintptr_t client)
{
    tp_handler_call_t call = {consumer, client, false, tp_handler_calls};
    tp_handler_calls = &call;
    ((tp_frame_handler_t)handler)((void *)clientd, (const tp_frame_view_t *)view);
    tp_handler_calls = call.outer;
    return call.close_client;
}

// Whether this thread is inside a frame handler of consumer, however deeply.
bool tp_in_frame_handler(uint64_t consumer)
{
    for (const tp_handler_call_t *call = tp_handler_calls; call != NULL; call = call->outer)
    {
        if (call->consumer == consumer)
        {
            return true;
        }
    }
    return false;
}

// When this thread is inside a frame handler of some consumer of client, marks the
// outermost such call, so that its poll closes client once it returns, and returns
// true. Only then are none of client's consumers locked by this thread's polls.
bool tp_defer_client_close(uintptr_t client)
{
    tp_handler_call_t *outermost = NULL;
    for (tp_handler_call_t *call = tp_handler_calls; call != NULL; call = call->outer)
    {
        if (call->client == client)
        {
            outermost = call;
        }
    }
    if (outermost == NULL)
    {
        return false;
    }
    outermost->close_client = true;
    return true;
}

// The consumer's seqlock re-check (wire spec §8.3, consumer step 4) for a frame of
// tp_consumer_poll_batch, in C: the acquire fence keeps the caller's earlier reads of the
// payload before the load of the word (a compiler barrier on x86, a load barrier on weakly
// ordered CPUs), and the word still holding what the frame was read under means the
// producer has not begun to overwrite the slot (it stores the in-progress word before
// writing anything else).
bool tp_polled_frame_is_valid(const tp_polled_frame_t *frame)
{
    if (frame == NULL || frame->seq_commit_word == NULL)
    {
        return false;
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return __atomic_load_n(frame->seq_commit_word, __ATOMIC_RELAXED) == frame->view.seq_commit;
}

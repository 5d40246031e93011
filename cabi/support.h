// Declarations shared by the Go files of libtensorpool.so and support.c. The public
// prototypes live in include/tensorpool_client.h; this header repeats only the types
// the Go side needs, because cgo declares each exported function itself.
#ifndef TENSORPOOL_CABI_SUPPORT_H
#define TENSORPOOL_CABI_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tensorpool_errors.h"
#include "tensorpool_types.h"

#define TP_VERSION "0.1.0"
#define TP_ERROR_MAX 1024

typedef struct tp_context_stct tp_context_t;
typedef struct tp_client_stct tp_client_t;
typedef struct tp_producer_stct tp_producer_t;
typedef struct tp_consumer_stct tp_consumer_t;
typedef struct tp_qos_monitor_stct tp_qos_monitor_t;
typedef struct tp_metadata_cache_stct tp_metadata_cache_t;
typedef struct tp_discovery_client_stct tp_discovery_client_t;
typedef void (*tp_frame_handler_t)(void *clientd, const tp_frame_view_t *frame);
typedef void (*tp_error_handler_t)(void *clientd, tp_err_t code, const char *message);

void tp_set_error(tp_err_t code, const char *message, size_t length);
void tp_call_error_handler(uintptr_t handler, uintptr_t clientd, tp_err_t code, const char *message);
bool tp_call_frame_handler(uintptr_t handler, uintptr_t clientd, uintptr_t view, uint64_t consumer, uintptr_t client);
bool tp_in_frame_handler(uint64_t consumer);
bool tp_defer_client_close(uintptr_t client);

// Handles are tokens, never dereferenced: these turn them into and out of the
// opaque pointer types of the API.
static inline void *tp_token(uintptr_t h) { return (void *)h; }

#endif

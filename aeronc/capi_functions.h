//go:build aeronc

// The functions of the Aeron C client API (aeronc.h) this package calls, and the callback
// types they take, one X(result, name, (parameters)) entry each, written from the API
// documentation. capi.h makes typedefs of the callbacks and capi.c a table of function
// pointers that it fills with dlsym; testdata/declcheck.c expands both next to an
// installed aeronc.h, where any difference is a compile error.
#ifndef TP_AERONC_CAPI_FUNCTIONS_H
#define TP_AERONC_CAPI_FUNCTIONS_H

// The callback types, X(result, name, (parameters)) each, for function pointer typedefs.
#define TP_AERONC_CALLBACKS(X) \
    X(void, aeron_error_handler_t, (void *clientd, int errcode, const char *message)) \
    X(void, aeron_notification_t, (void *clientd)) \
    X(int64_t, aeron_reserved_value_supplier_t, (void *clientd, uint8_t *buffer, size_t frame_length)) \
    X(void, aeron_on_available_image_t, (void *clientd, aeron_subscription_t *subscription, aeron_image_t *image)) \
    X(void, aeron_on_unavailable_image_t, \
        (void *clientd, aeron_subscription_t *subscription, aeron_image_t *image)) \
    X(aeron_controlled_fragment_handler_action_t, aeron_controlled_fragment_handler_t, \
        (void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header))

#define TP_AERONC_FUNCTIONS(X) \
    X(int, aeron_context_init, (aeron_context_t **context)) \
    X(int, aeron_context_close, (aeron_context_t *context)) \
    X(int, aeron_context_set_dir, (aeron_context_t *context, const char *value)) \
    X(const char *, aeron_context_get_dir, (aeron_context_t *context)) \
    X(int, aeron_context_set_driver_timeout_ms, (aeron_context_t *context, uint64_t value)) \
    X(int, aeron_context_set_keepalive_interval_ns, (aeron_context_t *context, uint64_t value)) \
    X(int, aeron_context_set_resource_linger_duration_ns, (aeron_context_t *context, uint64_t value)) \
    X(int, aeron_context_set_idle_sleep_duration_ns, (aeron_context_t *context, uint64_t value)) \
    X(int, aeron_context_set_client_name, (aeron_context_t *context, const char *value)) \
    X(int, aeron_context_set_error_handler, \
        (aeron_context_t *context, aeron_error_handler_t handler, void *clientd)) \
    X(int, aeron_context_set_use_conductor_agent_invoker, (aeron_context_t *context, bool value)) \
    X(int, aeron_init, (aeron_t **client, aeron_context_t *context)) \
    X(int, aeron_start, (aeron_t *client)) \
    X(int, aeron_main_do_work, (aeron_t *client)) \
    X(int, aeron_close, (aeron_t *client)) \
    X(bool, aeron_is_closed, (aeron_t *client)) \
    X(aeron_counters_reader_t *, aeron_counters_reader, (aeron_t *client)) \
    X(int64_t *, aeron_counters_reader_addr, (aeron_counters_reader_t *counters_reader, int32_t counter_id)) \
    X(int64_t, aeron_client_id, (aeron_t *client)) \
    X(int, aeron_errcode, (void)) \
    X(const char *, aeron_errmsg, (void)) \
    X(const char *, aeron_version_full, (void)) \
    X(int, aeron_version_major, (void)) \
    X(int, aeron_version_minor, (void)) \
    X(int, aeron_version_patch, (void)) \
    X(int, aeron_async_add_publication, \
        (aeron_async_add_publication_t **async, aeron_t *client, const char *uri, int32_t stream_id)) \
    X(int, aeron_async_add_publication_poll, \
        (aeron_publication_t **publication, aeron_async_add_publication_t *async)) \
    X(int, aeron_async_add_publication_cancel, (aeron_t *client, aeron_async_add_publication_t *async)) \
    X(int, aeron_async_add_exclusive_publication, \
        (aeron_async_add_exclusive_publication_t **async, aeron_t *client, const char *uri, int32_t stream_id)) \
    X(int, aeron_async_add_exclusive_publication_poll, \
        (aeron_exclusive_publication_t **publication, aeron_async_add_exclusive_publication_t *async)) \
    X(int, aeron_async_add_exclusive_publication_cancel, \
        (aeron_t *client, aeron_async_add_exclusive_publication_t *async)) \
    X(int, aeron_async_add_subscription, \
        (aeron_async_add_subscription_t **async, aeron_t *client, const char *uri, int32_t stream_id, \
        aeron_on_available_image_t on_available_image_handler, void *on_available_image_clientd, \
        aeron_on_unavailable_image_t on_unavailable_image_handler, void *on_unavailable_image_clientd)) \
    X(int, aeron_async_add_subscription_poll, \
        (aeron_subscription_t **subscription, aeron_async_add_subscription_t *async)) \
    X(int, aeron_async_add_subscription_cancel, (aeron_t *client, aeron_async_add_subscription_t *async)) \
    X(int, aeron_async_add_counter, \
        (aeron_async_add_counter_t **async, aeron_t *client, int32_t type_id, const uint8_t *key_buffer, \
        size_t key_buffer_length, const char *label_buffer, size_t label_buffer_length)) \
    X(int, aeron_async_add_counter_poll, (aeron_counter_t **counter, aeron_async_add_counter_t *async)) \
    X(int, aeron_async_add_counter_cancel, (aeron_t *client, aeron_async_add_counter_t *async)) \
    X(int64_t, aeron_publication_offer, \
        (aeron_publication_t *publication, const uint8_t *buffer, size_t length, \
        aeron_reserved_value_supplier_t reserved_value_supplier, void *clientd)) \
    X(int64_t, aeron_publication_try_claim, \
        (aeron_publication_t *publication, size_t length, aeron_buffer_claim_t *buffer_claim)) \
    X(bool, aeron_publication_is_connected, (aeron_publication_t *publication)) \
    X(int64_t, aeron_publication_position, (aeron_publication_t *publication)) \
    X(int, aeron_publication_constants, \
        (aeron_publication_t *publication, aeron_publication_constants_t *constants)) \
    X(int, aeron_publication_close, \
        (aeron_publication_t *publication, aeron_notification_t on_close_complete, void *on_close_complete_clientd)) \
    X(int64_t, aeron_exclusive_publication_offer, \
        (aeron_exclusive_publication_t *publication, const uint8_t *buffer, size_t length, \
        aeron_reserved_value_supplier_t reserved_value_supplier, void *clientd)) \
    X(int64_t, aeron_exclusive_publication_try_claim, \
        (aeron_exclusive_publication_t *publication, size_t length, aeron_buffer_claim_t *buffer_claim)) \
    X(bool, aeron_exclusive_publication_is_connected, (aeron_exclusive_publication_t *publication)) \
    X(int64_t, aeron_exclusive_publication_position, (aeron_exclusive_publication_t *publication)) \
    X(int, aeron_exclusive_publication_constants, \
        (aeron_exclusive_publication_t *publication, aeron_publication_constants_t *constants)) \
    X(int, aeron_exclusive_publication_close, \
        (aeron_exclusive_publication_t *publication, aeron_notification_t on_close_complete, \
        void *on_close_complete_clientd)) \
    X(aeron_image_t *, aeron_subscription_image_at_index, (aeron_subscription_t *subscription, size_t index)) \
    X(int, aeron_image_release, (aeron_image_t *image)) \
    X(int64_t, aeron_image_position, (aeron_image_t *image)) \
    X(int, aeron_image_constants, (aeron_image_t *image, aeron_image_constants_t *constants)) \
    X(int64_t, aeron_image_controlled_peek, \
        (aeron_image_t *image, int64_t initial_position, aeron_controlled_fragment_handler_t handler, void *clientd, \
        int64_t limit_position)) \
    X(bool, aeron_subscription_is_connected, (aeron_subscription_t *subscription)) \
    X(int, aeron_subscription_image_count, (aeron_subscription_t *subscription)) \
    X(int, aeron_subscription_close, \
        (aeron_subscription_t *subscription, aeron_notification_t on_close_complete, void *on_close_complete_clientd)) \
    X(int, aeron_controlled_fragment_assembler_create, \
        (aeron_controlled_fragment_assembler_t **assembler, aeron_controlled_fragment_handler_t delegate, \
        void *delegate_clientd)) \
    X(int, aeron_controlled_fragment_assembler_delete, (aeron_controlled_fragment_assembler_t *assembler)) \
    X(aeron_controlled_fragment_handler_action_t, aeron_controlled_fragment_assembler_handler, \
        (void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)) \
    X(int, aeron_header_values, (aeron_header_t *header, aeron_header_values_t *values)) \
    X(int64_t, aeron_header_position, (aeron_header_t *header)) \
    X(int64_t *, aeron_counter_addr, (aeron_counter_t *counter)) \
    X(int, aeron_counter_constants, (aeron_counter_t *counter, aeron_counter_constants_t *constants)) \
    X(int, aeron_counter_close, \
        (aeron_counter_t *counter, aeron_notification_t on_close_complete, void *on_close_complete_clientd))

#endif

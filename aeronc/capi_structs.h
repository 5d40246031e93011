//go:build aeronc

// The structs of the Aeron C client API (aeronc.h) that this package reads or fills,
// under names of our own: the fields, their types and their order are the API's, as its
// documentation gives them. testdata/declcheck.c checks each layout against an installed
// aeronc.h (TestDeclarationsMatchTheInstalledHeader).
#ifndef TP_AERONC_CAPI_STRUCTS_H
#define TP_AERONC_CAPI_STRUCTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// aeron_buffer_claim_t: a try-claimed frame. frame_header points at the frame's 32-byte
// data header, data at the payload just after it.
typedef struct tp_aeronc_buffer_claim_st
{
    uint8_t *frame_header;
    uint8_t *data;
    size_t length;
}
tp_aeronc_buffer_claim;

// aeron_header_values_t: a data frame header and the stream's term geometry. The API
// declares it with 4-byte packing.
#pragma pack(push)
#pragma pack(4)
typedef struct tp_aeronc_header_values_frame_st
{
    int32_t frame_length;
    int8_t version;
    uint8_t flags;
    int16_t type;
    int32_t term_offset;
    int32_t session_id;
    int32_t stream_id;
    int32_t term_id;
    int64_t reserved_value;
}
tp_aeronc_header_values_frame;

typedef struct tp_aeronc_header_values_st
{
    tp_aeronc_header_values_frame frame;
    int32_t initial_term_id;
    size_t position_bits_to_shift;
}
tp_aeronc_header_values;
#pragma pack(pop)

// aeron_publication_constants_t, shared by concurrent and exclusive publications.
typedef struct tp_aeronc_publication_constants_st
{
    const char *channel;
    int64_t original_registration_id;
    int64_t registration_id;
    int64_t max_possible_position;
    size_t position_bits_to_shift;
    size_t term_buffer_length;
    size_t max_message_length;
    size_t max_payload_length;
    int32_t stream_id;
    int32_t session_id;
    int32_t initial_term_id;
    int32_t publication_limit_counter_id;
    int32_t channel_status_indicator_id;
}
tp_aeronc_publication_constants;

// aeron_counter_constants_t.
typedef struct tp_aeronc_counter_constants_st
{
    int64_t correlation_id;
    int64_t registration_id;
    int32_t counter_id;
}
tp_aeronc_counter_constants;

// aeron_image_constants_t.
typedef struct tp_aeronc_image_constants_st
{
    struct tp_aeronc_subscription_st *subscription;
    const char *source_identity;
    int64_t correlation_id;
    int64_t join_position;
    size_t position_bits_to_shift;
    size_t term_buffer_length;
    size_t mtu_length;
    int32_t session_id;
    int32_t initial_term_id;
    int32_t subscriber_position_id;
}
tp_aeronc_image_constants;

// aeron_controlled_fragment_handler_action_t's values.
enum
{
    TP_AERONC_ACTION_ABORT = 1,
    TP_AERONC_ACTION_BREAK = 2,
    TP_AERONC_ACTION_COMMIT = 3,
    TP_AERONC_ACTION_CONTINUE = 4
};

// A data frame in a term, as the Aeron protocol lays it out (little-endian): the payload a
// fragment handler is given follows the frame's 32-byte header.
enum
{
    TP_AERONC_DATA_HEADER_LENGTH = 32,
    TP_AERONC_FRAME_ALIGNMENT = 32,
    TP_AERONC_FRAME_LENGTH_OFFSET = 0,
    TP_AERONC_FRAME_FLAGS_OFFSET = 5,
    TP_AERONC_FRAME_TERM_OFFSET_OFFSET = 8,
    TP_AERONC_FRAME_SESSION_ID_OFFSET = 12,
    TP_AERONC_FRAME_STREAM_ID_OFFSET = 16,
    TP_AERONC_FRAME_RESERVED_VALUE_OFFSET = 24,
    // The BEGIN and END flags: a whole message in one frame.
    TP_AERONC_FRAME_UNFRAGMENTED = 0xC0
};

// The C client's error codes that end it (they come with the client closing itself).
enum
{
    TP_AERONC_ERROR_DRIVER_TIMEOUT = 1000,
    TP_AERONC_ERROR_CLIENT_TIMEOUT = 1001,
    TP_AERONC_ERROR_CONDUCTOR_SERVICE_TIMEOUT = 1002
};

#endif

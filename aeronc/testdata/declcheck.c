// Compiled by TestDeclarationsMatchTheInstalledHeader next to an installed aeronc.h, never
// built into the package: every function this package declares must redeclare the
// header's prototype exactly, every callback type must be the header's, and every struct
// it declares must have the header's layout. Any difference fails the compile.
#include <stddef.h>

#include <aeronc.h>

#include "../capi_structs.h"
#include "../capi_functions.h"

#define TP_REDECLARE(result, name, params) result name params;
TP_AERONC_FUNCTIONS(TP_REDECLARE)

#define TP_SAME_CALLBACK(result, name, params) \
    typedef result (*tp_check_##name) params; \
    _Static_assert(__builtin_types_compatible_p(tp_check_##name, name), #name " differs");
TP_AERONC_CALLBACKS(TP_SAME_CALLBACK)

_Static_assert(sizeof(aeron_controlled_fragment_handler_action_t) == sizeof(int), "action enum is not an int");

#define TP_SAME_SIZE(ours, theirs) _Static_assert(sizeof(ours) == sizeof(theirs), #theirs " size differs");
#define TP_SAME_FIELD(ours, theirs, field) \
    _Static_assert( \
        offsetof(ours, field) == offsetof(theirs, field) && \
        sizeof(((ours *)0)->field) == sizeof(((theirs *)0)->field), \
        #theirs "." #field " differs");

TP_SAME_SIZE(tp_aeronc_buffer_claim, aeron_buffer_claim_t)
TP_SAME_FIELD(tp_aeronc_buffer_claim, aeron_buffer_claim_t, frame_header)
TP_SAME_FIELD(tp_aeronc_buffer_claim, aeron_buffer_claim_t, data)
TP_SAME_FIELD(tp_aeronc_buffer_claim, aeron_buffer_claim_t, length)

TP_SAME_SIZE(tp_aeronc_header_values_frame, aeron_header_values_frame_t)
TP_SAME_FIELD(tp_aeronc_header_values_frame, aeron_header_values_frame_t, frame_length)
TP_SAME_FIELD(tp_aeronc_header_values_frame, aeron_header_values_frame_t, version)
TP_SAME_FIELD(tp_aeronc_header_values_frame, aeron_header_values_frame_t, flags)
TP_SAME_FIELD(tp_aeronc_header_values_frame, aeron_header_values_frame_t, type)
TP_SAME_FIELD(tp_aeronc_header_values_frame, aeron_header_values_frame_t, term_offset)
TP_SAME_FIELD(tp_aeronc_header_values_frame, aeron_header_values_frame_t, session_id)
TP_SAME_FIELD(tp_aeronc_header_values_frame, aeron_header_values_frame_t, stream_id)
TP_SAME_FIELD(tp_aeronc_header_values_frame, aeron_header_values_frame_t, term_id)
TP_SAME_FIELD(tp_aeronc_header_values_frame, aeron_header_values_frame_t, reserved_value)
TP_SAME_SIZE(tp_aeronc_header_values, aeron_header_values_t)
TP_SAME_FIELD(tp_aeronc_header_values, aeron_header_values_t, frame)
TP_SAME_FIELD(tp_aeronc_header_values, aeron_header_values_t, initial_term_id)
TP_SAME_FIELD(tp_aeronc_header_values, aeron_header_values_t, position_bits_to_shift)

TP_SAME_SIZE(tp_aeronc_publication_constants, aeron_publication_constants_t)
TP_SAME_FIELD(tp_aeronc_publication_constants, aeron_publication_constants_t, channel)
TP_SAME_FIELD(tp_aeronc_publication_constants, aeron_publication_constants_t, original_registration_id)
TP_SAME_FIELD(tp_aeronc_publication_constants, aeron_publication_constants_t, registration_id)
TP_SAME_FIELD(tp_aeronc_publication_constants, aeron_publication_constants_t, max_possible_position)
TP_SAME_FIELD(tp_aeronc_publication_constants, aeron_publication_constants_t, position_bits_to_shift)
TP_SAME_FIELD(tp_aeronc_publication_constants, aeron_publication_constants_t, term_buffer_length)
TP_SAME_FIELD(tp_aeronc_publication_constants, aeron_publication_constants_t, max_message_length)
TP_SAME_FIELD(tp_aeronc_publication_constants, aeron_publication_constants_t, max_payload_length)
TP_SAME_FIELD(tp_aeronc_publication_constants, aeron_publication_constants_t, stream_id)
TP_SAME_FIELD(tp_aeronc_publication_constants, aeron_publication_constants_t, session_id)
TP_SAME_FIELD(tp_aeronc_publication_constants, aeron_publication_constants_t, initial_term_id)
TP_SAME_FIELD(tp_aeronc_publication_constants, aeron_publication_constants_t, publication_limit_counter_id)
TP_SAME_FIELD(tp_aeronc_publication_constants, aeron_publication_constants_t, channel_status_indicator_id)

TP_SAME_SIZE(tp_aeronc_image_constants, aeron_image_constants_t)
TP_SAME_FIELD(tp_aeronc_image_constants, aeron_image_constants_t, subscription)
TP_SAME_FIELD(tp_aeronc_image_constants, aeron_image_constants_t, source_identity)
TP_SAME_FIELD(tp_aeronc_image_constants, aeron_image_constants_t, correlation_id)
TP_SAME_FIELD(tp_aeronc_image_constants, aeron_image_constants_t, join_position)
TP_SAME_FIELD(tp_aeronc_image_constants, aeron_image_constants_t, position_bits_to_shift)
TP_SAME_FIELD(tp_aeronc_image_constants, aeron_image_constants_t, term_buffer_length)
TP_SAME_FIELD(tp_aeronc_image_constants, aeron_image_constants_t, mtu_length)
TP_SAME_FIELD(tp_aeronc_image_constants, aeron_image_constants_t, session_id)
TP_SAME_FIELD(tp_aeronc_image_constants, aeron_image_constants_t, initial_term_id)
TP_SAME_FIELD(tp_aeronc_image_constants, aeron_image_constants_t, subscriber_position_id)

TP_SAME_SIZE(tp_aeronc_counter_constants, aeron_counter_constants_t)
TP_SAME_FIELD(tp_aeronc_counter_constants, aeron_counter_constants_t, correlation_id)
TP_SAME_FIELD(tp_aeronc_counter_constants, aeron_counter_constants_t, registration_id)
TP_SAME_FIELD(tp_aeronc_counter_constants, aeron_counter_constants_t, counter_id)

_Static_assert((int)TP_AERONC_ACTION_ABORT == (int)AERON_ACTION_ABORT, "ABORT differs");
_Static_assert((int)TP_AERONC_ACTION_BREAK == (int)AERON_ACTION_BREAK, "BREAK differs");
_Static_assert((int)TP_AERONC_ACTION_COMMIT == (int)AERON_ACTION_COMMIT, "COMMIT differs");
_Static_assert((int)TP_AERONC_ACTION_CONTINUE == (int)AERON_ACTION_CONTINUE, "CONTINUE differs");
_Static_assert(TP_AERONC_ERROR_DRIVER_TIMEOUT == AERON_CLIENT_ERROR_DRIVER_TIMEOUT, "driver timeout code differs");
_Static_assert(TP_AERONC_ERROR_CLIENT_TIMEOUT == AERON_CLIENT_ERROR_CLIENT_TIMEOUT, "client timeout code differs");
_Static_assert(
    TP_AERONC_ERROR_CONDUCTOR_SERVICE_TIMEOUT == AERON_CLIENT_ERROR_CONDUCTOR_SERVICE_TIMEOUT,
    "conductor service timeout code differs");

// The results of offer and try-claim are passed to Go unchanged as transport's.
_Static_assert(AERON_PUBLICATION_NOT_CONNECTED == -1, "NOT_CONNECTED is not transport.NotConnected");
_Static_assert(AERON_PUBLICATION_BACK_PRESSURED == -2, "BACK_PRESSURED is not transport.BackPressured");
_Static_assert(AERON_PUBLICATION_ADMIN_ACTION == -3, "ADMIN_ACTION is not transport.AdminAction");
_Static_assert(AERON_PUBLICATION_CLOSED == -4, "CLOSED is not transport.Closed");
_Static_assert(AERON_PUBLICATION_MAX_POSITION_EXCEEDED == -5, "MAX_POSITION_EXCEEDED is not transport.MaxPositionExceeded");
_Static_assert(AERON_PUBLICATION_ERROR == -6, "ERROR is not transport.PublicationError");

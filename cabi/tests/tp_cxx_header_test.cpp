// tensorpool.h from C++17 under -Wall -Wextra -Werror -pedantic: it compiles (twice, the
// include guards hold), the function types are what C++ callers spell, and the structs are
// plain data of the same size as in C (tp_header_layout_test.c checks every offset; the
// C++ example, linked against the library, checks the C linkage).
#include "tensorpool.h"
#include "tensorpool.h" // include guards

#include <cstddef>
#include <cstdio>
#include <type_traits>

// Every struct is plain data, usable from C and C++ alike.
static_assert(std::is_standard_layout<tp_frame_view_t>::value, "tp_frame_view_t");
static_assert(std::is_trivially_copyable<tp_frame_view_t>::value, "tp_frame_view_t");
static_assert(std::is_standard_layout<tp_attach_response_t>::value, "tp_attach_response_t");
static_assert(std::is_standard_layout<tp_discovery_entry_t>::value, "tp_discovery_entry_t");
static_assert(std::is_standard_layout<tp_metadata_entry_t>::value, "tp_metadata_entry_t");
static_assert(std::is_trivially_copyable<tp_slot_claim_t>::value, "tp_slot_claim_t");

static_assert(sizeof(tp_pool_desc_t) == 1036, "tp_pool_desc_t");
static_assert(sizeof(tp_attach_response_t) == 18680, "tp_attach_response_t");
static_assert(sizeof(tp_slot_claim_t) == 32, "tp_slot_claim_t");
static_assert(sizeof(tp_tensor_header_t) == 76, "tp_tensor_header_t");
static_assert(sizeof(tp_frame_view_t) == 128, "tp_frame_view_t");
static_assert(sizeof(tp_polled_frame_t) == 144 && offsetof(tp_polled_frame_t, seq_commit_word) == 128 &&
        offsetof(tp_polled_frame_t, trace_id) == 136,
    "tp_polled_frame_t");
static_assert(offsetof(tp_frame_view_t, tensor) == 52, "tp_frame_view_t.tensor");
static_assert(sizeof(tp_qos_producer_snapshot_t) == 32, "tp_qos_producer_snapshot_t");
static_assert(sizeof(tp_qos_consumer_snapshot_t) == 48, "tp_qos_consumer_snapshot_t");
static_assert(sizeof(tp_metadata_attribute_t) == 1028, "tp_metadata_attribute_t");
static_assert(sizeof(tp_metadata_entry_t) == 33448, "tp_metadata_entry_t");
static_assert(sizeof(tp_discovery_pool_entry_t) == 1036, "tp_discovery_pool_entry_t");
static_assert(sizeof(tp_discovery_entry_t) == 20208, "tp_discovery_entry_t");
static_assert(sizeof(tp_producer_stats_t) == 40, "tp_producer_stats_t");
static_assert(sizeof(tp_consumer_stats_t) == 64, "tp_consumer_stats_t");
static_assert(sizeof(tp_err_t) == 4, "tp_err_t");
static_assert(TP_ERR_NOT_FOUND == -10, "tp_err_t values");

// The function types are what C++ callers will spell.
static_assert(std::is_same<decltype(&tp_context_init), tp_err_t (*)(tp_context_t **)>::value, "tp_context_init");
static_assert(std::is_same<decltype(&tp_consumer_poll_frames),
                  int (*)(tp_consumer_t *, tp_frame_handler_t, void *, int)>::value,
    "tp_consumer_poll_frames");
static_assert(std::is_same<decltype(&tp_consumer_frame_is_valid),
                  bool (*)(const tp_consumer_t *, const tp_frame_view_t *)>::value,
    "tp_consumer_frame_is_valid");
static_assert(std::is_same<decltype(&tp_consumer_poll_batch),
                  int (*)(tp_consumer_t *, tp_polled_frame_t *, uint32_t, int)>::value,
    "tp_consumer_poll_batch");
static_assert(std::is_same<decltype(&tp_polled_frame_is_valid), bool (*)(const tp_polled_frame_t *)>::value,
    "tp_polled_frame_is_valid");
static_assert(std::is_same<decltype(&tp_producer_commit_and_claim_next),
                  tp_err_t (*)(tp_producer_t *, tp_slot_claim_t *, uint32_t, const tp_tensor_header_t *, uint32_t,
                      uint32_t, tp_err_t *)>::value,
    "tp_producer_commit_and_claim_next");
static_assert(std::is_same<decltype(&tp_producer_offer_frames),
                  tp_err_t (*)(tp_producer_t *, const tp_frame_offer_t *, uint32_t, uint32_t *)>::value,
    "tp_producer_offer_frames");
static_assert(std::is_same<decltype(&tp_errmsg), const char *(*)()>::value, "tp_errmsg");
static_assert(std::is_same<decltype(&tp_context_set_consumer_progress), tp_err_t (*)(tp_context_t *, bool)>::value,
    "tp_context_set_consumer_progress");
static_assert(std::is_same<decltype(&tp_context_set_wire_version), tp_err_t (*)(tp_context_t *, const char *)>::value,
    "tp_context_set_wire_version");
static_assert(std::is_same<decltype(&tp_consumer_frame_trace_id),
                  tp_err_t (*)(const tp_consumer_t *, const tp_frame_view_t *, uint64_t *)>::value,
    "tp_consumer_frame_trace_id");

int main()
{
    // Aggregates initialise the C++ way.
    tp_tensor_header_t tensor{};
    tensor.ndims = 1;
    tensor.dims[0] = 640;
    tp_frame_view_t view{};
    view.tensor = tensor;
    tp_slot_claim_t claim{};
    std::printf("tensor dims[0] %d, view ndims %u, claim seq %llu\n", view.tensor.dims[0],
        static_cast<unsigned>(view.tensor.ndims), static_cast<unsigned long long>(claim.seq));
    return view.tensor.dims[0] == 640 ? 0 : 1;
}

/*
 * The structs of tensorpool_types.h as C lays them out on LP64 (x86-64 and aarch64, whose
 * rules agree for these types: every field is naturally aligned, a struct is aligned to
 * its widest field). The expected offsets were worked out by hand from those rules; the
 * comments show the sum. A change here is an ABI break: the Go side (cabi) writes these
 * structs by offset, and programs compiled against the reference C client rely on them.
 */
#include <stddef.h>
#include <stdio.h>

#include "tensorpool.h"

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "the expected layouts below are for LP64 x86-64 and aarch64"
#endif

#define OFF(type, field, want) _Static_assert(offsetof(type, field) == (want), #type "." #field " offset")
#define SIZE(type, want) _Static_assert(sizeof(type) == (want), "sizeof(" #type ")")
#define ALIGN(type, want) _Static_assert(_Alignof(type) == (want), "_Alignof(" #type ")")

/* Limits and enumerated values are part of the ABI too. */
_Static_assert(TP_MAX_POOLS == 16, "TP_MAX_POOLS");
_Static_assert(TP_URI_MAX == 1024, "TP_URI_MAX");
_Static_assert(TP_MAX_DIMS == 8, "TP_MAX_DIMS");
_Static_assert(TP_MAX_QOS_ENTRIES == 64, "TP_MAX_QOS_ENTRIES");
_Static_assert(TP_MAX_METADATA_ENTRIES == 64, "TP_MAX_METADATA_ENTRIES");
_Static_assert(TP_MAX_METADATA_ATTRS == 32, "TP_MAX_METADATA_ATTRS");
_Static_assert(TP_METADATA_TEXT_MAX == 256, "TP_METADATA_TEXT_MAX");
_Static_assert(TP_METADATA_VALUE_MAX == 512, "TP_METADATA_VALUE_MAX");
_Static_assert(TP_MAX_DISCOVERY_ENTRIES == 64, "TP_MAX_DISCOVERY_ENTRIES");
_Static_assert(TP_MAX_TAGS == 16, "TP_MAX_TAGS");
_Static_assert(TP_TAG_MAX == 64, "TP_TAG_MAX");
_Static_assert(TP_ROLE_PRODUCER == 1 && TP_ROLE_CONSUMER == 2, "roles");
_Static_assert(TP_CONSUMER_MODE_STREAM == 1 && TP_CONSUMER_MODE_RATE_LIMITED == 2, "consumer modes");
_Static_assert(TP_OK == 0 && TP_ERR_ARG == -1 && TP_ERR_AERON == -2 && TP_ERR_TIMEOUT == -3 &&
                   TP_ERR_PROTOCOL == -4 && TP_ERR_SHM == -5 && TP_ERR_IO == -6 && TP_ERR_NOMEM == -7 &&
                   TP_ERR_UNSUPPORTED == -8 && TP_ERR_BUSY == -9 && TP_ERR_NOT_FOUND == -10,
    "tp_err_t values");
SIZE(tp_err_t, 4);
SIZE(bool, 1);

/* pool_id 2 + pad 2, nslots 4, stride_bytes 4, uri 1024 = 1036 (align 4) */
OFF(tp_pool_desc_t, pool_id, 0);
OFF(tp_pool_desc_t, nslots, 4);
OFF(tp_pool_desc_t, stride_bytes, 8);
OFF(tp_pool_desc_t, uri, 12);
SIZE(tp_pool_desc_t, 1036);
ALIGN(tp_pool_desc_t, 4);

/* ... max_dims at 50 + pad 1, pool_count 52, pools 56 + 16 * 1036 = 16632,
 * header_uri 16632 + 1024, error_message 17656 + 1024 = 18680 (a multiple of 8) */
OFF(tp_attach_response_t, correlation_id, 0);
OFF(tp_attach_response_t, code, 8);
OFF(tp_attach_response_t, stream_id, 12);
OFF(tp_attach_response_t, lease_id, 16);
OFF(tp_attach_response_t, epoch, 24);
OFF(tp_attach_response_t, lease_expiry_ns, 32);
OFF(tp_attach_response_t, layout_version, 40);
OFF(tp_attach_response_t, header_nslots, 44);
OFF(tp_attach_response_t, header_slot_bytes, 48);
OFF(tp_attach_response_t, max_dims, 50);
OFF(tp_attach_response_t, pool_count, 52);
OFF(tp_attach_response_t, pools, 56);
OFF(tp_attach_response_t, header_uri, 16632);
OFF(tp_attach_response_t, error_message, 17656);
SIZE(tp_attach_response_t, 18680);
ALIGN(tp_attach_response_t, 8);

/* ptr 8, seq 8, stride_bytes 4, header_index 4, payload_slot 4, pool_id 2 = 30, padded to 32 */
OFF(tp_slot_claim_t, ptr, 0);
OFF(tp_slot_claim_t, seq, 8);
OFF(tp_slot_claim_t, stride_bytes, 16);
OFF(tp_slot_claim_t, header_index, 20);
OFF(tp_slot_claim_t, payload_slot, 24);
OFF(tp_slot_claim_t, pool_id, 28);
SIZE(tp_slot_claim_t, 32);
ALIGN(tp_slot_claim_t, 8);

/* five bytes 0..4 + pad 3, progress_stride_bytes 8, dims 12 + 32, strides 44 + 32 = 76 */
OFF(tp_tensor_header_t, dtype, 0);
OFF(tp_tensor_header_t, major_order, 1);
OFF(tp_tensor_header_t, ndims, 2);
OFF(tp_tensor_header_t, pad_align, 3);
OFF(tp_tensor_header_t, progress_unit, 4);
OFF(tp_tensor_header_t, progress_stride_bytes, 8);
OFF(tp_tensor_header_t, dims, 12);
OFF(tp_tensor_header_t, strides, 44);
SIZE(tp_tensor_header_t, 76);
ALIGN(tp_tensor_header_t, 4);

/* payload 8, payload_len 4 + pad 4, seq_commit 16, timestamp_ns 24, values_len_bytes 32,
 * payload_slot 36, pool_id 40 + pad 2, payload_offset 44, meta_version 48,
 * tensor 52 + 76 = 128 */
OFF(tp_frame_view_t, payload, 0);
OFF(tp_frame_view_t, payload_len, 8);
OFF(tp_frame_view_t, seq_commit, 16);
OFF(tp_frame_view_t, timestamp_ns, 24);
OFF(tp_frame_view_t, values_len_bytes, 32);
OFF(tp_frame_view_t, payload_slot, 36);
OFF(tp_frame_view_t, pool_id, 40);
OFF(tp_frame_view_t, payload_offset, 44);
OFF(tp_frame_view_t, meta_version, 48);
OFF(tp_frame_view_t, tensor, 52);
SIZE(tp_frame_view_t, 128);
ALIGN(tp_frame_view_t, 8);

/* (extension) view 128, seq_commit_word 128 + 8, trace_id 136 + 8 = 144: fields are
 * appended, never inserted */
OFF(tp_polled_frame_t, view, 0);
OFF(tp_polled_frame_t, seq_commit_word, 128);
OFF(tp_polled_frame_t, trace_id, 136);
SIZE(tp_polled_frame_t, 144);
ALIGN(tp_polled_frame_t, 8);

/* 8 + 8 pointers, 16 + 4 + 4 = 24: trace_id aligned as it is */
OFF(tp_frame_offer_t, payload, 0);
OFF(tp_frame_offer_t, tensor, 8);
OFF(tp_frame_offer_t, values_len, 16);
OFF(tp_frame_offer_t, meta_version, 20);
OFF(tp_frame_offer_t, trace_id, 24);
SIZE(tp_frame_offer_t, 32);
ALIGN(tp_frame_offer_t, 8);

/* three u64 = 24, stream_id 24, producer_id 28 = 32 */
OFF(tp_qos_producer_snapshot_t, epoch, 0);
OFF(tp_qos_producer_snapshot_t, current_seq, 8);
OFF(tp_qos_producer_snapshot_t, watermark, 16);
OFF(tp_qos_producer_snapshot_t, stream_id, 24);
OFF(tp_qos_producer_snapshot_t, producer_id, 28);
SIZE(tp_qos_producer_snapshot_t, 32);

/* four u64 = 32, stream_id 32, consumer_id 36, mode 40 = 41, padded to 48 */
OFF(tp_qos_consumer_snapshot_t, epoch, 0);
OFF(tp_qos_consumer_snapshot_t, last_seq_seen, 8);
OFF(tp_qos_consumer_snapshot_t, drops_gap, 16);
OFF(tp_qos_consumer_snapshot_t, drops_late, 24);
OFF(tp_qos_consumer_snapshot_t, stream_id, 32);
OFF(tp_qos_consumer_snapshot_t, consumer_id, 36);
OFF(tp_qos_consumer_snapshot_t, mode, 40);
SIZE(tp_qos_consumer_snapshot_t, 48);

/* value_len 4, key 4 + 256, mime_type 260 + 256, value 516 + 512 = 1028 (align 4) */
OFF(tp_metadata_attribute_t, value_len, 0);
OFF(tp_metadata_attribute_t, key, 4);
OFF(tp_metadata_attribute_t, mime_type, 260);
OFF(tp_metadata_attribute_t, value, 516);
SIZE(tp_metadata_attribute_t, 1028);
ALIGN(tp_metadata_attribute_t, 4);

/* stream_id 0, producer_id 4, epoch 8, meta_version 16 + pad 4, timestamp_ns 24,
 * attr_count 32, name 36 + 256, summary 292 + 256, attrs 548 + 32 * 1028 = 33444,
 * padded to 33448 */
OFF(tp_metadata_entry_t, stream_id, 0);
OFF(tp_metadata_entry_t, producer_id, 4);
OFF(tp_metadata_entry_t, epoch, 8);
OFF(tp_metadata_entry_t, meta_version, 16);
OFF(tp_metadata_entry_t, timestamp_ns, 24);
OFF(tp_metadata_entry_t, attr_count, 32);
OFF(tp_metadata_entry_t, name, 36);
OFF(tp_metadata_entry_t, summary, 292);
OFF(tp_metadata_entry_t, attrs, 548);
SIZE(tp_metadata_entry_t, 33448);
ALIGN(tp_metadata_entry_t, 8);

/* like tp_pool_desc_t */
OFF(tp_discovery_pool_entry_t, pool_id, 0);
OFF(tp_discovery_pool_entry_t, pool_nslots, 4);
OFF(tp_discovery_pool_entry_t, stride_bytes, 8);
OFF(tp_discovery_pool_entry_t, region_uri, 12);
SIZE(tp_discovery_pool_entry_t, 1036);

/* stream_id 0, producer_id 4, epoch 8, layout_version 16, header_nslots 20,
 * header_slot_bytes 24, max_dims 26 + pad 1, data_source_id 28, driver_control_stream_id 32,
 * pool_count 36, pools 40 + 16576 = 16616, tag_count 16616, tags 16620 + 16 * 64 = 17644,
 * header_region_uri 17644 + 1024, data_source_name 18668 + 256, driver_instance_id 18924 + 256,
 * driver_control_channel 19180 + 1024 = 20204, padded to 20208 */
OFF(tp_discovery_entry_t, stream_id, 0);
OFF(tp_discovery_entry_t, producer_id, 4);
OFF(tp_discovery_entry_t, epoch, 8);
OFF(tp_discovery_entry_t, layout_version, 16);
OFF(tp_discovery_entry_t, header_nslots, 20);
OFF(tp_discovery_entry_t, header_slot_bytes, 24);
OFF(tp_discovery_entry_t, max_dims, 26);
OFF(tp_discovery_entry_t, data_source_id, 28);
OFF(tp_discovery_entry_t, driver_control_stream_id, 32);
OFF(tp_discovery_entry_t, pool_count, 36);
OFF(tp_discovery_entry_t, pools, 40);
OFF(tp_discovery_entry_t, tag_count, 16616);
OFF(tp_discovery_entry_t, tags, 16620);
OFF(tp_discovery_entry_t, header_region_uri, 17644);
OFF(tp_discovery_entry_t, data_source_name, 18668);
OFF(tp_discovery_entry_t, driver_instance_id, 18924);
OFF(tp_discovery_entry_t, driver_control_channel, 19180);
SIZE(tp_discovery_entry_t, 20208);
ALIGN(tp_discovery_entry_t, 8);

/* five u64 */
OFF(tp_producer_stats_t, frames, 0);
OFF(tp_producer_stats_t, bytes, 8);
OFF(tp_producer_stats_t, dropped, 16);
OFF(tp_producer_stats_t, epoch, 24);
OFF(tp_producer_stats_t, lease_losses, 32);
SIZE(tp_producer_stats_t, 40);

/* eight u64 */
OFF(tp_consumer_stats_t, frames, 0);
OFF(tp_consumer_stats_t, bytes, 8);
OFF(tp_consumer_stats_t, drops_gap, 16);
OFF(tp_consumer_stats_t, drops_late, 24);
OFF(tp_consumer_stats_t, drops_invalid, 32);
OFF(tp_consumer_stats_t, remaps, 40);
OFF(tp_consumer_stats_t, epoch, 48);
OFF(tp_consumer_stats_t, lease_losses, 56);
SIZE(tp_consumer_stats_t, 64);

/* Field widths the Go side relies on. */
#define WIDTH(type, field, want) _Static_assert(sizeof(((type *)0)->field) == (want), #type "." #field " width")
WIDTH(tp_attach_response_t, code, 4);
WIDTH(tp_attach_response_t, header_slot_bytes, 2);
WIDTH(tp_frame_view_t, seq_commit, 8);
WIDTH(tp_frame_view_t, pool_id, 2);
WIDTH(tp_tensor_header_t, dims, 32);
WIDTH(tp_tensor_header_t, strides, 32);
WIDTH(tp_discovery_entry_t, data_source_id, 4);
WIDTH(tp_discovery_entry_t, tags, 1024);
WIDTH(tp_metadata_attribute_t, value, 512);

int main(void)
{
    /* Everything is checked at compile time; printing the sizes helps when porting. */
    printf("tp_frame_view_t %zu, tp_attach_response_t %zu, tp_discovery_entry_t %zu, tp_metadata_entry_t %zu\n",
        sizeof(tp_frame_view_t), sizeof(tp_attach_response_t), sizeof(tp_discovery_entry_t),
        sizeof(tp_metadata_entry_t));
    return 0;
}

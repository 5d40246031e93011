/*
 * tensorpool: the plain structs and constants of the C API.
 *
 * Layouts, names and limits match the reference C client (AeronTensorPool.jl,
 * c/include), so its programs compile unchanged. Enumerated values (dtype,
 * major order, role, mode, progress state) are the sbe-tool constants of the
 * tensor pool schemas, included below.
 */
#ifndef TENSORPOOL_TYPES_H
#define TENSORPOOL_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "shm_tensorpool_control/mode.h"
#include "shm_tensorpool_control/tensorHeader.h"
#include "shm_tensorpool_driver/role.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TP_MAX_POOLS 16
#define TP_URI_MAX 1024
#define TP_MAX_DIMS 8
#define TP_MAX_DIMS_WIRE shm_tensorpool_control_tensorHeader_maxDims()
#define TP_MAX_QOS_ENTRIES 64
#define TP_MAX_METADATA_ENTRIES 64
#define TP_MAX_METADATA_ATTRS 32
#define TP_METADATA_TEXT_MAX 256
#define TP_METADATA_VALUE_MAX 512
#define TP_MAX_DISCOVERY_ENTRIES 64
#define TP_MAX_TAGS 16
#define TP_TAG_MAX 64

#define TP_ROLE_PRODUCER shm_tensorpool_driver_role_PRODUCER
#define TP_ROLE_CONSUMER shm_tensorpool_driver_role_CONSUMER
#define TP_CONSUMER_MODE_STREAM shm_tensorpool_control_mode_STREAM
#define TP_CONSUMER_MODE_RATE_LIMITED shm_tensorpool_control_mode_RATE_LIMITED

/* One payload pool of an attach response. */
typedef struct tp_pool_desc_stct
{
    uint16_t pool_id;
    uint32_t nslots;
    uint32_t stride_bytes;
    char uri[TP_URI_MAX];
}
tp_pool_desc_t;

/* A decoded ShmAttachResponse (driver spec §4). */
typedef struct tp_attach_response_stct
{
    int64_t correlation_id;
    int32_t code;
    uint32_t stream_id;
    uint64_t lease_id;
    uint64_t epoch;
    uint64_t lease_expiry_ns;
    uint32_t layout_version;
    uint32_t header_nslots;
    uint16_t header_slot_bytes;
    uint8_t max_dims;
    uint32_t pool_count;
    tp_pool_desc_t pools[TP_MAX_POOLS];
    char header_uri[TP_URI_MAX];
    char error_message[TP_URI_MAX];
}
tp_attach_response_t;

/*
 * An open frame from tp_producer_try_claim_slot*: ptr is the payload slot in
 * shared memory (stride_bytes long), seq the frame's sequence number.
 */
typedef struct tp_slot_claim_stct
{
    uint8_t *ptr;
    uint64_t seq;
    uint32_t stride_bytes;
    uint32_t header_index;
    uint32_t payload_slot;
    uint16_t pool_id;
}
tp_slot_claim_t;

/*
 * The tensor a frame carries (wire spec §8.2). dtype, major_order and
 * progress_unit take the shm_tensorpool_control_dtype/majorOrder/progressUnit
 * values. strides are in bytes: all zero means contiguous in major_order.
 */
typedef struct tp_tensor_header_stct
{
    uint8_t dtype;
    uint8_t major_order;
    uint8_t ndims;
    uint8_t pad_align;
    uint8_t progress_unit;
    uint32_t progress_stride_bytes;
    int32_t dims[TP_MAX_DIMS];
    int32_t strides[TP_MAX_DIMS];
}
tp_tensor_header_t;

/*
 * A zero-copy view of one frame. payload points into the producer's shared
 * memory and stays readable until the next poll of the same consumer; the
 * producer may overwrite it at any time, so check tp_consumer_frame_is_valid
 * after reading. seq_commit >> 1 is the frame's sequence number.
 */
typedef struct tp_frame_view_stct
{
    const uint8_t *payload;
    uint32_t payload_len;
    uint64_t seq_commit;
    uint64_t timestamp_ns;
    uint32_t values_len_bytes;
    uint32_t payload_slot;
    uint16_t pool_id;
    uint32_t payload_offset;
    uint32_t meta_version;
    tp_tensor_header_t tensor;
}
tp_frame_view_t;

/*
 * One frame of tp_consumer_poll_batch (tensorpool extension): its view, and
 * seq_commit_word, the frame's seqlock word in the mapped header ring, which
 * tp_polled_frame_is_valid reads to re-check the frame without calling into the
 * library's Go side. Both stay readable until the next poll of the consumer.
 * trace_id is the frame's TraceLink trace id (0: none, always from a producer
 * speaking wire "1.1"), for every frame of the batch, where
 * tp_consumer_frame_trace_id answers only for the newest.
 *
 * New fields are appended, never inserted: trace_id came after seq_commit_word,
 * which made the struct 8 bytes longer, so a program built against a header
 * without it must be rebuilt (its arrays would be too short for the library).
 */
typedef struct tp_polled_frame_stct
{
    tp_frame_view_t view;
    const uint64_t *seq_commit_word;
    uint64_t trace_id;
}
tp_polled_frame_t;

/*
 * One frame of tp_producer_offer_frames (tensorpool extension): what
 * tp_producer_offer_frame_traced takes for one frame. The library reads it during
 * the call only.
 */
typedef struct tp_frame_offer_stct
{
    const uint8_t *payload;
    const tp_tensor_header_t *tensor;
    uint32_t values_len;
    uint32_t meta_version;
    uint64_t trace_id;
}
tp_frame_offer_t;

/* The latest QosProducer seen from one producer (wire spec §10.4). */
typedef struct tp_qos_producer_snapshot_stct
{
    uint64_t epoch;
    uint64_t current_seq;
    uint64_t watermark;
    uint32_t stream_id;
    uint32_t producer_id;
}
tp_qos_producer_snapshot_t;

/* The latest QosConsumer seen from one consumer (wire spec §10.4). */
typedef struct tp_qos_consumer_snapshot_stct
{
    uint64_t epoch;
    uint64_t last_seq_seen;
    uint64_t drops_gap;
    uint64_t drops_late;
    uint32_t stream_id;
    uint32_t consumer_id;
    uint8_t mode;
}
tp_qos_consumer_snapshot_t;

/* One DataSourceMeta attribute (wire spec §10.3.2). */
typedef struct tp_metadata_attribute_stct
{
    uint32_t value_len;
    char key[TP_METADATA_TEXT_MAX];
    char mime_type[TP_METADATA_TEXT_MAX];
    uint8_t value[TP_METADATA_VALUE_MAX];
}
tp_metadata_attribute_t;

/* What a metadata cache knows about one stream (wire spec §10.3). */
typedef struct tp_metadata_entry_stct
{
    uint32_t stream_id;
    uint32_t producer_id;
    uint64_t epoch;
    uint32_t meta_version;
    uint64_t timestamp_ns;
    uint32_t attr_count;
    char name[TP_METADATA_TEXT_MAX];
    char summary[TP_METADATA_TEXT_MAX];
    tp_metadata_attribute_t attrs[TP_MAX_METADATA_ATTRS];
}
tp_metadata_entry_t;

/* One payload pool of a discovery result. */
typedef struct tp_discovery_pool_entry_stct
{
    uint16_t pool_id;
    uint32_t pool_nslots;
    uint32_t stride_bytes;
    char region_uri[TP_URI_MAX];
}
tp_discovery_pool_entry_t;

/*
 * One stream of a DiscoveryResponse. data_source_id is 32 bits here, as in the
 * reference C client; the wire carries 64 (ids above 2^32-1 are truncated).
 */
typedef struct tp_discovery_entry_stct
{
    uint32_t stream_id;
    uint32_t producer_id;
    uint64_t epoch;
    uint32_t layout_version;
    uint32_t header_nslots;
    uint16_t header_slot_bytes;
    uint8_t max_dims;
    uint32_t data_source_id;
    uint32_t driver_control_stream_id;
    uint32_t pool_count;
    tp_discovery_pool_entry_t pools[TP_MAX_POOLS];
    uint32_t tag_count;
    char tags[TP_MAX_TAGS][TP_TAG_MAX];
    char header_region_uri[TP_URI_MAX];
    char data_source_name[TP_METADATA_TEXT_MAX];
    char driver_instance_id[TP_METADATA_TEXT_MAX];
    char driver_control_channel[TP_URI_MAX];
}
tp_discovery_entry_t;

/* Totals of one producer across the epochs it served (tensorpool extension). */
typedef struct tp_producer_stats_stct
{
    uint64_t frames;
    uint64_t bytes;
    uint64_t dropped;      /* frames not published, for any reason */
    uint64_t epoch;        /* the mapped epoch, 0 while not attached */
    uint64_t lease_losses; /* leases that ended: revoked, expired, driver shutdown */
}
tp_producer_stats_t;

/* Totals of one consumer (tensorpool extension). */
typedef struct tp_consumer_stats_stct
{
    uint64_t frames;
    uint64_t bytes;
    uint64_t drops_gap;  /* sequence numbers never seen (wire spec §11) */
    uint64_t drops_late; /* frames overwritten before or while being read */
    uint64_t drops_invalid; /* descriptors or headers that failed validation */
    uint64_t remaps;
    uint64_t epoch;
    uint64_t lease_losses;
}
tp_consumer_stats_t;

#ifdef __cplusplus
}
#endif

#endif

/*
 * Checks the sbe-tool generated C codecs (cabi/sbe/) against the hand-written golden vectors in
 * wire/testdata/golden/, the same files the Go tests use: encoding must reproduce them byte for
 * byte and decoding them must give the values back. The wire v1.2 layouts of the messages v1.2
 * changed (cabi/sbe/v12/, namespace shm_tensorpool_v12_*) are included beside the v1.1 ones,
 * which is what their own namespace is for.
 *
 * Usage: sbe_codec_test <golden-dir>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shm_tensorpool_control/frameDescriptor.h"
#include "shm_tensorpool_control/messageHeader.h"
#include "shm_tensorpool_control/shmPoolAnnounce.h"
#include "shm_tensorpool_discovery/discoveryRequest.h"
#include "shm_tensorpool_discovery/messageHeader.h"
#include "shm_tensorpool_driver/messageHeader.h"
#include "shm_tensorpool_driver/shmAttachRequest.h"
#include "shm_tensorpool_driver/shmAttachResponse.h"
#include "shm_tensorpool_control/frameProgress.h"
#include "shm_tensorpool_tracelink/messageHeader.h"
#include "shm_tensorpool_tracelink/traceLinkSet.h"
#include "shm_tensorpool_v12_bridge/bridgeFrameChunk.h"
#include "shm_tensorpool_v12_bridge/messageHeader.h"
#include "shm_tensorpool_v12_control/frameDescriptor.h"
#include "shm_tensorpool_v12_control/frameProgress.h"
#include "shm_tensorpool_v12_control/messageHeader.h"
#include "shm_tensorpool_v12_driver/messageHeader.h"
#include "shm_tensorpool_v12_driver/shmAttachRequest.h"
#include "shm_tensorpool_v12_driver/shmAttachResponse.h"

#define MESSAGE_HEADER_LENGTH 8
#define MAX_GOLDEN 4096

static int failures;

#define CHECK(cond)                                                          \
    do                                                                       \
    {                                                                        \
        if (!(cond))                                                         \
        {                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                      \
        }                                                                    \
    } while (0)

struct golden
{
    char bytes[MAX_GOLDEN];
    size_t length;
};

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
    {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f')
    {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F')
    {
        return c - 'A' + 10;
    }
    return -1;
}

/* Parses the .hex format: byte pairs separated by whitespace, '#' comments to end of line. */
static int load_golden(const char *dir, const char *name, struct golden *out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
    {
        perror(path);
        return -1;
    }
    out->length = 0;
    int c;
    int high = -1;
    int ok = 0;
    while ((c = fgetc(f)) != EOF)
    {
        if (c == '#')
        {
            while ((c = fgetc(f)) != EOF && c != '\n')
            {
            }
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        {
            if (high >= 0)
            {
                fprintf(stderr, "%s: odd number of hex digits\n", path);
                ok = -1;
                break;
            }
            continue;
        }
        int v = hex_digit(c);
        if (v < 0 || out->length >= MAX_GOLDEN)
        {
            fprintf(stderr, "%s: bad character or file too long\n", path);
            ok = -1;
            break;
        }
        if (high < 0)
        {
            high = v;
        }
        else
        {
            out->bytes[out->length++] = (char)(high << 4 | v);
            high = -1;
        }
    }
    fclose(f);
    return ok;
}

static void expect_bytes(const char *name, const char *got, size_t got_length, const struct golden *want)
{
    if (got_length != want->length)
    {
        fprintf(stderr, "%s: encoded %zu bytes, golden has %zu\n", name, got_length, want->length);
        failures++;
        return;
    }
    for (size_t i = 0; i < got_length; i++)
    {
        if (got[i] != want->bytes[i])
        {
            fprintf(stderr, "%s: byte %zu is %02x, golden %02x\n", name, i, (unsigned char)got[i],
                (unsigned char)want->bytes[i]);
            failures++;
            return;
        }
    }
}

static void test_frame_descriptor(const char *dir)
{
    struct golden want;
    if (load_golden(dir, "frame_descriptor.hex", &want) != 0)
    {
        failures++;
        return;
    }

    char buf[MAX_GOLDEN] = { 0 };
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_frameDescriptor fd;
    CHECK(shm_tensorpool_control_frameDescriptor_wrap_and_apply_header(&fd, buf, 0, want.length, &hdr) != NULL);
    shm_tensorpool_control_frameDescriptor_set_streamId(&fd, 10000);
    shm_tensorpool_control_frameDescriptor_set_epoch(&fd, 3);
    shm_tensorpool_control_frameDescriptor_set_seq(&fd, UINT64_C(0x0102030405060708));
    shm_tensorpool_control_frameDescriptor_set_headerIndex(&fd, 5);
    shm_tensorpool_control_frameDescriptor_set_timestampNs(&fd, UINT64_C(1700000000123456789));
    shm_tensorpool_control_frameDescriptor_set_metaVersion(&fd, shm_tensorpool_control_frameDescriptor_metaVersion_null_value());
    expect_bytes("FrameDescriptor", buf,
        MESSAGE_HEADER_LENGTH + shm_tensorpool_control_frameDescriptor_encoded_length(&fd), &want);

    CHECK(shm_tensorpool_control_messageHeader_wrap(&hdr, want.bytes, 0, 1, want.length) != NULL);
    CHECK(shm_tensorpool_control_messageHeader_schemaId(&hdr) == 900);
    CHECK(shm_tensorpool_control_messageHeader_templateId(&hdr) == 4);
    CHECK(shm_tensorpool_control_frameDescriptor_wrap_for_decode(&fd, want.bytes, MESSAGE_HEADER_LENGTH,
        shm_tensorpool_control_messageHeader_blockLength(&hdr), shm_tensorpool_control_messageHeader_version(&hdr),
        want.length) != NULL);
    CHECK(shm_tensorpool_control_frameDescriptor_streamId(&fd) == 10000);
    CHECK(shm_tensorpool_control_frameDescriptor_seq(&fd) == UINT64_C(0x0102030405060708));
    CHECK(shm_tensorpool_control_frameDescriptor_timestampNs(&fd) == UINT64_C(1700000000123456789));
    CHECK(shm_tensorpool_control_frameDescriptor_metaVersion(&fd) == UINT32_MAX);
}

static void test_shm_attach_request(const char *dir)
{
    struct golden want;
    if (load_golden(dir, "shm_attach_request.hex", &want) != 0)
    {
        failures++;
        return;
    }

    char buf[MAX_GOLDEN] = { 0 };
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmAttachRequest r;
    CHECK(shm_tensorpool_driver_shmAttachRequest_wrap_and_apply_header(&r, buf, 0, want.length, &hdr) != NULL);
    shm_tensorpool_driver_shmAttachRequest_set_correlationId(&r, -2);
    shm_tensorpool_driver_shmAttachRequest_set_streamId(&r, 10000);
    shm_tensorpool_driver_shmAttachRequest_set_clientId(&r, 42);
    shm_tensorpool_driver_shmAttachRequest_set_role(&r, shm_tensorpool_driver_role_PRODUCER);
    shm_tensorpool_driver_shmAttachRequest_set_expectedLayoutVersion(&r, 1);
    shm_tensorpool_driver_shmAttachRequest_set_maxDims(&r, 8);
    shm_tensorpool_driver_shmAttachRequest_set_publishMode(&r, shm_tensorpool_driver_publishMode_NULL_VALUE);
    shm_tensorpool_driver_shmAttachRequest_set_requireHugepages(&r, shm_tensorpool_driver_hugepagesPolicy_HUGEPAGES);
    expect_bytes("ShmAttachRequest", buf,
        MESSAGE_HEADER_LENGTH + shm_tensorpool_driver_shmAttachRequest_encoded_length(&r), &want);

    CHECK(shm_tensorpool_driver_messageHeader_wrap(&hdr, want.bytes, 0, 1, want.length) != NULL);
    CHECK(shm_tensorpool_driver_messageHeader_schemaId(&hdr) == 901);
    CHECK(shm_tensorpool_driver_shmAttachRequest_wrap_for_decode(&r, want.bytes, MESSAGE_HEADER_LENGTH,
        shm_tensorpool_driver_messageHeader_blockLength(&hdr), shm_tensorpool_driver_messageHeader_version(&hdr),
        want.length) != NULL);
    enum shm_tensorpool_driver_role role;
    enum shm_tensorpool_driver_publishMode mode;
    enum shm_tensorpool_driver_hugepagesPolicy hugepages;
    CHECK(shm_tensorpool_driver_shmAttachRequest_correlationId(&r) == -2);
    CHECK(shm_tensorpool_driver_shmAttachRequest_role(&r, &role) && role == shm_tensorpool_driver_role_PRODUCER);
    CHECK(shm_tensorpool_driver_shmAttachRequest_publishMode(&r, &mode) &&
        mode == shm_tensorpool_driver_publishMode_NULL_VALUE);
    CHECK(shm_tensorpool_driver_shmAttachRequest_requireHugepages(&r, &hugepages) &&
        hugepages == shm_tensorpool_driver_hugepagesPolicy_HUGEPAGES);
}

static const char *const discovery_tags[] = { "camera", "rgb" };

static void test_discovery_request(const char *dir)
{
    struct golden want;
    if (load_golden(dir, "discovery_request.hex", &want) != 0)
    {
        failures++;
        return;
    }

    char buf[MAX_GOLDEN] = { 0 };
    struct shm_tensorpool_discovery_messageHeader hdr;
    struct shm_tensorpool_discovery_discoveryRequest r;
    struct shm_tensorpool_discovery_discoveryRequest_tags tags;
    CHECK(shm_tensorpool_discovery_discoveryRequest_wrap_and_apply_header(&r, buf, 0, want.length, &hdr) != NULL);
    shm_tensorpool_discovery_discoveryRequest_set_requestId(&r, 7);
    shm_tensorpool_discovery_discoveryRequest_set_clientId(&r, 42);
    shm_tensorpool_discovery_discoveryRequest_set_responseStreamId(&r, 9001);
    shm_tensorpool_discovery_discoveryRequest_set_streamId(&r, shm_tensorpool_discovery_discoveryRequest_streamId_null_value());
    shm_tensorpool_discovery_discoveryRequest_set_producerId(&r, shm_tensorpool_discovery_discoveryRequest_producerId_null_value());
    shm_tensorpool_discovery_discoveryRequest_set_dataSourceId(&r, UINT64_C(0x1122334455667788));
    CHECK(shm_tensorpool_discovery_discoveryRequest_tags_set_count(&r, &tags, 2) != NULL);
    for (size_t i = 0; i < 2; i++)
    {
        CHECK(shm_tensorpool_discovery_discoveryRequest_tags_next(&tags) != NULL);
        CHECK(shm_tensorpool_discovery_discoveryRequest_tags_put_tag(
            &tags, discovery_tags[i], (uint32_t)strlen(discovery_tags[i])) != NULL);
    }
    CHECK(shm_tensorpool_discovery_discoveryRequest_put_responseChannel(&r, "aeron:ipc", 9) != NULL);
    CHECK(shm_tensorpool_discovery_discoveryRequest_put_dataSourceName(&r, "", 0) != NULL);
    expect_bytes("DiscoveryRequest", buf,
        MESSAGE_HEADER_LENGTH + shm_tensorpool_discovery_discoveryRequest_encoded_length(&r), &want);

    CHECK(shm_tensorpool_discovery_messageHeader_wrap(&hdr, want.bytes, 0, 1, want.length) != NULL);
    CHECK(shm_tensorpool_discovery_messageHeader_schemaId(&hdr) == 910);
    CHECK(shm_tensorpool_discovery_discoveryRequest_wrap_for_decode(&r, want.bytes, MESSAGE_HEADER_LENGTH,
        shm_tensorpool_discovery_messageHeader_blockLength(&hdr), shm_tensorpool_discovery_messageHeader_version(&hdr),
        want.length) != NULL);
    CHECK(shm_tensorpool_discovery_discoveryRequest_requestId(&r) == 7);
    CHECK(shm_tensorpool_discovery_discoveryRequest_streamId(&r) == UINT32_MAX);
    CHECK(shm_tensorpool_discovery_discoveryRequest_get_tags(&r, &tags) != NULL);
    CHECK(shm_tensorpool_discovery_discoveryRequest_tags_count(&tags) == 2);
    for (size_t i = 0; shm_tensorpool_discovery_discoveryRequest_tags_has_next(&tags); i++)
    {
        CHECK(shm_tensorpool_discovery_discoveryRequest_tags_next(&tags) != NULL);
        struct shm_tensorpool_discovery_discoveryRequest_string_view tag =
            shm_tensorpool_discovery_discoveryRequest_tags_get_tag_as_string_view(&tags);
        CHECK(i < 2 && tag.length == strlen(discovery_tags[i]) && memcmp(tag.data, discovery_tags[i], tag.length) == 0);
    }
    struct shm_tensorpool_discovery_discoveryRequest_string_view channel =
        shm_tensorpool_discovery_discoveryRequest_get_responseChannel_as_string_view(&r);
    CHECK(channel.length == 9 && memcmp(channel.data, "aeron:ipc", 9) == 0);
    CHECK(shm_tensorpool_discovery_discoveryRequest_get_dataSourceName_as_string_view(&r).length == 0);
    CHECK(shm_tensorpool_discovery_discoveryRequest_encoded_length(&r) + MESSAGE_HEADER_LENGTH == want.length);
}

static void test_shm_pool_announce(const char *dir)
{
    struct golden want;
    if (load_golden(dir, "shm_pool_announce.hex", &want) != 0)
    {
        failures++;
        return;
    }

    char buf[MAX_GOLDEN] = { 0 };
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_shmPoolAnnounce a;
    struct shm_tensorpool_control_shmPoolAnnounce_payloadPools pools;
    CHECK(shm_tensorpool_control_shmPoolAnnounce_wrap_and_apply_header(&a, buf, 0, want.length, &hdr) != NULL);
    shm_tensorpool_control_shmPoolAnnounce_set_streamId(&a, 10000);
    shm_tensorpool_control_shmPoolAnnounce_set_producerId(&a, 42);
    shm_tensorpool_control_shmPoolAnnounce_set_epoch(&a, 3);
    shm_tensorpool_control_shmPoolAnnounce_set_announceTimestampNs(&a, 1000000000);
    shm_tensorpool_control_shmPoolAnnounce_set_announceClockDomain(&a, shm_tensorpool_control_clockDomain_MONOTONIC);
    shm_tensorpool_control_shmPoolAnnounce_set_layoutVersion(&a, 1);
    shm_tensorpool_control_shmPoolAnnounce_set_headerNslots(&a, 1024);
    shm_tensorpool_control_shmPoolAnnounce_set_headerSlotBytes(&a, 256);
    CHECK(shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_count(&a, &pools, 1) != NULL);
    CHECK(shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&pools) != NULL);
    shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolId(&pools, 1);
    shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_poolNslots(&pools, 1024);
    shm_tensorpool_control_shmPoolAnnounce_payloadPools_set_strideBytes(&pools, 65536);
    CHECK(shm_tensorpool_control_shmPoolAnnounce_payloadPools_put_regionUri(&pools, "/p1", 3) != NULL);
    CHECK(shm_tensorpool_control_shmPoolAnnounce_put_headerRegionUri(&a, "/h1", 3) != NULL);
    expect_bytes("ShmPoolAnnounce", buf,
        MESSAGE_HEADER_LENGTH + shm_tensorpool_control_shmPoolAnnounce_encoded_length(&a), &want);

    CHECK(shm_tensorpool_control_messageHeader_wrap(&hdr, want.bytes, 0, 1, want.length) != NULL);
    CHECK(shm_tensorpool_control_messageHeader_templateId(&hdr) == 1);
    CHECK(shm_tensorpool_control_shmPoolAnnounce_wrap_for_decode(&a, want.bytes, MESSAGE_HEADER_LENGTH,
        shm_tensorpool_control_messageHeader_blockLength(&hdr), shm_tensorpool_control_messageHeader_version(&hdr),
        want.length) != NULL);
    enum shm_tensorpool_control_clockDomain domain;
    CHECK(shm_tensorpool_control_shmPoolAnnounce_announceClockDomain(&a, &domain) &&
        domain == shm_tensorpool_control_clockDomain_MONOTONIC);
    CHECK(shm_tensorpool_control_shmPoolAnnounce_headerSlotBytes(&a) == 256);
    CHECK(shm_tensorpool_control_shmPoolAnnounce_get_payloadPools(&a, &pools) != NULL);
    CHECK(shm_tensorpool_control_shmPoolAnnounce_payloadPools_count(&pools) == 1);
    CHECK(shm_tensorpool_control_shmPoolAnnounce_payloadPools_next(&pools) != NULL);
    CHECK(shm_tensorpool_control_shmPoolAnnounce_payloadPools_strideBytes(&pools) == 65536);
    struct shm_tensorpool_control_shmPoolAnnounce_string_view uri =
        shm_tensorpool_control_shmPoolAnnounce_payloadPools_get_regionUri_as_string_view(&pools);
    CHECK(uri.length == 3 && memcmp(uri.data, "/p1", 3) == 0);
    uri = shm_tensorpool_control_shmPoolAnnounce_get_headerRegionUri_as_string_view(&a);
    CHECK(uri.length == 3 && memcmp(uri.data, "/h1", 3) == 0);
}

static void test_frame_descriptor_v12(const char *dir)
{
    struct golden want;
    if (load_golden(dir, "frame_descriptor_v1_2.hex", &want) != 0)
    {
        failures++;
        return;
    }

    char buf[MAX_GOLDEN] = { 0 };
    struct shm_tensorpool_v12_control_messageHeader hdr;
    struct shm_tensorpool_v12_control_frameDescriptor fd;
    CHECK(shm_tensorpool_v12_control_frameDescriptor_wrap_and_apply_header(&fd, buf, 0, want.length, &hdr) != NULL);
    shm_tensorpool_v12_control_frameDescriptor_set_streamId(&fd, 10000);
    shm_tensorpool_v12_control_frameDescriptor_set_epoch(&fd, 3);
    shm_tensorpool_v12_control_frameDescriptor_set_seq(&fd, UINT64_C(0x0102030405060708));
    shm_tensorpool_v12_control_frameDescriptor_set_timestampNs(&fd, UINT64_C(1700000000123456789));
    shm_tensorpool_v12_control_frameDescriptor_set_metaVersion(&fd,
        shm_tensorpool_v12_control_frameDescriptor_metaVersion_null_value());
    shm_tensorpool_v12_control_frameDescriptor_set_traceId(&fd, UINT64_C(0x1122334455667788));
    expect_bytes("FrameDescriptor v1.2", buf,
        MESSAGE_HEADER_LENGTH + shm_tensorpool_v12_control_frameDescriptor_encoded_length(&fd), &want);

    /* Only the block length tells the layouts apart: same schema id and version as v1.1. */
    CHECK(shm_tensorpool_v12_control_messageHeader_wrap(&hdr, want.bytes, 0, 1, want.length) != NULL);
    CHECK(shm_tensorpool_v12_control_messageHeader_blockLength(&hdr) == 40);
    CHECK(shm_tensorpool_v12_control_messageHeader_schemaId(&hdr) == shm_tensorpool_control_frameDescriptor_sbe_schema_id());
    CHECK(shm_tensorpool_v12_control_messageHeader_version(&hdr) == shm_tensorpool_control_frameDescriptor_sbe_schema_version());
    CHECK(shm_tensorpool_v12_control_frameDescriptor_wrap_for_decode(&fd, want.bytes, MESSAGE_HEADER_LENGTH,
        shm_tensorpool_v12_control_messageHeader_blockLength(&hdr), shm_tensorpool_v12_control_messageHeader_version(&hdr),
        want.length) != NULL);
    CHECK(shm_tensorpool_v12_control_frameDescriptor_seq(&fd) == UINT64_C(0x0102030405060708));
    CHECK(shm_tensorpool_v12_control_frameDescriptor_timestampNs(&fd) == UINT64_C(1700000000123456789));
    CHECK(shm_tensorpool_v12_control_frameDescriptor_metaVersion(&fd) == UINT32_MAX);
    CHECK(shm_tensorpool_v12_control_frameDescriptor_traceId(&fd) == UINT64_C(0x1122334455667788));
}

static void test_frame_progress(const char *dir)
{
    struct golden want;
    if (load_golden(dir, "frame_progress.hex", &want) != 0)
    {
        failures++;
        return;
    }
    char buf[MAX_GOLDEN] = { 0 };
    struct shm_tensorpool_control_messageHeader hdr;
    struct shm_tensorpool_control_frameProgress p;
    CHECK(shm_tensorpool_control_frameProgress_wrap_and_apply_header(&p, buf, 0, want.length, &hdr) != NULL);
    shm_tensorpool_control_frameProgress_set_streamId(&p, 10000);
    shm_tensorpool_control_frameProgress_set_epoch(&p, 3);
    shm_tensorpool_control_frameProgress_set_frameId(&p, UINT64_C(0x0102030405060708));
    shm_tensorpool_control_frameProgress_set_headerIndex(&p, 5);
    shm_tensorpool_control_frameProgress_set_payloadBytesFilled(&p, 65536);
    shm_tensorpool_control_frameProgress_set_state(&p, shm_tensorpool_control_frameProgressState_PROGRESS);
    expect_bytes("FrameProgress", buf, MESSAGE_HEADER_LENGTH + shm_tensorpool_control_frameProgress_encoded_length(&p), &want);

    struct golden want12;
    if (load_golden(dir, "frame_progress_v1_2.hex", &want12) != 0)
    {
        failures++;
        return;
    }
    char buf12[MAX_GOLDEN] = { 0 };
    struct shm_tensorpool_v12_control_messageHeader hdr12;
    struct shm_tensorpool_v12_control_frameProgress p12;
    CHECK(shm_tensorpool_v12_control_frameProgress_wrap_and_apply_header(&p12, buf12, 0, want12.length, &hdr12) != NULL);
    shm_tensorpool_v12_control_frameProgress_set_streamId(&p12, 10000);
    shm_tensorpool_v12_control_frameProgress_set_epoch(&p12, 3);
    shm_tensorpool_v12_control_frameProgress_set_seq(&p12, UINT64_C(0x0102030405060708));
    shm_tensorpool_v12_control_frameProgress_set_payloadBytesFilled(&p12, 65536);
    shm_tensorpool_v12_control_frameProgress_set_state(&p12, shm_tensorpool_v12_control_frameProgressState_PROGRESS);
    expect_bytes("FrameProgress v1.2", buf12,
        MESSAGE_HEADER_LENGTH + shm_tensorpool_v12_control_frameProgress_encoded_length(&p12), &want12);

    CHECK(shm_tensorpool_v12_control_messageHeader_wrap(&hdr12, want12.bytes, 0, 1, want12.length) != NULL);
    CHECK(shm_tensorpool_v12_control_frameProgress_wrap_for_decode(&p12, want12.bytes, MESSAGE_HEADER_LENGTH,
        shm_tensorpool_v12_control_messageHeader_blockLength(&hdr12), shm_tensorpool_v12_control_messageHeader_version(&hdr12),
        want12.length) != NULL);
    enum shm_tensorpool_v12_control_frameProgressState state;
    CHECK(shm_tensorpool_v12_control_frameProgress_seq(&p12) == UINT64_C(0x0102030405060708));
    CHECK(shm_tensorpool_v12_control_frameProgress_payloadBytesFilled(&p12) == 65536);
    CHECK(shm_tensorpool_v12_control_frameProgress_state(&p12, &state) &&
        state == shm_tensorpool_v12_control_frameProgressState_PROGRESS);
}

static void test_shm_attach_request_v12(const char *dir)
{
    struct golden want;
    if (load_golden(dir, "shm_attach_request_v1_2.hex", &want) != 0)
    {
        failures++;
        return;
    }

    char buf[MAX_GOLDEN] = { 0 };
    struct shm_tensorpool_v12_driver_messageHeader hdr;
    struct shm_tensorpool_v12_driver_shmAttachRequest r;
    CHECK(shm_tensorpool_v12_driver_shmAttachRequest_wrap_and_apply_header(&r, buf, 0, want.length, &hdr) != NULL);
    shm_tensorpool_v12_driver_shmAttachRequest_set_correlationId(&r, -2);
    shm_tensorpool_v12_driver_shmAttachRequest_set_streamId(&r, 10000);
    shm_tensorpool_v12_driver_shmAttachRequest_set_clientId(&r, 42);
    shm_tensorpool_v12_driver_shmAttachRequest_set_role(&r, shm_tensorpool_v12_driver_role_PRODUCER);
    shm_tensorpool_v12_driver_shmAttachRequest_set_expectedLayoutVersion(&r, 1);
    shm_tensorpool_v12_driver_shmAttachRequest_set_publishMode(&r, shm_tensorpool_v12_driver_publishMode_NULL_VALUE);
    shm_tensorpool_v12_driver_shmAttachRequest_set_requireHugepages(&r, shm_tensorpool_v12_driver_hugepagesPolicy_HUGEPAGES);
    shm_tensorpool_v12_driver_shmAttachRequest_set_desiredNodeId(&r, 7);
    expect_bytes("ShmAttachRequest v1.2", buf,
        MESSAGE_HEADER_LENGTH + shm_tensorpool_v12_driver_shmAttachRequest_encoded_length(&r), &want);

    CHECK(shm_tensorpool_v12_driver_messageHeader_wrap(&hdr, want.bytes, 0, 1, want.length) != NULL);
    CHECK(shm_tensorpool_v12_driver_messageHeader_blockLength(&hdr) == 27);
    CHECK(shm_tensorpool_v12_driver_shmAttachRequest_wrap_for_decode(&r, want.bytes, MESSAGE_HEADER_LENGTH,
        shm_tensorpool_v12_driver_messageHeader_blockLength(&hdr), shm_tensorpool_v12_driver_messageHeader_version(&hdr),
        want.length) != NULL);
    enum shm_tensorpool_v12_driver_hugepagesPolicy hugepages;
    CHECK(shm_tensorpool_v12_driver_shmAttachRequest_requireHugepages(&r, &hugepages) &&
        hugepages == shm_tensorpool_v12_driver_hugepagesPolicy_HUGEPAGES);
    CHECK(shm_tensorpool_v12_driver_shmAttachRequest_desiredNodeId(&r) == 7);
    CHECK(shm_tensorpool_v12_driver_shmAttachRequest_desiredNodeId_null_value() == UINT32_MAX);
}

/* Both layouts of the same OK response: maxDims (v1.1) or nodeId (v1.2) ends the block. */
static void test_shm_attach_response(const char *dir)
{
    struct golden want;
    if (load_golden(dir, "shm_attach_response.hex", &want) != 0)
    {
        failures++;
        return;
    }
    char buf[MAX_GOLDEN] = { 0 };
    struct shm_tensorpool_driver_messageHeader hdr;
    struct shm_tensorpool_driver_shmAttachResponse r;
    struct shm_tensorpool_driver_shmAttachResponse_payloadPools pools;
    CHECK(shm_tensorpool_driver_shmAttachResponse_wrap_and_apply_header(&r, buf, 0, want.length, &hdr) != NULL);
    shm_tensorpool_driver_shmAttachResponse_set_correlationId(&r, -2);
    shm_tensorpool_driver_shmAttachResponse_set_code(&r, shm_tensorpool_driver_responseCode_OK);
    shm_tensorpool_driver_shmAttachResponse_set_leaseId(&r, 5);
    shm_tensorpool_driver_shmAttachResponse_set_leaseExpiryTimestampNs(&r, 1000000000);
    shm_tensorpool_driver_shmAttachResponse_set_streamId(&r, 10000);
    shm_tensorpool_driver_shmAttachResponse_set_epoch(&r, 3);
    shm_tensorpool_driver_shmAttachResponse_set_layoutVersion(&r, 1);
    shm_tensorpool_driver_shmAttachResponse_set_headerNslots(&r, 1024);
    shm_tensorpool_driver_shmAttachResponse_set_headerSlotBytes(&r, 256);
    shm_tensorpool_driver_shmAttachResponse_set_maxDims(&r, 8);
    CHECK(shm_tensorpool_driver_shmAttachResponse_payloadPools_set_count(&r, &pools, 1) != NULL);
    CHECK(shm_tensorpool_driver_shmAttachResponse_payloadPools_next(&pools) != NULL);
    shm_tensorpool_driver_shmAttachResponse_payloadPools_set_poolId(&pools, 1);
    shm_tensorpool_driver_shmAttachResponse_payloadPools_set_poolNslots(&pools, 1024);
    shm_tensorpool_driver_shmAttachResponse_payloadPools_set_strideBytes(&pools, 65536);
    CHECK(shm_tensorpool_driver_shmAttachResponse_payloadPools_put_regionUri(&pools, "/p1", 3) != NULL);
    CHECK(shm_tensorpool_driver_shmAttachResponse_put_headerRegionUri(&r, "/h1", 3) != NULL);
    CHECK(shm_tensorpool_driver_shmAttachResponse_put_errorMessage(&r, "", 0) != NULL);
    expect_bytes("ShmAttachResponse", buf,
        MESSAGE_HEADER_LENGTH + shm_tensorpool_driver_shmAttachResponse_encoded_length(&r), &want);

    struct golden want12;
    if (load_golden(dir, "shm_attach_response_v1_2.hex", &want12) != 0)
    {
        failures++;
        return;
    }
    char buf12[MAX_GOLDEN] = { 0 };
    struct shm_tensorpool_v12_driver_messageHeader hdr12;
    struct shm_tensorpool_v12_driver_shmAttachResponse r12;
    struct shm_tensorpool_v12_driver_shmAttachResponse_payloadPools pools12;
    CHECK(shm_tensorpool_v12_driver_shmAttachResponse_wrap_and_apply_header(&r12, buf12, 0, want12.length, &hdr12) != NULL);
    shm_tensorpool_v12_driver_shmAttachResponse_set_correlationId(&r12, -2);
    shm_tensorpool_v12_driver_shmAttachResponse_set_code(&r12, shm_tensorpool_v12_driver_responseCode_OK);
    shm_tensorpool_v12_driver_shmAttachResponse_set_leaseId(&r12, 5);
    shm_tensorpool_v12_driver_shmAttachResponse_set_leaseExpiryTimestampNs(&r12, 1000000000);
    shm_tensorpool_v12_driver_shmAttachResponse_set_streamId(&r12, 10000);
    shm_tensorpool_v12_driver_shmAttachResponse_set_epoch(&r12, 3);
    shm_tensorpool_v12_driver_shmAttachResponse_set_layoutVersion(&r12, 1);
    shm_tensorpool_v12_driver_shmAttachResponse_set_headerNslots(&r12, 1024);
    shm_tensorpool_v12_driver_shmAttachResponse_set_headerSlotBytes(&r12, 256);
    shm_tensorpool_v12_driver_shmAttachResponse_set_nodeId(&r12, 7);
    CHECK(shm_tensorpool_v12_driver_shmAttachResponse_payloadPools_set_count(&r12, &pools12, 1) != NULL);
    CHECK(shm_tensorpool_v12_driver_shmAttachResponse_payloadPools_next(&pools12) != NULL);
    shm_tensorpool_v12_driver_shmAttachResponse_payloadPools_set_poolId(&pools12, 1);
    shm_tensorpool_v12_driver_shmAttachResponse_payloadPools_set_poolNslots(&pools12, 1024);
    shm_tensorpool_v12_driver_shmAttachResponse_payloadPools_set_strideBytes(&pools12, 65536);
    CHECK(shm_tensorpool_v12_driver_shmAttachResponse_payloadPools_put_regionUri(&pools12, "/p1", 3) != NULL);
    CHECK(shm_tensorpool_v12_driver_shmAttachResponse_put_headerRegionUri(&r12, "/h1", 3) != NULL);
    CHECK(shm_tensorpool_v12_driver_shmAttachResponse_put_errorMessage(&r12, "", 0) != NULL);
    expect_bytes("ShmAttachResponse v1.2", buf12,
        MESSAGE_HEADER_LENGTH + shm_tensorpool_v12_driver_shmAttachResponse_encoded_length(&r12), &want12);

    CHECK(shm_tensorpool_v12_driver_messageHeader_wrap(&hdr12, want12.bytes, 0, 1, want12.length) != NULL);
    CHECK(shm_tensorpool_v12_driver_shmAttachResponse_wrap_for_decode(&r12, want12.bytes, MESSAGE_HEADER_LENGTH,
        shm_tensorpool_v12_driver_messageHeader_blockLength(&hdr12), shm_tensorpool_v12_driver_messageHeader_version(&hdr12),
        want12.length) != NULL);
    CHECK(shm_tensorpool_v12_driver_shmAttachResponse_nodeId(&r12) == 7);
    CHECK(shm_tensorpool_v12_driver_shmAttachResponse_get_payloadPools(&r12, &pools12) != NULL);
    CHECK(shm_tensorpool_v12_driver_shmAttachResponse_payloadPools_count(&pools12) == 1);
    CHECK(shm_tensorpool_v12_driver_shmAttachResponse_payloadPools_next(&pools12) != NULL);
    CHECK(shm_tensorpool_v12_driver_shmAttachResponse_payloadPools_strideBytes(&pools12) == 65536);
}

static void test_bridge_frame_chunk_v12(const char *dir)
{
    struct golden want;
    if (load_golden(dir, "bridge_frame_chunk_v1_2.hex", &want) != 0)
    {
        failures++;
        return;
    }

    char buf[MAX_GOLDEN] = { 0 };
    struct shm_tensorpool_v12_bridge_messageHeader hdr;
    struct shm_tensorpool_v12_bridge_bridgeFrameChunk c;
    CHECK(shm_tensorpool_v12_bridge_bridgeFrameChunk_wrap_and_apply_header(&c, buf, 0, want.length, &hdr) != NULL);
    shm_tensorpool_v12_bridge_bridgeFrameChunk_set_streamId(&c, 10000);
    shm_tensorpool_v12_bridge_bridgeFrameChunk_set_epoch(&c, 3);
    shm_tensorpool_v12_bridge_bridgeFrameChunk_set_seq(&c, UINT64_C(0x0102030405060708));
    shm_tensorpool_v12_bridge_bridgeFrameChunk_set_traceId(&c, UINT64_C(0x1122334455667788));
    shm_tensorpool_v12_bridge_bridgeFrameChunk_set_chunkIndex(&c, 0);
    shm_tensorpool_v12_bridge_bridgeFrameChunk_set_chunkCount(&c, 2);
    shm_tensorpool_v12_bridge_bridgeFrameChunk_set_chunkOffset(&c, 0);
    shm_tensorpool_v12_bridge_bridgeFrameChunk_set_chunkLength(&c, 5);
    shm_tensorpool_v12_bridge_bridgeFrameChunk_set_payloadLength(&c, 9);
    shm_tensorpool_v12_bridge_bridgeFrameChunk_set_payloadCrc32c(&c, UINT32_C(0xe063e034));
    shm_tensorpool_v12_bridge_bridgeFrameChunk_set_headerIncluded(&c, shm_tensorpool_v12_bridge_bool_TRUE);
    CHECK(shm_tensorpool_v12_bridge_bridgeFrameChunk_put_headerBytes(&c, "\xde\xad\xbe\xef", 4) != NULL);
    CHECK(shm_tensorpool_v12_bridge_bridgeFrameChunk_put_payloadBytes(&c, "hello", 5) != NULL);
    expect_bytes("BridgeFrameChunk v1.2", buf,
        MESSAGE_HEADER_LENGTH + shm_tensorpool_v12_bridge_bridgeFrameChunk_encoded_length(&c), &want);

    CHECK(shm_tensorpool_v12_bridge_messageHeader_wrap(&hdr, want.bytes, 0, 1, want.length) != NULL);
    CHECK(shm_tensorpool_v12_bridge_messageHeader_blockLength(&hdr) == 53);
    CHECK(shm_tensorpool_v12_bridge_bridgeFrameChunk_wrap_for_decode(&c, want.bytes, MESSAGE_HEADER_LENGTH,
        shm_tensorpool_v12_bridge_messageHeader_blockLength(&hdr), shm_tensorpool_v12_bridge_messageHeader_version(&hdr),
        want.length) != NULL);
    enum shm_tensorpool_v12_bridge_bool included;
    CHECK(shm_tensorpool_v12_bridge_bridgeFrameChunk_traceId(&c) == UINT64_C(0x1122334455667788));
    CHECK(shm_tensorpool_v12_bridge_bridgeFrameChunk_payloadCrc32c(&c) == UINT32_C(0xe063e034));
    CHECK(shm_tensorpool_v12_bridge_bridgeFrameChunk_headerIncluded(&c, &included) &&
        included == shm_tensorpool_v12_bridge_bool_TRUE);
}

static void test_trace_link_set(const char *dir)
{
    static const uint64_t parents[] = { UINT64_C(0x0000000100000002), UINT64_C(0x0000000300000004) };
    struct golden want;
    if (load_golden(dir, "trace_link_set.hex", &want) != 0)
    {
        failures++;
        return;
    }

    char buf[MAX_GOLDEN] = { 0 };
    struct shm_tensorpool_tracelink_messageHeader hdr;
    struct shm_tensorpool_tracelink_traceLinkSet s;
    struct shm_tensorpool_tracelink_traceLinkSet_parents group;
    CHECK(shm_tensorpool_tracelink_traceLinkSet_wrap_and_apply_header(&s, buf, 0, want.length, &hdr) != NULL);
    shm_tensorpool_tracelink_traceLinkSet_set_streamId(&s, 10000);
    shm_tensorpool_tracelink_traceLinkSet_set_epoch(&s, 3);
    shm_tensorpool_tracelink_traceLinkSet_set_seq(&s, UINT64_C(0x0102030405060708));
    shm_tensorpool_tracelink_traceLinkSet_set_traceId(&s, UINT64_C(0x1122334455667788));
    CHECK(shm_tensorpool_tracelink_traceLinkSet_parents_set_count(&s, &group, 2) != NULL);
    for (size_t i = 0; i < 2; i++)
    {
        CHECK(shm_tensorpool_tracelink_traceLinkSet_parents_next(&group) != NULL);
        shm_tensorpool_tracelink_traceLinkSet_parents_set_traceId(&group, parents[i]);
    }
    expect_bytes("TraceLinkSet", buf, MESSAGE_HEADER_LENGTH + shm_tensorpool_tracelink_traceLinkSet_encoded_length(&s), &want);

    /* Template 1 as ShmPoolAnnounce: only the schema id tells them apart. */
    CHECK(shm_tensorpool_tracelink_messageHeader_wrap(&hdr, want.bytes, 0, 1, want.length) != NULL);
    CHECK(shm_tensorpool_tracelink_messageHeader_schemaId(&hdr) == 904);
    CHECK(shm_tensorpool_tracelink_messageHeader_templateId(&hdr) == shm_tensorpool_control_shmPoolAnnounce_sbe_template_id());
    CHECK(shm_tensorpool_tracelink_traceLinkSet_wrap_for_decode(&s, want.bytes, MESSAGE_HEADER_LENGTH,
        shm_tensorpool_tracelink_messageHeader_blockLength(&hdr), shm_tensorpool_tracelink_messageHeader_version(&hdr),
        want.length) != NULL);
    CHECK(shm_tensorpool_tracelink_traceLinkSet_get_parents(&s, &group) != NULL);
    CHECK(shm_tensorpool_tracelink_traceLinkSet_parents_count(&group) == 2);
    for (size_t i = 0; shm_tensorpool_tracelink_traceLinkSet_parents_has_next(&group); i++)
    {
        CHECK(shm_tensorpool_tracelink_traceLinkSet_parents_next(&group) != NULL);
        CHECK(i < 2 && shm_tensorpool_tracelink_traceLinkSet_parents_traceId(&group) == parents[i]);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2)
    {
        fprintf(stderr, "usage: %s <golden-dir>\n", argv[0]);
        return 2;
    }
    test_frame_descriptor(argv[1]);
    test_shm_attach_request(argv[1]);
    test_discovery_request(argv[1]);
    test_shm_pool_announce(argv[1]);
    test_frame_descriptor_v12(argv[1]);
    test_frame_progress(argv[1]);
    test_shm_attach_request_v12(argv[1]);
    test_shm_attach_response(argv[1]);
    test_bridge_frame_chunk_v12(argv[1]);
    test_trace_link_set(argv[1]);
    if (failures != 0)
    {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return EXIT_FAILURE;
    }
    printf("sbe_codec_test: 12 golden vectors (5 of them wire v1.2 layouts) encode and decode identically\n");
    return EXIT_SUCCESS;
}

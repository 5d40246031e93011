package wire

import (
	"bytes"
	"encoding/hex"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/tensorpool/tensorpool/wire/sbe/bridge"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
	"github.com/tensorpool/tensorpool/wire/sbe/discovery"
	"github.com/tensorpool/tensorpool/wire/sbe/driver"
)

// The golden vectors in testdata/golden/*.hex were written by hand from the field offsets; the C
// test (cabi/tests/sbe_codec_test.c) checks the generated C codecs against the first four.

var hexComment = regexp.MustCompile(`#[^\n]*`)

func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/golden/" + name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(hexComment.ReplaceAllString(string(raw), "")), ""))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

// encodeGolden runs encode on a zeroed buffer of the golden size and compares the bytes.
func encodeGolden(t *testing.T, name string, encode func(buf []byte) int) []byte {
	t.Helper()
	want := readGolden(t, name)
	buf := make([]byte, len(want))
	if n := encode(buf); n != len(want) {
		t.Fatalf("%s: encoded %d bytes, want %d", name, n, len(want))
	}
	if !bytes.Equal(buf, want) {
		t.Fatalf("%s: encoding differs\n got %x\nwant %x", name, buf, want)
	}
	return want
}

func TestGoldenFrameDescriptor(t *testing.T) {
	buf := encodeGolden(t, "frame_descriptor.hex", func(buf []byte) int {
		var fd control.FrameDescriptor
		fd.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
			SetStreamId(10000).SetEpoch(3).SetSeq(0x0102030405060708).SetHeaderIndex(5).
			SetTimestampNs(1700000000123456789).SetMetaVersion(fd.MetaVersionNullValue())
		return HeaderLength + int(fd.EncodedLength())
	})
	msg, err := ValidateSchema(buf, ControlSchemaID)
	if err != nil {
		t.Fatal(err)
	}
	var fd control.FrameDescriptor
	fd.WrapForDecode(buf, HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	if fd.StreamId() != 10000 || fd.Epoch() != 3 || fd.Seq() != 0x0102030405060708 || fd.HeaderIndex() != 5 ||
		fd.TimestampNs() != 1700000000123456789 || fd.MetaVersion() != fd.MetaVersionNullValue() {
		t.Fatalf("decoded %s", fd.String())
	}
}

func TestGoldenShmAttachRequest(t *testing.T) {
	buf := encodeGolden(t, "shm_attach_request.hex", func(buf []byte) int {
		var r driver.ShmAttachRequest
		r.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
			SetCorrelationId(-2).SetStreamId(10000).SetClientId(42).SetRole(driver.Role_PRODUCER).
			SetExpectedLayoutVersion(1).SetMaxDims(8).SetPublishMode(driver.PublishMode_NULL_VALUE).
			SetRequireHugepages(driver.HugepagesPolicy_HUGEPAGES)
		return HeaderLength + int(r.EncodedLength())
	})
	msg, err := ValidateSchema(buf, DriverSchemaID)
	if err != nil {
		t.Fatal(err)
	}
	var r driver.ShmAttachRequest
	r.WrapForDecode(buf, HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	if r.CorrelationId() != -2 || r.StreamId() != 10000 || r.ClientId() != 42 || r.Role() != driver.Role_PRODUCER ||
		r.ExpectedLayoutVersion() != 1 || r.MaxDims() != 8 || r.PublishMode() != driver.PublishMode_NULL_VALUE ||
		r.RequireHugepages() != driver.HugepagesPolicy_HUGEPAGES {
		t.Fatalf("decoded %s", r.String())
	}
}

func TestGoldenDiscoveryRequestTags(t *testing.T) {
	buf := encodeGolden(t, "discovery_request.hex", func(buf []byte) int {
		var r discovery.DiscoveryRequest
		r.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
			SetRequestId(7).SetClientId(42).SetResponseStreamId(9001).
			SetStreamId(r.StreamIdNullValue()).SetProducerId(r.ProducerIdNullValue()).SetDataSourceId(0x1122334455667788)
		tags := r.TagsCount(2)
		tags.Next().PutTag("camera")
		tags.Next().PutTag("rgb")
		r.PutResponseChannel("aeron:ipc")
		r.PutDataSourceName("")
		return HeaderLength + int(r.EncodedLength())
	})
	msg, err := ValidateSchema(buf, DiscoverySchemaID)
	if err != nil {
		t.Fatal(err)
	}
	var r discovery.DiscoveryRequest
	r.WrapForDecode(buf, HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	if r.RequestId() != 7 || r.StreamId() != r.StreamIdNullValue() || r.DataSourceId() != 0x1122334455667788 {
		t.Fatalf("decoded %s", r.String())
	}
	var got []string
	for tags := r.Tags(); tags.HasNext(); {
		got = append(got, tags.Next().Tag())
	}
	if strings.Join(got, ",") != "camera,rgb" {
		t.Fatalf("tags = %q", got)
	}
	if ch, name := r.ResponseChannel(), r.DataSourceName(); ch != "aeron:ipc" || name != "" {
		t.Fatalf("responseChannel %q, dataSourceName %q", ch, name)
	}
}

func TestGoldenShmPoolAnnounce(t *testing.T) {
	buf := encodeGolden(t, "shm_pool_announce.hex", func(buf []byte) int {
		var a control.ShmPoolAnnounce
		a.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
			SetStreamId(10000).SetProducerId(42).SetEpoch(3).SetAnnounceTimestampNs(1000000000).
			SetAnnounceClockDomain(control.ClockDomain_MONOTONIC).SetLayoutVersion(1).SetHeaderNslots(1024).SetHeaderSlotBytes(256)
		a.PayloadPoolsCount(1).Next().SetPoolId(1).SetPoolNslots(1024).SetStrideBytes(65536).PutRegionUri("/p1")
		a.PutHeaderRegionUri("/h1")
		return HeaderLength + int(a.EncodedLength())
	})
	msg, err := ValidateSchema(buf, ControlSchemaID)
	if err != nil {
		t.Fatal(err)
	}
	var a control.ShmPoolAnnounce
	a.WrapForDecode(buf, HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	if a.AnnounceClockDomain() != control.ClockDomain_MONOTONIC || a.HeaderSlotBytes() != 256 {
		t.Fatalf("decoded %s", a.String())
	}
	pools := a.PayloadPools()
	if pools.Count() != 1 {
		t.Fatalf("payloadPools count %d", pools.Count())
	}
	p := pools.Next()
	if p.PoolId() != 1 || p.PoolNslots() != 1024 || p.StrideBytes() != 65536 || p.RegionUri() != "/p1" {
		t.Fatalf("pool decoded wrong: %s", p.String())
	}
	if uri := a.HeaderRegionUri(); uri != "/h1" {
		t.Fatalf("headerRegionUri %q", uri)
	}
}

func TestGoldenDiscoveryResponse(t *testing.T) {
	buf := encodeGolden(t, "discovery_response.hex", func(buf []byte) int {
		var r discovery.DiscoveryResponse
		r.WrapAndApplyHeader(buf, 0, uint64(len(buf))).SetRequestId(42<<32 | 1).SetStatus(discovery.DiscoveryStatus_OK)
		g := r.ResultsCount(1).Next().
			SetStreamId(10000).SetProducerId(42).SetEpoch(3).SetLayoutVersion(1).SetHeaderNslots(1024).SetHeaderSlotBytes(256).
			SetMaxDims(8).SetDataSourceId((&discovery.DiscoveryResponseResults{}).DataSourceIdNullValue()).SetDriverControlStreamId(1000)
		g.PayloadPoolsCount(1).Next().SetPoolId(1).SetPoolNslots(1024).SetStrideBytes(65536).PutRegionUri("/p1")
		g.TagsCount(1).Next().PutTag("rgb")
		g.PutHeaderRegionUri("/h1").PutDataSourceName("cam").PutDriverInstanceId("d1").PutDriverControlChannel("aeron:ipc")
		r.PutErrorMessage("")
		return HeaderLength + int(r.EncodedLength())
	})
	if _, err := ValidateSchema(buf, DiscoverySchemaID); err != nil {
		t.Fatal(err)
	}
}

func TestGoldenBridgeFrameChunk(t *testing.T) {
	buf := encodeGolden(t, "bridge_frame_chunk.hex", func(buf []byte) int {
		var c bridge.BridgeFrameChunk
		c.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
			SetStreamId(10000).SetEpoch(3).SetSeq(0x0102030405060708).SetChunkIndex(0).SetChunkCount(2).
			SetChunkOffset(0).SetChunkLength(5).SetPayloadLength(9).SetHeaderIncluded(bridge.Bool_TRUE)
		c.PutHeaderBytes("\xde\xad\xbe\xef")
		c.PutPayloadBytes("hello")
		return HeaderLength + int(c.EncodedLength())
	})
	if _, err := ValidateSchema(buf, BridgeSchemaID); err != nil {
		t.Fatal(err)
	}
}

// goldenMessages are the typed messages the golden vectors hold.
var goldenMessages = map[string]typedMessage{
	"frame_descriptor.hex": &FrameDescriptor{StreamID: 10000, Epoch: 3, Seq: 0x0102030405060708, HeaderIndex: 5,
		TimestampNs: 1700000000123456789, MetaVersion: NullU32},
	"shm_attach_request.hex": &ShmAttachRequest{CorrelationID: -2, StreamID: 10000, ClientID: 42, Role: RoleProducer,
		ExpectedLayoutVersion: 1, MaxDims: 8, PublishMode: PublishModeNull, RequireHugepages: HugepagesRequired},
	"discovery_request.hex": &DiscoveryRequest{RequestID: 7, ClientID: 42, ResponseStreamID: 9001, DataSourceID: 0x1122334455667788,
		Tags: []string{"camera", "rgb"}, ResponseChannel: "aeron:ipc"},
	"shm_pool_announce.hex": &ShmPoolAnnounce{StreamID: 10000, ProducerID: 42, Epoch: 3, AnnounceTimestampNs: 1000000000,
		AnnounceClockDomain: ClockMonotonic, LayoutVersion: 1, HeaderNslots: 1024, HeaderSlotBytes: 256,
		PayloadPools: []PayloadPool{{PoolID: 1, PoolNslots: 1024, StrideBytes: 65536, RegionURI: "/p1"}}, HeaderRegionURI: "/h1"},
	"discovery_response.hex": &DiscoveryResponse{RequestID: 42<<32 | 1, Status: DiscoveryStatusOK, Results: []DiscoveryResult{{
		StreamID: 10000, ProducerID: 42, Epoch: 3, LayoutVersion: 1, HeaderNslots: 1024, HeaderSlotBytes: 256, MaxDims: 8,
		DriverControlStreamID: 1000, PayloadPools: []PayloadPool{{PoolID: 1, PoolNslots: 1024, StrideBytes: 65536, RegionURI: "/p1"}},
		Tags: []string{"rgb"}, HeaderRegionURI: "/h1", DataSourceName: "cam", DriverInstanceID: "d1", DriverControlChannel: "aeron:ipc"}}},
	"bridge_frame_chunk.hex": &BridgeFrameChunk{StreamID: 10000, Epoch: 3, Seq: 0x0102030405060708, ChunkCount: 2, ChunkLength: 5,
		PayloadLength: 9, HeaderIncluded: true, HeaderBytes: []byte{0xde, 0xad, 0xbe, 0xef}, PayloadBytes: []byte("hello")},

	"frame_progress.hex": &FrameProgress{StreamID: 10000, Epoch: 3, FrameID: 0x0102030405060708, HeaderIndex: 5,
		PayloadBytesFilled: 65536, State: ProgressStateProgress},
	"shm_attach_response.hex": &ShmAttachResponse{CorrelationID: -2, Code: CodeOK, LeaseID: 5, LeaseExpiryTimestampNs: 1000000000,
		StreamID: 10000, Epoch: 3, LayoutVersion: 1, HeaderNslots: 1024, HeaderSlotBytes: 256, MaxDims: 8,
		PayloadPools: []PayloadPool{{PoolID: 1, PoolNslots: 1024, StrideBytes: 65536, RegionURI: "/p1"}}, HeaderRegionURI: "/h1"},

	// Wire v1.2 layouts: the same values, less the v1.1-only fields, plus the v1.2-only ones.
	"frame_descriptor_v1_2.hex": &FrameDescriptor{Version: V1_2, StreamID: 10000, Epoch: 3, Seq: 0x0102030405060708,
		TimestampNs: 1700000000123456789, MetaVersion: NullU32, TraceID: 0x1122334455667788},
	"frame_progress_v1_2.hex": &FrameProgress{Version: V1_2, StreamID: 10000, Epoch: 3, FrameID: 0x0102030405060708,
		PayloadBytesFilled: 65536, State: ProgressStateProgress},
	"shm_attach_request_v1_2.hex": &ShmAttachRequest{Version: V1_2, CorrelationID: -2, StreamID: 10000, ClientID: 42, Role: RoleProducer,
		ExpectedLayoutVersion: 1, PublishMode: PublishModeNull, RequireHugepages: HugepagesRequired, DesiredNodeID: 7},
	"shm_attach_response_v1_2.hex": &ShmAttachResponse{Version: V1_2, CorrelationID: -2, Code: CodeOK, LeaseID: 5,
		LeaseExpiryTimestampNs: 1000000000, StreamID: 10000, Epoch: 3, LayoutVersion: 1, HeaderNslots: 1024, HeaderSlotBytes: 256,
		NodeID: 7, PayloadPools: []PayloadPool{{PoolID: 1, PoolNslots: 1024, StrideBytes: 65536, RegionURI: "/p1"}}, HeaderRegionURI: "/h1"},
	"bridge_frame_chunk_v1_2.hex": &BridgeFrameChunk{Version: V1_2, StreamID: 10000, Epoch: 3, Seq: 0x0102030405060708,
		TraceID: 0x1122334455667788, ChunkCount: 2, ChunkLength: 5, PayloadLength: 9, PayloadCrc32c: 0xe063e034, HeaderIncluded: true,
		HeaderBytes: []byte{0xde, 0xad, 0xbe, 0xef}, PayloadBytes: []byte("hello")},

	// The schemas new beside wire v1.2: merge (903) and tracelink (904).
	"trace_link_set.hex": &TraceLinkSet{StreamID: 10000, Epoch: 3, Seq: 0x0102030405060708, TraceID: 0x1122334455667788,
		Parents: []uint64{0x0000000100000002, 0x0000000300000004}},
	"sequence_merge_map_announce.hex": &SequenceMergeMapAnnounce{OutStreamID: 20000, Epoch: 3, StaleTimeoutNs: NullU64,
		Rules: []SequenceMergeRule{
			{InputStreamID: 10000, RuleType: MergeRuleOffset, Offset: -1, WindowSize: NullU32},
			{InputStreamID: 10001, RuleType: MergeRuleWindow, Offset: NullI32, WindowSize: 4},
		}},
	"sequence_merge_map_request.hex": &SequenceMergeMapRequest{OutStreamID: 20000, Epoch: 3},
	"timestamp_merge_map_announce.hex": &TimestampMergeMapAnnounce{OutStreamID: 20000, Epoch: 3, StaleTimeoutNs: 1000000000,
		ClockDomain: ClockMonotonic, LatenessNs: NullU64, Rules: []TimestampMergeRule{
			{InputStreamID: 10000, RuleType: MergeTimeRuleOffsetNs, TimestampSource: TimestampSourceFrameDescriptor, OffsetNs: -5000000, WindowNs: NullU64},
			{InputStreamID: 10001, RuleType: MergeTimeRuleWindowNs, TimestampSource: TimestampSourceSlotHeader, OffsetNs: NullI64, WindowNs: 33000000},
		}},
	"timestamp_merge_map_request.hex": &TimestampMergeMapRequest{OutStreamID: 20000, Epoch: 3},
}

// TestGoldenTypedMessages: the typed messages encode every golden vector byte for byte and
// decode it back to the same values (absent optional ids as 0 where the type says so).
func TestGoldenTypedMessages(t *testing.T) {
	for name, m := range goldenMessages {
		t.Run(name, func(t *testing.T) {
			encodeGolden(t, name, func(buf []byte) int {
				n, err := m.Encode(buf)
				if err != nil {
					t.Fatal(err)
				}
				return n
			})
			got := reflect.New(reflect.TypeOf(m).Elem()).Interface().(typedMessage)
			if err := got.Decode(readGolden(t, name)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("decoded %+v\nwant    %+v", got, m)
			}
		})
	}
}

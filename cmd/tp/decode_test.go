package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// encoder is every typed message of package wire.
type encoder interface {
	EncodedLength() int
	Encode(buf []byte) (int, error)
}

func encode(t testing.TB, m encoder) []byte {
	t.Helper()
	buf := make([]byte, m.EncodedLength())
	n, err := m.Encode(buf)
	require.NoError(t, err)
	return buf[:n]
}

// sampleMessages are one message of each kind tap is tested with, both layouts of a
// descriptor among them.
func sampleMessages(t testing.TB) map[string][]byte {
	pools := []wire.PayloadPool{{PoolID: 1, PoolNslots: 16, StrideBytes: 4096, RegionURI: "shm:file?path=/dev/shm/tensorpool/p.pool"}}
	return map[string][]byte{
		"descriptor v1.1": encode(t, &wire.FrameDescriptor{StreamID: 1, Epoch: 2, Seq: 3, HeaderIndex: 3, TimestampNs: wire.NullU64, MetaVersion: 7}),
		"descriptor v1.2": encode(t, &wire.FrameDescriptor{Version: wire.V1_2, StreamID: 1, Epoch: 2, Seq: 3, TimestampNs: 5, MetaVersion: wire.NullU32, TraceID: 99}),
		"announce": encode(t, &wire.ShmPoolAnnounce{StreamID: 1, ProducerID: 2, Epoch: 3, AnnounceTimestampNs: 4, AnnounceClockDomain: wire.ClockMonotonic,
			LayoutVersion: 1, HeaderNslots: 16, HeaderSlotBytes: 256, PayloadPools: pools, HeaderRegionURI: "shm:file?path=/dev/shm/tensorpool/h.ring"}),
		"response": encode(t, &wire.ShmAttachResponse{CorrelationID: 1, Code: wire.CodeRejected, LeaseID: wire.NullU64, LeaseExpiryTimestampNs: wire.NullU64,
			StreamID: wire.NullU32, Epoch: wire.NullU64, LayoutVersion: wire.NullU32, HeaderNslots: wire.NullU32, HeaderSlotBytes: wire.NullU16,
			MaxDims: wire.NullU8, ErrorMessage: "no \x1b[31mred\x1b[0m here"}),
		"request v1.2": encode(t, &wire.ShmAttachRequest{Version: wire.V1_2, CorrelationID: 5, StreamID: 1, ClientID: 9, Role: wire.RoleConsumer,
			PublishMode: wire.PublishModeNull, RequireHugepages: wire.HugepagesUnspecified, DesiredNodeID: 4}),
		"meta": encode(t, &wire.DataSourceMeta{StreamID: 1, MetaVersion: 2, TimestampNs: 3, Attributes: []wire.Attribute{{Key: "k", Format: "text/plain", Value: []byte("value")}}}),
		"chunk v1.2": encode(t, &wire.BridgeFrameChunk{Version: wire.V1_2, StreamID: 1, Epoch: 2, Seq: 3, ChunkCount: 1, ChunkLength: 5, PayloadLength: 5,
			PayloadBytes: []byte("hello")}),
	}
}

func TestDecodeCoversEveryMessage(t *testing.T) {
	// Every message the schemas define (the SHM structures are no messages) has a
	// decoder, and none is listed that the schemas lack.
	shmStructures := map[string]bool{"ShmRegionSuperblock": true, "SlotHeader": true, "TensorHeader": true}
	seen := 0
	for _, schema := range []uint16{wire.ControlSchemaID, wire.DriverSchemaID, wire.BridgeSchemaID, wire.MergeSchemaID, wire.TraceLinkSchemaID, wire.DiscoverySchemaID} {
		for template := range uint16(256) {
			if _, ok := wire.GateFor(schema, template); !ok {
				continue
			}
			h := wire.Header{SchemaID: schema, TemplateID: template}
			if shmStructures[h.ID().String()] {
				continue
			}
			_, ok := messageTypes[h.ID()]
			require.True(t, ok, "no decoder for %v (%d:%d)", h.ID(), schema, template)
			seen++
		}
	}
	require.Equal(t, len(messageTypes), seen)
}

func TestDecodeNamesFieldsAndWireVersions(t *testing.T) {
	m := sampleMessages(t)
	text := func(buf []byte) string {
		d := decodeMessage(buf)
		require.Equal(t, kindMessage, d.Kind, d.Err)
		return d.Name + " wire=" + d.WireVersion + " " + string(d.Fields.appendText(nil))
	}
	require.Equal(t, "FrameDescriptor wire=1.1 streamId=1 epoch=2 seq=3 headerIndex=3 timestampNs=null metaVersion=7", text(m["descriptor v1.1"]))
	require.Equal(t, "FrameDescriptor wire=1.2 streamId=1 epoch=2 seq=3 timestampNs=5 metaVersion=null traceId=99", text(m["descriptor v1.2"]))
	require.Equal(t, "ShmPoolAnnounce wire=1.1/1.2 streamId=1 producerId=2 epoch=3 announceTimestampNs=4 announceClockDomain=MONOTONIC "+
		"layoutVersion=1 headerNslots=16 headerSlotBytes=256 payloadPools=[{poolId=1 poolNslots=16 strideBytes=4096 "+
		"regionUri=shm:file?path=/dev/shm/tensorpool/p.pool}] headerRegionUri=shm:file?path=/dev/shm/tensorpool/h.ring", text(m["announce"]))
	require.Equal(t, `ShmAttachResponse wire=1.1 correlationId=1 code=REJECTED leaseId=null leaseExpiryTimestampNs=null streamId=null epoch=null `+
		`layoutVersion=null headerNslots=null headerSlotBytes=null maxDims=null payloadPools=[] headerRegionUri="" `+
		`errorMessage="no \x1b[31mred\x1b[0m here"`, text(m["response"]), "control characters are escaped")
	require.Equal(t, "ShmAttachRequest wire=1.2 correlationId=5 streamId=1 clientId=9 role=CONSUMER expectedLayoutVersion=0 "+
		"publishMode=NULL requireHugepages=UNSPECIFIED desiredNodeId=4", text(m["request v1.2"]))
	require.Equal(t, `DataSourceMeta wire=1.1/1.2 streamId=1 metaVersion=2 timestampNs=3 attributes=[{key=k format=text/plain value=<5 bytes>}]`, text(m["meta"]))
	require.Contains(t, text(m["chunk v1.2"]), "payloadCrc32c=0 headerIncluded=false headerBytes=<0 bytes> payloadBytes=<5 bytes>")

	var obj map[string]any
	d := decodeMessage(m["announce"])
	enc, err := json.Marshal(d.Fields)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(enc, &obj))
	require.Equal(t, "MONOTONIC", obj["announceClockDomain"])
	require.Len(t, obj["payloadPools"], 1)
}

func TestDecodeReportsWhatIsNoMessage(t *testing.T) {
	descriptor := sampleMessages(t)["descriptor v1.1"]
	for _, tc := range []struct {
		name string
		buf  []byte
		kind string
		err  string
	}{
		{"empty", nil, kindForeign, "needs 8 bytes, 0 remain"},
		{"short header", []byte{1, 2, 3}, kindForeign, "needs 8 bytes, 3 remain"},
		{"foreign schema", []byte{8, 0, 1, 0, 0x39, 0x30, 1, 0}, kindForeign, "schema 12345 is not a tensorpool schema"},
		{"unknown template", []byte{8, 0, 99, 0, 0x84, 3, 1, 0}, kindMalformed, "template 99 is not a message of schema 900"},
		{"truncated", descriptor[:20], kindMalformed, "short buffer"},
		{"block too short", append([]byte{20}, descriptor[1:]...), kindMalformed, "bad length"},
	} {
		d := decodeMessage(tc.buf)
		require.Equal(t, tc.kind, d.Kind, tc.name)
		require.ErrorContains(t, d.Err, tc.err, tc.name)
		line := string(appendTapText(nil, time.Now(), &transport.Header{StreamID: 1}, &d))
		require.Contains(t, line, strings.ToUpper(tc.kind), tc.name)
	}
	// An enum value the schema lacks still decodes the rest, and says so.
	announce := sampleMessages(t)["announce"]
	bad := append([]byte{}, announce...)
	bad[8+24] = 9 // announceClockDomain
	d := decodeMessage(bad)
	require.Equal(t, kindMessage, d.Kind)
	require.ErrorIs(t, d.Err, wire.ErrUnknownEnum)
	require.Contains(t, string(d.Fields.appendText(nil)), "announceClockDomain=ClockDomain(9)")
}

// FuzzDecodeMessage: whatever arrives on a stream decodes or is reported, the tap
// line has no raw control character, and the JSON line is valid JSON.
func FuzzDecodeMessage(f *testing.F) {
	for _, m := range sampleMessages(f) {
		f.Add(m)
	}
	f.Add([]byte{})
	f.Add([]byte{8, 0, 99, 0, 0x84, 3, 1, 0})
	f.Fuzz(func(t *testing.T, buf []byte) {
		d := decodeMessage(buf)
		ep := &subEndpoint{Channel: "aeron:ipc", StreamID: 1}
		h := &transport.Header{StreamID: 1, SessionID: 2}
		line := string(appendTapText(nil, time.Unix(0, 0), h, &d))
		for _, r := range line {
			if unicode.IsControl(r) {
				t.Fatalf("raw control character %q in %q", r, line)
			}
		}
		js, err := appendTapJSON(nil, time.Unix(0, 0), ep, h, &d)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(js) {
			t.Fatalf("invalid JSON: %s", js)
		}
	})
}

package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tensorpool/tensorpool/wire"
)

// bridgeMinimal is the smallest valid bridge file.
const bridgeMinimal = `
[bridge]
instance_id = "b"
payload_channel = "aeron:udp?endpoint=localhost:40456"
payload_stream_id = 3000
control_channel = "aeron:udp?endpoint=localhost:40457"
control_stream_id = 3001
forward_metadata = false
[[mappings]]
source_stream_id = 10000
dest_stream_id = 20000
`

func parseBridge(t *testing.T, text string) (*BridgeConfig, *Error) {
	t.Helper()
	cfg, err := ParseBridgeConfig(strings.NewReader(text))
	if err == nil {
		return cfg, nil
	}
	var cerr *Error
	require.True(t, errors.As(err, &cerr), "error %v is not a *config.Error", err)
	require.Nil(t, cfg)
	return nil, cerr
}

// Bridge spec §10: the reference's example configuration loads unchanged, with its
// four mappings (two of them the reverse direction) and its chunk sizing.
func TestBridgeSpec_10_ReferenceExampleLoadsUnchanged(t *testing.T) {
	cfg, err := parseBridge(t, string(referenceFile(t, "docs/examples/bridge_config_example.toml")))
	require.Nil(t, err)
	b := cfg.Bridge
	assert.Equal(t, "bridge-01", b.InstanceID)
	assert.Equal(t, uint32(3000), b.PayloadStreamID)
	assert.Equal(t, uint32(1200), b.EffectiveChunkBytes())
	require.Len(t, cfg.Mappings, 4)
	assert.Equal(t, BridgeMapping{SourceStreamID: 20000, DestStreamID: 10000, Profile: "processed_profile",
		MetadataStreamID: 10000, SourceControlStreamID: 2201, DestControlStreamID: 1201}, cfg.Mappings[2])
}

// Our own example carries the same keys and loads.
func TestBridgeSpec_10_ExampleConfigLoads(t *testing.T) {
	cfg, err := LoadBridgeConfig("examples/roles/bridge.toml")
	require.NoError(t, err)
	assert.Equal(t, BridgeBoth, cfg.Bridge.Role)
	assert.Equal(t, StreamIDRange{First: 50000, Last: 59999}, cfg.Bridge.DestStreamIDRange)
	assert.Equal(t, uint32(0), cfg.Mappings[1].DestStreamID)
	assert.Equal(t, uint32(1300), cfg.Bridge.DestMetadataStreamID, "defaults to source_metadata_stream_id")
}

// Bridge spec §10: the optional keys' defaults.
func TestBridgeSpec_10_Defaults(t *testing.T) {
	cfg, err := parseBridge(t, bridgeMinimal)
	require.Nil(t, err)
	b := cfg.Bridge
	assert.Equal(t, uint32(0), b.MtuBytes, "0: the channel's MTU")
	assert.Equal(t, uint32(0), b.ChunkBytes)
	assert.Equal(t, uint32(65535), b.MaxChunkBytes)
	assert.Equal(t, uint32(1<<30), b.MaxPayloadBytes)
	assert.Equal(t, uint32(250), b.AssemblyTimeoutMs)
	assert.False(t, b.ForwardQos)
	assert.False(t, b.ForwardProgress)
	assert.False(t, b.DestStreamIDRange.IsSet())
	assert.Equal(t, BridgeBoth, b.Role)
	assert.Equal(t, uint32(1000), b.DriverAnnounceStreamID, "the driver's control stream")
	assert.Equal(t, []string{DefaultShmBaseDir}, b.AllowedBaseDirs)
	assert.Equal(t, uint32(20000), cfg.Mappings[0].MetadataStream(20000), "metadata_stream_id defaults to dest")

	cfg, err = parseBridge(t, strings.Replace(bridgeMinimal, "forward_metadata = false", "metadata_channel = \"aeron:udp?endpoint=localhost:40458\"\nmetadata_stream_id = 3002", 1))
	require.Nil(t, err)
	assert.True(t, cfg.Bridge.ForwardMetadata, "forward_metadata defaults to true")
}

// Bridge spec §10: every required key, and a wrong type or an unknown key, is an error
// that names the key.
func TestBridgeSpec_10_ErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, key string
	}{
		{"no instance_id", `instance_id = "b"`, "", "bridge.instance_id"},
		{"no payload_channel", `payload_channel = "aeron:udp?endpoint=localhost:40456"`, "", "bridge.payload_channel"},
		{"no payload_stream_id", "payload_stream_id = 3000", "", "bridge.payload_stream_id"},
		{"no control_channel", `control_channel = "aeron:udp?endpoint=localhost:40457"`, "", "bridge.control_channel"},
		{"empty control_channel", `control_channel = "aeron:udp?endpoint=localhost:40457"`, `control_channel = ""`, "bridge.control_channel"},
		{"no control_stream_id", "control_stream_id = 3001", "", "bridge.control_stream_id"},
		{"stream id as a string", "payload_stream_id = 3000", `payload_stream_id = "3000"`, "bridge.payload_stream_id"},
		{"negative stream id", "control_stream_id = 3001", "control_stream_id = -1", "bridge.control_stream_id"},
		{"unknown key", "forward_metadata = false", "forward_metadata = false\nforward_everything = true", "bridge.forward_everything"},
		{"bad role", "forward_metadata = false", "forward_metadata = false\nrole = \"relay\"", "bridge.role"},
		{"no mappings", "[[mappings]]\nsource_stream_id = 10000\ndest_stream_id = 20000", "", "mappings"},
		{"mapping without source", "source_stream_id = 10000\n", "", "mappings[0].source_stream_id"},
		{"mapping without dest", "dest_stream_id = 20000\n", "", "mappings[0].dest_stream_id"},
		{"relative base dir", "forward_metadata = false", "forward_metadata = false\nallowed_base_dirs = [\"shm\"]", "bridge.allowed_base_dirs[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(bridgeMinimal, tc.from, tc.to, 1)
			require.NotEqual(t, bridgeMinimal, text, "the case changes nothing")
			_, err := parseBridge(t, text)
			require.NotNil(t, err)
			assert.Equal(t, tc.key, err.Key, "%v", err)
		})
	}
}

// Bridge spec §5.2, §10, §11: chunk sizing. The effective chunk is chunk_bytes capped by
// mtu_bytes-128 and max_chunk_bytes, or mtu_bytes-128, or max_chunk_bytes, and never 0
// for a valid configuration (the reference divided by it).
func TestBridgeSpec_5_2_ChunkSizing(t *testing.T) {
	for _, tc := range []struct {
		name                        string
		mtu, chunk, maxChunk, maxPl uint32
		want                        uint32
		key                         string
	}{
		{name: "reference example", mtu: 1408, chunk: 1200, maxChunk: 65535, maxPl: 1 << 30, want: 1200},
		{name: "chunk from the mtu", mtu: 1408, maxChunk: 65535, maxPl: 1 << 30, want: 1280},
		{name: "nothing set: max_chunk_bytes", maxChunk: 65535, maxPl: 1 << 30, want: 65535},
		{name: "chunk alone", chunk: 8000, maxChunk: 65535, maxPl: 1 << 30, want: 8000},
		{name: "max_chunk caps the mtu", mtu: 9000, maxChunk: 4096, maxPl: 1 << 20, want: 4096},
		{name: "one-byte chunks", chunk: 1, maxChunk: 1, maxPl: 65535, want: 1},
		{name: "chunk over the mtu bound", mtu: 1408, chunk: 1281, maxChunk: 65535, maxPl: 1 << 30, key: "bridge.chunk_bytes"},
		{name: "chunk over max_chunk", chunk: 5000, maxChunk: 4096, maxPl: 1 << 30, key: "bridge.chunk_bytes"},
		{name: "max_chunk over the schema", maxChunk: 65536, maxPl: 1 << 30, key: "bridge.max_chunk_bytes"},
		{name: "max_chunk zero", maxChunk: 0, maxPl: 1 << 30, key: "bridge.max_chunk_bytes"},
		{name: "mtu without room", mtu: 128, maxChunk: 65535, maxPl: 1 << 30, key: "bridge.mtu_bytes"},
		{name: "max_payload zero", maxChunk: 65535, maxPl: 0, key: "bridge.max_payload_bytes"},
		{name: "max_payload over the schema", maxChunk: 65535, maxPl: 1<<30 + 1, key: "bridge.max_payload_bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validBridge()
			b := &cfg.Bridge
			b.MtuBytes, b.ChunkBytes, b.MaxChunkBytes, b.MaxPayloadBytes = tc.mtu, tc.chunk, tc.maxChunk, tc.maxPl
			err := cfg.Validate()
			if tc.key != "" {
				var cerr *Error
				require.True(t, errors.As(err, &cerr), "want an error on %s, got %v", tc.key, err)
				assert.Equal(t, tc.key, cerr.Key, "%v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, b.EffectiveChunkBytes())
		})
	}
}

// validBridge is a valid configuration built in code.
func validBridge() *BridgeConfig {
	cfg := DefaultBridge()
	b := &cfg.Bridge
	b.PayloadChannel, b.PayloadStreamID = "aeron:udp?endpoint=localhost:40456", 3000
	b.ControlChannel, b.ControlStreamID = "aeron:udp?endpoint=localhost:40457", 3001
	b.MetadataChannel, b.MetadataStreamID = "aeron:udp?endpoint=localhost:40458", 3002
	cfg.Mappings = []BridgeMapping{{SourceStreamID: 10000, DestStreamID: 20000, SourceControlStreamID: 1201, DestControlStreamID: 2201}}
	return cfg
}

func bridgeKey(t *testing.T, cfg *BridgeConfig) string {
	t.Helper()
	err := cfg.Validate()
	if err == nil {
		return ""
	}
	var cerr *Error
	require.True(t, errors.As(err, &cerr), "%v", err)
	return cerr.Key
}

// Bridge spec §5.3a: the assembly timeout is mandatory, so 0 is refused.
func TestBridgeSpec_5_3a_AssemblyTimeoutIsRequired(t *testing.T) {
	cfg := validBridge()
	cfg.Bridge.AssemblyTimeoutMs = 0
	assert.Equal(t, "bridge.assembly_timeout_ms", bridgeKey(t, cfg))
}

// Bridge spec §7.1: forward_metadata without a metadata channel or stream fails fast.
func TestBridgeSpec_7_1_ForwardMetadataNeedsItsEndpoint(t *testing.T) {
	cfg := validBridge()
	cfg.Bridge.MetadataChannel = ""
	assert.Equal(t, "bridge.metadata_channel", bridgeKey(t, cfg))
	cfg = validBridge()
	cfg.Bridge.MetadataStreamID = 0
	assert.Equal(t, "bridge.metadata_stream_id", bridgeKey(t, cfg))
	cfg.Bridge.ForwardMetadata = false
	assert.Equal(t, "", bridgeKey(t, cfg), "without forwarding the endpoint is not needed")
}

// Bridge spec §9: forwarding progress (or QoS) needs both control stream ids of every
// mapping; the bridge fails fast at startup.
func TestBridgeSpec_9_ForwardingNeedsBothControlStreams(t *testing.T) {
	for _, fwd := range []string{"progress", "qos"} {
		for _, side := range []string{"source", "dest"} {
			cfg := validBridge()
			cfg.Bridge.ForwardProgress, cfg.Bridge.ForwardQos = fwd == "progress", fwd == "qos"
			require.Equal(t, "", bridgeKey(t, cfg))
			if side == "source" {
				cfg.Mappings[0].SourceControlStreamID = 0
			} else {
				cfg.Mappings[0].DestControlStreamID = 0
			}
			assert.Equal(t, "mappings[0]."+side+"_control_stream_id", bridgeKey(t, cfg), "forward %s", fwd)
		}
	}
}

// Bridge spec §2.3 and §4: mappings' stream ids are distinct, a destination has one
// producer, and the reverse direction of a mapping is allowed.
func TestBridgeSpec_2_3_MappingsAreDistinct(t *testing.T) {
	cfg := validBridge()
	cfg.Mappings = append(cfg.Mappings, BridgeMapping{SourceStreamID: 20000, DestStreamID: 10000})
	assert.Equal(t, "", bridgeKey(t, cfg), "A→B and B→A")

	cfg = validBridge()
	cfg.Mappings[0].DestStreamID = 10000
	assert.Equal(t, "mappings[0].dest_stream_id", bridgeKey(t, cfg), "onto itself")

	cfg = validBridge()
	cfg.Mappings = append(cfg.Mappings, cfg.Mappings[0])
	assert.Equal(t, "mappings[1]", bridgeKey(t, cfg), "the same pair twice")

	cfg = validBridge()
	cfg.Mappings = append(cfg.Mappings, BridgeMapping{SourceStreamID: 10001, DestStreamID: 20000})
	assert.Equal(t, "mappings[1].dest_stream_id", bridgeKey(t, cfg), "two producers of one destination")

	cfg = validBridge()
	cfg.Mappings[0].SourceStreamID = 0
	assert.Equal(t, "mappings[0].source_stream_id", bridgeKey(t, cfg))

	cfg = validBridge()
	cfg.Bridge.ControlChannel, cfg.Bridge.ControlStreamID = cfg.Bridge.PayloadChannel, cfg.Bridge.PayloadStreamID
	assert.Equal(t, "bridge.control_stream_id", bridgeKey(t, cfg), "control messages on the chunks' stream")
}

// Bridge spec §4: dest_stream_id 0 needs the range, and the range overlaps none of the
// stream ids the configuration names.
func TestBridgeSpec_4_DestinationRange(t *testing.T) {
	cfg := validBridge()
	cfg.Mappings[0].DestStreamID = 0
	assert.Equal(t, "mappings[0].dest_stream_id", bridgeKey(t, cfg), "no range to allocate from")
	cfg.Bridge.DestStreamIDRange = StreamIDRange{First: 50000, Last: 59999}
	assert.Equal(t, "", bridgeKey(t, cfg))
	cfg.Mappings = append(cfg.Mappings, BridgeMapping{SourceStreamID: 10001})
	assert.Equal(t, "", bridgeKey(t, cfg), "several mappings may allocate")

	for _, tc := range []struct {
		name  string
		tweak func(*BridgeConfig)
	}{
		{"payload stream", func(c *BridgeConfig) { c.Bridge.PayloadStreamID = 50000 }},
		{"control stream", func(c *BridgeConfig) { c.Bridge.ControlStreamID = 59999 }},
		{"metadata stream", func(c *BridgeConfig) { c.Bridge.MetadataStreamID = 55555 }},
		{"driver control", func(c *BridgeConfig) { c.Bridge.DriverControlStreamID = 50001 }},
		{"driver announce", func(c *BridgeConfig) { c.Bridge.DriverAnnounceStreamID = 50002 }},
		{"descriptors", func(c *BridgeConfig) { c.Bridge.DescriptorStreamID = 50003 }},
		{"a fixed destination", func(c *BridgeConfig) { c.Mappings[1].DestStreamID = 50004 }},
		{"a source", func(c *BridgeConfig) { c.Mappings[1].SourceStreamID = 50005 }},
		{"a dest control stream", func(c *BridgeConfig) { c.Mappings[0].DestControlStreamID = 50006 }},
		{"a metadata stream id", func(c *BridgeConfig) { c.Mappings[0].MetadataStreamID = 50007 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validBridge()
			c.Mappings = []BridgeMapping{{SourceStreamID: 10000, SourceControlStreamID: 1201, DestControlStreamID: 2201}, {SourceStreamID: 10001}}
			c.Bridge.DestStreamIDRange = StreamIDRange{First: 50000, Last: 59999}
			tc.tweak(c)
			assert.Equal(t, "bridge.dest_stream_id_range", bridgeKey(t, c))
		})
	}
	_, err := parseBridge(t, strings.Replace(bridgeMinimal, "forward_metadata = false", "forward_metadata = false\ndest_stream_id_range = \"9-1\"", 1))
	require.NotNil(t, err)
	assert.Equal(t, "bridge.dest_stream_id_range", err.Key)
	cfg, err = parseBridge(t, strings.Replace(bridgeMinimal, "forward_metadata = false", "forward_metadata = false\ndest_stream_id_range = [50000, 50009]", 1))
	require.Nil(t, err)
	assert.Equal(t, StreamIDRange{First: 50000, Last: 50009}, cfg.Bridge.DestStreamIDRange)
	reserved := cfg.ReservedStreamIDs()
	for _, id := range []uint32{3000, 3001, 1000, 1100, 1300, 10000, 20000} {
		assert.True(t, reserved[id], "%d reserved", id)
	}
	assert.False(t, reserved[0])
}

func TestBridgeRoles(t *testing.T) {
	for text, want := range map[string]BridgeRole{"sender": BridgeSender, "receiver": BridgeReceiver, "both": BridgeBoth} {
		cfg, err := parseBridge(t, strings.Replace(bridgeMinimal, "forward_metadata = false", "forward_metadata = false\nrole = \""+text+"\"", 1))
		require.Nil(t, err)
		assert.Equal(t, want, cfg.Bridge.Role)
		assert.Equal(t, text, want.String())
		assert.Equal(t, want != BridgeReceiver, want.Sends())
		assert.Equal(t, want != BridgeSender, want.Receives())
	}
}

func FuzzParseBridgeConfig(f *testing.F) {
	f.Add(bridgeMinimal)
	f.Add(strings.Replace(bridgeMinimal, "forward_metadata = false", "dest_stream_id_range = \"50000-50001\"", 1))
	f.Add("[bridge]\nchunk_bytes = 0\n[[mappings]]\n")
	f.Add(strings.Replace(bridgeMinimal, "forward_metadata = false", "forward_metadata = false\nwire_version = \"1.2\"", 1))
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := ParseBridgeConfig(strings.NewReader(text))
		if err != nil {
			var cerr *Error
			if !errors.As(err, &cerr) || cfg != nil {
				t.Fatalf("error %T %v (config %v) is not a lone *config.Error", err, err, cfg)
			}
			return
		}
		if cfg.Bridge.EffectiveChunkBytes() == 0 || len(cfg.Mappings) == 0 || cfg.Bridge.AssemblyTimeoutMs == 0 || !cfg.Bridge.WireVersion.Valid() {
			t.Fatalf("accepted a configuration a bridge cannot run: %+v", cfg)
		}
	})
}

// TestBridgeSpec_1_1_WireVersionKey: bridge.wire_version names the BridgeFrameChunk layout
// the sender speaks (wire v1.2 is Bridge spec v1.1's); it defaults to 1.1, takes "1.2",
// and names anything else, from the file or set in code, in its error.
func TestBridgeSpec_1_1_WireVersionKey(t *testing.T) {
	cfg, err := parseBridge(t, bridgeMinimal)
	require.Nil(t, err)
	assert.Equal(t, wire.V1_1, cfg.Bridge.WireVersion)
	v12 := strings.Replace(bridgeMinimal, "forward_metadata = false", "forward_metadata = false\nwire_version = \"1.2\"", 1)
	cfg, err = parseBridge(t, v12)
	require.Nil(t, err)
	assert.Equal(t, wire.V1_2, cfg.Bridge.WireVersion)

	for _, bad := range []string{`"2.0"`, `""`, `1.2`} {
		_, err = parseBridge(t, strings.Replace(bridgeMinimal, "forward_metadata = false", "forward_metadata = false\nwire_version = "+bad, 1))
		require.NotNil(t, err, bad)
		assert.Equal(t, "bridge.wire_version", err.Key, bad)
	}

	inCode := validBridge()
	inCode.Bridge.WireVersion = wire.Version(7)
	assert.Equal(t, "bridge.wire_version", bridgeKey(t, inCode))
}

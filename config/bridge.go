package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"

	"github.com/tensorpool/tensorpool/wire"
)

// The UDP bridge's configuration (Bridge spec v1.0 §10; the reference's
// CONFIG_REFERENCE §2): the keys of the spec under [bridge] and [[mappings]], so the
// reference's bridge_config_example.toml loads unchanged, plus keys of tensorpool's
// own for what the spec leaves to the deployment (which halves run, the local SHM
// driver and the local IPC streams).

// Bridge defaults and limits.
const (
	DefaultBridgeInstanceID      = "bridge"
	DefaultBridgeMaxChunkBytes   = 65535 // the schema's maxValue of chunkLength
	DefaultBridgeMaxPayloadBytes = 1 << 30
	DefaultBridgeAssemblyTimeout = 250 // ms, Bridge spec §10
	// DefaultDescriptorStreamID and DefaultMetadataStreamID are the reference's shared
	// descriptor and metadata streams.
	DefaultDescriptorStreamID = 1100
	DefaultMetadataStreamID   = 1300
	// MaxBridgeChunkBytes and MaxBridgePayloadBytes are the schema's maxima of chunkLength
	// and payloadLength (Bridge spec §11), MaxBridgeChunkCount that of chunkCount (§5.2).
	MaxBridgeChunkBytes   = 65535
	MaxBridgePayloadBytes = 1 << 30
	MaxBridgeChunkCount   = 65535
	// BridgeMTUOverhead is what chunk_bytes leaves of mtu_bytes for Aeron, IP and UDP
	// (§5.2: chunk_bytes = MTU - 128).
	BridgeMTUOverhead = 128
)

const (
	bridgeRoleBoth     = "both"
	bridgeRoleSender   = "sender"
	bridgeRoleReceiver = "receiver"
)

// BridgeRole says which halves of every mapping a bridge instance runs (the [bridge]
// role key, tensorpool's own): the sender reads the mappings' source streams and sends
// them over UDP, the receiver re-materialises what arrives into its host's SHM.
type BridgeRole uint8

const (
	BridgeBoth BridgeRole = iota // both halves (the default)
	BridgeSender
	BridgeReceiver
)

func (r BridgeRole) String() string {
	switch r {
	case BridgeSender:
		return bridgeRoleSender
	case BridgeReceiver:
		return bridgeRoleReceiver
	}
	return bridgeRoleBoth
}

// Sends reports whether the role includes the sender half.
func (r BridgeRole) Sends() bool { return r != BridgeReceiver }

// Receives reports whether the role includes the receiver half.
func (r BridgeRole) Receives() bool { return r != BridgeSender }

// BridgeConfig is one bridge instance: its [bridge] section and its mappings.
type BridgeConfig struct {
	Bridge   BridgeSection
	Mappings []BridgeMapping
}

// BridgeSection is the [bridge] table.
type BridgeSection struct {
	// The Bridge spec's keys (§10).
	InstanceID      string
	AeronDir        string // "" means $AERON_DIR, else Aeron's default
	PayloadChannel  string
	PayloadStreamID uint32
	ControlChannel  string
	ControlStreamID uint32
	// MetadataChannel and MetadataStreamID carry forwarded DataSourceAnnounce and
	// DataSourceMeta between the hosts (§7.1); SourceMetadataStreamID is the stream the
	// sender reads them from on its host (on LocalChannel).
	MetadataChannel        string
	MetadataStreamID       uint32
	SourceMetadataStreamID uint32
	// MtuBytes 0 means the payload channel's MTU (the publication's); ChunkBytes 0
	// means MtuBytes-128 (§10).
	MtuBytes          uint32
	ChunkBytes        uint32
	MaxChunkBytes     uint32
	MaxPayloadBytes   uint32
	AssemblyTimeoutMs uint32
	ForwardMetadata   bool
	ForwardQos        bool
	ForwardProgress   bool
	// DestStreamIDRange is where mappings with dest_stream_id 0 get their destination
	// stream (§4).
	DestStreamIDRange StreamIDRange

	// tensorpool's keys.
	//
	// Role: "both", "sender" or "receiver".
	Role BridgeRole
	// ClientID is the first SHM driver client id the bridge's leases use; 0 picks ids
	// from the process id.
	ClientID uint32
	// DriverControlChannel, DriverControlStreamID: the local SHM driver's control
	// stream; DriverAnnounceStreamID: where it announces (default the control stream).
	DriverControlChannel   string
	DriverControlStreamID  uint32
	DriverAnnounceStreamID uint32
	// LocalChannel is the IPC channel of the host's own streams the bridge reads and
	// writes: descriptors, the mappings' source and destination control streams, and the
	// metadata streams.
	LocalChannel       string
	DescriptorStreamID uint32
	// DestMetadataStreamID is the local stream the receiver republishes forwarded
	// metadata on (§7.1); default SourceMetadataStreamID.
	DestMetadataStreamID uint32
	// AllowedBaseDirs are the directories source regions may be mapped from (Wire
	// §15.21a.5); default shm.DefaultBaseDir.
	AllowedBaseDirs []string
	// WireVersion is bridge.wire_version: the layout of the BridgeFrameChunks the sender
	// sends (v1.2 is Bridge spec v1.1's, with traceId and payloadCrc32c) and of the
	// destination producers' descriptors; default "1.1". The receiver reads either.
	WireVersion wire.Version
}

// BridgeMapping is one [[mappings]] entry: a stream read on the sender's host and
// re-materialised on the receiver's.
type BridgeMapping struct {
	SourceStreamID uint32
	// DestStreamID 0 takes an id from DestStreamIDRange when the receiver attaches.
	DestStreamID uint32
	// Profile names the destination's pool layout; the destination SHM driver's
	// configuration of the stream decides it, so it is informative here.
	Profile string
	// MetadataStreamID is the stream id forwarded metadata carries on the destination
	// host; 0 means the destination stream.
	MetadataStreamID      uint32
	SourceControlStreamID uint32
	DestControlStreamID   uint32
}

// MetadataStream is the stream_id forwarded metadata carries for m on the destination
// host once dest is known (§7.1: metadata_stream_id, else dest_stream_id).
func (m BridgeMapping) MetadataStream(dest uint32) uint32 {
	if m.MetadataStreamID != 0 {
		return m.MetadataStreamID
	}
	return dest
}

// DefaultBridge returns what a file with only the required keys gives, without them:
// set the payload and control endpoints, the metadata endpoint (or ForwardMetadata
// false) and at least one mapping, then Validate.
func DefaultBridge() *BridgeConfig {
	return &BridgeConfig{Bridge: BridgeSection{
		InstanceID:             DefaultBridgeInstanceID,
		SourceMetadataStreamID: DefaultMetadataStreamID,
		MaxChunkBytes:          DefaultBridgeMaxChunkBytes,
		MaxPayloadBytes:        DefaultBridgeMaxPayloadBytes,
		AssemblyTimeoutMs:      DefaultBridgeAssemblyTimeout,
		ForwardMetadata:        true,
		DriverControlChannel:   DefaultChannel,
		DriverControlStreamID:  DefaultControlStreamID,
		LocalChannel:           DefaultChannel,
		DescriptorStreamID:     DefaultDescriptorStreamID,
	}}
}

// LoadBridgeConfig reads and validates the bridge configuration in the TOML file at
// path. Every failure is a *Error naming the key.
func LoadBridgeConfig(path string) (*BridgeConfig, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errorf("", fmt.Sprintf("cannot open %q: %v", path, err))
	}
	defer f.Close()
	return ParseBridgeConfig(f)
}

// ParseBridgeConfig parses and validates a bridge configuration. Every failure is a
// *Error naming the key.
func ParseBridgeConfig(r io.Reader) (*BridgeConfig, error) {
	var raw rawBridgeFile
	md, err := toml.NewDecoder(r).Decode(&raw)
	if err != nil {
		return nil, decodeError(err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		return nil, errorf(undecoded[0].String(), "unknown key")
	}
	cfg, cerr := raw.convert()
	if cerr != nil {
		return nil, cerr
	}
	if verr := cfg.validate(); verr != nil {
		return nil, verr
	}
	return cfg, nil
}

type rawBridgeFile struct {
	Bridge   rawBridge          `toml:"bridge"`
	Mappings []rawBridgeMapping `toml:"mappings"`
}

type rawBridge struct {
	InstanceID             any `toml:"instance_id"`
	AeronDir               any `toml:"aeron_dir"`
	PayloadChannel         any `toml:"payload_channel"`
	PayloadStreamID        any `toml:"payload_stream_id"`
	ControlChannel         any `toml:"control_channel"`
	ControlStreamID        any `toml:"control_stream_id"`
	MetadataChannel        any `toml:"metadata_channel"`
	MetadataStreamID       any `toml:"metadata_stream_id"`
	SourceMetadataStreamID any `toml:"source_metadata_stream_id"`
	MtuBytes               any `toml:"mtu_bytes"`
	ChunkBytes             any `toml:"chunk_bytes"`
	MaxChunkBytes          any `toml:"max_chunk_bytes"`
	MaxPayloadBytes        any `toml:"max_payload_bytes"`
	AssemblyTimeoutMs      any `toml:"assembly_timeout_ms"`
	ForwardMetadata        any `toml:"forward_metadata"`
	ForwardQos             any `toml:"forward_qos"`
	ForwardProgress        any `toml:"forward_progress"`
	DestStreamIDRange      any `toml:"dest_stream_id_range"`

	Role                   any `toml:"role"`
	ClientID               any `toml:"client_id"`
	DriverControlChannel   any `toml:"driver_control_channel"`
	DriverControlStreamID  any `toml:"driver_control_stream_id"`
	DriverAnnounceStreamID any `toml:"driver_announce_stream_id"`
	LocalChannel           any `toml:"local_channel"`
	DescriptorStreamID     any `toml:"descriptor_stream_id"`
	DestMetadataStreamID   any `toml:"dest_metadata_stream_id"`
	AllowedBaseDirs        any `toml:"allowed_base_dirs"`
	WireVersion            any `toml:"wire_version"`
}

type rawBridgeMapping struct {
	SourceStreamID        any `toml:"source_stream_id"`
	DestStreamID          any `toml:"dest_stream_id"`
	Profile               any `toml:"profile"`
	MetadataStreamID      any `toml:"metadata_stream_id"`
	SourceControlStreamID any `toml:"source_control_stream_id"`
	DestControlStreamID   any `toml:"dest_control_stream_id"`
}

// convert applies types and defaults, each value alone; validate checks the relations.
func (f *rawBridgeFile) convert() (*BridgeConfig, *Error) {
	var c converter
	cfg := DefaultBridge()
	b, r := &cfg.Bridge, &f.Bridge
	b.InstanceID = c.str("bridge.instance_id", r.InstanceID, "")
	if r.InstanceID == nil {
		c.fail("bridge.instance_id", "is required")
	}
	b.AeronDir = c.str("bridge.aeron_dir", r.AeronDir, "")
	b.PayloadChannel = c.str("bridge.payload_channel", r.PayloadChannel, "")
	b.PayloadStreamID = c.optionalID("bridge.payload_stream_id", r.PayloadStreamID, 0)
	b.ControlChannel = c.str("bridge.control_channel", r.ControlChannel, "")
	b.ControlStreamID = c.optionalID("bridge.control_stream_id", r.ControlStreamID, 0)
	b.MetadataChannel = c.str("bridge.metadata_channel", r.MetadataChannel, "")
	b.MetadataStreamID = c.optionalID("bridge.metadata_stream_id", r.MetadataStreamID, 0)
	b.SourceMetadataStreamID = c.optionalID("bridge.source_metadata_stream_id", r.SourceMetadataStreamID, DefaultMetadataStreamID)
	b.MtuBytes = uint32(c.integer("bridge.mtu_bytes", r.MtuBytes, 0, 0, maxUint32))
	b.ChunkBytes = uint32(c.integer("bridge.chunk_bytes", r.ChunkBytes, 0, 0, maxUint32))
	b.MaxChunkBytes = uint32(c.integer("bridge.max_chunk_bytes", r.MaxChunkBytes, DefaultBridgeMaxChunkBytes, 0, maxUint32))
	b.MaxPayloadBytes = uint32(c.integer("bridge.max_payload_bytes", r.MaxPayloadBytes, DefaultBridgeMaxPayloadBytes, 0, maxUint32))
	b.AssemblyTimeoutMs = uint32(c.integer("bridge.assembly_timeout_ms", r.AssemblyTimeoutMs, DefaultBridgeAssemblyTimeout, 0, maxUint32))
	b.ForwardMetadata = c.boolean("bridge.forward_metadata", r.ForwardMetadata, true)
	b.ForwardQos = c.boolean("bridge.forward_qos", r.ForwardQos, false)
	b.ForwardProgress = c.boolean("bridge.forward_progress", r.ForwardProgress, false)
	b.DestStreamIDRange = c.idRange("bridge.dest_stream_id_range", r.DestStreamIDRange)

	switch role := c.str("bridge.role", r.Role, bridgeRoleBoth); role {
	case bridgeRoleBoth:
		b.Role = BridgeBoth
	case bridgeRoleSender:
		b.Role = BridgeSender
	case bridgeRoleReceiver:
		b.Role = BridgeReceiver
	default:
		c.fail("bridge.role", fmt.Sprintf("%q is not one of %q, %q or %q", role, bridgeRoleBoth, bridgeRoleSender, bridgeRoleReceiver))
	}
	b.ClientID = uint32(c.integer("bridge.client_id", r.ClientID, 0, 0, maxUint32))
	b.DriverControlChannel = c.str("bridge.driver_control_channel", r.DriverControlChannel, DefaultChannel)
	b.DriverControlStreamID = c.streamID("bridge.driver_control_stream_id", r.DriverControlStreamID, DefaultControlStreamID)
	b.DriverAnnounceStreamID = c.optionalID("bridge.driver_announce_stream_id", r.DriverAnnounceStreamID, 0)
	b.LocalChannel = c.str("bridge.local_channel", r.LocalChannel, DefaultChannel)
	b.DescriptorStreamID = c.streamID("bridge.descriptor_stream_id", r.DescriptorStreamID, DefaultDescriptorStreamID)
	b.DestMetadataStreamID = c.optionalID("bridge.dest_metadata_stream_id", r.DestMetadataStreamID, 0)
	b.AllowedBaseDirs = c.strings("bridge.allowed_base_dirs", r.AllowedBaseDirs)
	if v := c.str("bridge.wire_version", r.WireVersion, "1.1"); c.err == nil {
		if err := b.WireVersion.UnmarshalText([]byte(v)); err != nil {
			c.fail("bridge.wire_version", fmt.Sprintf("%q is not a wire spec version this bridge speaks (1.1, 1.2)", v))
		}
	}

	for i, m := range f.Mappings {
		key := fmt.Sprintf("mappings[%d]", i)
		if m.SourceStreamID == nil {
			c.fail(key+".source_stream_id", "is required")
		}
		if m.DestStreamID == nil {
			c.fail(key+".dest_stream_id", "is required (0 takes one from bridge.dest_stream_id_range)")
		}
		cfg.Mappings = append(cfg.Mappings, BridgeMapping{
			SourceStreamID:        c.optionalID(key+".source_stream_id", m.SourceStreamID, 0),
			DestStreamID:          c.optionalID(key+".dest_stream_id", m.DestStreamID, 0),
			Profile:               c.str(key+".profile", m.Profile, ""),
			MetadataStreamID:      c.optionalID(key+".metadata_stream_id", m.MetadataStreamID, 0),
			SourceControlStreamID: c.optionalID(key+".source_control_stream_id", m.SourceControlStreamID, 0),
			DestControlStreamID:   c.optionalID(key+".dest_control_stream_id", m.DestControlStreamID, 0),
		})
	}
	return cfg, c.err
}

// optionalID reads a stream id where 0 means "not set".
func (c *converter) optionalID(key string, v any, def uint32) uint32 {
	return uint32(c.integer(key, v, uint64(def), 0, MaxStreamID))
}

// Validate derives the fields a file derives and checks the Bridge spec's rules
// (LoadBridgeConfig's); every failure is a *Error naming the key.
func (c *BridgeConfig) Validate() error {
	if err := c.validate(); err != nil {
		return err
	}
	return nil
}

// validate derives what the file leaves to others, then checks the rules.
func (c *BridgeConfig) validate() *Error {
	b := &c.Bridge
	if b.DriverAnnounceStreamID == 0 {
		b.DriverAnnounceStreamID = b.DriverControlStreamID
	}
	if b.DestMetadataStreamID == 0 {
		b.DestMetadataStreamID = b.SourceMetadataStreamID
	}
	if len(b.AllowedBaseDirs) == 0 {
		b.AllowedBaseDirs = []string{DefaultShmBaseDir}
	}
	if !b.WireVersion.Valid() {
		return errorf("bridge.wire_version", fmt.Sprintf("%v is not a wire spec version this bridge speaks (1.1, 1.2)", b.WireVersion))
	}
	for i, dir := range b.AllowedBaseDirs {
		if !filepath.IsAbs(dir) {
			return errorf(fmt.Sprintf("bridge.allowed_base_dirs[%d]", i), fmt.Sprintf("%q is not an absolute path", dir))
		}
	}
	for _, req := range []struct {
		key   string
		value string
	}{
		{"bridge.instance_id", b.InstanceID},
		{"bridge.payload_channel", b.PayloadChannel},
		{"bridge.control_channel", b.ControlChannel},
		{"bridge.driver_control_channel", b.DriverControlChannel},
		{"bridge.local_channel", b.LocalChannel},
	} {
		if req.value == "" {
			return errorf(req.key, "is required and must not be empty")
		}
	}
	for _, id := range []struct {
		key string
		v   uint32
	}{
		{"bridge.payload_stream_id", b.PayloadStreamID},
		{"bridge.control_stream_id", b.ControlStreamID},
		{"bridge.driver_control_stream_id", b.DriverControlStreamID},
		{"bridge.descriptor_stream_id", b.DescriptorStreamID},
	} {
		if id.v == 0 || id.v > MaxStreamID {
			return errorf(id.key, fmt.Sprintf("is required: a stream id in [1, %d], got %d", MaxStreamID, id.v))
		}
	}
	if b.PayloadChannel == b.ControlChannel && b.PayloadStreamID == b.ControlStreamID {
		return errorf("bridge.control_stream_id", fmt.Sprintf("%d is the payload stream on the same channel: chunks and control messages need their own streams", b.ControlStreamID))
	}
	// §7.1: metadata forwarding needs its channel and stream; fail fast without them.
	if b.ForwardMetadata {
		if b.MetadataChannel == "" {
			return errorf("bridge.metadata_channel", "is required when bridge.forward_metadata is true (Bridge spec §7.1)")
		}
		if b.MetadataStreamID == 0 {
			return errorf("bridge.metadata_stream_id", "is required when bridge.forward_metadata is true (Bridge spec §7.1)")
		}
		if b.SourceMetadataStreamID == 0 {
			return errorf("bridge.source_metadata_stream_id", "is required when bridge.forward_metadata is true (Bridge spec §7.1)")
		}
	}
	if err := b.validateChunking(); err != nil {
		return err
	}
	if b.AssemblyTimeoutMs == 0 {
		return errorf("bridge.assembly_timeout_ms", "must be at least 1: receivers must time incomplete frames out (Bridge spec §5.3a; 100-500 recommended)")
	}
	if len(c.Mappings) == 0 {
		return errorf("mappings", "at least one [[mappings]] entry is required")
	}
	if err := c.validateMappings(); err != nil {
		return err
	}
	return c.validateDestRange()
}

// EffectiveChunkBytes is the largest payload slice a chunk carries, from the
// configuration alone (Bridge spec §5.2, §10): chunk_bytes capped by mtu_bytes-128 and
// max_chunk_bytes; without chunk_bytes, mtu_bytes-128; without either, max_chunk_bytes.
// It is never 0 for a valid configuration. A sender further caps it so a chunk fits its
// publication's frames.
func (b *BridgeSection) EffectiveChunkBytes() uint32 {
	limit := b.MaxChunkBytes
	if b.MtuBytes > BridgeMTUOverhead {
		limit = min(limit, b.MtuBytes-BridgeMTUOverhead)
	}
	if b.ChunkBytes != 0 {
		limit = min(limit, b.ChunkBytes)
	}
	return limit
}

// validateChunking checks the chunk sizing keys (§5.2, §10, §11).
func (b *BridgeSection) validateChunking() *Error {
	if b.MaxChunkBytes == 0 || b.MaxChunkBytes > MaxBridgeChunkBytes {
		return errorf("bridge.max_chunk_bytes", fmt.Sprintf("%d is out of range [1, %d] (chunkLength's maximum)", b.MaxChunkBytes, MaxBridgeChunkBytes))
	}
	if b.MaxPayloadBytes == 0 || b.MaxPayloadBytes > MaxBridgePayloadBytes {
		return errorf("bridge.max_payload_bytes", fmt.Sprintf("%d is out of range [1, %d] (payloadLength's maximum)", b.MaxPayloadBytes, MaxBridgePayloadBytes))
	}
	if b.MtuBytes != 0 && b.MtuBytes <= BridgeMTUOverhead {
		return errorf("bridge.mtu_bytes", fmt.Sprintf("%d leaves no payload after the %d bytes of overhead a chunk reserves (0 means the channel's MTU)", b.MtuBytes, BridgeMTUOverhead))
	}
	if b.MtuBytes != 0 && b.ChunkBytes > b.MtuBytes-BridgeMTUOverhead {
		return errorf("bridge.chunk_bytes", fmt.Sprintf("%d exceeds bridge.mtu_bytes - %d = %d", b.ChunkBytes, BridgeMTUOverhead, b.MtuBytes-BridgeMTUOverhead))
	}
	if b.ChunkBytes > b.MaxChunkBytes {
		return errorf("bridge.chunk_bytes", fmt.Sprintf("%d exceeds bridge.max_chunk_bytes %d", b.ChunkBytes, b.MaxChunkBytes))
	}
	return nil
}

// validateMappings checks each mapping and their relations (§2.3, §4, §9).
func (c *BridgeConfig) validateMappings() *Error {
	b := &c.Bridge
	pairs := make(map[[2]uint32]int, len(c.Mappings))
	dests := make(map[uint32]int, len(c.Mappings))
	for i, m := range c.Mappings {
		key := fmt.Sprintf("mappings[%d]", i)
		if m.SourceStreamID == 0 {
			return errorf(key+".source_stream_id", "must be a stream id, not 0")
		}
		if m.DestStreamID == 0 && !b.DestStreamIDRange.IsSet() {
			return errorf(key+".dest_stream_id", "0 takes an id from bridge.dest_stream_id_range, which is not set")
		}
		// §2.3: stream ids must be distinct, and a stream bridged onto its own id loops.
		if m.DestStreamID == m.SourceStreamID {
			return errorf(key+".dest_stream_id", fmt.Sprintf("%d is the mapping's source stream: stream ids must be distinct (Bridge spec §2.3)", m.DestStreamID))
		}
		pair := [2]uint32{m.SourceStreamID, m.DestStreamID}
		if j, dup := pairs[pair]; dup && m.DestStreamID != 0 {
			return errorf(key, fmt.Sprintf("maps %d to %d as mappings[%d] does", m.SourceStreamID, m.DestStreamID, j))
		}
		pairs[pair] = i
		// §4: the bridge is the destination stream's exclusive producer; two mappings
		// cannot both be.
		if j, dup := dests[m.DestStreamID]; dup && m.DestStreamID != 0 {
			return errorf(key+".dest_stream_id", fmt.Sprintf("%d is mappings[%d]'s destination too: a destination stream has one producer (Bridge spec §4)", m.DestStreamID, j))
		}
		dests[m.DestStreamID] = i
		// §9: forwarding progress or QoS needs both control streams of the mapping.
		if b.ForwardProgress || b.ForwardQos {
			what := "bridge.forward_progress"
			if !b.ForwardProgress {
				what = "bridge.forward_qos"
			}
			if m.SourceControlStreamID == 0 {
				return errorf(key+".source_control_stream_id", "must be set when "+what+" is true (Bridge spec §9)")
			}
			if m.DestControlStreamID == 0 {
				return errorf(key+".dest_control_stream_id", "must be set when "+what+" is true (Bridge spec §9)")
			}
		}
	}
	return nil
}

// validateDestRange checks that the destination range overlaps no stream id the bridge
// or its hosts' drivers use otherwise (§4, §10).
func (c *BridgeConfig) validateDestRange() *Error {
	b := &c.Bridge
	r := b.DestStreamIDRange
	if !r.IsSet() {
		return nil
	}
	const key = "bridge.dest_stream_id_range"
	reserved := []struct {
		name string
		id   uint32
	}{
		{"bridge.payload_stream_id", b.PayloadStreamID},
		{"bridge.control_stream_id", b.ControlStreamID},
		{"bridge.metadata_stream_id", b.MetadataStreamID},
		{"bridge.source_metadata_stream_id", b.SourceMetadataStreamID},
		{"bridge.dest_metadata_stream_id", b.DestMetadataStreamID},
		{"bridge.driver_control_stream_id", b.DriverControlStreamID},
		{"bridge.driver_announce_stream_id", b.DriverAnnounceStreamID},
		{"bridge.descriptor_stream_id", b.DescriptorStreamID},
	}
	for _, res := range reserved {
		if r.Contains(res.id) {
			return errorf(key, fmt.Sprintf("%d-%d contains %s %d (Bridge spec §4)", r.First, r.Last, res.name, res.id))
		}
	}
	for i, m := range c.Mappings {
		for _, id := range []struct {
			name string
			v    uint32
		}{
			{"source_stream_id", m.SourceStreamID},
			{"dest_stream_id", m.DestStreamID},
			{"metadata_stream_id", m.MetadataStreamID},
			{"source_control_stream_id", m.SourceControlStreamID},
			{"dest_control_stream_id", m.DestControlStreamID},
		} {
			if r.Contains(id.v) {
				return errorf(key, fmt.Sprintf("%d-%d contains mappings[%d].%s %d: it must hold dynamically allocated destinations only (Bridge spec §4)", r.First, r.Last, i, id.name, id.v))
			}
		}
	}
	return nil
}

// ReservedStreamIDs lists the stream ids a destination taken from DestStreamIDRange must
// not be: every id the configuration names.
func (c *BridgeConfig) ReservedStreamIDs() map[uint32]bool {
	b := &c.Bridge
	ids := map[uint32]bool{}
	for _, id := range []uint32{b.PayloadStreamID, b.ControlStreamID, b.MetadataStreamID, b.SourceMetadataStreamID,
		b.DestMetadataStreamID, b.DriverControlStreamID, b.DriverAnnounceStreamID, b.DescriptorStreamID} {
		ids[id] = true
	}
	for _, m := range c.Mappings {
		for _, id := range []uint32{m.SourceStreamID, m.DestStreamID, m.MetadataStreamID, m.SourceControlStreamID, m.DestControlStreamID} {
			ids[id] = true
		}
	}
	delete(ids, 0)
	return ids
}

package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
)

// The rate limiter's configuration (RateLimiter spec v1.0 §8): the spec's keys under
// [rate_limiter] and [[mappings]], plus keys of tensorpool's own for what the spec
// leaves to the deployment (the local SHM driver, where source descriptors and metadata
// travel, the consumer served).

// DefaultRateLimiterChannel is the spec's default control and QoS channel (§8).
const DefaultRateLimiterChannel = "aeron:ipc?term-length=1m"

// RateLimiterConfig is one rate limiter instance: its [rate_limiter] section and its
// mappings.
type RateLimiterConfig struct {
	RateLimiter RateLimiterSection
	Mappings    []RateLimiterMapping
}

// RateLimiterSection is the [rate_limiter] table.
type RateLimiterSection struct {
	// The RateLimiter spec's keys (§8).
	InstanceID string
	// DescriptorChannel and DescriptorStreamID carry the destination streams'
	// FrameDescriptors.
	DescriptorChannel  string
	DescriptorStreamID uint32
	ForwardMetadata    bool
	ForwardProgress    bool
	ForwardQos         bool
	// MaxRateHz is the rate when neither a ConsumerHello nor the mapping gives one; 0 is
	// unlimited.
	MaxRateHz             uint32
	ControlChannel        string
	SourceControlStreamID uint32
	DestControlStreamID   uint32
	QosChannel            string
	SourceQosStreamID     uint32
	DestQosStreamID       uint32

	// tensorpool's keys.
	AeronDir string // "" means $AERON_DIR, else Aeron's default
	// ClientID is the first SHM driver client id the leases use; 0 picks ids from the
	// process id.
	ClientID uint32
	// DriverControlChannel, DriverControlStreamID: the local SHM driver's control stream
	// (the leases, and the destination consumers' hellos); DriverAnnounceStreamID: where it
	// announces (default the control stream).
	DriverControlChannel   string
	DriverControlStreamID  uint32
	DriverAnnounceStreamID uint32
	// SourceDescriptorChannel and SourceDescriptorStreamID carry the source streams'
	// FrameDescriptors; default the destination's.
	SourceDescriptorChannel  string
	SourceDescriptorStreamID uint32
	// MetadataChannel, SourceMetadataStreamID and DestMetadataStreamID: where the source
	// streams' DataSourceAnnounce and DataSourceMeta are read and where they are forwarded
	// (§6); the destination defaults to the source stream.
	MetadataChannel        string
	SourceMetadataStreamID uint32
	DestMetadataStreamID   uint32
	// ConsumerID is the destination consumer whose ConsumerHello.max_rate_hz rules
	// (§4, per-consumer operation); 0 follows the first consumer that says hello on a
	// destination stream, and no other.
	ConsumerID uint32
	// AllowedBaseDirs are the directories source regions may be mapped from (Wire
	// §15.21a.5); default shm.DefaultBaseDir.
	AllowedBaseDirs []string
}

// RateLimiterMapping is one [[mappings]] entry.
type RateLimiterMapping struct {
	SourceStreamID uint32
	DestStreamID   uint32
	// Profile names the destination's pool layout; the SHM driver's configuration of the
	// destination stream decides it, so it is informative here.
	Profile string
	// MaxRateHz is the mapping's rate when no ConsumerHello gives one, if HasMaxRate;
	// otherwise the section's MaxRateHz applies.
	MaxRateHz  uint32
	HasMaxRate bool
	// MetadataStreamID is the stream id forwarded metadata carries; 0 means the
	// destination stream.
	MetadataStreamID uint32
}

// FallbackRateHz is the mapping's rate when no ConsumerHello sets one (§8).
func (m RateLimiterMapping) FallbackRateHz(section *RateLimiterSection) uint32 {
	if m.HasMaxRate {
		return m.MaxRateHz
	}
	return section.MaxRateHz
}

// MetadataStream is the stream_id forwarded metadata carries (§6).
func (m RateLimiterMapping) MetadataStream() uint32 {
	if m.MetadataStreamID != 0 {
		return m.MetadataStreamID
	}
	return m.DestStreamID
}

// DefaultRateLimiter returns what a file with only the required keys gives, without
// them: set DescriptorChannel, DescriptorStreamID and at least one mapping, then
// Validate.
func DefaultRateLimiter() *RateLimiterConfig {
	return &RateLimiterConfig{RateLimiter: RateLimiterSection{
		ForwardMetadata:        true,
		ControlChannel:         DefaultRateLimiterChannel,
		QosChannel:             DefaultRateLimiterChannel,
		DriverControlChannel:   DefaultChannel,
		DriverControlStreamID:  DefaultControlStreamID,
		MetadataChannel:        DefaultChannel,
		SourceMetadataStreamID: DefaultMetadataStreamID,
	}}
}

// LoadRateLimiterConfig reads and validates the rate limiter configuration in the TOML
// file at path. Every failure is a *Error naming the key.
func LoadRateLimiterConfig(path string) (*RateLimiterConfig, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errorf("", fmt.Sprintf("cannot open %q: %v", path, err))
	}
	defer f.Close()
	return ParseRateLimiterConfig(f)
}

// ParseRateLimiterConfig parses and validates a rate limiter configuration. Every
// failure is a *Error naming the key.
func ParseRateLimiterConfig(r io.Reader) (*RateLimiterConfig, error) {
	var raw rawRateLimiterFile
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

type rawRateLimiterFile struct {
	RateLimiter rawRateLimiter          `toml:"rate_limiter"`
	Mappings    []rawRateLimiterMapping `toml:"mappings"`
}

type rawRateLimiter struct {
	InstanceID            any `toml:"instance_id"`
	DescriptorChannel     any `toml:"descriptor_channel"`
	DescriptorStreamID    any `toml:"descriptor_stream_id"`
	ForwardMetadata       any `toml:"forward_metadata"`
	ForwardProgress       any `toml:"forward_progress"`
	ForwardQos            any `toml:"forward_qos"`
	MaxRateHz             any `toml:"max_rate_hz"`
	ControlChannel        any `toml:"control_channel"`
	SourceControlStreamID any `toml:"source_control_stream_id"`
	DestControlStreamID   any `toml:"dest_control_stream_id"`
	QosChannel            any `toml:"qos_channel"`
	SourceQosStreamID     any `toml:"source_qos_stream_id"`
	DestQosStreamID       any `toml:"dest_qos_stream_id"`

	AeronDir                 any `toml:"aeron_dir"`
	ClientID                 any `toml:"client_id"`
	DriverControlChannel     any `toml:"driver_control_channel"`
	DriverControlStreamID    any `toml:"driver_control_stream_id"`
	DriverAnnounceStreamID   any `toml:"driver_announce_stream_id"`
	SourceDescriptorChannel  any `toml:"source_descriptor_channel"`
	SourceDescriptorStreamID any `toml:"source_descriptor_stream_id"`
	MetadataChannel          any `toml:"metadata_channel"`
	SourceMetadataStreamID   any `toml:"source_metadata_stream_id"`
	DestMetadataStreamID     any `toml:"dest_metadata_stream_id"`
	ConsumerID               any `toml:"consumer_id"`
	AllowedBaseDirs          any `toml:"allowed_base_dirs"`
}

type rawRateLimiterMapping struct {
	SourceStreamID   any `toml:"source_stream_id"`
	DestStreamID     any `toml:"dest_stream_id"`
	Profile          any `toml:"profile"`
	MaxRateHz        any `toml:"max_rate_hz"`
	MetadataStreamID any `toml:"metadata_stream_id"`
}

func (f *rawRateLimiterFile) convert() (*RateLimiterConfig, *Error) {
	var c converter
	cfg := DefaultRateLimiter()
	s, r := &cfg.RateLimiter, &f.RateLimiter
	for _, req := range []struct {
		key string
		v   any
	}{
		{"rate_limiter.instance_id", r.InstanceID},
		{"rate_limiter.descriptor_channel", r.DescriptorChannel},
		{"rate_limiter.descriptor_stream_id", r.DescriptorStreamID},
	} {
		if req.v == nil {
			c.fail(req.key, "is required (RateLimiter spec §8)")
		}
	}
	s.InstanceID = c.str("rate_limiter.instance_id", r.InstanceID, "")
	s.DescriptorChannel = c.str("rate_limiter.descriptor_channel", r.DescriptorChannel, "")
	s.DescriptorStreamID = c.optionalID("rate_limiter.descriptor_stream_id", r.DescriptorStreamID, 0)
	s.ForwardMetadata = c.boolean("rate_limiter.forward_metadata", r.ForwardMetadata, true)
	s.ForwardProgress = c.boolean("rate_limiter.forward_progress", r.ForwardProgress, false)
	s.ForwardQos = c.boolean("rate_limiter.forward_qos", r.ForwardQos, false)
	s.MaxRateHz = uint32(c.integer("rate_limiter.max_rate_hz", r.MaxRateHz, 0, 0, maxUint32))
	s.ControlChannel = c.str("rate_limiter.control_channel", r.ControlChannel, DefaultRateLimiterChannel)
	s.SourceControlStreamID = c.optionalID("rate_limiter.source_control_stream_id", r.SourceControlStreamID, 0)
	s.DestControlStreamID = c.optionalID("rate_limiter.dest_control_stream_id", r.DestControlStreamID, 0)
	s.QosChannel = c.str("rate_limiter.qos_channel", r.QosChannel, DefaultRateLimiterChannel)
	s.SourceQosStreamID = c.optionalID("rate_limiter.source_qos_stream_id", r.SourceQosStreamID, 0)
	s.DestQosStreamID = c.optionalID("rate_limiter.dest_qos_stream_id", r.DestQosStreamID, 0)

	s.AeronDir = c.str("rate_limiter.aeron_dir", r.AeronDir, "")
	s.ClientID = uint32(c.integer("rate_limiter.client_id", r.ClientID, 0, 0, maxUint32))
	s.DriverControlChannel = c.str("rate_limiter.driver_control_channel", r.DriverControlChannel, DefaultChannel)
	s.DriverControlStreamID = c.streamID("rate_limiter.driver_control_stream_id", r.DriverControlStreamID, DefaultControlStreamID)
	s.DriverAnnounceStreamID = c.optionalID("rate_limiter.driver_announce_stream_id", r.DriverAnnounceStreamID, 0)
	s.SourceDescriptorChannel = c.str("rate_limiter.source_descriptor_channel", r.SourceDescriptorChannel, "")
	s.SourceDescriptorStreamID = c.optionalID("rate_limiter.source_descriptor_stream_id", r.SourceDescriptorStreamID, 0)
	s.MetadataChannel = c.str("rate_limiter.metadata_channel", r.MetadataChannel, DefaultChannel)
	s.SourceMetadataStreamID = c.optionalID("rate_limiter.source_metadata_stream_id", r.SourceMetadataStreamID, DefaultMetadataStreamID)
	s.DestMetadataStreamID = c.optionalID("rate_limiter.dest_metadata_stream_id", r.DestMetadataStreamID, 0)
	s.ConsumerID = uint32(c.integer("rate_limiter.consumer_id", r.ConsumerID, 0, 0, maxUint32))
	s.AllowedBaseDirs = c.strings("rate_limiter.allowed_base_dirs", r.AllowedBaseDirs)

	for i, m := range f.Mappings {
		key := fmt.Sprintf("mappings[%d]", i)
		if m.SourceStreamID == nil {
			c.fail(key+".source_stream_id", "is required")
		}
		if m.DestStreamID == nil {
			c.fail(key+".dest_stream_id", "is required")
		}
		cfg.Mappings = append(cfg.Mappings, RateLimiterMapping{
			SourceStreamID:   c.optionalID(key+".source_stream_id", m.SourceStreamID, 0),
			DestStreamID:     c.optionalID(key+".dest_stream_id", m.DestStreamID, 0),
			Profile:          c.str(key+".profile", m.Profile, ""),
			MaxRateHz:        uint32(c.integer(key+".max_rate_hz", m.MaxRateHz, 0, 0, maxUint32)),
			HasMaxRate:       m.MaxRateHz != nil,
			MetadataStreamID: c.optionalID(key+".metadata_stream_id", m.MetadataStreamID, 0),
		})
	}
	return cfg, c.err
}

// Validate derives the fields a file derives and checks the RateLimiter spec's rules
// (LoadRateLimiterConfig's); every failure is a *Error naming the key.
func (c *RateLimiterConfig) Validate() error {
	if err := c.validate(); err != nil {
		return err
	}
	return nil
}

func (c *RateLimiterConfig) validate() *Error {
	s := &c.RateLimiter
	if s.DriverAnnounceStreamID == 0 {
		s.DriverAnnounceStreamID = s.DriverControlStreamID
	}
	if s.SourceDescriptorChannel == "" {
		s.SourceDescriptorChannel = s.DescriptorChannel
	}
	if s.SourceDescriptorStreamID == 0 {
		s.SourceDescriptorStreamID = s.DescriptorStreamID
	}
	if s.DestMetadataStreamID == 0 {
		s.DestMetadataStreamID = s.SourceMetadataStreamID
	}
	if len(s.AllowedBaseDirs) == 0 {
		s.AllowedBaseDirs = []string{DefaultShmBaseDir}
	}
	for i, dir := range s.AllowedBaseDirs {
		if !filepath.IsAbs(dir) {
			return errorf(fmt.Sprintf("rate_limiter.allowed_base_dirs[%d]", i), fmt.Sprintf("%q is not an absolute path", dir))
		}
	}
	for _, req := range []struct {
		key   string
		value string
	}{
		{"rate_limiter.instance_id", s.InstanceID},
		{"rate_limiter.descriptor_channel", s.DescriptorChannel},
		{"rate_limiter.driver_control_channel", s.DriverControlChannel},
	} {
		if req.value == "" {
			return errorf(req.key, "is required and must not be empty")
		}
	}
	for _, id := range []struct {
		key string
		v   uint32
	}{
		{"rate_limiter.descriptor_stream_id", s.DescriptorStreamID},
		{"rate_limiter.driver_control_stream_id", s.DriverControlStreamID},
	} {
		if id.v == 0 || id.v > MaxStreamID {
			return errorf(id.key, fmt.Sprintf("is required: a stream id in [1, %d], got %d", MaxStreamID, id.v))
		}
	}
	// §8: forwarding must not start when the ids it needs are zero; this fails fast.
	if s.ForwardProgress {
		if s.ControlChannel == "" {
			return errorf("rate_limiter.control_channel", "is required when rate_limiter.forward_progress is true (RateLimiter spec §6.1)")
		}
		if s.SourceControlStreamID == 0 {
			return errorf("rate_limiter.source_control_stream_id", "must be nonzero when rate_limiter.forward_progress is true (RateLimiter spec §8)")
		}
		if s.DestControlStreamID == 0 {
			return errorf("rate_limiter.dest_control_stream_id", "must be nonzero when rate_limiter.forward_progress is true (RateLimiter spec §8)")
		}
	}
	if s.ForwardQos {
		if s.QosChannel == "" {
			return errorf("rate_limiter.qos_channel", "is required when rate_limiter.forward_qos is true (RateLimiter spec §6.1)")
		}
		if s.SourceQosStreamID == 0 {
			return errorf("rate_limiter.source_qos_stream_id", "must be nonzero when rate_limiter.forward_qos is true (RateLimiter spec §8)")
		}
		if s.DestQosStreamID == 0 {
			return errorf("rate_limiter.dest_qos_stream_id", "must be nonzero when rate_limiter.forward_qos is true (RateLimiter spec §8)")
		}
	}
	if s.ForwardMetadata {
		if s.MetadataChannel == "" {
			return errorf("rate_limiter.metadata_channel", "is required when rate_limiter.forward_metadata is true (RateLimiter spec §6)")
		}
		if s.SourceMetadataStreamID == 0 {
			return errorf("rate_limiter.source_metadata_stream_id", "must be nonzero when rate_limiter.forward_metadata is true (RateLimiter spec §6)")
		}
	}
	if len(c.Mappings) == 0 {
		return errorf("mappings", "at least one [[mappings]] entry is required")
	}
	dests := make(map[uint32]int, len(c.Mappings))
	for i, m := range c.Mappings {
		key := fmt.Sprintf("mappings[%d]", i)
		if m.SourceStreamID == 0 {
			return errorf(key+".source_stream_id", "must be a stream id, not 0")
		}
		if m.DestStreamID == 0 {
			return errorf(key+".dest_stream_id", "must be a stream id, not 0")
		}
		// §3: the destination is a distinct stream; publishing on the source is forbidden.
		if m.DestStreamID == m.SourceStreamID {
			return errorf(key+".dest_stream_id", fmt.Sprintf("%d is the mapping's source stream: the rate limiter never publishes the source stream (RateLimiter spec §3)", m.DestStreamID))
		}
		// §3: the rate limiter is the destination's sole producer.
		if j, dup := dests[m.DestStreamID]; dup {
			return errorf(key+".dest_stream_id", fmt.Sprintf("%d is mappings[%d]'s destination too: a destination stream has one producer (RateLimiter spec §3)", m.DestStreamID, j))
		}
		dests[m.DestStreamID] = i
	}
	for i, m := range c.Mappings {
		if j, ok := dests[m.SourceStreamID]; ok {
			return errorf(fmt.Sprintf("mappings[%d].source_stream_id", i), fmt.Sprintf("%d is mappings[%d]'s destination: a rate limiter would read its own output", m.SourceStreamID, j))
		}
	}
	return nil
}

package config

import (
	"fmt"
	"io"
	"os"

	"github.com/BurntSushi/toml"
)

// The control-plane roles' tables: [discovery], [discovery_registry] and [supervisor].
// One file may configure several roles (the reference's system config holds [producer],
// [consumer] and [supervisor]; a driver file may hold [discovery]): each loader reads its
// own table, checks every key in it (an unknown key is an error naming it) and leaves the
// other tables to their roles. The [driver] table, when present, gives the discovery
// provider its defaults. Scalars are overridden from the environment as the driver's are
// (DISCOVERY_STREAM_ID, SUPERVISOR_LIVENESS_TIMEOUT_NS, ...).

// LoadDiscoveryConfig reads the [discovery] table of the TOML file at path, with
// environment overrides. Every failure is a *Error.
func LoadDiscoveryConfig(path string) (*DiscoveryConfig, error) {
	return loadRole(path, ParseDiscoveryConfigEnv)
}

// LoadRegistryConfig reads the [discovery_registry] table of the TOML file at path, with
// environment overrides. Every failure is a *Error.
func LoadRegistryConfig(path string) (*RegistryConfig, error) {
	return loadRole(path, ParseRegistryConfigEnv)
}

// LoadSupervisorConfig reads the [supervisor] table of the TOML file at path, with
// environment overrides. Every failure is a *Error.
func LoadSupervisorConfig(path string) (*SupervisorConfig, error) {
	return loadRole(path, ParseSupervisorConfigEnv)
}

func loadRole[T any](path string, parse func(io.Reader, LookupEnv) (*T, error)) (*T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errorf("", fmt.Sprintf("cannot open %q: %v", path, err))
	}
	defer f.Close()
	return parse(f, os.LookupEnv)
}

// ParseDiscoveryConfigEnv parses the [discovery] table (required) with the overrides env
// reports (nil for none) and validates it.
func ParseDiscoveryConfigEnv(r io.Reader, env LookupEnv) (*DiscoveryConfig, error) {
	f, err := decodeRoleFile(r, env, "discovery")
	if err != nil {
		return nil, err
	}
	if f.Discovery == nil {
		return nil, errorf("discovery", "the file has no [discovery] table")
	}
	var c converter
	d := c.driverSection(&f.Driver)
	cfg := c.discovery(f.Discovery, d)
	if c.err != nil {
		return nil, c.err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// ParseRegistryConfigEnv parses the [discovery_registry] table (required) with the
// overrides env reports (nil for none) and validates it.
func ParseRegistryConfigEnv(r io.Reader, env LookupEnv) (*RegistryConfig, error) {
	f, err := decodeRoleFile(r, env, "discovery_registry")
	if err != nil {
		return nil, err
	}
	if f.Registry == nil {
		return nil, errorf("discovery_registry", "the file has no [discovery_registry] table")
	}
	var c converter
	cfg := c.registry(f.Registry)
	if c.err != nil {
		return nil, c.err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// ParseSupervisorConfigEnv parses the [supervisor] table with the overrides env reports
// (nil for none) and validates it; a file without one gives the defaults.
func ParseSupervisorConfigEnv(r io.Reader, env LookupEnv) (*SupervisorConfig, error) {
	f, err := decodeRoleFile(r, env, "supervisor")
	if err != nil {
		return nil, err
	}
	if f.Supervisor == nil {
		f.Supervisor = &rawSupervisor{}
	}
	var c converter
	cfg := c.supervisor(f.Supervisor)
	if c.err != nil {
		return nil, c.err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// rawRoleFile is what the role loaders read of a file; other tables are other roles'.
type rawRoleFile struct {
	Driver     rawDriver      `toml:"driver"`
	Discovery  *rawDiscovery  `toml:"discovery"`
	Registry   *rawRegistry   `toml:"discovery_registry"`
	Supervisor *rawSupervisor `toml:"supervisor"`
}

// decodeRoleFile decodes r, rejects unknown keys in the table of the role being loaded
// and applies env to the scalars of that table and of [driver].
func decodeRoleFile(r io.Reader, env LookupEnv, table string) (*rawRoleFile, error) {
	var f rawRoleFile
	md, err := toml.NewDecoder(r).Decode(&f)
	if err != nil {
		return nil, decodeError(err)
	}
	for _, k := range md.Undecoded() {
		if k[0] == table {
			return nil, errorf(k.String(), "unknown key")
		}
	}
	if env == nil {
		return &f, nil
	}
	scalars := f.Driver.scalars()
	switch table {
	case "discovery":
		if f.Discovery != nil {
			scalars = append(scalars, f.Discovery.scalars()...)
		}
	case "discovery_registry":
		if f.Registry != nil {
			scalars = append(scalars, f.Registry.scalars()...)
		}
	case "supervisor":
		if f.Supervisor == nil {
			f.Supervisor = &rawSupervisor{}
		}
		scalars = append(scalars, f.Supervisor.scalars()...)
	}
	for _, s := range scalars {
		name := EnvName(s.key)
		if v, ok := env(name); ok {
			*s.value = envValue{name: name, text: v}
		}
	}
	return &f, nil
}

type rawDiscovery struct {
	Channel               any `toml:"channel"`
	StreamID              any `toml:"stream_id"`
	AnnounceChannel       any `toml:"announce_channel"`
	AnnounceStreamID      any `toml:"announce_stream_id"`
	MetadataChannel       any `toml:"metadata_channel"`
	MetadataStreamID      any `toml:"metadata_stream_id"`
	DriverInstanceID      any `toml:"driver_instance_id"`
	DriverControlChannel  any `toml:"driver_control_channel"`
	DriverControlStreamID any `toml:"driver_control_stream_id"`
	rawLimits
}

type rawLimits struct {
	MaxResults           any `toml:"max_results"`
	ExpiryNs             any `toml:"expiry_ns"`
	ResponseBufBytes     any `toml:"response_buf_bytes"`
	MaxEntries           any `toml:"max_entries"`
	MaxResponseEndpoints any `toml:"max_response_endpoints"`
}

type rawRegistry struct {
	Channel   any              `toml:"channel"`
	StreamID  any              `toml:"stream_id"`
	Endpoints []rawRegistryEnd `toml:"endpoints"`
	rawLimits
}

type rawRegistryEnd struct {
	DriverInstanceID      any `toml:"driver_instance_id"`
	AnnounceChannel       any `toml:"announce_channel"`
	AnnounceStreamID      any `toml:"announce_stream_id"`
	MetadataChannel       any `toml:"metadata_channel"`
	MetadataStreamID      any `toml:"metadata_stream_id"`
	DriverControlChannel  any `toml:"driver_control_channel"`
	DriverControlStreamID any `toml:"driver_control_stream_id"`
}

type rawSupervisor struct {
	AeronDir                any `toml:"aeron_dir"`
	AeronURI                any `toml:"aeron_uri"`
	ControlStreamID         any `toml:"control_stream_id"`
	QosStreamID             any `toml:"qos_stream_id"`
	AnnounceStreamID        any `toml:"announce_stream_id"`
	StreamID                any `toml:"stream_id"`
	LivenessTimeoutNs       any `toml:"liveness_timeout_ns"`
	LivenessCheckIntervalNs any `toml:"liveness_check_interval_ns"`
	RateLimitSlowConsumers  any `toml:"rate_limit_slow_consumers"`
	SlowAfterReports        any `toml:"slow_after_reports"`
	SlowDropsPerReport      any `toml:"slow_drops_per_report"`
	LagFrames               any `toml:"lag_frames"`
	MinLimitedNs            any `toml:"min_limited_ns"`
	MaxLimitedNs            any `toml:"max_limited_ns"`
	DescriptorStreamIDRange any `toml:"descriptor_stream_id_range"`
	ControlStreamIDRange    any `toml:"control_stream_id_range"`
}

func (d *rawDiscovery) scalars() []scalar {
	const t = "discovery."
	return append([]scalar{
		{t + "channel", &d.Channel},
		{t + "stream_id", &d.StreamID},
		{t + "announce_channel", &d.AnnounceChannel},
		{t + "announce_stream_id", &d.AnnounceStreamID},
		{t + "metadata_channel", &d.MetadataChannel},
		{t + "metadata_stream_id", &d.MetadataStreamID},
		{t + "driver_instance_id", &d.DriverInstanceID},
		{t + "driver_control_channel", &d.DriverControlChannel},
		{t + "driver_control_stream_id", &d.DriverControlStreamID},
	}, d.rawLimits.scalars(t)...)
}

func (l *rawLimits) scalars(t string) []scalar {
	return []scalar{
		{t + "max_results", &l.MaxResults},
		{t + "expiry_ns", &l.ExpiryNs},
		{t + "response_buf_bytes", &l.ResponseBufBytes},
		{t + "max_entries", &l.MaxEntries},
		{t + "max_response_endpoints", &l.MaxResponseEndpoints},
	}
}

func (r *rawRegistry) scalars() []scalar {
	const t = "discovery_registry."
	return append([]scalar{{t + "channel", &r.Channel}, {t + "stream_id", &r.StreamID}}, r.rawLimits.scalars(t)...)
}

func (s *rawSupervisor) scalars() []scalar {
	const t = "supervisor."
	return []scalar{
		{t + "aeron_dir", &s.AeronDir},
		{t + "aeron_uri", &s.AeronURI},
		{t + "control_stream_id", &s.ControlStreamID},
		{t + "qos_stream_id", &s.QosStreamID},
		{t + "announce_stream_id", &s.AnnounceStreamID},
		{t + "stream_id", &s.StreamID},
		{t + "liveness_timeout_ns", &s.LivenessTimeoutNs},
		{t + "liveness_check_interval_ns", &s.LivenessCheckIntervalNs},
		{t + "rate_limit_slow_consumers", &s.RateLimitSlowConsumers},
		{t + "slow_after_reports", &s.SlowAfterReports},
		{t + "slow_drops_per_report", &s.SlowDropsPerReport},
		{t + "lag_frames", &s.LagFrames},
		{t + "min_limited_ns", &s.MinLimitedNs},
		{t + "max_limited_ns", &s.MaxLimitedNs},
		{t + "descriptor_stream_id_range", &s.DescriptorStreamIDRange},
		{t + "control_stream_id_range", &s.ControlStreamIDRange},
	}
}

const maxInt62 = 1 << 62

func (c *converter) limits(t string, r *rawLimits) DiscoveryLimits {
	return DiscoveryLimits{
		MaxResults:           uint32(c.integer(t+"max_results", r.MaxResults, DefaultDiscoveryMaxResults, 1, maxUint32)),
		ExpiryNs:             c.integer(t+"expiry_ns", r.ExpiryNs, DefaultDiscoveryExpiryNs, 1, maxInt62),
		ResponseBufBytes:     uint32(c.integer(t+"response_buf_bytes", r.ResponseBufBytes, DefaultDiscoveryResponseBufBytes, MinDiscoveryResponseBufBytes, MaxDiscoveryResponseBufBytes)),
		MaxEntries:           uint32(c.integer(t+"max_entries", r.MaxEntries, DefaultDiscoveryMaxEntries, 1, maxUint32)),
		MaxResponseEndpoints: uint32(c.integer(t+"max_response_endpoints", r.MaxResponseEndpoints, DefaultDiscoveryMaxResponseEndpoints, 1, maxUint32)),
	}
}

// discovery converts a [discovery] table whose driver is d.
func (c *converter) discovery(r *rawDiscovery, d DriverSection) DiscoveryConfig {
	const t = "discovery."
	def := DiscoveryFor(d)
	cfg := DiscoveryConfig{
		Channel:  c.str(t+"channel", r.Channel, def.Channel),
		StreamID: c.streamID(t+"stream_id", r.StreamID, def.StreamID),
		Endpoint: DiscoveryEndpoint{
			DriverInstanceID:      c.str(t+"driver_instance_id", r.DriverInstanceID, def.Endpoint.DriverInstanceID),
			AnnounceChannel:       c.str(t+"announce_channel", r.AnnounceChannel, def.Endpoint.AnnounceChannel),
			AnnounceStreamID:      c.streamID(t+"announce_stream_id", r.AnnounceStreamID, def.Endpoint.AnnounceStreamID),
			MetadataChannel:       c.str(t+"metadata_channel", r.MetadataChannel, ""),
			MetadataStreamID:      uint32(c.integer(t+"metadata_stream_id", r.MetadataStreamID, 0, 0, MaxStreamID)),
			DriverControlChannel:  c.str(t+"driver_control_channel", r.DriverControlChannel, def.Endpoint.DriverControlChannel),
			DriverControlStreamID: c.streamID(t+"driver_control_stream_id", r.DriverControlStreamID, def.Endpoint.DriverControlStreamID),
		},
		DiscoveryLimits: c.limits(t, &r.rawLimits),
	}
	return cfg
}

func (c *converter) registry(r *rawRegistry) RegistryConfig {
	const t = "discovery_registry."
	cfg := RegistryConfig{
		Channel:         c.str(t+"channel", r.Channel, DefaultChannel),
		StreamID:        c.streamID(t+"stream_id", r.StreamID, DefaultRegistryStreamID),
		DiscoveryLimits: c.limits(t, &r.rawLimits),
	}
	for i, e := range r.Endpoints {
		k := fmt.Sprintf("%sendpoints[%d].", t, i)
		for _, req := range []struct {
			key string
			v   any
		}{
			{"driver_instance_id", e.DriverInstanceID}, {"announce_channel", e.AnnounceChannel},
			{"announce_stream_id", e.AnnounceStreamID}, {"driver_control_channel", e.DriverControlChannel},
			{"driver_control_stream_id", e.DriverControlStreamID},
		} {
			if req.v == nil {
				c.fail(k+req.key, "is required")
			}
		}
		cfg.Endpoints = append(cfg.Endpoints, DiscoveryEndpoint{
			DriverInstanceID:      c.str(k+"driver_instance_id", e.DriverInstanceID, ""),
			AnnounceChannel:       c.str(k+"announce_channel", e.AnnounceChannel, ""),
			AnnounceStreamID:      c.streamID(k+"announce_stream_id", e.AnnounceStreamID, 0),
			MetadataChannel:       c.str(k+"metadata_channel", e.MetadataChannel, ""),
			MetadataStreamID:      uint32(c.integer(k+"metadata_stream_id", e.MetadataStreamID, 0, 0, MaxStreamID)),
			DriverControlChannel:  c.str(k+"driver_control_channel", e.DriverControlChannel, ""),
			DriverControlStreamID: c.streamID(k+"driver_control_stream_id", e.DriverControlStreamID, 0),
		})
	}
	return cfg
}

func (c *converter) supervisor(r *rawSupervisor) SupervisorConfig {
	const t = "supervisor."
	def := DefaultSupervisor()
	cfg := SupervisorConfig{
		AeronDir:        c.str(t+"aeron_dir", r.AeronDir, ""),
		AeronURI:        c.str(t+"aeron_uri", r.AeronURI, def.AeronURI),
		ControlStreamID: c.streamID(t+"control_stream_id", r.ControlStreamID, def.ControlStreamID),
		QosStreamID:     c.streamID(t+"qos_stream_id", r.QosStreamID, def.QosStreamID),
	}
	cfg.AnnounceStreamID = c.streamID(t+"announce_stream_id", r.AnnounceStreamID, cfg.ControlStreamID)
	cfg.StreamID = uint32(c.integer(t+"stream_id", r.StreamID, uint64(def.StreamID), 0, MaxStreamID))
	cfg.LivenessTimeoutNs = c.integer(t+"liveness_timeout_ns", r.LivenessTimeoutNs, def.LivenessTimeoutNs, 1, maxInt62)
	cfg.LivenessCheckIntervalNs = c.integer(t+"liveness_check_interval_ns", r.LivenessCheckIntervalNs, def.LivenessCheckIntervalNs, 1, maxInt62)
	p := &cfg.Policy
	p.RateLimitSlowConsumers = c.boolean(t+"rate_limit_slow_consumers", r.RateLimitSlowConsumers, def.Policy.RateLimitSlowConsumers)
	p.SlowAfterReports = uint32(c.integer(t+"slow_after_reports", r.SlowAfterReports, uint64(def.Policy.SlowAfterReports), 1, maxUint32))
	p.SlowDropsPerReport = c.integer(t+"slow_drops_per_report", r.SlowDropsPerReport, def.Policy.SlowDropsPerReport, 1, maxInt62)
	p.LagFrames = c.integer(t+"lag_frames", r.LagFrames, 0, 0, maxInt62)
	p.MinLimitedNs = c.integer(t+"min_limited_ns", r.MinLimitedNs, def.Policy.MinLimitedNs, 1, maxInt62)
	p.MaxLimitedNs = c.integer(t+"max_limited_ns", r.MaxLimitedNs, def.Policy.MaxLimitedNs, 1, maxInt62)
	p.DescriptorStreamIDRange = c.idRange(t+"descriptor_stream_id_range", r.DescriptorStreamIDRange)
	p.ControlStreamIDRange = c.idRange(t+"control_stream_id_range", r.ControlStreamIDRange)
	return cfg
}

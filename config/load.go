package config

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// LookupEnv returns the value of an environment variable and whether it is set
// (os.LookupEnv has this signature).
type LookupEnv func(name string) (string, bool)

//go:embed builtin.toml
var builtinTOML string

// BuiltinTOML is the text of the built-in configuration (Builtin).
func BuiltinTOML() string { return builtinTOML }

// Builtin is the configuration tp-driver serves without a file: the Driver
// spec §17 defaults with control and announce on aeron:ipc stream 1000,
// dynamic streams 1-999 created on attach with a small profile "default"
// (about 68 MiB an epoch), and SHM removed on exit. env (nil for none)
// overrides its scalar keys as it would a file's. Every failure is a *Error.
func Builtin(env LookupEnv) (*DriverConfig, error) {
	return ParseDriverConfigEnv(strings.NewReader(builtinTOML), env)
}

// LoadDriverConfig reads the TOML file at path, applies overrides from the
// process environment and validates the result. Every failure is a *Error.
func LoadDriverConfig(path string) (*DriverConfig, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errorf("", fmt.Sprintf("cannot open %q: %v", path, err))
	}
	defer f.Close()
	return ParseDriverConfigEnv(f, os.LookupEnv)
}

// ParseDriverConfig parses and validates a driver configuration without
// consulting the environment. Every failure is a *Error.
func ParseDriverConfig(r io.Reader) (*DriverConfig, error) {
	return ParseDriverConfigEnv(r, nil)
}

// ParseDriverConfigEnv parses a driver configuration, applies the overrides
// env reports (nil means none) and validates the result. Every failure is a *Error.
func ParseDriverConfigEnv(r io.Reader, env LookupEnv) (*DriverConfig, error) {
	var raw rawDriverFile
	md, err := toml.NewDecoder(r).Decode(&raw)
	if err != nil {
		return nil, decodeError(err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		return nil, errorf(undecoded[0].String(), "unknown key")
	}
	if env != nil {
		for _, s := range raw.scalars() {
			name := EnvName(s.key)
			if v, ok := env(name); ok {
				*s.value = envValue{name: name, text: v}
			}
		}
	}
	cfg, cerr := raw.convert(profileOrder(md))
	if cerr != nil {
		return nil, cerr
	}
	if verr := cfg.validate(); verr != nil {
		return nil, verr
	}
	return cfg, nil
}

// EnvName is the environment variable that overrides a dotted key:
// upper case, dots replaced by underscores.
func EnvName(key string) string {
	return strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// decodeError turns a TOML decoding failure into an *Error. Syntax errors
// carry the last key; type mismatches of whole tables only name it in text.
func decodeError(err error) *Error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return errorf(pe.LastKey, fmt.Sprintf("line %d: %s", pe.Position.Line, pe.Message))
	}
	msg := err.Error()
	key := ""
	if _, rest, ok := strings.Cut(msg, "(last key \""); ok {
		key, _, _ = strings.Cut(rest, "\")")
	}
	if _, detail, ok := strings.Cut(msg, "): "); ok {
		msg = detail
	}
	// The decoder names our private Go types; say what the file should hold instead.
	if strings.Contains(msg, "expected table") {
		msg = "must be a table"
	} else if strings.Contains(msg, "destination has type slice") {
		msg = "must be an array of tables"
	} else if strings.Contains(msg, "destination has type") {
		msg = "must be a table"
	}
	return errorf(key, msg)
}

// profileOrder lists profile names in file order, because the default
// profile is "the first defined profile" and Go maps have no order.
func profileOrder(md toml.MetaData) []string {
	var names []string
	for _, k := range md.Keys() {
		if len(k) == 2 && k[0] == "profiles" {
			names = append(names, k[1])
		}
	}
	return names
}

// envValue is a scalar that came from the environment; it is parsed from text.
type envValue struct {
	name, text string
}

// The raw file mirrors the TOML layout. Scalars are `any` so that type
// errors are reported by key here rather than by the TOML decoder.
type rawDriverFile struct {
	Driver   rawDriver             `toml:"driver"`
	Shm      rawShm                `toml:"shm"`
	Policies rawPolicies           `toml:"policies"`
	Profiles map[string]rawProfile `toml:"profiles"`
	Streams  map[string]rawStream  `toml:"streams"`
	// Discovery is the embedded discovery provider's table (roles.go).
	Discovery *rawDiscovery `toml:"discovery"`
}

type rawDriver struct {
	InstanceID              any `toml:"instance_id"`
	AeronDir                any `toml:"aeron_dir"`
	ControlChannel          any `toml:"control_channel"`
	ControlStreamID         any `toml:"control_stream_id"`
	AnnounceChannel         any `toml:"announce_channel"`
	AnnounceStreamID        any `toml:"announce_stream_id"`
	QosChannel              any `toml:"qos_channel"`
	QosStreamID             any `toml:"qos_stream_id"`
	StreamIDRange           any `toml:"stream_id_range"`
	DescriptorStreamIDRange any `toml:"descriptor_stream_id_range"`
	ControlStreamIDRange    any `toml:"control_stream_id_range"`
	WireVersion             any `toml:"wire_version"`
}

type rawShm struct {
	BaseDir          any `toml:"base_dir"`
	RequireHugepages any `toml:"require_hugepages"`
	PageSizeBytes    any `toml:"page_size_bytes"`
	PermissionsMode  any `toml:"permissions_mode"`
	AllowedBaseDirs  any `toml:"allowed_base_dirs"`
	Namespace        any `toml:"namespace"`
}

type rawPolicies struct {
	AllowDynamicStreams       any `toml:"allow_dynamic_streams"`
	DefaultProfile            any `toml:"default_profile"`
	AnnouncePeriodMs          any `toml:"announce_period_ms"`
	LeaseKeepaliveIntervalMs  any `toml:"lease_keepalive_interval_ms"`
	LeaseExpiryGraceIntervals any `toml:"lease_expiry_grace_intervals"`
	PrefaultShm               any `toml:"prefault_shm"`
	ReuseExistingShm          any `toml:"reuse_existing_shm"`
	MlockShm                  any `toml:"mlock_shm"`
	CleanupShmOnExit          any `toml:"cleanup_shm_on_exit"`
	EpochGCEnabled            any `toml:"epoch_gc_enabled"`
	EpochGCKeep               any `toml:"epoch_gc_keep"`
	EpochGCMinAgeNs           any `toml:"epoch_gc_min_age_ns"`
	EpochGCOnStartup          any `toml:"epoch_gc_on_startup"`
	ShutdownTimeoutMs         any `toml:"shutdown_timeout_ms"`
	ShutdownToken             any `toml:"shutdown_token"`
}

type rawProfile struct {
	HeaderNslots    any       `toml:"header_nslots"`
	HeaderSlotBytes any       `toml:"header_slot_bytes"`
	PayloadPools    []rawPool `toml:"payload_pools"`
}

type rawPool struct {
	PoolID      any `toml:"pool_id"`
	StrideBytes any `toml:"stride_bytes"`
}

type rawStream struct {
	StreamID any `toml:"stream_id"`
	Profile  any `toml:"profile"`
}

type scalar struct {
	key   string
	value *any
}

// scalars lists the environment-overridable keys.
func (f *rawDriverFile) scalars() []scalar {
	s, p := &f.Shm, &f.Policies
	list := append(f.Driver.scalars(), []scalar{
		{"shm.base_dir", &s.BaseDir},
		{"shm.require_hugepages", &s.RequireHugepages},
		{"shm.page_size_bytes", &s.PageSizeBytes},
		{"shm.permissions_mode", &s.PermissionsMode},
		{"shm.namespace", &s.Namespace},
		{"policies.allow_dynamic_streams", &p.AllowDynamicStreams},
		{"policies.default_profile", &p.DefaultProfile},
		{"policies.announce_period_ms", &p.AnnouncePeriodMs},
		{"policies.lease_keepalive_interval_ms", &p.LeaseKeepaliveIntervalMs},
		{"policies.lease_expiry_grace_intervals", &p.LeaseExpiryGraceIntervals},
		{"policies.prefault_shm", &p.PrefaultShm},
		{"policies.reuse_existing_shm", &p.ReuseExistingShm},
		{"policies.mlock_shm", &p.MlockShm},
		{"policies.cleanup_shm_on_exit", &p.CleanupShmOnExit},
		{"policies.epoch_gc_enabled", &p.EpochGCEnabled},
		{"policies.epoch_gc_keep", &p.EpochGCKeep},
		{"policies.epoch_gc_min_age_ns", &p.EpochGCMinAgeNs},
		{"policies.epoch_gc_on_startup", &p.EpochGCOnStartup},
		{"policies.shutdown_timeout_ms", &p.ShutdownTimeoutMs},
		{"policies.shutdown_token", &p.ShutdownToken},
	}...)
	if f.Discovery != nil {
		list = append(list, f.Discovery.scalars()...)
	}
	return list
}

// scalars lists the [driver] table's keys.
func (d *rawDriver) scalars() []scalar {
	return []scalar{
		{"driver.instance_id", &d.InstanceID},
		{"driver.aeron_dir", &d.AeronDir},
		{"driver.control_channel", &d.ControlChannel},
		{"driver.control_stream_id", &d.ControlStreamID},
		{"driver.announce_channel", &d.AnnounceChannel},
		{"driver.announce_stream_id", &d.AnnounceStreamID},
		{"driver.qos_channel", &d.QosChannel},
		{"driver.qos_stream_id", &d.QosStreamID},
		{"driver.stream_id_range", &d.StreamIDRange},
		{"driver.descriptor_stream_id_range", &d.DescriptorStreamIDRange},
		{"driver.control_stream_id_range", &d.ControlStreamIDRange},
		{"driver.wire_version", &d.WireVersion},
	}
}

const maxUint32 = 1<<32 - 1

// convert applies types and defaults; it checks each value alone.
// Relations between values are checked by validate.
func (f *rawDriverFile) convert(profileOrder []string) (*DriverConfig, *Error) {
	var c converter
	cfg := &DriverConfig{}

	cfg.Driver = c.driverSection(&f.Driver)

	s := &cfg.Shm
	s.BaseDir = c.str("shm.base_dir", f.Shm.BaseDir, DefaultShmBaseDir)
	s.RequireHugepages = c.boolean("shm.require_hugepages", f.Shm.RequireHugepages, false)
	s.PageSizeBytes = uint32(c.integer("shm.page_size_bytes", f.Shm.PageSizeBytes, DefaultPageSizeBytes, 1, maxUint32))
	s.PermissionsMode = c.fileMode("shm.permissions_mode", f.Shm.PermissionsMode)
	s.AllowedBaseDirs = c.strings("shm.allowed_base_dirs", f.Shm.AllowedBaseDirs)
	if len(s.AllowedBaseDirs) == 0 {
		s.AllowedBaseDirs = []string{s.BaseDir}
	}
	s.Namespace = c.str("shm.namespace", f.Shm.Namespace, DefaultNamespace)

	p := &cfg.Policies
	p.AllowDynamicStreams = c.boolean("policies.allow_dynamic_streams", f.Policies.AllowDynamicStreams, false)
	p.DefaultProfile = c.str("policies.default_profile", f.Policies.DefaultProfile, "")
	p.AnnouncePeriodMs = uint32(c.integer("policies.announce_period_ms", f.Policies.AnnouncePeriodMs, DefaultAnnouncePeriodMs, 1, maxUint32))
	p.LeaseKeepaliveIntervalMs = uint32(c.integer("policies.lease_keepalive_interval_ms", f.Policies.LeaseKeepaliveIntervalMs, DefaultLeaseKeepaliveIntervalMs, 1, maxUint32))
	p.LeaseExpiryGraceIntervals = uint32(c.integer("policies.lease_expiry_grace_intervals", f.Policies.LeaseExpiryGraceIntervals, DefaultLeaseExpiryGraceIntervals, 1, maxUint32))
	p.PrefaultShm = c.boolean("policies.prefault_shm", f.Policies.PrefaultShm, true)
	p.ReuseExistingShm = c.boolean("policies.reuse_existing_shm", f.Policies.ReuseExistingShm, false)
	p.MlockShm = c.boolean("policies.mlock_shm", f.Policies.MlockShm, false)
	p.CleanupShmOnExit = c.boolean("policies.cleanup_shm_on_exit", f.Policies.CleanupShmOnExit, false)
	p.EpochGCEnabled = c.boolean("policies.epoch_gc_enabled", f.Policies.EpochGCEnabled, true)
	p.EpochGCKeep = uint32(c.integer("policies.epoch_gc_keep", f.Policies.EpochGCKeep, DefaultEpochGCKeep, 1, maxUint32))
	p.EpochGCMinAgeNs = c.integer("policies.epoch_gc_min_age_ns", f.Policies.EpochGCMinAgeNs, 0, 0, 1<<63-1)
	if p.EpochGCMinAgeNs == 0 {
		p.EpochGCMinAgeNs = 3 * uint64(p.AnnouncePeriodMs) * 1_000_000
	}
	p.EpochGCOnStartup = c.boolean("policies.epoch_gc_on_startup", f.Policies.EpochGCOnStartup, false)
	p.ShutdownTimeoutMs = uint32(c.integer("policies.shutdown_timeout_ms", f.Policies.ShutdownTimeoutMs, DefaultShutdownTimeoutMs, 0, maxUint32))
	p.ShutdownToken = c.str("policies.shutdown_token", f.Policies.ShutdownToken, "")

	cfg.Profiles = make(map[string]Profile, len(f.Profiles))
	for _, name := range profileOrder {
		rp, ok := f.Profiles[name]
		if !ok {
			continue
		}
		key := "profiles." + name
		prof := Profile{Name: name}
		prof.HeaderNslots = uint32(c.integer(key+".header_nslots", rp.HeaderNslots, DefaultHeaderNslots, 1, maxUint32))
		c.integer(key+".header_slot_bytes", rp.HeaderSlotBytes, HeaderSlotBytes, HeaderSlotBytes, HeaderSlotBytes)
		for i, pool := range rp.PayloadPools {
			pkey := fmt.Sprintf("%s.payload_pools[%d]", key, i)
			prof.PayloadPools = append(prof.PayloadPools, PayloadPool{
				PoolID:      uint16(c.required(pkey+".pool_id", pool.PoolID, 0, 1<<16-1)),
				StrideBytes: uint32(c.required(pkey+".stride_bytes", pool.StrideBytes, 1, maxUint32)),
			})
		}
		cfg.Profiles[name] = prof
		if p.DefaultProfile == "" {
			p.DefaultProfile = name
		}
	}

	if f.Discovery != nil {
		d := c.discovery(f.Discovery, cfg.Driver)
		cfg.Discovery = &d
	}

	cfg.Streams = make(map[string]Stream, len(f.Streams))
	for name, rs := range f.Streams {
		key := "streams." + name
		st := Stream{Name: name}
		if rs.StreamID == nil {
			c.fail(key+".stream_id", "is required")
		}
		st.StreamID = c.streamID(key+".stream_id", rs.StreamID, 0)
		if rs.Profile == nil {
			c.fail(key+".profile", "is required")
		}
		st.Profile = c.str(key+".profile", rs.Profile, "")
		cfg.Streams[name] = st
	}
	return cfg, c.err
}

// driverSection converts the [driver] table.
func (c *converter) driverSection(r *rawDriver) DriverSection {
	var d DriverSection
	d.InstanceID = c.str("driver.instance_id", r.InstanceID, DefaultInstanceID)
	d.AeronDir = c.str("driver.aeron_dir", r.AeronDir, "")
	d.ControlChannel = c.str("driver.control_channel", r.ControlChannel, DefaultChannel)
	d.ControlStreamID = c.streamID("driver.control_stream_id", r.ControlStreamID, DefaultControlStreamID)
	// The announce endpoint defaults to the (possibly overridden) control endpoint.
	d.AnnounceChannel = c.str("driver.announce_channel", r.AnnounceChannel, d.ControlChannel)
	d.AnnounceStreamID = c.streamID("driver.announce_stream_id", r.AnnounceStreamID, d.ControlStreamID)
	d.QosChannel = c.str("driver.qos_channel", r.QosChannel, DefaultChannel)
	d.QosStreamID = c.streamID("driver.qos_stream_id", r.QosStreamID, DefaultQosStreamID)
	d.StreamIDRange = c.idRange("driver.stream_id_range", r.StreamIDRange)
	d.DescriptorStreamIDRange = c.idRange("driver.descriptor_stream_id_range", r.DescriptorStreamIDRange)
	d.ControlStreamIDRange = c.idRange("driver.control_stream_id_range", r.ControlStreamIDRange)
	if v := c.str("driver.wire_version", r.WireVersion, "1.1"); c.err == nil {
		if err := d.WireVersion.UnmarshalText([]byte(v)); err != nil {
			c.fail("driver.wire_version", fmt.Sprintf("%q is not a wire spec version this driver speaks (1.1, 1.2)", v))
		}
	}
	return d
}

// converter reads raw values by key and keeps the first error.
type converter struct {
	err *Error
}

func (c *converter) fail(key, problem string) {
	if c.err == nil {
		c.err = errorf(key, problem)
	}
}

func describe(v any) string {
	switch v := v.(type) {
	case string:
		return "string " + strconv.Quote(v)
	case int64:
		return "integer " + strconv.FormatInt(v, 10)
	case float64:
		return "float " + strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return "boolean " + strconv.FormatBool(v)
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case envValue:
		return fmt.Sprintf("%q from environment variable %s", v.text, v.name)
	default:
		return fmt.Sprintf("a %T", v)
	}
}

func (c *converter) str(key string, v any, def string) string {
	switch v := v.(type) {
	case nil:
		return def
	case string:
		return v
	case envValue:
		return v.text
	}
	c.fail(key, "must be a string, got "+describe(v))
	return def
}

func (c *converter) boolean(key string, v any, def bool) bool {
	switch t := v.(type) {
	case nil:
		return def
	case bool:
		return t
	case envValue:
		switch strings.ToLower(t.text) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	c.fail(key, "must be true or false, got "+describe(v))
	return def
}

// integer reads an unsigned integer in [lo, hi]; absent means def.
func (c *converter) integer(key string, v any, def, lo, hi uint64) uint64 {
	if v == nil {
		return def
	}
	return c.required(key, v, lo, hi)
}

func (c *converter) required(key string, v any, lo, hi uint64) uint64 {
	var n int64
	switch t := v.(type) {
	case nil:
		c.fail(key, "is required")
		return 0
	case int64:
		n = t
	case envValue:
		parsed, err := strconv.ParseInt(strings.TrimSpace(t.text), 10, 64)
		if err != nil {
			c.fail(key, "must be an integer, got "+describe(v))
			return 0
		}
		n = parsed
	default:
		c.fail(key, "must be an integer, got "+describe(v))
		return 0
	}
	if n < 0 || uint64(n) < lo || uint64(n) > hi {
		c.fail(key, fmt.Sprintf("%s is out of range [%d, %d]", describe(v), lo, hi))
		return 0
	}
	return uint64(n)
}

func (c *converter) streamID(key string, v any, def uint32) uint32 {
	return uint32(c.integer(key, v, uint64(def), 1, MaxStreamID))
}

func (c *converter) fileMode(key string, v any) fs.FileMode {
	text := c.str(key, v, DefaultPermissionsMode)
	n, err := strconv.ParseUint(text, 8, 32)
	if err != nil || n > 0o777 {
		c.fail(key, fmt.Sprintf("%q is not an octal permission mode between 000 and 777", text))
		return 0
	}
	return fs.FileMode(n)
}

func (c *converter) strings(key string, v any) []string {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		c.fail(key, "must be an array of strings, got "+describe(v))
		return nil
	}
	out := make([]string, 0, len(list))
	for i, item := range list {
		s, ok := item.(string)
		if !ok {
			c.fail(fmt.Sprintf("%s[%d]", key, i), "must be a string, got "+describe(item))
			return nil
		}
		out = append(out, s)
	}
	return out
}

// idRange reads a range written as "first-last", "first,last" or [first, last];
// an empty string leaves it unset.
func (c *converter) idRange(key string, v any) StreamIDRange {
	var r StreamIDRange
	switch t := v.(type) {
	case nil:
		return r
	case string, envValue:
		text := strings.TrimSpace(c.str(key, v, ""))
		if text == "" {
			return r
		}
		first, last, ok := strings.Cut(text, "-")
		if !ok {
			first, last, ok = strings.Cut(text, ",")
		}
		a, errA := strconv.ParseUint(strings.TrimSpace(first), 10, 32)
		b, errB := strconv.ParseUint(strings.TrimSpace(last), 10, 32)
		if !ok || errA != nil || errB != nil {
			c.fail(key, describe(v)+" is not a range \"first-last\" of decimal stream ids")
			return r
		}
		r = StreamIDRange{First: uint32(a), Last: uint32(b)}
	case []any:
		if len(t) != 2 {
			c.fail(key, fmt.Sprintf("must have exactly two elements [first, last], got %d", len(t)))
			return r
		}
		r = StreamIDRange{
			First: uint32(c.required(key+"[0]", t[0], 0, maxUint32)),
			Last:  uint32(c.required(key+"[1]", t[1], 0, maxUint32)),
		}
	default:
		c.fail(key, "must be a range string \"first-last\" or [first, last], got "+describe(v))
		return r
	}
	if c.err == nil {
		c.err = checkRange(key, r)
	}
	return r
}

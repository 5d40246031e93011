package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// minimal is the smallest valid file: one profile and one stream.
const minimal = `
[profiles.p]
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }]
[streams.s]
stream_id = 10000
profile = "p"
`

func parse(t *testing.T, text string) (*DriverConfig, *Error) {
	t.Helper()
	return parseEnv(t, text, nil)
}

func parseEnv(t *testing.T, text string, env map[string]string) (*DriverConfig, *Error) {
	t.Helper()
	var lookup LookupEnv
	if env != nil {
		lookup = func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	}
	cfg, err := ParseDriverConfigEnv(strings.NewReader(text), lookup)
	if err == nil {
		return cfg, nil
	}
	var cerr *Error
	require.True(t, errors.As(err, &cerr), "error %v is not a *config.Error", err)
	require.Nil(t, cfg)
	return nil, cerr
}

func TestExampleDriverConfigLoads(t *testing.T) {
	cfg, err := LoadDriverConfig("examples/driver.toml")
	require.NoError(t, err)
	assert.Equal(t, "driver-01", cfg.Driver.InstanceID)
	assert.Equal(t, uint32(1000), cfg.Driver.ControlStreamID)
	assert.Equal(t, uint32(1000), cfg.Driver.AnnounceStreamID, "announces on the control stream, where every client listens")
	assert.Equal(t, StreamIDRange{20000, 29999}, cfg.Driver.StreamIDRange)
	assert.Equal(t, StreamIDRange{31000, 31999}, cfg.Driver.DescriptorStreamIDRange)
	assert.Equal(t, StreamIDRange{32000, 32999}, cfg.Driver.ControlStreamIDRange)
	assert.True(t, cfg.Policies.AllowDynamicStreams)
	assert.Equal(t, "camera", cfg.Policies.DefaultProfile)
	assert.Equal(t, uint64(3_000_000_000), cfg.Policies.EpochGCMinAgeNs)
	assert.Equal(t, []PayloadPool{{1, 1 << 20}, {2, 4 << 20}}, cfg.Profiles["camera"].PayloadPools)
	assert.Equal(t, uint32(16), cfg.Profiles["processed"].HeaderNslots)
	assert.Equal(t, Stream{Name: "cam1", StreamID: 10000, Profile: "camera"}, cfg.Streams["cam1"])
	assert.True(t, cfg.Policies.CleanupShmOnExit)
	assert.Equal(t, []string{cfg.Shm.BaseDir}, cfg.Shm.AllowedBaseDirs, "follows base_dir")
}

// The default example serves on a small machine (tens of MiB an epoch); the
// large profiles are in camera-large.toml.
func TestExampleConfigSizes(t *testing.T) {
	small, err := LoadDriverConfig("examples/driver.toml")
	require.NoError(t, err)
	for name, p := range small.Profiles {
		assert.LessOrEqual(t, p.EpochBytes(), uint64(100<<20), "driver.toml profile %s", name)
	}
	large, err := LoadDriverConfig("examples/camera-large.toml")
	require.NoError(t, err)
	assert.Equal(t, uint64(3*64+1024*256+1024*5<<20), large.Profiles["camera"].EpochBytes())
}

func TestLoadDriverConfigMissingFile(t *testing.T) {
	_, err := LoadDriverConfig("examples/does-not-exist.toml")
	var cerr *Error
	require.ErrorAs(t, err, &cerr)
	assert.Contains(t, cerr.Problem, "does-not-exist.toml")
}

// TestDriverSpec_17_Defaults checks every default of Driver spec §17.
func TestDriverSpec_17_Defaults(t *testing.T) {
	cfg, err := parse(t, minimal)
	require.Nil(t, err)
	assert.Equal(t, DriverSection{
		InstanceID:       "driver-01",
		ControlChannel:   "aeron:ipc?term-length=4m",
		ControlStreamID:  1000,
		AnnounceChannel:  "aeron:ipc?term-length=4m",
		AnnounceStreamID: 1000,
		QosChannel:       "aeron:ipc?term-length=4m",
		QosStreamID:      1200,
	}, cfg.Driver)
	assert.Equal(t, ShmSection{
		BaseDir:         "/dev/shm/tensorpool",
		PageSizeBytes:   4096,
		PermissionsMode: 0o660,
		AllowedBaseDirs: []string{"/dev/shm/tensorpool"},
		Namespace:       "default",
	}, cfg.Shm)
	assert.Equal(t, PolicySection{
		DefaultProfile:            "p",
		AnnouncePeriodMs:          1000,
		LeaseKeepaliveIntervalMs:  1000,
		LeaseExpiryGraceIntervals: 3,
		PrefaultShm:               true,
		EpochGCEnabled:            true,
		EpochGCKeep:               2,
		EpochGCMinAgeNs:           3_000_000_000,
		ShutdownTimeoutMs:         2000,
	}, cfg.Policies)
	assert.Equal(t, 3*time.Second, cfg.Policies.LeaseExpiry())
	assert.Equal(t, Profile{Name: "p", HeaderNslots: 1024, PayloadPools: []PayloadPool{{1, 4096}}}, cfg.Profiles["p"])
}

func TestDriverConfigDefaultProfileIsFirstDefined(t *testing.T) {
	cfg, err := parse(t, `
[profiles.zeta]
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }]
[profiles.alpha]
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }]
[policies]
allow_dynamic_streams = true
`)
	require.Nil(t, err)
	assert.Equal(t, "zeta", cfg.Policies.DefaultProfile)
}

// TestDriverSpec_17_EnvironmentOverrides: environment variables named after
// the upper-cased key with '.' → '_' override the file.
func TestDriverSpec_17_EnvironmentOverrides(t *testing.T) {
	file := minimal + "[driver]\ncontrol_stream_id = 1500\n[policies]\nprefault_shm = true\n"
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c *DriverConfig)
	}{
		{"file value without env", map[string]string{}, func(t *testing.T, c *DriverConfig) {
			assert.Equal(t, uint32(1500), c.Driver.ControlStreamID)
		}},
		{"integer overrides file and announce follows control", map[string]string{"DRIVER_CONTROL_STREAM_ID": "2000"}, func(t *testing.T, c *DriverConfig) {
			assert.Equal(t, uint32(2000), c.Driver.ControlStreamID)
			assert.Equal(t, uint32(2000), c.Driver.AnnounceStreamID)
		}},
		{"string", map[string]string{"SHM_BASE_DIR": "/tmp/tp", "SHM_ALLOWED_BASE_DIRS": "ignored"}, func(t *testing.T, c *DriverConfig) {
			assert.Equal(t, "/tmp/tp", c.Shm.BaseDir)
			assert.Equal(t, []string{"/tmp/tp"}, c.Shm.AllowedBaseDirs)
		}},
		{"boolean any case", map[string]string{"POLICIES_PREFAULT_SHM": "FALSE", "POLICIES_ALLOW_DYNAMIC_STREAMS": "True"}, func(t *testing.T, c *DriverConfig) {
			assert.False(t, c.Policies.PrefaultShm)
			assert.True(t, c.Policies.AllowDynamicStreams)
		}},
		{"range", map[string]string{"DRIVER_STREAM_ID_RANGE": "20000-20009"}, func(t *testing.T, c *DriverConfig) {
			assert.Equal(t, StreamIDRange{20000, 20009}, c.Driver.StreamIDRange)
		}},
		{"token", map[string]string{"POLICIES_SHUTDOWN_TOKEN": "s3cret"}, func(t *testing.T, c *DriverConfig) {
			assert.Equal(t, "s3cret", c.Policies.ShutdownToken)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseEnv(t, file, tt.env)
			require.Nil(t, err)
			tt.check(t, cfg)
		})
	}
}

func TestDriverConfigEnvironmentErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		env     map[string]string
		key     string
		problem string
	}{
		{map[string]string{"DRIVER_CONTROL_STREAM_ID": "abc"}, "driver.control_stream_id", `"abc" from environment variable DRIVER_CONTROL_STREAM_ID`},
		{map[string]string{"POLICIES_MLOCK_SHM": "yes"}, "policies.mlock_shm", "must be true or false"},
		{map[string]string{"DRIVER_CONTROL_STREAM_ID_RANGE": "9-1"}, "driver.control_stream_id_range", "inverted"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			_, err := parseEnv(t, minimal, tt.env)
			require.NotNil(t, err)
			assert.Equal(t, tt.key, err.Key)
			assert.Contains(t, err.Problem, tt.problem)
		})
	}
}

func TestEnvName(t *testing.T) {
	assert.Equal(t, "DRIVER_CONTROL_STREAM_ID", EnvName("driver.control_stream_id"))
	assert.Equal(t, "POLICIES_EPOCH_GC_MIN_AGE_NS", EnvName("policies.epoch_gc_min_age_ns"))
}

func TestDriverConfigRanges(t *testing.T) {
	for _, text := range []string{`"20000-20009"`, `" 20000 , 20009 "`, `[20000, 20009]`} {
		cfg, err := parse(t, minimal+"[driver]\nstream_id_range = "+text+"\n")
		require.Nil(t, err, text)
		assert.Equal(t, StreamIDRange{20000, 20009}, cfg.Driver.StreamIDRange, text)
	}
	cfg, err := parse(t, minimal+"[driver]\nstream_id_range = \"\"\n")
	require.Nil(t, err)
	assert.False(t, cfg.Driver.StreamIDRange.IsSet())
}

// TestDriverConfigRejects: each invalid file names the key and the problem.
func TestDriverConfigRejects(t *testing.T) {
	const profile = "[profiles.p]\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }]\n"
	const stream = "[streams.s]\nstream_id = 10000\nprofile = \"p\"\n"
	tests := []struct {
		name    string
		text    string
		key     string
		problem string
	}{
		{"syntax error", "[driver\n", "", "line 2: expected"},
		{"unknown top-level key", "colour = 1\n" + minimal, "colour", "unknown key"},
		{"unknown section key", minimal + "[driver]\ncontrol_stream = 1\n", "driver.control_stream", "unknown key"},
		{"unknown pool key", "[profiles.p]\npayload_pools = [{ pool_id = 1, stride_bytes = 4096, size = 3 }]\n" + stream, "profiles.p.payload_pools.size", "unknown key"},
		{"section of wrong type", "driver = 5\n" + minimal, "driver", "must be a table"},
		{"pools of wrong type", "[profiles.p]\npayload_pools = 5\n" + "[streams.s]\nstream_id = 1\nprofile = \"p\"\n", "profiles.p.payload_pools", "must be an array of tables"},
		{"string where integer", minimal + "[driver]\ncontrol_stream_id = \"1000\"\n", "driver.control_stream_id", `must be an integer, got string "1000"`},
		{"float where integer", minimal + "[policies]\nepoch_gc_keep = 2.5\n", "policies.epoch_gc_keep", "must be an integer, got float 2.5"},
		{"integer where boolean", minimal + "[policies]\nmlock_shm = 1\n", "policies.mlock_shm", "must be true or false"},
		{"integer where string", minimal + "[driver]\ninstance_id = 7\n", "driver.instance_id", "must be a string"},
		{"stream id zero", minimal + "[driver]\nqos_stream_id = 0\n", "driver.qos_stream_id", "out of range"},
		{"stream id beyond int32", minimal + "[driver]\ncontrol_stream_id = 2147483648\n", "driver.control_stream_id", "out of range"},
		{"negative", minimal + "[policies]\nannounce_period_ms = -1\n", "policies.announce_period_ms", "out of range"},
		{"zero keepalive interval", minimal + "[policies]\nlease_keepalive_interval_ms = 0\n", "policies.lease_keepalive_interval_ms", "out of range"},
		{"zero grace", minimal + "[policies]\nlease_expiry_grace_intervals = 0\n", "policies.lease_expiry_grace_intervals", "out of range"},
		{"expiry overflow", minimal + "[policies]\nlease_keepalive_interval_ms = 4294967295\nlease_expiry_grace_intervals = 4294967295\n", "policies.lease_expiry_grace_intervals", "overflow"},
		{"zero gc keep", minimal + "[policies]\nepoch_gc_keep = 0\n", "policies.epoch_gc_keep", "out of range"},
		{"empty instance id", minimal + "[driver]\ninstance_id = \"\"\n", "driver.instance_id", "non-empty"},
		{"instance id with slash", minimal + "[driver]\ninstance_id = \"a/b\"\n", "driver.instance_id", "single path element"},
		{"empty control channel", minimal + "[driver]\ncontrol_channel = \"\"\n", "driver.control_channel", "not an Aeron channel"},
		{"non-aeron announce channel", minimal + "[driver]\nannounce_channel = \"udp://x\"\n", "driver.announce_channel", "not an Aeron channel"},
		{"relative base dir", minimal + "[shm]\nbase_dir = \"shm\"\n", "shm.base_dir", "not an absolute path"},
		{"base dir outside allowed", minimal + "[shm]\nbase_dir = \"/dev/shm/tp\"\nallowed_base_dirs = [\"/dev/shm/other\"]\n", "shm.base_dir", "outside"},
		{"allowed dir prefix is not containment", minimal + "[shm]\nbase_dir = \"/dev/shm/tp2\"\nallowed_base_dirs = [\"/dev/shm/tp\"]\n", "shm.base_dir", "outside"},
		{"relative allowed dir", minimal + "[shm]\nallowed_base_dirs = [\"x\"]\n", "shm.allowed_base_dirs[0]", "not an absolute path"},
		{"allowed dirs not strings", minimal + "[shm]\nallowed_base_dirs = [1]\n", "shm.allowed_base_dirs[0]", "must be a string"},
		{"allowed dirs not array", minimal + "[shm]\nallowed_base_dirs = \"/x\"\n", "shm.allowed_base_dirs", "must be an array"},
		{"page size not power of two", minimal + "[shm]\npage_size_bytes = 3000\n", "shm.page_size_bytes", "not a power of two"},
		{"permissions not octal", minimal + "[shm]\npermissions_mode = \"689\"\n", "shm.permissions_mode", "not an octal permission mode"},
		{"permissions too wide", minimal + "[shm]\npermissions_mode = \"4755\"\n", "shm.permissions_mode", "not an octal permission mode"},
		{"no profiles", "[policies]\nallow_dynamic_streams = true\n", "profiles", "at least one profile"},
		{"nslots not power of two", "[profiles.p]\nheader_nslots = 1000\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }]\n" + stream, "profiles.p.header_nslots", "not a power of two"},
		{"header slot bytes not 256", "[profiles.p]\nheader_slot_bytes = 128\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }]\n" + stream, "profiles.p.header_slot_bytes", "out of range [256, 256]"},
		{"no payload pools", "[profiles.p]\nheader_nslots = 8\n" + stream, "profiles.p.payload_pools", "at least one payload pool"},
		{"pool id missing", "[profiles.p]\npayload_pools = [{ stride_bytes = 4096 }]\n" + stream, "profiles.p.payload_pools[0].pool_id", "is required"},
		{"pool id beyond uint16", "[profiles.p]\npayload_pools = [{ pool_id = 65536, stride_bytes = 4096 }]\n" + stream, "profiles.p.payload_pools[0].pool_id", "out of range"},
		{"duplicate pool id", "[profiles.p]\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }, { pool_id = 1, stride_bytes = 8192 }]\n" + stream, "profiles.p.payload_pools[1].pool_id", "used twice"},
		{"stride not power of two", "[profiles.p]\npayload_pools = [{ pool_id = 1, stride_bytes = 5000 }]\n" + stream, "profiles.p.payload_pools[0].stride_bytes", "not a power of two"},
		{"stride below page size", "[profiles.p]\npayload_pools = [{ pool_id = 1, stride_bytes = 1024 }]\n" + stream, "profiles.p.payload_pools[0].stride_bytes", "shm.page_size_bytes"},
		{"epoch size overflows 64 bits", "[profiles.p]\nheader_nslots = 2147483648\npayload_pools = [" + hugePools(4) + "]\n" + stream, "profiles.p.payload_pools[3].stride_bytes", "overflow 64 bits"},
		{"default profile undefined", minimal + "[policies]\ndefault_profile = \"nope\"\n", "policies.default_profile", `profile "nope" is not defined`},
		{"no streams without dynamic", profile, "streams", "at least one stream"},
		{"stream profile undefined", profile + "[streams.s]\nstream_id = 10000\nprofile = \"q\"\n", "streams.s.profile", `profile "q" is not defined`},
		{"stream id missing", profile + "[streams.s]\nprofile = \"p\"\n", "streams.s.stream_id", "is required"},
		{"stream profile missing", profile + "[streams.s]\nstream_id = 5\n", "streams.s.profile", "is required"},
		{"duplicate stream id", minimal + "[streams.t]\nstream_id = 10000\nprofile = \"p\"\n", "streams.t.stream_id", "already used by streams.s"},
		{"range inverted", minimal + "[driver]\nstream_id_range = \"29999-20000\"\n", "driver.stream_id_range", "inverted"},
		{"range with zero", minimal + "[driver]\nstream_id_range = [0, 10]\n", "driver.stream_id_range", "0 means"},
		{"range malformed", minimal + "[driver]\nstream_id_range = \"20000\"\n", "driver.stream_id_range", "not a range"},
		{"range wrong arity", minimal + "[driver]\nstream_id_range = [1, 2, 3]\n", "driver.stream_id_range", "exactly two"},
		{"range wrong type", minimal + "[driver]\nstream_id_range = 5\n", "driver.stream_id_range", "must be a range"},
		{"ranges overlap", minimal + "[driver]\nstream_id_range = \"20000-29999\"\ncontrol_stream_id_range = \"29000-30000\"\n", "driver.control_stream_id_range", "overlaps driver.stream_id_range"},
		{"range holds control id", minimal + "[driver]\ndescriptor_stream_id_range = \"900-1100\"\n", "driver.descriptor_stream_id_range", "contains driver.control_stream_id (1000)"},
		{"range holds qos id", minimal + "[driver]\ncontrol_stream_id_range = \"1200-1200\"\n", "driver.control_stream_id_range", "contains driver.qos_stream_id"},
		{"range holds static stream", minimal + "[driver]\nstream_id_range = \"9000-10000\"\n", "driver.stream_id_range", "contains streams.s.stream_id (10000)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, tt.text)
			require.NotNil(t, err, "config was accepted")
			assert.Equal(t, tt.key, err.Key, "key of %v", err)
			assert.Contains(t, err.Problem, tt.problem)
		})
	}
}

// hugePools lists n pools of the largest stride, 2^31 bytes: with 2^31 slots each
// region is 2^62 bytes, and the fourth pushes the epoch past 2^64.
func hugePools(n int) string {
	pools := make([]string, n)
	for i := range pools {
		pools[i] = fmt.Sprintf("{ pool_id = %d, stride_bytes = 2147483648 }", i+1)
	}
	return strings.Join(pools, ", ")
}

// EpochBytes is the size tp check prints and the driver provisions: the header ring
// and every pool, each a 64-byte superblock plus its slots.
func TestProfileEpochBytes(t *testing.T) {
	cfg, err := parse(t, "[profiles.p]\nheader_nslots = 8\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }, { pool_id = 2, stride_bytes = 8192 }]\n[streams.s]\nstream_id = 1\nprofile = \"p\"\n")
	require.Nil(t, err)
	assert.Equal(t, uint64(64+8*256+64+8*4096+64+8*8192), cfg.Profiles["p"].EpochBytes())

	cfg, err = parse(t, "[profiles.p]\nheader_nslots = 2147483648\npayload_pools = ["+hugePools(3)+"]\n[streams.s]\nstream_id = 1\nprofile = \"p\"\n")
	require.Nil(t, err, "three 2^62-byte pools fit 64 bits")
	assert.Equal(t, uint64(64+(1<<31)*256+3*(64+1<<62)), cfg.Profiles["p"].EpochBytes())
}

// Dynamic streams without a range load: Driver spec §11 allows rejecting
// each dynamic attach with INVALID_PARAMS instead of failing at startup,
// and reference example files rely on that.
func TestDriverConfigDynamicStreamsWithoutRangeLoad(t *testing.T) {
	cfg, err := parse(t, "[profiles.p]\npayload_pools = [{ pool_id = 1, stride_bytes = 4096 }]\n[policies]\nallow_dynamic_streams = true\n")
	require.Nil(t, err)
	assert.False(t, cfg.Driver.StreamIDRange.IsSet())
}

func FuzzParseDriverConfig(f *testing.F) {
	f.Add(minimal)
	f.Add(minimal + "[driver]\nstream_id_range = [20000, 20009]\n")
	f.Add("[driver\n")
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := ParseDriverConfig(strings.NewReader(text))
		if err != nil {
			var cerr *Error
			if !errors.As(err, &cerr) || cfg != nil {
				t.Fatalf("error %T %v (config %v) is not a lone *config.Error", err, err, cfg)
			}
			return
		}
		if len(cfg.Profiles) == 0 || cfg.Profiles[cfg.Policies.DefaultProfile].Name == "" {
			t.Fatalf("accepted config without a usable default profile: %+v", cfg)
		}
	})
}

// LoadDriverConfig reads the process environment; ParseDriverConfig does not.
func TestLoadDriverConfigUsesProcessEnvironment(t *testing.T) {
	t.Setenv("DRIVER_CONTROL_STREAM_ID", "2000")
	cfg, err := LoadDriverConfig("examples/driver.toml")
	require.NoError(t, err)
	assert.Equal(t, uint32(2000), cfg.Driver.ControlStreamID)
	assert.Equal(t, uint32(2000), cfg.Driver.AnnounceStreamID, "follows control_stream_id: the file leaves it out")

	parsed, perr := parse(t, minimal)
	require.Nil(t, perr)
	assert.Equal(t, uint32(DefaultControlStreamID), parsed.Driver.ControlStreamID)
}

// The built-in configuration serves on its own: the reference's control
// stream on IPC, dynamic streams with a small profile, nothing left on exit;
// the environment overrides it as it would a file.
func TestBuiltinServesWithoutAFile(t *testing.T) {
	cfg, err := Builtin(nil)
	require.NoError(t, err)
	assert.Equal(t, "aeron:ipc", cfg.Driver.ControlChannel)
	assert.Equal(t, uint32(1000), cfg.Driver.ControlStreamID)
	assert.Equal(t, "aeron:ipc", cfg.Driver.AnnounceChannel)
	assert.Equal(t, uint32(1000), cfg.Driver.AnnounceStreamID)
	assert.True(t, cfg.Policies.AllowDynamicStreams)
	assert.True(t, cfg.Driver.StreamIDRange.Contains(1), "the reference clients' default stream")
	assert.True(t, cfg.Policies.CleanupShmOnExit)
	assert.Equal(t, "default", cfg.Policies.DefaultProfile)
	assert.Less(t, cfg.Profiles["default"].EpochBytes(), uint64(100<<20), "small")
	assert.Equal(t, DefaultShmBaseDir, cfg.Shm.BaseDir)

	env := map[string]string{"SHM_BASE_DIR": "/dev/shm/elsewhere", "DRIVER_CONTROL_STREAM_ID": "2000"}
	cfg, err = Builtin(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	require.NoError(t, err)
	assert.Equal(t, "/dev/shm/elsewhere", cfg.Shm.BaseDir)
	assert.Equal(t, []string{"/dev/shm/elsewhere"}, cfg.Shm.AllowedBaseDirs)
	assert.Equal(t, uint32(2000), cfg.Driver.ControlStreamID)
}

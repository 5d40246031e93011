package config

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// minimalInCode is minimal built in code.
func minimalInCode() *DriverConfig {
	cfg := Default()
	cfg.Profiles["p"] = Profile{HeaderNslots: DefaultHeaderNslots, PayloadPools: []PayloadPool{{PoolID: 1, StrideBytes: 4096}}}
	cfg.Streams["s"] = Stream{StreamID: 10000, Profile: "p"}
	return cfg
}

// A configuration built in code from Default is the one the equivalent file gives.
func TestDriverConfigInCodeMatchesFile(t *testing.T) {
	want, perr := parse(t, minimal)
	require.Nil(t, perr)
	cfg := minimalInCode()
	require.NoError(t, cfg.Validate())
	assert.Equal(t, want, cfg)

	// The derived fields follow the fields they derive from, as in a file.
	want, perr = parse(t, minimal+`
[driver]
control_channel = "aeron:ipc"
control_stream_id = 5000
[shm]
base_dir = "/tmp/tp"
[policies]
announce_period_ms = 100
`)
	require.Nil(t, perr)
	cfg = minimalInCode()
	cfg.Driver.ControlChannel, cfg.Driver.ControlStreamID = "aeron:ipc", 5000
	cfg.Shm.BaseDir = "/tmp/tp"
	cfg.Policies.AnnouncePeriodMs = 100
	require.NoError(t, cfg.Validate())
	assert.Equal(t, want, cfg)
}

// Validate's errors name the TOML key of the field at fault, as a file's do.
func TestDriverConfigValidateNamesTheKey(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*DriverConfig)
		key     string
		problem string
	}{
		{"control stream id 0", func(c *DriverConfig) { c.Driver.ControlStreamID = 0 }, "driver.control_stream_id", "out of range"},
		{"qos stream id beyond int32", func(c *DriverConfig) { c.Driver.QosStreamID = MaxStreamID + 1 }, "driver.qos_stream_id", "out of range"},
		{"inverted range", func(c *DriverConfig) { c.Driver.StreamIDRange = StreamIDRange{First: 20, Last: 10} }, "driver.stream_id_range", "inverted"},
		{"range with 0", func(c *DriverConfig) { c.Driver.ControlStreamIDRange = StreamIDRange{First: 0, Last: 10} }, "driver.control_stream_id_range", "0 means"},
		{"permissions", func(c *DriverConfig) { c.Shm.PermissionsMode = 0o4755 }, "shm.permissions_mode", "octal permission mode"},
		{"zero announce period", func(c *DriverConfig) { c.Policies.AnnouncePeriodMs = 0 }, "policies.announce_period_ms", "out of range"},
		{"zero grace", func(c *DriverConfig) { c.Policies.LeaseExpiryGraceIntervals = 0 }, "policies.lease_expiry_grace_intervals", "out of range"},
		{"zero gc keep", func(c *DriverConfig) { c.Policies.EpochGCKeep = 0 }, "policies.epoch_gc_keep", "out of range"},
		{"stream id 0", func(c *DriverConfig) { c.Streams["s"] = Stream{Profile: "p"} }, "streams.s.stream_id", "out of range"},
		{"stream named otherwise", func(c *DriverConfig) { c.Streams["s"] = Stream{Name: "t", StreamID: 1, Profile: "p"} }, "streams.s", `named "t"`},
		{"profile named otherwise", func(c *DriverConfig) {
			c.Profiles["p"] = Profile{Name: "q", HeaderNslots: 8, PayloadPools: []PayloadPool{{PoolID: 1, StrideBytes: 4096}}}
		}, "profiles.p", `named "q"`},
		// The relations a file is held to, too.
		{"relative base dir", func(c *DriverConfig) { c.Shm.BaseDir = "shm" }, "shm.base_dir", "not an absolute path"},
		{"base dir outside allowed", func(c *DriverConfig) { c.Shm.AllowedBaseDirs = []string{"/elsewhere"} }, "shm.base_dir", "outside"},
		{"no profiles", func(c *DriverConfig) { clear(c.Profiles) }, "profiles", "at least one profile"},
		{"two profiles, no default", func(c *DriverConfig) { c.Profiles["q"] = c.Profiles["p"] }, "policies.default_profile", `profile "" is not defined`},
		{"stride below page size", func(c *DriverConfig) {
			c.Profiles["p"] = Profile{HeaderNslots: 8, PayloadPools: []PayloadPool{{PoolID: 1, StrideBytes: 1024}}}
		}, "profiles.p.payload_pools[0].stride_bytes", "shm.page_size_bytes"},
		{"nslots not power of two", func(c *DriverConfig) {
			c.Profiles["p"] = Profile{HeaderNslots: 1000, PayloadPools: []PayloadPool{{PoolID: 1, StrideBytes: 4096}}}
		}, "profiles.p.header_nslots", "not a power of two"},
		{"non-Aeron control channel", func(c *DriverConfig) { c.Driver.ControlChannel = "udp://x" }, "driver.control_channel", "not an Aeron channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := minimalInCode()
			tt.edit(cfg)
			err := cfg.Validate()
			var cerr *Error
			require.True(t, errors.As(err, &cerr), "error %v is not a *config.Error", err)
			assert.Equal(t, tt.key, cerr.Key, "key of %v", cerr)
			assert.Contains(t, cerr.Problem, tt.problem)
		})
	}
}

// Default is an empty file's configuration, derived fields aside.
func TestDriverConfigDefaultIsAnEmptyFile(t *testing.T) {
	want, perr := parse(t, minimal)
	require.Nil(t, perr)
	got := Default()
	assert.Equal(t, want.Driver.InstanceID, got.Driver.InstanceID)
	assert.Equal(t, want.Driver.QosChannel, got.Driver.QosChannel)
	assert.Equal(t, want.Shm.PermissionsMode, got.Shm.PermissionsMode)
	assert.Empty(t, got.Driver.AnnounceChannel, "derived by Validate")
	assert.Zero(t, got.Policies.EpochGCMinAgeNs, "derived by Validate")
	assert.Empty(t, got.Profiles)
	assert.Empty(t, got.Streams)
}

package config

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func lookup(env map[string]string) LookupEnv {
	if env == nil {
		return nil
	}
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// roleError checks that err is a lone *Error and returns it.
func roleError[T any](t *testing.T, cfg *T, err error) *Error {
	t.Helper()
	require.Error(t, err)
	require.Nil(t, cfg)
	var cerr *Error
	require.True(t, errors.As(err, &cerr), "error %v is not a *config.Error", err)
	return cerr
}

// An empty [discovery] table serves the file's driver: its announce endpoint, identity
// and control endpoint (Discovery spec §4.2, §6.4), on the reference's request stream.
func TestDiscoveryConfigDefaultsToTheDriver(t *testing.T) {
	cfg, err := ParseDiscoveryConfigEnv(strings.NewReader("[discovery]\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, DiscoveryConfig{
		Channel: DefaultChannel, StreamID: 7000,
		Endpoint: DiscoveryEndpoint{DriverInstanceID: DefaultInstanceID, AnnounceChannel: DefaultChannel, AnnounceStreamID: 1000,
			DriverControlChannel: DefaultChannel, DriverControlStreamID: 1000},
		DiscoveryLimits: DiscoveryLimits{MaxResults: 1000, ExpiryNs: 3_000_000_000, ResponseBufBytes: 65536, MaxEntries: 4096, MaxResponseEndpoints: 64},
	}, *cfg)

	text := "[driver]\ninstance_id = \"cam-host\"\ncontrol_channel = \"aeron:ipc\"\ncontrol_stream_id = 2000\nannounce_stream_id = 2001\n[discovery]\nstream_id = 7010\n"
	cfg, err = ParseDiscoveryConfigEnv(strings.NewReader(text), lookup(map[string]string{"DRIVER_CONTROL_STREAM_ID": "3000", "DISCOVERY_MAX_RESULTS": "5"}))
	require.NoError(t, err)
	assert.Equal(t, DiscoveryEndpoint{DriverInstanceID: "cam-host", AnnounceChannel: "aeron:ipc", AnnounceStreamID: 2001,
		DriverControlChannel: "aeron:ipc", DriverControlStreamID: 3000}, cfg.Endpoint)
	assert.Equal(t, uint32(7010), cfg.StreamID)
	assert.Equal(t, uint32(5), cfg.MaxResults, "from the environment")
}

// A driver file's [discovery] table configures the provider tp-driver runs; without one
// it runs none.
func TestDriverConfigEmbedsDiscovery(t *testing.T) {
	cfg, err := parse(t, minimal)
	require.Nil(t, err)
	assert.Nil(t, cfg.Discovery)
	cfg, err = parse(t, minimal+"[driver]\ninstance_id = \"d7\"\n[discovery]\nmetadata_channel = \"aeron:ipc\"\nmetadata_stream_id = 1300\n")
	require.Nil(t, err)
	require.NotNil(t, cfg.Discovery)
	assert.Equal(t, "d7", cfg.Discovery.Endpoint.DriverInstanceID)
	assert.Equal(t, cfg.Driver.ControlStreamID, cfg.Discovery.Endpoint.DriverControlStreamID)
	assert.Equal(t, uint32(1300), cfg.Discovery.Endpoint.MetadataStreamID)
	_, err = parse(t, minimal+"[discovery]\nexpiry_ns = 0\n")
	require.NotNil(t, err)
	assert.Equal(t, "discovery.expiry_ns", err.Key)

	built := Default()
	built.Profiles["p"] = Profile{HeaderNslots: 8, PayloadPools: []PayloadPool{{1, 4096}}}
	built.Policies.AllowDynamicStreams = true
	d := DiscoveryFor(built.Driver)
	d.MaxResults = 0
	built.Discovery = &d
	var cerr *Error
	require.ErrorAs(t, built.Validate(), &cerr)
	assert.Equal(t, "discovery.max_results", cerr.Key)
}

func TestDiscoveryConfigRejects(t *testing.T) {
	for _, tc := range []struct {
		name, text, key string
	}{
		{"no table", "[driver]\n", "discovery"},
		{"unknown key", "[discovery]\nmax_resluts = 3\n", "discovery.max_resluts"},
		{"channel not aeron", "[discovery]\nchannel = \"udp://x\"\n", "discovery.channel"},
		{"stream 0", "[discovery]\nstream_id = 0\n", "discovery.stream_id"},
		{"stream a string", "[discovery]\nstream_id = \"7000\"\n", "discovery.stream_id"},
		{"empty instance", "[discovery]\ndriver_instance_id = \"\"\n", "discovery.driver_instance_id"},
		{"long instance", "[discovery]\ndriver_instance_id = \"" + strings.Repeat("i", 129) + "\"\n", "discovery.driver_instance_id"},
		{"control stream 0 (§5.2)", "[discovery]\ndriver_control_stream_id = 0\n", "discovery.driver_control_stream_id"},
		{"empty control channel (§5.2)", "[discovery]\ndriver_control_channel = \"\"\n", "discovery.driver_control_channel"},
		{"metadata id without channel", "[discovery]\nmetadata_stream_id = 1300\n", "discovery.metadata_stream_id"},
		{"metadata channel without id", "[discovery]\nmetadata_channel = \"aeron:ipc\"\n", "discovery.metadata_stream_id"},
		{"no expiry (§6.2)", "[discovery]\nexpiry_ns = 0\n", "discovery.expiry_ns"},
		{"negative expiry", "[discovery]\nexpiry_ns = -1\n", "discovery.expiry_ns"},
		{"zero results", "[discovery]\nmax_results = 0\n", "discovery.max_results"},
		{"tiny response buffer", "[discovery]\nresponse_buf_bytes = 100\n", "discovery.response_buf_bytes"},
		{"zero endpoints", "[discovery]\nmax_response_endpoints = 0\n", "discovery.max_response_endpoints"},
		{"bad driver key type", "[driver]\ncontrol_stream_id = true\n[discovery]\n", "driver.control_stream_id"},
		{"syntax", "[discovery\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseDiscoveryConfigEnv(strings.NewReader(tc.text), nil)
			assert.Equal(t, tc.key, roleError(t, cfg, err).Key, err.Error())
		})
	}
}

const twoDrivers = `
[discovery_registry]
[[discovery_registry.endpoints]]
driver_instance_id = "a"
announce_channel = "aeron:ipc"
announce_stream_id = 1000
driver_control_channel = "aeron:ipc"
driver_control_stream_id = 1000
[[discovery_registry.endpoints]]
driver_instance_id = "b"
announce_channel = "aeron:udp?endpoint=host-b:40124"
announce_stream_id = 1000
driver_control_channel = "aeron:udp?endpoint=host-b:40123"
driver_control_stream_id = 1000
`

func TestRegistryConfig(t *testing.T) {
	cfg, err := ParseRegistryConfigEnv(strings.NewReader(twoDrivers), lookup(map[string]string{"DISCOVERY_REGISTRY_STREAM_ID": "7200"}))
	require.NoError(t, err)
	assert.Equal(t, uint32(7200), cfg.StreamID)
	assert.Equal(t, DefaultChannel, cfg.Channel)
	require.Len(t, cfg.Endpoints, 2)
	assert.Equal(t, DiscoveryEndpoint{DriverInstanceID: "b", AnnounceChannel: "aeron:udp?endpoint=host-b:40124", AnnounceStreamID: 1000,
		DriverControlChannel: "aeron:udp?endpoint=host-b:40123", DriverControlStreamID: 1000}, cfg.Endpoints[1])

	for _, tc := range []struct {
		name, text, key string
	}{
		{"no table", "", "discovery_registry"},
		{"no endpoints", "[discovery_registry]\n", "discovery_registry.endpoints"},
		{"unknown endpoint key", twoDrivers + "announce_strem_id = 3\n", "discovery_registry.endpoints.announce_strem_id"},
		{"missing control id", strings.Replace(twoDrivers, "driver_control_stream_id = 1000\n[[", "[[", 1), "discovery_registry.endpoints[0].driver_control_stream_id"},
		{"same instance (§6.1)", strings.Replace(twoDrivers, `"b"`, `"a"`, 1), "discovery_registry.endpoints[1].driver_instance_id"},
		{"shared announce endpoint", strings.Replace(twoDrivers, "aeron:udp?endpoint=host-b:40124", "aeron:ipc?term-length=1m", 1), "discovery_registry.endpoints[1].announce_stream_id"},
		{"shared metadata endpoint", strings.Replace(strings.Replace(twoDrivers, "driver_control_channel = \"aeron:ipc\"\n", "driver_control_channel = \"aeron:ipc\"\nmetadata_channel = \"aeron:ipc\"\nmetadata_stream_id = 1300\n", 1),
			"driver_control_channel = \"aeron:udp?endpoint=host-b:40123\"\n", "driver_control_channel = \"aeron:udp?endpoint=host-b:40123\"\nmetadata_channel = \"aeron:ipc?alias=x\"\nmetadata_stream_id = 1300\n", 1),
			"discovery_registry.endpoints[1].metadata_stream_id"},
		{"bad limit", twoDrivers + "[discovery_registry.x]\n", "discovery_registry.x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseRegistryConfigEnv(strings.NewReader(tc.text), nil)
			assert.Equal(t, tc.key, roleError(t, cfg, err).Key, err.Error())
		})
	}
}

func TestSupervisorConfig(t *testing.T) {
	cfg, err := ParseSupervisorConfigEnv(strings.NewReader(""), nil)
	require.NoError(t, err)
	assert.Equal(t, DefaultSupervisor(), *cfg, "no table: the defaults")
	cfg, err = ParseSupervisorConfigEnv(strings.NewReader("[supervisor]\ncontrol_stream_id = 2000\nstream_id = 0\ndescriptor_stream_id_range = \"33000-33009\"\n"),
		lookup(map[string]string{"SUPERVISOR_SLOW_AFTER_REPORTS": "5"}))
	require.NoError(t, err)
	assert.Equal(t, uint32(2000), cfg.AnnounceStreamID, "follows control_stream_id")
	assert.Equal(t, uint32(0), cfg.StreamID)
	assert.Equal(t, uint32(5), cfg.Policy.SlowAfterReports)
	assert.Equal(t, StreamIDRange{33000, 33009}, cfg.Policy.DescriptorStreamIDRange)

	for _, tc := range []struct {
		name, text, key string
	}{
		{"unknown key", "[supervisor]\nliveness_timeout = 5\n", "supervisor.liveness_timeout"},
		{"bad uri", "[supervisor]\naeron_uri = \"ipc\"\n", "supervisor.aeron_uri"},
		{"qos 0", "[supervisor]\nqos_stream_id = 0\n", "supervisor.qos_stream_id"},
		{"no timeout", "[supervisor]\nliveness_timeout_ns = 0\n", "supervisor.liveness_timeout_ns"},
		{"check slower than timeout", "[supervisor]\nliveness_timeout_ns = 1000\nliveness_check_interval_ns = 2000\n", "supervisor.liveness_check_interval_ns"},
		{"act a string", "[supervisor]\nrate_limit_slow_consumers = \"yes\"\n", "supervisor.rate_limit_slow_consumers"},
		{"zero reports", "[supervisor]\nslow_after_reports = 0\n", "supervisor.slow_after_reports"},
		{"hold inverted", "[supervisor]\nmin_limited_ns = 20\nmax_limited_ns = 10\n", "supervisor.max_limited_ns"},
		{"range inverted", "[supervisor]\ncontrol_stream_id_range = \"34009-34000\"\n", "supervisor.control_stream_id_range"},
		{"range over own stream", "[supervisor]\ndescriptor_stream_id_range = \"1100-1300\"\n", "supervisor.descriptor_stream_id_range"},
		{"ranges overlap", "[supervisor]\ndescriptor_stream_id_range = \"33000-33010\"\ncontrol_stream_id_range = \"33005-33020\"\n", "supervisor.control_stream_id_range"},
		{"env not a number", "", "supervisor.qos_stream_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			if tc.text == "" {
				env["SUPERVISOR_QOS_STREAM_ID"] = "x"
			}
			cfg, err := ParseSupervisorConfigEnv(strings.NewReader(tc.text), lookup(env))
			assert.Equal(t, tc.key, roleError(t, cfg, err).Key, err.Error())
		})
	}
}

// A role reads its own table and leaves the others' to them: one file may hold a whole
// system (the reference's system config holds [producer], [consumer] and [supervisor]).
func TestRoleTablesLeaveOtherTablesAlone(t *testing.T) {
	text := "[producer]\nwhatever = 1\n[consumer]\nmode = \"STREAM\"\n[shm]\nbase_dir = 3\n" + twoDrivers + "[discovery]\n[supervisor]\nstream_id = 9\n"
	_, err := ParseSupervisorConfigEnv(strings.NewReader(text), nil)
	require.NoError(t, err)
	_, err = ParseDiscoveryConfigEnv(strings.NewReader(text), nil)
	require.NoError(t, err)
	_, err = ParseRegistryConfigEnv(strings.NewReader(text), nil)
	require.NoError(t, err)
}

// Our own example configurations use the reference's keys and load.
func TestExampleRoleConfigsLoad(t *testing.T) {
	d, err := LoadDiscoveryConfig("examples/roles/discovery.toml")
	require.NoError(t, err)
	assert.Equal(t, uint32(1300), d.Endpoint.MetadataStreamID)
	r, err := LoadRegistryConfig("examples/roles/registry.toml")
	require.NoError(t, err)
	assert.Len(t, r.Endpoints, 2)
	s, err := LoadSupervisorConfig("examples/roles/supervisor.toml")
	require.NoError(t, err)
	assert.Equal(t, uint32(0), s.StreamID)
	drv, err := LoadDriverConfig("examples/driver.toml")
	require.NoError(t, err)
	require.NotNil(t, drv.Discovery)
	assert.Equal(t, drv.Driver.AnnounceStreamID, drv.Discovery.Endpoint.AnnounceStreamID, "derived from [driver]")
	_, err = LoadSupervisorConfig("examples/roles/missing.toml")
	require.Error(t, err)
}

// referenceFile reads path at the reference commit from $TP_REFERENCE_REPO: a git clone
// or bare mirror, or an extracted tree. Nothing of the reference is kept in this
// repository.
func referenceFile(t *testing.T, path string) []byte {
	t.Helper()
	repo := os.Getenv("TP_REFERENCE_REPO")
	if repo == "" {
		t.Skip("TP_REFERENCE_REPO is not set: no reference to load the example configurations from")
	}
	const commit = "9a87745"
	if out, err := exec.Command("git", "--git-dir", repo, "show", commit+":"+path).Output(); err == nil {
		return out
	}
	if out, err := exec.Command("git", "-C", repo, "show", commit+":"+path).Output(); err == nil {
		return out
	}
	out, err := os.ReadFile(filepath.Join(repo, path))
	require.NoError(t, err, "reading %s from %s", path, repo)
	return out
}

// tomlBlock is the ```toml block that follows heading in a Markdown document.
func tomlBlock(t *testing.T, doc []byte, heading string) string {
	t.Helper()
	i := strings.Index(string(doc), heading)
	require.GreaterOrEqual(t, i, 0, "heading %q", heading)
	m := regexp.MustCompile("(?s)```toml\n(.*?)```").FindStringSubmatch(string(doc[i:]))
	require.NotNil(t, m, "no toml block after %q", heading)
	return m[1]
}

// The reference's own example configurations load unchanged: its system defaults
// (config/defaults.toml, whose [supervisor] table sits beside [producer] and [consumer])
// and the embedded-provider and registry examples of its IMPLEMENTATION.md §9a.
func TestReferenceRoleConfigsLoad(t *testing.T) {
	defaults := referenceFile(t, "config/defaults.toml")
	s, err := ParseSupervisorConfigEnv(strings.NewReader(string(defaults)), nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(1), s.StreamID)
	assert.Equal(t, uint64(5_000_000_000), s.LivenessTimeoutNs)
	assert.Equal(t, uint32(1200), s.QosStreamID)

	doc := referenceFile(t, "docs/IMPLEMENTATION.md")
	d, err := ParseDiscoveryConfigEnv(strings.NewReader(tomlBlock(t, doc, "Embedded Provider Config")), nil)
	require.NoError(t, err)
	assert.Equal(t, DiscoveryEndpoint{DriverInstanceID: "driver-1", AnnounceChannel: "aeron:ipc?term-length=4m", AnnounceStreamID: 7001,
		MetadataChannel: "aeron:ipc?term-length=4m", MetadataStreamID: 7002,
		DriverControlChannel: "aeron:ipc?term-length=4m", DriverControlStreamID: 7003}, d.Endpoint)
	assert.Equal(t, uint32(7000), d.StreamID)
	r, err := ParseRegistryConfigEnv(strings.NewReader(tomlBlock(t, doc, "Registry Config")), nil)
	require.NoError(t, err)
	assert.Equal(t, "aeron:udp?endpoint=localhost:9010", r.Channel)
	require.Len(t, r.Endpoints, 1)
	assert.Equal(t, uint32(7103), r.Endpoints[0].DriverControlStreamID)
}

// FuzzParseRoleConfigs feeds arbitrary text to the three role loaders: each returns a
// configuration that validates, or a lone *Error.
func FuzzParseRoleConfigs(f *testing.F) {
	f.Add("[discovery]\n")
	f.Add(twoDrivers)
	f.Add("[supervisor]\nstream_id = 0\ncontrol_stream_id_range = [34000, 34001]\n")
	f.Add("[discovery_registry\n")
	f.Fuzz(func(t *testing.T, text string) {
		check := func(ok bool, err error, validate func() error) {
			if err != nil {
				var cerr *Error
				if !errors.As(err, &cerr) || ok {
					t.Fatalf("error %T %v is not a lone *config.Error", err, err)
				}
				return
			}
			if verr := validate(); verr != nil {
				t.Fatalf("accepted a configuration that does not validate: %v", verr)
			}
		}
		d, err := ParseDiscoveryConfigEnv(strings.NewReader(text), nil)
		check(d != nil && err != nil, err, func() error { return d.Validate() })
		r, err := ParseRegistryConfigEnv(strings.NewReader(text), nil)
		check(r != nil && err != nil, err, func() error { return r.Validate() })
		s, err := ParseSupervisorConfigEnv(strings.NewReader(text), nil)
		check(s != nil && err != nil, err, func() error { return s.Validate() })
	})
}

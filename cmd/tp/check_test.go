package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const exampleConfig = "../../config/examples/camera-large.toml"

// The example configuration: exit 0, every section summarised, sizes exact.
func TestCheckExample(t *testing.T) {
	r := tp(t, "check", exampleConfig)
	require.Equal(t, exitOK, r.code, r.stderr)
	for _, line := range []string{
		exampleConfig + ": valid\n",
		"  instance_id                 driver-01\n",
		"  control                     aeron:ipc?term-length=4m stream 1000\n",
		"  announce                    aeron:ipc?term-length=4m stream 1000\n",
		"  qos                         aeron:ipc?term-length=4m stream 1200\n",
		"  stream_id_range             20000-29999\n",
		"  base_dir           /dev/shm/tensorpool (",
		"  permissions_mode   660\n",
		"  allow_dynamic_streams         true\n",
		"  epoch_gc_min_age_ns           3000000000\n",
		"  shutdown_token                unset (remote shutdown disabled)\n",
		// 64 + 1024×256 + (64 + 1024×1 MiB) + (64 + 1024×4 MiB) bytes
		"  camera (1024 slots)       5120.25 MiB\n",
		"    pool 2, stride 4194304  4096.00 MiB\n",
		"  processed (512 slots)     256.13 MiB\n",
		"  cam1 (10000, profile camera)      5120.25 MiB\n",
		"  proc1 (10100, profile processed)  256.13 MiB\n",
		"  all streams                       5376.38 MiB\n",
	} {
		require.Contains(t, r.stdout, line)
	}

	r = tp(t, "check", "--json", exampleConfig)
	require.Equal(t, exitOK, r.code, r.stderr)
	var report checkReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report))
	require.True(t, report.Valid)
	require.Equal(t, endpoint{"aeron:ipc?term-length=4m", 1000}, report.Driver.Announce)
	require.Equal(t, &[2]int64{32000, 32999}, report.Driver.ControlStreamIDRange)
	require.Equal(t, []string{"/dev/shm/tensorpool"}, report.Shm.AllowedBaseDirs)
	require.Equal(t, "camera", report.Policies.DefaultProfile)
	require.Len(t, report.Profiles, 2)
	camera := report.Profiles[0]
	require.Equal(t, "camera", camera.Name)
	require.Equal(t, uint64(64+1024*256), camera.HeaderRingBytes)
	require.Equal(t, []poolReport{{1, 1 << 20, 64 + 1024<<20}, {2, 4 << 20, 64 + 1024*4<<20}}, camera.PayloadPools)
	require.Equal(t, uint64(3*64+1024*256+1024*5<<20), camera.EpochBytes)
	require.Equal(t, []streamReport{
		{"cam1", 10000, "camera", camera.EpochBytes},
		{"proc1", 10100, "processed", report.Profiles[1].EpochBytes},
	}, report.Streams)
	require.Equal(t, camera.EpochBytes+report.Profiles[1].EpochBytes, report.EpochBytes)
	require.NotZero(t, report.Shm.MemoryBytes)
}

func writeTOML(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "driver.toml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

// A valid profile and stream the bad configurations below vary.
const minimalConfig = `
[shm]
base_dir = "/dev/shm/tp-check-test"
[profiles.cam]
header_nslots = 16
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }]
[streams.cam]
stream_id = 10000
profile = "cam"
`

// An invalid configuration exits 2 and names the key; --json says the same on stdout.
func TestCheckRejectsAndNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		name, text, key, problem string
	}{
		{"nslots not a power of two", strings.Replace(minimalConfig, "header_nslots = 16", "header_nslots = 12", 1),
			"profiles.cam.header_nslots", "12 is not a power of two"},
		{"wrong type", "[driver]\ncontrol_stream_id = \"x\"\n" + minimalConfig,
			"driver.control_stream_id", `must be an integer, got string "x"`},
		{"unknown key", minimalConfig + "[policies]\nfrobnicate = true\n",
			"policies.frobnicate", "unknown key"},
		{"stream of an undefined profile", strings.Replace(minimalConfig, `profile = "cam"`, `profile = "nope"`, 1),
			"streams.cam.profile", `profile "nope" is not defined`},
		{"relative base_dir", strings.Replace(minimalConfig, `"/dev/shm/tp-check-test"`, `"shm"`, 1),
			"shm.base_dir", `"shm" is not an absolute path`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTOML(t, tc.text)
			r := tp(t, "check", path)
			require.Equal(t, exitUsage, r.code, r.stderr)
			require.Equal(t, fmt.Sprintf("tp: %s: config: %s: %s\n", path, tc.key, tc.problem), r.stderr)
			require.Empty(t, r.stdout)

			r = tp(t, "check", "--json", path)
			require.Equal(t, exitUsage, r.code, r.stderr)
			var failure checkFailure
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &failure), r.stdout)
			require.Equal(t, checkFailure{File: path, Valid: false, Key: tc.key, Problem: tc.problem,
				Error: "config: " + tc.key + ": " + tc.problem}, failure)
		})
	}

	r := tp(t, "check", filepath.Join(t.TempDir(), "missing.toml"))
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "missing.toml: no such file or directory")
}

// tp check reads environment overrides as tp-driver does.
func TestCheckAppliesEnvironmentOverrides(t *testing.T) {
	path := writeTOML(t, minimalConfig)
	r := runCommand(t, []string{"DRIVER_CONTROL_STREAM_ID=4321"}, "tp", "check", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "stream 4321\n")

	r = runCommand(t, []string{"DRIVER_CONTROL_STREAM_ID=lots"}, "tp", "check", path)
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, `config: driver.control_stream_id: must be an integer, got "lots" from environment variable DRIVER_CONTROL_STREAM_ID`)
}

// Profiles far larger than the disk and memory warn but still pass.
func TestCheckWarnsAboutSpaceAndMemory(t *testing.T) {
	dir := t.TempDir()
	path := writeTOML(t, fmt.Sprintf(`
[shm]
base_dir = %q
[profiles.huge]
header_nslots = 1048576
payload_pools = [{ pool_id = 1, stride_bytes = 1073741824 }]
[streams.huge]
stream_id = 1
profile = "huge"
`, filepath.Join(dir, "not-yet-created")))
	r := tp(t, "check", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	// 64 + 2^20×256 + 64 + 2^20×2^30 bytes: 2^30 + 256 MiB
	need := "1073742080.00 MiB"
	require.Contains(t, r.stderr, "tp: warning: one epoch of every stream needs "+need+" but "+dir+" has ")
	require.Contains(t, r.stderr, "tp: warning: one epoch of every stream needs "+need+", more than 25 % of this machine's ")
	require.Contains(t, r.stdout, "  all streams             "+need+"\n")

	r = tp(t, "check", "--json", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	var report checkReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report))
	require.Len(t, report.Warnings, 2)
	require.Equal(t, dir, report.Shm.FreeBytesOf)

	r = tp(t, "check", writeTOML(t, minimalConfig))
	require.Equal(t, exitOK, r.code)
	require.Empty(t, r.stderr)
}

// A [discovery] table runs a provider beside the driver: check says where it answers and
// whom its results name; a file without one runs none.
func TestCheckShowsTheDiscoveryProvider(t *testing.T) {
	const withDiscovery = "../../config/examples/driver.toml"
	r := tp(t, "check", withDiscovery)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "\ndiscovery provider (Discovery spec)\n")
	require.Contains(t, r.stdout, "  requests            aeron:ipc?term-length=4m stream 7000\n")
	require.Contains(t, r.stdout, "  results name        driver-01 at aeron:ipc?term-length=4m stream 1000\n")
	r = tp(t, "check", "--json", withDiscovery)
	var report checkReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report))
	require.NotNil(t, report.Discovery)
	require.Equal(t, endpoint{"aeron:ipc?term-length=4m", 1000}, report.Discovery.Announces)
	require.Equal(t, &endpoint{"aeron:ipc?term-length=4m", 1300}, report.Discovery.Metadata)

	r = tp(t, "check", "--json", exampleConfig)
	report = checkReport{}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report))
	require.Nil(t, report.Discovery)
	require.NotContains(t, tp(t, "check", exampleConfig).stdout, "discovery provider")
}

package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/wire"
)

func withPool(stride string, extra string) string {
	return extra + `
[profiles.p]
payload_pools = [{ pool_id = 1, stride_bytes = ` + stride + ` }]
[streams.s]
stream_id = 10000
profile = "p"
`
}

// TestWireSpec_1_2_15_22_StrideRuleFollowsWireVersion: a v1.1 driver needs strides that
// are power-of-two multiples of the page size; a v1.2 driver any power-of-two multiple of
// 64 bytes.
func TestWireSpec_1_2_15_22_StrideRuleFollowsWireVersion(t *testing.T) {
	v12 := "[driver]\nwire_version = \"1.2\"\n"
	for _, c := range []struct {
		name, stride, extra string
		ok                  bool
	}{
		{"v1.1 page multiple", "4096", "", true},
		{"v1.1 below the page", "2048", "", false},
		{"v1.2 64 bytes", "64", v12, true},
		{"v1.2 128 bytes", "128", v12, true},
		{"v1.2 below 64", "32", v12, false},
		{"v1.2 not a power of two", "192", v12, false},
	} {
		cfg, err := parse(t, withPool(c.stride, c.extra))
		if c.ok {
			require.Nil(t, err, c.name)
			continue
		}
		require.NotNil(t, err, c.name)
		assert.Equal(t, "profiles.p.payload_pools[0].stride_bytes", err.Key, c.name)
		assert.Nil(t, cfg)
	}
}

// TestWireSpec_1_2_DriverWireVersionKey: driver.wire_version defaults to 1.1, takes "1.2"
// from the file or DRIVER_WIRE_VERSION, and names anything else in its error.
func TestWireSpec_1_2_DriverWireVersionKey(t *testing.T) {
	cfg, err := parse(t, minimal)
	require.Nil(t, err)
	assert.Equal(t, wire.V1_1, cfg.Driver.WireVersion)
	cfg, err = parse(t, "[driver]\nwire_version = \"1.2\"\n"+minimal)
	require.Nil(t, err)
	assert.Equal(t, wire.V1_2, cfg.Driver.WireVersion)
	cfg, err = parseEnv(t, minimal, map[string]string{"DRIVER_WIRE_VERSION": "1.2"})
	require.Nil(t, err)
	assert.Equal(t, wire.V1_2, cfg.Driver.WireVersion)

	_, err = parse(t, "[driver]\nwire_version = \"2.0\"\n"+minimal)
	require.NotNil(t, err)
	assert.Equal(t, "driver.wire_version", err.Key)
	assert.Contains(t, err.Problem, `"2.0"`)
}

// TestWireSpec_1_2_15_21a_3_NamespaceIsOnePathElement: shm.namespace becomes a directory
// of the v1.2 layout, so it must be one harmless path element.
func TestWireSpec_1_2_15_21a_3_NamespaceIsOnePathElement(t *testing.T) {
	cfg, err := parse(t, "[shm]\nnamespace = \"lab1\"\n"+minimal)
	require.Nil(t, err)
	assert.Equal(t, "lab1", cfg.Shm.Namespace)
	for _, bad := range []string{"..", "a/b", ""} {
		_, err := parse(t, "[shm]\nnamespace = \""+bad+"\"\n"+minimal)
		require.NotNil(t, err, bad)
		assert.Equal(t, "shm.namespace", err.Key, bad)
	}
	code := Default()
	code.Shm.Namespace = ""
	code.Profiles["p"] = Profile{HeaderNslots: 8, PayloadPools: []PayloadPool{{PoolID: 1, StrideBytes: 4096}}}
	code.Policies.DefaultProfile = "p"
	code.Policies.AllowDynamicStreams = true
	require.NoError(t, code.Validate())
	assert.Equal(t, DefaultNamespace, code.Shm.Namespace, "derived when built in code")
	assert.False(t, strings.Contains(code.Shm.Namespace, "/"))
}

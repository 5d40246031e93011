package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const rateLimiterMinimal = `
[rate_limiter]
instance_id = "rl"
descriptor_channel = "aeron:ipc"
descriptor_stream_id = 1100
[[mappings]]
source_stream_id = 10000
dest_stream_id = 10100
`

func parseRateLimiter(t *testing.T, text string) (*RateLimiterConfig, *Error) {
	t.Helper()
	cfg, err := ParseRateLimiterConfig(strings.NewReader(text))
	if err == nil {
		return cfg, nil
	}
	var cerr *Error
	require.True(t, errors.As(err, &cerr), "error %v is not a *config.Error", err)
	require.Nil(t, cfg)
	return nil, cerr
}

// RateLimiter spec §8: the optional keys' defaults, and ours.
func TestRateLimiterSpec_8_Defaults(t *testing.T) {
	cfg, err := parseRateLimiter(t, rateLimiterMinimal)
	require.Nil(t, err)
	s := cfg.RateLimiter
	assert.True(t, s.ForwardMetadata)
	assert.False(t, s.ForwardProgress)
	assert.False(t, s.ForwardQos)
	assert.Equal(t, uint32(0), s.MaxRateHz, "unlimited")
	assert.Equal(t, "aeron:ipc?term-length=1m", s.ControlChannel)
	assert.Equal(t, "aeron:ipc?term-length=1m", s.QosChannel)
	for _, id := range []uint32{s.SourceControlStreamID, s.DestControlStreamID, s.SourceQosStreamID, s.DestQosStreamID} {
		assert.Equal(t, uint32(0), id)
	}
	assert.Equal(t, "aeron:ipc", s.SourceDescriptorChannel, "the destination's")
	assert.Equal(t, uint32(1100), s.SourceDescriptorStreamID)
	assert.Equal(t, uint32(1300), s.DestMetadataStreamID)
	m := cfg.Mappings[0]
	assert.False(t, m.HasMaxRate)
	assert.Equal(t, uint32(10100), m.MetadataStream(), "metadata_stream_id defaults to dest")
}

func TestRateLimiterSpec_8_ExampleConfigLoads(t *testing.T) {
	cfg, err := LoadRateLimiterConfig("examples/roles/ratelimiter.toml")
	require.NoError(t, err)
	require.Len(t, cfg.Mappings, 2)
	s := &cfg.RateLimiter
	assert.Equal(t, uint32(30), cfg.Mappings[0].FallbackRateHz(s), "inherits rate_limiter.max_rate_hz")
	assert.Equal(t, uint32(5), cfg.Mappings[1].FallbackRateHz(s), "its own max_rate_hz")
	m := RateLimiterMapping{MaxRateHz: 0, HasMaxRate: true}
	assert.Equal(t, uint32(0), m.FallbackRateHz(s), "an explicit 0 is unlimited, not inherited")
}

// RateLimiter spec §8: required keys, and errors naming the key.
func TestRateLimiterSpec_8_ErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, key string
	}{
		{"no instance_id", `instance_id = "rl"`, "", "rate_limiter.instance_id"},
		{"no descriptor_channel", `descriptor_channel = "aeron:ipc"`, "", "rate_limiter.descriptor_channel"},
		{"no descriptor_stream_id", "descriptor_stream_id = 1100", "", "rate_limiter.descriptor_stream_id"},
		{"descriptor_stream_id 0", "descriptor_stream_id = 1100", "descriptor_stream_id = 0", "rate_limiter.descriptor_stream_id"},
		{"no mappings", "[[mappings]]\nsource_stream_id = 10000\ndest_stream_id = 10100", "", "mappings"},
		{"rate as a float", "descriptor_stream_id = 1100", "descriptor_stream_id = 1100\nmax_rate_hz = 2.5", "rate_limiter.max_rate_hz"},
		{"mapping rate negative", "dest_stream_id = 10100", "dest_stream_id = 10100\nmax_rate_hz = -1", "mappings[0].max_rate_hz"},
		{"unknown key", "descriptor_stream_id = 1100", "descriptor_stream_id = 1100\npolicy = \"drop\"", "rate_limiter.policy"},
		{"dest 0", "dest_stream_id = 10100", "dest_stream_id = 0", "mappings[0].dest_stream_id"},
		{"source 0", "source_stream_id = 10000", "source_stream_id = 0", "mappings[0].source_stream_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(rateLimiterMinimal, tc.from, tc.to, 1)
			require.NotEqual(t, rateLimiterMinimal, text)
			_, err := parseRateLimiter(t, text)
			require.NotNil(t, err)
			assert.Equal(t, tc.key, err.Key, "%v", err)
		})
	}
}

func validRateLimiter() *RateLimiterConfig {
	cfg := DefaultRateLimiter()
	cfg.RateLimiter.InstanceID, cfg.RateLimiter.DescriptorChannel, cfg.RateLimiter.DescriptorStreamID = "rl", "aeron:ipc", 1100
	cfg.Mappings = []RateLimiterMapping{{SourceStreamID: 10000, DestStreamID: 10100}}
	return cfg
}

func rateLimiterKey(t *testing.T, cfg *RateLimiterConfig) string {
	t.Helper()
	err := cfg.Validate()
	if err == nil {
		return ""
	}
	var cerr *Error
	require.True(t, errors.As(err, &cerr), "%v", err)
	return cerr.Key
}

// RateLimiter spec §8: forwarding progress or QoS with a zero source or destination
// stream id fails fast; forwarding never starts with them.
func TestRateLimiterSpec_8_ForwardingNeedsNonzeroIDs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tweak func(*RateLimiterSection)
		key   string
	}{
		{"progress without source", func(s *RateLimiterSection) { s.ForwardProgress, s.DestControlStreamID = true, 2 }, "rate_limiter.source_control_stream_id"},
		{"progress without dest", func(s *RateLimiterSection) { s.ForwardProgress, s.SourceControlStreamID = true, 2 }, "rate_limiter.dest_control_stream_id"},
		{"progress", func(s *RateLimiterSection) {
			s.ForwardProgress, s.SourceControlStreamID, s.DestControlStreamID = true, 1, 2
		}, ""},
		{"qos without source", func(s *RateLimiterSection) { s.ForwardQos, s.DestQosStreamID = true, 2 }, "rate_limiter.source_qos_stream_id"},
		{"qos without dest", func(s *RateLimiterSection) { s.ForwardQos, s.SourceQosStreamID = true, 2 }, "rate_limiter.dest_qos_stream_id"},
		{"qos", func(s *RateLimiterSection) { s.ForwardQos, s.SourceQosStreamID, s.DestQosStreamID = true, 1, 2 }, ""},
		{"metadata without a stream", func(s *RateLimiterSection) { s.SourceMetadataStreamID = 0 }, "rate_limiter.source_metadata_stream_id"},
		{"metadata off without a stream", func(s *RateLimiterSection) { s.ForwardMetadata, s.SourceMetadataStreamID = false, 0 }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validRateLimiter()
			tc.tweak(&cfg.RateLimiter)
			assert.Equal(t, tc.key, rateLimiterKey(t, cfg))
		})
	}
}

// RateLimiter spec §3: the destination is a distinct stream with one producer, and never
// the source.
func TestRateLimiterSpec_3_DestinationIsDistinctAndExclusive(t *testing.T) {
	cfg := validRateLimiter()
	cfg.Mappings[0].DestStreamID = 10000
	assert.Equal(t, "mappings[0].dest_stream_id", rateLimiterKey(t, cfg))

	cfg = validRateLimiter()
	cfg.Mappings = append(cfg.Mappings, RateLimiterMapping{SourceStreamID: 10001, DestStreamID: 10100})
	assert.Equal(t, "mappings[1].dest_stream_id", rateLimiterKey(t, cfg))

	cfg = validRateLimiter()
	cfg.Mappings = append(cfg.Mappings, RateLimiterMapping{SourceStreamID: 10100, DestStreamID: 10200})
	assert.Equal(t, "mappings[1].source_stream_id", rateLimiterKey(t, cfg), "reading its own output")

	cfg = validRateLimiter()
	cfg.Mappings = append(cfg.Mappings, RateLimiterMapping{SourceStreamID: 10000, DestStreamID: 10200, MaxRateHz: 5, HasMaxRate: true})
	assert.Equal(t, "", rateLimiterKey(t, cfg), "one source may feed two destinations at two rates")
}

func FuzzParseRateLimiterConfig(f *testing.F) {
	f.Add(rateLimiterMinimal)
	f.Add(strings.Replace(rateLimiterMinimal, "dest_stream_id = 10100", "dest_stream_id = 10100\nmax_rate_hz = 30", 1))
	f.Add("[rate_limiter]\nforward_progress = true\n")
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := ParseRateLimiterConfig(strings.NewReader(text))
		if err != nil {
			var cerr *Error
			if !errors.As(err, &cerr) || cfg != nil {
				t.Fatalf("error %T %v (config %v) is not a lone *config.Error", err, err, cfg)
			}
			return
		}
		if len(cfg.Mappings) == 0 || cfg.RateLimiter.DescriptorStreamID == 0 {
			t.Fatalf("accepted a configuration a rate limiter cannot run: %+v", cfg)
		}
	})
}

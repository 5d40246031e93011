package config

import (
	"fmt"
	"strings"
)

// Discovery service defaults: the reference's stream id conventions (discovery requests
// on 7000; a registry's on 7100) and the limits its documentation gives (Discovery spec
// §5.2: at most 1000 results; §6.2: entries expire after 3 × the 1 s announce period).
const (
	DefaultDiscoveryStreamID         = 7000
	DefaultRegistryStreamID          = 7100
	DefaultDiscoveryMaxResults       = 1000
	DefaultDiscoveryExpiryNs         = 3_000_000_000
	DefaultDiscoveryResponseBufBytes = 65536
	// MinDiscoveryResponseBufBytes holds a response header and one result with a few
	// pools and URIs.
	MinDiscoveryResponseBufBytes = 1024
	// MaxDiscoveryResponseBufBytes is the largest message an Aeron term of 64 MiB (the
	// largest a term may be, /8) can carry.
	MaxDiscoveryResponseBufBytes = 8 << 20
	// DefaultDiscoveryMaxEntries bounds the streams a provider indexes, so a flood of
	// announces for invented streams cannot grow it without bound.
	DefaultDiscoveryMaxEntries = 4096
	// DefaultDiscoveryMaxResponseEndpoints bounds the response publications a provider
	// keeps open at once, so a flood of requests naming invented response channels cannot
	// make it add publications without bound.
	DefaultDiscoveryMaxResponseEndpoints = 64
)

// DiscoveryLimits are the limits a discovery provider or registry applies (the
// reference's max_results, expiry_ns and response_buf_bytes, and two of ours).
type DiscoveryLimits struct {
	// MaxResults caps the results of one response (Discovery §5.2); further matches are
	// left out and the response says so in its error_message.
	MaxResults uint32
	// ExpiryNs is how long an entry lives after its last ShmPoolAnnounce (§6.2).
	ExpiryNs uint64
	// ResponseBufBytes caps a response's encoded size; results that do not fit are left
	// out as above.
	ResponseBufBytes uint32
	// MaxEntries bounds the streams indexed; announces of further streams are dropped
	// and counted (key max_entries).
	MaxEntries uint32
	// MaxResponseEndpoints bounds the response publications open at once (key
	// max_response_endpoints).
	MaxResponseEndpoints uint32
}

// DiscoveryEndpoint is one driver a provider indexes: where its ShmPoolAnnounce and
// metadata arrive, and the authority every result names (Discovery §5.2, §6.4).
type DiscoveryEndpoint struct {
	DriverInstanceID string
	AnnounceChannel  string
	AnnounceStreamID uint32
	// MetadataChannel and MetadataStreamID carry DataSourceAnnounce and DataSourceMeta;
	// an empty channel means none are read.
	MetadataChannel       string
	MetadataStreamID      uint32
	DriverControlChannel  string
	DriverControlStreamID uint32
}

// DiscoveryConfig is the [discovery] table: a discovery provider for one driver, inside
// tp-driver or standalone (`tp run discovery`). The driver's endpoints and identity
// default to the file's [driver] table (its defaults when absent): announces from
// driver.announce_*, authority from driver.instance_id and driver.control_*.
type DiscoveryConfig struct {
	// Channel and StreamID are the request endpoint (discovery.channel, stream_id).
	Channel  string
	StreamID uint32
	Endpoint DiscoveryEndpoint
	DiscoveryLimits
}

// RegistryConfig is the [discovery_registry] table: one request endpoint answering for
// several drivers, one [[discovery_registry.endpoints]] entry each.
type RegistryConfig struct {
	Channel   string
	StreamID  uint32
	Endpoints []DiscoveryEndpoint
	DiscoveryLimits
}

// discoveryDefaults are the limits of a table that sets none.
func discoveryDefaults() DiscoveryLimits {
	return DiscoveryLimits{
		MaxResults:           DefaultDiscoveryMaxResults,
		ExpiryNs:             DefaultDiscoveryExpiryNs,
		ResponseBufBytes:     DefaultDiscoveryResponseBufBytes,
		MaxEntries:           DefaultDiscoveryMaxEntries,
		MaxResponseEndpoints: DefaultDiscoveryMaxResponseEndpoints,
	}
}

// DiscoveryFor is the [discovery] table an empty one gives in a file whose [driver]
// table is d: requests on DefaultChannel stream 7000, the driver's announce endpoint,
// identity and control endpoint, no metadata stream, the default limits.
func DiscoveryFor(d DriverSection) DiscoveryConfig {
	if d.AnnounceChannel == "" { // a section built in code, not derived yet
		d.AnnounceChannel = d.ControlChannel
	}
	if d.AnnounceStreamID == 0 {
		d.AnnounceStreamID = d.ControlStreamID
	}
	return DiscoveryConfig{
		Channel:  DefaultChannel,
		StreamID: DefaultDiscoveryStreamID,
		Endpoint: DiscoveryEndpoint{
			DriverInstanceID:      d.InstanceID,
			AnnounceChannel:       d.AnnounceChannel,
			AnnounceStreamID:      d.AnnounceStreamID,
			DriverControlChannel:  d.ControlChannel,
			DriverControlStreamID: d.ControlStreamID,
		},
		DiscoveryLimits: discoveryDefaults(),
	}
}

// Validate checks a [discovery] table built in code as a file's would be; every failure
// is a *Error naming the key.
func (c *DiscoveryConfig) Validate() error {
	if err := c.validate(); err != nil {
		return err
	}
	return nil
}

func (c *DiscoveryConfig) validate() *Error {
	if err := checkChannel("discovery.channel", c.Channel); err != nil {
		return err
	}
	if err := checkID("discovery.stream_id", c.StreamID); err != nil {
		return err
	}
	if err := c.Endpoint.validate("discovery."); err != nil {
		return err
	}
	return c.DiscoveryLimits.validate("discovery.")
}

// Validate checks a [discovery_registry] table built in code as a file's would be; every
// failure is a *Error naming the key.
func (c *RegistryConfig) Validate() error {
	if err := c.validate(); err != nil {
		return err
	}
	return nil
}

func (c *RegistryConfig) validate() *Error {
	const table = "discovery_registry."
	if err := checkChannel(table+"channel", c.Channel); err != nil {
		return err
	}
	if err := checkID(table+"stream_id", c.StreamID); err != nil {
		return err
	}
	if len(c.Endpoints) == 0 {
		return errorf(table+"endpoints", "at least one endpoint must be defined")
	}
	ids := map[string]int{}
	announces := map[string]int{}
	for i, e := range c.Endpoints {
		prefix := fmt.Sprintf("%sendpoints[%d].", table, i)
		if err := e.validate(prefix); err != nil {
			return err
		}
		if j, dup := ids[e.DriverInstanceID]; dup {
			return errorf(prefix+"driver_instance_id", fmt.Sprintf("%q is also endpoints[%d]'s: entries are keyed by (driver_instance_id, stream_id) (Discovery §6.1)", e.DriverInstanceID, j))
		}
		ids[e.DriverInstanceID] = i
		// An announce carries no driver identity: the endpoint it arrives on names the
		// driver, so two drivers cannot share one.
		key := fmt.Sprintf("%s|%d", streamKey(e.AnnounceChannel), e.AnnounceStreamID)
		if j, dup := announces[key]; dup {
			return errorf(prefix+"announce_stream_id", fmt.Sprintf("%s stream %d is also endpoints[%d]'s: announces carry no driver identity, so each driver needs an announce endpoint of its own", e.AnnounceChannel, e.AnnounceStreamID, j))
		}
		announces[key] = i
		if e.MetadataChannel != "" {
			key := fmt.Sprintf("md|%s|%d", streamKey(e.MetadataChannel), e.MetadataStreamID)
			if j, dup := announces[key]; dup {
				return errorf(prefix+"metadata_stream_id", fmt.Sprintf("%s stream %d is also endpoints[%d]'s: metadata carries no driver identity either", e.MetadataChannel, e.MetadataStreamID, j))
			}
			announces[key] = i
		}
	}
	return c.DiscoveryLimits.validate(table)
}

// streamKey is what tells two channels apart as Aeron matches subscriptions: every IPC
// channel of a stream id is the same stream; other channels by their text.
func streamKey(channel string) string {
	if strings.HasPrefix(channel, "aeron:ipc") {
		return "aeron:ipc"
	}
	return channel
}

func (e *DiscoveryEndpoint) validate(prefix string) *Error {
	if e.DriverInstanceID == "" {
		return errorf(prefix+"driver_instance_id", "is required: every result names its driver (Discovery §5.2)")
	}
	if n := len(e.DriverInstanceID); n > MaxDriverInstanceIDBytes {
		return errorf(prefix+"driver_instance_id", fmt.Sprintf("%d bytes, at most %d", n, MaxDriverInstanceIDBytes))
	}
	if err := checkChannel(prefix+"announce_channel", e.AnnounceChannel); err != nil {
		return err
	}
	if err := checkID(prefix+"announce_stream_id", e.AnnounceStreamID); err != nil {
		return err
	}
	if e.MetadataChannel != "" {
		if err := checkChannel(prefix+"metadata_channel", e.MetadataChannel); err != nil {
			return err
		}
		if err := checkID(prefix+"metadata_stream_id", e.MetadataStreamID); err != nil {
			return err
		}
	} else if e.MetadataStreamID != 0 {
		return errorf(prefix+"metadata_stream_id", fmt.Sprintf("%d without a metadata_channel", e.MetadataStreamID))
	}
	if err := checkChannel(prefix+"driver_control_channel", e.DriverControlChannel); err != nil {
		return err
	}
	if n := len(e.DriverControlChannel); n > MaxDriverControlChannelBytes {
		return errorf(prefix+"driver_control_channel", fmt.Sprintf("%d bytes, at most %d", n, MaxDriverControlChannelBytes))
	}
	// Discovery §5.2: providers must not emit a result whose driver_control_stream_id is 0.
	return checkID(prefix+"driver_control_stream_id", e.DriverControlStreamID)
}

// Bounds of the authority strings a result carries: the reference's (128-byte instance
// ids, 1024-byte control channels), which C clients hold in fixed-size fields.
const (
	MaxDriverInstanceIDBytes     = 128
	MaxDriverControlChannelBytes = 1024
)

func (l *DiscoveryLimits) validate(prefix string) *Error {
	switch {
	case l.MaxResults == 0:
		return errorf(prefix+"max_results", "must be at least 1")
	case l.ExpiryNs == 0:
		return errorf(prefix+"expiry_ns", "must be positive: entries must expire (Discovery §6.2)")
	case l.ExpiryNs > 1<<62:
		return errorf(prefix+"expiry_ns", fmt.Sprintf("%d is out of range [1, %d]", l.ExpiryNs, uint64(1<<62)))
	case l.ResponseBufBytes < MinDiscoveryResponseBufBytes || l.ResponseBufBytes > MaxDiscoveryResponseBufBytes:
		return errorf(prefix+"response_buf_bytes", fmt.Sprintf("%d is out of range [%d, %d]", l.ResponseBufBytes, MinDiscoveryResponseBufBytes, MaxDiscoveryResponseBufBytes))
	case l.MaxEntries == 0:
		return errorf(prefix+"max_entries", "must be at least 1")
	case l.MaxResponseEndpoints == 0:
		return errorf(prefix+"max_response_endpoints", "must be at least 1")
	}
	return nil
}

func checkChannel(key, v string) *Error {
	if !strings.HasPrefix(v, "aeron:") || len(v) == len("aeron:") {
		return errorf(key, fmt.Sprintf("%q is not an Aeron channel URI (aeron:...)", v))
	}
	return nil
}

func checkID(key string, id uint32) *Error {
	if id == 0 || id > MaxStreamID {
		return errorf(key, fmt.Sprintf("%d is out of range [1, %d]", id, MaxStreamID))
	}
	return nil
}

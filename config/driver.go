// Package config loads and validates tensorpool configuration files, and validates the
// same configuration built in code (Default, DriverConfig.Validate).
//
// The driver configuration follows the canonical key set of the Driver Model
// specification (§17) and the reference CONFIG_REFERENCE §1: the same TOML
// keys, the same defaults, and the same environment override scheme. The
// control-plane roles' tables, [discovery], [discovery_registry] and
// [supervisor], follow the reference's keys too (LoadDiscoveryConfig,
// LoadRegistryConfig, LoadSupervisorConfig; roles.go says how one file may hold
// several roles).
//
// # Environment overrides
//
// Every scalar key of the [driver], [shm] and [policies] tables (and of the
// role tables) can be overridden by an environment variable named after the dotted key, upper-cased,
// with dots replaced by underscores (Aeron's convention, Driver spec §17):
//
//	driver.control_stream_id  → DRIVER_CONTROL_STREAM_ID
//	shm.base_dir              → SHM_BASE_DIR
//	policies.shutdown_token   → POLICIES_SHUTDOWN_TOKEN
//	driver.stream_id_range    → DRIVER_STREAM_ID_RANGE   (as "first-last")
//
// An environment value wins over the file. Booleans accept only "true" or
// "false" (any case); integers are decimal. Tables and arrays (profiles,
// streams, shm.allowed_base_dirs) are not overridable.
package config

import (
	"io/fs"
	"time"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// Defaults of the Driver spec §17 / CONFIG_REFERENCE §1.
const (
	DefaultInstanceID                = "driver-01"
	DefaultChannel                   = "aeron:ipc?term-length=4m"
	DefaultControlStreamID           = 1000
	DefaultQosStreamID               = 1200
	DefaultShmBaseDir                = shm.DefaultBaseDir
	DefaultPageSizeBytes             = 4096
	DefaultPermissionsMode           = "660"
	DefaultAnnouncePeriodMs          = 1000
	DefaultLeaseKeepaliveIntervalMs  = 1000
	DefaultLeaseExpiryGraceIntervals = 3
	DefaultEpochGCKeep               = 2
	DefaultShutdownTimeoutMs         = 2000
	DefaultHeaderNslots              = 1024
	// DefaultNamespace is shm.namespace's default, the reference's.
	DefaultNamespace = "default"
	// HeaderSlotBytes is fixed by the Wire spec; profiles may restate it but not change it.
	HeaderSlotBytes = 256
	// MaxStreamID is the largest id Aeron accepts as a stream id (int32).
	MaxStreamID = 1<<31 - 1
)

// DriverConfig is a driver configuration: validated when it comes from LoadDriverConfig or
// ParseDriverConfig, and to be checked with Validate when built in code (from Default).
type DriverConfig struct {
	Driver   DriverSection
	Shm      ShmSection
	Policies PolicySection
	// Profiles by name; there is at least one.
	Profiles map[string]Profile
	// Streams by table name (streams.<name>); stream ids are unique.
	Streams map[string]Stream
	// Discovery, when the file has a [discovery] table, runs a discovery provider inside
	// the driver's process; nil otherwise.
	Discovery *DiscoveryConfig
}

// DriverSection is the [driver] table: identity and Aeron endpoints.
type DriverSection struct {
	InstanceID string
	// AeronDir empty means the Aeron library default.
	AeronDir         string
	ControlChannel   string
	ControlStreamID  uint32
	AnnounceChannel  string
	AnnounceStreamID uint32
	QosChannel       string
	QosStreamID      uint32
	// StreamIDRange holds ids for dynamically created streams.
	StreamIDRange StreamIDRange
	// DescriptorStreamIDRange and ControlStreamIDRange hold per-consumer stream ids.
	DescriptorStreamIDRange StreamIDRange
	ControlStreamIDRange    StreamIDRange
	// WireVersion is driver.wire_version, the wire spec whose SHM rules the driver follows
	// ("1.1", the default, or "1.2"): in 1.2 the epoch directories take the normative
	// layout <base_dir>/tensorpool-<user>/<namespace>/<stream_id>/<epoch>/{header.ring,
	// <pool_id>.pool} (Wire spec v1.2 §15.21a.3) and a stride may be any power-of-two
	// multiple of 64 (§15.22). Either way the driver answers each client in the wire
	// version of its request.
	WireVersion wire.Version
}

// ShmSection is the [shm] table: where and how SHM backing files are created.
type ShmSection struct {
	BaseDir          string
	RequireHugepages bool
	PageSizeBytes    uint32
	PermissionsMode  fs.FileMode
	// AllowedBaseDirs are cleaned absolute paths; BaseDir lies inside one of them.
	AllowedBaseDirs []string
	// Namespace is shm.namespace, the deployment's directory in wire v1.2's layout
	// (driver.wire_version = "1.2"); default "default". One path component.
	Namespace string
}

// PolicySection is the [policies] table.
type PolicySection struct {
	AllowDynamicStreams bool
	// DefaultProfile names the profile of dynamic streams; it always exists.
	DefaultProfile            string
	AnnouncePeriodMs          uint32
	LeaseKeepaliveIntervalMs  uint32
	LeaseExpiryGraceIntervals uint32
	PrefaultShm               bool
	ReuseExistingShm          bool
	MlockShm                  bool
	CleanupShmOnExit          bool
	EpochGCEnabled            bool
	EpochGCKeep               uint32
	// EpochGCMinAgeNs is resolved: a configured 0 becomes 3 × the announce period.
	EpochGCMinAgeNs   uint64
	EpochGCOnStartup  bool
	ShutdownTimeoutMs uint32
	// ShutdownToken empty disables remote shutdown requests.
	ShutdownToken string
}

// LeaseExpiry is how long a lease lives after its last keepalive:
// keepalive interval × expiry grace intervals.
func (p PolicySection) LeaseExpiry() time.Duration {
	return time.Duration(p.LeaseKeepaliveIntervalMs) * time.Duration(p.LeaseExpiryGraceIntervals) * time.Millisecond
}

// AnnouncePeriod is the ShmPoolAnnounce cadence.
func (p PolicySection) AnnouncePeriod() time.Duration {
	return time.Duration(p.AnnouncePeriodMs) * time.Millisecond
}

// KeepaliveInterval is the client keepalive interval; the driver checks expiry at this cadence.
func (p PolicySection) KeepaliveInterval() time.Duration {
	return time.Duration(p.LeaseKeepaliveIntervalMs) * time.Millisecond
}

// ShutdownTimeout is the drain period between an accepted shutdown request and ShmDriverShutdown.
func (p PolicySection) ShutdownTimeout() time.Duration {
	return time.Duration(p.ShutdownTimeoutMs) * time.Millisecond
}

// Profile is a named SHM layout: header ring size and payload pools.
type Profile struct {
	Name         string
	HeaderNslots uint32
	// PayloadPools has at least one pool; pool ids are unique within the profile.
	PayloadPools []PayloadPool
}

// PayloadPool is one payload size class of a profile.
type PayloadPool struct {
	PoolID      uint16
	StrideBytes uint32
}

// Stream binds a static stream id to a profile.
type Stream struct {
	Name     string
	StreamID uint32
	Profile  string
}

// StreamIDRange is an inclusive range of stream ids; the zero value means unset.
type StreamIDRange struct {
	First, Last uint32
}

// IsSet reports whether the range was configured.
func (r StreamIDRange) IsSet() bool { return r != StreamIDRange{} }

// Contains reports whether id lies in the range.
func (r StreamIDRange) Contains(id uint32) bool { return r.IsSet() && r.First <= id && id <= r.Last }

func (r StreamIDRange) overlaps(o StreamIDRange) bool {
	return r.IsSet() && o.IsSet() && r.First <= o.Last && o.First <= r.Last
}

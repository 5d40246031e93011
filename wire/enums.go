package wire

import "strconv"

// The enums of the schemas that messages carry, as Go types. Each value is the raw
// wire value; Valid reports whether the schema defines it, String names it as the schema
// does (and prints the number of one it does not define). Bool fields are Go bools.

// Role of a lease (driver schema).
type Role uint8

const (
	RoleProducer Role = 1
	RoleConsumer Role = 2
)

// Valid reports whether the schema defines r.
func (r Role) Valid() bool { return r == RoleProducer || r == RoleConsumer }

func (r Role) String() string {
	switch r {
	case RoleProducer:
		return "PRODUCER"
	case RoleConsumer:
		return "CONSUMER"
	}
	return "Role(" + strconv.Itoa(int(r)) + ")"
}

// PublishMode of an attach request (driver schema); the field is optional, PublishModeNull
// when absent.
type PublishMode uint8

const (
	PublishModeRequireExisting  PublishMode = 1
	PublishModeExistingOrCreate PublishMode = 2
	PublishModeNull             PublishMode = NullU8
)

// Valid reports whether the schema defines m; the null value is not a mode.
func (m PublishMode) Valid() bool {
	return m == PublishModeRequireExisting || m == PublishModeExistingOrCreate
}

func (m PublishMode) String() string {
	switch m {
	case PublishModeRequireExisting:
		return "REQUIRE_EXISTING"
	case PublishModeExistingOrCreate:
		return "EXISTING_OR_CREATE"
	case PublishModeNull:
		return "NULL"
	}
	return "PublishMode(" + strconv.Itoa(int(m)) + ")"
}

// HugepagesPolicy of an attach request (driver schema).
type HugepagesPolicy uint8

const (
	HugepagesUnspecified HugepagesPolicy = 0
	HugepagesStandard    HugepagesPolicy = 1
	HugepagesRequired    HugepagesPolicy = 2 // HUGEPAGES in the schema
)

// Valid reports whether the schema defines p.
func (p HugepagesPolicy) Valid() bool { return p <= HugepagesRequired }

func (p HugepagesPolicy) String() string {
	switch p {
	case HugepagesUnspecified:
		return "UNSPECIFIED"
	case HugepagesStandard:
		return "STANDARD"
	case HugepagesRequired:
		return "HUGEPAGES"
	}
	return "HugepagesPolicy(" + strconv.Itoa(int(p)) + ")"
}

// ResponseCode of attach, detach and control responses (driver and control schemas define
// the same values; Driver spec §4.6).
type ResponseCode int32

const (
	CodeOK            ResponseCode = 0
	CodeUnsupported   ResponseCode = 1
	CodeInvalidParams ResponseCode = 2
	CodeRejected      ResponseCode = 3
	CodeInternalError ResponseCode = 4
)

// Valid reports whether the schemas define c.
func (c ResponseCode) Valid() bool { return c >= CodeOK && c <= CodeInternalError }

func (c ResponseCode) String() string {
	switch c {
	case CodeOK:
		return "OK"
	case CodeUnsupported:
		return "UNSUPPORTED"
	case CodeInvalidParams:
		return "INVALID_PARAMS"
	case CodeRejected:
		return "REJECTED"
	case CodeInternalError:
		return "INTERNAL_ERROR"
	}
	return "ResponseCode(" + strconv.Itoa(int(c)) + ")"
}

// LeaseRevokeReason of ShmLeaseRevoked (driver schema).
type LeaseRevokeReason uint8

const (
	RevokeDetached LeaseRevokeReason = 1
	RevokeExpired  LeaseRevokeReason = 2
	RevokeRevoked  LeaseRevokeReason = 3
)

// Valid reports whether the schema defines r.
func (r LeaseRevokeReason) Valid() bool { return r >= RevokeDetached && r <= RevokeRevoked }

func (r LeaseRevokeReason) String() string {
	switch r {
	case RevokeDetached:
		return "DETACHED"
	case RevokeExpired:
		return "EXPIRED"
	case RevokeRevoked:
		return "REVOKED"
	}
	return "LeaseRevokeReason(" + strconv.Itoa(int(r)) + ")"
}

// ShutdownReason of ShmDriverShutdown and ShmDriverShutdownRequest (driver schema).
type ShutdownReason uint8

const (
	ShutdownNormal ShutdownReason = 0
	ShutdownAdmin  ShutdownReason = 1
	ShutdownError  ShutdownReason = 2
)

// Valid reports whether the schema defines r.
func (r ShutdownReason) Valid() bool { return r <= ShutdownError }

func (r ShutdownReason) String() string {
	switch r {
	case ShutdownNormal:
		return "NORMAL"
	case ShutdownAdmin:
		return "ADMIN"
	case ShutdownError:
		return "ERROR"
	}
	return "ShutdownReason(" + strconv.Itoa(int(r)) + ")"
}

// Mode of a consumer (control schema, Wire spec §11).
type Mode uint8

const (
	ModeStream      Mode = 1
	ModeRateLimited Mode = 2
)

// Valid reports whether the schema defines m.
func (m Mode) Valid() bool { return m == ModeStream || m == ModeRateLimited }

func (m Mode) String() string {
	switch m {
	case ModeStream:
		return "STREAM"
	case ModeRateLimited:
		return "RATE_LIMITED"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// ClockDomain of an announce timestamp (control schema, Wire spec §10.1.1) and of a
// TimestampMergeMapAnnounce (merge schema, the same values).
type ClockDomain uint8

const (
	ClockMonotonic      ClockDomain = 1
	ClockRealtimeSynced ClockDomain = 2
)

// Valid reports whether the schema defines d.
func (d ClockDomain) Valid() bool { return d == ClockMonotonic || d == ClockRealtimeSynced }

func (d ClockDomain) String() string {
	switch d {
	case ClockMonotonic:
		return "MONOTONIC"
	case ClockRealtimeSynced:
		return "REALTIME_SYNCED"
	}
	return "ClockDomain(" + strconv.Itoa(int(d)) + ")"
}

// FrameProgressState of FrameProgress (control schema, Wire spec §10.2.2).
type FrameProgressState uint8

const (
	ProgressStateUnknown  FrameProgressState = 0
	ProgressStateStarted  FrameProgressState = 1
	ProgressStateProgress FrameProgressState = 2
	ProgressStateComplete FrameProgressState = 3
)

// Valid reports whether the schema defines s.
func (s FrameProgressState) Valid() bool { return s <= ProgressStateComplete }

func (s FrameProgressState) String() string {
	switch s {
	case ProgressStateUnknown:
		return "UNKNOWN"
	case ProgressStateStarted:
		return "STARTED"
	case ProgressStateProgress:
		return "PROGRESS"
	case ProgressStateComplete:
		return "COMPLETE"
	}
	return "FrameProgressState(" + strconv.Itoa(int(s)) + ")"
}

// DiscoveryStatus of a DiscoveryResponse (discovery schema, Discovery spec §5.2): OK also
// for zero results; NOT_FOUND and ERROR carry none.
type DiscoveryStatus uint8

const (
	DiscoveryStatusOK       DiscoveryStatus = 1
	DiscoveryStatusNotFound DiscoveryStatus = 2
	DiscoveryStatusError    DiscoveryStatus = 3
)

// Valid reports whether the schema defines s.
func (s DiscoveryStatus) Valid() bool { return s >= DiscoveryStatusOK && s <= DiscoveryStatusError }

func (s DiscoveryStatus) String() string {
	switch s {
	case DiscoveryStatusOK:
		return "OK"
	case DiscoveryStatusNotFound:
		return "NOT_FOUND"
	case DiscoveryStatusError:
		return "ERROR"
	}
	return "DiscoveryStatus(" + strconv.Itoa(int(s)) + ")"
}

// MergeRuleType of a SequenceMergeMapAnnounce rule (merge schema, JoinBarrier spec §6.2).
type MergeRuleType uint8

const (
	MergeRuleOffset MergeRuleType = 0 // in_seq = out_seq + offset
	MergeRuleWindow MergeRuleType = 1 // the last windowSize input sequences
)

// Valid reports whether the schema defines t.
func (t MergeRuleType) Valid() bool { return t <= MergeRuleWindow }

func (t MergeRuleType) String() string {
	switch t {
	case MergeRuleOffset:
		return "OFFSET"
	case MergeRuleWindow:
		return "WINDOW"
	}
	return "MergeRuleType(" + strconv.Itoa(int(t)) + ")"
}

// MergeTimeRuleType of a TimestampMergeMapAnnounce rule (merge schema, JoinBarrier spec §6.3).
type MergeTimeRuleType uint8

const (
	MergeTimeRuleOffsetNs MergeTimeRuleType = 0 // in_time = out_time + offsetNs
	MergeTimeRuleWindowNs MergeTimeRuleType = 1 // inputs within windowNs before out_time
)

// Valid reports whether the schema defines t.
func (t MergeTimeRuleType) Valid() bool { return t <= MergeTimeRuleWindowNs }

func (t MergeTimeRuleType) String() string {
	switch t {
	case MergeTimeRuleOffsetNs:
		return "OFFSET_NS"
	case MergeTimeRuleWindowNs:
		return "WINDOW_NS"
	}
	return "MergeTimeRuleType(" + strconv.Itoa(int(t)) + ")"
}

// TimestampSource of a TimestampMergeMapAnnounce rule: which timestamp of an input frame the
// rule reads (merge schema, JoinBarrier spec §8.2).
type TimestampSource uint8

const (
	TimestampSourceFrameDescriptor TimestampSource = 1
	TimestampSourceSlotHeader      TimestampSource = 2
)

// Valid reports whether the schema defines s.
func (s TimestampSource) Valid() bool {
	return s == TimestampSourceFrameDescriptor || s == TimestampSourceSlotHeader
}

func (s TimestampSource) String() string {
	switch s {
	case TimestampSourceFrameDescriptor:
		return "FRAME_DESCRIPTOR"
	case TimestampSourceSlotHeader:
		return "SLOT_HEADER"
	}
	return "TimestampSource(" + strconv.Itoa(int(s)) + ")"
}

// boolByte is a Bool enum's wire value.
func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

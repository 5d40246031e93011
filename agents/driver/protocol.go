// Package driver is the SHM driver of the Driver Model spec v1.0.
//
// Its protocol rules are pure state machines (Core, the lease and driver
// lifecycles): no I/O, no goroutines, no clock reads. Time enters as an
// argument in nanoseconds of the driver's monotonic clock, and every effect
// the driver must carry out (send a message, provision an epoch, ...) comes
// back as an Action. Agent is the thin duty-cycle shell that feeds Core from
// the Aeron control stream and carries out its Actions; Provisioner owns the
// SHM files.
//
// The message types here mirror the driver SBE schema (id 901) field for
// field; codec.go maps them onto the flyweights and back, for the agent and
// for driverclient.
package driver

import "strconv"

// Role of a lease (driver schema enum Role).
type Role uint8

const (
	RoleProducer Role = 1
	RoleConsumer Role = 2
)

func (r Role) valid() bool { return r == RoleProducer || r == RoleConsumer }

func (r Role) String() string {
	switch r {
	case RoleProducer:
		return "PRODUCER"
	case RoleConsumer:
		return "CONSUMER"
	}
	return "Role(" + strconv.Itoa(int(r)) + ")"
}

// PublishMode of an attach request (optional enum, null 255).
type PublishMode uint8

const (
	PublishModeRequireExisting  PublishMode = 1
	PublishModeExistingOrCreate PublishMode = 2
	PublishModeNull             PublishMode = 255
)

// HugepagesPolicy of an attach request.
type HugepagesPolicy uint8

const (
	HugepagesUnspecified HugepagesPolicy = 0
	HugepagesStandard    HugepagesPolicy = 1
	HugepagesRequired    HugepagesPolicy = 2
)

// ResponseCode of attach and detach responses (Driver spec §4.6).
type ResponseCode int32

const (
	CodeOK            ResponseCode = 0
	CodeUnsupported   ResponseCode = 1
	CodeInvalidParams ResponseCode = 2
	CodeRejected      ResponseCode = 3
	CodeInternalError ResponseCode = 4
)

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

// RevokeReason of ShmLeaseRevoked.
type RevokeReason uint8

const (
	RevokeDetached RevokeReason = 1
	RevokeExpired  RevokeReason = 2
	RevokeRevoked  RevokeReason = 3
)

// ShutdownReason of ShmDriverShutdown and ShmDriverShutdownRequest.
type ShutdownReason uint8

const (
	ShutdownNormal ShutdownReason = 0
	ShutdownAdmin  ShutdownReason = 1
	ShutdownError  ShutdownReason = 2
)

// Null sentinels of the optional primitives of ShmAttachResponse.
const (
	NullU8  = 0xFF
	NullU16 = 0xFFFF
	NullU32 = 0xFFFFFFFF
	NullU64 = 0xFFFFFFFFFFFFFFFF
)

// Constants the Wire spec v1.1 fixes and every OK attach response restates.
const (
	LayoutVersion   = 1
	HeaderSlotBytes = 256
	MaxDims         = 8
	// MaxErrorMessageBytes bounds errorMessage (Driver spec §4.2).
	MaxErrorMessageBytes = 1024
)

// AttachRequest is ShmAttachRequest.
type AttachRequest struct {
	CorrelationID         int64
	StreamID              uint32
	ClientID              uint32
	Role                  Role
	ExpectedLayoutVersion uint32
	MaxDims               uint8
	PublishMode           PublishMode
	RequireHugepages      HugepagesPolicy
}

// AttachResponse is ShmAttachResponse. Optional fields hold their Null*
// sentinel on failure; URIs are filled by the agent, which owns the paths.
type AttachResponse struct {
	CorrelationID          int64
	Code                   ResponseCode
	LeaseID                uint64
	LeaseExpiryTimestampNs uint64
	StreamID               uint32
	Epoch                  uint64
	LayoutVersion          uint32
	HeaderNslots           uint32
	HeaderSlotBytes        uint16
	MaxDims                uint8
	PayloadPools           []PayloadPoolGrant
	HeaderRegionURI        string
	ErrorMessage           string
}

// PayloadPoolGrant is one entry of ShmAttachResponse.payloadPools.
type PayloadPoolGrant struct {
	PoolID      uint16
	PoolNslots  uint32
	StrideBytes uint32
	RegionURI   string
}

// DetachRequest is ShmDetachRequest.
type DetachRequest struct {
	CorrelationID int64
	LeaseID       uint64
	StreamID      uint32
	ClientID      uint32
	Role          Role
}

// DetachResponse is ShmDetachResponse.
type DetachResponse struct {
	CorrelationID int64
	Code          ResponseCode
	ErrorMessage  string
}

// Keepalive is ShmLeaseKeepalive.
type Keepalive struct {
	LeaseID           uint64
	StreamID          uint32
	ClientID          uint32
	Role              Role
	ClientTimestampNs uint64
}

// LeaseRevoked is ShmLeaseRevoked.
type LeaseRevoked struct {
	TimestampNs  uint64
	LeaseID      uint64
	StreamID     uint32
	ClientID     uint32
	Role         Role
	Reason       RevokeReason
	ErrorMessage string
}

// DriverShutdown is ShmDriverShutdown.
type DriverShutdown struct {
	TimestampNs  uint64
	Reason       ShutdownReason
	ErrorMessage string
}

// ShutdownRequest is ShmDriverShutdownRequest.
type ShutdownRequest struct {
	CorrelationID int64
	Reason        ShutdownReason
	Token         string
	ErrorMessage  string
}

// ConsumerHello carries the ConsumerHello (wire schema 900) fields the
// driver acts on: the per-consumer stream requests of Wire §10.1.2.
type ConsumerHello struct {
	StreamID           uint32
	ConsumerID         uint32
	DescriptorStreamID uint32
	ControlStreamID    uint32
	DescriptorChannel  string
	ControlChannel     string
}

// ConsumerMode is the wire schema enum Mode.
type ConsumerMode uint8

const (
	ModeStream      ConsumerMode = 1
	ModeRateLimited ConsumerMode = 2
)

// ConsumerConfig is ConsumerConfig (wire schema 900) as the driver sends it:
// a stream id of 0 with an empty channel declines that per-consumer stream.
type ConsumerConfig struct {
	StreamID           uint32
	ConsumerID         uint32
	UseShm             bool
	Mode               ConsumerMode
	DescriptorStreamID uint32
	ControlStreamID    uint32
	PayloadFallbackURI string
	DescriptorChannel  string
	ControlChannel     string
}

// Rejection builds a failed attach response: code and diagnostic set,
// every optional field null, no pools and no URI (Driver spec §4.2).
func Rejection(correlationID int64, code ResponseCode, message string) AttachResponse {
	return AttachResponse{
		CorrelationID:          correlationID,
		Code:                   code,
		LeaseID:                NullU64,
		LeaseExpiryTimestampNs: NullU64,
		StreamID:               NullU32,
		Epoch:                  NullU64,
		LayoutVersion:          NullU32,
		HeaderNslots:           NullU32,
		HeaderSlotBytes:        NullU16,
		MaxDims:                NullU8,
		ErrorMessage:           truncateMessage(message),
	}
}

// truncateMessage keeps a diagnostic within MaxErrorMessageBytes.
func truncateMessage(s string) string {
	if len(s) > MaxErrorMessageBytes {
		return s[:MaxErrorMessageBytes]
	}
	return s
}

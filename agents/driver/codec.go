package driver

import (
	"github.com/tensorpool/tensorpool/wire"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
	sbe "github.com/tensorpool/tensorpool/wire/sbe/driver"
)

// Encoders and decoders between the SBE flyweights and the message structs
// of this package, shared by the driver agent and the driver client.
//
// Encoders write one message with its header at the start of buf and return
// its length; buf must hold EncodedLength bytes. Decoders take a buffer that
// wire.Validate (or ValidateSchema) accepted, with the Message it returned,
// so the flyweights cannot index out of range. Enum fields are read raw: a
// value outside the schema reaches the protocol rules, which answer it.

// Limits on strings this package accepts from the wire. The spec bounds
// errorMessage (Driver §4.2) and the reference bounds URIs at 4096 bytes;
// channels and tokens get the same bounds so a hostile peer cannot make the
// driver hold large strings.
const (
	MaxURIBytes     = 4096
	MaxChannelBytes = 4096
	MaxTokenBytes   = 1024
)

// DriverSchemaVersion is the driver schema version this package speaks.
const DriverSchemaVersion = 1

const (
	groupHeaderLength  = 4
	varLengthFieldSize = 4
)

func varLen(s string) int { return varLengthFieldSize + len(s) }

// --- requests (client → driver) ---

// AttachRequestLength is the encoded size of ShmAttachRequest.
func AttachRequestLength() int {
	var m sbe.ShmAttachRequest
	return wire.HeaderLength + int(m.SbeBlockLength())
}

// EncodeAttachRequest writes r as ShmAttachRequest.
func EncodeAttachRequest(buf []byte, r *AttachRequest) int {
	var m sbe.ShmAttachRequest
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetCorrelationId(r.CorrelationID).
		SetStreamId(r.StreamID).
		SetClientId(r.ClientID).
		SetRole(sbe.Role(r.Role)).
		SetExpectedLayoutVersion(r.ExpectedLayoutVersion).
		SetMaxDims(r.MaxDims).
		SetPublishMode(sbe.PublishMode(r.PublishMode)).
		SetRequireHugepages(sbe.HugepagesPolicy(r.RequireHugepages))
	return int(m.EncodedLength()) + wire.HeaderLength
}

// DecodeAttachRequest reads a validated ShmAttachRequest.
func DecodeAttachRequest(buf []byte, msg wire.Message, r *AttachRequest) {
	var m sbe.ShmAttachRequest
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	*r = AttachRequest{
		CorrelationID:         m.CorrelationId(),
		StreamID:              m.StreamId(),
		ClientID:              m.ClientId(),
		Role:                  Role(m.RoleRaw()),
		ExpectedLayoutVersion: m.ExpectedLayoutVersion(),
		MaxDims:               m.MaxDims(),
		PublishMode:           PublishMode(m.PublishModeRaw()),
		RequireHugepages:      HugepagesPolicy(m.RequireHugepagesRaw()),
	}
}

// EncodeDetachRequest writes r as ShmDetachRequest.
func EncodeDetachRequest(buf []byte, r *DetachRequest) int {
	var m sbe.ShmDetachRequest
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetCorrelationId(r.CorrelationID).
		SetLeaseId(r.LeaseID).
		SetStreamId(r.StreamID).
		SetClientId(r.ClientID).
		SetRole(sbe.Role(r.Role))
	return int(m.EncodedLength()) + wire.HeaderLength
}

// DecodeDetachRequest reads a validated ShmDetachRequest.
func DecodeDetachRequest(buf []byte, msg wire.Message, r *DetachRequest) {
	var m sbe.ShmDetachRequest
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	*r = DetachRequest{
		CorrelationID: m.CorrelationId(),
		LeaseID:       m.LeaseId(),
		StreamID:      m.StreamId(),
		ClientID:      m.ClientId(),
		Role:          Role(m.RoleRaw()),
	}
}

// KeepaliveLength is the encoded size of ShmLeaseKeepalive.
func KeepaliveLength() int {
	var m sbe.ShmLeaseKeepalive
	return wire.HeaderLength + int(m.SbeBlockLength())
}

// EncodeKeepalive writes k as ShmLeaseKeepalive. It does not allocate.
func EncodeKeepalive(buf []byte, k *Keepalive) int {
	var m sbe.ShmLeaseKeepalive
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetLeaseId(k.LeaseID).
		SetStreamId(k.StreamID).
		SetClientId(k.ClientID).
		SetRole(sbe.Role(k.Role)).
		SetClientTimestampNs(k.ClientTimestampNs)
	return int(m.EncodedLength()) + wire.HeaderLength
}

// DecodeKeepalive reads a validated ShmLeaseKeepalive. It does not allocate.
func DecodeKeepalive(buf []byte, msg wire.Message, k *Keepalive) {
	var m sbe.ShmLeaseKeepalive
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	*k = Keepalive{
		LeaseID:           m.LeaseId(),
		StreamID:          m.StreamId(),
		ClientID:          m.ClientId(),
		Role:              Role(m.RoleRaw()),
		ClientTimestampNs: m.ClientTimestampNs(),
	}
}

// ShutdownRequestLength is the encoded size of r as ShmDriverShutdownRequest.
func ShutdownRequestLength(r *ShutdownRequest) int {
	var m sbe.ShmDriverShutdownRequest
	return wire.HeaderLength + int(m.SbeBlockLength()) + varLen(r.Token) + varLen(r.ErrorMessage)
}

// EncodeShutdownRequest writes r as ShmDriverShutdownRequest.
func EncodeShutdownRequest(buf []byte, r *ShutdownRequest) int {
	var m sbe.ShmDriverShutdownRequest
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetCorrelationId(r.CorrelationID).
		SetReason(sbe.ShutdownReason(r.Reason))
	m.PutToken(r.Token)
	m.PutErrorMessage(r.ErrorMessage)
	return int(m.EncodedLength()) + wire.HeaderLength
}

// DecodeShutdownRequest reads a validated ShmDriverShutdownRequest; ok is
// false when the token or message exceeds its bound.
func DecodeShutdownRequest(buf []byte, msg wire.Message, r *ShutdownRequest) (ok bool) {
	var m sbe.ShmDriverShutdownRequest
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	r.CorrelationID = m.CorrelationId()
	r.Reason = ShutdownReason(m.ReasonRaw())
	if m.TokenLength() > MaxTokenBytes {
		return false
	}
	r.Token = m.Token()
	if m.ErrorMessageLength() > MaxErrorMessageBytes {
		return false
	}
	r.ErrorMessage = m.ErrorMessage()
	return true
}

// --- responses and notices (driver → clients) ---

// AttachResponseLength is the encoded size of r as ShmAttachResponse.
func AttachResponseLength(r *AttachResponse) int {
	var m sbe.ShmAttachResponse
	var g sbe.ShmAttachResponsePayloadPools
	n := wire.HeaderLength + int(m.SbeBlockLength()) + groupHeaderLength
	for i := range r.PayloadPools {
		n += int(g.SbeBlockLength()) + varLen(r.PayloadPools[i].RegionURI)
	}
	return n + varLen(r.HeaderRegionURI) + varLen(r.ErrorMessage)
}

// EncodeAttachResponse writes r as ShmAttachResponse.
func EncodeAttachResponse(buf []byte, r *AttachResponse) int {
	var m sbe.ShmAttachResponse
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetCorrelationId(r.CorrelationID).
		SetCode(sbe.ResponseCode(r.Code)).
		SetLeaseId(r.LeaseID).
		SetLeaseExpiryTimestampNs(r.LeaseExpiryTimestampNs).
		SetStreamId(r.StreamID).
		SetEpoch(r.Epoch).
		SetLayoutVersion(r.LayoutVersion).
		SetHeaderNslots(r.HeaderNslots).
		SetHeaderSlotBytes(r.HeaderSlotBytes).
		SetMaxDims(r.MaxDims)
	pools := m.PayloadPoolsCount(uint16(len(r.PayloadPools)))
	for i := range r.PayloadPools {
		p := &r.PayloadPools[i]
		pools.Next().SetPoolId(p.PoolID).SetPoolNslots(p.PoolNslots).SetStrideBytes(p.StrideBytes).PutRegionUri(p.RegionURI)
	}
	m.PutHeaderRegionUri(r.HeaderRegionURI)
	m.PutErrorMessage(r.ErrorMessage)
	return int(m.EncodedLength()) + wire.HeaderLength
}

// DecodeAttachResponse reads a validated ShmAttachResponse. URIs are kept
// whole for the client's validation to judge; an errorMessage beyond
// MaxErrorMessageBytes is truncated.
func DecodeAttachResponse(buf []byte, msg wire.Message, r *AttachResponse) {
	var m sbe.ShmAttachResponse
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	*r = AttachResponse{
		CorrelationID:          m.CorrelationId(),
		Code:                   ResponseCode(m.CodeRaw()),
		LeaseID:                m.LeaseId(),
		LeaseExpiryTimestampNs: m.LeaseExpiryTimestampNs(),
		StreamID:               m.StreamId(),
		Epoch:                  m.Epoch(),
		LayoutVersion:          m.LayoutVersion(),
		HeaderNslots:           m.HeaderNslots(),
		HeaderSlotBytes:        m.HeaderSlotBytes(),
		MaxDims:                m.MaxDims(),
	}
	pools := m.PayloadPools()
	if n := pools.Count(); n > 0 {
		r.PayloadPools = make([]PayloadPoolGrant, 0, n)
	}
	for pools.HasNext() {
		p := pools.Next()
		r.PayloadPools = append(r.PayloadPools, PayloadPoolGrant{
			PoolID: p.PoolId(), PoolNslots: p.PoolNslots(), StrideBytes: p.StrideBytes(), RegionURI: p.RegionUri(),
		})
	}
	r.HeaderRegionURI = m.HeaderRegionUri()
	r.ErrorMessage = truncateMessage(m.ErrorMessage())
}

// DetachResponseLength is the encoded size of r as ShmDetachResponse.
func DetachResponseLength(r *DetachResponse) int {
	var m sbe.ShmDetachResponse
	return wire.HeaderLength + int(m.SbeBlockLength()) + varLen(r.ErrorMessage)
}

// EncodeDetachResponse writes r as ShmDetachResponse.
func EncodeDetachResponse(buf []byte, r *DetachResponse) int {
	var m sbe.ShmDetachResponse
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetCorrelationId(r.CorrelationID).
		SetCode(sbe.ResponseCode(r.Code))
	m.PutErrorMessage(r.ErrorMessage)
	return int(m.EncodedLength()) + wire.HeaderLength
}

// DecodeDetachResponse reads a validated ShmDetachResponse.
func DecodeDetachResponse(buf []byte, msg wire.Message, r *DetachResponse) {
	var m sbe.ShmDetachResponse
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	r.CorrelationID = m.CorrelationId()
	r.Code = ResponseCode(m.CodeRaw())
	r.ErrorMessage = ""
	if m.ErrorMessageLength() <= MaxErrorMessageBytes {
		r.ErrorMessage = m.ErrorMessage()
	}
}

// LeaseRevokedLength is the encoded size of r as ShmLeaseRevoked.
func LeaseRevokedLength(r *LeaseRevoked) int {
	var m sbe.ShmLeaseRevoked
	return wire.HeaderLength + int(m.SbeBlockLength()) + varLen(r.ErrorMessage)
}

// EncodeLeaseRevoked writes r as ShmLeaseRevoked.
func EncodeLeaseRevoked(buf []byte, r *LeaseRevoked) int {
	var m sbe.ShmLeaseRevoked
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetTimestampNs(r.TimestampNs).
		SetLeaseId(r.LeaseID).
		SetStreamId(r.StreamID).
		SetClientId(r.ClientID).
		SetRole(sbe.Role(r.Role)).
		SetReason(sbe.LeaseRevokeReason(r.Reason))
	m.PutErrorMessage(r.ErrorMessage)
	return int(m.EncodedLength()) + wire.HeaderLength
}

// DecodeLeaseRevoked reads a validated ShmLeaseRevoked.
func DecodeLeaseRevoked(buf []byte, msg wire.Message, r *LeaseRevoked) {
	var m sbe.ShmLeaseRevoked
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	*r = LeaseRevoked{
		TimestampNs: m.TimestampNs(),
		LeaseID:     m.LeaseId(),
		StreamID:    m.StreamId(),
		ClientID:    m.ClientId(),
		Role:        Role(m.RoleRaw()),
		Reason:      RevokeReason(m.ReasonRaw()),
	}
	if m.ErrorMessageLength() <= MaxErrorMessageBytes {
		r.ErrorMessage = m.ErrorMessage()
	}
}

// DriverShutdownLength is the encoded size of s as ShmDriverShutdown.
func DriverShutdownLength(s *DriverShutdown) int {
	var m sbe.ShmDriverShutdown
	return wire.HeaderLength + int(m.SbeBlockLength()) + varLen(s.ErrorMessage)
}

// EncodeDriverShutdown writes s as ShmDriverShutdown.
func EncodeDriverShutdown(buf []byte, s *DriverShutdown) int {
	var m sbe.ShmDriverShutdown
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetTimestampNs(s.TimestampNs).
		SetReason(sbe.ShutdownReason(s.Reason))
	m.PutErrorMessage(s.ErrorMessage)
	return int(m.EncodedLength()) + wire.HeaderLength
}

// DecodeDriverShutdown reads a validated ShmDriverShutdown.
func DecodeDriverShutdown(buf []byte, msg wire.Message, s *DriverShutdown) {
	var m sbe.ShmDriverShutdown
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	*s = DriverShutdown{TimestampNs: m.TimestampNs(), Reason: ShutdownReason(m.ReasonRaw())}
	if m.ErrorMessageLength() <= MaxErrorMessageBytes {
		s.ErrorMessage = m.ErrorMessage()
	}
}

// --- wire schema (900) messages on the control stream ---

// DecodeConsumerHello reads the fields of a validated ConsumerHello the
// driver acts on; ok is false when a channel exceeds MaxChannelBytes. The
// channels are copied out of buf.
func DecodeConsumerHello(buf []byte, msg wire.Message, h *ConsumerHello) (ok bool) {
	var m control.ConsumerHello
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	*h = ConsumerHello{
		StreamID:           m.StreamId(),
		ConsumerID:         m.ConsumerId(),
		DescriptorStreamID: m.DescriptorStreamId(),
		ControlStreamID:    m.ControlStreamId(),
	}
	if m.DescriptorChannelLength() > MaxChannelBytes {
		return false
	}
	h.DescriptorChannel = m.DescriptorChannel()
	if m.ControlChannelLength() > MaxChannelBytes {
		return false
	}
	h.ControlChannel = m.ControlChannel()
	return true
}

// EncodeConsumerHello writes the per-consumer request fields of h as a
// ConsumerHello of a STREAM-mode consumer that supports SHM.
func EncodeConsumerHello(buf []byte, h *ConsumerHello) int {
	var m control.ConsumerHello
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetStreamId(h.StreamID).
		SetConsumerId(h.ConsumerID).
		SetSupportsShm(control.Bool_TRUE).
		SetSupportsProgress(control.Bool_FALSE).
		SetMode(control.Mode_STREAM).
		SetExpectedLayoutVersion(LayoutVersion).
		SetProgressIntervalUs(m.ProgressIntervalUsNullValue()).
		SetProgressBytesDelta(m.ProgressBytesDeltaNullValue()).
		SetProgressMajorDeltaUnits(m.ProgressMajorDeltaUnitsNullValue()).
		SetDescriptorStreamId(h.DescriptorStreamID).
		SetControlStreamId(h.ControlStreamID)
	m.PutDescriptorChannel(h.DescriptorChannel)
	m.PutControlChannel(h.ControlChannel)
	return int(m.EncodedLength()) + wire.HeaderLength
}

// ConsumerConfigLength is the encoded size of c as ConsumerConfig.
func ConsumerConfigLength(c *ConsumerConfig) int {
	var m control.ConsumerConfig
	return wire.HeaderLength + int(m.SbeBlockLength()) +
		varLen(c.PayloadFallbackURI) + varLen(c.DescriptorChannel) + varLen(c.ControlChannel)
}

// EncodeConsumerConfig writes c as ConsumerConfig.
func EncodeConsumerConfig(buf []byte, c *ConsumerConfig) int {
	var m control.ConsumerConfig
	useShm := control.Bool_FALSE
	if c.UseShm {
		useShm = control.Bool_TRUE
	}
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetStreamId(c.StreamID).
		SetConsumerId(c.ConsumerID).
		SetUseShm(useShm).
		SetMode(control.Mode(c.Mode)).
		SetDescriptorStreamId(c.DescriptorStreamID).
		SetControlStreamId(c.ControlStreamID)
	m.PutPayloadFallbackUri(c.PayloadFallbackURI)
	m.PutDescriptorChannel(c.DescriptorChannel)
	m.PutControlChannel(c.ControlChannel)
	return int(m.EncodedLength()) + wire.HeaderLength
}

// DecodeConsumerConfig reads a validated ConsumerConfig.
func DecodeConsumerConfig(buf []byte, msg wire.Message, c *ConsumerConfig) {
	var m control.ConsumerConfig
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	*c = ConsumerConfig{
		StreamID:           m.StreamId(),
		ConsumerID:         m.ConsumerId(),
		UseShm:             m.UseShmRaw() == uint8(control.Bool_TRUE),
		Mode:               ConsumerMode(m.ModeRaw()),
		DescriptorStreamID: m.DescriptorStreamId(),
		ControlStreamID:    m.ControlStreamId(),
	}
	c.PayloadFallbackURI = m.PayloadFallbackUri()
	c.DescriptorChannel = m.DescriptorChannel()
	c.ControlChannel = m.ControlChannel()
}

// PoolAnnounce is ShmPoolAnnounce as the driver sends it.
type PoolAnnounce struct {
	StreamID            uint32
	ProducerID          uint32
	Epoch               uint64
	AnnounceTimestampNs uint64
	HeaderNslots        uint32
	HeaderRegionURI     string
	Pools               []PoolRegion
}

// PoolAnnounceLength is the encoded size of a as ShmPoolAnnounce.
func PoolAnnounceLength(a *PoolAnnounce) int {
	var m control.ShmPoolAnnounce
	var g control.ShmPoolAnnouncePayloadPools
	n := wire.HeaderLength + int(m.SbeBlockLength()) + groupHeaderLength
	for i := range a.Pools {
		n += int(g.SbeBlockLength()) + varLen(a.Pools[i].URI)
	}
	return n + varLen(a.HeaderRegionURI)
}

// PoolAnnounceEncoder writes ShmPoolAnnounce. The flyweight keeps a pointer
// into itself while encoding its group, which would move a local one to
// the heap; a long-lived encoder lets the announce path allocate nothing.
type PoolAnnounceEncoder struct {
	m control.ShmPoolAnnounce
}

// Encode writes a as ShmPoolAnnounce with a MONOTONIC timestamp.
func (e *PoolAnnounceEncoder) Encode(buf []byte, a *PoolAnnounce) int {
	m := &e.m
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetStreamId(a.StreamID).
		SetProducerId(a.ProducerID).
		SetEpoch(a.Epoch).
		SetAnnounceTimestampNs(a.AnnounceTimestampNs).
		SetAnnounceClockDomain(control.ClockDomain_MONOTONIC).
		SetLayoutVersion(LayoutVersion).
		SetHeaderNslots(a.HeaderNslots).
		SetHeaderSlotBytes(HeaderSlotBytes)
	pools := m.PayloadPoolsCount(uint16(len(a.Pools)))
	for i := range a.Pools {
		p := &a.Pools[i]
		pools.Next().SetPoolId(p.PoolID).SetPoolNslots(p.Nslots).SetStrideBytes(p.StrideBytes).PutRegionUri(p.URI)
	}
	m.PutHeaderRegionUri(a.HeaderRegionURI)
	return int(m.EncodedLength()) + wire.HeaderLength
}

// DecodePoolAnnounce reads a validated ShmPoolAnnounce.
func DecodePoolAnnounce(buf []byte, msg wire.Message, a *PoolAnnounce) {
	var m control.ShmPoolAnnounce
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	*a = PoolAnnounce{
		StreamID:            m.StreamId(),
		ProducerID:          m.ProducerId(),
		Epoch:               m.Epoch(),
		AnnounceTimestampNs: m.AnnounceTimestampNs(),
		HeaderNslots:        m.HeaderNslots(),
	}
	pools := m.PayloadPools()
	for pools.HasNext() {
		p := pools.Next()
		a.Pools = append(a.Pools, PoolRegion{PoolID: p.PoolId(), Nslots: p.PoolNslots(), StrideBytes: p.StrideBytes(), URI: p.RegionUri()})
	}
	a.HeaderRegionURI = m.HeaderRegionUri()
}

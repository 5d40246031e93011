package driver

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/wire"
)

// encodeAll returns one encoded example of every message the codec knows.
func encodeAll() map[string][]byte {
	out := map[string][]byte{}
	// add encodes one message; a computed length (>= 0) must be exact.
	add := func(name string, length int, encode func([]byte) int) {
		buf := make([]byte, max(length, 512))
		n := encode(buf)
		if length >= 0 && n != length {
			panic(name + ": encoded length differs from the computed one")
		}
		out[name] = buf[:n]
	}
	attach := AttachRequest{CorrelationID: -5, StreamID: 10000, ClientID: 7, Role: RoleProducer, ExpectedLayoutVersion: 1, PublishMode: PublishModeExistingOrCreate, RequireHugepages: HugepagesStandard}
	add("attach_request", AttachRequestLength(), func(b []byte) int { return EncodeAttachRequest(b, &attach) })
	grant := AttachResponse{CorrelationID: 9, Code: CodeOK, LeaseID: 3, LeaseExpiryTimestampNs: 44, StreamID: 10000, Epoch: 12,
		LayoutVersion: 1, HeaderNslots: 16, HeaderSlotBytes: 256, MaxDims: 8,
		PayloadPools:    []PayloadPoolGrant{{PoolID: 1, PoolNslots: 16, StrideBytes: 4096, RegionURI: "shm:file?path=/dev/shm/a/payload-1.pool"}, {PoolID: 2, PoolNslots: 16, StrideBytes: 8192, RegionURI: "shm:file?path=/dev/shm/a/payload-2.pool"}},
		HeaderRegionURI: "shm:file?path=/dev/shm/a/header.ring"}
	add("attach_response", AttachResponseLength(&grant), func(b []byte) int { return EncodeAttachResponse(b, &grant) })
	refusal := Rejection(10, CodeRejected, "stream 4242 is not provisioned")
	add("attach_rejection", AttachResponseLength(&refusal), func(b []byte) int { return EncodeAttachResponse(b, &refusal) })
	detach := DetachRequest{CorrelationID: 11, LeaseID: 3, StreamID: 10000, ClientID: 7, Role: RoleConsumer}
	add("detach_request", -1, func(b []byte) int { return EncodeDetachRequest(b, &detach) })
	detachResp := DetachResponse{CorrelationID: 11, Code: CodeRejected, ErrorMessage: "unknown lease"}
	add("detach_response", DetachResponseLength(&detachResp), func(b []byte) int { return EncodeDetachResponse(b, &detachResp) })
	k := Keepalive{LeaseID: 3, StreamID: 10000, ClientID: 7, Role: RoleProducer, ClientTimestampNs: 99}
	add("keepalive", KeepaliveLength(), func(b []byte) int { return EncodeKeepalive(b, &k) })
	rev := LeaseRevoked{TimestampNs: 1, LeaseID: 3, StreamID: 10000, ClientID: 7, Role: RoleProducer, Reason: RevokeExpired, ErrorMessage: "lease expired"}
	add("lease_revoked", LeaseRevokedLength(&rev), func(b []byte) int { return EncodeLeaseRevoked(b, &rev) })
	sd := DriverShutdown{TimestampNs: 2, Reason: ShutdownAdmin, ErrorMessage: "maintenance"}
	add("driver_shutdown", DriverShutdownLength(&sd), func(b []byte) int { return EncodeDriverShutdown(b, &sd) })
	sr := ShutdownRequest{CorrelationID: 12, Reason: ShutdownAdmin, Token: "secret", ErrorMessage: "maintenance"}
	add("shutdown_request", ShutdownRequestLength(&sr), func(b []byte) int { return EncodeShutdownRequest(b, &sr) })
	hello := ConsumerHello{StreamID: 10000, ConsumerID: 8, DescriptorStreamID: 1, ControlStreamID: 2, DescriptorChannel: "aeron:ipc", ControlChannel: "aeron:ipc"}
	add("consumer_hello", -1, func(b []byte) int { return EncodeConsumerHello(b, &hello) })
	cc := ConsumerConfig{StreamID: 10000, ConsumerID: 8, UseShm: true, Mode: ModeStream, DescriptorStreamID: 31000, ControlStreamID: 32000, DescriptorChannel: "aeron:ipc", ControlChannel: "aeron:ipc"}
	add("consumer_config", ConsumerConfigLength(&cc), func(b []byte) int { return EncodeConsumerConfig(b, &cc) })
	ann := PoolAnnounce{StreamID: 10000, ProducerID: 7, Epoch: 12, AnnounceTimestampNs: 5, HeaderNslots: 16, HeaderRegionURI: grant.HeaderRegionURI,
		Pools: []PoolRegion{{PoolID: 1, Nslots: 16, StrideBytes: 4096, URI: grant.PayloadPools[0].RegionURI}}}
	var enc PoolAnnounceEncoder
	add("pool_announce", PoolAnnounceLength(&ann), func(b []byte) int { return enc.Encode(b, &ann) })
	return out
}

func TestCodec_RoundTripsEveryMessage(t *testing.T) {
	msgs := encodeAll()
	for name, buf := range msgs {
		m, err := wire.Validate(buf)
		require.NoError(t, err, name)
		require.Equal(t, len(buf), m.Length, name)
	}
	var grant AttachResponse
	m, _ := wire.Validate(msgs["attach_response"])
	DecodeAttachResponse(msgs["attach_response"], m, &grant)
	require.Equal(t, uint64(3), grant.LeaseID)
	require.Len(t, grant.PayloadPools, 2)
	require.Equal(t, "shm:file?path=/dev/shm/a/payload-2.pool", grant.PayloadPools[1].RegionURI)
	require.Equal(t, "shm:file?path=/dev/shm/a/header.ring", grant.HeaderRegionURI)

	var sr ShutdownRequest
	m, _ = wire.Validate(msgs["shutdown_request"])
	require.True(t, DecodeShutdownRequest(msgs["shutdown_request"], m, &sr))
	require.Equal(t, ShutdownRequest{CorrelationID: 12, Reason: ShutdownAdmin, Token: "secret", ErrorMessage: "maintenance"}, sr)

	var h ConsumerHello
	m, _ = wire.Validate(msgs["consumer_hello"])
	require.True(t, DecodeConsumerHello(msgs["consumer_hello"], m, &h))
	require.Equal(t, ConsumerHello{StreamID: 10000, ConsumerID: 8, DescriptorStreamID: 1, ControlStreamID: 2, DescriptorChannel: "aeron:ipc", ControlChannel: "aeron:ipc"}, h)

	var a PoolAnnounce
	m, _ = wire.Validate(msgs["pool_announce"])
	DecodePoolAnnounce(msgs["pool_announce"], m, &a)
	require.Equal(t, uint32(7), a.ProducerID)
	require.Equal(t, uint64(12), a.Epoch)
	require.Len(t, a.Pools, 1)
}

func TestCodec_OversizedStringsRefused(t *testing.T) {
	sr := ShutdownRequest{Token: strings.Repeat("t", MaxTokenBytes+1)}
	buf := make([]byte, ShutdownRequestLength(&sr))
	EncodeShutdownRequest(buf, &sr)
	m, err := wire.Validate(buf)
	require.NoError(t, err)
	require.False(t, DecodeShutdownRequest(buf, m, &sr))

	long := AttachResponse{Code: CodeRejected, ErrorMessage: strings.Repeat("e", 5000)}
	buf = make([]byte, AttachResponseLength(&long))
	EncodeAttachResponse(buf, &long)
	m, err = wire.Validate(buf)
	require.NoError(t, err)
	var got AttachResponse
	DecodeAttachResponse(buf, m, &got)
	require.Len(t, got.ErrorMessage, MaxErrorMessageBytes)
}

// FuzzDecodeDriverMessages feeds arbitrary bytes through the gate and every
// decoder the driver and its clients use: nothing may panic, and a message
// the gate accepts decodes.
func FuzzDecodeDriverMessages(f *testing.F) {
	for _, buf := range encodeAll() {
		f.Add(buf)
		f.Add(buf[:len(buf)/2])
	}
	f.Fuzz(func(t *testing.T, buf []byte) {
		m, err := wire.Validate(buf)
		if err != nil && (m.Name == "" || !strings.Contains(err.Error(), "enum")) {
			return
		}
		decodeAny(buf, m)
	})
}

func decodeAny(buf []byte, m wire.Message) {
	switch m.SchemaID {
	case wire.DriverSchemaID:
		switch m.Name {
		case "ShmAttachRequest":
			var r AttachRequest
			DecodeAttachRequest(buf, m, &r)
		case "ShmAttachResponse":
			var r AttachResponse
			DecodeAttachResponse(buf, m, &r)
		case "ShmDetachRequest":
			var r DetachRequest
			DecodeDetachRequest(buf, m, &r)
		case "ShmDetachResponse":
			var r DetachResponse
			DecodeDetachResponse(buf, m, &r)
		case "ShmLeaseKeepalive":
			var k Keepalive
			DecodeKeepalive(buf, m, &k)
		case "ShmDriverShutdown":
			var s DriverShutdown
			DecodeDriverShutdown(buf, m, &s)
		case "ShmLeaseRevoked":
			var r LeaseRevoked
			DecodeLeaseRevoked(buf, m, &r)
		case "ShmDriverShutdownRequest":
			var r ShutdownRequest
			DecodeShutdownRequest(buf, m, &r)
		}
	case wire.ControlSchemaID:
		switch m.Name {
		case "ConsumerHello":
			var h ConsumerHello
			DecodeConsumerHello(buf, m, &h)
		case "ConsumerConfig":
			var c ConsumerConfig
			DecodeConsumerConfig(buf, m, &c)
		case "ShmPoolAnnounce":
			var a PoolAnnounce
			DecodePoolAnnounce(buf, m, &a)
		}
	}
}

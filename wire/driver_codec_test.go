package wire

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The messages the SHM driver and its clients exchange, as they encode them: the driver
// schema's and the control messages on the driver's control stream.

var samplePools = []PayloadPool{
	{PoolID: 1, PoolNslots: 16, StrideBytes: 4096, RegionURI: "shm:file?path=/dev/shm/a/payload-1.pool"},
	{PoolID: 2, PoolNslots: 16, StrideBytes: 8192, RegionURI: "shm:file?path=/dev/shm/a/payload-2.pool"},
}

// driverMessages returns one example of every message the driver and its clients encode.
func driverMessages() map[string]typedMessage {
	return map[string]typedMessage{
		"attach_request": &ShmAttachRequest{CorrelationID: -5, StreamID: 10000, ClientID: 7, Role: RoleProducer, ExpectedLayoutVersion: 1,
			PublishMode: PublishModeExistingOrCreate, RequireHugepages: HugepagesStandard},
		"attach_response": &ShmAttachResponse{CorrelationID: 9, Code: CodeOK, LeaseID: 3, LeaseExpiryTimestampNs: 44, StreamID: 10000, Epoch: 12,
			LayoutVersion: 1, HeaderNslots: 16, HeaderSlotBytes: 256, MaxDims: 8, PayloadPools: samplePools,
			HeaderRegionURI: "shm:file?path=/dev/shm/a/header.ring"},
		"attach_rejection": &ShmAttachResponse{CorrelationID: 10, Code: CodeRejected, LeaseID: NullU64, LeaseExpiryTimestampNs: NullU64,
			StreamID: NullU32, Epoch: NullU64, LayoutVersion: NullU32, HeaderNslots: NullU32, HeaderSlotBytes: NullU16, MaxDims: NullU8,
			ErrorMessage: "stream 4242 is not provisioned"},
		"detach_request":   &ShmDetachRequest{CorrelationID: 11, LeaseID: 3, StreamID: 10000, ClientID: 7, Role: RoleConsumer},
		"detach_response":  &ShmDetachResponse{CorrelationID: 11, Code: CodeRejected, ErrorMessage: "unknown lease"},
		"keepalive":        &ShmLeaseKeepalive{LeaseID: 3, StreamID: 10000, ClientID: 7, Role: RoleProducer, ClientTimestampNs: 99},
		"lease_revoked":    &ShmLeaseRevoked{TimestampNs: 1, LeaseID: 3, StreamID: 10000, ClientID: 7, Role: RoleProducer, Reason: RevokeExpired, ErrorMessage: "lease expired"},
		"driver_shutdown":  &ShmDriverShutdown{TimestampNs: 2, Reason: ShutdownAdmin, ErrorMessage: "maintenance"},
		"shutdown_request": &ShmDriverShutdownRequest{CorrelationID: 12, Reason: ShutdownAdmin, Token: "secret", ErrorMessage: "maintenance"},
		"consumer_hello": &ConsumerHello{StreamID: 10000, ConsumerID: 8, SupportsShm: true, Mode: ModeStream, ExpectedLayoutVersion: 1,
			DescriptorStreamID: 1, ControlStreamID: 2, DescriptorChannel: "aeron:ipc", ControlChannel: "aeron:ipc"},
		"consumer_config": &ConsumerConfig{StreamID: 10000, ConsumerID: 8, UseShm: true, Mode: ModeStream, DescriptorStreamID: 31000,
			ControlStreamID: 32000, DescriptorChannel: "aeron:ipc", ControlChannel: "aeron:ipc"},
		"pool_announce": &ShmPoolAnnounce{StreamID: 10000, ProducerID: 7, Epoch: 12, AnnounceTimestampNs: 5, AnnounceClockDomain: ClockMonotonic,
			LayoutVersion: 1, HeaderNslots: 16, HeaderSlotBytes: 256, PayloadPools: samplePools[:1], HeaderRegionURI: "shm:file?path=/dev/shm/a/header.ring"},
	}
}

// encodeAll returns one encoded example of every message the driver and its clients use.
func encodeAll() map[string][]byte {
	out := map[string][]byte{}
	for name, m := range driverMessages() {
		buf := make([]byte, m.EncodedLength())
		if n, err := m.Encode(buf); err != nil || n != len(buf) {
			panic(name + ": encoded length differs from the computed one")
		}
		out[name] = buf
	}
	return out
}

func TestCodec_RoundTripsEveryMessage(t *testing.T) {
	for name, buf := range encodeAll() {
		m, err := Validate(buf)
		require.NoError(t, err, name)
		require.Equal(t, len(buf), m.Length, name)
	}
	for name, m := range driverMessages() {
		t.Run(name, func(t *testing.T) { checkRoundTrip(t, m) })
	}
}

func TestCodec_OversizedStringsRefused(t *testing.T) {
	sr := ShmDriverShutdownRequest{Token: strings.Repeat("t", MaxTokenBytes+1)}
	buf := make([]byte, sr.EncodedLength())
	_, err := sr.Encode(buf)
	require.NoError(t, err)
	_, err = Validate(buf)
	require.NoError(t, err)
	de := asDecodeError(t, new(ShmDriverShutdownRequest).Decode(buf), ErrBadLength)
	require.Equal(t, "token", de.Field)

	sr = ShmDriverShutdownRequest{Token: "t", ErrorMessage: strings.Repeat("e", MaxErrorMessageBytes+1)}
	buf = make([]byte, sr.EncodedLength())
	_, err = sr.Encode(buf)
	require.NoError(t, err)
	de = asDecodeError(t, new(ShmDriverShutdownRequest).Decode(buf), ErrBadLength)
	require.Equal(t, "errorMessage", de.Field)

	long := ShmAttachResponse{Code: CodeRejected, ErrorMessage: strings.Repeat("e", 5000)}
	var got ShmAttachResponse
	require.NoError(t, got.Decode(encode(t, &long)))
	require.Len(t, got.ErrorMessage, MaxErrorMessageBytes)

	for _, notice := range []typedMessage{
		&ShmDetachResponse{ErrorMessage: strings.Repeat("e", 5000)},
		&ShmLeaseRevoked{Role: RoleConsumer, Reason: RevokeRevoked, ErrorMessage: strings.Repeat("e", 5000)},
		&ShmDriverShutdown{ErrorMessage: strings.Repeat("e", 5000)},
	} {
		got := roundTrip(t, notice)
		require.Len(t, errorMessageOf(got), MaxErrorMessageBytes, "%T", notice)
	}

	huge := strings.Repeat("x", MaxChannelBytes+1)
	for _, m := range []typedMessage{
		&ConsumerHello{DescriptorChannel: huge, Mode: ModeStream},
		&ConsumerHello{ControlChannel: huge, Mode: ModeStream},
		&ConsumerConfig{DescriptorChannel: huge, Mode: ModeStream},
		&ConsumerConfig{ControlChannel: huge, Mode: ModeStream},
	} {
		err := m.Decode(encode(t, m))
		asDecodeError(t, err, ErrBadLength)
	}
}

func errorMessageOf(m typedMessage) string {
	switch m := m.(type) {
	case *ShmDetachResponse:
		return m.ErrorMessage
	case *ShmLeaseRevoked:
		return m.ErrorMessage
	case *ShmDriverShutdown:
		return m.ErrorMessage
	}
	return ""
}

func encode(t testing.TB, m typedMessage) []byte {
	t.Helper()
	buf := make([]byte, m.EncodedLength())
	if _, err := m.Encode(buf); err != nil {
		t.Fatal(err)
	}
	return buf
}

// An undefined enum value fails Decode with ErrUnknownEnum after filling the message: the
// driver answers an attach request with a bad role (INVALID_PARAMS) and needs its fields.
func TestCodec_UnknownEnumFillsMessage(t *testing.T) {
	req := ShmAttachRequest{CorrelationID: 5, StreamID: 10000, ClientID: 7, Role: Role(9), PublishMode: PublishModeNull, RequireHugepages: HugepagesPolicy(7)}
	var got ShmAttachRequest
	err := got.Decode(encode(t, &req))
	de := asDecodeError(t, err, ErrUnknownEnum)
	require.Equal(t, "role", de.Field, "the first undefined enum is reported")
	require.Equal(t, req, got)

	rev := ShmLeaseRevoked{LeaseID: 3, Role: RoleProducer, Reason: LeaseRevokeReason(0), ErrorMessage: "x"}
	var gotRev ShmLeaseRevoked
	asDecodeError(t, gotRev.Decode(encode(t, &rev)), ErrUnknownEnum)
	require.Equal(t, rev, gotRev)

	hello := ConsumerHello{StreamID: 1, Mode: Mode(0), DescriptorChannel: "aeron:ipc", DescriptorStreamID: 3}
	var gotHello ConsumerHello
	asDecodeError(t, gotHello.Decode(encode(t, &hello)), ErrUnknownEnum)
	require.Equal(t, hello, gotHello)
}

// ConsumerHello's progress hints: 0 travels as the null value and comes back as 0.
func TestCodec_HelloProgressHintsNullIsZero(t *testing.T) {
	h := ConsumerHello{StreamID: 1, ConsumerID: 2, SupportsProgress: true, Mode: ModeStream, ProgressBytesDelta: 4096}
	buf := encode(t, &h)
	f := buf[HeaderLength:]
	require.Equal(t, uint32(NullU32), le.Uint32(f[19:]), "progressIntervalUs")
	require.Equal(t, uint32(4096), le.Uint32(f[23:]), "progressBytesDelta")
	require.Equal(t, uint32(NullU32), le.Uint32(f[27:]), "progressMajorDeltaUnits")
	checkRoundTrip(t, &h)
}

// CorrelationIDOf reads the first field of an attach request or response of any version.
func TestCodec_CorrelationIDOf(t *testing.T) {
	buf := encode(t, &ShmAttachResponse{CorrelationID: -77, Code: CodeOK})
	h, err := PeekHeader(buf)
	require.NoError(t, err)
	id, ok := CorrelationIDOf(buf, h)
	require.True(t, ok)
	require.Equal(t, int64(-77), id)
	h.BlockLength = 7
	_, ok = CorrelationIDOf(buf, h)
	require.False(t, ok)
	_, ok = CorrelationIDOf(buf[:HeaderLength+7], Header{BlockLength: 24})
	require.False(t, ok)
}

// FuzzDecodeDriverMessages, and the targets of the other schemas, feed arbitrary bytes to
// every typed decoder (fuzzTyped); they differ in their seeds, the messages of their
// schema (testdata/fuzz, TestSeedCorpus).
func FuzzDecodeDriverMessages(f *testing.F) {
	for _, buf := range encodeAll() {
		f.Add(buf)
		f.Add(buf[:len(buf)/2])
	}
	fuzzTyped(f)
}

func FuzzDecodeControlMessages(f *testing.F) {
	for _, m := range controlMessages() {
		buf := encode(f, m)
		f.Add(buf)
		f.Add(buf[:len(buf)/2])
	}
	fuzzTyped(f)
}

func FuzzDecodeDiscoveryMessages(f *testing.F) {
	for _, name := range []string{"discovery_request.hex", "discovery_response.hex"} {
		buf := readGolden(f, name)
		f.Add(buf)
		f.Add(buf[:len(buf)/2])
	}
	fuzzTyped(f)
}

// fuzzTyped is the property every typed decoder holds, whatever the bytes: Decode never
// panics and fails only with a *DecodeError wrapping a sentinel; a message it fills
// (accepted, or ErrUnknownEnum) encodes, and decoding that encoding gives the same message.
func fuzzTyped(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		for key, newMsg := range newTyped {
			m := newMsg()
			err := m.Decode(in)
			if err != nil {
				checkErrorShape(t, err)
				if !errors.Is(err, ErrUnknownEnum) {
					continue
				}
			}
			buf := make([]byte, m.EncodedLength())
			if n, encErr := m.Encode(buf); encErr != nil || n != len(buf) {
				t.Fatalf("%s: decoded message does not encode: %d, %v", key, n, encErr)
			}
			again := newMsg()
			err2 := again.Decode(buf)
			// Re-encoding may clear an undefined Bool (it decodes as false), never add an error.
			if err2 != nil && (!errors.Is(err2, ErrUnknownEnum) || !errors.Is(err, ErrUnknownEnum)) {
				t.Fatalf("%s: re-encoded message decodes with %v (input: %v)", key, err2, err)
			}
			if !reflect.DeepEqual(m, again) {
				t.Fatalf("%s: decode+encode+decode differs\n once %+v\ntwice %+v", key, m, again)
			}
		}
	})
}

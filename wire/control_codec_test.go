package wire

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The control schema's messages as producers, consumers and the driver use them.

func controlMessages() map[string]typedMessage {
	return map[string]typedMessage{
		"descriptor": &FrameDescriptor{StreamID: 10000, Epoch: 3, Seq: 0x0102030405060708, HeaderIndex: 5, TimestampNs: 1700000000123456789, MetaVersion: NullU32},
		"descriptor_max": &FrameDescriptor{StreamID: math.MaxUint32, Epoch: math.MaxUint64, Seq: math.MaxUint64, HeaderIndex: math.MaxUint32,
			TimestampNs: NullU64, MetaVersion: math.MaxUint32 - 1},
		"progress":     &FrameProgress{StreamID: 7, Epoch: 3, FrameID: 100, HeaderIndex: 4, PayloadBytesFilled: 65536, State: ProgressStateProgress},
		"qos_consumer": &QosConsumer{StreamID: 7, ConsumerID: 11, Epoch: 3, LastSeqSeen: 99, DropsGap: 2, DropsLate: 1, Mode: ModeRateLimited},
		"qos_producer": &QosProducer{StreamID: 7, ProducerID: 9, Epoch: 3, CurrentSeq: 100, Watermark: NullU32},
		"source":       &DataSourceAnnounce{StreamID: 7, ProducerID: 9, Epoch: 3, MetaVersion: 2, Name: "cam0", Summary: "uint8[480,640]"},
		"source_empty": &DataSourceAnnounce{StreamID: 7},
		"meta": &DataSourceMeta{StreamID: 7, MetaVersion: 2, TimestampNs: 55, Attributes: []Attribute{
			{Key: "calibration", Format: "application/json", Value: []byte(`{"fx":1}`)},
			{Key: "empty", Format: "text/plain"},
			{Key: "bytes", Format: "application/octet-stream", Value: []byte{0, 1, 0xff}},
		}},
		"meta_none": &DataSourceMeta{StreamID: 7, MetaVersion: NullU32},
		"response":  &ControlResponse{CorrelationID: -9, Code: CodeInvalidParams, ErrorMessage: "bad"},
		"hello_hints": &ConsumerHello{StreamID: 1, ConsumerID: 2, SupportsShm: true, SupportsProgress: true, Mode: ModeRateLimited, MaxRateHz: 30,
			ExpectedLayoutVersion: 1, ProgressIntervalUs: 250, ProgressBytesDelta: 1 << 16, ProgressMajorDeltaUnits: 4},
		"config_fallback": &ConsumerConfig{StreamID: 1, ConsumerID: 2, Mode: ModeStream, PayloadFallbackURI: "aeron:udp?endpoint=10.0.0.2:40123"},
		"announce_pools": &ShmPoolAnnounce{StreamID: 1, ProducerID: 2, Epoch: 3, AnnounceTimestampNs: 4, AnnounceClockDomain: ClockRealtimeSynced,
			LayoutVersion: 1, HeaderNslots: 8, HeaderSlotBytes: 256, PayloadPools: samplePools, HeaderRegionURI: "shm:file?path=/dev/shm/h"},
	}
}

func TestControlCodec_RoundTripsEveryMessage(t *testing.T) {
	for name, m := range controlMessages() {
		t.Run(name, func(t *testing.T) { checkRoundTrip(t, m) })
	}
}

// StampFrameDescriptor changes timestampNs and nothing else.
func TestStampFrameDescriptor(t *testing.T) {
	d := FrameDescriptor{StreamID: 1, Epoch: 2, Seq: 3, HeaderIndex: 4, TimestampNs: 5, MetaVersion: 6}
	buf := encode(t, &d)
	StampFrameDescriptor(buf, 77)
	var got FrameDescriptor
	require.NoError(t, got.Decode(buf))
	d.TimestampNs = 77
	require.Equal(t, d, got)
}

// The enums of the control messages: an undefined value decodes with ErrUnknownEnum and
// the message filled.
func TestControlCodec_UnknownEnumFillsMessage(t *testing.T) {
	for _, m := range []typedMessage{
		&FrameProgress{StreamID: 7, FrameID: 3, State: FrameProgressState(9)},
		&QosConsumer{StreamID: 7, ConsumerID: 1, Mode: Mode(3)},
		&ShmPoolAnnounce{StreamID: 7, AnnounceClockDomain: ClockDomain(0), HeaderRegionURI: "x"},
		&ConsumerConfig{StreamID: 7, Mode: Mode(0xff)},
		&ControlResponse{CorrelationID: 1, Code: ResponseCode(-1)},
	} {
		buf := encode(t, m)
		got := newLike(m)
		asDecodeError(t, got.Decode(buf), ErrUnknownEnum)
		require.Equal(t, m, got, "%T", m)
	}
	// A Bool that is neither FALSE nor TRUE decodes as false.
	buf := encode(t, &ConsumerHello{StreamID: 1, Mode: ModeStream, SupportsShm: true})
	buf[HeaderLength+8] = 2
	var h ConsumerHello
	de := asDecodeError(t, h.Decode(buf), ErrUnknownEnum)
	require.Equal(t, "supportsShm", de.Field)
	require.False(t, h.SupportsShm)
}

// ControlResponse's errorMessage is cut to MaxErrorMessageBytes, like the driver's.
func TestControlCodec_ResponseMessageTruncated(t *testing.T) {
	got := roundTrip(t, &ControlResponse{Code: CodeRejected, ErrorMessage: strings.Repeat("e", 3000)}).(*ControlResponse)
	require.Len(t, got.ErrorMessage, MaxErrorMessageBytes)
}

// Groups are counted in 16 bits with 65535 as null: 65535 entries cannot be encoded.
func TestControlCodec_GroupOverMaximumRefused(t *testing.T) {
	meta := DataSourceMeta{Attributes: make([]Attribute, maxGroupCount+1)}
	_, err := meta.Encode(make([]byte, meta.EncodedLength()))
	ee := checkEncodeError(t, err, ErrBadLength)
	require.Equal(t, "attributes", ee.Field)

	announce := ShmPoolAnnounce{PayloadPools: make([]PayloadPool, maxGroupCount+1)}
	_, err = announce.Encode(make([]byte, announce.EncodedLength()))
	ee = checkEncodeError(t, err, ErrBadLength)
	require.Equal(t, "payloadPools", ee.Field)

	meta.Attributes = meta.Attributes[:maxGroupCount]
	n, err := meta.Encode(make([]byte, meta.EncodedLength()))
	require.NoError(t, err)
	require.Equal(t, meta.EncodedLength(), n)
}

// A var-data value longer than its length type's maximum is refused before anything is
// written (checkVar is what every encoder runs per field).
func TestControlCodec_VarDataOverMaximumRefused(t *testing.T) {
	ee := checkEncodeError(t, checkVar("DataSourceAnnounce", "name", maxVarLength+1, maxVarLength), ErrBadLength)
	require.Equal(t, "name", ee.Field)
	require.Contains(t, ee.Error(), "DataSourceAnnounce.name")
	require.NoError(t, checkVar("DataSourceAnnounce", "name", maxVarLength, maxVarLength))
}

// newLike returns a fresh message of m's type.
func newLike(m typedMessage) typedMessage {
	switch m.(type) {
	case *FrameProgress:
		return new(FrameProgress)
	case *QosConsumer:
		return new(QosConsumer)
	case *ShmPoolAnnounce:
		return new(ShmPoolAnnounce)
	case *ConsumerConfig:
		return new(ConsumerConfig)
	case *ControlResponse:
		return new(ControlResponse)
	}
	panic("newLike: add the type")
}

// TestHotPathMessagesAllocateNothing: the messages a producer or consumer sends per frame
// or per period encode, and decode, without allocating; so does the driver's announce.
func TestHotPathMessagesAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("needs a build without -race, whose detector allocates; make test runs it in its allocation pass")
	}
	msgs := controlMessages()
	for _, name := range []string{"descriptor", "progress", "qos_consumer", "qos_producer"} {
		m := msgs[name]
		buf := make([]byte, m.EncodedLength())
		got := newTyped["control."+map[string]string{"descriptor": "FrameDescriptor", "progress": "FrameProgress",
			"qos_consumer": "QosConsumer", "qos_producer": "QosProducer"}[name]]()
		if allocs := testing.AllocsPerRun(1000, func() {
			if _, err := m.Encode(buf); err != nil {
				t.Fatal(err)
			}
			if err := got.Decode(buf); err != nil {
				t.Fatal(err)
			}
		}); allocs != 0 {
			t.Errorf("%s: %v allocations per encode+decode", name, allocs)
		}
	}
	announce := msgs["announce_pools"].(*ShmPoolAnnounce)
	buf := make([]byte, announce.EncodedLength())
	if allocs := testing.AllocsPerRun(1000, func() {
		announce.AnnounceTimestampNs++
		if _, err := announce.Encode(buf); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("ShmPoolAnnounce: %v allocations per encode", allocs)
	}
	d := msgs["descriptor"].(*FrameDescriptor)
	if allocs := testing.AllocsPerRun(1000, func() {
		if _, err := d.Encode(buf[:FrameDescriptorLength-1]); err == nil {
			t.Fatal("short buffer accepted")
		}
	}); allocs != 0 {
		t.Errorf("FrameDescriptor: %v allocations per refused encode", allocs)
	}
}

func BenchmarkEncodeFrameDescriptor(b *testing.B) {
	d := FrameDescriptor{StreamID: 1, Epoch: 2, HeaderIndex: 4, TimestampNs: 5, MetaVersion: NullU32}
	var buf [FrameDescriptorLength]byte
	b.ReportAllocs()
	for b.Loop() {
		d.Seq++
		if _, err := d.Encode(buf[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFrameDescriptor(b *testing.B) {
	d := FrameDescriptor{StreamID: 1, Epoch: 2, Seq: 3, HeaderIndex: 4, TimestampNs: 5, MetaVersion: NullU32}
	var buf [FrameDescriptorLength]byte
	if _, err := d.Encode(buf[:]); err != nil {
		b.Fatal(err)
	}
	var got FrameDescriptor
	b.ReportAllocs()
	for b.Loop() {
		if err := got.Decode(buf[:]); err != nil {
			b.Fatal(err)
		}
	}
	if got != d {
		b.Fatalf("decoded %+v", got)
	}
}

package wire

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
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

func BenchmarkStampFrameDescriptor(b *testing.B) {
	d := FrameDescriptor{StreamID: 1, Epoch: 2, Seq: 3, HeaderIndex: 4, TimestampNs: NullU64, MetaVersion: NullU32}
	var buf [FrameDescriptorLength]byte
	if _, err := d.Encode(buf[:]); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := uint64(0); b.Loop(); i++ {
		StampFrameDescriptor(buf[:], i)
	}
}

func BenchmarkEncodeFrameProgress(b *testing.B) {
	p := FrameProgress{StreamID: 1, Epoch: 2, HeaderIndex: 4, PayloadBytesFilled: 5, State: ProgressStateProgress}
	var buf [FrameProgressLength]byte
	b.ReportAllocs()
	for b.Loop() {
		p.FrameID++
		if _, err := p.Encode(buf[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFrameProgress(b *testing.B) {
	p := FrameProgress{StreamID: 1, Epoch: 2, FrameID: 3, HeaderIndex: 4, PayloadBytesFilled: 5, State: ProgressStateProgress}
	var buf [FrameProgressLength]byte
	if _, err := p.Encode(buf[:]); err != nil {
		b.Fatal(err)
	}
	var got FrameProgress
	b.ReportAllocs()
	for b.Loop() {
		if err := got.Decode(buf[:]); err != nil {
			b.Fatal(err)
		}
	}
	if got != p {
		b.Fatalf("decoded %+v", got)
	}
}

// TestEncodeDescriptorMatchesCodec: FrameDescriptor.Encode writes the descriptor with its
// own stores at the schema's offsets; the bytes must be exactly what the generated codec's
// flyweight writes, for edge and random values, and every byte must be written.
func TestEncodeDescriptorMatchesCodec(t *testing.T) {
	cases := []FrameDescriptor{
		{},
		{StreamID: 1, Epoch: 2, Seq: 3, HeaderIndex: 4, TimestampNs: 5, MetaVersion: 6},
		{StreamID: ^uint32(0), Epoch: ^uint64(0), Seq: ^uint64(0), HeaderIndex: ^uint32(0), TimestampNs: ^uint64(0), MetaVersion: ^uint32(0)},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		cases = append(cases, FrameDescriptor{StreamID: r.Uint32(), Epoch: r.Uint64(), Seq: r.Uint64(),
			HeaderIndex: r.Uint32(), TimestampNs: r.Uint64(), MetaVersion: r.Uint32()})
	}
	for _, d := range cases {
		want := make([]byte, FrameDescriptorLength)
		var m control.FrameDescriptor
		m.WrapAndApplyHeader(want, 0, uint64(len(want))).
			SetStreamId(d.StreamID).SetEpoch(d.Epoch).SetSeq(d.Seq).
			SetHeaderIndex(d.HeaderIndex).SetTimestampNs(d.TimestampNs).SetMetaVersion(d.MetaVersion)
		got := make([]byte, FrameDescriptorLength)
		for i := range got {
			got[i] = 0xA5 // every byte must be written
		}
		if n, err := d.Encode(got); err != nil || n != FrameDescriptorLength || string(got) != string(want) {
			t.Fatalf("%+v: wrote %d bytes (%v)\n got %x\nwant %x", d, n, err, got, want)
		}
		var back FrameDescriptor
		if err := back.Decode(got); err != nil || back != d {
			t.Fatalf("%+v does not decode back: %+v, %v", d, back, err)
		}
	}
	if n, err := cases[1].Encode(make([]byte, FrameDescriptorLength-1)); n != 0 || err == nil {
		t.Fatal("a short buffer was written")
	}
}

func TestWireSpec_10_1_2_HelloRoundTrip(t *testing.T) {
	in := ConsumerHello{StreamID: 7, ConsumerID: 9, SupportsShm: true, Mode: ModeRateLimited,
		MaxRateHz: 1 << 20, ExpectedLayoutVersion: 1, DescriptorStreamID: 1100, DescriptorChannel: "aeron:ipc"}
	var out ConsumerHello
	if err := out.Decode(encode(t, &in)); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Fatalf("got %+v, want %+v", out, in)
	}
	if err := out.Decode(encode(t, &FrameDescriptor{})); !errors.Is(err, ErrUnknownTemplate) {
		t.Fatalf("descriptor decoded as hello: %v", err)
	}
	if err := out.Decode(encode(t, &in)[:20]); err == nil {
		t.Fatal("truncated hello accepted")
	}
}

func TestWireSpec_10_1_3_ConsumerConfigEncoding(t *testing.T) {
	a := ConsumerConfig{StreamID: 7, ConsumerID: 3, UseShm: true, Mode: ModeRateLimited,
		DescriptorStreamID: 1100, DescriptorChannel: "aeron:ipc", PayloadFallbackURI: "bridge://1"}
	buf := make([]byte, 256)
	if n, err := a.Encode(buf[:a.EncodedLength()-1]); n != 0 || !errors.Is(err, ErrShortBuffer) {
		t.Fatal("encoded into a short buffer")
	}
	n, err := a.Encode(buf)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := ValidateSchema(buf[:n], ControlSchemaID)
	if err != nil || msg.TemplateID != control.ConsumerConfigSbeTemplateID {
		t.Fatalf("%v %+v", err, msg)
	}
	var m control.ConsumerConfig
	m.WrapForDecode(buf, HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(n))
	got := ConsumerConfig{StreamID: m.StreamId(), ConsumerID: m.ConsumerId(), UseShm: m.UseShm() == control.Bool_TRUE, Mode: Mode(m.Mode()),
		DescriptorStreamID: m.DescriptorStreamId(), ControlStreamID: m.ControlStreamId()}
	got.PayloadFallbackURI = m.GetPayloadFallbackUriAsString()
	got.DescriptorChannel = m.GetDescriptorChannelAsString()
	got.ControlChannel = m.GetControlChannelAsString()
	if got != a {
		t.Fatalf("got %+v, want %+v", got, a)
	}
}

// rawHello encodes a ConsumerHello with the hint fields exactly as given, null values
// included.
func rawHello(interval, bytes, major uint32) []byte {
	buf := make([]byte, 128)
	var m control.ConsumerHello
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetStreamId(7).SetConsumerId(1).SetSupportsShm(control.Bool_TRUE).SetSupportsProgress(control.Bool_TRUE).
		SetMode(control.Mode_STREAM).SetExpectedLayoutVersion(1).
		SetProgressIntervalUs(interval).SetProgressBytesDelta(bytes).SetProgressMajorDeltaUnits(major).
		PutDescriptorChannel("").PutControlChannel("")
	return buf[:HeaderLength+int(m.EncodedLength())]
}

// The progress hints decode with null as 0, "not provided" (§10.1); 0 itself (the
// major-delta hint's "unknown") stays 0.
func TestWireSpec_10_1_2_ProgressHintsDecoded(t *testing.T) {
	const null = 0xFFFF_FFFF
	cases := []struct {
		name                   string
		interval, bytes, major uint32
		want                   [3]uint32
	}{
		{"all null: not provided", null, null, null, [3]uint32{}},
		{"values kept", 250, 65536, 8, [3]uint32{250, 65536, 8}},
		{"major delta 0 is unknown", 100, null, 0, [3]uint32{100, 0, 0}},
		{"largest non-null values", null - 1, null - 1, null - 1, [3]uint32{null - 1, null - 1, null - 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h ConsumerHello
			if err := h.Decode(rawHello(c.interval, c.bytes, c.major)); err != nil {
				t.Fatal(err)
			}
			if got := [3]uint32{h.ProgressIntervalUs, h.ProgressBytesDelta, h.ProgressMajorDeltaUnits}; got != c.want || !h.SupportsProgress {
				t.Fatalf("hints %v, want %v", got, c.want)
			}
		})
	}
}

func TestWireSpec_10_3_2_EncodeDataSourceMetaBounds(t *testing.T) {
	m := DataSourceMeta{StreamID: 7, MetaVersion: 1, Attributes: []Attribute{{Key: "k", Format: "text/plain", Value: []byte("v")}}}
	buf := make([]byte, m.EncodedLength())
	if n, err := m.Encode(buf[:len(buf)-1]); n != 0 || !errors.Is(err, ErrShortBuffer) {
		t.Fatal("encoded into a short buffer")
	}
	if n, err := m.Encode(buf); err != nil || n != len(buf) {
		t.Fatalf("length %d, want %d (%v)", n, len(buf), err)
	}
	if _, err := ValidateSchema(buf, ControlSchemaID); err != nil {
		t.Fatal(err)
	}
	a := DataSourceAnnounce{StreamID: 7, ProducerID: 1, Epoch: 3, MetaVersion: 1, Name: "n", Summary: "s"}
	abuf := make([]byte, a.EncodedLength())
	if n, err := a.Encode(abuf[:len(abuf)-1]); n != 0 || !errors.Is(err, ErrShortBuffer) {
		t.Fatal("announce encoded into a short buffer")
	}
}

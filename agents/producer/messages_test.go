package producer

import (
	"math/rand/v2"
	"testing"

	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// TestEncodeDescriptorMatchesCodec: EncodeDescriptor writes the FrameDescriptor with its
// own stores at offsets read from the generated codec; the bytes must be exactly what the
// codec's flyweight writes, for edge and random values.
func TestEncodeDescriptorMatchesCodec(t *testing.T) {
	cases := []Descriptor{
		{},
		{StreamID: 1, Epoch: 2, Seq: 3, HeaderIndex: 4, TimestampNs: 5, MetaVersion: 6},
		{StreamID: ^uint32(0), Epoch: ^uint64(0), Seq: ^uint64(0), HeaderIndex: ^uint32(0), TimestampNs: ^uint64(0), MetaVersion: ^uint32(0)},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		cases = append(cases, Descriptor{StreamID: r.Uint32(), Epoch: r.Uint64(), Seq: r.Uint64(),
			HeaderIndex: r.Uint32(), TimestampNs: r.Uint64(), MetaVersion: r.Uint32()})
	}
	for _, d := range cases {
		want := make([]byte, DescriptorLength)
		var m control.FrameDescriptor
		m.WrapAndApplyHeader(want, 0, uint64(len(want))).
			SetStreamId(d.StreamID).SetEpoch(d.Epoch).SetSeq(d.Seq).
			SetHeaderIndex(d.HeaderIndex).SetTimestampNs(d.TimestampNs).SetMetaVersion(d.MetaVersion)
		got := make([]byte, DescriptorLength)
		for i := range got {
			got[i] = 0xA5 // every byte must be written
		}
		if n := EncodeDescriptor(got, &d); n != DescriptorLength || string(got) != string(want) {
			t.Fatalf("%+v: wrote %d bytes\n got %x\nwant %x", d, n, got, want)
		}
		if decodeDescriptor(t, got) != d {
			t.Fatalf("%+v does not decode back", d)
		}
	}
	if EncodeDescriptor(make([]byte, DescriptorLength-1), &cases[1]) != 0 {
		t.Fatal("a short buffer was written")
	}
}

package consumer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/tensorpool/tensorpool/wire"
)

func encodeMeta(streamID, version uint32, attrs ...wire.Attribute) []byte {
	return encoded(&wire.DataSourceMeta{StreamID: streamID, MetaVersion: version, TimestampNs: 42, Attributes: attrs})
}

func encodeSource(streamID, version uint32, name string) []byte {
	return encoded(&wire.DataSourceAnnounce{StreamID: streamID, ProducerID: 1, Epoch: 3, MetaVersion: version, Name: name, Summary: "uint8[4]"})
}

func TestWireSpec_10_3_MetadataRoundTrip(t *testing.T) {
	c := newRig(t).c
	if _, ok := c.Metadata(); ok {
		t.Fatal("metadata before any was received")
	}
	calib := wire.Attribute{Key: "calib", Format: "application/octet-stream", Value: []byte{0, 0xff, 7}}
	serial := wire.Attribute{Key: "serial", Format: "text/plain", Value: []byte("A1")}
	for _, msg := range [][]byte{encodeSource(7, 2, "cam0"), encodeMeta(7, 2, calib, serial)} {
		if err := c.HandleControl(msg); err != nil {
			t.Fatal(err)
		}
	}
	d, ok := c.DataSource()
	if !ok || d != (wire.DataSourceAnnounce{StreamID: 7, ProducerID: 1, Epoch: 3, MetaVersion: 2, Name: "cam0", Summary: "uint8[4]"}) {
		t.Fatalf("data source %+v", d)
	}
	md, ok := c.Metadata()
	if !ok || md.MetaVersion != 2 || md.TimestampNs != 42 || len(md.Attributes) != 2 {
		t.Fatalf("metadata %+v", md)
	}
	a, ok := md.Attribute("calib")
	if !ok || a.Format != calib.Format || !bytes.Equal(a.Value, calib.Value) {
		t.Fatalf("calib %+v", a)
	}
	if _, ok := md.Attribute("unknown"); ok {
		t.Fatal("unknown key found")
	}
	empty := encodeMeta(7, 3)
	if err := c.HandleControl(empty); err != nil {
		t.Fatal(err)
	}
	if md, _ := c.Metadata(); md.MetaVersion != 3 || len(md.Attributes) != 0 {
		t.Fatalf("attributes removed by a version bump: %+v", md)
	}
}

func TestWireSpec_10_3_2_LatestVersionKept(t *testing.T) {
	tests := []struct {
		name     string
		versions []uint32
		want     uint32
	}{
		{"newer replaces", []uint32{1, 2}, 2},
		{"older ignored", []uint32{5, 4}, 5},
		{"same refreshes", []uint32{5, 5}, 5},
		{"wrap is newer", []uint32{0xFFFF_FFFE, 0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newRig(t).c
			for _, v := range tt.versions {
				if err := c.HandleControl(encodeMeta(7, v, wire.Attribute{Key: "v"})); err != nil {
					t.Fatal(err)
				}
				if err := c.HandleControl(encodeSource(7, v, "cam")); err != nil {
					t.Fatal(err)
				}
			}
			md, _ := c.Metadata()
			d, _ := c.DataSource()
			if md.MetaVersion != tt.want || d.MetaVersion != tt.want {
				t.Fatalf("kept meta %d / announce %d, want %d", md.MetaVersion, d.MetaVersion, tt.want)
			}
		})
	}
	c := newRig(t).c
	c.HandleControl(encodeMeta(8, 1))
	c.HandleControl(encodeSource(8, 1, "other"))
	if _, ok := c.Metadata(); ok {
		t.Fatal("another stream's metadata kept")
	}
	if _, ok := c.DataSource(); ok {
		t.Fatal("another stream's announce kept")
	}
}

// TestWireSpec_10_3_MalformedMetadataCounted truncates and corrupts encoded metadata: every
// variant is rejected by validation and counted, never decoded.
func TestWireSpec_10_3_MalformedMetadataCounted(t *testing.T) {
	r := newRig(t)
	good := encodeMeta(7, 1, wire.Attribute{Key: "k", Format: "text/plain", Value: []byte("value")})
	var bad [][]byte
	for n := wire.HeaderLength; n < len(good); n++ {
		bad = append(bad, good[:n])
	}
	huge := bytes.Clone(good)
	// The first attribute's key length, after the block and the group header.
	binary.LittleEndian.PutUint32(huge[wire.HeaderLength+16+4:], 1<<30)
	bad = append(bad, huge)
	src := encodeSource(7, 1, "cam0")
	for n := wire.HeaderLength; n < len(src); n++ {
		bad = append(bad, src[:n])
	}
	for _, b := range bad {
		if err := r.c.HandleControl(b); err == nil {
			t.Fatalf("malformed message of %d bytes accepted", len(b))
		} else if de := new(wire.DecodeError); !errors.As(err, &de) {
			t.Fatalf("untyped error %v", err)
		}
	}
	if k := r.c.Counters(); k.MetadataInvalid != uint64(len(bad)) || k.MetadataUpdates != 0 {
		t.Fatalf("counters %+v after %d malformed messages", k, len(bad))
	}
	if _, ok := r.c.Metadata(); ok {
		t.Fatal("malformed metadata kept")
	}
	if err := new(wire.DataSourceMeta).Decode(src); !errors.Is(err, wire.ErrUnknownTemplate) {
		t.Fatalf("announce decoded as meta: %v", err)
	}
}

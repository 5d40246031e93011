package producer

import (
	"bytes"
	"math"
	"testing"

	"github.com/tensorpool/tensorpool/wire"
)

func TestWireSpec_10_3_MetadataVersioning(t *testing.T) {
	p, _, _ := newTestProducer(t, testLayout(), Config{})
	if p.ctl.MetaVersion() != math.MaxUint32 {
		t.Fatalf("meta_version %d before any metadata, want null", p.ctl.MetaVersion())
	}
	steps := []struct {
		name    string
		do      func() bool
		version uint32
	}{
		{"data source", func() bool { p.ctl.SetDataSource("cam0", "uint8[480,640]"); return true }, 1},
		{"add", func() bool {
			return p.ctl.SetAttribute(wire.Attribute{Key: "serial", Format: "text/plain", Value: []byte("A1")}) == nil
		}, 2},
		{"replace", func() bool {
			return p.ctl.SetAttribute(wire.Attribute{Key: "serial", Format: "text/plain", Value: []byte("B2")}) == nil
		}, 3},
		{"delete missing", func() bool { return !p.ctl.DeleteAttribute("nope") }, 3},
		{"delete", func() bool { return p.ctl.DeleteAttribute("serial") }, 4},
	}
	for _, s := range steps {
		if !s.do() || p.ctl.MetaVersion() != s.version {
			t.Fatalf("%s: meta_version %d, want %d", s.name, p.ctl.MetaVersion(), s.version)
		}
	}
	p.ctl.meta.version = math.MaxUint32 - 1
	p.ctl.SetDataSource("cam0", "")
	if p.ctl.MetaVersion() != 0 {
		t.Fatalf("meta_version wrapped to %d, want 0 (0xFFFFFFFF is null)", p.ctl.MetaVersion())
	}
}

func TestWireSpec_10_3_MetadataPublishedOnChangeAndCadence(t *testing.T) {
	clock := &fakeClock{now: 1}
	meta := newPipe(t)
	p, _, descs := newTestProducer(t, testLayout(), Config{Clock: clock.Now, Metadata: meta, AnnounceIntervalNs: 1000})
	p.DoWork(1)
	if n := len(collect(meta)); n != 0 {
		t.Fatalf("%d metadata messages with nothing to describe", n)
	}
	p.ctl.SetDataSource("cam0", "uint8[2]")
	value := []byte{0, 1, 2, 0xff}
	if err := p.ctl.SetAttribute(wire.Attribute{Key: "calib", Format: "application/octet-stream", Value: value}); err != nil {
		t.Fatal(err)
	}
	value[0] = 9 // the producer keeps its own copy
	p.DoWork(2)
	got := collect(meta)
	if len(got) != 2 {
		t.Fatalf("%d messages on change, want announce + meta", len(got))
	}
	var announce wire.DataSourceAnnounce
	var m wire.DataSourceMeta
	if err := announce.Decode(got[0]); err != nil {
		t.Fatal(err)
	}
	if err := m.Decode(got[1]); err != nil {
		t.Fatal(err)
	}
	if m.MetaVersion != 2 || m.TimestampNs != 2 {
		t.Fatalf("meta_version %d, timestamp %d", m.MetaVersion, m.TimestampNs)
	}
	if len(m.Attributes) != 1 {
		t.Fatalf("%d attributes", len(m.Attributes))
	}
	if a := m.Attributes[0]; a.Key != "calib" || a.Format != "application/octet-stream" || !bytes.Equal(a.Value, []byte{0, 1, 2, 0xff}) {
		t.Fatal("attribute did not round-trip")
	}
	p.DoWork(500)
	if n := len(collect(meta)); n != 0 {
		t.Fatalf("%d messages between cadences with no change", n)
	}
	p.DoWork(1002)
	if n := len(collect(meta)); n != 2 {
		t.Fatalf("%d messages on the cadence, want announce + meta", n)
	}
	// Frames reference the current meta_version (§10.3.2).
	if r := p.Offer(make([]byte, 8), vector(8)); r != OK {
		t.Fatal(r)
	}
	if d := decodeDescriptor(t, collect(descs)[0]); d.MetaVersion != 2 {
		t.Fatalf("descriptor meta_version %d", d.MetaVersion)
	}
	if k := p.Counters(); k.DataSourceAnnounces != 2 || k.DataSourceMetas != 2 {
		t.Fatalf("counters %+v", k)
	}
}

// The Controller outlives an epoch: a new epoch keeps the data source, attributes and
// meta_version, re-announces them, and its frames reference that meta_version (§10.3).
func TestWireSpec_10_3_MetadataSurvivesEpochChange(t *testing.T) {
	meta := newPipe(t)
	old, _, _ := newTestProducer(t, testLayout(), Config{Metadata: meta})
	ctl := old.ctl
	ctl.SetDataSource("cam0", "uint8[4]")
	if err := ctl.SetAttribute(wire.Attribute{Key: "k", Format: "text/plain", Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	ctl.DoWork(1)
	collect(meta)
	version := ctl.MetaVersion()
	l := testLayout()
	l.Epoch++
	descs := newPipe(t)
	next, err := ctl.NewEpoch(heapRegions(t, l), descs)
	if err != nil {
		t.Fatal(err)
	}
	if ctl.Current() != next || ctl.MetaVersion() != version {
		t.Fatalf("current epoch %p (want %p), meta_version %d (was %d)", ctl.Current(), next, ctl.MetaVersion(), version)
	}
	ctl.DoWork(2)
	var a wire.DataSourceAnnounce
	msgs := collect(meta)
	if len(msgs) != 2 || a.Decode(msgs[0]) != nil || a.Epoch != l.Epoch || a.Name != "cam0" {
		t.Fatalf("re-announce for the new epoch: %d messages, %+v", len(msgs), a)
	}
	if r := next.Offer(make([]byte, 8), vector(8)); r != OK {
		t.Fatal(r)
	}
	if d := decodeDescriptor(t, collect(descs)[0]); d.MetaVersion != version || d.Epoch != l.Epoch {
		t.Fatalf("descriptor meta_version %d epoch %d", d.MetaVersion, d.Epoch)
	}
}

func TestWireSpec_10_3_2_ReplaceAttributesBumpsOnce(t *testing.T) {
	p, _, _ := newTestProducer(t, testLayout(), Config{})
	p.ctl.SetDataSource("cam0", "")
	v := p.ctl.MetaVersion()
	attrs := []wire.Attribute{{Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte("2")}, {Key: "a", Value: []byte("3")}}
	if err := p.ctl.ReplaceAttributes(attrs); err != nil {
		t.Fatal(err)
	}
	if p.ctl.MetaVersion() != v+1 || len(p.ctl.meta.attrs) != 2 || string(p.ctl.meta.attrs[0].Value) != "3" {
		t.Fatalf("meta_version %d (want %d), attrs %+v", p.ctl.MetaVersion(), v+1, p.ctl.meta.attrs)
	}
	attrs[1].Value[0] = 'x'
	if string(p.ctl.meta.attrs[1].Value) != "2" {
		t.Fatal("values are shared with the caller, not copied")
	}
}

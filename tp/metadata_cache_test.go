package tp

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/tensorpool/tensorpool/wire"
)

func encodeAnnounce(streamID, producerID uint32, epoch uint64, version uint32, name, summary string) []byte {
	return encoded(&wire.DataSourceAnnounce{StreamID: streamID, ProducerID: producerID, Epoch: epoch, MetaVersion: version, Name: name, Summary: summary})
}

func encodeMeta(streamID, version uint32, timestampNs uint64, attrs ...MetadataAttribute) []byte {
	return encoded(&wire.DataSourceMeta{StreamID: streamID, MetaVersion: version, TimestampNs: timestampNs, Attributes: attrs})
}

func mustGet(t *testing.T, m *MetadataCache, streamID uint32) MetadataEntry {
	t.Helper()
	e, ok := m.Get(streamID)
	if !ok {
		t.Fatalf("no entry for stream %d", streamID)
	}
	return e
}

// Wire §10.3: DataSourceAnnounce and DataSourceMeta of a stream combine into one entry;
// the newest meta_version wins, older ones are stale; a newer announce drops attributes of
// an older version until its own DataSourceMeta arrives.
func TestWireSpec_10_3_MetadataNewestVersionWins(t *testing.T) {
	var m MetadataCache
	json := MetadataAttribute{Key: "intrinsics", Format: "application/json", Value: []byte(`{"fx":1}`)}
	serial := MetadataAttribute{Key: "camera_serial", Format: "text/plain", Value: []byte("A1")}

	m.handle(encodeAnnounce(10, 7, 3, 2, "cam0", "uint8[480,640]"))
	m.handle(encodeMeta(10, 2, 555, json, serial))
	want := MetadataEntry{StreamID: 10, ProducerID: 7, Epoch: 3, MetaVersion: 2, TimestampNs: 555, Name: "cam0", Summary: "uint8[480,640]",
		Attributes: []MetadataAttribute{json, serial}, HasAnnounce: true, HasMeta: true}
	if got := mustGet(t, &m, 10); !reflect.DeepEqual(got, want) {
		t.Fatalf("entry %+v\nwant  %+v", got, want)
	}
	if a, ok := want.Attribute("camera_serial"); !ok || string(a.Value) != "A1" {
		t.Fatalf("Attribute: %+v %v", a, ok)
	}

	// The periodic re-announce of the same version keeps the attributes.
	m.handle(encodeAnnounce(10, 7, 3, 2, "cam0", "uint8[480,640]"))
	// Older versions are stale.
	m.handle(encodeAnnounce(10, 7, 3, 1, "old", ""))
	m.handle(encodeMeta(10, 1, 1))
	if got := mustGet(t, &m, 10); !reflect.DeepEqual(got, want) {
		t.Fatalf("after stale messages %+v", got)
	}
	if s := m.Stats(); s.Stale != 2 || s.Announces != 2 || s.Metas != 1 {
		t.Fatalf("stats %+v", s)
	}

	// Version 3 announced: the attributes of version 2 no longer apply.
	m.handle(encodeAnnounce(10, 7, 3, 3, "cam0-renamed", "uint8[480,640]"))
	got := mustGet(t, &m, 10)
	if got.MetaVersion != 3 || got.HasMeta || got.Attributes != nil || got.TimestampNs != 0 || got.Name != "cam0-renamed" {
		t.Fatalf("after a newer announce %+v", got)
	}
	m.handle(encodeMeta(10, 3, 777, serial))
	got = mustGet(t, &m, 10)
	if got.MetaVersion != 3 || !got.HasMeta || len(got.Attributes) != 1 || got.TimestampNs != 777 || got.Name != "cam0-renamed" {
		t.Fatalf("after the newer meta %+v", got)
	}
	// A DataSourceMeta ahead of its announce is taken; the name stays the announced one.
	m.handle(encodeMeta(10, 4, 888))
	got = mustGet(t, &m, 10)
	if got.MetaVersion != 4 || !got.HasMeta || len(got.Attributes) != 0 || got.Name != "cam0-renamed" {
		t.Fatalf("after a meta ahead of its announce %+v", got)
	}
}

// meta_version is a wrapping u32: 0 after 0xFFFF_FFFE is newer, 0xFFFF_FFFE after 0 is not.
func TestWireSpec_10_3_MetadataVersionWraps(t *testing.T) {
	var m MetadataCache
	m.handle(encodeMeta(1, 0xFFFF_FFFE, 1))
	m.handle(encodeMeta(1, 0, 2))
	if got := mustGet(t, &m, 1); got.MetaVersion != 0 || got.TimestampNs != 2 {
		t.Fatalf("after the wrap %+v", got)
	}
	m.handle(encodeMeta(1, 0xFFFF_FFFE, 3))
	if got := mustGet(t, &m, 1); got.MetaVersion != 0 || m.Stats().Stale != 1 {
		t.Fatalf("a pre-wrap version replaced a post-wrap one: %+v", got)
	}
}

// Wire §15.2: a new epoch is a restarted producer, whose versions count afresh: its
// announce replaces the entry whatever the version; an earlier epoch's is stale.
func TestWireSpec_15_2_MetadataNewEpochStartsAfresh(t *testing.T) {
	var m MetadataCache
	m.handle(encodeAnnounce(5, 1, 10, 40, "a", ""))
	m.handle(encodeMeta(5, 40, 1, MetadataAttribute{Key: "k", Value: []byte("v")}))
	m.handle(encodeAnnounce(5, 2, 11, 1, "b", ""))
	got := mustGet(t, &m, 5)
	if got.Epoch != 11 || got.ProducerID != 2 || got.MetaVersion != 1 || got.HasMeta || got.Name != "b" {
		t.Fatalf("after the new epoch %+v", got)
	}
	m.handle(encodeMeta(5, 1, 2, MetadataAttribute{Key: "k2"}))
	if got := mustGet(t, &m, 5); !got.HasMeta || got.Attributes[0].Key != "k2" {
		t.Fatalf("the new epoch's meta was not taken: %+v", got)
	}
	m.handle(encodeAnnounce(5, 1, 10, 41, "a", ""))
	if got := mustGet(t, &m, 5); got.Epoch != 11 || m.Stats().Stale != 1 {
		t.Fatalf("an earlier epoch's announce was taken: %+v", got)
	}
}

// Get returns a deep copy: changing it changes nothing in the cache.
func TestMetadataGetIsDeepCopy(t *testing.T) {
	var m MetadataCache
	m.handle(encodeMeta(1, 1, 1, MetadataAttribute{Key: "k", Format: "f", Value: []byte("value")}))
	e := mustGet(t, &m, 1)
	e.Attributes[0].Value[0] = 'X'
	e.Attributes[0].Key = "changed"
	e.Attributes = append(e.Attributes, MetadataAttribute{})
	if got := mustGet(t, &m, 1); len(got.Attributes) != 1 || got.Attributes[0].Key != "k" || !bytes.Equal(got.Attributes[0].Value, []byte("value")) {
		t.Fatalf("the cache changed through a copy: %+v", got)
	}
}

// Wire §10.3 messages are validated (wire gating) before decoding; malformed ones are
// counted, foreign ones skipped; at most MaxMetadataEntries streams are held.
func TestWireSpec_10_3_MetadataMalformedAndCapacity(t *testing.T) {
	var m MetadataCache
	meta := encodeMeta(1, 1, 1, MetadataAttribute{Key: "k", Value: []byte("v")})
	overlong := bytes.Clone(meta)
	overlong[len(overlong)-5] = 0xff // the value's length now runs past the buffer
	for _, msg := range [][]byte{nil, meta[:7], meta[:len(meta)-1], overlong, encodeAnnounce(1, 1, 1, 1, "n", "s")[:30]} {
		m.handle(msg)
		wantMalformed(t, m.Err(), "", nil)
	}
	m.handle(encodeQosProducer(QosProducerSnapshot{}))
	if s := m.Stats(); s.Malformed != 5 || m.Len() != 0 || m.Err() != nil {
		t.Fatalf("stats %+v, %d entries", s, m.Len())
	}
	for id := range uint32(MaxMetadataEntries + 3) {
		m.handle(encodeAnnounce(id, 1, 1, 1, "", ""))
	}
	if s := m.Stats(); m.Len() != MaxMetadataEntries || s.Evicted != 3 {
		t.Fatalf("%d entries, stats %+v", m.Len(), s)
	}
	if _, ok := m.Get(0); ok {
		t.Fatal("the oldest stream was kept")
	}
	if _, ok := m.Get(MaxMetadataEntries + 2); !ok {
		t.Fatal("the newest stream is missing")
	}
}

// Wire §10.3 over the media driver: a DataSourceAnnounce and a DataSourceMeta larger than
// the MTU (reassembled from fragments) reach the cache.
func TestWireSpec_10_3_MetadataCacheOverAeron(t *testing.T) {
	c := bareClient(t)
	stream := freshStream()
	m, err := c.NewMetadataCache("aeron:ipc", stream)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	pub := testPublication(t, c, stream)

	big := MetadataAttribute{Key: "flat_field", Format: "application/octet-stream", Value: pattern(6000, 1)}
	publish(t, pub, encodeAnnounce(10000, 3, 9, 5, "camera", "uint16[1024,1024]"))
	publish(t, pub, encodeMeta(10000, 5, 1234, MetadataAttribute{Key: "serial", Format: "text/plain", Value: []byte("SN1")}, big))
	pollUntil(t, "the stream's metadata", m.Poll, func() bool { e, ok := m.Get(10000); return ok && e.HasMeta })
	want := MetadataEntry{StreamID: 10000, ProducerID: 3, Epoch: 9, MetaVersion: 5, TimestampNs: 1234, Name: "camera", Summary: "uint16[1024,1024]",
		Attributes: []MetadataAttribute{{Key: "serial", Format: "text/plain", Value: []byte("SN1")}, big}, HasAnnounce: true, HasMeta: true}
	if got := mustGet(t, m, 10000); !reflect.DeepEqual(got, want) {
		t.Fatalf("entry %+v", got)
	}
	if err := m.Err(); err != nil {
		t.Fatal(err)
	}
}

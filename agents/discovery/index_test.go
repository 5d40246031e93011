package discovery

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/wire"
)

const expiry = int64(3_000_000_000)

var twoSources = []Source{
	{DriverInstanceID: "driver-a", DriverControlChannel: "aeron:ipc", DriverControlStreamID: 1000},
	{DriverInstanceID: "driver-b", DriverControlChannel: "aeron:udp?endpoint=b:40123", DriverControlStreamID: 1000},
}

// announceOf is a valid announce of stream at epoch.
func announceOf(stream uint32, epoch uint64) *wire.ShmPoolAnnounce {
	dir := fmt.Sprintf("/dev/shm/tp/stream-%d/epoch-%d", stream, epoch)
	return &wire.ShmPoolAnnounce{StreamID: stream, ProducerID: 7, Epoch: epoch, AnnounceClockDomain: wire.ClockMonotonic, LayoutVersion: 1, HeaderNslots: 64, HeaderSlotBytes: 256,
		HeaderRegionURI: "shm:file?path=" + dir + "/header.ring",
		PayloadPools:    []wire.PayloadPool{{PoolID: 1, PoolNslots: 64, StrideBytes: 4096, RegionURI: "shm:file?path=" + dir + "/payload-1.pool"}}}
}

func visible(x *Index, nowNs int64) []string {
	var out []string
	for _, e := range x.Entries() {
		if e.Visible(nowNs, expiry) {
			out = append(out, fmt.Sprintf("%s/%d@%d", x.Sources()[e.Source].DriverInstanceID, e.StreamID, e.Epoch))
		}
	}
	return out
}

// §6.1: entries are keyed by (driver_instance_id, stream_id): the same stream of two
// drivers is two entries, kept in (driver, stream) order.
func TestDiscoverySpec_6_1_EntriesKeyedByDriverAndStream(t *testing.T) {
	x := NewIndex(twoSources, expiry, 100)
	require.Equal(t, AnnounceIndexed, x.Announce(1, announceOf(10000, 5), 0))
	require.Equal(t, AnnounceIndexed, x.Announce(0, announceOf(10001, 1), 0))
	require.Equal(t, AnnounceIndexed, x.Announce(0, announceOf(10000, 2), 0))
	require.Equal(t, AnnounceIndexed, x.Announce(0, announceOf(10000, 2), 1), "a refresh")
	assert.Equal(t, []string{"driver-a/10000@2", "driver-a/10001@1", "driver-b/10000@5"}, visible(x, 1))
}

// §6.2: an entry expires when no ShmPoolAnnounce came within the window, and an expired
// entry is not returned, swept or not; metadata does not keep it alive.
func TestDiscoverySpec_6_2_EntriesExpireWithoutAnnounces(t *testing.T) {
	x := NewIndex(twoSources, expiry, 100)
	x.Announce(0, announceOf(10000, 1), 0)
	x.Announce(0, announceOf(10001, 1), 2_000_000_000)
	x.DataSourceAnnounce(0, &wire.DataSourceAnnounce{StreamID: 10000, Name: "cam"}, 2_900_000_000)
	assert.Equal(t, []string{"driver-a/10000@1", "driver-a/10001@1"}, visible(x, expiry), "at the window's edge")
	assert.Equal(t, []string{"driver-a/10001@1"}, visible(x, expiry+1), "not returned once expired, before any sweep")
	assert.Equal(t, 1, x.Expire(expiry+1))
	assert.Equal(t, 2, x.Len(), "kept for its recent metadata, invisible")
	assert.Equal(t, 0, x.Expire(expiry+1), "counted once")
	assert.Equal(t, 1, x.Expire(6_000_000_000))
	assert.Equal(t, 0, x.Len(), "everything stale is dropped")
	x.Announce(0, announceOf(10000, 1), 7_000_000_000)
	assert.Equal(t, []string{"driver-a/10000@1"}, visible(x, 7_000_000_000), "back with the next announce")
}

// §6.3: the newest epoch replaces the entry; an older one is dropped while the entry is
// live, and taken once it expired (the driver restarted or came back).
func TestDiscoverySpec_6_3_NewestEpochReplaces(t *testing.T) {
	x := NewIndex(twoSources, expiry, 100)
	x.Announce(0, announceOf(10000, 4), 0)
	require.Equal(t, AnnounceIndexed, x.Announce(0, announceOf(10000, 6), 1))
	e := x.Entries()[0]
	assert.Equal(t, uint64(6), e.Epoch)
	assert.Contains(t, e.HeaderRegionURI, "epoch-6")
	assert.Contains(t, e.Pools[0].RegionURI, "epoch-6")
	require.Equal(t, AnnounceEpochRegressed, x.Announce(0, announceOf(10000, 5), 2))
	assert.Equal(t, uint64(6), x.Entries()[0].Epoch)
	require.Equal(t, AnnounceIndexed, x.Announce(0, announceOf(10000, 2), 2+expiry+1), "after expiry")
	assert.Equal(t, []string{"driver-a/10000@2"}, visible(x, 2+expiry+1))
}

// §6.4: the index derives from ShmPoolAnnounce (layout, epochs) and DataSourceAnnounce /
// DataSourceMeta (name, tags, data source id), each by meta_version; names are kept byte
// for byte (§5.1) and tags with their case (§5.2).
func TestDiscoverySpec_6_4_IndexDerivesFromAnnouncesAndMetadata(t *testing.T) {
	x := NewIndex(twoSources, expiry, 100)
	require.Equal(t, MetadataIndexed, x.DataSourceAnnounce(0, &wire.DataSourceAnnounce{StreamID: 10000, MetaVersion: 3, Name: "Camera-1 \x01"}, 0))
	assert.Empty(t, visible(x, 0), "metadata alone is not an entry a request returns")
	x.Announce(0, announceOf(10000, 1), 0)
	meta := &wire.DataSourceMeta{StreamID: 10000, MetaVersion: 3, Attributes: []wire.Attribute{
		{Key: TagAttribute, Value: []byte("RGB")}, {Key: "camera_serial", Value: []byte("x")},
		{Key: TagAttribute, Value: []byte("")}, {Key: TagAttribute, Value: []byte("front")},
		{Key: DataSourceIDAttribute, Format: "text/plain", Value: []byte("42")},
	}}
	require.Equal(t, MetadataIndexed, x.DataSourceMeta(0, meta, 0))
	e := x.Entries()[0]
	assert.Equal(t, "Camera-1 \x01", e.DataSourceName)
	assert.Equal(t, []string{"RGB", "front"}, e.Tags, "empty tag is no tag (§5.0)")
	assert.Equal(t, uint64(42), e.DataSourceID)

	require.Equal(t, MetadataStale, x.DataSourceAnnounce(0, &wire.DataSourceAnnounce{StreamID: 10000, MetaVersion: 2, Name: "old"}, 1))
	require.Equal(t, MetadataStale, x.DataSourceMeta(0, &wire.DataSourceMeta{StreamID: 10000, MetaVersion: 2}, 1))
	assert.Equal(t, "Camera-1 \x01", e.DataSourceName)
	require.Equal(t, MetadataIndexed, x.DataSourceMeta(0, &wire.DataSourceMeta{StreamID: 10000, MetaVersion: 4,
		Attributes: []wire.Attribute{{Key: TagAttribute, Value: []byte("rgb")}}}, 1))
	assert.Equal(t, []string{"rgb"}, e.Tags, "a newer version replaces the tags")
	assert.Zero(t, e.DataSourceID, "and the id it no longer has")

	for name, m := range map[string]*wire.DataSourceMeta{
		"tag too long":    {StreamID: 10000, MetaVersion: 9, Attributes: []wire.Attribute{{Key: TagAttribute, Value: make([]byte, MaxTagBytes+1)}}},
		"id not a number": {StreamID: 10000, MetaVersion: 9, Attributes: []wire.Attribute{{Key: DataSourceIDAttribute, Value: []byte("0x2a")}}},
		"id the null":     {StreamID: 10000, MetaVersion: 9, Attributes: []wire.Attribute{{Key: DataSourceIDAttribute, Value: []byte("18446744073709551615")}}},
		"too many tags":   {StreamID: 10000, MetaVersion: 9, Attributes: manyTags(MaxTags + 1)},
	} {
		assert.Equal(t, MetadataInvalid, x.DataSourceMeta(0, m, 2), name)
	}
	assert.Equal(t, MetadataInvalid, x.DataSourceAnnounce(0, &wire.DataSourceAnnounce{StreamID: 10000, MetaVersion: 9, Name: string(make([]byte, MaxNameBytes+1))}, 2))
	assert.Equal(t, []string{"rgb"}, e.Tags, "an invalid message changes nothing")
}

func manyTags(n int) []wire.Attribute {
	out := make([]wire.Attribute, n)
	for i := range out {
		out[i] = wire.Attribute{Key: TagAttribute, Value: fmt.Appendf(nil, "t%d", i)}
	}
	return out
}

// §5.2: a result's pool_nslots must equal header_nslots, and v1.x header slots are 256
// bytes: an announce breaking either, or beyond what the clients can hold, is not
// indexed, so no result breaks them.
func TestDiscoverySpec_5_2_AnnouncesAResultCouldNotCarryAreNotIndexed(t *testing.T) {
	x := NewIndex(twoSources, expiry, 100)
	for name, edit := range map[string]func(a *wire.ShmPoolAnnounce){
		"pool_nslots != header_nslots": func(a *wire.ShmPoolAnnounce) { a.PayloadPools[0].PoolNslots = 32 },
		"header_slot_bytes 512":        func(a *wire.ShmPoolAnnounce) { a.HeaderSlotBytes = 512 },
		"too many pools": func(a *wire.ShmPoolAnnounce) {
			for len(a.PayloadPools) <= MaxPools {
				a.PayloadPools = append(a.PayloadPools, a.PayloadPools[0])
			}
		},
		"header URI too long": func(a *wire.ShmPoolAnnounce) { a.HeaderRegionURI = string(make([]byte, MaxURIBytes+1)) },
		"pool URI too long":   func(a *wire.ShmPoolAnnounce) { a.PayloadPools[0].RegionURI = string(make([]byte, MaxURIBytes+1)) },
	} {
		a := announceOf(10000, 1)
		edit(a)
		assert.Equal(t, AnnounceInvalid, x.Announce(0, a, 0), name)
	}
	assert.Zero(t, x.Len())
}

// The index holds at most its maximum of entries; a full index makes room by dropping
// expired entries first, and refuses a new stream only when every entry is live.
func TestIndexBoundsItsEntries(t *testing.T) {
	x := NewIndex(twoSources, expiry, 2)
	x.Announce(0, announceOf(1, 1), 0)
	x.Announce(0, announceOf(2, 1), 0)
	assert.Equal(t, AnnounceTableFull, x.Announce(0, announceOf(3, 1), 1))
	assert.Equal(t, MetadataTableFull, x.DataSourceAnnounce(0, &wire.DataSourceAnnounce{StreamID: 3}, 1))
	assert.Equal(t, AnnounceIndexed, x.Announce(0, announceOf(1, 1), 1), "known streams still refresh")
	assert.Equal(t, AnnounceIndexed, x.Announce(0, announceOf(3, 1), expiry+1), "stream 2 expired and made room")
	assert.Equal(t, []string{"driver-a/1@1", "driver-a/3@1"}, visible(x, expiry+1))
}

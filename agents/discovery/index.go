package discovery

import (
	"slices"
	"strconv"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// Limits a result must keep for the clients (tp's and C's, whose fixed-size structs hold
// them) to take it: an announce or metadata message beyond them is not indexed (the
// clients would ignore such a result), and counted.
const (
	MaxPools        = 16
	MaxTags         = 16
	MaxTagBytes     = 64
	MaxURIBytes     = 1024
	MaxNameBytes    = 256
	maxDataSourceID = 1<<64 - 2 // the null value is absence
)

// Metadata attribute keys the index reads from DataSourceMeta (Wire spec §10.3.2), the
// sources of a result's tags and data_source_id: the wire carries neither in any other
// message. Each attribute keyed "tag" is one tag, its value the tag's bytes; the attribute
// keyed "data_source_id" holds the id in decimal text.
const (
	TagAttribute          = "tag"
	DataSourceIDAttribute = "data_source_id"
)

// Source is a driver whose streams the index holds: the authority its results name
// (Discovery §5.2).
type Source struct {
	DriverInstanceID      string
	DriverControlChannel  string
	DriverControlStreamID uint32
}

// Entry is one stream of one driver (Discovery §6.1: keyed by driver and stream id).
type Entry struct {
	Source   int // index into the Index's sources
	StreamID uint32
	// From the newest ShmPoolAnnounce (§6.4).
	announced       bool
	ProducerID      uint32
	Epoch           uint64
	LayoutVersion   uint32
	HeaderNslots    uint32
	HeaderSlotBytes uint16
	Pools           []wire.PayloadPool
	HeaderRegionURI string
	announceNs      int64
	// From DataSourceAnnounce and DataSourceMeta, by meta_version.
	hasName        bool
	nameVersion    uint32
	DataSourceName string
	hasMeta        bool
	metaVersion    uint32
	DataSourceID   uint64
	Tags           []string
	metaNs         int64
}

// Visible reports whether e may be returned at nowNs: announced, and not expired
// (Discovery §6.2).
func (e *Entry) Visible(nowNs, expiryNs int64) bool {
	return e.announced && nowNs-e.announceNs <= expiryNs
}

// AnnounceVerdict is what the index did with a ShmPoolAnnounce.
type AnnounceVerdict uint8

const (
	// AnnounceIndexed: a new entry, a new epoch, or a refresh of the current one.
	AnnounceIndexed AnnounceVerdict = iota
	// AnnounceEpochRegressed: an older epoch than the live entry's (§6.3), dropped.
	AnnounceEpochRegressed
	// AnnounceInvalid: a layout v1.x forbids or a result the clients could not hold
	// (header_slot_bytes not 256, a pool whose pool_nslots is not header_nslots (§5.2),
	// too many pools, an over-long URI), dropped.
	AnnounceInvalid
	// AnnounceTableFull: a new stream while the index holds its maximum of live entries,
	// dropped.
	AnnounceTableFull
)

// MetadataVerdict is what the index did with a DataSourceAnnounce or DataSourceMeta.
type MetadataVerdict uint8

const (
	MetadataIndexed MetadataVerdict = iota
	// MetadataStale: an older meta_version than the one held.
	MetadataStale
	// MetadataInvalid: a name, tag or id beyond the limits above, or too many tags.
	MetadataInvalid
	// MetadataTableFull: as AnnounceTableFull.
	MetadataTableFull
)

// Index is the provider's soft state (Discovery §6): entries derived from the sources'
// ShmPoolAnnounce and metadata, expiring without announces. It is a pure state machine:
// time comes in with every call. Entries are kept sorted by (source, stream id), the
// order results are returned in.
type Index struct {
	sources    []Source
	expiryNs   int64
	maxEntries int
	entries    []*Entry
	free       []*Entry
}

// NewIndex makes an index of the given sources, whose entries expire expiryNs after their
// last announce and of which at most maxEntries are held.
func NewIndex(sources []Source, expiryNs int64, maxEntries int) *Index {
	return &Index{sources: sources, expiryNs: expiryNs, maxEntries: maxEntries}
}

// Sources are the index's drivers.
func (x *Index) Sources() []Source { return x.sources }

// Len is the number of entries held, visible or not.
func (x *Index) Len() int { return len(x.entries) }

// Entries are the entries held, sorted; they stay valid until the next call that
// changes the index.
func (x *Index) Entries() []*Entry { return x.entries }

// find returns the position of (source, stream) and whether an entry is there.
func (x *Index) find(source int, streamID uint32) (int, bool) {
	return slices.BinarySearchFunc(x.entries, [2]uint64{uint64(source), uint64(streamID)}, func(e *Entry, k [2]uint64) int {
		switch {
		case uint64(e.Source) != k[0]:
			return cmpUint(uint64(e.Source), k[0])
		default:
			return cmpUint(uint64(e.StreamID), k[1])
		}
	})
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// entry returns the entry of (source, stream), making one if there is room (after
// dropping expired ones when full); nil when the index is full.
func (x *Index) entry(source int, streamID uint32, nowNs int64) *Entry {
	i, ok := x.find(source, streamID)
	if ok {
		return x.entries[i]
	}
	if len(x.entries) >= x.maxEntries {
		x.Expire(nowNs)
		if len(x.entries) >= x.maxEntries {
			return nil
		}
		i, _ = x.find(source, streamID)
	}
	var e *Entry
	if n := len(x.free); n > 0 {
		e, x.free = x.free[n-1], x.free[:n-1]
		*e = Entry{Pools: e.Pools[:0], Tags: e.Tags[:0]}
	} else {
		e = &Entry{}
	}
	e.Source, e.StreamID = source, streamID
	x.entries = slices.Insert(x.entries, i, e)
	return e
}

// Announce indexes a ShmPoolAnnounce from source at nowNs: the newest epoch replaces the
// entry (§6.3), the same epoch refreshes it, an older one is dropped while the entry is
// live (an expired entry takes any epoch: the driver restarted, or was gone). Strings are
// kept only when they changed, so a steady announce stores nothing new.
func (x *Index) Announce(source int, a *wire.ShmPoolAnnounce, nowNs int64) AnnounceVerdict {
	if !validLayout(a) {
		return AnnounceInvalid
	}
	e := x.entry(source, a.StreamID, nowNs)
	if e == nil {
		return AnnounceTableFull
	}
	if e.Visible(nowNs, x.expiryNs) && a.Epoch < e.Epoch {
		return AnnounceEpochRegressed
	}
	e.announced, e.announceNs = true, nowNs
	e.ProducerID, e.Epoch, e.LayoutVersion = a.ProducerID, a.Epoch, a.LayoutVersion
	e.HeaderNslots, e.HeaderSlotBytes = a.HeaderNslots, a.HeaderSlotBytes
	e.HeaderRegionURI = keep(e.HeaderRegionURI, a.HeaderRegionURI)
	if len(e.Pools) != len(a.PayloadPools) {
		e.Pools = slices.Grow(e.Pools[:0], len(a.PayloadPools))[:len(a.PayloadPools)]
	}
	for i, p := range a.PayloadPools {
		q := &e.Pools[i]
		q.PoolID, q.PoolNslots, q.StrideBytes = p.PoolID, p.PoolNslots, p.StrideBytes
		q.RegionURI = keep(q.RegionURI, p.RegionURI)
	}
	return AnnounceIndexed
}

// keep returns old when it equals s, so an unchanged string is not stored anew.
func keep(old, s string) string {
	if old == s {
		return old
	}
	return s
}

// validLayout applies the rules a result must keep (Discovery §5.2: pool_nslots equals
// header_nslots; v1.x: 256-byte header slots) and the clients' limits.
func validLayout(a *wire.ShmPoolAnnounce) bool {
	if a.HeaderSlotBytes != shm.HeaderSlotSize || len(a.PayloadPools) > MaxPools || len(a.HeaderRegionURI) > MaxURIBytes {
		return false
	}
	for _, p := range a.PayloadPools {
		if p.PoolNslots != a.HeaderNslots || len(p.RegionURI) > MaxURIBytes {
			return false
		}
	}
	return true
}

// DataSourceAnnounce indexes a stream's name (Wire spec §10.3.1) as announced, byte for
// byte (Discovery §5.1); an older meta_version than the name held is ignored.
func (x *Index) DataSourceAnnounce(source int, d *wire.DataSourceAnnounce, nowNs int64) MetadataVerdict {
	if len(d.Name) > MaxNameBytes {
		return MetadataInvalid
	}
	e := x.entry(source, d.StreamID, nowNs)
	if e == nil {
		return MetadataTableFull
	}
	if e.hasName && d.MetaVersion < e.nameVersion {
		return MetadataStale
	}
	e.hasName, e.nameVersion, e.metaNs = true, d.MetaVersion, nowNs
	e.DataSourceName = keep(e.DataSourceName, d.Name)
	return MetadataIndexed
}

// DataSourceMeta indexes a stream's tags and data_source_id from the attributes keyed
// TagAttribute and DataSourceIDAttribute; a newer meta_version replaces both, an older
// one is ignored. Tags keep their case and order (Discovery §5.2); an empty one is no tag
// (§5.0).
func (x *Index) DataSourceMeta(source int, m *wire.DataSourceMeta, nowNs int64) MetadataVerdict {
	var id uint64
	tags := 0
	for _, a := range m.Attributes {
		switch a.Key {
		case TagAttribute:
			if len(a.Value) > MaxTagBytes {
				return MetadataInvalid
			}
			if len(a.Value) > 0 {
				tags++
			}
		case DataSourceIDAttribute:
			v, err := strconv.ParseUint(string(a.Value), 10, 64)
			if err != nil || v == 0 || v > maxDataSourceID {
				return MetadataInvalid
			}
			id = v
		}
	}
	if tags > MaxTags {
		return MetadataInvalid
	}
	e := x.entry(source, m.StreamID, nowNs)
	if e == nil {
		return MetadataTableFull
	}
	if e.hasMeta && m.MetaVersion < e.metaVersion {
		return MetadataStale
	}
	e.hasMeta, e.metaVersion, e.metaNs, e.DataSourceID = true, m.MetaVersion, nowNs, id
	n := 0
	for _, a := range m.Attributes {
		if a.Key != TagAttribute || len(a.Value) == 0 {
			continue
		}
		if n < len(e.Tags) && e.Tags[n] == string(a.Value) {
			n++
			continue
		}
		e.Tags = append(e.Tags[:n], string(a.Value))
		n++
	}
	e.Tags = e.Tags[:n]
	return MetadataIndexed
}

// Expire ends the visibility of entries whose last announce is older than the expiry
// window (Discovery §6.2: they are not returned from that moment on, swept or not) and
// returns how many it ended; entries with neither a live announce nor recent metadata are
// dropped.
func (x *Index) Expire(nowNs int64) (expired int) {
	kept := x.entries[:0]
	for _, e := range x.entries {
		if e.announced && nowNs-e.announceNs > x.expiryNs {
			e.announced = false
			expired++
		}
		if e.announced || ((e.hasName || e.hasMeta) && nowNs-e.metaNs <= x.expiryNs) {
			kept = append(kept, e)
			continue
		}
		x.free = append(x.free, e)
	}
	clear(x.entries[len(kept):])
	x.entries = kept
	return expired
}

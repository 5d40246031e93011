package tp

import (
	"bytes"
	"sync"

	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// MaxMetadataEntries is how many streams a MetadataCache keeps (the reference C client's
// TP_MAX_METADATA_ENTRIES).
const MaxMetadataEntries = tableCapacity

// MetadataAttribute is one DataSourceMeta item as a cache holds it: the same Attribute
// a producer publishes (Wire §10.3.2).
type MetadataAttribute = Attribute

// MetadataEntry is what a MetadataCache knows about one stream (Wire §10.3).
//
// MetaVersion is the newest meta_version seen for the stream's current epoch, from either
// message. Attributes and TimestampNs always belong to MetaVersion: a DataSourceAnnounce
// of a newer version drops the older attributes (HasMeta turns false) until the
// DataSourceMeta of that version arrives. ProducerID, Epoch, Name and Summary are those of
// the newest DataSourceAnnounce (HasAnnounce).
type MetadataEntry struct {
	StreamID    uint32
	ProducerID  uint32
	Epoch       uint64
	MetaVersion uint32
	TimestampNs uint64
	Name        string
	Summary     string
	Attributes  []MetadataAttribute
	HasAnnounce bool // a DataSourceAnnounce was taken
	HasMeta     bool // Attributes and TimestampNs are those of MetaVersion's DataSourceMeta
}

// Attribute returns the attribute named key (consumers may ignore keys they do not know).
func (e *MetadataEntry) Attribute(key string) (MetadataAttribute, bool) {
	for _, a := range e.Attributes {
		if a.Key == key {
			return a, true
		}
	}
	return MetadataAttribute{}, false
}

// clone is a deep copy: nothing of it aliases e.
func (e *MetadataEntry) clone() MetadataEntry {
	c := *e
	if e.Attributes != nil {
		c.Attributes = make([]MetadataAttribute, len(e.Attributes))
		for i, a := range e.Attributes {
			a.Value = bytes.Clone(a.Value)
			c.Attributes[i] = a
		}
	}
	return c
}

// MetadataCacheStats are a MetadataCache's totals.
type MetadataCacheStats struct {
	// Announces and Metas count the DataSourceAnnounce and DataSourceMeta messages taken.
	Announces, Metas uint64
	// Stale counts messages ignored as older than what the cache holds: a lower
	// meta_version, or an announce of an earlier epoch.
	Stale uint64
	// Malformed counts messages ignored because they failed validation (Err says why).
	Malformed uint64
	// Evicted counts streams dropped to make room for a new one.
	Evicted uint64
}

// MetadataCache keeps the newest DataSourceAnnounce and DataSourceMeta per stream id seen
// on one stream (Wire §10.3), at most MaxMetadataEntries streams; when full, a new stream
// evicts the one updated least recently. Newer meta_version wins, compared with serial
// number arithmetic so the u32 counter may wrap. A DataSourceAnnounce of a later epoch
// (the producer restarted, Wire §15.2) replaces the entry whatever its meta_version, and
// one of an earlier epoch is stale. Other messages sharing the stream are skipped.
//
// Its methods are safe for concurrent use.
type MetadataCache struct {
	client     *Client
	sub        transport.Subscription
	onFragment transport.Handler

	mu      sync.Mutex
	closed  bool
	entries newestTable[MetadataEntry]
	stats   MetadataCacheStats
	err     error
}

// NewMetadataCache subscribes to the metadata messages on channel and streamID.
func (c *Client) NewMetadataCache(channel string, streamID int32) (*MetadataCache, error) {
	m := &MetadataCache{client: c}
	var err error
	if m.sub, m.onFragment, err = c.subscribeMessages(channel, streamID, m.handle); err != nil {
		return nil, err
	}
	if err := c.track(m); err != nil {
		m.sub.Close()
		return nil, err
	}
	return m, nil
}

// Poll reads up to limit fragments and returns how many it read. It never blocks.
func (m *MetadataCache) Poll(limit int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0
	}
	return m.sub.Poll(m.onFragment, limit)
}

// metaNewer orders meta_versions across a wrap of the u32 counter (serial number
// arithmetic): after 0xFFFF_FFFE the count starts again and is still newer.
func metaNewer(v, than uint32) bool { return int32(v-than) > 0 }

// handle takes one message (with m.mu held).
func (m *MetadataCache) handle(msg []byte) {
	h, err := wire.PeekHeader(msg)
	if err != nil {
		m.fail(decodeFailure("metadata message", "Wire §10.3", err))
		return
	}
	switch h.ID() {
	case wire.DataSourceAnnounceID:
		var d wire.DataSourceAnnounce
		if err := d.Decode(msg); err != nil {
			m.fail(decodeFailure("DataSourceAnnounce", "Wire §10.3.1", err))
			return
		}
		m.applyAnnounce(&d)
	case wire.DataSourceMetaID:
		var md wire.DataSourceMeta
		if err := md.Decode(msg); err != nil {
			m.fail(decodeFailure("DataSourceMeta", "Wire §10.3.2", err))
			return
		}
		m.applyMeta(&md)
	}
}

func (m *MetadataCache) fail(err *MessageError) {
	m.stats.Malformed++
	m.err = err
}

// known reports whether the cache holds an entry for streamID with anything in it.
func (m *MetadataCache) known(streamID uint32) (*MetadataEntry, bool) {
	e, ok := m.entries.get(streamID)
	return e, ok && (e.HasAnnounce || e.HasMeta)
}

func (m *MetadataCache) applyAnnounce(d *wire.DataSourceAnnounce) {
	keepMeta := false
	if e, ok := m.known(d.StreamID); ok {
		newEpoch := e.HasAnnounce && d.Epoch > e.Epoch // the producer restarted: start afresh
		if e.HasAnnounce && d.Epoch < e.Epoch || !newEpoch && metaNewer(e.MetaVersion, d.MetaVersion) {
			m.stats.Stale++
			return
		}
		// Attributes of this very version stay; older ones (or another epoch's) go.
		keepMeta = !newEpoch && e.HasMeta && d.MetaVersion == e.MetaVersion
	}
	e, _, evicted := m.entries.slot(d.StreamID)
	if evicted {
		m.stats.Evicted++
	}
	if !keepMeta {
		e.Attributes, e.TimestampNs, e.HasMeta = nil, 0, false
	}
	e.StreamID, e.ProducerID, e.Epoch, e.MetaVersion = d.StreamID, d.ProducerID, d.Epoch, d.MetaVersion
	e.Name, e.Summary, e.HasAnnounce = d.Name, d.Summary, true
	m.stats.Announces++
}

func (m *MetadataCache) applyMeta(md *wire.DataSourceMeta) {
	if e, ok := m.known(md.StreamID); ok && metaNewer(e.MetaVersion, md.MetaVersion) {
		m.stats.Stale++
		return
	}
	e, _, evicted := m.entries.slot(md.StreamID)
	if evicted {
		m.stats.Evicted++
	}
	e.StreamID, e.MetaVersion, e.TimestampNs, e.Attributes, e.HasMeta = md.StreamID, md.MetaVersion, md.TimestampNs, md.Attributes, true
	m.stats.Metas++
}

// Get returns a copy of what the cache holds for streamID; nothing of it is shared with
// the cache.
func (m *MetadataCache) Get(streamID uint32) (MetadataEntry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.known(streamID); ok {
		return e.clone(), true
	}
	return MetadataEntry{}, false
}

// Len returns how many streams the cache holds.
func (m *MetadataCache) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.entries.len()
}

// Stats returns the cache's totals.
func (m *MetadataCache) Stats() MetadataCacheStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

// Err returns and clears the reason the latest malformed message was ignored: a
// *MessageError, matching ErrMalformed.
func (m *MetadataCache) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	err := m.err
	m.err = nil
	return err
}

// Close removes the subscription. Later Polls read nothing; Get still answers.
func (m *MetadataCache) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	err := m.sub.Close()
	m.mu.Unlock()
	m.client.untrack(m)
	return err
}

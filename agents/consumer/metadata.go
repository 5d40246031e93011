package consumer

import (
	"github.com/tensorpool/tensorpool/wire"
)

// newerVersion orders meta_versions across a wrap of the u32 counter (serial number
// arithmetic), so a restarted count after 0xFFFF_FFFE is still newer.
func newerVersion(v, than uint32) bool { return int32(v-than) > 0 }

// applyMetadataMessage decodes a DataSourceAnnounce or DataSourceMeta (id) for this
// stream and keeps it if its meta_version is not older than the one held. A malformed
// one is counted and returned.
func (c *Consumer) applyMetadataMessage(buf []byte, id wire.MessageID) error {
	if id == wire.DataSourceAnnounceID {
		var d wire.DataSourceAnnounce
		if err := d.Decode(buf); err != nil {
			c.counters.MetadataInvalid++
			return err
		}
		if d.StreamID == c.cfg.StreamID && (!c.hasSource || !newerVersion(c.source.MetaVersion, d.MetaVersion)) {
			c.source, c.hasSource = d, true
		}
		return nil
	}
	var md wire.DataSourceMeta
	if err := md.Decode(buf); err != nil {
		c.counters.MetadataInvalid++
		return err
	}
	if md.StreamID == c.cfg.StreamID && (!c.hasMeta || !newerVersion(c.meta.MetaVersion, md.MetaVersion)) {
		c.meta, c.hasMeta = md, true
		c.counters.MetadataUpdates++
	}
	return nil
}

// DataSource returns the latest DataSourceAnnounce for this stream, if any (§10.3.1).
func (c *Consumer) DataSource() (wire.DataSourceAnnounce, bool) { return c.source, c.hasSource }

// Metadata returns the DataSourceMeta with the highest meta_version seen for this stream,
// if any (§10.3.2); a frame's MetaVersion says whether it applies. The attributes are
// shared: do not modify them.
func (c *Consumer) Metadata() (wire.DataSourceMeta, bool) { return c.meta, c.hasMeta }

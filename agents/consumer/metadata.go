package consumer

import (
	"fmt"

	"github.com/tensorpool/tensorpool/wire"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// DataSource is the content of a DataSourceAnnounce (§10.3.1).
type DataSource struct {
	StreamID    uint32
	ProducerID  uint32
	Epoch       uint64
	MetaVersion uint32
	Name        string
	Summary     string
}

// Attribute is one DataSourceMeta item (§10.3.2).
type Attribute struct {
	Key    string
	Format string
	Value  []byte
}

// Metadata is the content of a DataSourceMeta (§10.3.2).
type Metadata struct {
	StreamID    uint32
	MetaVersion uint32
	TimestampNs uint64
	Attributes  []Attribute
}

// Attribute returns the attribute named key; consumers may ignore keys they do not know.
func (m *Metadata) Attribute(key string) (Attribute, bool) {
	for _, a := range m.Attributes {
		if a.Key == key {
			return a, true
		}
	}
	return Attribute{}, false
}

func validateTemplate(buf []byte, name string, template uint16) (wire.Message, error) {
	msg, err := wire.ValidateSchema(buf, wire.ControlSchemaID)
	if err != nil {
		return msg, err
	}
	if msg.TemplateID != template {
		return msg, &wire.DecodeError{Message: name, Problem: fmt.Sprintf("template %d is not a %s", msg.TemplateID, name), Err: wire.ErrUnknownTemplate}
	}
	return msg, nil
}

// DecodeDataSourceAnnounce validates buf (wire.Validate) and decodes it into d; the strings
// are copies.
func DecodeDataSourceAnnounce(buf []byte, d *DataSource) error {
	msg, err := validateTemplate(buf, "DataSourceAnnounce", control.DataSourceAnnounceSbeTemplateID)
	if err != nil {
		return err
	}
	var m control.DataSourceAnnounce
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	*d = DataSource{StreamID: m.StreamId(), ProducerID: m.ProducerId(), Epoch: m.Epoch(), MetaVersion: m.MetaVersion()}
	d.Name = m.GetNameAsString()
	d.Summary = m.GetSummaryAsString()
	return nil
}

// DecodeDataSourceMeta validates buf (wire.Validate) and decodes it into md; keys, formats
// and values are copies.
func DecodeDataSourceMeta(buf []byte, md *Metadata) error {
	msg, err := validateTemplate(buf, "DataSourceMeta", control.DataSourceMetaSbeTemplateID)
	if err != nil {
		return err
	}
	var m control.DataSourceMeta
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	*md = Metadata{StreamID: m.StreamId(), MetaVersion: m.MetaVersion(), TimestampNs: m.TimestampNs()}
	g := m.Attributes()
	md.Attributes = make([]Attribute, 0, g.Count())
	for g.HasNext() {
		g.Next()
		var a Attribute
		a.Key = g.GetKeyAsString()
		a.Format = g.GetFormatAsString()
		a.Value = []byte(g.GetValueAsString())
		md.Attributes = append(md.Attributes, a)
	}
	return nil
}

// newerVersion orders meta_versions across a wrap of the u32 counter (serial number
// arithmetic), so a restarted count after 0xFFFF_FFFE is still newer.
func newerVersion(v, than uint32) bool { return int32(v-than) > 0 }

// applyMetadataMessage decodes a DataSourceAnnounce or DataSourceMeta for this stream and
// keeps it if its meta_version is not older than the one held. A malformed one is counted
// and returned.
func (c *Consumer) applyMetadataMessage(buf []byte, template uint16) error {
	if template == control.DataSourceAnnounceSbeTemplateID {
		var d DataSource
		if err := DecodeDataSourceAnnounce(buf, &d); err != nil {
			c.counters.MetadataInvalid++
			return err
		}
		if d.StreamID == c.cfg.StreamID && (!c.hasSource || !newerVersion(c.source.MetaVersion, d.MetaVersion)) {
			c.source, c.hasSource = d, true
		}
		return nil
	}
	var md Metadata
	if err := DecodeDataSourceMeta(buf, &md); err != nil {
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
func (c *Consumer) DataSource() (DataSource, bool) { return c.source, c.hasSource }

// Metadata returns the DataSourceMeta with the highest meta_version seen for this stream,
// if any (§10.3.2); a frame's MetaVersion says whether it applies. The attributes are
// shared: do not modify them.
func (c *Consumer) Metadata() (Metadata, bool) { return c.meta, c.hasMeta }

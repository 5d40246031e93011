package wire

import (
	"bytes"

	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// DataSourceAnnounce names a stream's data source and summarises its tensors (control
// schema, Wire spec §10.3.1).
type DataSourceAnnounce struct {
	StreamID    uint32
	ProducerID  uint32
	Epoch       uint64
	MetaVersion uint32
	Name        string
	Summary     string
}

const dataSourceAnnounceBlock = int(control.DataSourceAnnounceSbeBlockLength)

var dataSourceAnnounceGate = messageGate(DataSourceAnnounceID)

// EncodedLength is the encoded size, header included.
func (m *DataSourceAnnounce) EncodedLength() int {
	return HeaderLength + dataSourceAnnounceBlock + varLen(len(m.Name)) + varLen(len(m.Summary))
}

// Encode writes m at buf[0:] and returns its length.
func (m *DataSourceAnnounce) Encode(buf []byte) (int, error) {
	const name = "DataSourceAnnounce"
	if err := firstError(checkVar(name, "name", len(m.Name), maxVarLength),
		checkVar(name, "summary", len(m.Summary), maxVarLength)); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(control.DataSourceAnnounceSbeBlockLength, control.DataSourceAnnounceSbeTemplateID, ControlSchemaID, ControlSchemaVersion))
	f := b[HeaderLength:]
	le.PutUint32(f, m.StreamID)
	le.PutUint32(f[4:], m.ProducerID)
	le.PutUint64(f[8:], m.Epoch)
	le.PutUint32(f[16:], m.MetaVersion)
	pos := putVar(b, HeaderLength+dataSourceAnnounceBlock, m.Name)
	putVar(b, pos, m.Summary)
	return n, nil
}

// Decode validates buf and fills m (see the package comment for the errors).
func (m *DataSourceAnnounce) Decode(buf []byte) error {
	h, readable, err := dataSourceAnnounceGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+dataSourceAnnounceBlock]
	*m = DataSourceAnnounce{StreamID: le.Uint32(f), ProducerID: le.Uint32(f[4:]), Epoch: le.Uint64(f[8:]), MetaVersion: le.Uint32(f[16:])}
	var pos int
	m.Name, pos = getVar(buf, HeaderLength+int(h.BlockLength))
	m.Summary, _ = getVar(buf, pos)
	return err
}

// DataSourceMeta carries a stream's versioned metadata attributes (control schema, Wire
// spec §10.3.2).
type DataSourceMeta struct {
	StreamID    uint32
	MetaVersion uint32
	TimestampNs uint64
	Attributes  []Attribute
}

// Attribute is one DataSourceMeta item: a key, the format (MIME type) of its value, e.g.
// "text/plain" or "application/json", and the value's bytes.
type Attribute struct {
	Key    string
	Format string
	Value  []byte
}

// Attribute returns the attribute named key (receivers may ignore keys they do not know).
func (m *DataSourceMeta) Attribute(key string) (Attribute, bool) {
	for _, a := range m.Attributes {
		if a.Key == key {
			return a, true
		}
	}
	return Attribute{}, false
}

const dataSourceMetaBlock = int(control.DataSourceMetaSbeBlockLength)

var dataSourceMetaGate = messageGate(DataSourceMetaID)

// EncodedLength is the encoded size, header included.
func (m *DataSourceMeta) EncodedLength() int {
	n := HeaderLength + dataSourceMetaBlock + groupHeaderLength
	for i := range m.Attributes {
		a := &m.Attributes[i]
		n += varLen(len(a.Key)) + varLen(len(a.Format)) + varLen(len(a.Value))
	}
	return n
}

// Encode writes m at buf[0:] and returns its length.
func (m *DataSourceMeta) Encode(buf []byte) (int, error) {
	const name = "DataSourceMeta"
	if err := checkCount(name, "attributes", len(m.Attributes)); err != nil {
		return 0, err
	}
	for i := range m.Attributes {
		a := &m.Attributes[i]
		if err := firstError(checkVar(name, "attributes.key", len(a.Key), maxVarLength),
			checkVar(name, "attributes.format", len(a.Format), maxVarLength),
			checkVar(name, "attributes.value", len(a.Value), maxVarLength)); err != nil {
			return 0, err
		}
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(control.DataSourceMetaSbeBlockLength, control.DataSourceMetaSbeTemplateID, ControlSchemaID, ControlSchemaVersion))
	f := b[HeaderLength:]
	le.PutUint32(f, m.StreamID)
	le.PutUint32(f[4:], m.MetaVersion)
	le.PutUint64(f[8:], m.TimestampNs)
	// The attributes entries have no fixed block: three var-data fields each.
	pos := putGroup(b, HeaderLength+dataSourceMetaBlock, 0, len(m.Attributes))
	for i := range m.Attributes {
		a := &m.Attributes[i]
		pos = putVar(b, pos, a.Key)
		pos = putVar(b, pos, a.Format)
		pos = putVarBytes(b, pos, a.Value)
	}
	return n, nil
}

// Decode validates buf and fills m (see the package comment for the errors). No attributes
// decode as nil; each value is a copy (nil when empty).
func (m *DataSourceMeta) Decode(buf []byte) error {
	h, readable, err := dataSourceMetaGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+dataSourceMetaBlock]
	*m = DataSourceMeta{StreamID: le.Uint32(f), MetaVersion: le.Uint32(f[4:]), TimestampNs: le.Uint64(f[8:])}
	block, count, pos := getGroup(buf, HeaderLength+int(h.BlockLength))
	if count > 0 {
		m.Attributes = make([]Attribute, count)
	}
	for i := range m.Attributes {
		a := &m.Attributes[i]
		var value []byte
		a.Key, pos = getVar(buf, pos+block)
		a.Format, pos = getVar(buf, pos)
		value, pos = varBytes(buf, pos)
		if len(value) > 0 {
			a.Value = bytes.Clone(value)
		}
	}
	return err
}

// putVarBytes is putVar for a byte slice.
func putVarBytes(buf []byte, pos int, b []byte) int {
	le.PutUint32(buf[pos:], uint32(len(b)))
	return pos + varLengthPrefix + copy(buf[pos+varLengthPrefix:], b)
}

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tensorpool/tensorpool/wire"
)

// decodable is every typed message of package wire.
type decodable interface{ Decode(buf []byte) error }

// messageTypes makes the typed message of every message the tensorpool schemas define:
// control 900, driver 901, bridge 902, merge 903, tracelink 904 and discovery 910. A
// test holds it to the schemas, so a message added to wire cannot be missed here.
var messageTypes = map[wire.MessageID]func() decodable{
	wire.ShmPoolAnnounceID:    func() decodable { return new(wire.ShmPoolAnnounce) },
	wire.ConsumerHelloID:      func() decodable { return new(wire.ConsumerHello) },
	wire.ConsumerConfigID:     func() decodable { return new(wire.ConsumerConfig) },
	wire.FrameDescriptorID:    func() decodable { return new(wire.FrameDescriptor) },
	wire.QosConsumerID:        func() decodable { return new(wire.QosConsumer) },
	wire.QosProducerID:        func() decodable { return new(wire.QosProducer) },
	wire.DataSourceAnnounceID: func() decodable { return new(wire.DataSourceAnnounce) },
	wire.DataSourceMetaID:     func() decodable { return new(wire.DataSourceMeta) },
	wire.ControlResponseID:    func() decodable { return new(wire.ControlResponse) },
	wire.FrameProgressID:      func() decodable { return new(wire.FrameProgress) },

	wire.ShmAttachRequestID:         func() decodable { return new(wire.ShmAttachRequest) },
	wire.ShmAttachResponseID:        func() decodable { return new(wire.ShmAttachResponse) },
	wire.ShmDetachRequestID:         func() decodable { return new(wire.ShmDetachRequest) },
	wire.ShmDetachResponseID:        func() decodable { return new(wire.ShmDetachResponse) },
	wire.ShmLeaseKeepaliveID:        func() decodable { return new(wire.ShmLeaseKeepalive) },
	wire.ShmDriverShutdownID:        func() decodable { return new(wire.ShmDriverShutdown) },
	wire.ShmLeaseRevokedID:          func() decodable { return new(wire.ShmLeaseRevoked) },
	wire.ShmDriverShutdownRequestID: func() decodable { return new(wire.ShmDriverShutdownRequest) },

	wire.BridgeFrameChunkID: func() decodable { return new(wire.BridgeFrameChunk) },

	wire.SequenceMergeMapAnnounceID:  func() decodable { return new(wire.SequenceMergeMapAnnounce) },
	wire.SequenceMergeMapRequestID:   func() decodable { return new(wire.SequenceMergeMapRequest) },
	wire.TimestampMergeMapAnnounceID: func() decodable { return new(wire.TimestampMergeMapAnnounce) },
	wire.TimestampMergeMapRequestID:  func() decodable { return new(wire.TimestampMergeMapRequest) },

	wire.TraceLinkSetID: func() decodable { return new(wire.TraceLinkSet) },

	wire.DiscoveryRequestID:  func() decodable { return new(wire.DiscoveryRequest) },
	wire.DiscoveryResponseID: func() decodable { return new(wire.DiscoveryResponse) },
}

// Kinds of decoded messages.
const (
	kindMessage   = "message"   // decoded; Err may still report an enum value the schema lacks
	kindMalformed = "malformed" // a tensorpool schema's id, but the bytes do not decode
	kindForeign   = "foreign"   // not a message of the tensorpool schemas
)

// wireBoth is the wire version shown for a message whose layout v1.1 and v1.2 share.
const wireBoth = "1.1/1.2"

// decoded is one message as tap prints it.
type decoded struct {
	Kind   string
	Header wire.Header // zero when fewer than 8 bytes arrived
	Length int
	// Name is the message's name in its schema, "" for a foreign message.
	Name string
	// WireVersion is the wire spec layout the block length selected: "1.1" or "1.2" for
	// the five messages whose layout v1.2 changed, wireBoth for the others.
	WireVersion string
	Fields      fields
	// Message is the typed message (nil unless Kind is kindMessage).
	Message any
	Err     error
}

// decodeMessage decodes any bytes that arrive on a stream, as the typed message of wire
// (whose Decode validates first) or as a report of why they are not one. It never
// panics, whatever buf holds.
func decodeMessage(buf []byte) decoded {
	d := decoded{Length: len(buf)}
	h, err := wire.PeekHeader(buf)
	if err != nil {
		d.Kind, d.Err = kindForeign, err
		return d
	}
	d.Header = h
	makeMessage, ok := messageTypes[h.ID()]
	if !ok {
		if _, err := wire.Validate(buf); err != nil {
			d.Err = err
		} else {
			d.Err = fmt.Errorf("template %d of schema %d has no decoder", h.TemplateID, h.SchemaID)
		}
		d.Kind = kindForeign
		if isTensorpoolSchema(h.SchemaID) {
			d.Kind = kindMalformed
		}
		return d
	}
	d.Name = h.ID().String()
	m := makeMessage()
	if err := m.Decode(buf); err != nil && !errors.Is(err, wire.ErrUnknownEnum) {
		d.Kind, d.Err = kindMalformed, err
		return d
	} else if err != nil {
		d.Err = err
	}
	d.Kind, d.Message = kindMessage, m
	d.WireVersion = wireBoth
	if v, ok := wire.VersionOf(h); ok {
		d.WireVersion = v.String()
	}
	d.Fields = fieldsOf(reflect.ValueOf(m).Elem())
	return d
}

func isTensorpoolSchema(id uint16) bool {
	switch id {
	case wire.ControlSchemaID, wire.DriverSchemaID, wire.BridgeSchemaID, wire.MergeSchemaID,
		wire.TraceLinkSchemaID, wire.DiscoverySchemaID:
		return true
	}
	return false
}

// field is one decoded field under its schema name. Value is nil (absent: the field's
// null value), a bool, uint64, int64, string, byteCount, fields (a group entry or
// composite) or []any.
type field struct {
	Name  string
	Value any
}

// fields is a decoded message or group entry, in schema order.
type fields []field

// byteCount stands for a byte field's content, which tap does not print.
type byteCount int

// Fields that only one wire version's layout has (see wire.Version): hidden when the
// message was decoded from the other.
var (
	onlyV1_1 = map[string]bool{"HeaderIndex": true, "MaxDims": true}
	onlyV1_2 = map[string]bool{"TraceID": true, "DesiredNodeID": true, "NodeID": true, "PayloadCrc32c": true}
)

var (
	versionType  = reflect.TypeFor[wire.Version]()
	stringerType = reflect.TypeFor[fmt.Stringer]()
)

// fieldsOf lists a typed message's (or group entry's) exported fields.
func fieldsOf(v reflect.Value) fields {
	t := v.Type()
	hidden := map[string]bool(nil)
	if vf := v.FieldByName("Version"); vf.IsValid() && vf.Type() == versionType {
		hidden = onlyV1_2
		if wire.Version(vf.Uint()) == wire.V1_2 {
			hidden = onlyV1_1
		}
	}
	out := make(fields, 0, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() || sf.Type == versionType || hidden[sf.Name] {
			continue
		}
		out = append(out, field{Name: schemaName(sf.Name), Value: valueOf(v.Field(i))})
	}
	return out
}

// valueOf converts one field. An enum is its schema name (String); an integer at its
// type's null sentinel is absent.
func valueOf(v reflect.Value) any {
	if v.Type().Implements(stringerType) && v.Kind() != reflect.Struct {
		return v.Interface().(fmt.Stringer).String()
	}
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool()
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v.Uint() == math.MaxUint64>>(64-v.Type().Bits()) {
			return nil
		}
		return v.Uint()
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Int() == math.MinInt64>>(64-v.Type().Bits()) {
			return nil
		}
		return v.Int()
	case reflect.String:
		return v.String()
	case reflect.Struct:
		return fieldsOf(v)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return byteCount(v.Len())
		}
		list := make([]any, v.Len())
		for i := range list {
			list[i] = valueOf(v.Index(i))
		}
		return list
	}
	return fmt.Sprint(v.Interface())
}

// schemaName turns a Go field name into the schema's: StreamID → streamId,
// HeaderRegionURI → headerRegionUri.
func schemaName(goName string) string {
	s := strings.NewReplacer("URI", "Uri", "ID", "Id").Replace(goName)
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// appendText writes fs as logfmt: name=value pairs, strings quoted when they hold
// anything but plain characters (so hostile bytes cannot reach a terminal raw), groups
// in brackets, entries in braces.
func (fs fields) appendText(b []byte) []byte {
	for i, f := range fs {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, f.Name...)
		b = append(b, '=')
		b = appendTextValue(b, f.Value)
	}
	return b
}

func appendTextValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, v)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case string:
		return appendTextString(b, v)
	case byteCount:
		return fmt.Appendf(b, "<%d bytes>", int(v))
	case fields:
		b = append(b, '{')
		b = v.appendText(b)
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ' ')
			}
			b = appendTextValue(b, e)
		}
		return append(b, ']')
	}
	return appendTextString(b, fmt.Sprint(v))
}

// appendTextString writes s bare when it is non-empty plain text without spaces, quotes
// or brackets, else quoted with Go's escapes.
func appendTextString(b []byte, s string) []byte {
	plain := s != ""
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"\{}[]`, r) {
			plain = false
			break
		}
	}
	if plain {
		return append(b, s...)
	}
	return strconv.AppendQuote(b, s)
}

// MarshalJSON writes fs as one JSON object in schema order. Absent fields are null; a
// byte field is its length.
func (fs fields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(f.Name)
		b.Write(name)
		b.WriteByte(':')
		if err := writeJSONValue(&b, f.Value); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeJSONValue(b *bytes.Buffer, v any) error {
	if n, ok := v.(byteCount); ok {
		v = map[string]int{"bytes": int(n)}
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(enc)
	return nil
}

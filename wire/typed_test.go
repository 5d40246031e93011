package wire

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// The typed messages against the generated flyweights: every message is decoded from the
// flyweights' sample encodings (codecs_test.go) and must hold, field by field and by name,
// the values the flyweights wrote, and encode back to the same bytes. Field names are the
// schema's, capitalised, with Id and Uri spelled ID and URI.

// typedMessage is what every typed message implements.
type typedMessage interface {
	EncodedLength() int
	Encode(buf []byte) (int, error)
	Decode(buf []byte) error
}

// newTyped returns a fresh typed message for a schema key and message name.
var newTyped = map[string]func() typedMessage{
	"control.ShmPoolAnnounce":         func() typedMessage { return new(ShmPoolAnnounce) },
	"control.ConsumerHello":           func() typedMessage { return new(ConsumerHello) },
	"control.ConsumerConfig":          func() typedMessage { return new(ConsumerConfig) },
	"control.FrameDescriptor":         func() typedMessage { return new(FrameDescriptor) },
	"control.QosConsumer":             func() typedMessage { return new(QosConsumer) },
	"control.QosProducer":             func() typedMessage { return new(QosProducer) },
	"control.DataSourceAnnounce":      func() typedMessage { return new(DataSourceAnnounce) },
	"control.DataSourceMeta":          func() typedMessage { return new(DataSourceMeta) },
	"control.ControlResponse":         func() typedMessage { return new(ControlResponse) },
	"control.FrameProgress":           func() typedMessage { return new(FrameProgress) },
	"driver.ShmAttachRequest":         func() typedMessage { return new(ShmAttachRequest) },
	"driver.ShmAttachResponse":        func() typedMessage { return new(ShmAttachResponse) },
	"driver.ShmDetachRequest":         func() typedMessage { return new(ShmDetachRequest) },
	"driver.ShmDetachResponse":        func() typedMessage { return new(ShmDetachResponse) },
	"driver.ShmLeaseKeepalive":        func() typedMessage { return new(ShmLeaseKeepalive) },
	"driver.ShmDriverShutdown":        func() typedMessage { return new(ShmDriverShutdown) },
	"driver.ShmLeaseRevoked":          func() typedMessage { return new(ShmLeaseRevoked) },
	"driver.ShmDriverShutdownRequest": func() typedMessage { return new(ShmDriverShutdownRequest) },
	"bridge.BridgeFrameChunk":         func() typedMessage { return new(BridgeFrameChunk) },
	"discovery.DiscoveryRequest":      func() typedMessage { return new(DiscoveryRequest) },
	"discovery.DiscoveryResponse":     func() typedMessage { return new(DiscoveryResponse) },
	"merge.SequenceMergeMapAnnounce":  func() typedMessage { return new(SequenceMergeMapAnnounce) },
	"merge.SequenceMergeMapRequest":   func() typedMessage { return new(SequenceMergeMapRequest) },
	"merge.TimestampMergeMapAnnounce": func() typedMessage { return new(TimestampMergeMapAnnounce) },
	"merge.TimestampMergeMapRequest":  func() typedMessage { return new(TimestampMergeMapRequest) },
	"tracelink.TraceLinkSet":          func() typedMessage { return new(TraceLinkSet) },
}

// typedKeys are newTyped's keys in layouts.json order.
func typedKeys(tb testing.TB) []string {
	ls := loadLayouts(tb)
	var keys []string
	for _, key := range schemaOrder {
		for _, m := range ls[key].Messages {
			if newTyped[key+"."+m.Name] != nil {
				keys = append(keys, key+"."+m.Name)
			}
		}
	}
	return keys
}

// typedFieldAliases are the typed fields not named after their schema field: wire v1.2
// renamed FrameProgress.frameId to seq, and the typed field kept its v1.1 name.
var typedFieldAliases = map[string]string{"FrameProgress.seq": "FrameID"}

var goNameParts = regexp.MustCompile(`(Id|Uri)([A-Z]|$)`)

// goName is the typed field of a schema field: streamId → StreamID, regionUri → RegionURI.
func goName(schemaName string) string {
	return goNameParts.ReplaceAllStringFunc(exported(schemaName), func(s string) string {
		if s[0] == 'I' {
			return "ID" + s[2:]
		}
		return "URI" + s[3:]
	})
}

// checkTyped compares the typed value v (a struct) with what the generated decoder dec
// reads, field by field, group entry by entry, var data by var data.
func checkTyped(tb testing.TB, v, dec reflect.Value, b layoutBlock, path string) {
	tb.Helper()
	field := func(name string) reflect.Value {
		goField := goName(name)
		if alias, ok := typedFieldAliases[v.Type().Name()+"."+name]; ok {
			goField = alias
		}
		f := v.FieldByName(goField)
		if !f.IsValid() {
			tb.Fatalf("%s: %s has no field %s", path, v.Type(), goField)
		}
		return f
	}
	for _, f := range b.Fields {
		got, want := field(f.Name), call(dec, exported(f.Name))[0]
		if !sameScalar(got, want) {
			tb.Errorf("%s%s = %v, the flyweight reads %v", path, f.Name, got, want)
		}
	}
	for _, g := range b.Groups {
		got := field(g.Name)
		gd := call(dec, exported(g.Name))[0]
		n := int(call(gd, "Count")[0].Uint())
		if got.Len() != n {
			tb.Errorf("%s%s has %d entries, the flyweight %d", path, g.Name, got.Len(), n)
			continue
		}
		for i := 0; i < n; i++ {
			call(gd, "Next")
			entry := got.Index(i)
			if entry.Kind() == reflect.String { // a group of one var-data field: []string
				if want := call(gd, exported(g.Data[0].Name))[0].String(); entry.String() != want {
					tb.Errorf("%s%s[%d] = %q, the flyweight reads %q", path, g.Name, i, entry.String(), want)
				}
				continue
			}
			if entry.Kind() != reflect.Struct { // a group of one fixed field: []uint64
				if want := call(gd, exported(g.Fields[0].Name))[0]; !sameScalar(entry, want) {
					tb.Errorf("%s%s[%d] = %v, the flyweight reads %v", path, g.Name, i, entry, want)
				}
				continue
			}
			checkTyped(tb, entry, gd, g, fmt.Sprintf("%s%s[%d].", path, g.Name, i))
		}
	}
	for _, d := range b.Data {
		got := field(d.Name)
		want := call(dec, exported(d.Name))[0].String()
		s := got.String()
		if got.Kind() == reflect.Slice {
			s = string(got.Bytes())
		}
		if s != want {
			tb.Errorf("%s%s = %q, the flyweight reads %q", path, d.Name, s, want)
		}
	}
}

// sameScalar compares a typed field with a flyweight getter's value: integers and enums by
// value, bools with the Bool enum (1 is TRUE).
func sameScalar(got, want reflect.Value) bool {
	var w uint64
	switch want.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		w = uint64(want.Int())
	default:
		w = want.Uint()
	}
	switch got.Kind() {
	case reflect.Bool:
		return got.Bool() == (w == 1)
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return uint64(got.Int()) == w
	default:
		return got.Uint() == w
	}
}

// TestTypedMessagesMatchGeneratedCodecs: each typed message decodes the generated codec's
// encoding of sample values to those values, and encodes them back to the same bytes, with
// groups empty and populated (nested groups included).
func TestTypedMessagesMatchGeneratedCodecs(t *testing.T) {
	ls := loadLayouts(t)
	for _, key := range typedKeys(t) {
		schema, name, _ := strings.Cut(key, ".")
		m := findLayout(t, ls, schema, name)
		for _, entries := range []int{0, 2} {
			t.Run(fmt.Sprintf("%s/entries=%d", key, entries), func(t *testing.T) {
				buf := encodeSample(schema, m, int(m.TemplateID), entries)
				msg := newTyped[key]()
				if err := msg.Decode(buf); err != nil {
					t.Fatal(err)
				}
				h, _ := PeekHeader(buf)
				checkTyped(t, reflect.ValueOf(msg).Elem(), wrapForDecode(schema, m, buf, h), m, "")
				if n := msg.EncodedLength(); n != len(buf) {
					t.Fatalf("EncodedLength = %d, the flyweight encoded %d", n, len(buf))
				}
				out := make([]byte, len(buf))
				if n, err := msg.Encode(out); err != nil || n != len(buf) {
					t.Fatalf("Encode = %d, %v", n, err)
				}
				if !bytes.Equal(out, buf) {
					t.Fatalf("Encode differs from the flyweight\n got %x\nwant %x", out, buf)
				}
			})
		}
	}
}

// roundTrip encodes m into a buffer of exactly EncodedLength bytes, checks Encode's
// length, decodes it into a fresh message of the same type and returns that.
func roundTrip(t *testing.T, m typedMessage) typedMessage {
	t.Helper()
	buf := make([]byte, m.EncodedLength())
	n, err := m.Encode(buf)
	if err != nil || n != len(buf) {
		t.Fatalf("%T.Encode = %d, %v; want %d", m, n, err, len(buf))
	}
	got := reflect.New(reflect.TypeOf(m).Elem()).Interface().(typedMessage)
	if err := got.Decode(buf); err != nil {
		t.Fatalf("%T.Decode: %v", m, err)
	}
	return got
}

// checkRoundTrip requires decode(encode(m)) == m.
func checkRoundTrip(t *testing.T, m typedMessage) {
	t.Helper()
	if got := roundTrip(t, m); !reflect.DeepEqual(got, m) {
		t.Fatalf("%T round trip\n got %+v\nwant %+v", m, got, m)
	}
}

func checkEncodeError(t *testing.T, err, sentinel error) *EncodeError {
	t.Helper()
	var ee *EncodeError
	if !errors.As(err, &ee) {
		t.Fatalf("error %v (%T) is not an *EncodeError", err, err)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v does not wrap %v", err, sentinel)
	}
	return ee
}

// TestTypedEncodeShortBuffer: every typed message refuses a buffer one byte short with
// ErrShortBuffer and writes nothing.
func TestTypedEncodeShortBuffer(t *testing.T) {
	ls := loadLayouts(t)
	for _, key := range typedKeys(t) {
		schema, name, _ := strings.Cut(key, ".")
		m := findLayout(t, ls, schema, name)
		msg := newTyped[key]()
		if err := msg.Decode(encodeSample(schema, m, int(m.TemplateID), 2)); err != nil {
			t.Fatal(key, err)
		}
		buf := make([]byte, msg.EncodedLength()-1)
		n, err := msg.Encode(buf)
		checkEncodeError(t, err, ErrShortBuffer)
		if n != 0 || !bytes.Equal(buf, make([]byte, len(buf))) {
			t.Fatalf("%s: wrote into a short buffer (%d)", key, n)
		}
	}
}

// TestTypedDecodeErrors: one case per failure kind, for every typed message: another
// schema, another template, a buffer cut short, a block length below the schema's.
func TestTypedDecodeErrors(t *testing.T) {
	ls := loadLayouts(t)
	for _, key := range typedKeys(t) {
		schema, name, _ := strings.Cut(key, ".")
		m := findLayout(t, ls, schema, name)
		good := encodeSample(schema, m, int(m.TemplateID), 2)
		decode := func(buf []byte) error { return newTyped[key]().Decode(buf) }

		wrongSchema := bytes.Clone(good)
		le.PutUint16(wrongSchema[4:], 999)
		de := asDecodeError(t, decode(wrongSchema), ErrWrongSchema)
		if de.Message != name {
			t.Errorf("%s: wrong schema reported for %q", key, de.Message)
		}

		wrongTemplate := bytes.Clone(good)
		le.PutUint16(wrongTemplate[2:], m.TemplateID+100)
		asDecodeError(t, decode(wrongTemplate), ErrUnknownTemplate)

		for _, n := range []int{0, HeaderLength - 1, HeaderLength, len(good) - 1} {
			asDecodeError(t, decode(good[:n]), ErrShortBuffer)
		}

		shortBlock := bytes.Clone(good)
		le.PutUint16(shortBlock, uint16(m.BlockLength-1))
		asDecodeError(t, decode(shortBlock), ErrBadLength)
	}
}

// shmStructures are the control schema's SHM layouts, package shm's: not messages on the
// wire, so without a typed message here.
var shmStructures = map[string]bool{"control.ShmRegionSuperblock": true, "control.SlotHeader": true, "control.TensorHeader": true}

// TestEveryMessageIsTyped: each message of the schemas has its typed message, and its
// MessageID names it.
func TestEveryMessageIsTyped(t *testing.T) {
	ls := loadLayouts(t)
	for _, key := range schemaOrder {
		s := ls[key]
		for _, m := range s.Messages {
			name := key + "." + m.Name
			if shmStructures[name] {
				continue
			}
			if newTyped[name] == nil {
				t.Errorf("%s has no typed message", name)
			}
			if id := messageID(s.SchemaID, m.TemplateID); id.String() != m.Name || id.SchemaID() != s.SchemaID || id.TemplateID() != m.TemplateID {
				t.Errorf("%s: MessageID %d says %v", name, id, id)
			}
		}
	}
	if got := messageID(ControlSchemaID, 77).String(); got != "MessageID(900:77)" {
		t.Errorf("unknown id prints %q", got)
	}
}

// The exported ids are the schemas' (schema id, template id) pairs.
func TestMessageIDs(t *testing.T) {
	ids := map[MessageID]string{
		ShmPoolAnnounceID: "ShmPoolAnnounce", ConsumerHelloID: "ConsumerHello", ConsumerConfigID: "ConsumerConfig",
		FrameDescriptorID: "FrameDescriptor", QosConsumerID: "QosConsumer", QosProducerID: "QosProducer",
		DataSourceAnnounceID: "DataSourceAnnounce", DataSourceMetaID: "DataSourceMeta", ControlResponseID: "ControlResponse",
		FrameProgressID: "FrameProgress", ShmAttachRequestID: "ShmAttachRequest", ShmAttachResponseID: "ShmAttachResponse",
		ShmDetachRequestID: "ShmDetachRequest", ShmDetachResponseID: "ShmDetachResponse", ShmLeaseKeepaliveID: "ShmLeaseKeepalive",
		ShmDriverShutdownID: "ShmDriverShutdown", ShmLeaseRevokedID: "ShmLeaseRevoked", ShmDriverShutdownRequestID: "ShmDriverShutdownRequest",
		BridgeFrameChunkID: "BridgeFrameChunk", DiscoveryRequestID: "DiscoveryRequest", DiscoveryResponseID: "DiscoveryResponse",
		SequenceMergeMapAnnounceID: "SequenceMergeMapAnnounce", SequenceMergeMapRequestID: "SequenceMergeMapRequest",
		TimestampMergeMapAnnounceID: "TimestampMergeMapAnnounce", TimestampMergeMapRequestID: "TimestampMergeMapRequest",
		TraceLinkSetID: "TraceLinkSet",
	}
	for id, name := range ids {
		if id.String() != name {
			t.Errorf("%v is not %s", id, name)
		}
		h := Header{SchemaID: id.SchemaID(), TemplateID: id.TemplateID()}
		if h.ID() != id {
			t.Errorf("header %+v has ID %v, want %v", h, h.ID(), id)
		}
	}
	// Every typed message's Encode writes a header whose ID is its own.
	for key, newMsg := range newTyped {
		buf := encode(t, newMsg())
		h, _ := PeekHeader(buf)
		if _, name, _ := strings.Cut(key, "."); h.ID().String() != name {
			t.Errorf("%s encodes a header of %v", key, h.ID())
		}
	}
}

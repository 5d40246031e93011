package wire

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/tensorpool/tensorpool/wire/sbe/bridge"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
	"github.com/tensorpool/tensorpool/wire/sbe/discovery"
	"github.com/tensorpool/tensorpool/wire/sbe/driver"
	"github.com/tensorpool/tensorpool/wire/sbe/merge"
	"github.com/tensorpool/tensorpool/wire/sbe/tracelink"
)

// Test support: testdata/layouts.json (field offsets computed with sbe-tool's layout rules,
// independently of this repo) drives reflective encoders/decoders over the generated
// flyweights, so every message of every schema gets the same round-trip and fuzz treatment.

type layoutSchema struct {
	Package  string        `json:"package"`
	SchemaID uint16        `json:"schemaId"`
	Version  uint16        `json:"version"`
	Messages []layoutBlock `json:"messages"`
}

// layoutBlock is a message (TemplateID set) or a group (ID set).
type layoutBlock struct {
	Name        string        `json:"name"`
	ID          int           `json:"id"`
	TemplateID  uint16        `json:"templateId"`
	BlockLength int           `json:"blockLength"`
	Fields      []layoutField `json:"fields"`
	Groups      []layoutBlock `json:"groups"`
	Data        []layoutData  `json:"data"`
	MinLength   int           `json:"minEncodedLengthWithHeader"`
}

type layoutField struct {
	Name   string `json:"name"`
	ID     int    `json:"id"`
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Size   int    `json:"size"`
}

type layoutData struct {
	Name         string `json:"name"`
	ID           int    `json:"id"`
	Type         string `json:"type"`
	LengthPrefix int    `json:"lengthPrefix"`
}

// schemaOrder is the key order of layouts.json (map iteration would be random).
var schemaOrder = []string{"control", "driver", "bridge", "merge", "tracelink", "discovery"}

func loadLayouts(tb testing.TB) map[string]layoutSchema {
	tb.Helper()
	return loadLayoutsFile(tb, "testdata/layouts.json")
}

func loadLayoutsFile(tb testing.TB, path string) map[string]layoutSchema {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var ls map[string]layoutSchema
	if err := json.Unmarshal(raw, &ls); err != nil {
		tb.Fatal(err)
	}
	return ls
}

// newCodec returns a fresh generated flyweight for schema key and message name.
var newCodec = map[string]func() any{
	"control.ShmPoolAnnounce":         func() any { return new(control.ShmPoolAnnounce) },
	"control.ConsumerHello":           func() any { return new(control.ConsumerHello) },
	"control.ConsumerConfig":          func() any { return new(control.ConsumerConfig) },
	"control.FrameDescriptor":         func() any { return new(control.FrameDescriptor) },
	"control.FrameProgress":           func() any { return new(control.FrameProgress) },
	"control.QosConsumer":             func() any { return new(control.QosConsumer) },
	"control.QosProducer":             func() any { return new(control.QosProducer) },
	"control.ShmRegionSuperblock":     func() any { return new(control.ShmRegionSuperblock) },
	"control.SlotHeader":              func() any { return new(control.SlotHeader) },
	"control.TensorHeader":            func() any { return new(control.TensorHeader) },
	"control.DataSourceAnnounce":      func() any { return new(control.DataSourceAnnounce) },
	"control.DataSourceMeta":          func() any { return new(control.DataSourceMeta) },
	"control.ControlResponse":         func() any { return new(control.ControlResponse) },
	"driver.ShmAttachRequest":         func() any { return new(driver.ShmAttachRequest) },
	"driver.ShmAttachResponse":        func() any { return new(driver.ShmAttachResponse) },
	"driver.ShmDetachRequest":         func() any { return new(driver.ShmDetachRequest) },
	"driver.ShmDetachResponse":        func() any { return new(driver.ShmDetachResponse) },
	"driver.ShmLeaseKeepalive":        func() any { return new(driver.ShmLeaseKeepalive) },
	"driver.ShmDriverShutdown":        func() any { return new(driver.ShmDriverShutdown) },
	"driver.ShmLeaseRevoked":          func() any { return new(driver.ShmLeaseRevoked) },
	"driver.ShmDriverShutdownRequest": func() any { return new(driver.ShmDriverShutdownRequest) },
	"bridge.BridgeFrameChunk":         func() any { return new(bridge.BridgeFrameChunk) },
	"discovery.DiscoveryRequest":      func() any { return new(discovery.DiscoveryRequest) },
	"discovery.DiscoveryResponse":     func() any { return new(discovery.DiscoveryResponse) },
	"merge.SequenceMergeMapAnnounce":  func() any { return new(merge.SequenceMergeMapAnnounce) },
	"merge.SequenceMergeMapRequest":   func() any { return new(merge.SequenceMergeMapRequest) },
	"merge.TimestampMergeMapAnnounce": func() any { return new(merge.TimestampMergeMapAnnounce) },
	"merge.TimestampMergeMapRequest":  func() any { return new(merge.TimestampMergeMapRequest) },
	"tracelink.TraceLinkSet":          func() any { return new(tracelink.TraceLinkSet) },
}

// schemaKey maps a schema id to its key in layouts.json and newCodec.
var schemaKey = map[uint16]string{
	ControlSchemaID: "control", DriverSchemaID: "driver", BridgeSchemaID: "bridge", DiscoverySchemaID: "discovery",
	MergeSchemaID: "merge", TraceLinkSchemaID: "tracelink",
}

// codecFor is newCodec's or newCodecV1_2's constructor of the flyweight of message name in
// schema key (a key of layouts.json or of layouts_v1_2.json).
func codecFor(key, name string) func() any {
	if c, ok := newCodec[key+"."+name]; ok {
		return c
	}
	return newCodecV1_2[key+"."+name]
}

func exported(name string) string { return strings.ToUpper(name[:1]) + name[1:] }

// call invokes a generated method by name; a missing method is a test bug or a generator change.
func call(v reflect.Value, method string, args ...any) []reflect.Value {
	m := v.MethodByName(method)
	if !m.IsValid() {
		panic(fmt.Sprintf("%s has no method %s", v.Type(), method))
	}
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		if rv, ok := a.(reflect.Value); ok {
			in[i] = rv
		} else {
			in[i] = reflect.ValueOf(a)
		}
	}
	return m.Call(in)
}

type fieldKind int

const (
	scalarField   fieldKind = iota
	arrayField              // int32[8]: DimsArray, StridesArray
	constantField           // presence="constant": 0 bytes, getter only
)

func kindOf(f layoutField) fieldKind {
	switch {
	case f.Size == 0:
		return constantField
	case strings.HasSuffix(f.Type, "Array"):
		return arrayField
	default:
		return scalarField
	}
}

const arrayLength = 8

// sampleValue is a deterministic value of type t for a field; enums get 1, which every
// enum of the schemas defines.
func sampleValue(t reflect.Type, seed, id int) reflect.Value {
	v := reflect.New(t).Elem()
	x := uint64(seed+1)*0x9E3779B97F4A7C15 ^ uint64(id)*0x100000001B3
	if t.PkgPath() != "" {
		x = 1
	}
	switch t.Kind() {
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(x)
	default:
		v.SetInt(int64(x))
	}
	return v
}

func sampleString(name string, seed int) string {
	return fmt.Sprintf("%s-%d", name, seed)
}

// sampleCount is the number of entries of a group at a given nesting depth.
func sampleCount(entries, depth int) int {
	if entries == 0 {
		return 0
	}
	return entries + depth
}

// fillBlock writes sample values into an encoder positioned on b, in schema order.
func fillBlock(enc reflect.Value, b layoutBlock, seed, entries, depth int) {
	for _, f := range b.Fields {
		switch kindOf(f) {
		case scalarField:
			set := enc.MethodByName("Set" + exported(f.Name))
			set.Call([]reflect.Value{sampleValue(set.Type().In(0), seed, f.ID)})
		case arrayField:
			for i := 0; i < arrayLength; i++ {
				call(enc, "Set"+exported(f.Name)+"Index", uint64(i), int32(seed*100+f.ID*10+i))
			}
		}
	}
	for _, g := range b.Groups {
		n := sampleCount(entries, depth)
		ge := call(enc, exported(g.Name)+"Count", uint16(n))[0]
		for i := 0; i < n; i++ {
			call(ge, "Next")
			fillBlock(ge, g, seed*31+i+1, entries, depth+1)
		}
	}
	for _, d := range b.Data {
		call(enc, "Put"+exported(d.Name), sampleString(d.Name, seed))
	}
}

// sampleLength is the encoded length fillBlock produces, computed from the golden layout.
func sampleLength(b layoutBlock, seed, entries, depth int) int {
	n := b.BlockLength
	for _, g := range b.Groups {
		n += groupHeaderLength
		for i := 0; i < sampleCount(entries, depth); i++ {
			n += sampleLength(g, seed*31+i+1, entries, depth+1)
		}
	}
	for _, d := range b.Data {
		n += d.LengthPrefix + len(sampleString(d.Name, seed))
	}
	return n
}

// checkBlock reads everything fillBlock wrote back through a decoder.
func checkBlock(tb testing.TB, dec reflect.Value, b layoutBlock, path string, seed, entries, depth int) {
	tb.Helper()
	for _, f := range b.Fields {
		switch kindOf(f) {
		case scalarField:
			got := call(dec, exported(f.Name))[0]
			want := sampleValue(got.Type(), seed, f.ID)
			if got.Interface() != want.Interface() {
				tb.Errorf("%s%s = %v, want %v", path, f.Name, got, want)
			}
		case arrayField:
			for i := 0; i < arrayLength; i++ {
				got := call(dec, exported(f.Name)+"Index", uint64(i))[0].Int()
				if want := int64(seed*100 + f.ID*10 + i); got != want {
					tb.Errorf("%s%s[%d] = %d, want %d", path, f.Name, i, got, want)
				}
			}
		case constantField:
			if got := call(dec, exported(f.Name))[0].Uint(); got != arrayLength {
				tb.Errorf("%s%s = %d, want constant %d", path, f.Name, got, arrayLength)
			}
		}
	}
	for _, g := range b.Groups {
		gd := call(dec, exported(g.Name))[0]
		n := sampleCount(entries, depth)
		if got := call(gd, "Count")[0].Uint(); got != uint64(n) {
			tb.Errorf("%s%s count = %d, want %d", path, g.Name, got, n)
			return
		}
		for i := 0; i < n; i++ {
			call(gd, "Next")
			checkBlock(tb, gd, g, fmt.Sprintf("%s%s[%d].", path, g.Name, i), seed*31+i+1, entries, depth+1)
		}
	}
	for _, d := range b.Data {
		if got, want := call(dec, exported(d.Name))[0].String(), sampleString(d.Name, seed); got != want {
			tb.Errorf("%s%s = %q, want %q", path, d.Name, got, want)
		}
	}
}

// encodeSample encodes message m of schema key with header into a new buffer of exactly the
// expected size (so any overrun panics) and returns it.
func encodeSample(key string, m layoutBlock, seed, entries int) []byte {
	buf := make([]byte, HeaderLength+sampleLength(m, seed, entries, 0))
	enc := reflect.ValueOf(codecFor(key, m.Name)())
	call(enc, "WrapAndApplyHeader", buf, uint64(0), uint64(len(buf)))
	fillBlock(enc, m, seed, entries, 0)
	if n := HeaderLength + int(call(enc, "EncodedLength")[0].Uint()); n != len(buf) {
		panic(fmt.Sprintf("%s: encoded %d bytes, layout says %d", m.Name, n, len(buf)))
	}
	return buf
}

// wrapForDecode wraps a decoder on buf as a receiver would, from the validated header.
func wrapForDecode(key string, m layoutBlock, buf []byte, h Header) reflect.Value {
	dec := reflect.ValueOf(codecFor(key, m.Name)())
	call(dec, "WrapForDecode", buf, uint64(HeaderLength), uint64(h.BlockLength), uint64(h.Version), uint64(len(buf)))
	return dec
}

// copyBlock decodes every field, group entry and var-data field of b from dec and encodes it
// into enc. It reports whether the input used the schema's group block lengths, i.e. whether
// re-encoding may reproduce it byte for byte.
func copyBlock(dec, enc reflect.Value, b layoutBlock, in []byte) bool {
	canonical := true
	for _, f := range b.Fields {
		switch kindOf(f) {
		case scalarField:
			call(enc, "Set"+exported(f.Name), call(dec, exported(f.Name))[0])
		case arrayField:
			for i := uint64(0); i < arrayLength; i++ {
				call(enc, "Set"+exported(f.Name)+"Index", i, call(dec, exported(f.Name)+"Index", i)[0])
			}
		case constantField:
			call(dec, exported(f.Name))
		}
	}
	for _, g := range b.Groups {
		pos := call(dec, "SbePosition")[0].Uint()
		if int(in[pos])|int(in[pos+1])<<8 != g.BlockLength {
			canonical = false
		}
		gd := call(dec, exported(g.Name))[0]
		n := call(gd, "Count")[0].Uint()
		ge := call(enc, exported(g.Name)+"Count", uint16(n))[0]
		for i := uint64(0); i < n; i++ {
			call(gd, "Next")
			call(ge, "Next")
			canonical = copyBlock(gd, ge, g, in) && canonical
		}
	}
	for _, d := range b.Data {
		call(enc, "Put"+exported(d.Name), call(dec, exported(d.Name))[0])
	}
	return canonical
}

// reservedTail is the part of a fixed block that no field covers (declared blockLength gaps,
// e.g. SlotHeader 35..60): encoders skip it, so re-encoding cannot reproduce it.
func reservedTail(b layoutBlock) (from, to int) {
	for _, f := range b.Fields {
		from = max(from, f.Offset+f.Size)
	}
	return from, b.BlockLength
}

func findLayout(tb testing.TB, ls map[string]layoutSchema, key, name string) layoutBlock {
	tb.Helper()
	for _, m := range ls[key].Messages {
		if m.Name == name {
			return m
		}
	}
	tb.Fatalf("no message %s.%s in layouts.json", key, name)
	return layoutBlock{}
}

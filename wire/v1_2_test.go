package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	v12bridge "github.com/tensorpool/tensorpool/wire/sbe/v12/bridge"
	v12control "github.com/tensorpool/tensorpool/wire/sbe/v12/control"
	v12driver "github.com/tensorpool/tensorpool/wire/sbe/v12/driver"
)

// The wire v1.2 layouts: testdata/layouts_v1_2.json (the three schemas whose layouts v1.2
// changed, in full, each changed message written out by hand from the reference's schemas at
// b8a2261) against the generated v1.2 flyweights (wire/sbe/v12), the validator's v1.2 table
// and the typed messages, as the v1.1 tests hold the v1.1 layouts to layouts.json.

// v12Order is the key order of layouts_v1_2.json; a key is "v1.2/" and the v1.1 key.
var v12Order = []string{"v1.2/control", "v1.2/driver", "v1.2/bridge"}

func loadLayoutsV1_2(tb testing.TB) map[string]layoutSchema {
	tb.Helper()
	return loadLayoutsFile(tb, "testdata/layouts_v1_2.json")
}

// newCodecV1_2 returns a fresh generated v1.2 flyweight for a layouts_v1_2.json key and name.
var newCodecV1_2 = map[string]func() any{
	"v1.2/control.ShmPoolAnnounce":         func() any { return new(v12control.ShmPoolAnnounce) },
	"v1.2/control.ConsumerHello":           func() any { return new(v12control.ConsumerHello) },
	"v1.2/control.ConsumerConfig":          func() any { return new(v12control.ConsumerConfig) },
	"v1.2/control.FrameDescriptor":         func() any { return new(v12control.FrameDescriptor) },
	"v1.2/control.FrameProgress":           func() any { return new(v12control.FrameProgress) },
	"v1.2/control.QosConsumer":             func() any { return new(v12control.QosConsumer) },
	"v1.2/control.QosProducer":             func() any { return new(v12control.QosProducer) },
	"v1.2/control.ShmRegionSuperblock":     func() any { return new(v12control.ShmRegionSuperblock) },
	"v1.2/control.SlotHeader":              func() any { return new(v12control.SlotHeader) },
	"v1.2/control.TensorHeader":            func() any { return new(v12control.TensorHeader) },
	"v1.2/control.DataSourceAnnounce":      func() any { return new(v12control.DataSourceAnnounce) },
	"v1.2/control.DataSourceMeta":          func() any { return new(v12control.DataSourceMeta) },
	"v1.2/control.ControlResponse":         func() any { return new(v12control.ControlResponse) },
	"v1.2/driver.ShmAttachRequest":         func() any { return new(v12driver.ShmAttachRequest) },
	"v1.2/driver.ShmAttachResponse":        func() any { return new(v12driver.ShmAttachResponse) },
	"v1.2/driver.ShmDetachRequest":         func() any { return new(v12driver.ShmDetachRequest) },
	"v1.2/driver.ShmDetachResponse":        func() any { return new(v12driver.ShmDetachResponse) },
	"v1.2/driver.ShmLeaseKeepalive":        func() any { return new(v12driver.ShmLeaseKeepalive) },
	"v1.2/driver.ShmDriverShutdown":        func() any { return new(v12driver.ShmDriverShutdown) },
	"v1.2/driver.ShmLeaseRevoked":          func() any { return new(v12driver.ShmLeaseRevoked) },
	"v1.2/driver.ShmDriverShutdownRequest": func() any { return new(v12driver.ShmDriverShutdownRequest) },
	"v1.2/bridge.BridgeFrameChunk":         func() any { return new(v12bridge.BridgeFrameChunk) },
}

// changedMessage is a message whose layout wire v1.2 changed: its v1.2 key and layout, and
// its v1.1 layout.
type changedMessage struct {
	key      string // layouts_v1_2.json key, e.g. "v1.2/control"
	schemaID uint16
	v12, v11 layoutBlock
}

// layoutsV1_2Changed are the messages whose layouts_v1_2.json entry differs from layouts.json's.
func layoutsV1_2Changed(tb testing.TB) []changedMessage {
	ls, ls12 := loadLayouts(tb), loadLayoutsV1_2(tb)
	var out []changedMessage
	for _, key := range v12Order {
		for _, m := range ls12[key].Messages {
			old := findLayout(tb, ls, strings.TrimPrefix(key, "v1.2/"), m.Name)
			a, _ := json.Marshal(m)
			b, _ := json.Marshal(old)
			if !bytes.Equal(a, b) {
				out = append(out, changedMessage{key: key, schemaID: ls12[key].SchemaID, v12: m, v11: old})
			}
		}
	}
	return out
}

// layoutOf is the layouts.json or layouts_v1_2.json key and layout of a validated message:
// the layout its block length selects.
func layoutOf(tb testing.TB, ls, ls12 map[string]layoutSchema, msg Message) (string, layoutBlock) {
	tb.Helper()
	key := schemaKey[msg.SchemaID]
	if v, ok := VersionOf(msg.Header); ok && v == V1_2 {
		return "v1.2/" + key, findLayout(tb, ls12, "v1.2/"+key, msg.Name)
	}
	return key, findLayout(tb, ls, key, msg.Name)
}

func TestGeneratedV1_2LayoutsMatchGolden(t *testing.T) {
	ls := loadLayoutsV1_2(t)
	checkGeneratedLayouts(t, ls, v12Order, newCodecV1_2)
	for _, key := range v12Order {
		if v11 := loadLayouts(t)[strings.TrimPrefix(key, "v1.2/")]; ls[key].SchemaID != v11.SchemaID || ls[key].Version != v11.Version || ls[key].Package != v11.Package {
			t.Errorf("%s: schema %d version %d (%s), v1.1 has %d version %d (%s): v1.2 changed neither",
				key, ls[key].SchemaID, ls[key].Version, ls[key].Package, v11.SchemaID, v11.Version, v11.Package)
		}
	}
}

// TestWireSpecV1_2_FiveMessagesChangedLayout: wire v1.2 changed the layouts of exactly
// FrameDescriptor, FrameProgress, ShmAttachRequest, ShmAttachResponse and BridgeFrameChunk;
// the validator has a v1.2 layout for exactly those, matching layouts_v1_2.json.
func TestWireSpecV1_2_FiveMessagesChangedLayout(t *testing.T) {
	var names []string
	for _, c := range layoutsV1_2Changed(t) {
		names = append(names, c.v12.Name)
		l := lookupLayout(c.schemaID, c.v12.TemplateID)
		if l == nil || l.v1_2 == nil {
			t.Errorf("%s: the validator has no v1.2 layout", c.v12.Name)
			continue
		}
		if l.v1_2.version != V1_2 || l.version != V1_1 || l.v1_2.name != l.name {
			t.Errorf("%s: layouts labelled %v/%v, %q/%q", c.v12.Name, l.version, l.v1_2.version, l.name, l.v1_2.name)
		}
		compareBlock(t, &l.v1_2.root, c.v12, "v1.2 "+c.v12.Name)
	}
	sort.Strings(names)
	if want := "BridgeFrameChunk FrameDescriptor FrameProgress ShmAttachRequest ShmAttachResponse"; strings.Join(names, " ") != want {
		t.Errorf("changed in v1.2: %v, want %s", names, want)
	}
	versioned := 0
	for _, l := range layoutIndex {
		if l.v1_2 != nil {
			versioned++
		}
	}
	if versioned != len(names) {
		t.Errorf("%d messages have a v1.2 layout, %d changed", versioned, len(names))
	}
}

// TestRoundTripV1_2Messages is TestRoundTripEveryMessage for the v1.2 layouts: encoded by the
// v1.2 flyweights, they validate with the v1.2 block length, VersionOf says V1_2, and the
// flyweights read every value back.
func TestRoundTripV1_2Messages(t *testing.T) {
	for _, c := range layoutsV1_2Changed(t) {
		m := c.v12
		for _, entries := range []int{0, 2} {
			t.Run(fmt.Sprintf("%s.%s/entries=%d", c.key, m.Name, entries), func(t *testing.T) {
				seed := int(m.TemplateID)
				buf := encodeSample(c.key, m, seed, entries)
				msg, err := ValidateSchema(buf, c.schemaID)
				if err != nil {
					t.Fatal(err)
				}
				want := Message{
					Header: Header{BlockLength: uint16(m.BlockLength), TemplateID: m.TemplateID, SchemaID: c.schemaID, Version: 1},
					Name:   m.Name, Length: len(buf),
				}
				if msg != want {
					t.Fatalf("Validate = %+v, want %+v", msg, want)
				}
				if v, ok := VersionOf(msg.Header); !ok || v != V1_2 {
					t.Fatalf("VersionOf = %v, %v", v, ok)
				}
				checkBlock(t, wrapForDecode(c.key, m, buf, msg.Header), m, "", seed, entries, 0)
				if msg, err := Validate(append(buf, 0xAA, 0xBB)); err != nil || msg.Length != len(buf) {
					t.Fatalf("with trailing bytes: %+v, %v", msg, err)
				}
			})
		}
	}
}

// TestTypedMessagesMatchGeneratedV1_2Codecs: the typed messages decode the v1.2 flyweights'
// encodings to their values with Version V1_2 (the v1.1-only fields 0) and encode them back
// to the same bytes.
func TestTypedMessagesMatchGeneratedV1_2Codecs(t *testing.T) {
	for _, c := range layoutsV1_2Changed(t) {
		m := c.v12
		for _, entries := range []int{0, 2} {
			t.Run(fmt.Sprintf("%s.%s/entries=%d", c.key, m.Name, entries), func(t *testing.T) {
				buf := encodeSample(c.key, m, int(m.TemplateID), entries)
				msg := newTyped[strings.TrimPrefix(c.key, "v1.2/")+"."+m.Name]()
				if err := msg.Decode(buf); err != nil {
					t.Fatal(err)
				}
				v := reflect.ValueOf(msg).Elem()
				if got := v.FieldByName("Version").Interface(); got != V1_2 {
					t.Fatalf("Version = %v", got)
				}
				for _, name := range onlyIn(c.v11, c.v12) {
					if got := v.FieldByName(name); !got.IsZero() {
						t.Errorf("v1.1-only %s = %v after a v1.2 decode", name, got)
					}
				}
				h, _ := PeekHeader(buf)
				checkTyped(t, v, wrapForDecode(c.key, m, buf, h), m, "")
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

// onlyIn returns the typed fields of message a's fields that are none of b's.
func onlyIn(a, b layoutBlock) []string {
	typedField := func(m layoutBlock, f layoutField) string {
		if alias, ok := typedFieldAliases[m.Name+"."+f.Name]; ok {
			return alias
		}
		return goName(f.Name)
	}
	inB := map[string]bool{}
	for _, f := range b.Fields {
		inB[typedField(b, f)] = true
	}
	var only []string
	for _, f := range a.Fields {
		if name := typedField(a, f); !inB[name] {
			only = append(only, name)
		}
	}
	return only
}

// TestV1_1DecodeLeavesV1_2FieldsZero: a v1.1 message decodes with Version V1_1 and its
// v1.2-only fields 0 (neither null nor garbage).
func TestV1_1DecodeLeavesV1_2FieldsZero(t *testing.T) {
	for _, c := range layoutsV1_2Changed(t) {
		key := strings.TrimPrefix(c.key, "v1.2/")
		msg := newTyped[key+"."+c.v11.Name]()
		if err := msg.Decode(encodeSample(key, c.v11, 7, 2)); err != nil {
			t.Fatal(err)
		}
		v := reflect.ValueOf(msg).Elem()
		if got := v.FieldByName("Version").Interface(); got != V1_1 {
			t.Errorf("%s: Version = %v", c.v11.Name, got)
		}
		only := onlyIn(c.v12, c.v11)
		if len(only) == 0 && c.v12.Name != "FrameProgress" {
			t.Errorf("%s: no v1.2-only field", c.v12.Name)
		}
		for _, name := range only {
			if got := v.FieldByName(name); !got.IsZero() {
				t.Errorf("%s: v1.2-only %s = %v after a v1.1 decode", c.v11.Name, name, got)
			}
		}
	}
}

// TestGateValidateMatchesValidateSchemaV1_2 is TestGateValidateMatchesValidateSchema on the
// v1.2 layouts: below the shorter of the two blocks, a block length fails.
func TestGateValidateMatchesValidateSchemaV1_2(t *testing.T) {
	for _, c := range layoutsV1_2Changed(t) {
		checkGateOnMessage(t, c.key, c.schemaID, c.v12, min(c.v11.BlockLength, c.v12.BlockLength))
	}
}

// TestWireSpecV1_2_BlockLengthSelectsTheLayout: v1.2 left schema ids and versions alone, so
// the block length is the only discriminator (see Version for the rules). For every block
// length, VersionOf, Validate, the gate and the typed Decode agree: a v1.1 or v1.2 message
// (its extra bytes skipped) or ErrBadLength.
func TestWireSpecV1_2_BlockLengthSelectsTheLayout(t *testing.T) {
	const reject = -1
	rules := map[string]func(bl int) int{
		"FrameDescriptor":   func(bl int) int { return pick(bl, 36, 40) },
		"ShmAttachRequest":  func(bl int) int { return pick(bl, 24, 27) },
		"ShmAttachResponse": func(bl int) int { return pick(bl, 51, 54) },
		"BridgeFrameChunk":  func(bl int) int { return pick(bl, 41, 53) },
		"FrameProgress": func(bl int) int {
			switch {
			case bl == 29:
				return int(V1_2)
			case bl >= 33:
				return int(V1_1)
			}
			return reject
		},
	}
	changed := layoutsV1_2Changed(t)
	if len(changed) != len(rules) {
		t.Fatalf("%d changed messages, %d rules", len(changed), len(rules))
	}
	for _, c := range changed {
		rule := rules[c.v12.Name]
		key11 := strings.TrimPrefix(c.key, "v1.2/")
		samples := map[Version][]byte{
			V1_1: encodeSample(key11, c.v11, 3, 2),
			V1_2: encodeSample(c.key, c.v12, 3, 2),
		}
		blocks := map[Version]int{V1_1: c.v11.BlockLength, V1_2: c.v12.BlockLength}
		g := mustGate(t, c.schemaID, c.v12.TemplateID)
		for bl := 0; bl <= 0xFFFF; bl++ {
			if bl > 80 && bl != 0xFFFF {
				continue
			}
			want := rule(bl)
			h := Header{BlockLength: uint16(bl), TemplateID: c.v12.TemplateID, SchemaID: c.schemaID, Version: 1}
			v, ok := VersionOf(h)
			if ok != (want != reject) || ok && int(v) != want {
				t.Fatalf("%s block %d: VersionOf = %v, %v; want %d", c.v12.Name, bl, v, ok, want)
			}
			// A buffer of that block length: the selected layout's sample with bytes added
			// after its block, or for a rejected length the v1.1 sample relabelled.
			sample, block := samples[V1_1], blocks[V1_1]
			if want != reject {
				sample, block = samples[Version(want)], blocks[Version(want)]
			}
			buf := append([]byte(nil), sample[:HeaderLength+min(bl, block)]...)
			buf = append(buf, make([]byte, max(bl-block, 0))...)
			buf = append(buf, sample[HeaderLength+block:]...)
			le.PutUint16(buf, uint16(bl))

			msg := newTyped[key11+"."+c.v12.Name]()
			err := msg.Decode(buf)
			n, gerr := g.Validate(buf, h)
			if want == reject {
				de := asDecodeError(t, err, ErrBadLength)
				if de.Field != "messageHeader.blockLength" || n != 0 || !errors.Is(gerr, ErrBadLength) {
					t.Fatalf("%s block %d: %v; gate %d, %v", c.v12.Name, bl, de, n, gerr)
				}
				continue
			}
			if err != nil || gerr != nil || n != len(buf) {
				t.Fatalf("%s block %d: Decode %v; gate %d, %v (want %d, nil)", c.v12.Name, bl, err, n, gerr, len(buf))
			}
			ref := newTyped[key11+"."+c.v12.Name]()
			if err := ref.Decode(sample); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(msg, ref) {
				t.Fatalf("%s block %d decodes as\n%+v, the plain encoding as\n%+v", c.v12.Name, bl, msg, ref)
			}
		}
	}
	// The block length between FrameProgress's two layouts says so.
	buf := readGolden(t, "frame_progress.hex")
	le.PutUint16(buf, 31)
	de := asDecodeError(t, (&FrameProgress{}).Decode(buf), ErrBadLength)
	if de.Problem != "block length 31 is neither v1.2's 29 nor at least v1.1's 33" {
		t.Errorf("%v", de)
	}
}

// pick is the rule of the messages whose v1.2 block (b12) is the longer: from b12 on v1.2,
// from b11 v1.1, below that rejected (-1).
func pick(bl, b11, b12 int) int {
	switch {
	case bl >= b12:
		return int(V1_2)
	case bl >= b11:
		return int(V1_1)
	}
	return -1
}

// TestVersionOfOtherMessages: messages whose layout v1.2 kept, and unknown ids, have no version.
func TestVersionOfOtherMessages(t *testing.T) {
	for _, h := range []Header{
		{BlockLength: 35, TemplateID: 1, SchemaID: ControlSchemaID, Version: 1}, // ShmPoolAnnounce
		{BlockLength: 25, TemplateID: 5, SchemaID: DriverSchemaID, Version: 1},  // ShmLeaseKeepalive
		{BlockLength: 40, TemplateID: 4, SchemaID: DriverSchemaID, Version: 1},  // driver template 4, not FrameDescriptor
		{BlockLength: 12, TemplateID: 4, SchemaID: MergeSchemaID, Version: 1},   // merge template 4
		{BlockLength: 28, TemplateID: 1, SchemaID: TraceLinkSchemaID, Version: 1},
		{BlockLength: 40, TemplateID: 4, SchemaID: 999, Version: 1},
		{BlockLength: 40, TemplateID: 99, SchemaID: ControlSchemaID, Version: 1},
	} {
		if v, ok := VersionOf(h); ok || v != V1_1 {
			t.Errorf("VersionOf(%+v) = %v, %v", h, v, ok)
		}
	}
}

// TestTypedEncodeErrorsBothVersions: each of the five messages refuses a buffer one byte
// short of its version's length, and a Version this package does not speak, with an
// *EncodeError and nothing written; the data-path ones without allocating.
func TestTypedEncodeErrorsBothVersions(t *testing.T) {
	for _, c := range layoutsV1_2Changed(t) {
		key := strings.TrimPrefix(c.key, "v1.2/") + "." + c.v12.Name
		for _, sample := range [][]byte{encodeSample(strings.TrimPrefix(c.key, "v1.2/"), c.v11, 5, 2), encodeSample(c.key, c.v12, 5, 2)} {
			msg := newTyped[key]()
			if err := msg.Decode(sample); err != nil {
				t.Fatal(key, err)
			}
			if msg.EncodedLength() != len(sample) {
				t.Fatalf("%s: EncodedLength %d, encoded %d", key, msg.EncodedLength(), len(sample))
			}
			buf := make([]byte, len(sample)-1)
			n, err := msg.Encode(buf)
			checkEncodeError(t, err, ErrShortBuffer)
			if n != 0 || !bytes.Equal(buf, make([]byte, len(buf))) {
				t.Fatalf("%s: wrote into a short buffer (%d)", key, n)
			}
		}
		msg := newTyped[key]()
		reflect.ValueOf(msg).Elem().FieldByName("Version").Set(reflect.ValueOf(Version(2)))
		buf := make([]byte, 256)
		n, err := msg.Encode(buf)
		ee := checkEncodeError(t, err, ErrUnknownVersion)
		if n != 0 || !bytes.Equal(buf, make([]byte, len(buf))) || ee.Message != c.v12.Name || ee.Field != "Version" {
			t.Fatalf("%s: Version(2) encoded %d bytes, %v", key, n, ee)
		}
	}
}

// TestStampFrameDescriptorBothVersions: the stamp changes timestampNs and nothing else, in
// the layout the descriptor was encoded in.
func TestStampFrameDescriptorBothVersions(t *testing.T) {
	for _, v := range []Version{V1_1, V1_2} {
		d := FrameDescriptor{Version: v, StreamID: 1, Epoch: 2, Seq: 3, TimestampNs: NullU64, MetaVersion: 6}
		if v == V1_2 {
			d.TraceID = 7
		} else {
			d.HeaderIndex = 4
		}
		buf := encode(t, &d)
		StampFrameDescriptor(buf, 77)
		var got FrameDescriptor
		if err := got.Decode(buf); err != nil {
			t.Fatal(err)
		}
		d.TimestampNs = 77
		if got != d {
			t.Errorf("%v: stamped %+v, want %+v", v, got, d)
		}
	}
}

// TestEncodedFrameDescriptorMatchesEncode: a producer's kept descriptor, set up once and
// then given each frame's fields and stamp, holds exactly the bytes Encode writes for the
// same message, in both layouts, whatever the frames before it held.
func TestEncodedFrameDescriptorMatchesEncode(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 21))
	for _, v := range []Version{V1_1, V1_2} {
		var e EncodedFrameDescriptor
		base := FrameDescriptor{Version: v, StreamID: r.Uint32(), Epoch: r.Uint64(), Seq: r.Uint64(),
			HeaderIndex: r.Uint32(), TimestampNs: r.Uint64(), MetaVersion: r.Uint32(), TraceID: r.Uint64()}
		if err := e.Init(&base); err != nil {
			t.Fatal(err)
		}
		for i := range 1000 {
			d := FrameDescriptor{Version: v, StreamID: base.StreamID, Epoch: base.Epoch, Seq: r.Uint64(),
				HeaderIndex: r.Uint32(), TimestampNs: r.Uint64(), MetaVersion: r.Uint32(), TraceID: r.Uint64()}
			if i%7 == 0 {
				d.Seq, d.HeaderIndex, d.TimestampNs, d.MetaVersion, d.TraceID = 0, 0, NullU64, NullU32, 0
			}
			got := e.SetFrame(d.Seq, d.HeaderIndex, d.MetaVersion, d.TraceID)
			e.Stamp(d.TimestampNs)
			if v == V1_2 {
				d.HeaderIndex = 0 // not in the v1.2 layout
			} else {
				d.TraceID = 0 // not in the v1.1 layout
			}
			if want := encode(t, &d); !bytes.Equal(got, want) {
				t.Fatalf("%v frame %d: kept descriptor %x, Encode %x", v, i, got, want)
			}
			var back FrameDescriptor
			if err := back.Decode(got); err != nil || back != d {
				t.Fatalf("%v frame %d: decodes to %+v (%v), want %+v", v, i, back, err, d)
			}
		}
	}
	var e EncodedFrameDescriptor
	if err := e.Init(&FrameDescriptor{Version: 9}); !errors.Is(err, ErrUnknownVersion) {
		t.Fatalf("Init of version 9: %v, want ErrUnknownVersion", err)
	}
}

// TestEncodeDescriptorMatchesCodecV1_2 is TestEncodeDescriptorMatchesCodec for the v1.2
// layout, and the same for FrameProgress in both layouts: the typed stores write exactly the
// generated flyweights' bytes, every byte of them.
func TestEncodeDescriptorMatchesCodecV1_2(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 1000 {
		d := FrameDescriptor{Version: V1_2, StreamID: r.Uint32(), Epoch: r.Uint64(), Seq: r.Uint64(),
			TimestampNs: r.Uint64(), MetaVersion: r.Uint32(), TraceID: r.Uint64()}
		if i == 0 {
			d = FrameDescriptor{Version: V1_2}
		}
		want := make([]byte, FrameDescriptorLengthV1_2)
		var m v12control.FrameDescriptor
		m.WrapAndApplyHeader(want, 0, uint64(len(want))).SetStreamId(d.StreamID).SetEpoch(d.Epoch).SetSeq(d.Seq).
			SetTimestampNs(d.TimestampNs).SetMetaVersion(d.MetaVersion).SetTraceId(d.TraceID)
		checkStores(t, &d, want)

		p := FrameProgress{Version: V1_2, StreamID: r.Uint32(), Epoch: r.Uint64(), FrameID: r.Uint64(),
			PayloadBytesFilled: r.Uint64(), State: FrameProgressState(r.IntN(4))}
		want = make([]byte, FrameProgressLengthV1_2)
		var fp v12control.FrameProgress
		fp.WrapAndApplyHeader(want, 0, uint64(len(want))).SetStreamId(p.StreamID).SetEpoch(p.Epoch).SetSeq(p.FrameID).
			SetPayloadBytesFilled(p.PayloadBytesFilled).SetState(v12control.FrameProgressState(p.State))
		checkStores(t, &p, want)
	}
}

// checkStores encodes m over 0xA5 bytes and requires exactly want, and that it decodes back.
func checkStores(t *testing.T, m typedMessage, want []byte) {
	t.Helper()
	got := bytes.Repeat([]byte{0xA5}, len(want))
	if n, err := m.Encode(got); err != nil || n != len(want) || !bytes.Equal(got, want) {
		t.Fatalf("%+v: wrote %d bytes (%v)\n got %x\nwant %x", m, n, err, got, want)
	}
	back := reflect.New(reflect.TypeOf(m).Elem()).Interface().(typedMessage)
	if err := back.Decode(got); err != nil || !reflect.DeepEqual(back, m) {
		t.Fatalf("%+v does not decode back: %+v, %v", m, back, err)
	}
}

// TestWireSpecV1_2_DescriptorLayouts: the same descriptor in both layouts, each the golden
// vector of its version, and a field of the other version never encoded.
func TestWireSpecV1_2_DescriptorLayouts(t *testing.T) {
	d := FrameDescriptor{StreamID: 10000, Epoch: 3, Seq: 0x0102030405060708, HeaderIndex: 5,
		TimestampNs: 1700000000123456789, MetaVersion: NullU32, TraceID: 0x1122334455667788}
	v11 := d
	v11.TraceID = 0
	if got := encode(t, &v11); !bytes.Equal(got, readGolden(t, "frame_descriptor.hex")) {
		t.Errorf("v1.1 encoding %x", got)
	}
	v12 := d
	v12.Version, v12.HeaderIndex = V1_2, 0
	if got := encode(t, &v12); !bytes.Equal(got, readGolden(t, "frame_descriptor_v1_2.hex")) {
		t.Errorf("v1.2 encoding %x", got)
	}
	// A v1.2 encoder leaves HeaderIndex out, a v1.1 encoder TraceID: both fields are ignored.
	v12.HeaderIndex, v11.TraceID = 9, 9
	if !bytes.Equal(encode(t, &v12), readGolden(t, "frame_descriptor_v1_2.hex")) ||
		!bytes.Equal(encode(t, &v11), readGolden(t, "frame_descriptor.hex")) {
		t.Error("a field of the other version was encoded")
	}
}

// The data-path codecs in the v1.2 layout (the v1.1 ones: BenchmarkEncodeFrameDescriptor,
// ... in control_codec_test.go).

func BenchmarkEncodeFrameDescriptorV1_2(b *testing.B) {
	d := FrameDescriptor{Version: V1_2, StreamID: 1, Epoch: 2, TimestampNs: 5, MetaVersion: NullU32, TraceID: 6}
	var buf [FrameDescriptorLengthV1_2]byte
	b.ReportAllocs()
	for b.Loop() {
		d.Seq++
		if _, err := d.Encode(buf[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFrameDescriptorV1_2(b *testing.B) {
	d := FrameDescriptor{Version: V1_2, StreamID: 1, Epoch: 2, Seq: 3, TimestampNs: 5, MetaVersion: NullU32, TraceID: 6}
	var buf [FrameDescriptorLengthV1_2]byte
	if _, err := d.Encode(buf[:]); err != nil {
		b.Fatal(err)
	}
	var got FrameDescriptor
	b.ReportAllocs()
	for b.Loop() {
		if err := got.Decode(buf[:]); err != nil {
			b.Fatal(err)
		}
	}
	if got != d {
		b.Fatalf("decoded %+v", got)
	}
}

func BenchmarkEncodeFrameProgressV1_2(b *testing.B) {
	p := FrameProgress{Version: V1_2, StreamID: 1, Epoch: 2, PayloadBytesFilled: 5, State: ProgressStateProgress}
	var buf [FrameProgressLengthV1_2]byte
	b.ReportAllocs()
	for b.Loop() {
		p.FrameID++
		if _, err := p.Encode(buf[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFrameProgressV1_2(b *testing.B) {
	p := FrameProgress{Version: V1_2, StreamID: 1, Epoch: 2, FrameID: 3, PayloadBytesFilled: 5, State: ProgressStateProgress}
	var buf [FrameProgressLengthV1_2]byte
	if _, err := p.Encode(buf[:]); err != nil {
		b.Fatal(err)
	}
	var got FrameProgress
	b.ReportAllocs()
	for b.Loop() {
		if err := got.Decode(buf[:]); err != nil {
			b.Fatal(err)
		}
	}
	if got != p {
		b.Fatalf("decoded %+v", got)
	}
}

// TestDataPathDecodeOverwritesEveryField: FrameDescriptor and FrameProgress decode field by
// field, so a message reused across frames must come out the same as a fresh one, whichever
// version it held before.
func TestDataPathDecodeOverwritesEveryField(t *testing.T) {
	for _, name := range []string{"frame_descriptor.hex", "frame_descriptor_v1_2.hex", "frame_progress.hex", "frame_progress_v1_2.hex"} {
		buf := readGolden(t, name)
		fresh, reused := newTypedFor(t, buf), newTypedFor(t, buf)
		v := reflect.ValueOf(reused).Elem()
		for i := range v.NumField() {
			f := v.Field(i)
			f.SetUint(^uint64(0) >> (64 - 8*f.Type().Size()) & 0x5A5A5A5A5A5A5A5B)
		}
		if err := fresh.Decode(buf); err != nil {
			t.Fatal(name, err)
		}
		if err := reused.Decode(buf); err != nil {
			t.Fatal(name, err)
		}
		if !reflect.DeepEqual(fresh, reused) {
			t.Errorf("%s: a reused message decodes as %+v, a fresh one as %+v", name, reused, fresh)
		}
	}
}

// newTypedFor is a fresh typed message of the kind buf's header names.
func newTypedFor(t *testing.T, buf []byte) typedMessage {
	t.Helper()
	h, err := PeekHeader(buf)
	if err != nil {
		t.Fatal(err)
	}
	for key, newMsg := range newTyped {
		if _, name, _ := strings.Cut(key, "."); name == h.ID().String() && schemaKey[h.SchemaID] == strings.Split(key, ".")[0] {
			return newMsg()
		}
	}
	t.Fatalf("no typed message for %v", h.ID())
	return nil
}

// TestFrameDescriptorDecodeFastPathIsTheGates: Decode's word compare for the two layouts
// this package writes decides exactly as the gate does, whatever the buffer: every byte
// of both layouts' headers changed, every length around theirs, every schema version.
func TestFrameDescriptorDecodeFastPathIsTheGates(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 21))
	var bufs [][]byte
	for _, v := range []Version{V1_1, V1_2} {
		d := FrameDescriptor{Version: v, StreamID: r.Uint32(), Epoch: r.Uint64(), Seq: r.Uint64(),
			HeaderIndex: r.Uint32(), TimestampNs: r.Uint64(), MetaVersion: r.Uint32(), TraceID: r.Uint64()}
		if v == V1_2 {
			d.HeaderIndex = 0
		}
		enc := encode(t, &d)
		for n := 0; n <= len(enc)+8; n++ {
			b := make([]byte, n)
			copy(b, enc)
			bufs = append(bufs, b)
		}
		for off := range HeaderLength {
			for _, x := range []byte{0x01, 0x04, 0x08, 0x80, 0xFF} {
				b := append([]byte(nil), enc...)
				b[off] ^= x
				bufs = append(bufs, b, append(b, make([]byte, 8)...))
			}
		}
		for _, block := range []uint16{0, 35, 36, 37, 39, 40, 41, 44, 48, 0xFFFF} {
			b := append(append([]byte(nil), enc...), make([]byte, 8)...)
			le.PutUint16(b, block)
			bufs = append(bufs, b, b[:len(enc)])
		}
		for _, version := range []uint16{0, 1, 2, 3, 0xFFFF} {
			b := append([]byte(nil), enc...)
			le.PutUint16(b[6:], version)
			bufs = append(bufs, b)
		}
	}
	for i, b := range bufs {
		var fast, gated FrameDescriptor
		errFast, errGated := fast.Decode(b), gated.decodeGated(b)
		if fast != gated || (errFast == nil) != (errGated == nil) || (errFast != nil && errFast.Error() != errGated.Error()) {
			t.Fatalf("buffer %d %x: Decode %+v (%v), the gate's %+v (%v)", i, b, fast, errFast, gated, errGated)
		}
	}
}

// TestPeekIDMatchesPeekHeader: the inlined id read agrees with PeekHeader's header, and
// refuses what it refuses.
func TestPeekIDMatchesPeekHeader(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 4))
	for n := range 2 * HeaderLength {
		for range 50 {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			id, ok := PeekID(b)
			h, err := PeekHeader(b)
			if ok != (err == nil) || (ok && id != h.ID()) {
				t.Fatalf("%x: PeekID %v %v, PeekHeader %+v (id %v) %v", b, id, ok, h, h.ID(), err)
			}
		}
	}
	if id, _ := PeekID(encode(t, &FrameDescriptor{})); id != FrameDescriptorID {
		t.Fatalf("PeekID of a FrameDescriptor: %v", id)
	}
}

// FuzzFrameDescriptorDecodeFastPathIsTheGates: whatever the bytes, Decode's word compare
// and the gate's decode agree on the result and on whether it is an error.
func FuzzFrameDescriptorDecodeFastPathIsTheGates(f *testing.F) {
	for _, v := range []Version{V1_1, V1_2} {
		d := FrameDescriptor{Version: v, StreamID: 7, Epoch: 3, Seq: 41, TimestampNs: 1e9, MetaVersion: 2, TraceID: 9}
		if v == V1_1 {
			d.HeaderIndex, d.TraceID = 5, 0
		}
		buf := make([]byte, FrameDescriptorMaxLength)
		n, err := d.Encode(buf)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(buf[:n])
	}
	f.Fuzz(func(t *testing.T, buf []byte) {
		var fast, gated FrameDescriptor
		errFast, errGated := fast.Decode(buf), gated.decodeGated(buf)
		if (errFast == nil) != (errGated == nil) {
			t.Fatalf("Decode: %v, the gate: %v", errFast, errGated)
		}
		if errFast == nil && fast != gated {
			t.Fatalf("Decode %+v, the gate %+v", fast, gated)
		}
	})
}

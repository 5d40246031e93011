package wire

import (
	"reflect"
	"testing"
)

// TestGeneratedLayoutsMatchGolden checks every generated codec against testdata/layouts.json:
// schema id and version, template id, block lengths (messages and groups), field ids, offsets
// and sizes, group ids and var-data length prefixes.
func TestGeneratedLayoutsMatchGolden(t *testing.T) {
	checkGeneratedLayouts(t, loadLayouts(t), schemaOrder, newCodec)
}

// checkGeneratedLayouts checks the generated codecs (codecs) of the schemas ls holds, in order.
func checkGeneratedLayouts(t *testing.T, ls map[string]layoutSchema, order []string, codecs map[string]func() any) {
	count := 0
	for _, key := range order {
		s := ls[key]
		for _, m := range s.Messages {
			newMsg, ok := codecs[key+"."+m.Name]
			if !ok {
				t.Errorf("%s.%s: no generated codec registered", key, m.Name)
				continue
			}
			count++
			codec := reflect.ValueOf(newMsg())
			for method, want := range map[string]uint64{
				"SbeSchemaId":      uint64(s.SchemaID),
				"SbeSchemaVersion": uint64(s.Version),
				"SbeTemplateId":    uint64(m.TemplateID),
				"SbeBlockLength":   uint64(m.BlockLength),
			} {
				if got := call(codec, method)[0].Uint(); got != want {
					t.Errorf("%s.%s.%s() = %d, want %d", key, m.Name, method, got, want)
				}
			}
			checkBlockLayout(t, codec, m, key+"."+m.Name)
			minLen := HeaderLength + sampleLength(m, 0, 0, 0) - sampleStringsLength(m, 0)
			if minLen != m.MinLength {
				t.Errorf("%s.%s: minimum encoded length %d, want %d", key, m.Name, minLen, m.MinLength)
			}
		}
	}
	if count != len(codecs) {
		t.Errorf("the layouts have %d messages, %d codecs registered", count, len(codecs))
	}
}

// sampleStringsLength is the var-data bytes (without prefixes) at the top level of a message
// with empty groups.
func sampleStringsLength(m layoutBlock, seed int) int {
	n := 0
	for _, d := range m.Data {
		n += len(sampleString(d.Name, seed))
	}
	return n
}

func checkBlockLayout(t *testing.T, codec reflect.Value, b layoutBlock, path string) {
	t.Helper()
	for _, f := range b.Fields {
		name := exported(f.Name)
		if got := int(call(codec, name+"EncodingOffset")[0].Uint()); got != f.Offset {
			t.Errorf("%s.%s offset = %d, want %d", path, f.Name, got, f.Offset)
		}
		if got := int(call(codec, name+"EncodingLength")[0].Int()); got != f.Size {
			t.Errorf("%s.%s size = %d, want %d", path, f.Name, got, f.Size)
		}
		if got := int(call(codec, name+"Id")[0].Int()); got != f.ID {
			t.Errorf("%s.%s id = %d, want %d", path, f.Name, got, f.ID)
		}
	}
	for _, g := range b.Groups {
		if got := int(call(codec, exported(g.Name)+"Id")[0].Int()); got != g.ID {
			t.Errorf("%s.%s group id = %d, want %d", path, g.Name, got, g.ID)
		}
		// The group accessor's result type is the group codec; a zero one answers layout questions.
		group := reflect.New(codec.MethodByName(exported(g.Name)).Type().Out(0).Elem())
		if got := int(call(group, "SbeBlockLength")[0].Uint()); got != g.BlockLength {
			t.Errorf("%s.%s group block length = %d, want %d", path, g.Name, got, g.BlockLength)
		}
		if got := int(call(group, "SbeHeaderSize")[0].Uint()); got != groupHeaderLength {
			t.Errorf("%s.%s group header = %d bytes, want %d", path, g.Name, got, groupHeaderLength)
		}
		checkBlockLayout(t, group, g, path+"."+g.Name)
	}
	for _, d := range b.Data {
		name := exported(d.Name)
		if got := int(call(codec, name+"Id")[0].Uint()); got != d.ID {
			t.Errorf("%s.%s data id = %d, want %d", path, d.Name, got, d.ID)
		}
		if got := int(call(codec, name+"HeaderLength")[0].Uint()); got != d.LengthPrefix {
			t.Errorf("%s.%s length prefix = %d, want %d", path, d.Name, got, d.LengthPrefix)
		}
	}
}

// TestValidatorTableMatchesGolden checks the validator's shape table against layouts.json:
// the same messages, block lengths, groups and var-data fields in the same order, and an enum
// check at the offset of every enum-typed field.
func TestValidatorTableMatchesGolden(t *testing.T) {
	ls := loadLayouts(t)
	total := 0
	for _, s := range schemas {
		golden := ls[schemaKey[s.id]]
		if golden.SchemaID != s.id || golden.Package != s.pkg {
			t.Errorf("schema %d (%s): golden has %d (%s)", s.id, s.pkg, golden.SchemaID, golden.Package)
		}
		if len(golden.Messages) != len(s.messages) {
			t.Errorf("schema %d: %d messages in the table, %d in golden", s.id, len(s.messages), len(golden.Messages))
		}
		for _, gm := range golden.Messages {
			l := lookupLayout(s.id, gm.TemplateID)
			if l == nil || l.name != gm.Name {
				t.Errorf("schema %d template %d: table has %v, want %s", s.id, gm.TemplateID, l, gm.Name)
				continue
			}
			total++
			compareBlock(t, &l.root, gm, gm.Name)
		}
	}
	if total != len(layoutIndex) {
		t.Errorf("table has %d messages, golden matched %d", len(layoutIndex), total)
	}
}

// isEnumType: layouts.json names enums by their type; primitives, aliases and arrays differ.
func isEnumType(f layoutField) bool {
	switch f.Type {
	case "uint8", "uint16", "uint32", "uint64", "int32", "int64", "epoch_t", "seq_t", "version_t", "lease_id_t":
		return false
	}
	return kindOf(f) == scalarField
}

func compareBlock(t *testing.T, b *block, g layoutBlock, path string) {
	t.Helper()
	if b.blockLength != g.BlockLength {
		t.Errorf("%s: block length %d, want %d", path, b.blockLength, g.BlockLength)
	}
	var wantEnums []layoutField
	for _, f := range g.Fields {
		if isEnumType(f) {
			wantEnums = append(wantEnums, f)
		}
	}
	if len(b.enums) != len(wantEnums) {
		t.Errorf("%s: %d enum checks, want %d (%v)", path, len(b.enums), len(wantEnums), wantEnums)
	} else {
		for i, f := range wantEnums {
			e := b.enums[i]
			if e.name != f.Name || e.offset != f.Offset || e.size != f.Size {
				t.Errorf("%s: enum %s@%d/%d, want %s@%d/%d", path, e.name, e.offset, e.size, f.Name, f.Offset, f.Size)
			}
		}
	}
	if len(b.groups) != len(g.Groups) {
		t.Errorf("%s: %d groups, want %d", path, len(b.groups), len(g.Groups))
	} else {
		for i := range g.Groups {
			if b.groups[i].name != g.Groups[i].Name {
				t.Errorf("%s: group %d is %s, want %s", path, i, b.groups[i].name, g.Groups[i].Name)
			}
			compareBlock(t, &b.groups[i], g.Groups[i], path+"."+g.Groups[i].Name)
		}
	}
	if len(b.data) != len(g.Data) {
		t.Errorf("%s: %d var-data fields, want %d", path, len(b.data), len(g.Data))
	} else {
		for i, d := range g.Data {
			if b.data[i].name != d.Name {
				t.Errorf("%s: var data %d is %s, want %s", path, i, b.data[i].name, d.Name)
			}
		}
	}
}

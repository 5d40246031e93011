package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// One fuzz target per schema (both layouts of the five messages wire v1.2 changed). Property: Validate never panics and fails only with a
// *DecodeError wrapping a sentinel; when it accepts a message (ErrUnknownEnum included, whose
// structure is sound), the generated flyweight reads every field, group entry and var-data field
// without panicking, and re-encoding what it read gives a valid message of the same kind that
// is byte-identical to the input when the input used the schema's block lengths and version
// (reserved block tails excepted), and is a fixed point of decode+encode otherwise.

func FuzzDecodeControl(f *testing.F)   { fuzzDecode(f, ControlSchemaID) }
func FuzzDecodeDriver(f *testing.F)    { fuzzDecode(f, DriverSchemaID) }
func FuzzDecodeBridge(f *testing.F)    { fuzzDecode(f, BridgeSchemaID) }
func FuzzDecodeMerge(f *testing.F)     { fuzzDecode(f, MergeSchemaID) }
func FuzzDecodeTraceLink(f *testing.F) { fuzzDecode(f, TraceLinkSchemaID) }
func FuzzDecodeDiscovery(f *testing.F) { fuzzDecode(f, DiscoverySchemaID) }

var sentinels = []error{ErrShortBuffer, ErrWrongSchema, ErrUnknownTemplate, ErrBadLength, ErrUnknownEnum}

func fuzzDecode(f *testing.F, schemaID uint16) {
	ls, ls12 := loadLayouts(f), loadLayoutsV1_2(f)
	version := ls[schemaKey[schemaID]].Version
	f.Fuzz(func(t *testing.T, in []byte) {
		msg, err := ValidateSchema(in, schemaID)
		if err != nil {
			checkErrorShape(t, err)
			if !errors.Is(err, ErrUnknownEnum) {
				return
			}
		}
		// The layout the block length selects, and its generated codec.
		key, m := layoutOf(t, ls, ls12, msg)

		out, canonical := reencode(key, m, in, msg.Header)
		again, err2 := ValidateSchema(out, schemaID)
		if errors.Is(err, ErrUnknownEnum) != errors.Is(err2, ErrUnknownEnum) || (err2 != nil && !errors.Is(err2, ErrUnknownEnum)) {
			t.Fatalf("re-encoded %s does not validate like the input: %v (input: %v)", msg.Name, err2, err)
		}
		if again.Name != msg.Name || again.Length != len(out) || len(out) > msg.Length {
			t.Fatalf("re-encoded %+v from %+v (%d bytes)", again, msg, len(out))
		}
		if canonical && int(msg.BlockLength) == m.BlockLength && msg.Version == version {
			copyReservedTail(m, out, in)
			if !bytes.Equal(out, in[:msg.Length]) {
				t.Fatalf("%s re-encodes differently\n in %x\nout %x", msg.Name, in[:msg.Length], out)
			}
		}
		twice, canonical := reencode(key, m, out, again.Header)
		copyReservedTail(m, twice, out)
		if !canonical || !bytes.Equal(twice, out) {
			t.Fatalf("%s: decode+encode is not a fixed point\n once %x\ntwice %x", msg.Name, out, twice)
		}
		if err == nil {
			// String() walks everything again; it panics only on enum values Validate rejects.
			_ = call(wrapForDecode(key, m, in, msg.Header), "String")
		}
	})
}

func checkErrorShape(t *testing.T, err error) {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps no sentinel", err)
}

// reencode decodes the validated message in with the generated decoder and encodes every value
// with the generated encoder, returning the new encoding.
func reencode(key string, m layoutBlock, in []byte, h Header) (out []byte, canonical bool) {
	dec := wrapForDecode(key, m, in, h)
	out = make([]byte, len(in))
	enc := reflect.ValueOf(codecFor(key, m.Name)())
	call(enc, "WrapAndApplyHeader", out, uint64(0), uint64(len(out)))
	canonical = copyBlock(dec, enc, m, in)
	return out[:HeaderLength+int(call(enc, "EncodedLength")[0].Uint())], canonical
}

// copyReservedTail copies the bytes no field covers at the end of the message's own block.
func copyReservedTail(m layoutBlock, dst, src []byte) {
	from, to := reservedTail(m)
	copy(dst[HeaderLength+from:HeaderLength+to], src[HeaderLength+from:])
}

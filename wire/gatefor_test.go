package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// Gate is ValidateSchema with the layout lookup done once: these tests hold Gate.Validate to
// ValidateSchema's verdict (encoded length and error) on every message the package knows.

// errorClass is the sentinel err wraps, or nil.
func errorClass(err error) error {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s
		}
	}
	if err != nil {
		return err // no sentinel: reported as a mismatch by whoever compares
	}
	return nil
}

// gateAgrees returns what differs between Gate.Validate's result (n, err) and
// ValidateSchema's (msg, wantErr), or "". Lengths and error classes must be equal; with
// sameDetail the *DecodeErrors must be equal too.
func gateAgrees(n int, err error, msg Message, wantErr error, sameDetail bool) string {
	if n != msg.Length {
		return fmt.Sprintf("length %d, ValidateSchema's %d (errors %v / %v)", n, msg.Length, err, wantErr)
	}
	if errorClass(err) != errorClass(wantErr) {
		return fmt.Sprintf("error %v, ValidateSchema's %v", err, wantErr)
	}
	if err != nil {
		var de *DecodeError
		if !errors.As(err, &de) {
			return fmt.Sprintf("error %v (%T) is not a *DecodeError", err, err)
		}
		var want *DecodeError
		if sameDetail && errors.As(wantErr, &want) && *de != *want {
			return fmt.Sprintf("error %+v, ValidateSchema's %+v", *de, *want)
		}
	}
	return ""
}

// checkGate validates buf with g under header h and with ValidateSchema and fails on any
// difference. h is normally buf's own header; for buffers too short to hold one it is the
// header of the message they were cut from (ValidateSchema then fails in PeekHeader, the
// gate in its walk: the same class, different details).
func checkGate(t *testing.T, what string, g Gate, buf []byte, h Header) {
	t.Helper()
	n, err := g.Validate(buf, h)
	msg, wantErr := ValidateSchema(buf, h.SchemaID)
	if d := gateAgrees(n, err, msg, wantErr, len(buf) >= HeaderLength); d != "" {
		t.Fatalf("%s: Gate.Validate %s\nbuf %x", what, d, buf)
	}
}

func mustGate(t *testing.T, schemaID, templateID uint16) Gate {
	t.Helper()
	g, ok := GateFor(schemaID, templateID)
	if !ok {
		t.Fatalf("GateFor(%d, %d) not ok", schemaID, templateID)
	}
	return g
}

// TestGateForKnowsExactlyTheSchemasMessages: GateFor is ok for the (schemaId, templateId) of
// every message in layouts.json and for nothing else, and a gate Is only its own header.
func TestGateForKnowsExactlyTheSchemasMessages(t *testing.T) {
	ls := loadLayouts(t)
	known := map[[2]uint16]string{}
	for _, key := range schemaOrder {
		for _, m := range ls[key].Messages {
			known[[2]uint16{ls[key].SchemaID, m.TemplateID}] = key + "." + m.Name
		}
	}
	schemaIDs := []uint16{0, 1, 899, ControlSchemaID, DriverSchemaID, BridgeSchemaID, MergeSchemaID, TraceLinkSchemaID, 905, 909, DiscoverySchemaID, 911, 0xFFFF}
	templateIDs := []uint16{0xFFFE, 0xFFFF, 256, 900}
	for id := range uint16(70) {
		templateIDs = append(templateIDs, id)
	}
	found := 0
	for _, s := range schemaIDs {
		for _, tid := range templateIDs {
			g, ok := GateFor(s, tid)
			name, want := known[[2]uint16{s, tid}]
			if ok != want {
				t.Fatalf("GateFor(%d, %d) ok = %v, want %v", s, tid, ok, want)
			}
			if !ok {
				continue
			}
			found++
			if !g.Is(Header{SchemaID: s, TemplateID: tid}) {
				t.Errorf("%s: gate is not its own header", name)
			}
			// Block length and version do not identify a message.
			if !g.Is(Header{SchemaID: s, TemplateID: tid, BlockLength: 0xFFFF, Version: 7}) {
				t.Errorf("%s: Is judges block length or version", name)
			}
			for _, other := range [][2]uint16{{s, tid + 1}, {s, tid - 1}, {s + 1, tid}, {s - 1, tid}, {tid, s}} {
				if other != [2]uint16{s, tid} && g.Is(Header{SchemaID: other[0], TemplateID: other[1]}) {
					t.Errorf("%s: gate Is schema %d template %d", name, other[0], other[1])
				}
			}
		}
	}
	if found != len(known) {
		t.Fatalf("found %d gates, layouts.json has %d messages", found, len(known))
	}
	// Template ids repeat across schemas: FrameDescriptor's gate is not driver template 4's.
	fd := mustGate(t, control.FrameDescriptorSbeSchemaID, control.FrameDescriptorSbeTemplateID)
	if fd.Is(Header{SchemaID: DriverSchemaID, TemplateID: control.FrameDescriptorSbeTemplateID}) {
		t.Fatal("FrameDescriptor's gate accepts driver schema's template 4")
	}
}

// TestGateValidateMatchesValidateSchema: for every message of every schema (groups empty
// and populated), Gate.Validate returns ValidateSchema's length and error on the valid
// encoding, with trailing bytes, on every truncation, with the block length below the
// schema's (and above it), and with any single byte of the body set to 0x00 or 0xFF
// (group counts and lengths, var-data lengths, enum values).
func TestGateValidateMatchesValidateSchema(t *testing.T) {
	ls := loadLayouts(t)
	for _, key := range schemaOrder {
		s := ls[key]
		for _, m := range s.Messages {
			checkGateOnMessage(t, key, s.SchemaID, m, m.BlockLength)
		}
	}
}

// checkGateOnMessage is TestGateValidateMatchesValidateSchema on message m of schema key,
// whose block lengths below minBlock must fail with ErrBadLength.
func checkGateOnMessage(t *testing.T, key string, schemaID uint16, m layoutBlock, minBlock int) {
	for _, entries := range []int{0, 2} {
		t.Run(fmt.Sprintf("%s.%s/entries=%d", key, m.Name, entries), func(t *testing.T) {
			g := mustGate(t, schemaID, m.TemplateID)
			full := encodeSample(key, m, int(m.TemplateID), entries)
			h, err := PeekHeader(full)
			if err != nil || !g.Is(h) {
				t.Fatalf("header %+v (%v) is not the gate's", h, err)
			}
			if n, err := g.Validate(full, h); err != nil || n != len(full) {
				t.Fatalf("valid encoding: Gate.Validate = %d, %v; want %d, nil", n, err, len(full))
			}
			checkGate(t, "valid", g, full, h)
			checkGate(t, "trailing bytes", g, append(full[:len(full):len(full)], 0xAA, 0xBB, 0xCC), h)

			for n := range len(full) + 1 {
				cut := append([]byte(nil), full[:n]...) // exact capacity: overruns panic
				checkGate(t, fmt.Sprintf("truncated to %d", n), g, cut, h)
			}

			for _, bl := range []int{0, m.BlockLength - 1, m.BlockLength + 1, m.BlockLength + 8, 0xFFFF} {
				if bl < 0 || bl == m.BlockLength {
					continue
				}
				b := append([]byte(nil), full...)
				binary.LittleEndian.PutUint16(b, uint16(bl))
				bh, _ := PeekHeader(b)
				n, err := g.Validate(b, bh)
				checkGate(t, fmt.Sprintf("block length %d", bl), g, b, bh)
				if bl < minBlock && (n != 0 || !errors.Is(err, ErrBadLength)) {
					t.Fatalf("block length %d below the schema's %d: %d, %v; want ErrBadLength", bl, minBlock, n, err)
				}
			}

			for at := HeaderLength; at < len(full); at++ {
				for _, v := range []byte{0x00, 0xFF} {
					b := append([]byte(nil), full...)
					b[at] = v
					checkGate(t, fmt.Sprintf("byte %d = %#x", at, v), g, b, h)
				}
			}
		})
	}
}

// The hand-written golden vectors (testdata/golden) pass their gates as they pass
// ValidateSchema.
func TestGateValidateGoldenVectors(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.hex")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden vectors: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			buf := readGolden(t, filepath.Base(file))
			h, err := PeekHeader(buf)
			if err != nil {
				t.Fatal(err)
			}
			g := mustGate(t, h.SchemaID, h.TemplateID)
			if n, err := g.Validate(buf, h); err != nil || n != len(buf) {
				t.Fatalf("Gate.Validate = %d, %v; want %d, nil", n, err, len(buf))
			}
			checkGate(t, "golden", g, buf, h)
		})
	}
}

// FuzzGate: for any input with a message header, GateFor knows the header's message exactly
// when Validate does (neither ErrWrongSchema nor ErrUnknownTemplate), and that gate's Validate
// agrees with ValidateSchema; in particular the consumer's FrameDescriptor gate does.
func FuzzGate(f *testing.F) {
	fd, ok := GateFor(control.FrameDescriptorSbeSchemaID, control.FrameDescriptorSbeTemplateID)
	if !ok {
		f.Fatal("no FrameDescriptor gate")
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := PeekHeader(in)
		if err != nil {
			return
		}
		if fd.Is(h) {
			checkGate(t, "FrameDescriptor gate", fd, in, h)
		}
		g, ok := GateFor(h.SchemaID, h.TemplateID)
		_, anyErr := Validate(in)
		unknown := errors.Is(anyErr, ErrWrongSchema) || errors.Is(anyErr, ErrUnknownTemplate)
		if ok == unknown {
			t.Fatalf("GateFor(%d, %d) ok = %v, Validate: %v", h.SchemaID, h.TemplateID, ok, anyErr)
		}
		if !ok {
			return
		}
		if !g.Is(h) {
			t.Fatalf("GateFor(%d, %d) is not its header %+v", h.SchemaID, h.TemplateID, h)
		}
		checkGate(t, "gate", g, in, h)
	})
}

const gateFuzzTarget = "FuzzGate"

// gateSeeds are FuzzGate's committed inputs: every message of every schema once (groups
// populated where it has any), in both layouts where wire v1.2 changed it, and the
// FrameDescriptor cut short, with a block length below and above the schema's, relabelled to
// another schema and to an unknown template, and FrameProgress between its two layouts.
func gateSeeds(tb testing.TB) map[string][]byte {
	ls := loadLayouts(tb)
	seeds := map[string][]byte{}
	for _, key := range schemaOrder {
		for _, m := range ls[key].Messages {
			entries := 0
			if len(m.Groups) > 0 {
				entries = 2
			}
			seeds[key+"."+m.Name] = encodeSample(key, m, int(m.TemplateID), entries)
		}
	}
	fdLayout := findLayout(tb, ls, "control", "FrameDescriptor")
	for name, data := range seedInputs("control", fdLayout) {
		seeds[name] = data
	}
	fd := encodeSample("control", fdLayout, int(fdLayout.TemplateID), 0)
	with := func(at int, v uint16, extra int) []byte {
		b := append(append([]byte(nil), fd...), make([]byte, extra)...)
		binary.LittleEndian.PutUint16(b[at:], v)
		return b
	}
	bl := uint16(fdLayout.BlockLength)
	seeds["FrameDescriptor-blocklen-below"] = with(0, bl-1, 0)
	seeds["FrameDescriptor-blocklen-above"] = with(0, bl+4, 4)
	seeds["FrameDescriptor-blocklen-beyond-buffer"] = with(0, bl+4, 0)
	seeds["FrameDescriptor-driver-schema"] = with(4, DriverSchemaID, 0)
	seeds["FrameDescriptor-unknown-template"] = with(2, 12, 0)
	seeds["FrameDescriptor-unknown-schema"] = with(4, 999, 0)
	for _, c := range layoutsV1_2Changed(tb) {
		entries := 0
		if len(c.v12.Groups) > 0 {
			entries = 2
		}
		seeds[strings.ReplaceAll(c.key, "/", "-")+"."+c.v12.Name] = encodeSample(c.key, c.v12, int(c.v12.TemplateID), entries)
	}
	fp := readGolden(tb, "frame_progress.hex")
	binary.LittleEndian.PutUint16(fp, 31)
	seeds["FrameProgress-blocklen-between-layouts"] = fp
	return seeds
}

// TestGateSeedCorpus checks that testdata/fuzz/FuzzGate holds gateSeeds (other files,
// such as inputs the fuzzer found, may sit beside them); -update-corpus writes them.
func TestGateSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", gateFuzzTarget)
	seeds := gateSeeds(t)
	if *updateCorpus {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range seeds {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(corpusFile(data)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	names := make([]string, 0, len(seeds))
	for name := range seeds {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		content, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%v (run go test ./wire -run TestGateSeedCorpus -update-corpus)", err)
			continue
		}
		if string(content) != corpusFile(seeds[name]) {
			t.Errorf("%s/%s is stale (run with -update-corpus)", gateFuzzTarget, name)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		content, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(content), "go test fuzz v1\n") {
			t.Errorf("%s/%s is not a go fuzz corpus file", gateFuzzTarget, e.Name())
		}
	}
}

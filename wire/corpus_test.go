package wire

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpora in testdata/fuzz/")

var fuzzTargets = map[uint16]string{
	ControlSchemaID:   "FuzzDecodeControl",
	DriverSchemaID:    "FuzzDecodeDriver",
	BridgeSchemaID:    "FuzzDecodeBridge",
	MergeSchemaID:     "FuzzDecodeMerge",
	TraceLinkSchemaID: "FuzzDecodeTraceLink",
	DiscoverySchemaID: "FuzzDecodeDiscovery",
}

// seedInputs are, per message, valid encodings (groups empty and, if it has groups, populated)
// and truncations of the fullest one at the end of the header, mid-message and one byte short.
func seedInputs(key string, m layoutBlock) map[string][]byte {
	empty := encodeSample(key, m, int(m.TemplateID), 0)
	full := encodeSample(key, m, int(m.TemplateID), 2)
	seeds := map[string][]byte{m.Name + "-entries0": empty}
	if len(m.Groups) > 0 {
		seeds[m.Name+"-entries2"] = full
	}
	for _, n := range []int{HeaderLength, len(full) / 2, len(full) - 1} {
		seeds[fmt.Sprintf("%s-cut%d", m.Name, n)] = full[:n]
	}
	return seeds
}

func corpusFile(data []byte) string {
	return "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
}

// typedFuzzTargets are the fuzz targets of the typed decoders (fuzzTyped), one per
// schema; their seeds are those of the schema's messages. FuzzDecodeDriverMessages also
// keeps the seeds it had as agents/driver's target.
var typedFuzzTargets = map[uint16]string{
	ControlSchemaID:   "FuzzDecodeControlMessages",
	DriverSchemaID:    "FuzzDecodeDriverMessages",
	BridgeSchemaID:    "FuzzDecodeBridgeMessages",
	MergeSchemaID:     "FuzzDecodeMergeMessages",
	TraceLinkSchemaID: "FuzzDecodeTraceLinkMessages",
	DiscoverySchemaID: "FuzzDecodeDiscoveryMessages",
}

// seedInputsV1_2 are seedInputs of the v1.2 layouts of schema id's messages that wire v1.2
// changed, named "v1.2-" and the seed's name.
func seedInputsV1_2(tb testing.TB, id uint16) map[string][]byte {
	seeds := map[string][]byte{}
	for _, c := range layoutsV1_2Changed(tb) {
		if c.schemaID != id {
			continue
		}
		for name, data := range seedInputs(c.key, c.v12) {
			seeds["v1.2-"+name] = data
		}
	}
	return seeds
}

// TestSeedCorpus checks that the committed corpora hold the seeds above (so every message
// of every schema, in both layouts where wire v1.2 changed it, is a seed), and every typed
// message's seeds are in its typed target's; with -update-corpus it writes them.
func TestSeedCorpus(t *testing.T) {
	ls := loadLayouts(t)
	for id, target := range fuzzTargets {
		key := schemaKey[id]
		want := map[string]string{}
		for _, m := range ls[key].Messages {
			for name, data := range seedInputs(key, m) {
				want[name] = corpusFile(data)
			}
		}
		for name, data := range seedInputsV1_2(t, id) {
			want[name] = corpusFile(data)
		}
		checkCorpus(t, target, want)
	}
	for id, target := range typedFuzzTargets {
		key := schemaKey[id]
		want := map[string]string{}
		for _, m := range ls[key].Messages {
			if newTyped[key+"."+m.Name] == nil {
				continue
			}
			for name, data := range seedInputs(key, m) {
				want[name] = corpusFile(data)
			}
		}
		for name, data := range seedInputsV1_2(t, id) {
			want[name] = corpusFile(data)
		}
		if len(want) > 0 {
			checkCorpus(t, target, want)
		}
	}
}

// checkCorpus checks that testdata/fuzz/target holds want (file name → content) among
// its files (others are inputs the fuzzer found); with -update-corpus it writes want first.
func checkCorpus(t *testing.T, target string, want map[string]string) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	if *updateCorpus {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range want {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%v (run go test ./wire -run TestSeedCorpus -update-corpus)", err)
	}
	got := map[string]bool{}
	for _, e := range entries {
		got[e.Name()] = true
		content, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if w, ok := want[e.Name()]; ok && string(content) != w {
			t.Errorf("%s/%s is stale", target, e.Name())
		}
		if !strings.HasPrefix(string(content), "go test fuzz v1\n") {
			t.Errorf("%s/%s is not a go fuzz corpus file", target, e.Name())
		}
	}
	for name := range want {
		if !got[name] {
			t.Errorf("%s: seed %s missing (run with -update-corpus)", target, name)
		}
	}
}

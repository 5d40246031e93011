package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/internal/cbuild"
)

// leftovers are the files and directories this process's runs may create, existing now.
func leftovers(t *testing.T) map[string]bool {
	t.Helper()
	set := map[string]bool{}
	for _, pattern := range []string{"/dev/shm/" + tempPrefix() + "*", filepath.Join(os.TempDir(), tempPrefix()+"*")} {
		names, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			set[n] = true
		}
	}
	return set
}

// TestTinyRun builds the library and the C program, runs one warm-up and one measured
// round per side at 4 KiB with short windows, through the default C API and the batch
// offers, and checks the JSON report and the cleanup.
func TestTinyRun(t *testing.T) {
	// Like every test that needs a C compiler or the media driver (cabi/interop,
	// tp-bench), this fails rather than skips without them.
	if _, err := exec.LookPath(cbuild.CCompiler()); err != nil {
		t.Fatalf("no C compiler (%v): the C side cannot be built", err)
	}
	if os.Getenv(mediadriver.EnvDir) == "" {
		if _, err := mediadriver.FindJava(""); err != nil {
			t.Fatalf("%v (install Java 17): the embedded media driver needs it", err)
		}
		if _, err := mediadriver.FindJar(""); err != nil {
			t.Fatalf("%v (run make deps)", err)
		}
	}
	for _, api := range []string{cAPIBatch, cAPIOffer} {
		t.Run(api, func(t *testing.T) { tinyRun(t, api) })
	}
}

func tinyRun(t *testing.T, api string) {
	before := leftovers(t)
	var out, errOut bytes.Buffer
	code := cli([]string{"--sizes", "4K", "--rounds", "1", "--warmup", "100ms", "--window", "200ms", "--c-api", api, "--json"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, out.String())
	}
	if len(rep.Sizes) != 1 || rep.Sizes[0].SizeBytes != 4096 || len(rep.Sizes[0].Rounds) != 4 {
		t.Fatalf("report shape: %+v", rep)
	}
	s := rep.Sizes[0]
	if s.GoFramesPerSec <= 0 || s.CFramesPerSec <= 0 || s.Ratio <= 0 || s.GoNsPerFrame <= 0 || s.CNsPerFrame <= 0 {
		t.Errorf("figures: %+v", s)
	}
	if s.Bad != 0 || s.Drops != 0 {
		t.Errorf("%d bad frames, %d drops", s.Bad, s.Drops)
	}
	if rep.CAPI != api || rep.CrossingsPerFrame != 1 || s.CrossingNs <= 0 {
		t.Errorf("C API %q, %d crossings a frame, one %.1f ns", rep.CAPI, rep.CrossingsPerFrame, s.CrossingNs)
	}
	sides := map[string]int{}
	for _, r := range s.Rounds {
		sides[r.Side]++
		// A warm-up round may end before the consumer's first frame on a loaded machine;
		// a measured one must have measured frames.
		if (r.Measured && (r.Frames == 0 || r.Seconds <= 0)) || r.Published < r.Frames {
			t.Errorf("round %+v", r)
		}
	}
	if sides[sideGo] != 2 || sides[sideC] != 2 {
		t.Errorf("rounds per side: %v", sides)
	}
	for name := range leftovers(t) {
		if !before[name] {
			t.Errorf("left behind: %s", name)
		}
	}
}

func TestParseFlags(t *testing.T) {
	var errOut bytes.Buffer
	o, err := parseFlags([]string{"--sizes", "64, 640K,1M"}, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{64, 640 << 10, 1 << 20}; len(o.sizes) != 3 || o.sizes[0] != want[0] || o.sizes[1] != want[1] || o.sizes[2] != want[2] {
		t.Errorf("sizes %v, want %v", o.sizes, want)
	}
	if o.cAPI != cAPIBatch {
		t.Errorf("default C API %q, want %q", o.cAPI, cAPIBatch)
	}
	for _, bad := range [][]string{{"--sizes", "4"}, {"--sizes", "17M"}, {"--rounds", "0"}, {"--c-api", "other"},
		{"--lib", "a.so", "--bin", "b"}, {"--window", "0s"}, {"extra"}} {
		if _, err := parseFlags(bad, &errOut); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPairedSummary(t *testing.T) {
	s := sizeReport{}
	for _, r := range []roundResult{
		{Side: sideGo, FramesPerSec: 999}, {Side: sideC, FramesPerSec: 1}, // warm-up: ignored
		{Side: sideGo, Measured: true, FramesPerSec: 1e6}, {Side: sideC, Measured: true, FramesPerSec: 5e5},
		{Side: sideC, Measured: true, FramesPerSec: 1e6}, {Side: sideGo, Measured: true, FramesPerSec: 1e6},
		{Side: sideGo, Measured: true, FramesPerSec: 2e6}, {Side: sideC, Measured: true, FramesPerSec: 1e6, Torn: 1},
	} {
		s.add(&r)
	}
	s.summarise()
	if s.GoFramesPerSec != 1e6 || s.CFramesPerSec != 1e6 || s.Ratio != 0.5 || s.RatioMin != 0.5 || s.RatioMax != 1 {
		t.Errorf("summary %+v", s)
	}
	// Paired C − Go ns a frame: 1000, 0, 500.
	if s.OverheadNs != 500 || s.Drops != 1 {
		t.Errorf("overhead %.1f ns, drops %d", s.OverheadNs, s.Drops)
	}
}

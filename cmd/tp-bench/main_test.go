package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/transport/backend"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(childJobEnv); spec != "" { // a two-process run re-executing the test binary
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

func shmEntries(t *testing.T) map[string]bool {
	t.Helper()
	names, err := filepath.Glob("/dev/shm/" + shmPrefix() + "*")
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	return set
}

// TestTinyRun runs the whole benchmark briefly in both modes with backoff idling (so it
// shares the machine politely), on every transport of the build (the pure-Go client, and
// the C client with -tags aeronc), and checks the JSON report and the cleanup.
func TestTinyRun(t *testing.T) {
	// Like every test that needs the media driver, this fails rather than skips without it.
	if _, err := mediadriver.FindJava(""); err != nil {
		t.Fatalf("%v (install Java 17)", err)
	}
	if _, err := mediadriver.FindJar(""); err != nil {
		t.Fatalf("%v (run make deps)", err)
	}
	before := shmEntries(t)
	var out, errOut bytes.Buffer
	code := cli([]string{"--sizes", "64,64K", "--duration", "300ms", "--latency-duration", "200ms", "--warmup", "100ms",
		"--baseline-duration", "100ms", "--idle", "backoff", "--mode", "both", "--json",
		"--transport", strings.Join(backend.Names(), ",")}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, out.String())
	}
	if len(rep.Modes) != 2 || rep.Modes[0].Mode != "one" || rep.Modes[1].Mode != "two" ||
		!slices.Equal(rep.Transports, backend.Names()) {
		t.Fatalf("report shape: %+v", rep)
	}
	for _, m := range rep.Modes {
		if len(m.Sizes) != 2*len(backend.Names()) {
			t.Fatalf("%s: %d runs, want %d", m.Mode, len(m.Sizes), 2*len(backend.Names()))
		}
	}
	for _, s := range slices.Concat(rep.Modes[0].Sizes, rep.Modes[1].Sizes) {
		if !slices.Contains(backend.Names(), s.Transport) {
			t.Errorf("%d B: transport %q", s.SizeBytes, s.Transport)
		}
		if s.Frames == 0 || s.FramesPerSec <= 0 || s.LatencyFrames == 0 || s.LatencyP50Ns <= 0 ||
			s.MemcpyPerSec <= 0 || s.AeronMsgsPerSec <= 0 || s.FloorPerSec <= 0 || s.AeronOneWayP50Ns <= 0 {
			t.Errorf("%d B: %+v", s.SizeBytes, s)
		}
		if s.Corrupt != 0 {
			t.Errorf("%d B: %d corrupt frames", s.SizeBytes, s.Corrupt)
		}
	}
	for name := range shmEntries(t) {
		if !before[name] {
			t.Errorf("left behind: %s", name)
		}
	}
}

func TestHistogramPercentiles(t *testing.T) {
	var h histogram
	for v := int64(1); v <= 100_000; v++ {
		h.record(v)
	}
	for q, want := range map[float64]int64{0.5: 50_000, 0.99: 99_000, 0.999: 99_900} {
		got := h.percentile(q)
		if got < want || float64(got) > float64(want)*1.02 {
			t.Errorf("p%g = %d, want %d within 2%%", q*100, got, want)
		}
	}
	for _, v := range []int64{0, 1, 127, 128, 129, 1000, 1 << 40} {
		if i := bucketOf(v); highestIn(i) < v || (i > 0 && highestIn(i-1) >= v) {
			t.Errorf("value %d in bucket %d holding up to %d", v, i, highestIn(i))
		}
	}
}

// With rounds, each target is judged on the median of the rounds' ratios, and the C
// client's frames/s on the median of its per-round ratios to the pure-Go client's.
func TestTargetsJudgeTheMedianOfTheRounds(t *testing.T) {
	run := func(round int, transport string, fps, vsAeron float64) sizeReport {
		return sizeReport{Round: round, Transport: transport, SizeBytes: 64, FramesPerSec: fps, VsAeronRate: vsAeron, LatencyVsAeron: 1}
	}
	rep := report{Transports: []string{"aeron", "aeronc"}, Modes: []modeReport{{Mode: "one", Sizes: []sizeReport{
		run(0, "aeron", 100, 0.10), run(0, "aeronc", 90, 0.50),
		run(1, "aeronc", 60, 0.45), run(1, "aeron", 100, 0.50),
		run(2, "aeron", 100, 0.45), run(2, "aeronc", 10, 0.05),
	}}}}
	var out bytes.Buffer
	printTargets(&out, &rep)
	words := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{
		"medians of 3 rounds",
		"one aeron frames/s at 64 B vs raw Aeron rate 0.450 (0.100–0.500) (target >= 0.40) met",
		"one aeronc frames/s at 64 B vs raw Aeron rate 0.450 (0.050–0.500) (target >= 0.40) met",
		"one frames/s at 64 B, aeronc vs aeron 0.600 (0.100–0.900) (target >= 0.75) MISSED",
	} {
		if !strings.Contains(words, want) {
			t.Errorf("missing %q in\n%s", want, out.String())
		}
	}
}

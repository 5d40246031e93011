package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// referenceCommit is the AeronTensorPool.jl commit whose C client API we provide.
const referenceCommit = "9a87745"

// referenceExamples writes the reference C client's examples, unchanged, from the git
// repository $TP_REFERENCE_REPO (a clone or bare mirror of AeronTensorPool.jl) into a
// temporary directory. Nothing of the reference is kept in this repository.
func referenceExamples(t *testing.T) string {
	t.Helper()
	repo := os.Getenv("TP_REFERENCE_REPO")
	if repo == "" {
		t.Skip("TP_REFERENCE_REPO is not set: no reference checkout to compile the reference's C examples from")
	}
	dir := t.TempDir()
	for _, name := range []string{"tp_producer_example.c", "tp_consumer_example.c", "tp_attach_example.c",
		"tp_consumer_progress_example.c", "tp_consumer_rate_limit_example.c", "tp_detach_example.c",
		"tp_discovery_example.c", "tp_invoker_example.c", "tp_qos_monitor_example.c", "tp_reattach_example.c"} {
		out, err := exec.Command("git", "--git-dir", repo, "show", referenceCommit+":c/examples/"+name).Output()
		if err != nil {
			out, err = exec.Command("git", "-C", repo, "show", referenceCommit+":c/examples/"+name).Output()
		}
		if err != nil {
			t.Fatalf("reading %s from %s: %v", name, repo, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The reference's C examples compile unchanged against include/ and libtensorpool.so; its
// producer publishes through our Go driver to a Go consumer; its discovery example finds
// the stream through our discovery provider, and its consumer then attaches where the
// result says and reads a Go producer's frames.
func TestInterop_ReferenceCExamples(t *testing.T) {
	dir := referenceExamples(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	bins := map[string]string{}
	for _, e := range entries {
		bins[e.Name()] = programWith(t, []string{"-std=gnu11", "-Wno-unused-parameter"}, filepath.Join(dir, e.Name()))
	}
	s := startStack(t)
	g := s.goConsumer(t)
	p := s.start(t, bins["tp_producer_example.c"], map[string]string{"TP_COUNT": "50", "TP_WAIT_CONNECT": "1",
		"TP_PATTERN": "interop", "TP_PAYLOAD_BYTES": "1024"})
	if err := g.pollUntilAny(40); err != nil {
		t.Fatalf("%v\n%s", err, p.out)
	}
	t.Log(p.wait(t))

	requests := nextControl.Add(2)
	s.startProvider(t, requests)
	gp := s.goProducer(t)
	done := make(chan struct{})
	defer close(done)
	go publish(t, gp, done)
	var out string
	for deadline := time.Now().Add(waitTimeout); ; {
		// The example asks once: it finds the stream once the provider has seen its announce.
		d := s.start(t, bins["tp_discovery_example.c"], map[string]string{
			"TP_DISCOVERY_REQUEST_CHANNEL": "aeron:ipc", "TP_DISCOVERY_REQUEST_STREAM_ID": strconv.Itoa(int(requests)),
			"TP_DISCOVERY_RESPONSE_CHANNEL": "aeron:ipc", "TP_DISCOVERY_RESPONSE_STREAM_ID": strconv.Itoa(int(requests + 1)),
		})
		if out = d.wait(t); strings.Contains(out, "discovery status=1 entries=1") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(out, "discovery status=1 entries=1") || !strings.Contains(out, fmt.Sprintf("stream=%d ", testStream)) {
		t.Fatalf("tp_discovery_example:\n%s", out)
	}
	t.Log(strings.TrimSpace(out))
	c := s.start(t, bins["tp_consumer_example.c"], map[string]string{"TP_COUNT": "20"})
	if out := c.wait(t); !strings.Contains(out, "received 20 frames") {
		t.Fatalf("tp_consumer_example:\n%s", out)
	}
}

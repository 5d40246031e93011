package interop

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/tp"
)

// referenceCommit is the AeronTensorPool.jl commit whose C client API we provide.
const referenceCommit = "9a87745"

// referenceExamples writes the reference C client's examples, unchanged, into a
// temporary directory from $TP_REFERENCE_REPO: a git repository (a clone or bare mirror
// of AeronTensorPool.jl), read at commit 9a87745, or a plain tree of that commit (e.g. a
// `git archive` extracted), read as it is. Nothing of the reference is kept in this
// repository.
func referenceExamples(t *testing.T) string {
	t.Helper()
	repo := os.Getenv("TP_REFERENCE_REPO")
	if repo == "" {
		t.Skip("TP_REFERENCE_REPO is not set: no reference checkout to compile the reference's C examples from")
	}
	tree := filepath.Join(repo, "c", "examples")
	if _, err := os.Stat(tree); err == nil {
		t.Logf("reading the examples from the tree %s, taken to be commit %s", tree, referenceCommit)
	} else {
		tree = ""
	}
	dir := t.TempDir()
	for _, name := range referenceExampleFiles {
		var out []byte
		var err error
		if tree != "" {
			out, err = os.ReadFile(filepath.Join(tree, name))
		} else if out, err = exec.Command("git", "--git-dir", repo, "show", referenceCommit+":c/examples/"+name).Output(); err != nil {
			out, err = exec.Command("git", "-C", repo, "show", referenceCommit+":c/examples/"+name).Output()
		}
		if err != nil {
			t.Fatalf("reading %s from %s (a git repository, or a tree with c/examples/): %v", name, repo, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// referencePatternOK checks the reference producer's TP_PATTERN=interop payload of
// frame seq: bytes 0-7 hold seq and bytes 8-15 its complement, little-endian; byte i
// from 16 on is the low byte of seq+i.
func referencePatternOK(buf []byte, seq uint64) bool {
	if len(buf) < 16 || binary.LittleEndian.Uint64(buf) != seq || binary.LittleEndian.Uint64(buf[8:]) != ^seq {
		return false
	}
	for i := 16; i < len(buf); i++ {
		if buf[i] != byte(seq+uint64(i)) {
			return false
		}
	}
	return true
}

// publishReferencePattern publishes frames of the reference's interop pattern (what
// referencePatternOK checks) until done closes, a few hundred a second, slow enough for
// a consumer that checks each frame after reading it to find it unchanged.
func publishReferencePattern(p *tp.Producer, done <-chan struct{}) {
	data := make([]byte, payloadBytes)
	for {
		select {
		case <-done:
			return
		case <-time.After(2 * time.Millisecond):
		}
		c, err := p.Claim(payloadBytes)
		if err != nil {
			continue
		}
		seq := c.Seq()
		binary.LittleEndian.PutUint64(data, seq)
		binary.LittleEndian.PutUint64(data[8:], ^seq)
		for i := 16; i < len(data); i++ {
			data[i] = byte(seq + uint64(i))
		}
		copy(c.Payload(), data)
		_ = c.Commit(tp.Shape{DType: tp.Uint8, Dims: []int32{payloadBytes}})
	}
}

// referenceExampleFiles are the reference's C examples.
var referenceExampleFiles = []string{"tp_producer_example.c", "tp_consumer_example.c", "tp_attach_example.c",
	"tp_consumer_progress_example.c", "tp_consumer_rate_limit_example.c", "tp_detach_example.c",
	"tp_discovery_example.c", "tp_invoker_example.c", "tp_qos_monitor_example.c", "tp_reattach_example.c"}

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
	g := s.goConsumerChecking(t, referencePatternOK)
	p := s.start(t, bins["tp_producer_example.c"], map[string]string{"TP_COUNT": "50", "TP_WAIT_CONNECT": "1",
		"TP_PATTERN": "interop", "TP_PAYLOAD_BYTES": "1024"})
	// Every frame must pass the interop pattern check: pollUntil fails on the first
	// that does not, and so does the count once the producer is done.
	if err := g.pollUntil(40); err != nil {
		t.Fatalf("%v\n%s", err, p.out)
	}
	t.Log(p.wait(t))
	g.mu.Lock()
	good, bad := g.good, g.bad
	g.mu.Unlock()
	if bad != 0 {
		t.Fatalf("%d of %d frames failed the pattern check", bad, good+bad)
	}
	t.Logf("%d frames passed the pattern check", good)

	requests := nextControl.Add(2)
	s.startProvider(t, requests)
	gp := s.goProducer(t)
	done := make(chan struct{})
	defer close(done)
	go publishReferencePattern(gp, done)
	var out string
	for deadline := time.Now().Add(waitTimeout); ; {
		// The example asks once: it finds the stream once the provider has seen its announce.
		d := s.start(t, bins["tp_discovery_example.c"], map[string]string{
			"TP_DISCOVERY_REQUEST_CHANNEL": "aeron:ipc", "TP_DISCOVERY_REQUEST_STREAM_ID": strconv.Itoa(int(requests)),
			"TP_DISCOVERY_RESPONSE_CHANNEL": "aeron:ipc", "TP_DISCOVERY_RESPONSE_STREAM_ID": strconv.Itoa(int(requests + 1)),
		})
		// A request sent before the media driver connected it fails (TP_ERR_BUSY,
		// TP_ERR_AERON): ask again, as for an empty answer.
		var err error
		if out, err = d.finish(); (err == nil && strings.Contains(out, "discovery status=1 entries=1")) || time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("tp_discovery_example: %v\n%s", err, out)
			}
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(out, "discovery status=1 entries=1") || !strings.Contains(out, fmt.Sprintf("stream=%d ", testStream)) {
		t.Fatalf("tp_discovery_example:\n%s", out)
	}
	t.Log(strings.TrimSpace(out))
	// TP_PATTERN=interop: the reference consumer checks every frame and exits 1 on the
	// first that fails.
	c := s.start(t, bins["tp_consumer_example.c"], map[string]string{"TP_COUNT": "20", "TP_PATTERN": "interop"})
	if out := c.wait(t); !strings.Contains(out, "received 20 frames") {
		t.Fatalf("tp_consumer_example:\n%s", out)
	}
}

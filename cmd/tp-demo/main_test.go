package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The demo runs for a second with the embedded media driver, reports every second and a
// total with frames delivered and none corrupt, exits 0 and leaves no SHM behind.
func TestDemoRunsAndCleansUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	start := time.Now()
	code := run(ctx, []string{"-duration=1s", "-size=65536", "-slots=64"}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("a 1 s demo took %v", d)
	}
	text := out.String()
	t.Log("\n" + text)
	dir := regexp.MustCompile(`SHM in (\S+),`).FindStringSubmatch(text)
	if dir == nil {
		t.Fatalf("no SHM directory in the output:\n%s", text)
	}
	if _, err := os.Stat(dir[1]); !os.IsNotExist(err) {
		t.Errorf("SHM directory %s left behind (stat: %v)", dir[1], err)
	}
	if !strings.Contains(text, "frames/s") || !strings.Contains(text, "MiB/s") || !strings.Contains(text, "drops") {
		t.Errorf("no rate header in the output:\n%s", text)
	}
	total := regexp.MustCompile(`total: (\d+) frames, [\d.]+ MiB in [\d.]+s \(\d+ frames/s, [\d.]+ MiB/s\), \d+ drops, 0 corrupt frames`).FindStringSubmatch(text)
	if total == nil {
		t.Fatalf("no clean total line in the output:\n%s", text)
	}
	if n, _ := strconv.Atoi(total[1]); n == 0 {
		t.Errorf("no frames delivered:\n%s", text)
	}
}

func TestDemoRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-slots=3"}, {"-duration=0s"}, {"-size=1"}, {"-rate=-1"}, {"extra"}, {"-nope"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, exitUsage, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &out, &errOut); code != exitOK || !strings.Contains(errOut.String(), "-duration") {
		t.Errorf("-h: exit %d, usage %q", code, errOut.String())
	}
}

// A cancelled context (SIGINT in main) stops the running demo early and cleanly.
func TestDemoStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancelled once it streams (its rate header printed), however long the media
	// driver took to start.
	out := &cancelOnText{text: "frames/s", cancel: cancel}
	var errOut bytes.Buffer
	start := time.Now()
	if code := run(ctx, []string{"-duration=60s", "-size=4096"}, out, &errOut); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("cancelled demo ran %v", d)
	}
	if !strings.Contains(out.String(), "total:") {
		t.Errorf("no total after cancel:\n%s", out.String())
	}
}

// Interrupted while starting (SIGINT before the stack is up), the demo exits 0 and says so.
func TestDemoInterruptedWhileStarting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"-duration=60s"}, &out, &errOut); code != exitOK || !strings.Contains(errOut.String(), "interrupted while starting") {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
}

// cancelOnText collects the demo's output and calls cancel half a second after text
// first appears in it.
type cancelOnText struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	text   string
	cancel func()
	once   sync.Once
}

func (w *cancelOnText) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.text) {
		w.once.Do(func() { time.AfterFunc(500*time.Millisecond, w.cancel) })
	}
	return n, err
}

func (w *cancelOnText) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

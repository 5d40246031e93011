// Package quickstart holds the programs of the README's quickstart and the test that
// runs the quickstart as the README writes it.
package quickstart

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// block is a code block of the README's quickstart, marked by the comment before it:
//
//	<!-- quickstart: setup -->             commands run to completion, in order
//	<!-- quickstart: terminal "TEXT" -->   a terminal's long-running command, ready once it prints TEXT
//	<!-- quickstart: file PATH -->         the content of the file PATH, exactly
//	<!-- quickstart: check -->             commands a fifth terminal runs while all four run
type block struct {
	kind, arg, text string
	line            int
}

var marker = regexp.MustCompile(`^<!-- quickstart: (setup|terminal|file|check)(?: (.*))? -->$`)

func readmeBlocks(t *testing.T, readme string) []block {
	t.Helper()
	lines := strings.Split(readme, "\n")
	var blocks []block
	for i := 0; i < len(lines); i++ {
		m := marker.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		b := block{kind: m[1], arg: m[2], line: i + 1}
		if b.kind == "terminal" {
			unquoted, err := strconv.Unquote(b.arg)
			if err != nil {
				t.Fatalf("README.md:%d: a terminal's ready text must be quoted: %q", b.line, b.arg)
			}
			b.arg = unquoted
		}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
			t.Fatalf("README.md:%d: the quickstart marker is not followed by a code block", b.line)
		}
		var text strings.Builder
		for i += 2; i < len(lines) && lines[i] != "```"; i++ {
			text.WriteString(lines[i] + "\n")
		}
		b.text = text.String()
		blocks = append(blocks, b)
	}
	return blocks
}

// terminal is a long-running command of the quickstart, in a process group of its own
// as a shell would start it, so Ctrl-C (SIGINT to the group) reaches it as in a terminal.
type terminal struct {
	block
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The README's quickstart, run as written: the four terminals as four processes
// (media driver, tp-driver, a Go producer and a Go consumer), the checks of a fifth,
// then the C producer and consumer built as the README says, a C consumer reading the
// Go producer and the Go consumer reading the C producer; then tp-driver stopped and
// started again, the C producer and both consumers reattaching to it; every process
// stopped with Ctrl-C and exiting 0, and nothing left in /dev/shm. The test isolates the run through
// the environment only: HOME (where `make install` goes), AERON_DIR and tp-driver's
// SHM_BASE_DIR with the clients' TP_SHM_BASE_DIRS, so it runs beside anything else. It
// also holds each file block to its file.
func TestReadmeQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the quickstart builds the commands and the C library and runs six processes")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var setups, terminals, checks []block
	for _, b := range readmeBlocks(t, string(readme)) {
		switch b.kind {
		case "setup":
			setups = append(setups, b)
		case "terminal":
			terminals = append(terminals, b)
		case "check":
			checks = append(checks, b)
		case "file":
			content, err := os.ReadFile(filepath.Join(root, b.arg))
			if err != nil {
				t.Fatalf("README.md:%d: %v", b.line, err)
			}
			if string(content) != b.text {
				t.Errorf("README.md:%d: the block differs from %s: copy the file into the README", b.line, b.arg)
			}
		}
	}
	if len(setups) != 2 || len(terminals) != 6 || len(checks) != 1 {
		t.Fatalf("the quickstart has %d setup, %d terminal and %d check blocks; this test runs 2, 6 and 1", len(setups), len(terminals), len(checks))
	}
	if t.Failed() {
		return
	}

	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	tag := "tp-readme-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(suffix[:])
	aeronDir, baseDir := filepath.Join("/dev/shm", tag+"-aeron"), filepath.Join("/dev/shm", tag+"-shm")
	env := isolatedEnv(t, t.TempDir(), aeronDir, baseDir)
	var started []*terminal
	t.Cleanup(func() {
		killed := false
		for _, term := range started {
			if term.cmd.ProcessState == nil {
				_ = syscall.Kill(-term.cmd.Process.Pid, syscall.SIGKILL)
				<-term.done
				killed = true
			}
			if t.Failed() {
				t.Logf("README.md:%d `%s` printed:\n%s", term.line, strings.TrimSpace(term.text), term.out)
			}
		}
		_ = os.RemoveAll(aeronDir)
		_ = os.RemoveAll(baseDir)
		left, _ := filepath.Glob(filepath.Join("/dev/shm", tag+"*"))
		if len(left) > 0 && !killed {
			t.Errorf("left in /dev/shm: %v", left)
		}
		for _, path := range left { // a killed tp-driver leaves its lock file
			_ = os.RemoveAll(path)
		}
	})
	// start runs a terminal's command and waits until it prints its ready text, or one
	// of also.
	start := func(b block, timeout time.Duration, also ...string) *terminal {
		t.Helper()
		term := &terminal{block: b, out: &syncBuffer{}, done: make(chan error, 1)}
		term.cmd = exec.Command("bash", "-c", b.text)
		term.cmd.Dir, term.cmd.Env = root, env
		term.cmd.Stdout, term.cmd.Stderr = term.out, term.out
		term.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := term.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { term.done <- term.cmd.Wait() }()
		started = append(started, term)
		term.waitFor(t, 0, timeout, append([]string{b.arg}, also...)...)
		return term
	}
	run := func(b block, timeout time.Duration) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", b.text)
		cmd.Dir, cmd.Env = root, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("README.md:%d: %v\n%s\n%s", b.line, err, b.text, out)
		}
		return string(out)
	}

	// phase logs how long each part took, for a test that must stay short.
	began, last := time.Now(), time.Now()
	phase := func(what string) {
		t.Logf("%-36s %6.1fs (%.1fs in all)", what, time.Since(last).Seconds(), time.Since(began).Seconds())
		last = time.Now()
	}
	run(setups[0], 10*time.Minute) // make deps build
	phase("setup: make deps build, go build")
	mediaDriver := start(terminals[0], 90*time.Second)
	phase("media driver ready")
	tpDriver := start(terminals[1], 60*time.Second)
	phase("tp-driver ready")
	goProducer := start(terminals[2], time.Minute)
	goConsumer := start(terminals[3], time.Minute)
	phase("Go producer to Go consumer")

	out := run(checks[0], 2*time.Minute)
	phase("tp list, hz, bw, tap, stat")
	for _, want := range []string{"STREAMS (1)", "PRODUCERS (1)", "CONSUMERS (1)", "stream 1: average rate", "stream 1: ", "ShmLeaseKeepalive", "tp_driver_leases_active"} {
		if !strings.Contains(out, want) {
			t.Errorf("the checks do not show %q:\n%s", want, out)
		}
	}

	run(setups[1], 10*time.Minute) // make install, cc
	phase("setup: make install, cc")
	cConsumer := start(terminals[5], time.Minute)
	phase("Go producer to C consumer")
	if !regexp.MustCompile(`frame \d+: 480 x 640, first byte \d+`).MatchString(cConsumer.out.String()) {
		t.Errorf("the C consumer prints no frame of the Go producer:\n%s", cConsumer.out)
	}
	goProducer.interrupt(t)
	seenGo, seenC := len(goConsumer.out.String()), len(cConsumer.out.String())
	// With consumers already there, the C producer may have nothing to wait for.
	cProducer := start(terminals[4], time.Minute, "sent 10 frames")
	goConsumer.waitFor(t, seenGo, time.Minute, goConsumer.arg)
	cConsumer.waitFor(t, seenC, time.Minute, cConsumer.arg)
	phase("C producer to both consumers")

	// tp-driver stops (Ctrl-C) and starts again in its terminal: the C producer and both
	// consumers reattach to the new one, as the Go client does, and frames flow again.
	tpDriver.interrupt(t)
	seenGo, seenC = len(goConsumer.out.String()), len(cConsumer.out.String())
	tpDriver = start(terminals[1], 60*time.Second)
	goConsumer.waitFor(t, seenGo, time.Minute, goConsumer.arg)
	cConsumer.waitFor(t, seenC, time.Minute, cConsumer.arg)
	phase("reattached to a restarted tp-driver")

	for _, term := range []*terminal{cProducer, cConsumer, goConsumer, tpDriver, mediaDriver} {
		term.interrupt(t)
	}
	phase("stopped")
	if _, err := os.Stat(baseDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("tp-driver left its SHM base directory %s (%v)", baseDir, err)
	}
}

// waitFor waits until the terminal prints one of texts after the first from bytes of
// its output, failing if it exits first or the timeout passes.
func (term *terminal) waitFor(t *testing.T, from int, timeout time.Duration, texts ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out := term.out.String()
		for _, text := range texts {
			if len(out) > from && strings.Contains(out[from:], text) {
				return
			}
		}
		select {
		case err := <-term.done:
			term.done <- err
			t.Fatalf("README.md:%d `%s` exited (%v) before printing %q:\n%s", term.line, strings.TrimSpace(term.text), err, texts, term.out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("README.md:%d `%s` did not print %q within %v:\n%s", term.line, strings.TrimSpace(term.text), texts, timeout, term.out)
		}
	}
}

// interrupt presses Ctrl-C in the terminal: SIGINT to its process group. The command
// must exit 0 within 30 s.
func (term *terminal) interrupt(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-term.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-term.done:
		term.done <- err
		if err != nil {
			t.Errorf("README.md:%d `%s` exited with %v after Ctrl-C:\n%s", term.line, strings.TrimSpace(term.text), err, term.out)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("README.md:%d `%s` did not stop within 30 s of Ctrl-C:\n%s", term.line, strings.TrimSpace(term.text), term.out)
	}
}

// isolatedEnv is this process's environment with HOME, the Aeron directory and the SHM
// base directory of the quickstart replaced, and Go's directories kept (they follow HOME
// otherwise).
func isolatedEnv(t *testing.T, home, aeronDir, baseDir string) []string {
	t.Helper()
	goEnv, err := exec.Command("go", "env", "GOPATH", "GOMODCACHE", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	s := bufio.NewScanner(bytes.NewReader(goEnv))
	for _, name := range []string{"GOPATH", "GOMODCACHE", "GOCACHE"} {
		if !s.Scan() {
			t.Fatalf("go env printed %q", goEnv)
		}
		keep = append(keep, name+"="+s.Text())
	}
	replaced := map[string]bool{"HOME": true, "AERON_DIR": true, "TP_AERON_DIR": true, "SHM_BASE_DIR": true,
		"TP_SHM_BASE_DIRS": true, "PKG_CONFIG_PATH": true, "GOPATH": true, "GOMODCACHE": true, "GOCACHE": true}
	var env []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !replaced[name] {
			env = append(env, kv)
		}
	}
	return append(append(env, keep...), "HOME="+home, "AERON_DIR="+aeronDir, "SHM_BASE_DIR="+baseDir, "TP_SHM_BASE_DIRS="+baseDir)
}

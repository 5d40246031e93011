package tp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/config"
)

// logRecords collects a Logger's JSON records.
type logRecords struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logRecords) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// find returns the records whose msg starts with prefix.
func (l *logRecords) find(t *testing.T, prefix string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if strings.HasPrefix(r["msg"].(string), prefix) {
			out = append(out, r)
		}
	}
	return out
}

func (l *logRecords) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// With Options.Logger, a Client says what happens to its leases, in words: refused
// attaches (at Warn once, repeats at Debug), grants, losses with their reason,
// reattaches and detaches, each naming the role, the stream and the client.
func TestLoggerTellsTheLeaseStory(t *testing.T) {
	control := nextStream.Add(2)
	base := t.TempDir()
	newDriver := func() *testDriver {
		cfg, err := config.Local(base, control, config.StreamSpec{StreamID: testStream, Slots: 16, Strides: []uint32{4096}})
		if err != nil {
			t.Fatal(err)
		}
		// A producer may create testStream+1: a consumer early for it is refused, and
		// retries.
		cfg.Policies.AllowDynamicStreams = true
		cfg.Driver.StreamIDRange = config.StreamIDRange{First: testStream + 1, Last: testStream + 1}
		return startDriver(t, cfg, nil)
	}
	driver1 := newDriver()
	logs := &logRecords{}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := Connect(ctx, Options{
		AeronDir: sharedAeronDir, ControlChannel: "aeron:ipc", ControlStreamID: control, DescriptorStreamID: control + 1,
		AllowedBaseDirs: []string{base}, KeepaliveInterval: 100 * time.Millisecond,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// A consumer of a stream no producer has created yet is refused, again and again.
	short, cancelShort := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancelShort()
	_, err = c.NewConsumer(short, testStream+1, func(*Frame) {})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("consumer of a stream not created yet: %v", err)
	}
	refusals := logs.find(t, "attach refused")
	if len(refusals) < 2 {
		t.Fatalf("%d refusals logged, want the first and its repeats (%v):\n%s", len(refusals), err, logs)
	}
	if r := refusals[0]; r["level"] != "WARN" || r["role"] != "CONSUMER" || r["stream"] != float64(testStream+1) ||
		!strings.Contains(r["err"].(string), "REJECTED") {
		t.Fatalf("first refusal %v", r)
	}
	if r := refusals[1]; r["level"] != "DEBUG" {
		t.Fatalf("repeated refusal at %v", r["level"])
	}

	p, cs := attachBoth(t, c, func(*Frame) {})
	sameEpoch(t, p, cs)
	granted := logs.find(t, "lease granted")
	if len(granted) != 2 {
		t.Fatalf("%d grants logged, want 2:\n%s", len(granted), logs)
	}
	roles := map[any]bool{}
	for _, r := range granted {
		roles[r["role"]] = true
		if r["level"] != "INFO" || r["lease"] == nil || r["epoch"] == nil || r["client"] == nil {
			t.Fatalf("grant %v", r)
		}
	}
	if !roles["PRODUCER"] || !roles["CONSUMER"] {
		t.Fatalf("grants of %v", roles)
	}
	if len(logs.find(t, "producer writing a new epoch")) != 1 {
		t.Fatalf("the producer's epoch is not logged:\n%s", logs)
	}

	// The driver goes away and comes back: both leases are lost, with a reason in words,
	// and granted again.
	driver1.stop()
	eventually(t, "leases lost", cs, func() bool { return p.Stats().LeaseLosses >= 1 && cs.Stats().LeaseLosses >= 1 })
	newDriver()
	sameEpoch(t, p, cs)
	lost := logs.find(t, "lease lost")
	if len(lost) < 2 {
		t.Fatalf("%d losses logged:\n%s", len(lost), logs)
	}
	for _, r := range lost {
		if r["level"] != "WARN" || (r["reason"] != "revoked" && r["reason"] != "driver shutdown") {
			t.Fatalf("loss %v", r)
		}
		if r["reason"] == "revoked" && r["revoke_reason"] != "REVOKED" {
			t.Fatalf("revocation without its reason in words: %v", r)
		}
	}
	if n := len(logs.find(t, "lease granted again (reattached)")); n != 2 {
		t.Fatalf("%d reattaches logged, want 2:\n%s", n, logs)
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if d := logs.find(t, "lease detached"); len(d) != 1 || d[0]["role"] != "PRODUCER" {
		t.Fatalf("detach logged as %v", d)
	}
}

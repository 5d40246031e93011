package aeron

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/transport"
)

// interopMessage is message(i) of testdata/Interop.java: sizes from 0 to
// ~6 KB, most of them fragmented.
func interopMessage(i int) []byte {
	b := make([]byte, (i*997)%6000)
	for j := range b {
		b[j] = byte(i*31 + j*7)
	}
	return b
}

// startJavaInterop runs testdata/Interop.java with the official Java client
// on the shared driver and returns its stdout lines.
func startJavaInterop(t *testing.T, mode string, stream, count int) (<-chan string, func() error) {
	t.Helper()
	java, err := mediadriver.FindJava("")
	if err != nil {
		t.Fatal(err)
	}
	jar, err := mediadriver.FindJar("")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, java, "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
		"-cp", jar, "testdata/Interop.java", mode, drivertest.Dir(t), strconv.Itoa(stream), strconv.Itoa(count))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, count+2)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	wait := func() error {
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("java %s: %v\n%s", mode, err, stderr.String())
		}
		return nil
	}
	return lines, wait
}

func nextLine(t *testing.T, lines <-chan string, what string) string {
	t.Helper()
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatalf("java ended before %s", what)
		}
		return line
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s from java within 30s", what)
	}
	return ""
}

func TestJavaClientReceivesWhatGoPublishes(t *testing.T) {
	const stream, count = 3001, 40
	lines, wait := startJavaInterop(t, "sub", stream, count)
	if line := nextLine(t, lines, "READY"); line != "READY" {
		t.Fatalf("java said %q", line)
	}
	c := connect(t, Config{})
	pub := addPublication(t, c, "aeron:ipc", stream)
	eventually(t, 30*time.Second, "java subscriber connected", pub.IsConnected)
	for i := 0; i < count; i++ {
		offerRetrying(t, pub, interopMessage(i), func() {})
	}
	for i := 0; i < count; i++ {
		want := interopMessage(i)
		line := nextLine(t, lines, fmt.Sprintf("message %d", i))
		if got := fmt.Sprintf("%d %s", len(want), hex.EncodeToString(want)); line != got {
			t.Fatalf("java received message %d as %.80q..., want %.80q...", i, line, got)
		}
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}

func TestGoReceivesWhatJavaPublishes(t *testing.T) {
	const stream, count = 3002, 40
	c := connect(t, Config{})
	sub := addSubscription(t, c, "aeron:ipc", stream)
	var received [][]byte
	handler := func(msg []byte, _ *transport.Header) { received = append(received, append([]byte(nil), msg...)) }
	lines, wait := startJavaInterop(t, "pub", stream, count)
	eventually(t, 30*time.Second, "all messages from java", func() bool {
		sub.Poll(handler, 10)
		return len(received) >= count
	})
	for i := 0; i < count; i++ {
		if want := interopMessage(i); string(received[i]) != string(want) {
			t.Fatalf("message %d from java: %d bytes, want %d bytes as sent", i, len(received[i]), len(want))
		}
	}
	if line := nextLine(t, lines, "DONE"); line != "DONE" {
		t.Fatalf("java said %q", line)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}

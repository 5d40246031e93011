package aeron

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/transport"
)

// helperPublisherEnv holds "<aeron dir> <stream> <publisher id> <count>" for
// a test binary that acts as one publisher process.
const helperPublisherEnv = "TP_AERON_HELPER_PUBLISHER"

// runHelperPublisher publishes count messages tagged {publisher id, seq},
// some fragmented, reports "SENT" and then waits to be killed.
func runHelperPublisher() int {
	f := strings.Fields(os.Getenv(helperPublisherEnv))
	if len(f) != 4 {
		fmt.Println("ERROR bad", helperPublisherEnv)
		return 2
	}
	stream, _ := strconv.Atoi(f[1])
	id, _ := strconv.Atoi(f[2])
	count, _ := strconv.Atoi(f[3])
	c, err := Connect(Config{Dir: f[0]})
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, err := transport.Await(ctx, c.AddPublication("aeron:ipc", int32(stream)))
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	deadline := time.Now().Add(30 * time.Second)
	for seq := 0; seq < count; seq++ {
		msg := make([]byte, 8+(seq%5)*700) // up to 2.8 KB: some fragmented
		binary.LittleEndian.PutUint32(msg, uint32(id))
		binary.LittleEndian.PutUint32(msg[4:], uint32(seq))
		for pub.Offer(msg) < 0 {
			if time.Now().After(deadline) {
				fmt.Println("ERROR offer timed out at", seq)
				return 1
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	fmt.Println("SENT")
	_, _ = io.Copy(io.Discard, os.Stdin) // hold the publication until killed
	return 0
}

func TestPublishersInSeparateProcessesShareOneStream(t *testing.T) {
	const stream, publishers, count = 4001, 3, 300
	c := connect(t, Config{})
	sub := addSubscription(t, c, "aeron:ipc", stream)
	next := make([]int, publishers)
	received := 0
	handler := func(msg []byte, _ *transport.Header) {
		id := binary.LittleEndian.Uint32(msg)
		seq := int(binary.LittleEndian.Uint32(msg[4:]))
		if int(id) >= publishers || seq != next[id] || len(msg) != 8+(seq%5)*700 {
			t.Errorf("publisher %d: got seq %d (%d bytes), want seq %d", id, seq, len(msg), next[id%publishers])
			return
		}
		next[id]++
		received++
	}

	var procs []*exec.Cmd
	sent := make(chan string, publishers)
	for id := 0; id < publishers; id++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %d %d", helperPublisherEnv, drivertest.Dir(t), stream, id, count))
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stdin.Close() })
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				sent <- sc.Text()
			}
		}()
	}
	eventually(t, 60*time.Second, "every message from every publisher process", func() bool {
		sub.Poll(handler, 50)
		return received >= publishers*count || t.Failed()
	})
	if t.Failed() {
		return
	}
	for range procs {
		select {
		case line := <-sent:
			if line != "SENT" {
				t.Fatalf("publisher said %q", line)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a publisher never reported")
		}
	}
	images := sub.Images()
	if len(images) != 1 {
		t.Fatalf("%d images, want the one shared session", len(images))
	}

	// Killed publishers stop heartbeating; the driver times their clients
	// out, removes the publication, and the image goes away.
	for _, p := range procs {
		if err := p.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, c.cncFile.ClientLivenessTimeout+15*time.Second, "image unavailable after the publisher processes die", func() bool {
		sub.Poll(handler, 50)
		return !sub.IsConnected()
	})
}

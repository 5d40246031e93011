package tp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/wire"
)

// childProducerEnv makes the test binary a producer process (runChildProducer).
const childProducerEnv = "TP_TEST_CHILD_PRODUCER"

type childSpec struct {
	AeronDir           string
	ControlStreamID    int32
	DescriptorStreamID int32
	BaseDir            string
	Frames             int
	// WireVersion is the child's Options.WireVersion; with Traced its frame i carries
	// trace id childTraceBase + i.
	WireVersion wire.Version
	Traced      bool
}

const childTraceBase = 0x5000

// runChildProducer attaches to the parent's driver as the producer of testStream,
// publishes spec.Frames patterned frames, and detaches when stdin closes.
func runChildProducer(encoded string) int {
	var spec childSpec
	if err := json.Unmarshal([]byte(encoded), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := Connect(ctx, Options{
		AeronDir: spec.AeronDir, ControlChannel: "aeron:ipc", ControlStreamID: spec.ControlStreamID,
		DescriptorStreamID: spec.DescriptorStreamID, AllowedBaseDirs: []string{spec.BaseDir},
		WireVersion: spec.WireVersion,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer c.Close()
	p, err := c.NewProducer(ctx, testStream)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	for i := 0; i < spec.Frames; {
		data := pattern(2000+i, byte(i))
		tensor := Tensor{Shape: Shape{DType: Uint8, Dims: []int32{int32(len(data))}}, Data: data}
		if spec.Traced {
			tensor.TraceID = childTraceBase + uint64(i)
		}
		switch err := p.Offer(tensor); {
		case err == nil:
			i++
		case ctx.Err() != nil:
			fmt.Fprintln(os.Stderr, "child: gave up:", err)
			return 1
		default:
			time.Sleep(time.Millisecond) // no consumer image yet, or back pressure
		}
	}
	io.Copy(io.Discard, os.Stdin) // until the parent has read the frames
	if err := p.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// Driver mode across processes: a producer in another process attaches to this
// process's driver; the consumer here reads its frames byte for byte.
func TestProducerInAnotherProcess(t *testing.T) {
	c, base, control := startClientWith(t, []uint32{4096}, nil, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	var got []received
	cs, err := c.NewConsumer(ctx, testStream, recorder(&got))
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()

	const frames = 6
	spec, _ := json.Marshal(childSpec{AeronDir: sharedAeronDir, ControlStreamID: control, DescriptorStreamID: control + 1, BaseDir: base, Frames: frames})
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childProducerEnv+"="+string(spec))
	var stderr bytes.Buffer
	child.Stderr = &stderr
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	eventually(t, "the child's frames", cs, func() bool { return len(got) == frames })
	stdin.Close()
	if err := child.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	epoch := got[0].epoch
	for i, r := range got {
		if r.seq != uint64(i) || r.epoch != epoch || !bytes.Equal(r.payload, pattern(2000+i, byte(i))) {
			t.Fatalf("frame %d: seq %d epoch %d", i, r.seq, r.epoch)
		}
	}
}

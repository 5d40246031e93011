package tp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/wire"
)

// mixedFrame is what a consumer of a mixed fleet records of a frame.
type mixedFrame struct {
	seq, trace uint64
	version    wire.Version
	payload    []byte
}

// runMixedFleet runs one SHM driver speaking driverVersion's SHM rules, a producer in
// another process speaking producerVersion (its frames traced), and two consumers here, one
// per wire version, each on a Client of its own; it returns what each consumer received
// once both have every frame.
func runMixedFleet(t *testing.T, driverVersion, producerVersion wire.Version) (v11, v12 []mixedFrame) {
	t.Helper()
	const frames = 8
	c11, base, control := startClientWith(t, []uint32{4096}, func(cfg *config.DriverConfig) {
		cfg.Driver.WireVersion = driverVersion
	}, Options{})
	d, _ := driverOf.Load(c11)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c12, err := Connect(ctx, d.(*testDriver).options(Options{DescriptorStreamID: control + 1, WireVersion: wire.V1_2}))
	if err != nil {
		t.Fatal(err)
	}
	defer c12.Close()
	record := func(into *[]mixedFrame) func(*Frame) {
		return func(f *Frame) {
			m := mixedFrame{seq: f.Seq(), trace: f.TraceID(), version: f.WireVersion(), payload: bytes.Clone(f.Payload())}
			if f.Valid() {
				*into = append(*into, m)
			}
		}
	}
	cs11, err := c11.NewConsumer(ctx, testStream, record(&v11))
	if err != nil {
		t.Fatal(err)
	}
	defer cs11.Close()
	cs12, err := c12.NewConsumer(ctx, testStream, record(&v12))
	if err != nil {
		t.Fatal(err)
	}
	defer cs12.Close()

	spec, _ := json.Marshal(childSpec{AeronDir: sharedAeronDir, ControlStreamID: control, DescriptorStreamID: control + 1,
		BaseDir: base, Frames: frames, WireVersion: producerVersion, Traced: true})
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
	deadline := time.Now().Add(waitTimeout)
	for len(v11) < frames || len(v12) < frames {
		if time.Now().After(deadline) {
			t.Fatalf("frames: v1.1 consumer %d, v1.2 consumer %d of %d (stats %+v, %+v; errs %v, %v)\nchild: %s",
				len(v11), len(v12), frames, cs11.Stats(), cs12.Stats(), cs11.Err(), cs12.Err(), stderr.String())
		}
		if cs11.Poll(16)+cs12.Poll(16) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	stdin.Close()
	if err := child.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	for name, got := range map[string][]mixedFrame{"v1.1": v11, "v1.2": v12} {
		for i, f := range got {
			if f.seq != uint64(i) || !bytes.Equal(f.payload, pattern(2000+i, byte(i))) {
				t.Fatalf("%s consumer, frame %d: seq %d, payload intact %v", name, i, f.seq, bytes.Equal(f.payload, pattern(2000+i, byte(i))))
			}
			if f.version != producerVersion {
				t.Fatalf("%s consumer, frame %d: descriptor in wire %v, want the producer's %v", name, i, f.version, producerVersion)
			}
		}
	}
	return v11, v12
}

// TestWireSpec_1_2_MixedFleet_V1_1ProducerToV1_2Consumer: one driver serves clients of
// both wire versions at once; a v1.1 producer in another process reaches a consumer
// speaking v1.2 (and one speaking v1.1) through the media driver, under a driver following
// either version's SHM rules. v1.1 has no trace ids: the set ones are dropped.
func TestWireSpec_1_2_MixedFleet_V1_1ProducerToV1_2Consumer(t *testing.T) {
	for _, driverVersion := range []wire.Version{wire.V1_1, wire.V1_2} {
		t.Run("driver "+driverVersion.String(), func(t *testing.T) {
			v11, v12 := runMixedFleet(t, driverVersion, wire.V1_1)
			for i := range v12 {
				if v11[i].trace != 0 || v12[i].trace != 0 {
					t.Fatalf("frame %d: trace ids %#x, %#x from a v1.1 producer", i, v11[i].trace, v12[i].trace)
				}
			}
		})
	}
}

// TestWireSpec_1_2_MixedFleet_V1_2ProducerToV1_1Consumer: the reverse: a v1.2 producer in
// another process reaches a consumer whose client speaks v1.1 (and one speaking v1.2),
// each frame with the trace id it was given (TraceLink spec §8.1: consumers read it
// whatever version they speak themselves).
func TestWireSpec_1_2_MixedFleet_V1_2ProducerToV1_1Consumer(t *testing.T) {
	for _, driverVersion := range []wire.Version{wire.V1_1, wire.V1_2} {
		t.Run("driver "+driverVersion.String(), func(t *testing.T) {
			v11, v12 := runMixedFleet(t, driverVersion, wire.V1_2)
			for i := range v12 {
				if want := uint64(childTraceBase + i); v11[i].trace != want || v12[i].trace != want {
					t.Fatalf("frame %d: trace ids %#x, %#x, want %#x", i, v11[i].trace, v12[i].trace, want)
				}
			}
		})
	}
}

// TestTraceLink_8_1_TraceIDArrivesWithTheFrame: in one process, over the media driver, a
// producer speaking v1.2 carries the trace id set on each frame, offered (Tensor.TraceID)
// or claimed (Claim.SetTraceID), to the consumer's Frame.TraceID; its lease has a node id
// (Driver spec §4.2), a v1.1 producer's none. Options refuse a version they do not know.
func TestTraceLink_8_1_TraceIDArrivesWithTheFrame(t *testing.T) {
	if _, err := Connect(context.Background(), Options{AeronDir: sharedAeronDir, WireVersion: 7}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("WireVersion 7: %v", err)
	}
	c, _, _ := startClientWith(t, []uint32{4096}, nil, Options{WireVersion: wire.V1_2})
	var got []mixedFrame
	p, cs := attachBoth(t, c, func(f *Frame) {
		got = append(got, mixedFrame{seq: f.Seq(), trace: f.TraceID(), version: f.WireVersion()})
	})
	sameEpoch(t, p, cs)
	if node, ok := p.NodeID(); !ok || node == 0 {
		t.Errorf("a v1.2 producer's lease has node id %d (%v), want one", node, ok)
	}
	data := pattern(100, 1)
	offer(t, p, cs, Tensor{Shape: Shape{DType: Uint8, Dims: []int32{100}}, Data: data, TraceID: 0xabc})
	eventually(t, "the claimed frame", cs, func() bool {
		claim, err := p.Claim(len(data))
		if err != nil {
			return false
		}
		copy(claim.Payload(), data)
		claim.SetTraceID(0xdef)
		return claim.Commit(Shape{DType: Uint8, Dims: []int32{100}}) == nil
	})
	eventually(t, "both frames", cs, func() bool { return len(got) == 2 })
	if got[0].trace != 0xabc || got[1].trace != 0xdef || got[0].version != wire.V1_2 || got[1].version != wire.V1_2 {
		t.Fatalf("frames %+v", got)
	}

	old, _, _ := startClientWith(t, []uint32{4096}, nil, Options{})
	p11, _ := attachBoth(t, old, func(*Frame) {})
	eventually(t, "the v1.1 producer attached", nil, p11.Attached)
	if node, ok := p11.NodeID(); ok {
		t.Errorf("a v1.1 producer's lease has node id %d", node)
	}
}

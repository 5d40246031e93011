package interop

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/wire"
)

// traceBase is what cabi/tests/tp_trace_test.c adds to a frame's seq for its trace id.
const traceBase = 0x7700000000

// TestInterop_TraceLink_8_1_CProducerToGoConsumer: a C producer speaking wire v1.2 sets a
// trace id on every frame, offered or claimed; a Go consumer (whose client speaks the
// default v1.1: consumers read either) receives each frame with it.
func TestInterop_TraceLink_8_1_CProducerToGoConsumer(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	var frames, wrong int
	var lastErr error
	cs, err := s.client.NewConsumer(ctx, testStream, func(f *tp.Frame) {
		if f.WireVersion() != wire.V1_2 || f.TraceID() != traceBase+f.Seq() || !patternOK(f.Payload(), f.Seq()) {
			wrong++
			lastErr = fmt.Errorf("frame %d: version %v trace %#x", f.Seq(), f.WireVersion(), f.TraceID())
			return
		}
		frames++
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	p := s.start(t, program(t, "cabi/tests/tp_trace_test.c"), map[string]string{"TP_TRACE_ROLE": "producer",
		"TP_COUNT": "100", "TP_FRAME_INTERVAL_US": "500", "TP_LINGER_MS": "1000"})
	deadline := time.Now().Add(waitTimeout)
	for frames < 50 && wrong == 0 && time.Now().Before(deadline) {
		if cs.Poll(64) == 0 {
			time.Sleep(100 * time.Microsecond)
		}
	}
	if wrong > 0 || frames < 50 {
		t.Fatalf("%d frames with their trace id, %d without (%v); stats %+v", frames, wrong, lastErr, cs.Stats())
	}
	t.Log(p.wait(t))
}

// TestInterop_TraceLink_8_1_GoProducerToCConsumer: a Go producer speaking wire v1.2 sets
// a trace id on every frame; a C consumer reads it with tp_consumer_frame_trace_id.
func TestInterop_TraceLink_8_1_GoProducerToCConsumer(t *testing.T) {
	s := startStack(t)
	opts := s.opts
	opts.WireVersion = wire.V1_2
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	client, err := tp.Connect(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	p, err := client.NewProducer(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := s.start(t, program(t, "cabi/tests/tp_trace_test.c"), map[string]string{"TP_TRACE_ROLE": "consumer",
		"TP_COUNT": "100", "TP_MIN_COUNT": "50"})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		data := make([]byte, payloadBytes)
		for {
			select {
			case <-stop:
				return
			default:
			}
			claim, err := p.Claim(payloadBytes)
			if err != nil {
				time.Sleep(200 * time.Microsecond)
				continue
			}
			pattern(data, claim.Seq())
			copy(claim.Payload(), data)
			claim.SetTraceID(traceBase + claim.Seq())
			claim.Commit(tp.Shape{DType: tp.Uint8, Dims: []int32{payloadBytes}}) // a dropped frame's seq is claimed again
			time.Sleep(200 * time.Microsecond)
		}
	}()
	out := c.wait(t)
	close(stop)
	wg.Wait()
	t.Log(out)
}

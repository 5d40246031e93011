package producer

import (
	"errors"
	"testing"

	monotonic "github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// tickingClock moves on by step at every read, so two reads tell apart.
type tickingClock struct{ now, step int64 }

func (c *tickingClock) Now() monotonic.Mono { c.now += c.step; return monotonic.Mono(c.now) }

// TestWireSpec_1_2_10_2_1_ProducerDescriptor: a producer speaking v1.2 sends the 40-byte
// block without header_index and with the frame's trace_id; the slot header's timestamp
// is the capture time and the descriptor's the publish time, read after the commit.
func TestWireSpec_1_2_10_2_1_ProducerDescriptor(t *testing.T) {
	clock := &tickingClock{now: 1000, step: 10}
	p, r, pipe := newTestProducer(t, testLayout(), Config{Clock: clock.Now, WireVersion: wire.V1_2})
	for range 3 { // seq 3, so the slot and seq differ from zero
		if res := p.Offer([]byte{1}, vector(1)); res != OK {
			t.Fatal(res)
		}
	}
	collect(pipe)
	c, _ := p.Claim(16)
	c.SetTraceID(0xfeed)
	c.SetCaptureTimeNs(500)
	if res := p.Commit(c, vector(16)); res != OK {
		t.Fatal(res)
	}
	msgs := collect(pipe)
	if len(msgs) != 1 || len(msgs[0]) != wire.FrameDescriptorLengthV1_2 {
		t.Fatalf("descriptors %d, first %d bytes, want one of %d", len(msgs), len(msgs[0]), wire.FrameDescriptorLengthV1_2)
	}
	d := decodeDescriptor(t, msgs[0])
	if d.Version != wire.V1_2 || d.Seq != 3 || d.HeaderIndex != 0 || d.TraceID != 0xfeed {
		t.Fatalf("descriptor %+v", d)
	}
	var h shm.SlotHeader
	var tensor shm.TensorHeader
	if drop := slotOf(t, r, 3).TryRead(3, &h, &tensor); drop != shm.DropNone {
		t.Fatal(drop)
	}
	if h.TimestampNs != 500 {
		t.Fatalf("slot timestamp %d, want the capture time 500", h.TimestampNs)
	}
	if d.TimestampNs != uint64(clock.now) {
		t.Fatalf("descriptor timestamp %d, want the publish time %d, the clock's last read (after the commit)", d.TimestampNs, clock.now)
	}

	// Unset, the capture time is the commit time, which precedes the publish time.
	c, _ = p.Claim(16)
	if res := p.Commit(c, vector(16)); res != OK {
		t.Fatal(res)
	}
	d = decodeDescriptor(t, collect(pipe)[0])
	if drop := slotOf(t, r, 4).TryRead(4, &h, &tensor); drop != shm.DropNone {
		t.Fatal(drop)
	}
	if d.TraceID != 0 || h.TimestampNs == 0 || h.TimestampNs >= d.TimestampNs {
		t.Fatalf("second frame: trace %#x, capture %d, publish %d", d.TraceID, h.TimestampNs, d.TimestampNs)
	}
}

// TestWireSpec_1_2_V1_1ProducerUnchanged: by default a producer speaks v1.1: the 36-byte
// block with header_index, one timestamp for both, and no trace id, even when one is set.
func TestWireSpec_1_2_V1_1ProducerUnchanged(t *testing.T) {
	clock := &tickingClock{now: 1000, step: 10}
	p, r, pipe := newTestProducer(t, testLayout(), Config{Clock: clock.Now})
	c, _ := p.Claim(16)
	c.SetTraceID(0xfeed)
	if res := p.Commit(c, vector(16)); res != OK {
		t.Fatal(res)
	}
	msgs := collect(pipe)
	if len(msgs[0]) != wire.FrameDescriptorLength {
		t.Fatalf("descriptor of %d bytes, want %d", len(msgs[0]), wire.FrameDescriptorLength)
	}
	d := decodeDescriptor(t, msgs[0])
	var h shm.SlotHeader
	var tensor shm.TensorHeader
	slotOf(t, r, 0).TryRead(0, &h, &tensor)
	if d.Version != wire.V1_1 || d.TraceID != 0 || d.TimestampNs != h.TimestampNs {
		t.Fatalf("descriptor %+v, slot timestamp %d", d, h.TimestampNs)
	}
}

// TestWireSpec_1_2_10_2_2_ProducerProgress: FrameProgress in v1.2 is the 29-byte block
// naming the frame by seq alone.
func TestWireSpec_1_2_10_2_2_ProducerProgress(t *testing.T) {
	control := newPipe(t)
	p, _, _ := newTestProducer(t, testLayout(), Config{Control: control, WireVersion: wire.V1_2})
	p.ctl.SetProgress(true, ProgressPolicy{IntervalNs: 1, BytesDelta: 1})
	c, _ := p.Claim(4096)
	p.Commit(c, vector(4096))
	msgs := collect(control)
	if len(msgs) == 0 {
		t.Fatal("no progress")
	}
	for _, msg := range msgs {
		if len(msg) != wire.FrameProgressLengthV1_2 {
			t.Fatalf("progress of %d bytes, want %d", len(msg), wire.FrameProgressLengthV1_2)
		}
		if m := decodeProgress(t, msg); m.Version != wire.V1_2 || m.FrameID != 0 {
			t.Fatalf("progress %+v", m)
		}
	}
}

func TestWireVersionOutOfRangeIsAConfigError(t *testing.T) {
	_, err := NewController(7, Config{WireVersion: 9})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "WireVersion" {
		t.Fatalf("err = %v, want a ConfigError naming WireVersion", err)
	}
}

package consumer

import (
	"testing"

	"github.com/tensorpool/tensorpool/wire"
)

// v12Descriptor is the rig's descriptor for seq in wire v1.2, with a trace id and a
// publish time of its own.
func (r *rig) v12Descriptor(seq, traceID uint64) *wire.FrameDescriptor {
	d := r.descriptor(seq)
	d.Version, d.HeaderIndex, d.TraceID, d.TimestampNs = wire.V1_2, 0, traceID, seq+900
	return d
}

// TestWireSpec_1_2_10_2_1_SlotFromSeq: a v1.2 descriptor names no slot; the consumer
// reads seq & (header_nslots-1), and the frame carries the descriptor's trace id and its
// publish time beside the slot's capture time (§10.2.1, §15.21 rule 1 of v1.2).
func TestWireSpec_1_2_10_2_1_SlotFromSeq(t *testing.T) {
	r := newRig(t)
	nslots := uint64(r.layout.Nslots)
	for _, seq := range []uint64{0, 3, nslots + 5, 3*nslots - 1} {
		r.write(seq, 10, 1)
		if d := r.c.rd.HandleDescriptor(encode(r.v12Descriptor(seq, seq<<8|1))); d != DropNone {
			t.Fatalf("seq %d: %v", seq, d)
		}
		f := r.got[len(r.got)-1]
		if f.Seq != seq || f.HeaderIndex != uint32(seq&(nslots-1)) || f.Payload != nil && f.Payload[0] != byte(seq) {
			t.Fatalf("seq %d: frame seq %d slot %d", seq, f.Seq, f.HeaderIndex)
		}
		if f.Version != wire.V1_2 || f.TraceID != seq<<8|1 {
			t.Fatalf("seq %d: version %v trace %#x", seq, f.Version, f.TraceID)
		}
		if f.TimestampNs != seq+100 || f.PublishTimeNs != seq+900 {
			t.Fatalf("seq %d: capture %d publish %d, want %d and %d (never assumed equal)", seq, f.TimestampNs, f.PublishTimeNs, seq+100, seq+900)
		}
	}
}

// TestWireSpec_1_2_MixedDescriptorsOnOneStream: descriptors of either version are read
// from one stream; a v1.1 one still names its slot and carries no trace id.
func TestWireSpec_1_2_MixedDescriptorsOnOneStream(t *testing.T) {
	r := newRig(t)
	for seq := range uint64(6) {
		r.write(seq, 10, 1)
		d := r.descriptor(seq)
		if seq%2 == 1 {
			d = r.v12Descriptor(seq, 77)
		}
		if drop := r.c.rd.HandleDescriptor(encode(d)); drop != DropNone {
			t.Fatalf("seq %d: %v", seq, drop)
		}
	}
	if len(r.got) != 6 {
		t.Fatalf("%d frames, want 6", len(r.got))
	}
	for i, f := range r.got {
		want := wire.V1_1
		var trace uint64
		if i%2 == 1 {
			want, trace = wire.V1_2, 77
		}
		if f.Version != want || f.TraceID != trace {
			t.Fatalf("frame %d: version %v trace %d", i, f.Version, f.TraceID)
		}
	}
}

// TestWireSpec_1_2_10_2_2_ProgressSlotFromSeq: a v1.2 FrameProgress names no slot; the
// consumer derives it from seq to check values_len_bytes.
func TestWireSpec_1_2_10_2_2_ProgressSlotFromSeq(t *testing.T) {
	r := newRig(t)
	r.c.cfg.Progress = true
	r.write(5, 100, 1)
	p := r.progressFor(5, 101, stComplete)
	p.Version, p.HeaderIndex = wire.V1_2, 0
	if v := r.c.HandleProgress(encoded(&p)); v != ProgressOverrun {
		t.Fatalf("beyond values_len_bytes: %v, want ProgressOverrun (the derived slot was read)", v)
	}
	p.PayloadBytesFilled = 100
	if v := r.c.HandleProgress(encoded(&p)); v != ProgressKept {
		t.Fatalf("%v, want ProgressKept", v)
	}
	got, ok := r.c.Progress()
	if !ok || got.Version != wire.V1_2 || got.HeaderIndex != r.ring.HeaderIndex(5) {
		t.Fatalf("kept %+v", got)
	}
}

package consumer

import (
	"bytes"
	"testing"
)

// A frame's SlotBytes are its header slot as mapped, byte for byte (a bridge forwards them).
func TestFrameSlotBytesAreTheMappedSlot(t *testing.T) {
	r := newRig(t)
	r.write(3, 100, 1)
	var slot []byte
	r.onFrame = func(f *Frame) { slot = bytes.Clone(f.SlotBytes()) }
	if d := r.deliver(3); d != DropNone {
		t.Fatal(d)
	}
	if want := r.slot(3).Bytes(); !bytes.Equal(slot, want) || len(slot) != 256 {
		t.Fatalf("SlotBytes %d bytes, not the slot's", len(slot))
	}
}

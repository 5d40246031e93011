package consumer

import (
	"testing"

	"github.com/tensorpool/tensorpool/wire"
)

func TestWireSpec_10_4_1_QosConsumer(t *testing.T) {
	r := newRig(t)
	for _, seq := range []uint64{1, 4} {
		r.write(seq, 10, 1)
		r.deliver(seq)
	}
	r.slot(5).BeginWrite(5)
	r.deliver(5)
	buf := make([]byte, wire.QosConsumerLength)
	if n := r.c.EncodeQos(buf[:wire.QosConsumerLength-1]); n != 0 {
		t.Fatalf("encoded %d bytes into a short buffer", n)
	}
	if n := r.c.EncodeQos(buf); n != wire.QosConsumerLength {
		t.Fatalf("encoded %d bytes", n)
	}
	var m wire.QosConsumer
	if err := m.Decode(buf); err != nil {
		t.Fatal(err)
	}
	if want := (wire.QosConsumer{StreamID: 7, ConsumerID: 11, Epoch: 3, LastSeqSeen: 5, DropsGap: 2, DropsLate: 1, Mode: wire.ModeStream}); m != want {
		t.Fatalf("QosConsumer %+v, want %+v", m, want)
	}
}

func TestHandleControlIgnoresOtherMessages(t *testing.T) {
	r := newRig(t)
	buf := encoded(&wire.QosProducer{StreamID: 7})
	if err := r.c.HandleControl(buf); err != nil {
		t.Fatal(err)
	}
	desc := encode(r.descriptor(1))
	if err := r.c.HandleControl(desc); err != nil {
		t.Fatal(err)
	}
	if err := r.c.HandleControl(desc[:3]); err == nil {
		t.Fatal("a 3-byte control message accepted")
	}
	if epoch, ok := r.c.Mapped(); !ok || epoch != 3 {
		t.Fatal("mapping disturbed by non-announce messages")
	}
}

package tp

import (
	"testing"

	"github.com/tensorpool/tensorpool/wire"
)

func encodeQosProducer(s QosProducerSnapshot) []byte { return encoded(&s) }

func encodeQosConsumer(s QosConsumerSnapshot) []byte { return encoded(&s) }

// encoded returns m's encoding.
func encoded(m interface {
	EncodedLength() int
	Encode([]byte) (int, error)
}) []byte {
	buf := make([]byte, m.EncodedLength())
	if _, err := m.Encode(buf); err != nil {
		panic(err)
	}
	return buf
}

// Wire §10.4: the newest QosProducer per producer id and QosConsumer per consumer id,
// every field as sent; producers and consumers are separate tables.
func TestWireSpec_10_4_QosMonitorKeepsNewestPerID(t *testing.T) {
	var m QosMonitor
	p1 := QosProducerSnapshot{StreamID: 10, ProducerID: 7, Epoch: 3, CurrentSeq: 100, Watermark: QosNoWatermark}
	p2 := QosProducerSnapshot{StreamID: 11, ProducerID: 8, Epoch: 1, CurrentSeq: 5, Watermark: 42}
	c1 := QosConsumerSnapshot{StreamID: 10, ConsumerID: 7, Epoch: 3, LastSeqSeen: 99, DropsGap: 2, DropsLate: 1, Mode: wire.ModeStream}
	for _, msg := range [][]byte{encodeQosProducer(p1), encodeQosProducer(p2), encodeQosConsumer(c1)} {
		m.handle(msg)
	}
	p1.CurrentSeq, p1.Epoch = 200, 4
	m.handle(encodeQosProducer(p1))
	c1.Mode, c1.DropsLate = wire.ModeRateLimited, 9
	m.handle(encodeQosConsumer(c1))

	if got, ok := m.Producer(7); !ok || got != p1 {
		t.Errorf("producer 7: %+v %v, want %+v", got, ok, p1)
	}
	if got, ok := m.Producer(8); !ok || got != p2 {
		t.Errorf("producer 8: %+v %v, want %+v", got, ok, p2)
	}
	if got, ok := m.Consumer(7); !ok || got != c1 {
		t.Errorf("consumer 7: %+v %v, want %+v", got, ok, c1)
	}
	if _, ok := m.Consumer(8); ok {
		t.Error("consumer 8 was never reported")
	}
	if s := m.Stats(); s != (QosMonitorStats{Producers: 3, Consumers: 2}) {
		t.Errorf("stats %+v", s)
	}
	if err := m.Err(); err != nil {
		t.Errorf("Err %v", err)
	}
}

// Wire §15.8: a QosConsumer whose mode the schema does not define is rejected, not
// misread; the snapshot held stays.
func TestWireSpec_15_8_QosConsumerUnknownModeRejected(t *testing.T) {
	var m QosMonitor
	good := QosConsumerSnapshot{StreamID: 1, ConsumerID: 5, Mode: wire.ModeStream, LastSeqSeen: 1}
	m.handle(encodeQosConsumer(good))
	for _, mode := range []wire.Mode{0, 3, wire.Mode(wire.NullU8)} {
		bad := good
		bad.Mode, bad.LastSeqSeen = mode, 2
		m.handle(encodeQosConsumer(bad))
		wantMalformed(t, m.Err(), "", wire.ErrUnknownEnum)
	}
	if got, _ := m.Consumer(5); got != good {
		t.Fatalf("snapshot %+v, want %+v", got, good)
	}
	if s := m.Stats(); s.Malformed != 3 || s.Consumers != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// Wire §10.4 messages are validated before decoding: short ones, short blocks and headers
// alone are counted as malformed; other templates and schemas sharing the stream are
// skipped silently. Nothing panics.
func TestWireSpec_10_4_QosMonitorMalformedAndForeign(t *testing.T) {
	var m QosMonitor
	whole := encodeQosProducer(QosProducerSnapshot{ProducerID: 1})
	shortBlock := encodeQosProducer(QosProducerSnapshot{ProducerID: 1})
	shortBlock[0] = 8 // header says blockLength 8, the schema's is 28
	foreign := make([]byte, len(whole))
	copy(foreign, whole)
	foreign[4] = byte(wire.DriverSchemaID & 0xff)
	foreign[5] = byte(wire.DriverSchemaID >> 8)
	descriptor := encoded(&wire.FrameDescriptor{})

	for _, tc := range []struct {
		name      string
		msg       []byte
		malformed bool
	}{
		{"empty", nil, true},
		{"header fragment", whole[:5], true},
		{"header only", whole[:wire.HeaderLength], true},
		{"truncated block", whole[:len(whole)-1], true},
		{"short block length", shortBlock, true},
		{"another schema", foreign, false},
		{"another template", descriptor, false},
	} {
		before := m.Stats().Malformed
		m.handle(tc.msg)
		err := m.Err()
		if got := m.Stats().Malformed - before; (got == 1) != tc.malformed || (err != nil) != tc.malformed {
			t.Errorf("%s: malformed count +%d, Err %v", tc.name, got, err)
		}
		if err != nil {
			wantMalformed(t, err, "", nil)
		}
	}
	if _, ok := m.Producer(1); ok {
		t.Fatal("a malformed QosProducer was taken")
	}
}

// At most MaxQosEntries producers are held; the least recently updated one makes room.
func TestQosMonitorCapacity(t *testing.T) {
	var m QosMonitor
	for id := range uint32(MaxQosEntries) {
		m.handle(encodeQosProducer(QosProducerSnapshot{ProducerID: id + 1}))
	}
	m.handle(encodeQosProducer(QosProducerSnapshot{ProducerID: 1, CurrentSeq: 5})) // refresh 1: 2 is now oldest
	m.handle(encodeQosProducer(QosProducerSnapshot{ProducerID: 500}))
	if _, ok := m.Producer(2); ok {
		t.Error("producer 2 (least recently updated) was kept")
	}
	for _, id := range []uint32{1, 3, MaxQosEntries, 500} {
		if _, ok := m.Producer(id); !ok {
			t.Errorf("producer %d missing", id)
		}
	}
	if s := m.Stats(); s.Evicted != 1 || s.Producers != MaxQosEntries+2 {
		t.Errorf("stats %+v", s)
	}
}

// Wire §10.4 over the media driver: QosProducer and QosConsumer published on an Aeron
// stream reach the monitor's snapshots; a malformed message among them is counted.
func TestWireSpec_10_4_QosMonitorOverAeron(t *testing.T) {
	c := bareClient(t)
	stream := freshStream()
	m, err := c.NewQosMonitor("aeron:ipc", stream)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	pub := testPublication(t, c, stream)

	p := QosProducerSnapshot{StreamID: 10000, ProducerID: 21, Epoch: 2, CurrentSeq: 77, Watermark: 3}
	cs := QosConsumerSnapshot{StreamID: 10000, ConsumerID: 22, Epoch: 2, LastSeqSeen: 76, DropsGap: 1, DropsLate: 2, Mode: wire.ModeRateLimited}
	publish(t, pub, encodeQosProducer(p))
	publish(t, pub, encodeQosConsumer(cs))
	publish(t, pub, []byte{1, 2, 3})
	pollUntil(t, "both snapshots and the malformed message", m.Poll, func() bool {
		_, okp := m.Producer(21)
		_, okc := m.Consumer(22)
		return okp && okc && m.Stats().Malformed == 1
	})
	if got, _ := m.Producer(21); got != p {
		t.Errorf("producer %+v, want %+v", got, p)
	}
	if got, _ := m.Consumer(22); got != cs {
		t.Errorf("consumer %+v, want %+v", got, cs)
	}
	wantMalformed(t, m.Err(), "", wire.ErrShortBuffer)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if got, ok := m.Producer(21); !ok || got != p {
		t.Error("snapshot lost on Close")
	}
}

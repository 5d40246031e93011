package tp

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/aeron/counters"
	"github.com/tensorpool/tensorpool/agents/producer"
)

// cncCounters reads the counters of a client of stream in the media driver's CnC file,
// as AeronStat would: their values and labels by type id.
func cncCounters(t *testing.T, streamID, clientID uint32) (values map[int32]int64, labels map[int32]string) {
	t.Helper()
	f, err := cnc.Map(cnc.Path(sharedAeronDir))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := counters.NewReader(f.CountersMetadata, f.CountersValues)
	if err != nil {
		t.Fatal(err)
	}
	values, labels = map[int32]int64{}, map[int32]string{}
	r.ForEach(func(c counters.Counter) bool {
		if s, id, ok := ParseCounterKey(c.Key); ok && s == streamID && id == clientID && c.TypeID >= 1040 && c.TypeID <= 1059 {
			values[c.TypeID], labels[c.TypeID] = c.Value, c.Label
		}
		return true
	})
	return values, labels
}

// A producer's statistics are Aeron counters in the CnC file, with type ids 1040-1049
// and labels naming the metric, the stream and the client; they follow the frames.
func TestProducerCountersInTheCnC(t *testing.T) {
	c, _, _ := startClientWith(t, []uint32{4096}, nil, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	p, err := c.NewProducer(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	tensor := Tensor{Shape: Shape{DType: Uint8, Dims: []int32{100}}, Data: make([]byte, 100)}
	// No consumer: dropped for want of a subscriber.
	for range 3 {
		if err := p.Offer(tensor); err != nil && !errors.Is(err, ErrNoSubscriber) && !errors.Is(err, ErrNotReady) {
			t.Fatal(err)
		}
	}
	var got []received
	cs, err := c.NewConsumer(ctx, testStream, recorder(&got))
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	for range 5 {
		offer(t, p, cs, tensor)
	}
	eventually(t, "five frames", cs, func() bool { return len(got) == 5 })

	stats := p.Stats()
	var values map[int32]int64
	var labels map[int32]string
	deadline := time.Now().Add(waitTimeout)
	for {
		values, labels = cncCounters(t, testStream, p.ID())
		if values[1040] == int64(stats.Frames) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(values) != int(producerCounterCount) {
		t.Fatalf("%d producer counters in the CnC, want %d: %v", len(values), producerCounterCount, labels)
	}
	if values[1040] != 5 || values[1041] != 500 || int64(stats.Frames) != 5 {
		t.Fatalf("frames %d, bytes %d in the CnC; Stats %+v", values[1040], values[1041], stats)
	}
	// Offers retried while the consumer's image connects may be refused for back
	// pressure as well as for want of a subscriber: the drop counters sum to Dropped.
	var drops int64
	for id := int32(1042); id <= 1047; id++ {
		drops += values[id]
	}
	if drops != int64(stats.Dropped) || values[1042] == 0 {
		t.Fatalf("drops %d in the CnC (no subscriber %d), Stats.Dropped %d: %v", drops, values[1042], stats.Dropped, values)
	}
	if want := "tp_producer_frames_total: stream=" + itoa(testStream) + " client=" + itoa(p.ID()); labels[1040] != want {
		t.Fatalf("label %q, want %q", labels[1040], want)
	}
	if want := "tp_producer_drops_total reason=no_subscriber: stream=" + itoa(testStream) + " client=" + itoa(p.ID()); labels[1042] != want {
		t.Fatalf("label %q, want %q", labels[1042], want)
	}

	// Closed, the producer frees its counters.
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(waitTimeout)
	for values, _ := cncCounters(t, testStream, p.ID()); len(values) != 0; values, _ = cncCounters(t, testStream, p.ID()) {
		if time.Now().After(deadline) {
			t.Fatalf("counters left after Close: %v", values)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A consumer's statistics are Aeron counters in the CnC file too, with type ids
// 1050-1059 and the same labels; they follow the frames it delivers and the epochs it
// maps, and go when it closes.
func TestConsumerCountersInTheCnC(t *testing.T) {
	c, _, _ := startClientWith(t, []uint32{4096}, nil, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	p, err := c.NewProducer(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var got []received
	cs, err := c.NewConsumer(ctx, testStream, recorder(&got))
	if err != nil {
		t.Fatal(err)
	}
	tensor := Tensor{Shape: Shape{DType: Uint8, Dims: []int32{100}}, Data: make([]byte, 100)}
	for range 5 {
		offer(t, p, cs, tensor)
	}
	eventually(t, "five frames", cs, func() bool { return len(got) == 5 })

	var values map[int32]int64
	var labels map[int32]string
	deadline := time.Now().Add(waitTimeout)
	for {
		values, labels = cncCounters(t, testStream, cs.ID())
		if values[1050] == 5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stats := cs.Stats()
	if len(values) != int(consumerCounterCount) {
		t.Fatalf("%d consumer counters in the CnC, want %d: %v", len(values), consumerCounterCount, labels)
	}
	if values[1050] != 5 || values[1051] != 500 || stats.Frames != 5 {
		t.Fatalf("frames %d, bytes %d in the CnC; Stats %+v", values[1050], values[1051], stats)
	}
	if values[1057] < 1 || values[1057] != int64(stats.Remaps) {
		t.Fatalf("remaps %d in the CnC, Stats.Remaps %d", values[1057], stats.Remaps)
	}
	if values[1052] != int64(stats.DropsGap) || values[1053] != int64(stats.DropsLate) {
		t.Fatalf("gap %d, late %d drops in the CnC; Stats %+v", values[1052], values[1053], stats)
	}
	if want := "tp_consumer_frames_total: stream=" + itoa(testStream) + " client=" + itoa(cs.ID()); labels[1050] != want {
		t.Fatalf("label %q, want %q", labels[1050], want)
	}
	if want := "tp_consumer_drops_total reason=not_mapped: stream=" + itoa(testStream) + " client=" + itoa(cs.ID()); labels[1054] != want {
		t.Fatalf("label %q, want %q", labels[1054], want)
	}

	if err := cs.Close(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(waitTimeout)
	for values, _ := cncCounters(t, testStream, cs.ID()); len(values) != 0; values, _ = cncCounters(t, testStream, cs.ID()) {
		if time.Now().After(deadline) {
			t.Fatalf("counters left after Close: %v", values)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// Every producer.Result but OK is counted in exactly one drop or misuse counter, so the
// counters in the CnC add up to ProducerStats.Dropped.
func TestEveryProducerResultHasACounter(t *testing.T) {
	for r := producer.Result(0); int(r) < producer.ResultCount; r++ {
		k := producerResultCounter[r]
		if r == producer.OK {
			if k != -1 {
				t.Errorf("OK counted in %s", producerCounterInfos[k].Name)
			}
			continue
		}
		if k < counterProducerDropsNoSubscriber || k > counterProducerMisuse {
			t.Errorf("result %d counted in counter %d, not a drop or misuse counter", r, k)
		}
	}
}

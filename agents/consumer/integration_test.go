package consumer

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/agents/internal/tptest"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
)

// Checked frames: every payload carries its seq, a seq-derived length and fill, and a
// CRC-32C of everything before it, so a consumer can tell a torn frame from a whole one.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func checkedSize(seq uint64, max int) int { return 16 + int(seq*97%uint64(max-16)) }

func fillChecked(buf []byte, seq uint64) {
	binary.LittleEndian.PutUint64(buf, seq)
	for i := 8; i < len(buf)-4; i++ {
		buf[i] = byte(seq*31 + uint64(i))
	}
	binary.LittleEndian.PutUint32(buf[len(buf)-4:], crc32.Checksum(buf[:len(buf)-4], castagnoli))
}

// verifyChecked reports what is wrong with a frame read as f, "" if it is whole.
func verifyChecked(f *Frame, max int) string {
	p := f.Payload
	switch {
	case len(p) < 16:
		return "payload too short"
	case binary.LittleEndian.Uint64(p) != f.Seq:
		return "payload seq differs from descriptor seq"
	case len(p) != checkedSize(f.Seq, max):
		return "values_len_bytes differs from the seq's size"
	case f.Tensor.Ndims != 1 || int(f.Tensor.Dims[0]) != len(p):
		return "tensor dims differ from the payload length"
	case crc32.Checksum(p[:len(p)-4], castagnoli) != binary.LittleEndian.Uint32(p[len(p)-4:]):
		return "checksum mismatch"
	}
	return ""
}

func vector(n int) *shm.TensorHeader {
	return &shm.TensorHeader{Dtype: shm.DtypeUint8, MajorOrder: shm.MajorOrderRow, Ndims: 1, Dims: [shm.MaxDims]int32{int32(n)}}
}

// borrowed lends a producer's memory to a consumer in the same process without giving it
// the right to release it.
type borrowed []byte

func (b borrowed) Bytes() []byte { return b }
func (borrowed) Close() error    { return nil }

func shmBase(t testing.TB) string {
	t.Helper()
	base := "/dev/shm"
	if _, err := os.Stat(base); err != nil {
		base = os.TempDir()
	}
	dir, err := os.MkdirTemp(base, "tp-consumer-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// publish offers one checked frame, backing off while the descriptor log is full. It
// reports failure as an error so it can run on any goroutine.
func publish(p *producer.Producer, buf []byte, maxSize int, deadline time.Time) error {
	seq := p.Seq()
	payload := buf[:checkedSize(seq, maxSize)]
	for {
		c, res := p.Claim(len(payload))
		if res != producer.OK {
			return fmt.Errorf("claim seq %d: %v", seq, res)
		}
		fillChecked(c.Payload(), seq)
		switch res := p.Commit(c, vector(len(payload))); res {
		case producer.OK:
			return nil
		case producer.DropBackPressured, producer.DropAdminAction, producer.DropNotConnected:
			if time.Now().After(deadline) {
				return fmt.Errorf("seq %d still %v at the deadline", seq, res)
			}
			runtime.Gosched()
		default:
			return fmt.Errorf("commit seq %d: %v", seq, res)
		}
	}
}

// TestProducerToConsumerHeapWrapsRing runs both sides in one goroutine over heap regions
// (seen by the race detector), wrapping an 8-slot ring more than a thousand times.
func TestProducerToConsumerHeapWrapsRing(t *testing.T) {
	l := rigLayout()
	pregions := heapProducerRegions(t, l)
	pipe := newPipe(t)
	p, err := producer.New(pregions.r, producer.Config{Descriptors: pipe})
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	var next uint64
	c, err := New(Config{StreamID: l.StreamID}, func(f *Frame) {
		if f.Seq != next {
			bad = append(bad, "out of order")
		}
		next++
		if msg := verifyChecked(f, 4096); msg != "" {
			bad = append(bad, msg)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.AttachRegions(announceFor(l, "shm:file?path=/heap/h", []string{"shm:file?path=/heap/1", "shm:file?path=/heap/2"}, 1), pregions.borrowed()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	deadline := time.Now().Add(10 * time.Second)
	const frames = 10_000
	for range frames {
		if err := publish(p, buf, 4096, deadline); err != nil {
			t.Fatal(err)
		}
		if p.Seq()%3 == 0 { // let up to three frames queue: the ring never laps the reader
			c.rd.Poll(pipe, 10)
		}
	}
	for c.rd.Poll(pipe, 10) > 0 {
	}
	cs := c.Counters()
	if len(bad) > 0 || cs.Frames != frames || cs.DropsGap != 0 || cs.DropsLate != 0 {
		t.Fatalf("bad %q counters %+v", bad[:min(len(bad), 5)], cs)
	}
}

type heapProducer struct {
	r       *producer.Regions
	regions []shm.Region
}

func heapProducerRegions(t testing.TB, l producer.Layout) heapProducer {
	t.Helper()
	now := clock.Now().Nanos()
	hsb := l.HeaderSuperblock()
	hsb.ActivityTimestampNs = uint64(now)
	header, err := tptest.HeapRegion(hsb)
	if err != nil {
		t.Fatal(err)
	}
	var pools []shm.Region
	for i := range l.Pools {
		sb := l.PoolSuperblock(i)
		region, err := tptest.HeapRegion(sb)
		if err != nil {
			t.Fatal(err)
		}
		pools = append(pools, region)
	}
	r, err := producer.NewRegions(l, header, pools)
	if err != nil {
		t.Fatal(err)
	}
	return heapProducer{r: r, regions: append([]shm.Region{header}, pools...)}
}

func (h heapProducer) borrowed() []shm.Region {
	var out []shm.Region
	for _, r := range h.regions {
		out = append(out, borrowed(r.Bytes()))
	}
	return out
}

// mmapPair is a standalone producer under /dev/shm and a consumer that mapped its
// announce, each with its own mapping of the same files.
func mmapPair(t testing.TB, l producer.Layout, pub transport.Publication, handler FrameHandler) (*producer.Producer, *producer.Regions, *Consumer) {
	t.Helper()
	base := shmBase(t)
	r, err := producer.CreateStandalone(producer.StandaloneConfig{BaseDir: base, Namespace: "ns", InstanceID: "p", Layout: l})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Remove() })
	p, err := producer.New(r, producer.Config{Descriptors: pub})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{StreamID: l.StreamID, AllowedBaseDirs: []string{base}}, handler)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	c.SetJoinTime(0)
	buf := announceBytes(t, r, 1, uint64(c.cfg.Clock().Nanos()))
	if err := c.HandleControl(buf); err != nil {
		t.Fatal(err)
	}
	return p, r, c
}

// TestProducerToConsumerMmapConcurrent runs producer and consumer on two goroutines over
// separate mappings of the same files. Every descriptor ends as an accepted, whole frame
// or as a late drop (its slot was lapped before the consumer got there); none is torn.
func TestProducerToConsumerMmapConcurrent(t *testing.T) {
	const maxSize = 8192
	l := producer.Layout{StreamID: 9, Epoch: 1, Nslots: 16, Pools: []producer.PoolSpec{{PoolID: 1, StrideBytes: maxSize}}}
	pipe := newPipe(t)
	var bad []string
	p, _, c := mmapPair(t, l, pipe, func(f *Frame) {
		msg := verifyChecked(f, maxSize)
		if msg != "" && f.Valid() {
			bad = append(bad, msg)
		}
	})
	frames := uint64(50_000)
	if raceEnabled {
		frames = 5_000
	}
	deadline := time.Now().Add(20 * time.Second)
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, maxSize)
		for p.Seq() < frames {
			if err := publish(p, buf, maxSize, deadline); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for c.Counters().LastSeq+1 < frames && time.Now().Before(deadline) {
		if c.rd.Poll(pipe, 16) == 0 {
			runtime.Gosched()
		}
	}
	wg.Wait()
	cs := c.Counters()
	if len(bad) > 0 {
		t.Fatalf("accepted torn frames: %q", bad[:min(len(bad), 5)])
	}
	if cs.Frames == 0 || cs.Frames+cs.DropsLate != frames || cs.DropsGap != 0 {
		t.Fatalf("counters %+v for %d frames", cs, frames)
	}
	t.Logf("%d frames: %d accepted, %d late", frames, cs.Frames, cs.DropsLate)
}

// TestSlowConsumerNeverBlocksProducer: a consumer that takes a millisecond per frame does
// not slow the producer, which keeps overwriting the ring; the frames the consumer reaches
// too late are counted as drops, not read.
func TestSlowConsumerNeverBlocksProducer(t *testing.T) {
	const maxSize = 4096
	l := producer.Layout{StreamID: 9, Epoch: 1, Nslots: 8, Pools: []producer.PoolSpec{{PoolID: 1, StrideBytes: maxSize}}}
	pipe := newPipe(t)
	var bad int
	p, _, c := mmapPair(t, l, pipe, func(f *Frame) {
		time.Sleep(time.Millisecond)
		if verifyChecked(f, maxSize) != "" && f.Valid() {
			bad++
		}
	})
	stop := make(chan struct{})
	var consumerDone sync.WaitGroup
	consumerDone.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if c.rd.Poll(pipe, 1) == 0 {
				time.Sleep(100 * time.Microsecond)
			}
		}
	})
	// The producer offers 20 000 frames as fast as it can, never retrying: a refused
	// descriptor is a drop at the producer, and Offer returns at once either way.
	buf := make([]byte, maxSize)
	var worst time.Duration
	start := time.Now()
	for i := range 20_000 {
		seq := p.Seq()
		payload := buf[:checkedSize(seq, maxSize)]
		fillChecked(payload, seq)
		t0 := time.Now()
		res := p.Offer(payload, vector(len(payload)))
		worst = max(worst, time.Since(t0))
		if res != producer.OK && res != producer.DropBackPressured {
			t.Fatalf("frame %d: %v", i, res)
		}
	}
	elapsed := time.Since(start)
	time.Sleep(20 * time.Millisecond)
	close(stop)
	consumerDone.Wait()
	pc, cs := p.Counters(), c.Counters()
	t.Logf("producer: %d frames in %v (worst offer %v), %d back-pressured; consumer: %d accepted, %d late",
		pc.Frames, elapsed, worst, pc.Results[producer.DropBackPressured], cs.Frames, cs.DropsLate)
	if bad > 0 {
		t.Fatalf("%d torn frames accepted", bad)
	}
	if cs.DropsLate == 0 {
		t.Fatal("the slow consumer never found a slot overwritten")
	}
	if pc.Frames+pc.Results[producer.DropBackPressured] != 20_000 {
		t.Fatalf("producer counters %+v", pc)
	}
}

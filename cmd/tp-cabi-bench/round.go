package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/tp"
)

const (
	sideGo = "go"
	sideC  = "c"
	// The C APIs tp_bench_c.c drives (TP_BENCH_API).
	cAPIBatch    = "batch"
	cAPICallback = "callback"
	cAPIOffer    = "offer"
	// fragmentLimit is both sides' poll limit, as in tp-bench.
	fragmentLimit = 256
)

// crossingsPerFrame are the calls into the library's Go side each C API makes per frame
// on the busier side of the pipeline, at most: commit-and-claim-next, or a batch poll for
// up to fragmentLimit frames; claim and commit, or a callback and a re-check; an offer of
// up to 32 frames (tp_bench_c.c's OFFER_BATCH), or a batch poll.
var crossingsPerFrame = map[string]int{cAPIBatch: 1, cAPICallback: 2, cAPIOffer: 1}

// cAPICalls says, for the report, what each C API's calls into the library are.
var cAPICalls = map[string]string{
	cAPIBatch:    "one call into its Go side per frame",
	cAPICallback: "two calls into its Go side per frame",
	cAPIOffer:    "one call into its Go side per batch of up to 32 frames offered (copied; fewer above 8 KiB), one per batch polled",
}

// roundResult is one round of one side: the line tp_bench_c prints, or the same
// figures from goRound.
type roundResult struct {
	Side     string `json:"side"`
	Measured bool   `json:"measured"` // false for the warm-up round
	// Frames the consumer took intact between its first and last clock reads inside the
	// window, Seconds apart.
	Frames       uint64  `json:"frames"`
	Seconds      float64 `json:"seconds"`
	FramesPerSec float64 `json:"frames_per_sec"`
	BytesPerSec  float64 `json:"bytes_per_sec"`
	// The rest covers the whole round, warm-up included.
	Bad          uint64 `json:"bad"`  // intact frames with the wrong length or seq stamp
	Torn         uint64 `json:"torn"` // frames overwritten while the handler read them
	DropsGap     uint64 `json:"drops_gap"`
	DropsLate    uint64 `json:"drops_late"`
	DropsInvalid uint64 `json:"drops_invalid"`
	// ProducerDropped counts the frames the producer dropped once its first went
	// through. Before that the stream is starting: the descriptor publication reports
	// connected a moment before the media driver raises its limit for the new
	// subscriber, and commits in between are refused as back-pressured, which no
	// consumer misses (its sequence starts at the first frame it sees).
	ProducerDropped uint64 `json:"producer_dropped"`
	Published       uint64 `json:"published"`
	Busy            uint64 `json:"busy"` // claims and commits refused as busy (retried)
	// Waits counts frames the producer had to wait for the consumer to fall less than
	// slots - 1 behind: about Published when the consumer is the slower side, near 0
	// when the producer is.
	Waits uint64 `json:"waits"`
	// CrossingNs is the mean CPU time of one call into the library's Go side, timed by
	// the C side after its round (0 on the Go side).
	CrossingNs float64 `json:"crossing_ns,omitempty"`
	// LoopCrossingNs is what one more call into the library's Go side a frame adds to the
	// C producer's solo CPU time per frame: a crossing as the frame loop pays it, between
	// the frame's own work, where CrossingNs's loop of calls keeps it hot (0 on the Go
	// side).
	LoopCrossingNs float64 `json:"loop_crossing_ns,omitempty"`
	// The producer's CPU time per frame it published in the window, the consumer's per
	// frame it took (CLOCK_THREAD_CPUTIME_ID, which a thread waiting for a core does not
	// advance). The slower side's is its cost per frame; the faster side's includes its
	// waiting (spinning) for the other.
	ProducerCPUNs float64 `json:"producer_cpu_ns"`
	ConsumerCPUNs float64 `json:"consumer_cpu_ns"`
	// Each side alone on one thread after the round (solo): CPU time per frame of
	// publishing bursts of frames, and of taking them.
	SoloProducerNs float64 `json:"solo_producer_ns"`
	SoloConsumerNs float64 `json:"solo_consumer_ns"`
}

func (r *roundResult) drops() uint64 {
	return r.Torn + r.DropsGap + r.DropsLate + r.DropsInvalid + r.ProducerDropped
}

// cRound runs tp_bench_c against the SHM driver and reads its result line.
func (b *bench) cRound(ctx context.Context, s stream, descriptorStream int32) (roundResult, error) {
	var r roundResult
	ctx, cancel := context.WithTimeout(ctx, 2*setupTimeout+b.o.warmup+b.o.window+10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.bin)
	cmd.Env = append(os.Environ(),
		"TP_AERON_DIR="+b.aeronDir,
		"TP_CONTROL_CHANNEL="+channel,
		"TP_CONTROL_STREAM_ID="+strconv.Itoa(controlStream),
		"TP_DESCRIPTOR_CHANNEL="+channel,
		"TP_DESCRIPTOR_STREAM_ID="+strconv.Itoa(int(descriptorStream)),
		"TP_STREAM_ID="+strconv.Itoa(int(s.id)),
		"TP_SHM_BASE_DIRS="+b.baseDir,
		"TP_BENCH_PAYLOAD_BYTES="+strconv.Itoa(s.size),
		"TP_BENCH_SLOTS="+strconv.Itoa(int(s.slots)),
		"TP_BENCH_WARMUP_MS="+strconv.FormatInt(b.o.warmup.Milliseconds(), 10),
		"TP_BENCH_WINDOW_MS="+strconv.FormatInt(b.o.window.Milliseconds(), 10),
		"TP_BENCH_API="+b.o.cAPI,
		"TP_TIMEOUT_MS="+strconv.FormatInt(setupTimeout.Milliseconds(), 10))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	// The child busy-spins, so it must not outlive this process. Pdeathsig follows the
	// forking thread, so that thread stays locked until the child is gone.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	runtime.LockOSThread()
	err := cmd.Run()
	runtime.UnlockOSThread()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return r, fmt.Errorf("%s: %w\n%s", b.bin, err, bytes.TrimSpace(stderr.Bytes()))
	}
	line := bytes.TrimSpace(stdout.Bytes())
	if i := bytes.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("%s printed %q: %w", b.bin, line, err)
	}
	return r, nil
}

// pad keeps what one goroutine writes in its hot loop off the cache lines the other
// reads.
type pad [64]byte

// goBench is the Go round's shared state, laid out like tp_bench_c.c's bench_t.
type goBench struct {
	// Read-only while the goroutines run.
	producer       *tp.Producer
	consumer       *tp.Consumer
	src            []byte
	size           int
	slots          uint64
	clockEvery     int
	startNs        int64
	endNs          int64
	shape          tp.Shape
	_              pad
	consumed       atomic.Uint64 // seen, stored by the consumer after each poll
	_              pad
	stop           atomic.Bool
	window         atomic.Int32 // 0 before the window, 1 in it, 2 after: set by the consumer
	_              pad
	seen           uint64 // frames handed to the handler
	frames         uint64 // of those, intact (Frame.Valid after reading)
	bad            uint64 // intact frames whose length or seq stamp was wrong
	torn           uint64 // frames overwritten while being read
	windowFrames   uint64
	windowNs       int64
	consumerCPUNs  int64
	_              pad
	published      uint64
	busy           uint64
	waits          uint64
	startDropped   uint64 // the producer's Dropped when its first frame went through
	producerCPUNs  int64
	producerFrames uint64 // published in the window
	producerError  error
	soloProducerNs float64
	soloConsumerNs float64
}

// goRound does what tp_bench_c does, in this process through package tp: its own
// client, a producer then a consumer of the stream, a producer goroutine and a consumer
// goroutine, each locked to a thread as a pthread would be.
func (b *bench) goRound(ctx context.Context, s stream, descriptorStream int32) (roundResult, error) {
	var r roundResult
	setup, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	c, err := tp.Connect(setup, tp.Options{AeronDir: b.aeronDir, ControlChannel: channel, ControlStreamID: controlStream,
		DescriptorChannel: channel, DescriptorStreamID: descriptorStream, AllowedBaseDirs: []string{b.baseDir}})
	if err != nil {
		return r, err
	}
	defer c.Close()
	// The producer first: its attach starts the epoch the consumer then maps.
	p, err := c.NewProducer(setup, s.id)
	if err != nil {
		return r, fmt.Errorf("producer: %w", err)
	}
	defer p.Close()
	g := &goBench{producer: p, size: s.size, slots: uint64(s.slots), clockEvery: clockEvery(s.size)}
	cs, err := c.NewConsumer(setup, s.id, g.onFrame)
	if err != nil {
		return r, fmt.Errorf("consumer: %w", err)
	}
	defer cs.Close()
	g.consumer = cs
	for !p.IsConnected() || !cs.IsConnected() {
		if setup.Err() != nil {
			return r, errors.New("producer and consumer not connected on the descriptor stream in time")
		}
		time.Sleep(time.Millisecond)
	}
	g.src = make([]byte, s.size)
	for i := range g.src {
		g.src[i] = byte(i)
	}
	g.shape = tp.Shape{DType: tp.Uint8, Dims: []int32{int32(s.size)}}
	g.startNs = clock.Now().Nanos() + int64(b.o.warmup)
	g.endNs = g.startNs + int64(b.o.window)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); g.consume() }()
	go func() { defer wg.Done(); g.produce() }()
	wg.Wait()
	if g.producerError != nil {
		return r, g.producerError
	}
	soloErr := make(chan error, 1)
	go func() { soloErr <- g.solo() }()
	if err := <-soloErr; err != nil {
		return r, err
	}
	ps, cst := p.Stats(), cs.Stats()
	if ps.LeaseLosses+cst.LeaseLosses > 0 {
		return r, errors.New("a lease was lost during the round")
	}
	seconds := float64(g.windowNs) / 1e9
	r = roundResult{Frames: g.windowFrames, Seconds: seconds, Bad: g.bad, Torn: g.torn,
		DropsGap: cst.DropsGap, DropsLate: cst.DropsLate, DropsInvalid: cst.DropsInvalid,
		ProducerDropped: ps.Dropped - g.startDropped, Published: g.published, Busy: g.busy, Waits: g.waits,
		SoloProducerNs: g.soloProducerNs, SoloConsumerNs: g.soloConsumerNs}
	if seconds > 0 {
		r.FramesPerSec = float64(g.windowFrames) / seconds
		r.BytesPerSec = r.FramesPerSec * float64(s.size)
	}
	if g.producerFrames > 0 {
		r.ProducerCPUNs = float64(g.producerCPUNs) / float64(g.producerFrames)
	}
	if g.windowFrames > 0 {
		r.ConsumerCPUNs = float64(g.consumerCPUNs) / float64(g.windowFrames)
	}
	return r, nil
}

// clockEvery is how many polls pass between clock reads: about 64 KiB of payload, at
// least every poll (tp_bench_c.c's clock_every).
func clockEvery(size int) int { return max(1, (64<<10)/size) }

func (g *goBench) onFrame(f *tp.Frame) {
	g.seen++
	p := f.Payload()
	ok := len(p) == g.size && len(p) >= 8 && binary.LittleEndian.Uint64(p) == f.Seq()
	if !f.Valid() {
		g.torn++
		return
	}
	g.frames++
	if !ok {
		g.bad++
	}
}

func (g *goBench) consume() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	countdown := g.clockEvery
	var firstNs, firstCPU int64
	var firstFrames uint64
	started := false
	for {
		if g.consumer.Poll(fragmentLimit) > 0 {
			g.consumed.Store(g.seen)
		}
		if countdown--; countdown > 0 {
			continue
		}
		countdown = g.clockEvery
		now := clock.Now().Nanos()
		if !started && now >= g.startNs {
			started, firstNs, firstFrames, firstCPU = true, now, g.frames, threadCPUNs()
			g.window.Store(1)
		}
		if now >= g.endNs {
			g.windowFrames, g.windowNs, g.consumerCPUNs = g.frames-firstFrames, now-firstNs, threadCPUNs()-firstCPU
			g.window.Store(2)
			break
		}
		if g.stop.Load() {
			break // the producer failed
		}
	}
	g.stop.Store(true)
}

func (g *goBench) produce() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ahead := g.slots - 1
	var published, consumed, busy, waits uint64
	waiting := false
	var window int32
	var firstCPU int64
	var firstPublished uint64
	mark := func(w int32) { // the window opened (1) or closed (2)
		if window = w; w == 1 {
			firstCPU, firstPublished = threadCPUNs(), published
		} else {
			g.producerCPUNs, g.producerFrames = threadCPUNs()-firstCPU, published-firstPublished
		}
	}
loop:
	for !g.stop.Load() {
		if w := g.window.Load(); w != window {
			mark(w)
		}
		if published-consumed > ahead {
			consumed = g.consumed.Load()
			if !waiting && published-consumed > ahead {
				waits++
				waiting = true
			}
			continue
		}
		waiting = false
		ok, err := g.publishOne()
		switch {
		case err != nil:
			g.producerError = err
			break loop
		case ok:
			if published == 0 {
				g.startDropped = g.producer.Stats().Dropped
			}
			published++
		default:
			busy++ // refused or dropped: counted in the producer's stats
		}
	}
	if window == 1 { // the window closed as the loop ended
		mark(2)
	}
	g.published, g.busy, g.waits = published, busy, waits
	g.stop.Store(true)
}

// soloBursts and soloMaxBurst are tp_bench_c.c's SOLO_BURSTS and SOLO_MAX_BURST.
const (
	soloBursts   = 200
	soloMaxBurst = 256
)

// solo is tp_bench_c.c's solo: each side alone on one thread, after the round.
func (g *goBench) solo() error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	burst := min(g.slots/2, soloMaxBurst)
	var produceNs, consumeNs int64
	var frames uint64
	for empty := 0; empty < 1000; { // first take what the round left published
		if g.consumer.Poll(fragmentLimit) > 0 {
			empty = 0
		} else {
			empty++
		}
	}
	for range soloBursts {
		t0 := threadCPUNs()
		var done uint64
		for tries := 0; done < burst && tries < 1000000; tries++ {
			published, err := g.publishOne()
			if err != nil {
				return fmt.Errorf("solo: %w", err)
			}
			if published {
				done++
			}
		}
		t1 := threadCPUNs()
		before := g.seen
		for idle := 0; g.seen-before < done; {
			if g.consumer.Poll(fragmentLimit) > 0 {
				idle = 0
			} else if idle++; idle > 10000000 {
				return fmt.Errorf("solo: %d of %d frames taken", g.seen-before, done)
			}
		}
		t2 := threadCPUNs()
		produceNs, consumeNs, frames = produceNs+t1-t0, consumeNs+t2-t1, frames+done
	}
	if frames > 0 {
		g.soloProducerNs, g.soloConsumerNs = float64(produceNs)/float64(frames), float64(consumeNs)/float64(frames)
	}
	return nil
}

// threadCPUNs is the calling thread's CPU time (the goroutine is locked to it).
func threadCPUNs() int64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return ts.Nano()
}

// publishOne claims, fills and commits one frame: false without an error when the claim
// was refused or the frame dropped for a reason to retry.
func (g *goBench) publishOne() (bool, error) {
	c, err := g.producer.Claim(g.size)
	if err != nil {
		if errors.Is(err, tp.ErrBusy) {
			return false, nil
		}
		return false, fmt.Errorf("claim: %w", err)
	}
	p := c.Payload()
	copy(p, g.src)
	binary.LittleEndian.PutUint64(p, c.Seq())
	switch err := c.Commit(g.shape); {
	case err == nil:
		return true, nil
	case errors.Is(err, tp.ErrBusy):
		return false, nil
	default:
		return false, fmt.Errorf("commit: %w", err)
	}
}

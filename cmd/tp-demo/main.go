// Command tp-demo shows the tensor pool at work in one process: an embedded Aeron media
// driver, the SHM driver, a producer publishing images and a consumer reading them
// zero-copy. Every second it prints frames/s, MiB/s and drops; after -duration it stops,
// and the SHM files and the media driver's directory are removed.
//
//	go run ./cmd/tp-demo [-duration 5s] [-size 655360] [-slots 64] [-rate 0] [-aeron-dir DIR]
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/bits"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/tp/local"
)

const (
	streamID       = 1
	controlStream  = 7000
	descriptorsID  = 7001
	exitOK         = 0
	exitFailure    = 1
	exitUsage      = 2
	attachDeadline = 30 * time.Second
)

type options struct {
	duration time.Duration
	size     int
	slots    uint
	rate     int
	aeronDir string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("tp-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "how long to publish")
	fs.IntVar(&o.size, "size", 640<<10, "frame payload bytes (a 640 KiB image by default)")
	fs.UintVar(&o.slots, "slots", 64, "slots in the ring (a power of two)")
	fs.IntVar(&o.rate, "rate", 0, "frames per second to publish, 0 for as fast as the consumer keeps up")
	fs.StringVar(&o.aeronDir, "aeron-dir", "", "aeron.dir of a running media driver (default: start an embedded one)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.duration <= 0:
		return o, errors.New("-duration must be positive")
	case o.size < 16 || o.size > 1<<30:
		return o, errors.New("-size must be between 16 bytes and 1 GiB")
	case o.slots < 2 || o.slots > 1<<20 || o.slots&(o.slots-1) != 0:
		return o, errors.New("-slots must be a power of two between 2 and 2^20")
	case o.rate < 0:
		return o, errors.New("-rate must not be negative")
	}
	return o, nil
}

// stride is the pool stride for frames of size bytes: a power of two, at least a page.
func stride(size int) uint32 {
	return uint32(1) << max(12, bits.Len(uint(size-1)))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "tp-demo:", err)
		return exitUsage
	}
	err = demo(ctx, o, stdout)
	switch {
	case err != nil && errors.Is(err, context.Canceled) && errors.Is(ctx.Err(), context.Canceled):
		// Interrupted while starting: nothing ran, nothing failed.
		fmt.Fprintln(stderr, "tp-demo: interrupted while starting")
	case err != nil:
		fmt.Fprintln(stderr, "tp-demo:", err)
		return exitFailure
	}
	return exitOK
}

func demo(ctx context.Context, o options, out io.Writer) error {
	parent := "/dev/shm"
	if st, err := os.Stat(parent); err != nil || !st.IsDir() {
		parent = os.TempDir()
	}
	base, err := os.MkdirTemp(parent, "tp-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	cfg, err := config.Local(base, controlStream, config.StreamSpec{StreamID: streamID, Slots: uint32(o.slots), Strides: []uint32{stride(o.size)}})
	if err != nil {
		return err
	}
	attachCtx, cancel := context.WithTimeout(ctx, attachDeadline)
	defer cancel()
	stack, err := local.Start(attachCtx, local.Config{AeronDir: o.aeronDir, Driver: cfg})
	if err != nil {
		return err
	}
	defer stack.Close()
	opts := stack.Options()
	opts.DescriptorStreamID = descriptorsID
	client, err := tp.Connect(attachCtx, opts)
	if err != nil {
		return err
	}
	defer client.Close()

	var corrupt atomic.Uint64
	consumer, err := client.NewConsumer(attachCtx, streamID, func(f *tp.Frame) {
		// The producer stamps the sequence at both ends of each frame; a frame that reads
		// whole and passes Valid must carry its own sequence twice.
		p := f.Payload()
		if len(p) < 16 {
			corrupt.Add(1)
			return
		}
		head, tail := binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[len(p)-8:])
		if f.Valid() && (head != f.Seq() || tail != f.Seq()) {
			corrupt.Add(1)
		}
	})
	if err != nil {
		return err
	}
	defer consumer.Close()
	producer, err := client.NewProducer(attachCtx, streamID)
	if err != nil {
		return err
	}
	defer producer.Close()

	fmt.Fprintf(out, "tp-demo: stream %d, %d slots of %s frames, SHM in %s, for %v\n", streamID, o.slots, byteSize(o.size), base, o.duration)
	fmt.Fprintf(out, "%6s %10s %10s %8s\n", "time", "frames/s", "MiB/s", "drops")

	runCtx, stopRun := context.WithTimeout(ctx, o.duration)
	defer stopRun()
	var wg sync.WaitGroup
	var produceErr error
	wg.Go(func() { produceErr = produce(runCtx, producer, o) })
	wg.Go(func() { consume(runCtx, consumer) })

	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	first, prev := sample(consumer), sample(consumer)
	prevAt := start
	for done := false; !done; {
		select {
		case <-runCtx.Done():
			done = true
		case now := <-tick.C:
			cur := sample(consumer)
			report(out, fmt.Sprintf("%.0fs", now.Sub(start).Seconds()), prev, cur, now.Sub(prevAt))
			prev, prevAt = cur, now
		}
	}
	wg.Wait()
	if produceErr != nil {
		return produceErr
	}
	elapsed := time.Since(start)
	total := sample(consumer)
	frames, mib, secs := total.frames-first.frames, float64(total.bytes-first.bytes)/(1<<20), elapsed.Seconds()
	fmt.Fprintf(out, "total: %d frames, %.1f MiB in %.1fs (%.0f frames/s, %.1f MiB/s), %d drops, %d corrupt frames\n",
		frames, mib, secs, float64(frames)/secs, mib/secs, total.drops-first.drops, corrupt.Load())
	if total.drops > first.drops && o.rate == 0 {
		fmt.Fprintln(out, "drops are frames the unthrottled producer overwrote before the consumer read them; -rate caps the producer")
	}
	if n := corrupt.Load(); n > 0 {
		return fmt.Errorf("%d frames failed their check", n)
	}
	if err := ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

type counts struct{ frames, bytes, drops uint64 }

// sample reads the consumer's deliveries and drops: published frames it never read
// (gap) or found overwritten (late). A publish refused by back pressure is not a drop
// here: the demo's producer retries it.
func sample(c *tp.Consumer) counts {
	cs := c.Stats()
	return counts{frames: cs.Frames, bytes: cs.Bytes, drops: cs.DropsGap + cs.DropsLate}
}

func report(out io.Writer, label string, prev, cur counts, dt time.Duration) {
	s := dt.Seconds()
	fmt.Fprintf(out, "%6s %10.0f %10.1f %8d\n", label, float64(cur.frames-prev.frames)/s, float64(cur.bytes-prev.bytes)/(1<<20)/s, cur.drops-prev.drops)
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// produce publishes frames until ctx ends, at o.rate per second or as fast as the
// descriptor stream takes them, backing off when it is full.
func produce(ctx context.Context, p *tp.Producer, o options) error {
	shape := tp.Shape{DType: tp.Uint8, Dims: []int32{int32(o.size)}}
	image := make([]byte, o.size)
	for i := range image {
		image[i] = byte(i)
	}
	idle := agent.NewBackoff()
	var interval time.Duration
	if o.rate > 0 {
		interval = time.Second / time.Duration(o.rate)
	}
	next := time.Now()
	for ctx.Err() == nil {
		if interval > 0 {
			if wait := time.Until(next); wait > 0 {
				time.Sleep(wait)
			}
			next = next.Add(interval)
		}
		claim, err := p.Claim(o.size)
		if err == nil {
			// The "camera" writes its image straight into the shared payload slot.
			b := claim.Payload()
			copy(b, image)
			binary.LittleEndian.PutUint64(b, claim.Seq())
			binary.LittleEndian.PutUint64(b[len(b)-8:], claim.Seq())
			err = claim.Commit(shape)
		}
		switch {
		case err == nil:
			idle.Reset()
		case errors.Is(err, tp.ErrBusy):
			idle.Idle(0)
		default:
			return err
		}
	}
	return nil
}

// consume polls until ctx ends, backing off while there is nothing to read.
func consume(ctx context.Context, c *tp.Consumer) {
	idle := agent.NewBackoff()
	for ctx.Err() == nil {
		idle.Idle(c.Poll(64))
	}
}

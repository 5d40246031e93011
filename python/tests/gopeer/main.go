// Command gopeer is the Go side of the Python package's interop tests (python/tests): the
// producer or a consumer of one stream through package tp, against a running tp-driver.
//
// Frames carry the payload pattern of the C examples (cabi/examples/tp_example_common.h):
// the first 8 bytes are the frame's seq, little-endian, and every later byte i is
// (seq + i) & 0xff, so each side can tell an intact frame from a torn or misrouted one.
//
//	gopeer -role produce -stream 20001 -count 100 -dtype float32 -shape 4,8
//	gopeer -role consume -stream 20001 -count 100 -dtype float32 -shape 4,8
//
// The producer waits for a consumer on its descriptor stream first, retries frames the
// library refused as busy, and with -count 0 publishes until -duration has passed. The
// consumer exits 0 once it took -count intact frames of the expected dtype, shape and
// strides. Exit codes: 0 done, 1 failed or timed out, 2 bad flags.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/tp"
)

// channel is the control and descriptor channel, plain "aeron:ipc" as the C library's
// default: every publisher of an IPC stream shares one log, and one naming a term length
// other than the log's is refused (Python clients publish on "aeron:ipc" too, whose log
// has the default length; tp-driver's own publications name 4 MiB in these tests).
const channel = "aeron:ipc"

type options struct {
	role          string
	aeronDir      string
	shmDir        string
	controlStream int
	stream        uint32
	count         int
	shape         tp.Shape
	size          int
	timeout       time.Duration
	duration      time.Duration
	linger        time.Duration
	interval      time.Duration
}

var dtypes = map[string]tp.DType{
	"uint8": shm.DtypeUint8, "int8": shm.DtypeInt8, "uint16": shm.DtypeUint16, "int16": shm.DtypeInt16,
	"uint32": shm.DtypeUint32, "int32": shm.DtypeInt32, "uint64": shm.DtypeUint64, "int64": shm.DtypeInt64,
	"float32": shm.DtypeFloat32, "float64": shm.DtypeFloat64, "bool": shm.DtypeBoolean,
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "gopeer:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	opts := tp.Options{AeronDir: o.aeronDir, ControlChannel: channel, ControlStreamID: int32(o.controlStream),
		DescriptorChannel: channel}
	if o.shmDir != "" {
		opts.AllowedBaseDirs = []string{o.shmDir}
	}
	c, err := tp.Connect(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "gopeer: connect:", err)
		return 1
	}
	defer c.Close()
	if o.role == "produce" {
		err = produce(ctx, c, o, stdout)
	} else {
		err = consume(ctx, c, o, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "gopeer:", err)
		return 1
	}
	return 0
}

func parse(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("gopeer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	var stream uint
	var dtype, shape, strides string
	fs.StringVar(&o.role, "role", "", "produce or consume")
	fs.StringVar(&o.aeronDir, "aeron-dir", "", "the media driver's directory (default as for tp.Options)")
	fs.StringVar(&o.shmDir, "shm-dir", "", "the directory regions may be mapped from (default as for tp.Options)")
	fs.IntVar(&o.controlStream, "control-stream", tp.DefaultControlStreamID, "the SHM driver's control stream")
	fs.UintVar(&stream, "stream", 0, "the tensor pool stream")
	fs.IntVar(&o.count, "count", 10, "frames to publish or take (produce: 0 publishes until -duration)")
	fs.StringVar(&dtype, "dtype", "uint8", "element type of every frame")
	fs.StringVar(&shape, "shape", "1024", "comma-separated dimensions")
	fs.StringVar(&strides, "strides", "", "comma-separated byte strides (default contiguous)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "time allowed for the whole run")
	fs.DurationVar(&o.duration, "duration", 0, "produce with -count 0: publish for this long")
	fs.DurationVar(&o.interval, "interval", 0, "produce: pause between frames")
	fs.DurationVar(&o.linger, "linger", 500*time.Millisecond, "produce: keep the lease this long after the last frame")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.role != "produce" && o.role != "consume" {
		return nil, fmt.Errorf("-role %q: want produce or consume", o.role)
	}
	if stream == 0 || stream > 1<<32-1 {
		return nil, fmt.Errorf("-stream %d: want a stream id from 1 to 4294967295", stream)
	}
	o.stream = uint32(stream)
	var ok bool
	if o.shape.DType, ok = dtypes[dtype]; !ok {
		return nil, fmt.Errorf("-dtype %q: not one of the tensor dtypes", dtype)
	}
	var err error
	if o.shape.Dims, err = int32List(shape); err != nil || len(o.shape.Dims) == 0 {
		return nil, fmt.Errorf("-shape %q: want comma-separated dimensions (%v)", shape, err)
	}
	if strides != "" {
		if o.shape.Strides, err = int32List(strides); err != nil || len(o.shape.Strides) != len(o.shape.Dims) {
			return nil, fmt.Errorf("-strides %q: want one byte stride a dimension (%v)", strides, err)
		}
	}
	o.size = extent(o.shape)
	if o.size < 8 {
		return nil, fmt.Errorf("-shape %q of %s: %d bytes, fewer than the 8 the seq stamp needs", shape, dtype, o.size)
	}
	if o.count < 0 || (o.count == 0 && (o.role == "consume" || o.duration <= 0)) {
		return nil, errors.New("-count 0 needs -role produce and a -duration")
	}
	return o, nil
}

func int32List(s string) ([]int32, error) {
	var out []int32
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseInt(strings.TrimSpace(f), 10, 32)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%q is not a non-negative 32-bit integer", f)
		}
		out = append(out, int32(v))
	}
	return out, nil
}

// extent is the bytes a tensor of shape spans: the product of its dims times the
// element size when contiguous, else the end of its last element.
func extent(s tp.Shape) int {
	elem := int(s.DType.ElemSize())
	if s.Strides == nil {
		n := elem
		for _, d := range s.Dims {
			n *= int(d)
		}
		return n
	}
	end := elem
	for i, d := range s.Dims {
		end += (int(d) - 1) * int(s.Strides[i])
	}
	return end
}

func fillPattern(p []byte, seq uint64) {
	var stamp [8]byte
	binary.LittleEndian.PutUint64(stamp[:], seq)
	n := copy(p, stamp[:])
	for i := n; i < len(p); i++ {
		p[i] = byte(seq + uint64(i))
	}
}

func checkPattern(p []byte, seq uint64) error {
	var stamp [8]byte
	binary.LittleEndian.PutUint64(stamp[:], seq)
	for i := range p {
		want := byte(seq + uint64(i))
		if i < 8 {
			want = stamp[i]
		}
		if p[i] != want {
			return fmt.Errorf("frame %d: byte %d is %d, want %d", seq, i, p[i], want)
		}
	}
	return nil
}

func produce(ctx context.Context, c *tp.Client, o *options, stdout io.Writer) error {
	p, err := c.NewProducer(ctx, o.stream)
	if err != nil {
		return fmt.Errorf("producer: %w", err)
	}
	defer p.Close()
	for !p.IsConnected() {
		if ctx.Err() != nil {
			return errors.New("no consumer subscribed to the descriptor stream in time")
		}
		time.Sleep(time.Millisecond)
	}
	end := time.Now().Add(o.duration)
	sent := 0
	for o.count == 0 && time.Now().Before(end) || o.count > 0 && sent < o.count {
		if ctx.Err() != nil {
			return fmt.Errorf("published %d of %d frames in time", sent, o.count)
		}
		cl, err := p.Claim(o.size)
		if errors.Is(err, tp.ErrBusy) {
			time.Sleep(100 * time.Microsecond)
			continue
		}
		if err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		fillPattern(cl.Payload()[:o.size], cl.Seq())
		if err := cl.Commit(o.shape); errors.Is(err, tp.ErrBusy) {
			time.Sleep(100 * time.Microsecond)
			continue
		} else if err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		sent++
		if o.interval > 0 {
			time.Sleep(o.interval)
		}
	}
	fmt.Fprintf(stdout, "sent %d frames\n", sent)
	time.Sleep(o.linger) // consumers read the last frames before the lease ends
	return nil
}

func consume(ctx context.Context, c *tp.Client, o *options, stdout io.Writer) error {
	var got, torn int
	var bad error
	handler := func(f *tp.Frame) {
		if bad != nil {
			return
		}
		p := f.Payload()
		check := checkPattern(p, f.Seq())
		if !f.Valid() {
			torn++
			return
		}
		switch {
		case check != nil:
			bad = check
		case len(p) != o.size:
			bad = fmt.Errorf("frame %d: %d bytes, want %d", f.Seq(), len(p), o.size)
		case f.DType() != o.shape.DType || !equal(f.Dims(), o.shape.Dims) || !stridesMatch(f.Strides(), o.shape):
			bad = fmt.Errorf("frame %d: %v %v strides %v, want %v %v strides %v", f.Seq(), f.DType(), f.Dims(), f.Strides(),
				o.shape.DType, o.shape.Dims, o.shape.Strides)
		default:
			got++
		}
	}
	cs, err := c.NewConsumer(ctx, o.stream, handler)
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	defer cs.Close()
	fmt.Fprintln(stdout, "attached")
	for got < o.count && bad == nil {
		if ctx.Err() != nil {
			return fmt.Errorf("took %d of %d frames in time (%d torn)", got, o.count, torn)
		}
		if cs.Poll(256) == 0 {
			time.Sleep(100 * time.Microsecond)
		}
	}
	if bad != nil {
		return bad
	}
	fmt.Fprintf(stdout, "received %d frames\n", got)
	return nil
}

func equal(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// stridesMatch compares a frame's byte strides with the ones the shape asked for, or
// with row-major contiguous ones when it asked for none.
func stridesMatch(got []int64, s tp.Shape) bool {
	if len(got) != len(s.Dims) {
		return false
	}
	step := s.DType.ElemSize()
	for i := len(s.Dims) - 1; i >= 0; i-- {
		want := step
		if s.Strides != nil {
			want = int64(s.Strides[i])
		}
		if got[i] != want {
			return false
		}
		step *= int64(s.Dims[i])
	}
	return true
}

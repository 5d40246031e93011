// Command tp-cabi-bench measures the C ABI (libtensorpool.so) against the Go-native
// path, in one run, on one media driver and one SHM driver: a C producer → C consumer
// through the library versus a Go producer → Go consumer through package tp, doing
// the same steps.
//
// The command starts the embedded Java media driver (or uses --aeron-dir), runs the
// SHM driver in this process (tp.LocalDriverConfig, one stream per payload size), builds
// libtensorpool.so from ./cabi and compiles cabi/bench/tp_bench_c.c against it (or takes
// --lib and --bin). Each round attaches a fresh producer and consumer (a new epoch, on a
// descriptor stream of its own): the C round runs tp_bench_c as a child process, the Go
// round does the same in goroutines of this process (see goRound and tp_bench_c.c).
// After one warm-up round per side, rounds alternate Go, C, C, Go, ... so both sides
// share the machine's conditions; the report gives medians, the median (min–max) of
// the per-pair C/Go ratios and the per-frame cost C − Go in ns, which at 64 B is the
// per-call overhead of the C ABI on the slower side of the pipeline. Each C round also
// times one call into the library's Go side (a crossing, see tp_bench_c.c), and the
// report sets the 64 B overhead against the crossings the C API in use needs per frame:
// one with --c-api batch (the default), two with --c-api callback, at most one with
// --c-api offer (a call per batch of frames offered).
//
// Usage: go run ./cmd/tp-cabi-bench [--sizes 64,640K] [--rounds 3] [--c-api batch] [--json] [-v]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/cmd/internal/benchsize"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/tp/local"
)

const (
	channel = "aeron:ipc"
	// controlStream is the SHM driver's control and announce stream; each round's
	// descriptor stream is one of the ids above it.
	controlStream = 48100
	// firstStream is the tensor pool stream of the first size; the next sizes follow.
	firstStream = 10000
	// setupTimeout bounds each attach and the wait for both ends to connect.
	setupTimeout = 10 * time.Second
)

type options struct {
	sizes    []int
	rounds   int
	warmup   time.Duration
	window   time.Duration
	lib, bin string
	aeronDir string
	cAPI     string
	json     bool
	verbose  bool
}

func main() { os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr)) }

func cli(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "tp-cabi-bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, stdout); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "tp-cabi-bench: interrupted")
			return 130
		}
		fmt.Fprintln(stderr, "tp-cabi-bench:", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("tp-cabi-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	sizes := fs.String("sizes", "64,640K", "payload sizes, comma separated, with optional K or M suffix (8 B to 16M)")
	fs.IntVar(&o.rounds, "rounds", 3, "measured rounds per size and side, after one warm-up round each")
	fs.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "unmeasured run at the start of every round")
	fs.DurationVar(&o.window, "window", 2*time.Second, "measurement window of every round")
	fs.StringVar(&o.lib, "lib", "", "a built libtensorpool.so to compile the C side against (default: build one from ./cabi)")
	fs.StringVar(&o.bin, "bin", "", "a built tp_bench_c to run as the C side, instead of --lib (default: compile cabi/bench/tp_bench_c.c)")
	fs.StringVar(&o.aeronDir, "aeron-dir", os.Getenv(mediadriver.EnvDir), "aeron.dir of a running media driver (default $"+mediadriver.EnvDir+"; empty: start an embedded one)")
	fs.StringVar(&o.cAPI, "c-api", cAPIBatch, "the C side's calls: batch (one call into the library per frame), callback (two) or offer (one per batch of up to 32 frames, copied)")
	fs.BoolVar(&o.json, "json", false, "print JSON instead of tables")
	fs.BoolVar(&o.verbose, "v", false, "print every round")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tp-cabi-bench [flags]\n\n"+
			"C producer → C consumer through libtensorpool.so against the same in Go through package tp,\n"+
			"alternating rounds on one media driver and one SHM driver.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.sizes, err = benchsize.ParseList(*sizes); err != nil {
		return nil, err
	}
	if o.rounds < 1 {
		return nil, fmt.Errorf("--rounds %d: want at least 1", o.rounds)
	}
	if o.lib != "" && o.bin != "" {
		return nil, errors.New("--lib and --bin: give one (a --bin finds its library through its own rpath)")
	}
	if _, ok := crossingsPerFrame[o.cAPI]; !ok {
		return nil, fmt.Errorf("--c-api %q: want batch, callback or offer", o.cAPI)
	}
	if o.window < time.Millisecond || o.warmup < 0 {
		return nil, errors.New("--window must be at least 1ms and --warmup not negative")
	}
	return o, nil
}

// bench holds what every round of one invocation shares.
type bench struct {
	o          *options
	aeronDir   string
	baseDir    string // the regions' base directory, under /dev/shm
	lib, bin   string // lib is "" when --bin was given
	nextStream int32  // the next round's descriptor stream
}

// stream is one payload size's tensor pool stream.
type stream struct {
	id            uint32
	size          int
	stride, slots uint32
}

func run(ctx context.Context, o *options, out io.Writer) error {
	b := &bench{o: o, bin: o.bin, nextStream: controlStream + 1}
	if b.bin == "" {
		buildDir, err := os.MkdirTemp("", tempPrefix())
		if err != nil {
			return err
		}
		defer os.RemoveAll(buildDir)
		if b.lib, b.bin, err = build(ctx, o.lib, buildDir); err != nil {
			return err
		}
	}
	var driver *mediadriver.Driver
	var err error
	if o.aeronDir != "" {
		driver, err = mediadriver.External(o.aeronDir, setupTimeout)
	} else {
		driver, err = mediadriver.Start(mediadriver.Config{StartTimeout: 60 * time.Second})
	}
	if err != nil {
		return err
	}
	defer driver.Close()
	b.aeronDir = driver.Dir()
	if b.baseDir, err = os.MkdirTemp("/dev/shm", tempPrefix()); err != nil {
		return err
	}
	defer os.RemoveAll(b.baseDir)
	streams := make([]stream, len(o.sizes))
	specs := make([]config.StreamSpec, len(o.sizes))
	for i, size := range o.sizes {
		stride, slots := benchsize.Geometry(size)
		streams[i] = stream{id: firstStream + uint32(i), size: size, stride: stride, slots: slots}
		specs[i] = config.StreamSpec{StreamID: streams[i].id, Slots: slots, Strides: []uint32{stride}}
	}
	cfg, err := config.Local(b.baseDir, controlStream, specs...)
	if err != nil {
		return err
	}
	connectCtx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	shmDriver, err := local.Start(connectCtx, local.Config{AeronDir: b.aeronDir, Driver: cfg})
	if err != nil {
		return err
	}
	defer shmDriver.Close()

	rep := report{GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		EmbeddedDriver: driver.Embedded(), Rounds: o.rounds, WarmupS: o.warmup.Seconds(), WindowS: o.window.Seconds(),
		FragmentLimit: fragmentLimit, Library: b.lib, Program: b.bin, CAPI: o.cAPI, CrossingsPerFrame: crossingsPerFrame[o.cAPI]}
	if !o.json {
		printPreamble(out, &rep)
	}
	for _, s := range streams {
		sr, err := b.measure(ctx, s, out)
		if err != nil {
			return fmt.Errorf("%s: %w", sizeName(s.size), err)
		}
		rep.Sizes = append(rep.Sizes, *sr)
		if !o.json {
			printRow(out, sr)
		}
	}
	if o.json {
		err = writeJSON(out, &rep)
	} else {
		printTargets(out, &rep)
	}
	if err == nil {
		err = rep.faults()
	}
	return err
}

// measure runs one warm-up round per side, then the measured rounds in the order Go, C,
// C, Go, ...
func (b *bench) measure(ctx context.Context, s stream, out io.Writer) (*sizeReport, error) {
	sr := &sizeReport{SizeBytes: s.size, StrideBytes: s.stride, Slots: s.slots}
	round := func(side string, measured bool) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		desc := b.nextStream
		b.nextStream++
		var r roundResult
		var err error
		if side == sideGo {
			r, err = b.goRound(ctx, s, desc)
		} else {
			r, err = b.cRound(ctx, s, desc)
		}
		if err != nil {
			return fmt.Errorf("%s round: %w", side, err)
		}
		r.Side, r.Measured = side, measured
		sr.add(&r)
		if b.o.verbose && !b.o.json {
			printRound(out, s.size, &r)
		}
		return nil
	}
	for _, side := range []string{sideGo, sideC} {
		if err := round(side, false); err != nil {
			return nil, err
		}
	}
	for i := range b.o.rounds {
		order := []string{sideGo, sideC}
		if i%2 == 1 {
			order = []string{sideC, sideGo}
		}
		for _, side := range order {
			if err := round(side, true); err != nil {
				return nil, err
			}
		}
	}
	sr.summarise()
	return sr, nil
}

// moduleFile is a file of this module's source tree.
func moduleFile(parts ...string) (string, error) {
	root, err := mediadriver.ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{root}, parts...)...), nil
}

// tempPrefix names this process's temporary directories, so a check for leftovers sees
// only its own, not those of another run beside it.
func tempPrefix() string { return fmt.Sprintf("tp-cabi-bench-%d-", os.Getpid()) }

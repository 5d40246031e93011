// Command tp-aeron-bench measures this repository's Go Aeron client against
// the official Java client, in one run, on one media driver: IPC throughput
// on the try-claim path (messages/s at 32 B and 256 B) and ping-pong round
// trip time (p50, p99).
//
// Both sides do the same thing. Bench.java (the Java side, compiled by this
// command with javac against aeron-all.jar) runs as a server in its own JVM
// with one Aeron client; the Go side runs in this process with one
// aeron.Client. For throughput, a subscriber thread (goroutine) busy-polls
// while the main one publishes by try-claim/commit on a concurrent IPC
// publication; for ping-pong, a pong thread (goroutine) echoes each ping by
// try-claim/commit. Those threads run only during their round. Rounds alternate Java, Go, Go, Java, ... so both sides
// share the machine's conditions; the report gives medians and the median
// of the per-round Go/Java ratios.
//
// Built with -tags aeronc (and libaeron found, see package aeronc), a third
// side does the same through the official Aeron C client (package aeronc,
// its conductor on its own thread), in the same alternation; a second table
// compares it with the Go side, beside the measured cost of one Go-to-C call.
//
// The driver is the embedded Java media driver (aeron.threading.mode=SHARED
// with a backoff idle strategy, see mediadriver.DefaultProperties) with
// Aeron's default 64 MiB IPC terms, or an external one with -dir.
// Busy-spinning is for benchmarks only.
//
// Usage: go run [-tags aeronc] ./cmd/tp-aeron-bench [-rounds 15] [-count 5000000] [-v]
package main

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/transport"
)

//go:embed Bench.java
var benchJava []byte

const (
	channel       = "aeron:ipc"
	fragmentLimit = 256
)

type options struct {
	rounds, count, warmup       int
	pingRounds, pings, pingWarm int
	sizes                       []int
	pingSize                    int
	dir, jar, java, classDir    string
	termLength                  string
	cpuProfile, only            string
	verbose                     bool
}

func main() {
	var o options
	var sizes string
	flag.IntVar(&o.rounds, "rounds", 15, "throughput rounds per size and side, after one warm-up round")
	flag.IntVar(&o.count, "count", 5_000_000, "messages per throughput round")
	flag.IntVar(&o.warmup, "warmup", 5_000_000, "messages in the throughput warm-up round")
	flag.IntVar(&o.pingRounds, "ping-rounds", 10, "ping-pong rounds per side, after one warm-up round")
	flag.IntVar(&o.pings, "pings", 20_000, "pings per ping-pong round")
	flag.IntVar(&o.pingWarm, "ping-warmup", 50_000, "pings in the ping-pong warm-up round")
	flag.StringVar(&sizes, "sizes", "32,256", "throughput message sizes in bytes (at least 8)")
	flag.IntVar(&o.pingSize, "ping-size", 32, "ping message size in bytes (at least 8)")
	flag.StringVar(&o.dir, "dir", "", "aeron.dir of an external driver (default: start an embedded one)")
	flag.StringVar(&o.jar, "jar", "", "aeron-all.jar (default: $TP_AERON_JAR, then third_party/aeron-all.jar)")
	flag.StringVar(&o.java, "java", "", "java binary (default: $JAVA_HOME/bin/java, then PATH); javac is looked up beside it")
	flag.StringVar(&o.termLength, "ipc-term-length", "64m", "aeron.ipc.term.buffer.length of the embedded driver (Aeron's default)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process (the Go side) to this file")
	flag.StringVar(&o.only, "only", "", "run one side only (go|java, or aeronc when built with -tags aeronc), e.g. for profiling")
	flag.BoolVar(&o.verbose, "v", false, "print every round")
	flag.Parse()
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 8 {
			fatalf("bad size %q", s)
		}
		o.sizes = append(o.sizes, n)
	}
	if o.pingSize < 8 || o.rounds < 1 || o.count < 1 || o.pingRounds < 1 || o.pings < 100 || !knownSide(o.only) {
		fatalf("bad arguments")
	}
	if err := run(&o); err != nil {
		fatalf("%v", err)
	}
}

// knownSide reports whether name is "" (every side) or a side this binary has.
func knownSide(name string) bool {
	if name == "" || name == "go" || name == "java" {
		return true
	}
	return slices.ContainsFunc(extraSides, func(x extraSide) bool { return x.name == name })
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "tp-aeron-bench: "+format+"\n", args...)
	os.Exit(1)
}

// side is one client implementation, Go or Java, doing the benchmark steps.
type side interface {
	// throughput runs one round of count messages of size bytes on stream
	// (set up on first use) and returns messages per second.
	throughput(stream int32, size, count int) (float64, error)
	// pingPong runs count pings on stream (pongs on stream+1) and returns
	// the round trip p50 and p99 in nanoseconds.
	pingPong(stream int32, size, count int) (p50, p99 float64, err error)
	close() error
}

// setup finds the jar and java, starts the driver unless o.dir names one,
// and compiles Bench.java (unless another side runs alone). The returned function
// undoes it.
func setup(o *options) (func(), error) {
	var undo []func()
	cleanup := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	var err error
	if o.jar, err = mediadriver.FindJar(o.jar); err != nil {
		return cleanup, err
	}
	if o.java, err = mediadriver.FindJava(o.java); err != nil {
		return cleanup, err
	}
	if o.dir == "" {
		d, err := mediadriver.Start(mediadriver.Config{
			JarPath:      o.jar,
			JavaPath:     o.java,
			Properties:   map[string]string{"aeron.ipc.term.buffer.length": o.termLength},
			StartTimeout: 60 * time.Second,
		})
		if err != nil {
			return cleanup, err
		}
		undo = append(undo, func() { _ = d.Close() })
		o.dir = d.Dir()
	}
	if o.only == "" || o.only == "java" {
		classDir, err := os.MkdirTemp("", "tp-aeron-bench-")
		if err != nil {
			return cleanup, err
		}
		undo = append(undo, func() { _ = os.RemoveAll(classDir) })
		o.classDir = classDir
		if err := compileJava(o); err != nil {
			return cleanup, err
		}
	}
	return cleanup, nil
}

// extraSide is a side compiled in by a build tag: aeronc_side.go (-tags aeronc) adds
// "aeronc", the official Aeron C client through package aeronc.
type extraSide struct {
	name    string
	connect func(dir string) (side, error)
}

var (
	extraSides []extraSide
	// cgoCallNs, set with -tags aeronc, measures one trivial Go-to-C call in ns.
	cgoCallNs func() float64
)

// namedSide is a side and the name the report gives it.
type namedSide struct {
	name string
	side side
}

func run(o *options) error {
	cleanup, err := setup(o)
	defer cleanup()
	if err != nil {
		return err
	}
	var sides []namedSide
	if o.only == "" || o.only == "java" {
		j, err := newJavaSide(o)
		if err != nil {
			return err
		}
		defer j.close()
		sides = append(sides, namedSide{"java", j})
	}
	if o.only == "" || o.only == "go" {
		g, err := newGoSide(o.dir)
		if err != nil {
			return err
		}
		defer g.close()
		sides = append(sides, namedSide{"go", g})
	}
	for _, x := range extraSides {
		if o.only == "" || o.only == x.name {
			s, err := x.connect(o.dir)
			if err != nil {
				return fmt.Errorf("%s side: %w", x.name, err)
			}
			defer s.close()
			sides = append(sides, namedSide{x.name, s})
		}
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("driver %s (IPC terms %s), GOMAXPROCS %d, %d CPUs, %s\n",
		o.dir, o.termLength, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())
	// Each side gets its own streams: java 7000, go 7001, then one more per side.
	streamOf := func(base int32, name string) int32 {
		for i, s := range sides {
			if s.name == name {
				return base + int32(i)
			}
		}
		return base
	}
	var rows []row
	base := int32(7000)
	for _, size := range o.sizes {
		r := row{name: fmt.Sprintf("IPC throughput %d B (msg/s)", size), higherIsBetter: true, target: 1.0, cTarget: 0.75}
		err := alternate(o.rounds, sides, func(s namedSide, measured bool) error {
			count := o.count
			if !measured {
				count = o.warmup
			}
			rate, err := s.side.throughput(streamOf(base, s.name), size, count)
			if err == nil && measured {
				r.add(s.name, rate)
				o.logf("%s throughput %d B: %.0f msg/s", s.name, size, rate)
			}
			return err
		})
		if err != nil {
			return err
		}
		rows = append(rows, r)
		base += 10
	}
	p50 := row{name: fmt.Sprintf("ping-pong RTT p50 %d B (ns)", o.pingSize), target: 1.2}
	p99 := row{name: fmt.Sprintf("ping-pong RTT p99 %d B (ns)", o.pingSize)}
	// A ping-pong uses its stream and the next: two apart per side.
	pingStream := func(name string) int32 { return base + 2*(streamOf(base, name)-base) }
	err = alternate(o.pingRounds, sides, func(s namedSide, measured bool) error {
		count := o.pings
		if !measured {
			count = o.pingWarm
		}
		a, b, err := s.side.pingPong(pingStream(s.name), o.pingSize, count)
		if err == nil && measured {
			p50.add(s.name, a)
			p99.add(s.name, b)
			o.logf("%s ping-pong: p50 %.0f ns, p99 %.0f ns", s.name, a, b)
		}
		return err
	})
	if err != nil {
		return err
	}
	rows = append(rows, p50, p99)
	report(o, rows)
	return nil
}

// alternate runs one warm-up round on each side, then rounds measured rounds on each,
// the order reversed every other round (Java, Go, aeronc, aeronc, Go, Java, ...), so
// every side meets the machine's conditions alike.
func alternate(rounds int, sides []namedSide, round func(s namedSide, measured bool) error) error {
	for _, s := range sides {
		if err := round(s, false); err != nil {
			return err
		}
	}
	for i := 0; i < rounds; i++ {
		order := slices.Clone(sides)
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, s := range order {
			if err := round(s, true); err != nil {
				return err
			}
		}
	}
	return nil
}

type row struct {
	name           string
	values         map[string][]float64 // per side, one a measured round
	higherIsBetter bool
	target         float64 // Go/Java must be >= target (higher is better) or <= target; 0: none
	cTarget        float64 // aeronc/Go must be >= cTarget; 0: none
}

func (r *row) add(side string, v float64) {
	if r.values == nil {
		r.values = map[string][]float64{}
	}
	r.values[side] = append(r.values[side], v)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ratio compares side a with side b in r: the ratio of their medians and the median
// (min-max) of the per-round ratios; "-" when either did not run.
func (r *row) ratio(a, b string) (ratio float64, text, paired string) {
	va, vb := r.values[a], r.values[b]
	ma, mb := median(va), median(vb)
	if ma == 0 || mb == 0 {
		return 0, "-", "-"
	}
	var ratios []float64
	for i := range min(len(va), len(vb)) {
		ratios = append(ratios, va[i]/vb[i])
	}
	return ma / mb, fmt.Sprintf("%.2f", ma/mb),
		fmt.Sprintf("%.2f (%.2f-%.2f)", median(ratios), slices.Min(ratios), slices.Max(ratios))
}

// verdict says whether ratio meets target (>= when higher is better, else <=), the target
// printed with digits decimals.
func verdict(ratio, target float64, digits int, higherIsBetter, measured bool) string {
	if target <= 0 {
		return "-"
	}
	cmp, met := "<=", ratio <= target
	if higherIsBetter {
		cmp, met = ">=", ratio >= target
	}
	text := fmt.Sprintf("%s %.*f", cmp, digits, target)
	if measured {
		text += map[bool]string{true: " met", false: " MISSED"}[met]
	}
	return text
}

func report(o *options, rows []row) {
	fmt.Printf("\nmedians of %d throughput rounds (%d messages each) and %d ping-pong rounds (%d pings each) per side\n",
		o.rounds, o.count, o.pingRounds, o.pings)
	ran := func(side string) bool {
		return slices.ContainsFunc(rows, func(r row) bool { return len(r.values[side]) > 0 })
	}
	if ran("go") || ran("java") {
		reportGoJava(rows)
	}
	if ran("aeronc") {
		reportAeronc(rows)
	}
}

func reportGoJava(rows []row) {
	fmt.Printf("%-28s %10s %10s %8s %17s  %s\n", "benchmark", "Go", "Java", "Go/Java", "paired (min-max)", "target")
	for _, r := range rows {
		ratio, text, paired := r.ratio("go", "java")
		target := verdict(ratio, r.target, 1, r.higherIsBetter, text != "-")
		fmt.Printf("%-28s %10s %10s %8s %17s  %s\n", r.name, format(median(r.values["go"]), r.higherIsBetter),
			format(median(r.values["java"]), r.higherIsBetter), text, paired, target)
	}
}

func reportAeronc(rows []row) {
	fmt.Printf("\naeronc: the official Aeron C client (libaeron) through cgo, package aeronc\n")
	fmt.Printf("%-28s %10s %10s %10s %17s  %-14s %11s\n", "benchmark", "aeronc", "Go", "aeronc/Go", "paired (min-max)", "target", "aeronc/Java")
	for _, r := range rows {
		ratio, text, paired := r.ratio("aeronc", "go")
		target := verdict(ratio, r.cTarget, 2, true, text != "-")
		_, java, _ := r.ratio("aeronc", "java")
		fmt.Printf("%-28s %10s %10s %10s %17s  %-14s %11s\n", r.name, format(median(r.values["aeronc"]), r.higherIsBetter),
			format(median(r.values["go"]), r.higherIsBetter), text, paired, target, java)
	}
	if cgoCallNs != nil {
		fmt.Printf("one Go-to-C call (cgo, an empty C function, in a loop): %.1f ns\n", cgoCallNs())
	}
}

func format(v float64, rate bool) string {
	switch {
	case v == 0:
		return "-"
	case rate:
		return fmt.Sprintf("%.2fM", v/1e6)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func (o *options) logf(format string, args ...any) {
	if o.verbose {
		fmt.Printf(format+"\n", args...)
	}
}

// ---- Java side: Bench.java as a server ----

func compileJava(o *options) error {
	src := filepath.Join(o.classDir, "Bench.java")
	if err := os.WriteFile(src, benchJava, 0o644); err != nil {
		return err
	}
	javac := filepath.Join(filepath.Dir(o.java), "javac")
	if _, err := os.Stat(javac); err != nil {
		if javac, err = exec.LookPath("javac"); err != nil {
			return fmt.Errorf("javac (a JDK) is needed to compile the Java side: %w", err)
		}
	}
	out, err := exec.Command(javac, "-cp", o.jar, "-d", o.classDir, src).CombinedOutput()
	if err != nil {
		return fmt.Errorf("javac Bench.java: %v\n%s", err, out)
	}
	return nil
}

type javaSide struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan string
	stderr  *strings.Builder // read only after exited is closed
	exited  chan struct{}
	waitErr error
}

func newJavaSide(o *options) (*javaSide, error) {
	cmd := exec.Command(o.java, "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
		"-cp", o.jar+string(os.PathListSeparator)+o.classDir, "Bench", o.dir)
	j := &javaSide{cmd: cmd, lines: make(chan string, 1), stderr: &strings.Builder{}, exited: make(chan struct{})}
	cmd.Stderr = j.stderr
	// The JVM dies with this process (it busy-spins, so it must not outlive
	// us). Pdeathsig follows the forking thread, so that thread stays
	// locked until the child is gone, as mediadriver does for the driver.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var err error
	if j.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			close(j.exited)
			return
		}
		started <- nil
		j.waitErr = cmd.Wait()
		close(j.exited)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	go func() {
		defer close(j.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			j.lines <- sc.Text()
		}
	}()
	if line, err := j.next(); err != nil || line != "ready" {
		_ = j.close()
		return nil, fmt.Errorf("java Bench did not start (%q): %v", line, err)
	}
	return j, nil
}

// died describes how the JVM ended, once it has.
func (j *javaSide) died() error {
	select {
	case <-j.exited:
		return fmt.Errorf("java Bench ended (%v): %s", j.waitErr, j.stderr)
	case <-time.After(10 * time.Second):
		return errors.New("java Bench closed its output but did not exit")
	}
}

func (j *javaSide) next() (string, error) {
	select {
	case line, ok := <-j.lines:
		if !ok {
			return "", j.died()
		}
		return line, nil
	case <-time.After(5 * time.Minute):
		return "", errors.New("java Bench did not answer within 5 minutes")
	}
}

func (j *javaSide) ask(fields int, format string, args ...any) ([]float64, error) {
	if _, err := fmt.Fprintf(j.stdin, format+"\n", args...); err != nil {
		return nil, fmt.Errorf("java Bench: %w; %w", err, j.died())
	}
	line, err := j.next()
	if err != nil {
		return nil, err
	}
	f := strings.Fields(line)
	if len(f) != fields+1 {
		return nil, fmt.Errorf("java Bench answered %q", line)
	}
	v := make([]float64, fields)
	for i := range v {
		if v[i], err = strconv.ParseFloat(f[i+1], 64); err != nil {
			return nil, fmt.Errorf("java Bench answered %q", line)
		}
	}
	return v, nil
}

func (j *javaSide) throughput(stream int32, size, count int) (float64, error) {
	v, err := j.ask(1, "tp %d %d %d", stream, size, count)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (j *javaSide) pingPong(stream int32, size, count int) (float64, float64, error) {
	v, err := j.ask(2, "pp %d %d %d", stream, size, count)
	if err != nil {
		return 0, 0, err
	}
	return v[0], v[1], nil
}

func (j *javaSide) close() error {
	_, _ = io.WriteString(j.stdin, "quit\n")
	_ = j.stdin.Close()
	select {
	case <-j.exited:
	case <-time.After(30 * time.Second):
		_ = j.cmd.Process.Kill()
		<-j.exited
	}
	return j.waitErr
}

// ---- Go side: the same steps as Bench.java ----

type goSide struct {
	client      *aeron.Client
	throughputs map[int32]*goThroughput
	pingPongs   map[int32]*goPingPong
}

func newGoSide(dir string) (*goSide, error) {
	c, err := aeron.Connect(aeron.Config{Dir: dir})
	if err != nil {
		return nil, err
	}
	return &goSide{client: c, throughputs: map[int32]*goThroughput{}, pingPongs: map[int32]*goPingPong{}}, nil
}

func (g *goSide) close() error {
	return g.client.Close()
}

// addSubscription and addPublication add and wait for a resource of the Go client,
// concrete so the benchmark's calls are direct.
func addSubscription(c *aeron.Client, stream int32) (*aeron.Subscription, error) {
	sub, err := transport.Await(context.Background(), c.AddSubscription(channel, stream))
	if err != nil {
		return nil, err
	}
	return sub.(*aeron.Subscription), nil
}

func addPublication(c *aeron.Client, stream int32) (*aeron.Publication, error) {
	pub, err := transport.Await(context.Background(), c.AddPublication(channel, stream))
	if err != nil {
		return nil, err
	}
	return pub.(*aeron.Publication), nil
}

func awaitConnected(pub *aeron.Publication, sub *aeron.Subscription) error {
	deadline := time.Now().Add(30 * time.Second)
	for !pub.IsConnected() || !sub.IsConnected() {
		if time.Now().After(deadline) {
			return errors.New("not connected within 30s")
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

var epoch = time.Now()

// nanoTime is a monotonic clock reading, like Java's System.nanoTime.
func nanoTime() int64 { return int64(time.Since(epoch)) }

// pad keeps state written by different goroutines off each other's cache
// lines (Bench.java pads its objects alike).
type pad [128]byte

type goThroughput struct {
	sub   *aeron.Subscription
	pub   *aeron.Publication
	claim *paddedClaim // the publisher's
	rx    *receiver    // the subscriber's
}

type paddedClaim struct {
	_     pad
	claim transport.Claim
	_     pad
}

type receiver struct {
	_        pad
	stop     atomic.Bool // set when the publisher gives up
	count    int64
	received int64
	sum      int64
	endNs    int64
	handler  transport.Handler
	_        pad
}

func (g *goSide) throughput(stream int32, size, count int) (float64, error) {
	t := g.throughputs[stream]
	if t == nil {
		sub, err := addSubscription(g.client, stream)
		if err != nil {
			return 0, err
		}
		pub, err := addPublication(g.client, stream)
		if err != nil {
			return 0, err
		}
		if err := awaitConnected(pub, sub); err != nil {
			return 0, err
		}
		rx := &receiver{}
		rx.handler = func(msg []byte, _ *transport.Header) {
			rx.sum += int64(binary.LittleEndian.Uint64(msg))
			rx.received++
		}
		t = &goThroughput{sub: sub, pub: pub, claim: &paddedClaim{}, rx: rx}
		g.throughputs[stream] = t
	}
	return t.round(size, int64(count))
}

func (t *goThroughput) receive(done chan<- struct{}) {
	rx := t.rx
	for rx.received < rx.count {
		if t.sub.Poll(rx.handler, fragmentLimit) == 0 && rx.stop.Load() {
			break
		}
	}
	rx.endNs = nanoTime()
	close(done)
}

func (t *goThroughput) round(size int, count int64) (float64, error) {
	rx := t.rx
	rx.count, rx.received, rx.sum = count, 0, 0
	rx.stop.Store(false)
	done := make(chan struct{})
	go t.receive(done)
	claim := &t.claim.claim
	start := nanoTime()
	for i := int64(0); i < count; i++ {
		for {
			r := t.pub.TryClaim(size, claim)
			if r > 0 {
				break
			}
			if fatal(r) {
				rx.stop.Store(true)
				<-done
				return 0, fmt.Errorf("go try-claim: result %d", r)
			}
		}
		binary.LittleEndian.PutUint64(claim.Buffer(), uint64(i))
		claim.Commit()
	}
	<-done
	if rx.sum != count*(count-1)/2 {
		return 0, errors.New("received the wrong messages")
	}
	return float64(count) * 1e9 / float64(rx.endNs-start), nil
}

type goPingPong struct {
	pingSub, pongSub *aeron.Subscription
	pingPub, pongPub *aeron.Publication
	claim            transport.Claim // the pinger's
	pongClaim        *paddedClaim    // the ponger's
	_                pad
	running          atomic.Bool // read by the ponger
	_                pad
	rtt              []int64
	n                int
	got              bool
	onPong, echo     transport.Handler
}

func (g *goSide) pingPong(stream int32, size, count int) (float64, float64, error) {
	p := g.pingPongs[stream]
	if p == nil {
		var err error
		if p, err = g.newPingPong(stream); err != nil {
			return 0, 0, err
		}
		g.pingPongs[stream] = p
	}
	return p.round(size, count)
}

func (g *goSide) newPingPong(stream int32) (*goPingPong, error) {
	c := g.client
	p := &goPingPong{pongClaim: &paddedClaim{}}
	var err error
	if p.pingSub, err = addSubscription(c, stream); err != nil {
		return nil, err
	}
	if p.pongPub, err = addPublication(c, stream+1); err != nil {
		return nil, err
	}
	if p.pongSub, err = addSubscription(c, stream+1); err != nil {
		return nil, err
	}
	if p.pingPub, err = addPublication(c, stream); err != nil {
		return nil, err
	}
	if err := awaitConnected(p.pingPub, p.pingSub); err != nil {
		return nil, err
	}
	if err := awaitConnected(p.pongPub, p.pongSub); err != nil {
		return nil, err
	}
	p.onPong = func(msg []byte, _ *transport.Header) {
		p.rtt[p.n] = nanoTime() - int64(binary.LittleEndian.Uint64(msg))
		p.got = true
	}
	p.echo = func(msg []byte, _ *transport.Header) {
		claim := &p.pongClaim.claim
		for {
			r := p.pongPub.TryClaim(len(msg), claim)
			if r > 0 {
				break
			}
			if fatal(r) {
				p.running.Store(false) // the pinger notices its closed publication
				return
			}
		}
		copy(claim.Buffer(), msg)
		claim.Commit()
	}
	return p, nil
}

func (p *goPingPong) pong(done chan<- struct{}) {
	for p.running.Load() {
		p.pingSub.Poll(p.echo, fragmentLimit)
	}
	close(done)
}

func (p *goPingPong) round(size, count int) (p50, p99 float64, err error) {
	if len(p.rtt) != count {
		p.rtt = make([]int64, count)
	}
	p.running.Store(true)
	pongDone := make(chan struct{})
	go p.pong(pongDone)
	idle := 0
	for p.n = 0; p.n < count && err == nil; p.n++ {
		for {
			r := p.pingPub.TryClaim(size, &p.claim)
			if r > 0 {
				break
			}
			if fatal(r) {
				err = fmt.Errorf("go ping try-claim: result %d", r)
				break
			}
		}
		if err != nil {
			break
		}
		binary.LittleEndian.PutUint64(p.claim.Buffer(), uint64(nanoTime()))
		p.claim.Commit()
		p.got = false
		for !p.got {
			if p.pongSub.Poll(p.onPong, 1) == 0 {
				if idle++; idle&(1<<24-1) == 0 && p.pingPub.IsClosed() {
					err = errors.New("go ping: the client closed (driver gone?)")
					break
				}
			}
		}
	}
	p.running.Store(false)
	<-pongDone
	if err != nil {
		return 0, 0, err
	}
	slices.Sort(p.rtt)
	return float64(p.rtt[count/2]), float64(p.rtt[int(float64(count)*0.99)]), nil
}

// fatal reports a try-claim result that retrying will not fix.
func fatal(result int64) bool {
	return result == transport.Closed || result == transport.NotConnected ||
		result == transport.MaxPositionExceeded || result == transport.PublicationError
}

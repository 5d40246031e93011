// Command tp-bench is the tensor pool's system benchmark: a standalone producer
// (it owns its SHM, no SHM driver) publishes frames over Aeron IPC to a consumer,
// in one process (two goroutines) or in two (this binary re-executed as the
// consumer), on the embedded Java media driver or an external one.
//
// For every payload size it reports delivered frames/s and MiB/s (a window with
// up to nslots-1 frames in flight), one-way latency percentiles (a second window
// with one frame in flight: the producer stamps each frame with CLOCK_MONOTONIC at
// commit, the consumer records now − stamp), drops by reason and heap
// allocations per frame. In the same run it
// measures the baselines the figures are judged against: the memcpy rate into
// the same pool slots (the physical limit), the raw Aeron IPC rate of
// descriptor-sized messages on the same channel, the traffic floor (those messages
// plus one header-slot line and one payload-slot line written and read for each,
// nothing else: see floor.go), and Aeron's one-way latency (ping-pong RTT/2).
//
// Every client is the transport the binary was built with (package transport/backend):
// the pure-Go Aeron client, or the official Aeron C client with -tags aeronc. A binary
// built with the tag has both, and --transport aeron,aeronc measures each size on both
// in turn (the order swapped from one size to the next) and compares their frames/s,
// beside the measured cost of one Go-to-C call.
//
// Usage: go run [-tags aeronc] ./cmd/tp-bench [--sizes 640K | --sweep] [--mode both|one|two] [--transport aeron,aeronc] [--json]
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/aeron/counters"
	"github.com/tensorpool/tensorpool/aeron/logbuffer"
	"github.com/tensorpool/tensorpool/aeron/mediadriver"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/cmd/internal/benchsize"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/backend"
	"github.com/tensorpool/tensorpool/wire"
)

// cgoCallNs, set in a build with -tags aeronc, times one trivial Go-to-C call in ns.
var cgoCallNs func() float64

const sweepSizes = "64,256,1K,4K,16K,64K,256K,640K,1M,4M,16M"

type options struct {
	sizes            []int
	modes            []string
	duration         time.Duration
	latencyDuration  time.Duration
	warmup           time.Duration
	baselineDuration time.Duration
	idle             string
	nslots           int
	aeronDir         string
	cpuProfile       string
	json             bool
	transports       []string // backend names, in the order of the first size
	rounds           int
}

func main() {
	if spec := os.Getenv(childJobEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
}

func cli(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "tp-bench:", err)
		return 2
	}
	if err := run(o, stdout); err != nil {
		fmt.Fprintln(stderr, "tp-bench:", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("tp-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	sizes := fs.String("sizes", "640K", "payload sizes, comma separated, with optional K or M suffix (8 B to 16M)")
	sweep := fs.Bool("sweep", false, "sizes "+sweepSizes+" (overrides --sizes)")
	mode := fs.String("mode", "both", "where the consumer runs: one (a goroutine), two (a child process) or both")
	fs.DurationVar(&o.duration, "duration", 3*time.Second, "measurement window per size")
	fs.DurationVar(&o.latencyDuration, "latency-duration", time.Second, "latency window per size (one frame in flight)")
	fs.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "unmeasured run before each window")
	fs.DurationVar(&o.baselineDuration, "baseline-duration", time.Second, "measurement window of each baseline")
	fs.IntVar(&o.nslots, "nslots", 0, "slots of the header ring and pool, a power of two (default: 64 MiB of pool, 16 to 1024 slots)")
	fs.StringVar(&o.idle, "idle", "spin", "idle strategy of every polling loop: spin or backoff")
	fs.StringVar(&o.aeronDir, "aeron-dir", os.Getenv(mediadriver.EnvDir), "aeron.dir of a running media driver (default $"+mediadriver.EnvDir+"; empty: start an embedded one)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write this process's CPU profile to the file")
	fs.BoolVar(&o.json, "json", false, "print JSON instead of tables")
	fs.IntVar(&o.rounds, "rounds", 1, "measure every size and transport this many times, alternating; targets are judged on medians")
	transports := fs.String("transport", backend.Name, "the transports to measure, comma separated: "+strings.Join(backend.Names(), ", "))
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tp-bench [flags]\n\n"+
			"System benchmark: standalone producer → Aeron IPC descriptors → consumer, with same-run\n"+
			"baselines (memcpy into the pool slots, raw Aeron IPC rate, the traffic floor: those messages plus a\n"+
			"header-slot and a payload-slot line each, Aeron ping-pong RTT/2).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *sweep {
		*sizes = sweepSizes
	}
	var err error
	if o.sizes, err = benchsize.ParseList(*sizes); err != nil {
		return nil, err
	}
	switch *mode {
	case "one", "two":
		o.modes = []string{*mode}
	case "both":
		o.modes = []string{"one", "two"}
	default:
		return nil, fmt.Errorf("--mode %q: want one, two or both", *mode)
	}
	for _, name := range strings.Split(*transports, ",") {
		if name = strings.TrimSpace(name); !slices.Contains(backend.Names(), name) || slices.Contains(o.transports, name) {
			return nil, fmt.Errorf("--transport %q: want one or more of %s, once each (aeronc needs a build with -tags aeronc)",
				*transports, strings.Join(backend.Names(), ", "))
		}
		o.transports = append(o.transports, name)
	}
	if o.idle != "spin" && o.idle != "backoff" {
		return nil, fmt.Errorf("--idle %q: want spin or backoff", o.idle)
	}
	if o.nslots != 0 && (o.nslots < 2 || o.nslots&(o.nslots-1) != 0) {
		return nil, fmt.Errorf("--nslots %d: want a power of two, at least 2", o.nslots)
	}
	if o.duration <= 0 || o.latencyDuration <= 0 || o.baselineDuration <= 0 || o.warmup < 0 {
		return nil, errors.New("durations must be positive")
	}
	if o.rounds < 1 {
		return nil, fmt.Errorf("--rounds %d: want at least 1", o.rounds)
	}
	return o, nil
}

// bench holds what every measurement of one invocation shares.
type bench struct {
	o          *options
	clients    map[string]transport.Client // by backend name
	client     transport.Client            // the transport being measured
	transport  string                      // its name
	counters   *counters.Reader            // the driver's, for subscriber positions
	aeronDir   string
	baseDir    string // the regions' base directory, under /dev/shm
	nextStream int32
	runs       int
}

func run(o *options, out io.Writer) error {
	var driver *mediadriver.Driver
	var err error
	if o.aeronDir != "" {
		driver, err = mediadriver.External(o.aeronDir, 10*time.Second)
	} else {
		driver, err = mediadriver.Start(mediadriver.Config{StartTimeout: 60 * time.Second})
	}
	if err != nil {
		return err
	}
	defer driver.Close()
	baseDir, err := os.MkdirTemp("/dev/shm", shmPrefix())
	if err != nil {
		return err
	}
	defer os.RemoveAll(baseDir)
	// Interrupted: leave nothing behind. Mappings in use stay valid after unlink.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer func() {
		signal.Stop(signals)
		close(signals)
	}()
	go func() {
		if _, ok := <-signals; ok {
			_ = os.RemoveAll(baseDir)
			_ = driver.Close()
			os.Exit(130)
		}
	}()
	clients := map[string]transport.Client{}
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	for _, name := range o.transports {
		c, err := backend.ConnectNamed(name, backend.Config{Dir: driver.Dir()})
		if err != nil {
			return fmt.Errorf("%s client: %w", name, err)
		}
		clients[name] = c
	}
	cncFile, err := cnc.Open(driver.Dir(), 10*time.Second)
	if err != nil {
		return err
	}
	defer cncFile.Close()
	reader, err := counters.NewReader(cncFile.CountersMetadata, cncFile.CountersValues)
	if err != nil {
		return fmt.Errorf("the driver's counters: %w", err)
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
	b := &bench{o: o, clients: clients, counters: reader, aeronDir: driver.Dir(), baseDir: baseDir, nextStream: 9100}
	rep := report{
		GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Idle: o.idle, DurationS: o.duration.Seconds(), Channel: ipcChannel, EmbeddedDriver: driver.Embedded(),
		Transports: o.transports,
	}
	if slices.Contains(o.transports, "aeronc") && cgoCallNs != nil {
		rep.CgoCallNs = cgoCallNs()
	}
	if !o.json {
		printPreamble(out, &rep)
	}
	for _, mode := range o.modes {
		m, err := b.runMode(mode, out)
		if err != nil {
			return fmt.Errorf("%s-process mode: %w", mode, err)
		}
		rep.Modes = append(rep.Modes, *m)
	}
	if o.json {
		return writeJSON(out, &rep)
	}
	printTargets(out, &rep)
	return nil
}

// runMode measures every size, each next to its own baselines: on this kind of
// shared VM the cost of a cross-core transfer can change several-fold from one
// minute to the next (a vCPU left idle may be moved), so a baseline taken once per
// run would not be comparable. The Aeron baselines run right before the system
// run, after the single-threaded memcpy one, so both vCPUs stay busy from the
// Aeron baselines to the end of the size's run. With more than one round, the rounds
// run one after the other, each size's transports in the order opposite to the last.
func (b *bench) runMode(mode string, out io.Writer) (*modeReport, error) {
	m := &modeReport{Mode: mode}
	if !b.o.json {
		printModeHeader(out, m, len(b.o.transports))
	}
	for round := range b.o.rounds {
		for i, size := range b.o.sizes {
			order := slices.Clone(b.o.transports)
			if (i+round)%2 == 1 {
				slices.Reverse(order)
			}
			for _, name := range order {
				s, err := b.sizeRun(mode, name, size)
				if err != nil {
					return nil, fmt.Errorf("%s, %d B: %w", name, size, err)
				}
				s.Round = round
				m.Sizes = append(m.Sizes, *s)
				if !b.o.json {
					printRow(out, s, len(b.o.transports) > 1)
				}
			}
		}
	}
	return m, nil
}

// sizeRun measures one size on the transport called name.
func (b *bench) sizeRun(mode, name string, size int) (*sizeReport, error) {
	b.client, b.transport = b.clients[name], name
	s, err := b.tpRun(mode, size, func(s *sizeReport) error {
		var err error
		if s.AeronMsgsPerSec, err = b.aeronRate(mode); err != nil {
			return fmt.Errorf("raw Aeron rate: %w", err)
		}
		if s.AeronOneWayP50Ns, s.AeronOneWayP99Ns, err = b.aeronOneWay(mode); err != nil {
			return fmt.Errorf("ping-pong baseline: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.Transport = name
	s.VsMemcpy = ratio(s.FramesPerSec, s.MemcpyPerSec)
	s.VsAeronRate = ratio(s.FramesPerSec, s.AeronMsgsPerSec)
	s.VsFloor = ratio(s.FramesPerSec, s.FloorPerSec)
	s.LatencyVsAeron = ratio(float64(s.LatencyP50Ns), s.AeronOneWayP50Ns)
	return s, nil
}

// ratio is a / b, or 0 when the baseline b measured nothing (a window the machine's load
// starved), which JSON could not carry as +Inf.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func (b *bench) streams(n int32) int32 {
	s := b.nextStream
	b.nextStream += n
	return s
}

func (b *bench) startReceiver(mode string, j job) (*receiverHandle, error) {
	j.AeronDir, j.Idle, j.BaseDir, j.Transport = b.aeronDir, b.o.idle, b.baseDir, b.transport
	if mode == "one" {
		return startInProcess(j, b.client), nil
	}
	j.MeasureAllocs = true
	return startChild(j)
}

func (b *bench) newWindow(length time.Duration) window {
	start := clock.Now().Nanos() + int64(b.o.warmup)
	return window{Start: start, End: start + int64(length)}
}

// tpRun measures one payload size: the memcpy baseline, then the other baselines
// (aeronBaselines), then the system twice, for its rate and for its latency.
func (b *bench) tpRun(mode string, size int, aeronBaselines func(*sizeReport) error) (*sizeReport, error) {
	b.runs++
	stride, nslots := benchsize.Geometry(size)
	if b.o.nslots != 0 {
		nslots = uint32(b.o.nslots)
	}
	layout := producer.Layout{StreamID: uint32(b.runs), Epoch: 1, Nslots: nslots,
		Pools: []producer.PoolSpec{{PoolID: 1, StrideBytes: stride}}}
	regions, err := producer.CreateStandalone(producer.StandaloneConfig{
		BaseDir: b.baseDir, Namespace: "tp-bench", InstanceID: fmt.Sprintf("%s-%d", mode, b.runs), Layout: layout})
	if err != nil {
		return nil, err
	}
	defer regions.Remove()
	s := &sizeReport{SizeBytes: size, StrideBytes: stride, Nslots: nslots}
	if s.MemcpyPerSec, err = b.memcpyRate(regions, size); err != nil {
		return nil, fmt.Errorf("memcpy baseline: %w", err)
	}
	if err := aeronBaselines(s); err != nil {
		return nil, err
	}

	if s.FloorPerSec, err = b.floorRate(mode, nslots, stride, int64(nslots-1)); err != nil {
		return nil, fmt.Errorf("traffic floor: %w", err)
	}
	tput, err := b.system(mode, regions, layout, size, int64(nslots-1), b.o.duration)
	if err != nil {
		return nil, fmt.Errorf("throughput: %w", err)
	}
	lat, err := b.system(mode, regions, layout, size, 1, b.o.latencyDuration)
	if err != nil {
		return nil, fmt.Errorf("latency: %w", err)
	}
	seconds := float64(tput.w.End-tput.w.Start) / 1e9
	rr := tput.rx
	s.Frames = rr.Frames
	s.FramesPerSec = float64(rr.Frames) / seconds
	s.MiBPerSec = float64(rr.Bytes) / seconds / (1 << 20)
	s.PublishedPerSec = float64(tput.tx.frames) / seconds
	s.LatencyFrames = lat.rx.Frames
	s.LatencyP50Ns = lat.rx.Latency.percentile(0.50)
	s.LatencyP99Ns = lat.rx.Latency.percentile(0.99)
	s.LatencyP999Ns = lat.rx.Latency.percentile(0.999)
	s.ConsumerDrops = sumCounts(rr.Drops, lat.rx.Drops)
	s.ProducerDrops = sumCounts(tput.tx.drops, lat.tx.drops)
	s.Corrupt = rr.Corrupt + lat.rx.Corrupt
	s.Mallocs = tput.tx.mallocs + rr.Mallocs + lat.tx.mallocs + lat.rx.Mallocs
	if n := rr.Frames + lat.rx.Frames; n > 0 {
		s.AllocsPerFrame = float64(s.Mallocs) / float64(n)
	}
	return s, nil
}

func sumCounts(a, b map[string]uint64) map[string]uint64 {
	sum := map[string]uint64{}
	for _, m := range []map[string]uint64{a, b} {
		for k, v := range m {
			sum[k] += v
		}
	}
	return sum
}

// pass is what one window of the system measured on each side.
type pass struct {
	w  window
	tx *producerStats
	rx *receiverResult
}

// system runs a producer over regions and a consumer (where mode puts it) for one
// window, with at most inFlight frames published and not yet polled: nslots-1 to
// measure the delivered rate, 1 to measure latency the way ping-pong does, with no
// queue in front of the frame.
func (b *bench) system(mode string, regions *producer.Regions, layout producer.Layout, size int, inFlight int64, length time.Duration) (*pass, error) {
	controlStream := b.streams(2)
	descriptorStream := controlStream + 1
	control, err := addPublication(b.client, controlStream, false)
	if err != nil {
		return nil, err
	}
	defer control.Close()
	descriptors, err := addPublication(b.client, descriptorStream, true)
	if err != nil {
		return nil, err
	}
	defer descriptors.Close()
	p, err := producer.New(regions, producer.Config{ProducerID: 1, Descriptors: descriptors})
	if err != nil {
		return nil, err
	}
	rx, err := b.startReceiver(mode, job{Role: roleConsume, Stream: descriptorStream,
		ReplyStream: controlStream, TPStreamID: layout.StreamID, Latency: inFlight == 1})
	if err != nil {
		return nil, err
	}
	defer rx.abort()
	// Announce the regions until the consumer has mapped them, here rather than from
	// the producer's timer, so no announce handling falls into the measured window.
	announce, err := regions.Announce(1)
	if err != nil {
		return nil, err
	}
	announceBuf := make([]byte, announce.EncodedLength())
	var nextAnnounceNs int64
	if err := rx.awaitReady(func() {
		now := clock.Now().Nanos()
		p.DoWork(now) // activity timestamp: the baselines took a while
		if now >= nextAnnounceNs {
			announce.AnnounceTimestampNs = uint64(now)
			n, _ := announce.Encode(announceBuf) // sized for it just above
			control.Offer(announceBuf[:n])
			nextAnnounceNs = now + int64(50*time.Millisecond)
		}
	}); err != nil {
		return nil, err
	}
	if err := awaitConnected(descriptors.IsConnected); err != nil {
		return nil, err
	}
	consumerPosition, err := b.subscriberPosition(descriptors)
	if err != nil {
		return nil, err
	}
	w := b.newWindow(length)
	if err := rx.send(w); err != nil {
		return nil, err
	}
	ps, perr := b.produce(p, descriptors, consumerPosition, inFlight, size, w)
	rr, err := rx.wait()
	if err = errors.Join(perr, err); err != nil {
		return nil, err
	}
	return &pass{w: w, tx: ps, rx: rr}, nil
}

// descriptorFrameLength is the log space a FrameDescriptor takes: Aeron frame header
// and message, aligned.
var descriptorFrameLength = int64(logbuffer.Align(logbuffer.HeaderLength+wire.FrameDescriptorLength, logbuffer.FrameAlignment))

// subscriberPosition finds the position counter of the one subscriber of pub, in this
// process or another, and returns its reader.
func (b *bench) subscriberPosition(pub transport.Publication) (func() int64, error) {
	reader := b.counters
	id := counters.NullCounterID
	reader.ForEach(func(c counters.Counter) bool {
		if c.TypeID == counters.TypeSubscriberPosition && len(c.Key) >= 16 &&
			int32(binary.LittleEndian.Uint32(c.Key[8:])) == pub.SessionID() &&
			int32(binary.LittleEndian.Uint32(c.Key[12:])) == pub.StreamID() {
			id = c.ID
			return false
		}
		return true
	})
	if id == counters.NullCounterID {
		return nil, errors.New("no subscriber position counter for the descriptor stream")
	}
	return func() int64 { return reader.Value(id) }, nil
}

type producerStats struct {
	frames  uint64
	drops   map[string]uint64
	mallocs uint64 // this whole process: in one-process mode the consumer's too
}

// clockEvery is how many frames of size bytes pass between clock reads (about 64 KiB
// worth, at least every frame): often enough for window edges, rare enough to cost
// nothing at small sizes.
func clockEvery(size int) int { return max(1, (64<<10)/size) }

// inFlightLimit keeps a sender at most budget bytes of log ahead of its one receiver,
// going by the receiver's Aeron subscriber position (a counter in the driver's CnC file,
// visible to both processes). Between reads of the publication's position it counts
// descriptorFrameLength a message (padding at a term's end only adds to the real
// position), so a message costs no position read: on the C client one is a cgo call.
type inFlightLimit struct {
	pub              transport.Publication
	consumerPosition func() int64
	budget           int64
	position, limit  int64
}

// ready reports whether one more message fits in the budget.
func (l *inFlightLimit) ready() bool {
	if l.position < l.limit {
		return true
	}
	l.position = l.pub.Position()
	l.limit = l.consumerPosition() + l.budget
	return l.position < l.limit
}

// sent counts one message published.
func (l *inFlightLimit) sent() { l.position += descriptorFrameLength }

// produce publishes frames of size bytes until the window ends, as fast as the
// consumer takes them. A producer never waits for consumers: one that runs more than
// a ring ahead overwrites slots before they are read (the consumer drops those as
// late). This one waits instead while inFlight descriptors are published and not yet
// polled (inFlightLimit).
func (b *bench) produce(p *producer.Producer, descriptors transport.Publication, consumerPosition func() int64, inFlight int64, size int, w window) (*producerStats, error) {
	limit := inFlightLimit{pub: descriptors, consumerPosition: consumerPosition, budget: inFlight * descriptorFrameLength}
	src := make([]byte, size)
	for i := range src {
		src[i] = byte(i)
	}
	tensor := shm.TensorHeader{Dtype: shm.DtypeUint8, MajorOrder: shm.MajorOrderRow, Ndims: 1}
	tensor.Dims[0] = int32(size)
	idle := newIdle(b.o.idle)
	idled := false
	var before producer.Counters
	var mem memWindow
	started := false
	every := clockEvery(size)
produce:
	for countdown := 0; ; countdown-- {
		if countdown <= 0 {
			countdown = every
			now := clock.Now().Nanos()
			p.DoWork(now)
			if !started && now >= w.Start {
				started = true
				before = p.Counters()
				mem.begin(true)
			}
			if now >= w.End {
				break
			}
		}
		if !limit.ready() {
			idle.Idle(0)
			idled = true
			countdown = 0 // look at the clock before trying again
			continue
		}
		if idled {
			idle.Reset()
			idled = false
		}
		c, r := p.Claim(size)
		if r != producer.OK {
			return nil, fmt.Errorf("claim: %v", r)
		}
		copy(c.Payload(), src)
		binary.LittleEndian.PutUint64(c.Payload(), c.Seq())
		switch r := p.Commit(c, &tensor); r {
		case producer.OK:
			limit.sent()
		case producer.DropBackPressured, producer.DropAdminAction:
		default:
			// The receiver leaves when the window ends, possibly while a large frame
			// was still being copied.
			if r == producer.DropNotConnected && clock.Now().Nanos() >= w.End {
				break produce
			}
			return nil, fmt.Errorf("commit: %v", r)
		}
	}
	ps := &producerStats{mallocs: mem.end(), drops: map[string]uint64{}}
	after := p.Counters()
	ps.frames = after.Frames - before.Frames
	for i := range producer.ResultCount {
		if d := after.Results[i] - before.Results[i]; d > 0 {
			ps.drops[producer.Result(i).String()] = d
		}
	}
	return ps, nil
}

// memcpyRate is the physical limit at this size: payload copies per second into
// the pool's slots in ring order, nothing else (no header, seqlock or descriptor).
func (b *bench) memcpyRate(regions *producer.Regions, size int) (float64, error) {
	layout := regions.Layout()
	policy, err := shm.NewPathPolicy(regions.EpochDir())
	if err != nil {
		return 0, err
	}
	region, err := shm.OpenURI(policy, regions.PoolURIs()[0], shm.OpenOptions{Access: shm.ReadWrite, Expect: layout.PoolSuperblock(0)})
	if err != nil {
		return 0, err
	}
	defer region.Close()
	spec := layout.Pools[0]
	pool, err := shm.NewPayloadPool(region.Bytes(), shm.PoolGeometry{PoolID: spec.PoolID, Nslots: layout.Nslots, StrideBytes: spec.StrideBytes})
	if err != nil {
		return 0, err
	}
	src := make([]byte, size)
	for i := range src {
		src[i] = byte(i)
	}
	slots := make([][]byte, layout.Nslots)
	for i := range slots {
		slot, _ := pool.Slot(uint32(i))
		slots[i] = slot[:size]
		copy(slots[i], src) // fault every page in before timing
	}
	mask := len(slots) - 1
	every := clockEvery(size)
	start := clock.Now().Nanos()
	end := start + int64(b.o.baselineDuration)
	for copies := 1; ; copies++ {
		copy(slots[copies&mask], src)
		if copies%every == 0 {
			if now := clock.Now().Nanos(); now >= end {
				return float64(copies) * 1e9 / float64(now-start), nil
			}
		}
	}
}

// aeronRate is the raw Aeron IPC rate: descriptor-sized messages try-claimed on
// the descriptor channel, counted by a subscriber where the consumer would run.
func (b *bench) aeronRate(mode string) (float64, error) { return b.messageRate(mode, nil) }

// messageRate sends descriptor-sized messages on a fresh exclusive publication to a
// receiver placed where mode puts the consumer, and returns the rate the receiver
// counted in the window: the raw Aeron rate without floor; with it, the traffic floor
// (each message's slot words written before it, floor.inFlight messages in flight at
// most). Each message carries its number, counted from 0 over the messages sent.
func (b *bench) messageRate(mode string, floor *floorRun) (float64, error) {
	stream := b.streams(1)
	pub, err := addPublication(b.client, stream, true)
	if err != nil {
		return 0, err
	}
	defer pub.Close()
	j := job{Role: roleSink, Stream: stream}
	if floor != nil {
		j.FloorHeader, j.FloorPool, j.Nslots, j.Stride = floor.headerPath, floor.poolPath, floor.regions.nslots, floor.regions.stride
	}
	rx, err := b.startReceiver(mode, j)
	if err != nil {
		return 0, err
	}
	defer rx.abort()
	if err := rx.awaitReady(func() {}); err != nil {
		return 0, err
	}
	if err := awaitConnected(pub.IsConnected); err != nil {
		return 0, err
	}
	var limit *inFlightLimit
	if floor != nil {
		consumerPosition, err := b.subscriberPosition(pub)
		if err != nil {
			return 0, err
		}
		limit = &inFlightLimit{pub: pub, consumerPosition: consumerPosition, budget: floor.inFlight * descriptorFrameLength}
	}
	w := b.newWindow(b.o.baselineDuration)
	if err := rx.send(w); err != nil {
		return 0, err
	}
	var claim transport.Claim
	idle := newIdle(b.o.idle)
	idled := false
	for n, tries := uint64(0), uint64(0); ; tries++ {
		if tries%1024 == 0 && clock.Now().Nanos() >= w.End {
			break
		}
		if limit != nil && !limit.ready() {
			idle.Idle(0)
			idled = true
			continue
		}
		if floor != nil {
			binary.LittleEndian.PutUint64(floor.regions.headerWord(n), n)
			binary.LittleEndian.PutUint64(floor.regions.payloadWord(n), n)
		}
		r := pub.TryClaim(wire.FrameDescriptorLength, &claim)
		if r < 0 {
			if r == transport.NotConnected && clock.Now().Nanos() >= w.End {
				break // the receiver left at the end of the window
			}
			if fatalResult(r) {
				return 0, fmt.Errorf("try-claim: %d", r)
			}
			idle.Idle(0)
			idled = true
			continue
		}
		if idled {
			idle.Reset()
			idled = false
		}
		binary.LittleEndian.PutUint64(claim.Buffer(), n)
		claim.Commit()
		if limit != nil {
			limit.sent()
		}
		n++
	}
	rr, err := rx.wait()
	if err != nil {
		return 0, err
	}
	if rr.Corrupt != 0 {
		return 0, fmt.Errorf("the receiver read %d messages whose slot words were not theirs", rr.Corrupt)
	}
	return float64(rr.Frames) * 1e9 / float64(w.End-w.Start), nil
}

// aeronOneWay is Aeron's one-way latency, RTT/2 of descriptor-sized pings with one
// in flight, the pong side running where the consumer would.
func (b *bench) aeronOneWay(mode string) (p50, p99 float64, err error) {
	pingStream := b.streams(2)
	pongStream := pingStream + 1
	pings, err := addPublication(b.client, pingStream, true)
	if err != nil {
		return 0, 0, err
	}
	defer pings.Close()
	pongs, err := addSubscription(b.client, pongStream)
	if err != nil {
		return 0, 0, err
	}
	defer pongs.Close()
	rx, err := b.startReceiver(mode, job{Role: rolePong, Stream: pingStream, ReplyStream: pongStream})
	if err != nil {
		return 0, 0, err
	}
	defer rx.abort()
	if err := rx.awaitReady(func() {}); err != nil {
		return 0, 0, err
	}
	if err := awaitConnected(pings.IsConnected); err != nil {
		return 0, 0, err
	}
	w := b.newWindow(b.o.baselineDuration)
	if err := rx.send(w); err != nil {
		return 0, 0, err
	}
	var rtt histogram
	var claim transport.Claim
	var sentNs int64
	answered := false
	onPong := func(msg []byte, _ *transport.Header) {
		answered = int64(binary.LittleEndian.Uint64(msg)) == sentNs
	}
	idle := newIdle(b.o.idle)
	for sentNs < w.End {
		r := pings.TryClaim(wire.FrameDescriptorLength, &claim)
		if r < 0 {
			if fatalResult(r) {
				return 0, 0, fmt.Errorf("ping try-claim: %d", r)
			}
			idle.Idle(0)
			continue
		}
		sentNs = clock.Now().Nanos()
		binary.LittleEndian.PutUint64(claim.Buffer(), uint64(sentNs))
		claim.Commit()
		answered = false
		for spins := 0; !answered; spins++ {
			idle.Idle(pongs.Poll(onPong, 1))
			if spins%(1<<16) == 0 && clock.Now().Nanos() > w.End+int64(time.Second) {
				return 0, 0, errors.New("no pong within a second")
			}
		}
		if sentNs >= w.Start {
			rtt.record(clock.Now().Nanos() - sentNs)
		}
	}
	if _, err := rx.wait(); err != nil {
		return 0, 0, err
	}
	return float64(rtt.percentile(0.50)) / 2, float64(rtt.percentile(0.99)) / 2, nil
}

// shmPrefix names this process's SHM base directories, so a check for leftovers sees only
// its own, not those of another run beside it.
func shmPrefix() string { return fmt.Sprintf("tp-bench-%d-", os.Getpid()) }

package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// tp hz and tp bw watch the FrameDescriptors of a stream, as `ros2 topic hz` and `bw`
// watch a topic's messages: hz the rate they arrive at, bw the bytes of the frames they
// describe, read from the frames' header slots.

type rateOptions struct {
	system   systemFlags
	channel  string
	stream   int32
	window   int
	interval time.Duration
	count    int
	duration time.Duration
	asJSON   bool
	// bw only: where header rings may be mapped from.
	allowedDirs []string
}

func (o *rateOptions) register(cmd *cobra.Command, window int) {
	f := cmd.Flags()
	o.system.register(f)
	f.StringVar(&o.channel, "descriptor-channel", "aeron:ipc", "the channel producers send FrameDescriptors on")
	f.Int32Var(&o.stream, "descriptor-stream", 1100, "the stream id producers send FrameDescriptors on")
	f.IntVar(&o.window, "window", window, "frames the statistics are computed over, the newest")
	f.DurationVar(&o.interval, "interval", time.Second, "time between reports")
	f.IntVar(&o.count, "count", 0, "stop after this many reports (0: until Ctrl-C)")
	f.DurationVar(&o.duration, "duration", 0, "stop after this long (0: until Ctrl-C)")
	f.BoolVar(&o.asJSON, "json", false, "print one JSON object a report and stream")
}

func (o *rateOptions) check(args []string) ([]uint32, error) {
	switch {
	case o.window < 2:
		return nil, usageError(fmt.Errorf("--window %d: want 2 frames or more", o.window))
	case o.interval <= 0:
		return nil, usageError(fmt.Errorf("--interval %v: want a positive duration", o.interval))
	case o.count < 0:
		return nil, usageError(fmt.Errorf("--count %d: want 0 (no limit) or more", o.count))
	case o.duration < 0:
		return nil, usageError(fmt.Errorf("--duration %v: want 0 (no limit) or more", o.duration))
	case o.channel == "":
		return nil, usageError(fmt.Errorf("--descriptor-channel is empty"))
	}
	var ids []uint32
	for _, a := range args {
		id, err := strconv.ParseUint(a, 10, 32)
		if err != nil {
			return nil, usageError(fmt.Errorf("stream id %q: want a number from 0 to %d", a, uint32(math.MaxUint32)))
		}
		ids = append(ids, uint32(id))
	}
	return ids, nil
}

func newHzCommand() *cobra.Command {
	var o rateOptions
	cmd := &cobra.Command{
		Use:   "hz [STREAM_ID ...] [flags]",
		Short: "Print the rate of a stream's frames, from its FrameDescriptors (like ros2 topic hz)",
		Long: `hz subscribes to the descriptor stream (aeron:ipc stream 1100 unless
--descriptor-channel/--descriptor-stream say otherwise) and, every
--interval, prints for each tensorpool stream the rate its FrameDescriptors
arrive at: the mean over the newest --window intervals, their minimum,
maximum and standard deviation, and how many frames the sequence numbers
skipped. Times are when tp received each descriptor. Without STREAM_ID
every stream seen on the descriptor stream is reported; a stream that sent
nothing since the last report says so.

hz is a subscriber of the descriptor stream like any consumer: while it
runs, producers on an IPC stream wait for it too. It reads nothing in SHM.
It runs until Ctrl-C, --count reports or --duration.`,
		Example: `  tp hz 1
  tp hz --count 5 --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := o.check(args)
			if err != nil {
				return err
			}
			return runRate(cmd, o, ids, false)
		},
	}
	o.register(cmd, 1000)
	return cmd
}

func newBwCommand() *cobra.Command {
	var o rateOptions
	cmd := &cobra.Command{
		Use:   "bw [STREAM_ID ...] [flags]",
		Short: "Print the bandwidth of a stream's frames, from its FrameDescriptors and header slots (like ros2 topic bw)",
		Long: `bw subscribes to the descriptor stream (aeron:ipc stream 1100 unless
--descriptor-channel/--descriptor-stream say otherwise) and to the driver's
announce stream (from --config or tp-driver's built-in configuration), maps
each announced epoch's header ring read-only, and reads the payload length
of every frame a FrameDescriptor announces from its header slot, under the
slot's seqlock as a consumer does. Every --interval it prints for each
tensorpool stream the bytes per second over the newest --window frames (their
rate, as hz computes it, times their mean size) and their mean, minimum and
maximum size. Frames that arrive before their epoch's announce (announces
come once a second) are read when it comes, if still in their slots; a frame
whose slot was overwritten before it could be read is of unknown size.

Header rings are mapped only from an allowed base directory: the
--allowed-base-dir flags, else $TP_SHM_BASE_DIRS (colon-separated), else the
configuration's shm.allowed_base_dirs. bw writes nothing. It runs until
Ctrl-C, --count reports or --duration.`,
		Example: `  tp bw 1
  tp bw 10000 --config /etc/tensorpool/driver.toml --window 100`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := o.check(args)
			if err != nil {
				return err
			}
			for _, d := range o.allowedDirs {
				if !filepath.IsAbs(d) {
					return usageError(fmt.Errorf("--allowed-base-dir %q: want an absolute path", d))
				}
			}
			return runRate(cmd, o, ids, true)
		},
	}
	o.register(cmd, 100)
	cmd.Flags().StringSliceVar(&o.allowedDirs, "allowed-base-dir", nil, "directory header rings may be mapped from; repeat for several")
	return cmd
}

// streamRate is the newest frames of one stream.
type streamRate struct {
	id      uint32
	arrived []time.Time // a ring of the newest window arrival times
	sizes   []int64     // bw: the sizes of the frames in arrived, -1 unknown
	frames  []frameRef  // bw: which frame each is, to read its size once its ring is mapped
	next    int
	full    bool
	// since the last report:
	fresh int
	// lastSeq and lastEpoch find skipped sequence numbers.
	lastSeq, lastEpoch uint64
	skipped            uint64
	unknown            uint64
	ring               *headerRing
}

// frameRef names a frame of the window: its epoch, sequence and header slot (-1: the
// slot follows from seq, as in wire v1.2).
type frameRef struct {
	epoch, seq uint64
	index      int64
}

func (s *streamRate) add(at time.Time, size int64, f frameRef) {
	s.arrived[s.next], s.sizes[s.next], s.frames[s.next] = at, size, f
	s.next++
	if s.next == len(s.arrived) {
		s.next, s.full = 0, true
	}
	s.fresh++
}

// window returns the arrival times and sizes oldest first.
func (s *streamRate) window() ([]time.Time, []int64) {
	if !s.full {
		return s.arrived[:s.next], s.sizes[:s.next]
	}
	return append(slices.Clone(s.arrived[s.next:]), s.arrived[:s.next]...), append(slices.Clone(s.sizes[s.next:]), s.sizes[:s.next]...)
}

// rateReport is one line of hz or bw.
type rateReport struct {
	Time     time.Time `json:"time"`
	StreamID uint32    `json:"stream_id"`
	// New is how many frames arrived since the last report.
	New    int `json:"new_frames"`
	Window int `json:"window"`
	// hz
	RateHz    float64 `json:"rate_hz,omitempty"`
	MinS      float64 `json:"min_interval_s,omitempty"`
	MaxS      float64 `json:"max_interval_s,omitempty"`
	StdDevS   float64 `json:"std_dev_s,omitempty"`
	Skipped   uint64  `json:"seq_skipped"`
	Bandwidth bool    `json:"-"`
	// bw
	BytesPerSecond float64 `json:"bytes_per_second,omitempty"`
	MeanBytes      float64 `json:"mean_bytes,omitempty"`
	MinBytes       int64   `json:"min_bytes,omitempty"`
	MaxBytes       int64   `json:"max_bytes,omitempty"`
	UnknownSize    uint64  `json:"unknown_size,omitempty"`
	Problem        string  `json:"problem,omitempty"`
}

func runRate(cmd *cobra.Command, o rateOptions, ids []uint32, bandwidth bool) error {
	eps := []subEndpoint{{Channel: o.channel, StreamID: o.stream, Labels: []string{"descriptors"}}}
	var policy *lazyPolicy
	if bandwidth {
		cfg, err := o.system.driverConfig()
		if err != nil {
			return err
		}
		d := cfg.Driver
		eps = addEndpoint(eps, subEndpoint{Channel: d.AnnounceChannel, StreamID: int32(d.AnnounceStreamID), Labels: []string{"announce"}})
		dirs := o.allowedDirs
		if len(dirs) == 0 {
			if env := os.Getenv("TP_SHM_BASE_DIRS"); env != "" {
				dirs = filepath.SplitList(env)
			} else {
				dirs = cfg.Shm.AllowedBaseDirs
			}
		}
		policy = &lazyPolicy{dirs: dirs}
	}
	client, dir, err := o.system.connect()
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, stop := signalContext(cmd, o.duration)
	defer stop()
	l, err := subscribe(ctx, client, eps, o.system.wait)
	if err != nil {
		return err
	}
	defer l.close()
	what := "rate"
	if bandwidth {
		what = "bandwidth"
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "tp: %s of FrameDescriptors on %v in %s\n", what, eps[0], dir)

	streams := map[uint32]*streamRate{}
	announces := map[uint32]*wire.ShmPoolAnnounce{}
	problems := map[uint32]string{}
	wanted := func(id uint32) bool { return len(ids) == 0 || slices.Contains(ids, id) }
	for _, id := range ids {
		streams[id] = newStreamRate(id, o.window)
	}
	defer func() {
		for _, s := range streams {
			if s.ring != nil {
				s.ring.close()
			}
		}
	}()
	var fd wire.FrameDescriptor
	var ann wire.ShmPoolAnnounce
	onMessage := func(_ *subEndpoint, msg []byte, _ *transport.Header) {
		h, err := wire.PeekHeader(msg)
		if err != nil {
			return
		}
		switch h.ID() {
		case wire.ShmPoolAnnounceID:
			if bandwidth && ann.Decode(msg) == nil && wanted(ann.StreamID) {
				a := ann
				a.PayloadPools = slices.Clone(ann.PayloadPools)
				announces[a.StreamID] = &a
			}
		case wire.FrameDescriptorID:
			if fd.Decode(msg) != nil || !wanted(fd.StreamID) {
				return
			}
			s := streams[fd.StreamID]
			if s == nil {
				s = newStreamRate(fd.StreamID, o.window)
				streams[fd.StreamID] = s
			}
			if s.lastEpoch == fd.Epoch && fd.Seq > s.lastSeq+1 {
				s.skipped += fd.Seq - s.lastSeq - 1
			}
			s.lastSeq, s.lastEpoch = fd.Seq, fd.Epoch
			size, ref := int64(-1), frameRef{epoch: fd.Epoch, seq: fd.Seq, index: int64(fd.HeaderIndex)}
			if fd.Version == wire.V1_2 {
				ref.index = -1
			}
			if bandwidth {
				size = frameSize(s, ref, announces[fd.StreamID], policy, problems)
				if size < 0 {
					s.unknown++
				}
			}
			s.add(time.Now(), size, ref)
		}
	}
	reports := 0
	next := time.Now().Add(o.interval)
	out := cmd.OutOrStdout()
	var writeErr error
	report := func() bool {
		if time.Now().Before(next) {
			return false
		}
		next = next.Add(o.interval)
		reports++
		keys := make([]uint32, 0, len(streams))
		for id := range streams {
			keys = append(keys, id)
		}
		slices.Sort(keys)
		if len(keys) == 0 && !o.asJSON {
			_, writeErr = fmt.Fprintf(out, "no FrameDescriptors on %v yet\n", eps[0])
		}
		for _, id := range keys {
			r := streams[id].report(bandwidth)
			r.Problem = problems[id]
			if writeErr == nil {
				writeErr = r.write(out, o.asJSON)
			}
		}
		return writeErr != nil || (o.count > 0 && reports >= o.count)
	}
	if err := l.run(ctx, onMessage, report); err != nil {
		return err
	}
	if writeErr != nil {
		return failure(writeErr)
	}
	return nil
}

// lazyPolicy is the path policy of the allowed base directories, made when a ring is
// first mapped: a directory the driver has yet to create is no reason to stop.
type lazyPolicy struct {
	dirs   []string
	policy *shm.PathPolicy
}

func (p *lazyPolicy) get() (*shm.PathPolicy, error) {
	if p.policy != nil {
		return p.policy, nil
	}
	policy, err := shm.NewPathPolicy(p.dirs...)
	if err != nil {
		return nil, fmt.Errorf("allowed base directories %v: %w", p.dirs, err)
	}
	p.policy = policy
	return policy, nil
}

func newStreamRate(id uint32, window int) *streamRate {
	return &streamRate{id: id, arrived: make([]time.Time, window), sizes: make([]int64, window), frames: make([]frameRef, window)}
}

// frameSize reads the payload length of frame f, mapping its epoch's header ring when
// the announce of that epoch has arrived; -1 when it cannot be known. A ring mapped
// late also gives the sizes of the frames of its epoch already in the window, those
// still in their slots. What went wrong mapping a ring is kept in problems for the
// report.
func frameSize(s *streamRate, f frameRef, a *wire.ShmPoolAnnounce, policy *lazyPolicy, problems map[uint32]string) int64 {
	if s.ring != nil && s.ring.epoch != f.epoch {
		s.ring.close()
		s.ring = nil
	}
	if s.ring == nil {
		if a == nil || a.Epoch != f.epoch {
			problems[s.id] = fmt.Sprintf("no ShmPoolAnnounce of epoch %d yet", f.epoch)
			return -1
		}
		pp, err := policy.get()
		if err != nil {
			problems[s.id] = err.Error()
			return -1
		}
		ring, err := openHeaderRing(pp, a)
		if err != nil {
			problems[s.id] = err.Error()
			return -1
		}
		s.ring = ring
		delete(problems, s.id)
		for i, earlier := range s.frames {
			if s.sizes[i] < 0 && earlier.epoch == f.epoch && (s.full || i < s.next) {
				if n := s.ring.size(earlier); n >= 0 {
					s.sizes[i] = n
					s.unknown--
				}
			}
		}
	}
	return s.ring.size(f)
}

// size is the payload length of frame f of the ring's epoch, -1 when its slot holds
// another frame now.
func (r *headerRing) size(f frameRef) int64 {
	index := uint32(f.index)
	if f.index < 0 {
		index = r.ring.HeaderIndex(f.seq)
	}
	n, ok := r.valuesLen(f.seq, index)
	if !ok {
		return -1
	}
	return int64(n)
}

// report computes the statistics of the window and starts a new report interval.
func (s *streamRate) report(bandwidth bool) rateReport {
	r := rateReport{Time: time.Now(), StreamID: s.id, New: s.fresh, Skipped: s.skipped, Bandwidth: bandwidth, UnknownSize: s.unknown}
	s.fresh = 0
	times, sizes := s.window()
	r.Window = len(times)
	if len(times) < 2 {
		return r
	}
	if !bandwidth {
		var sum, sumSq float64
		r.MinS = math.Inf(1)
		for i := 1; i < len(times); i++ {
			d := times[i].Sub(times[i-1]).Seconds()
			sum += d
			sumSq += d * d
			r.MinS = min(r.MinS, d)
			r.MaxS = max(r.MaxS, d)
		}
		n := float64(len(times) - 1)
		mean := sum / n
		if mean > 0 {
			r.RateHz = 1 / mean
		}
		r.StdDevS = math.Sqrt(max(0, sumSq/n-mean*mean))
		return r
	}
	var total int64
	known := 0
	r.MinBytes = math.MaxInt64
	for _, n := range sizes {
		if n < 0 {
			continue
		}
		total += n
		known++
		r.MinBytes = min(r.MinBytes, n)
		r.MaxBytes = max(r.MaxBytes, n)
	}
	if known == 0 {
		r.MinBytes = 0
		return r
	}
	r.MeanBytes = float64(total) / float64(known)
	// The frame rate over the window, as hz computes it, times the mean size: frames of
	// unknown size count as of the mean size, so they do not lower the rate.
	if span := times[len(times)-1].Sub(times[0]).Seconds(); span > 0 {
		r.BytesPerSecond = r.MeanBytes * float64(len(times)-1) / span
	}
	return r
}

func (r *rateReport) write(w io.Writer, asJSON bool) error {
	if asJSON {
		return writeJSONLine(w, r)
	}
	var line string
	switch {
	case r.New == 0:
		line = fmt.Sprintf("stream %d: no new frames", r.StreamID)
	case r.Window < 2:
		line = fmt.Sprintf("stream %d: 1 frame, too few for a rate", r.StreamID)
	case r.Bandwidth:
		line = fmt.Sprintf("stream %d: %s/s from %d frames  mean %s  min %s  max %s", r.StreamID,
			formatBytes(r.BytesPerSecond), r.Window, formatBytes(r.MeanBytes), formatBytes(float64(r.MinBytes)), formatBytes(float64(r.MaxBytes)))
		if r.UnknownSize > 0 {
			line += fmt.Sprintf("  (%d of unknown size)", r.UnknownSize)
		}
	default:
		line = fmt.Sprintf("stream %d: average rate %.3f Hz  min %s  max %s  std dev %s  window %d", r.StreamID,
			r.RateHz, formatSeconds(r.MinS), formatSeconds(r.MaxS), formatSeconds(r.StdDevS), r.Window)
	}
	if r.Skipped > 0 {
		line += fmt.Sprintf("  (%d seq skipped)", r.Skipped)
	}
	if r.Problem != "" {
		line += "  [" + plainLabel(r.Problem) + "]"
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

func formatSeconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}

func formatBytes(n float64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", n/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", n/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2f KiB", n/(1<<10))
	}
	return fmt.Sprintf("%.0f B", n)
}

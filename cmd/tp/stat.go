package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/tensorpool/tensorpool/aeron/cnc"
	"github.com/tensorpool/tensorpool/aeron/counters"
)

// Counter type ids: Aeron's own are below 1000; tensorpool's are 1000-1099.
const (
	tpCounterTypeMin = 1000
	tpCounterTypeMax = 1099
)

type statOptions struct {
	system   systemFlags
	interval time.Duration
	count    int
	filter   string
	types    string
	tpOnly   bool
	asJSON   bool
}

func newStatCommand() *cobra.Command {
	var o statOptions
	cmd := &cobra.Command{
		Use:   "stat [flags]",
		Short: "Print the media driver's counters live, tensorpool's among them (like AeronStat)",
		Long: `stat reads the counters of the media driver's CnC file (cnc.dat in the Aeron
directory), as Aeron's AeronStat does, and prints every allocated counter
each --interval: its id, value, change per second since the last sample,
type id and label. It maps the file and reads it; it sends nothing and
takes no part in the system.

Aeron's own counters have type ids below 1000. tensorpool's are 1000-1099:
tp-driver's 1000-1039 (attaches by outcome, keepalives, leases active and
ended by reason, announces, epochs provisioned, provisioning time, drops),
each labelled with its metric, the driver instance and its lease id prefix;
Go and C producers' 1040-1049 (frames, bytes, drops by reason, lease
losses) and consumers' 1050-1059 (frames, bytes, drops by reason, remaps,
lease losses), each labelled with the stream and the client id. --tp shows
only tensorpool's.

On a terminal each sample replaces the last; otherwise samples follow each
other, a blank line apart. stat runs until Ctrl-C or --count samples.`,
		Example: `  tp stat
  tp stat --tp --count 1
  tp stat --filter 'stream=1 ' --interval 5s
  tp stat --type 1040-1059 --json --count 1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.interval <= 0 {
				return usageError(fmt.Errorf("--interval %v: want a positive duration", o.interval))
			}
			if o.count < 0 {
				return usageError(fmt.Errorf("--count %d: want 0 (no limit) or more", o.count))
			}
			sel, err := o.selector()
			if err != nil {
				return usageError(err)
			}
			return runStat(cmd, o, sel)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.system.aeronDir, "aeron-dir", "", "the media driver's directory (default $AERON_DIR, $TP_AERON_DIR, else /dev/shm/aeron-$USER)")
	f.DurationVar(&o.interval, "interval", time.Second, "time between samples")
	f.IntVar(&o.count, "count", 0, "stop after this many samples (0: until Ctrl-C)")
	f.StringVar(&o.filter, "filter", "", "only counters whose label matches this regular expression")
	f.StringVar(&o.types, "type", "", "only counters of these type ids: ID or FIRST-LAST")
	f.BoolVar(&o.tpOnly, "tp", false, "only tensorpool's counters (type ids 1000-1099)")
	f.BoolVar(&o.asJSON, "json", false, "print one JSON object a sample")
	return cmd
}

// counterSelector picks the counters stat prints.
type counterSelector struct {
	label          *regexp.Regexp
	typeLo, typeHi int32
}

func (s counterSelector) match(c counters.Counter) bool {
	return c.TypeID >= s.typeLo && c.TypeID <= s.typeHi && (s.label == nil || s.label.MatchString(c.Label))
}

func (o *statOptions) selector() (counterSelector, error) {
	s := counterSelector{typeLo: -1 << 31, typeHi: 1<<31 - 1}
	if o.filter != "" {
		re, err := regexp.Compile(o.filter)
		if err != nil {
			return s, fmt.Errorf("--filter %q: %w", o.filter, err)
		}
		s.label = re
	}
	if o.types != "" {
		if o.tpOnly {
			return s, errors.New("--tp and --type: give one")
		}
		lo, hi, err := parseTypeRange(o.types)
		if err != nil {
			return s, err
		}
		s.typeLo, s.typeHi = lo, hi
	}
	if o.tpOnly {
		s.typeLo, s.typeHi = tpCounterTypeMin, tpCounterTypeMax
	}
	return s, nil
}

func parseTypeRange(text string) (int32, int32, error) {
	first, last, isRange := strings.Cut(text, "-")
	lo, err := strconv.ParseInt(strings.TrimSpace(first), 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("--type %q: want a type id or FIRST-LAST, e.g. 1000-1099", text)
	}
	hi := lo
	if isRange {
		if hi, err = strconv.ParseInt(strings.TrimSpace(last), 10, 32); err != nil || hi < lo {
			return 0, 0, fmt.Errorf("--type %q: want a type id or FIRST-LAST with FIRST <= LAST, e.g. 1000-1099", text)
		}
	}
	return int32(lo), int32(hi), nil
}

// openCnC maps the CnC file of the media driver in the Aeron directory: a stopped
// driver's counters can still be read, so no live heartbeat is required.
func (s *systemFlags) openCnC() (*cnc.File, *counters.Reader, error) {
	dir, err := s.dir()
	if err != nil {
		return nil, nil, usageError(err)
	}
	f, err := cnc.Map(cnc.Path(dir))
	switch {
	case errors.Is(err, cnc.ErrNotFound):
		return nil, nil, failure(fmt.Errorf("no media driver in %s (no %s there): start one with `tp media-driver` or `tp-driver`, or name its directory with --aeron-dir or $AERON_DIR", dir, cnc.FileName))
	case err != nil:
		return nil, nil, failure(err)
	}
	r, err := counters.NewReader(f.CountersMetadata, f.CountersValues)
	if err != nil {
		_ = f.Close()
		return nil, nil, failure(fmt.Errorf("%s: %w", f.Path, err))
	}
	return f, r, nil
}

// statSample is one reading of the counters.
type statSample struct {
	Time        time.Time     `json:"time"`
	CnC         string        `json:"cnc"`
	CnCVersion  string        `json:"cnc_version"`
	DriverPid   int64         `json:"driver_pid"`
	HeartbeatMs int64         `json:"heartbeat_age_ms"`
	Counters    []statCounter `json:"counters"`
}

type statCounter struct {
	ID             int32  `json:"id"`
	TypeID         int32  `json:"type_id"`
	Value          int64  `json:"value"`
	RegistrationID int64  `json:"registration_id"`
	OwnerID        int64  `json:"owner_id"`
	Label          string `json:"label"`
	// RatePerSecond is the change since the previous sample, per second; absent in the
	// first sample and for a counter new since the last.
	RatePerSecond *float64 `json:"rate_per_second,omitempty"`
}

// counterIdentity tells a counter apart from a later one reusing its id.
type counterIdentity struct {
	id  int32
	reg int64
}

func runStat(cmd *cobra.Command, o statOptions, sel counterSelector) error {
	f, r, err := o.system.openCnC()
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, stop := signalContext(cmd, 0)
	defer stop()
	out := cmd.OutOrStdout()
	clear := !o.asJSON && isTerminal(out)
	prev := map[counterIdentity]int64{}
	var prevAt time.Time
	tick := time.NewTicker(o.interval)
	defer tick.Stop()
	for n := 1; ; n++ {
		s := readSample(f, r, sel, prev, prevAt)
		prevAt = s.Time
		if o.asJSON {
			if err := writeJSONLine(out, s); err != nil {
				return failure(err)
			}
		} else {
			if clear {
				fmt.Fprint(out, "\x1b[H\x1b[2J")
			} else if n > 1 {
				fmt.Fprintln(out)
			}
			if err := s.write(out); err != nil {
				return failure(err)
			}
		}
		if o.count > 0 && n >= o.count {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// readSample reads every selected counter and records its value in prev for the next
// sample's rates.
func readSample(f *cnc.File, r *counters.Reader, sel counterSelector, prev map[counterIdentity]int64, prevAt time.Time) statSample {
	now := time.Now()
	s := statSample{Time: now, CnC: f.Path, CnCVersion: cnc.SemanticVersion(f.Version), DriverPid: f.DriverPid, Counters: []statCounter{}}
	if hb := f.DriverHeartbeatMs(); hb > 0 {
		s.HeartbeatMs = now.UnixMilli() - hb
	} else {
		s.HeartbeatMs = -1
	}
	elapsed := now.Sub(prevAt).Seconds()
	seen := map[counterIdentity]int64{}
	r.ForEach(func(c counters.Counter) bool {
		if !sel.match(c) {
			return true
		}
		sc := statCounter{ID: c.ID, TypeID: c.TypeID, Value: c.Value, RegistrationID: c.RegistrationID, OwnerID: c.OwnerID, Label: c.Label}
		key := counterIdentity{c.ID, c.RegistrationID}
		if last, ok := prev[key]; ok && elapsed > 0 {
			rate := float64(c.Value-last) / elapsed
			sc.RatePerSecond = &rate
		}
		seen[key] = c.Value
		s.Counters = append(s.Counters, sc)
		return true
	})
	clear(prev)
	for k, v := range seen {
		prev[k] = v
	}
	return s
}

func (s *statSample) write(w io.Writer) error {
	heartbeat := "no heartbeat (stopped)"
	if s.HeartbeatMs >= 0 {
		heartbeat = fmt.Sprintf("heartbeat %v ago", time.Duration(s.HeartbeatMs)*time.Millisecond)
	}
	fmt.Fprintf(w, "%s - %s (CnC %s), media driver pid %d, %s\n",
		s.Time.Format("2006-01-02 15:04:05"), s.CnC, s.CnCVersion, s.DriverPid, heartbeat)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ID\tVALUE\tRATE/S\tTYPE\t LABEL")
	for _, c := range s.Counters {
		rate := "-"
		if c.RatePerSecond != nil {
			rate = strconv.FormatFloat(*c.RatePerSecond, 'f', 1, 64)
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t %s\n", c.ID, c.Value, rate, c.TypeID, plainLabel(c.Label))
	}
	return tw.Flush()
}

// plainLabel keeps a label's control characters off the terminal.
func plainLabel(label string) string {
	if strings.IndexFunc(label, func(r rune) bool { return r < ' ' || r == 0x7f }) < 0 {
		return label
	}
	q := strconv.Quote(label)
	return q[1 : len(q)-1]
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

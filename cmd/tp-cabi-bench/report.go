package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

type report struct {
	GoVersion      string  `json:"go_version"`
	CPUs           int     `json:"cpus"`
	GOMAXPROCS     int     `json:"gomaxprocs"`
	EmbeddedDriver bool    `json:"embedded_driver"`
	Rounds         int     `json:"rounds"` // measured rounds per side and size
	WarmupS        float64 `json:"warmup_s"`
	WindowS        float64 `json:"window_s"`
	FragmentLimit  int     `json:"fragment_limit"`
	Library        string  `json:"library,omitempty"` // "" with --bin
	Program        string  `json:"program"`
	// CAPI is the C side's calls (--c-api), CrossingsPerFrame the calls into the
	// library's Go side they make per frame.
	CAPI              string       `json:"c_api"`
	CrossingsPerFrame int          `json:"crossings_per_frame"`
	Sizes             []sizeReport `json:"sizes"`
}

type sizeReport struct {
	SizeBytes   int           `json:"size_bytes"`
	StrideBytes uint32        `json:"stride_bytes"`
	Slots       uint32        `json:"slots"`
	Rounds      []roundResult `json:"rounds"` // in the order run, warm-up rounds first
	// Medians of the measured rounds.
	GoFramesPerSec float64 `json:"go_frames_per_sec"`
	CFramesPerSec  float64 `json:"c_frames_per_sec"`
	GoNsPerFrame   float64 `json:"go_ns_per_frame"`
	CNsPerFrame    float64 `json:"c_ns_per_frame"`
	// Over the pairs (i-th Go round, i-th C round): median, min and max of C/Go frames/s,
	// and the median of C − Go ns per frame.
	Ratio      float64 `json:"ratio"`
	RatioMin   float64 `json:"ratio_min"`
	RatioMax   float64 `json:"ratio_max"`
	OverheadNs float64 `json:"overhead_ns"`
	// CrossingNs is the median over the measured C rounds of one crossing's CPU time.
	CrossingNs float64 `json:"crossing_ns"`
	// LoopCrossingNs is the median over the measured C rounds of roundResult.LoopCrossingNs.
	LoopCrossingNs float64 `json:"loop_crossing_ns"`
	// CPU time per frame (roundResult): medians of each side's producer and consumer, and
	// the median of the paired differences C − Go of each.
	GoProducerCPUNs     float64 `json:"go_producer_cpu_ns"`
	CProducerCPUNs      float64 `json:"c_producer_cpu_ns"`
	GoConsumerCPUNs     float64 `json:"go_consumer_cpu_ns"`
	CConsumerCPUNs      float64 `json:"c_consumer_cpu_ns"`
	ProducerCPUOverhead float64 `json:"producer_cpu_overhead_ns"`
	ConsumerCPUOverhead float64 `json:"consumer_cpu_overhead_ns"`
	// The same of each side alone (roundResult.SoloProducerNs, SoloConsumerNs).
	GoSoloProducerNs     float64 `json:"go_solo_producer_ns"`
	CSoloProducerNs      float64 `json:"c_solo_producer_ns"`
	GoSoloConsumerNs     float64 `json:"go_solo_consumer_ns"`
	CSoloConsumerNs      float64 `json:"c_solo_consumer_ns"`
	SoloProducerOverhead float64 `json:"solo_producer_overhead_ns"`
	SoloConsumerOverhead float64 `json:"solo_consumer_overhead_ns"`
	// Totals over every round, warm-up included: each must be 0.
	Bad   uint64 `json:"bad"`
	Drops uint64 `json:"drops"`
}

func (s *sizeReport) add(r *roundResult) {
	s.Rounds = append(s.Rounds, *r)
	s.Bad += r.Bad
	s.Drops += r.drops()
}

// rates are the frames/s of side's measured rounds, in the order run.
func (s *sizeReport) rates(side string) []float64 {
	return s.measured(side, func(r *roundResult) float64 { return r.FramesPerSec })
}

// measured is a figure of side's measured rounds, in the order run.
func (s *sizeReport) measured(side string, figure func(*roundResult) float64) []float64 {
	var v []float64
	for i := range s.Rounds {
		if r := &s.Rounds[i]; r.Measured && r.Side == side {
			v = append(v, figure(r))
		}
	}
	return v
}

// pairedCPU returns the medians of Go's and C's CPU time per frame and of their paired
// differences.
func (s *sizeReport) pairedCPU(figure func(*roundResult) float64) (goNs, cNs, overhead float64) {
	g, c := s.measured(sideGo, figure), s.measured(sideC, figure)
	var diffs []float64
	for i := range min(len(g), len(c)) {
		if g[i] > 0 && c[i] > 0 {
			diffs = append(diffs, c[i]-g[i])
		}
	}
	return median(g), median(c), median(diffs)
}

func (s *sizeReport) summarise() {
	g, c := s.rates(sideGo), s.rates(sideC)
	s.GoFramesPerSec, s.CFramesPerSec = median(g), median(c)
	s.GoNsPerFrame, s.CNsPerFrame = nsPerFrame(s.GoFramesPerSec), nsPerFrame(s.CFramesPerSec)
	var ratios, overheads []float64
	for i := range min(len(g), len(c)) {
		if g[i] > 0 && c[i] > 0 {
			ratios = append(ratios, c[i]/g[i])
			overheads = append(overheads, nsPerFrame(c[i])-nsPerFrame(g[i]))
		}
	}
	s.CrossingNs = median(s.measured(sideC, func(r *roundResult) float64 { return r.CrossingNs }))
	s.LoopCrossingNs = median(s.measured(sideC, func(r *roundResult) float64 { return r.LoopCrossingNs }))
	s.GoProducerCPUNs, s.CProducerCPUNs, s.ProducerCPUOverhead = s.pairedCPU(func(r *roundResult) float64 { return r.ProducerCPUNs })
	s.GoConsumerCPUNs, s.CConsumerCPUNs, s.ConsumerCPUOverhead = s.pairedCPU(func(r *roundResult) float64 { return r.ConsumerCPUNs })
	s.GoSoloProducerNs, s.CSoloProducerNs, s.SoloProducerOverhead = s.pairedCPU(func(r *roundResult) float64 { return r.SoloProducerNs })
	s.GoSoloConsumerNs, s.CSoloConsumerNs, s.SoloConsumerOverhead = s.pairedCPU(func(r *roundResult) float64 { return r.SoloConsumerNs })
	if len(ratios) > 0 {
		s.Ratio, s.RatioMin, s.RatioMax = median(ratios), slices.Min(ratios), slices.Max(ratios)
		s.OverheadNs = median(overheads)
	}
}

func nsPerFrame(rate float64) float64 {
	if rate <= 0 {
		return 0
	}
	return 1e9 / rate
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

// faults fails a run whose frames were not all delivered intact, or that measured none:
// its figures would not mean what they say.
func (r *report) faults() error {
	var errs []error
	for _, s := range r.Sizes {
		if s.Bad > 0 || s.Drops > 0 {
			errs = append(errs, fmt.Errorf("%s: %d bad frames, %d drops (both must be 0)", sizeName(s.SizeBytes), s.Bad, s.Drops))
			for _, rd := range s.Rounds {
				if rd.Bad > 0 || rd.drops() > 0 {
					errs = append(errs, fmt.Errorf("  %s round (measured %t): bad %d, torn %d, gap %d, late %d, invalid %d, dropped by the producer %d (busy %d, published %d)",
						rd.Side, rd.Measured, rd.Bad, rd.Torn, rd.DropsGap, rd.DropsLate, rd.DropsInvalid, rd.ProducerDropped, rd.Busy, rd.Published))
				}
			}
		}
		if s.GoFramesPerSec <= 0 || s.CFramesPerSec <= 0 {
			errs = append(errs, fmt.Errorf("%s: no frames delivered in some window", sizeName(s.SizeBytes)))
		}
	}
	return errors.Join(errs...)
}

func writeJSON(out io.Writer, r *report) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func printPreamble(out io.Writer, r *report) {
	driver := "external media driver"
	if r.EmbeddedDriver {
		driver = "embedded Java media driver"
	}
	lib := r.Library
	if lib == "" {
		lib = "the one " + r.Program + " links"
	}
	fmt.Fprintf(out, "tp-cabi-bench: %s, %s, GOMAXPROCS %d of %d CPUs, busy-spin, fragment limit %d\n",
		r.GoVersion, driver, r.GOMAXPROCS, r.CPUs, r.FragmentLimit)
	fmt.Fprintf(out, "%d rounds per side and size after one warm-up round each (Go, C, C, Go, ...), %.1fs window after %.1fs warm-up\n",
		r.Rounds, r.WindowS, r.WarmupS)
	fmt.Fprintf(out, "library %s; C API %s: %s\n\n", lib, r.CAPI, cAPICalls[r.CAPI])
	fmt.Fprintf(out, "  %5s %7s %5s | %11s %11s | %5s %17s | %8s %8s %8s | %10s | %4s %5s\n",
		"size", "stride", "slots", "Go frames/s", "C frames/s", "C/Go", "paired (min–max)",
		"Go ns", "C ns", "C−Go ns", "crossing", "bad", "drops")
}

func printRow(out io.Writer, s *sizeReport) {
	fmt.Fprintf(out, "  %5s %7s %5d | %11.0f %11.0f | %5.3f %5.3f (%.3f–%.3f) | %8.1f %8.1f %8.1f | %7.1f ns | %4d %5d\n",
		sizeName(s.SizeBytes), sizeName(int(s.StrideBytes)), s.Slots, s.GoFramesPerSec, s.CFramesPerSec,
		s.CFramesPerSec/s.GoFramesPerSec, s.Ratio, s.RatioMin, s.RatioMax,
		s.GoNsPerFrame, s.CNsPerFrame, s.OverheadNs, s.CrossingNs, s.Bad, s.Drops)
}

func printRound(out io.Writer, size int, r *roundResult) {
	kind := "round"
	if !r.Measured {
		kind = "warm-up"
	}
	waited := 0.0
	if r.Published > 0 {
		waited = 100 * float64(r.Waits) / float64(r.Published)
	}
	fmt.Fprintf(out, "  %5s %-2s %-7s %11.0f frames/s (%d frames in %.3fs), published %d (%.0f%% waited for the consumer), busy %d, bad %d, drops %d",
		sizeName(size), r.Side, kind, r.FramesPerSec, r.Frames, r.Seconds, r.Published, waited, r.Busy, r.Bad, r.drops())
	fmt.Fprintf(out, ", CPU a frame: producer %.1f ns, consumer %.1f ns; solo %.1f, %.1f ns",
		r.ProducerCPUNs, r.ConsumerCPUNs, r.SoloProducerNs, r.SoloConsumerNs)
	if r.CrossingNs > 0 {
		fmt.Fprintf(out, ", crossing %.1f ns", r.CrossingNs)
	}
	fmt.Fprintln(out)
}

// printTargets judges issue #6's target at 640 KiB and issue #12's at 64 B: C's extra
// cost per frame over Go no more than the crossings its API needs per frame.
func printTargets(out io.Writer, r *report) {
	header := "\ntargets (paired medians)\n"
	for _, s := range r.Sizes {
		if s.SizeBytes == 640<<10 || s.SizeBytes == 64 {
			fmt.Fprint(out, header)
			header = ""
		}
		switch s.SizeBytes {
		case 640 << 10:
			fmt.Fprintf(out, "  C/Go frames/s at 640K                %7.3f  (target >= 0.90) %s\n", s.Ratio, verdict(s.Ratio >= 0.9))
			cpu := 0.0
			if s.CProducerCPUNs > 0 {
				cpu = s.GoProducerCPUNs / s.CProducerCPUNs
			}
			fmt.Fprintf(out, "  Go/C producer CPU a frame at 640K    %7.3f  (%.0f vs %.0f ns; the same target, in CPU time) %s\n",
				cpu, s.GoProducerCPUNs, s.CProducerCPUNs, verdict(cpu >= 0.9))
			solo := 0.0
			if s.CSoloProducerNs > 0 {
				solo = s.GoSoloProducerNs / s.CSoloProducerNs
			}
			fmt.Fprintf(out, "  Go/C solo producer CPU at 640K       %7.3f  (%.0f vs %.0f ns) %s\n",
				solo, s.GoSoloProducerNs, s.CSoloProducerNs, verdict(solo >= 0.9))
		case 64:
			budget := float64(r.CrossingsPerFrame) * s.CrossingNs
			fmt.Fprintf(out, "  C ABI per-frame overhead at 64 B     %7.1f ns (C − Go: %.1f vs %.1f ns a frame)\n",
				s.OverheadNs, s.CNsPerFrame, s.GoNsPerFrame)
			fmt.Fprintf(out, "  CPU a frame, producer C − Go         %7.1f ns (%.1f vs %.1f ns)\n",
				s.ProducerCPUOverhead, s.CProducerCPUNs, s.GoProducerCPUNs)
			fmt.Fprintf(out, "  CPU a frame, consumer C − Go         %7.1f ns (%.1f vs %.1f ns)\n",
				s.ConsumerCPUOverhead, s.CConsumerCPUNs, s.GoConsumerCPUNs)
			fmt.Fprintf(out, "  solo CPU a frame, producer C − Go    %7.1f ns (%.1f vs %.1f ns)\n",
				s.SoloProducerOverhead, s.CSoloProducerNs, s.GoSoloProducerNs)
			fmt.Fprintf(out, "  solo CPU a frame, consumer C − Go    %7.1f ns (%.1f vs %.1f ns)\n",
				s.SoloConsumerOverhead, s.CSoloConsumerNs, s.GoSoloConsumerNs)
			fmt.Fprintf(out, "  crossings it needs, %d × %.1f ns CPU %7.1f ns  (target: overhead <= that) wall %s, CPU %s, solo producer %s, solo consumer %s\n",
				r.CrossingsPerFrame, s.CrossingNs, budget, verdict(s.OverheadNs <= budget), verdict(s.ProducerCPUOverhead <= budget),
				verdict(s.SoloProducerOverhead <= budget), verdict(s.SoloConsumerOverhead <= budget))
			if s.LoopCrossingNs > 0 {
				loop := float64(r.CrossingsPerFrame) * s.LoopCrossingNs
				fmt.Fprintf(out, "  the same, a crossing in the frame loop %5.1f ns  (one more call a frame in the solo producer's loop) solo producer %s\n",
					loop, verdict(s.SoloProducerOverhead <= loop))
			}
		}
	}
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "MISSED"
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dK", n>>10)
	}
	return fmt.Sprintf("%d", n)
}

// Package metric holds a role's counts and mirrors each into an Aeron counter, so that
// AeronStat and other readers of the media driver's counters see them (the pattern of
// the SHM driver's metrics, agents/driver). Updating a count allocates nothing; the
// Aeron counters are added asynchronously on the role's duty cycle.
package metric

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/transport"
)

// Count is one metric: the duty cycle updates it, any goroutine may read it.
type Count struct {
	v      atomic.Int64
	mirror transport.Counter
}

// Load reads the value.
func (c *Count) Load() uint64 { return uint64(c.v.Load()) }

// Add adds d; only the duty cycle updates.
func (c *Count) Add(d int64) {
	v := c.v.Add(d)
	if c.mirror != nil {
		c.mirror.Set(v)
	}
}

// Inc adds 1.
func (c *Count) Inc() { c.Add(1) }

// Set stores v (a gauge).
func (c *Count) Set(v int64) {
	c.v.Store(v)
	if c.mirror != nil {
		c.mirror.Set(v)
	}
}

// Info describes a Count for Aeron and Prometheus.
type Info struct {
	// TypeID is the Aeron counter type id, within tensorpool's 1000-1099.
	TypeID int32
	// Name is the metric's name; several Counts may share it and differ in the value of
	// Label.
	Name, Label, LabelValue string
	Help                    string
	Gauge                   bool
}

// CounterLabel is the Aeron counter label of the metric for an instance, e.g.
// "tp_bridge_frames_total outcome=sent: instance=bridge-01".
func (info Info) CounterLabel(instance string) string {
	what := info.Name
	if info.Label != "" {
		what += " " + info.Label + "=" + info.LabelValue
	}
	return fmt.Sprintf("%s: instance=%s", what, instance)
}

// Set is the Counts of one role instance, with their Aeron counters.
type Set struct {
	infos    []Info
	counts   []*Count
	pending  []transport.Pending[transport.Counter]
	counters []transport.Counter
	// Err is the first counter the media driver refused (its counters buffer full, say):
	// the Count still counts, in-process.
	Err error
}

// NewSet pairs infos with counts, one each.
func NewSet(infos []Info, counts []*Count) *Set {
	if len(infos) != len(counts) {
		panic("metric.NewSet: infos and counts differ in number")
	}
	return &Set{infos: infos, counts: counts}
}

// Each calls fn with every metric and its value.
func (s *Set) Each(fn func(info Info, value uint64)) {
	for i, info := range s.infos {
		fn(info, s.counts[i].Load())
	}
}

// Start asks client for an Aeron counter per Count, keyed by key (at most 112 bytes) and
// labelled for instance. Poll completes them.
func (s *Set) Start(client transport.Client, key []byte, instance string) {
	s.pending = make([]transport.Pending[transport.Counter], len(s.infos))
	for i, info := range s.infos {
		s.pending[i] = client.AddCounter(info.TypeID, key, info.CounterLabel(instance))
	}
}

// Poll takes the counters added since the last call and makes their Counts mirror into
// them. It returns how many it took.
func (s *Set) Poll() int {
	n := 0
	for i, p := range s.pending {
		if p == nil {
			continue
		}
		c, err := p.Poll()
		if errors.Is(err, transport.ErrPending) {
			continue
		}
		s.pending[i] = nil
		n++
		if err != nil {
			if s.Err == nil {
				s.Err = fmt.Errorf("metric: counter %q: %w", s.infos[i].Name, err)
			}
			continue
		}
		c.Set(s.counts[i].v.Load())
		s.counts[i].mirror = c
		s.counters = append(s.counters, c)
	}
	return n
}

// Close frees the Aeron counters (the Counts keep their values) and cancels those still
// being added.
func (s *Set) Close() {
	for i, p := range s.pending {
		if p != nil {
			p.Cancel()
			s.pending[i] = nil
		}
	}
	for _, c := range s.counts {
		c.mirror = nil
	}
	for _, c := range s.counters {
		_ = c.Close() // best effort: the role is going away
	}
	s.counters = nil
}

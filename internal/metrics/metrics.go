// Package metrics is what a role's metrics share: values its duty cycle updates and any
// goroutine reads, each mirrored into an Aeron counter once the media driver has
// allocated it (so AeronStat and the CnC readers see them), and the descriptions a
// Prometheus exporter needs. Updating a value allocates nothing.
package metrics

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/transport"
)

// Count is one metric's value. Only the role's duty cycle updates it; any goroutine may
// Load it.
type Count struct {
	v      atomic.Int64
	mirror transport.Counter
}

// Load reads the value.
func (c *Count) Load() uint64 { return uint64(c.v.Load()) }

// Add adds d.
func (c *Count) Add(d int64) {
	v := c.v.Add(d)
	if c.mirror != nil {
		c.mirror.Set(v)
	}
}

// Set stores v (gauges).
func (c *Count) Set(v int64) {
	c.v.Store(v)
	if c.mirror != nil {
		c.mirror.Set(v)
	}
}

// Info describes one metric for Aeron and Prometheus.
type Info struct {
	// TypeID is the Aeron counter type id: tensorpool's are 1000-1099 (Aeron reserves
	// those below 1000), a block of them per role.
	TypeID int32
	// Name is the Prometheus name; metrics sharing one differ in the value of Label.
	Name, Label, LabelValue string
	Help                    string
	Gauge                   bool
}

// Metric is a described value.
type Metric struct {
	Info
	Count *Count
}

// CounterLabel is the Aeron counter label of m for a role instance, e.g.
// "tp_discovery_requests_total outcome=ok: role=registry instance=reg-1".
func (m Metric) CounterLabel(role, instance string) string {
	what := m.Name
	if m.Label != "" {
		what += " " + m.Label + "=" + m.LabelValue
	}
	return fmt.Sprintf("%s: role=%s instance=%s", what, role, instance)
}

// maxKey is Aeron's counter key limit.
const maxKey = 112

// Key is a role counter's Aeron key: a stream id the instance is known by (its request
// or control stream, little-endian u32), then the instance name.
func Key(streamID uint32, instance string) []byte {
	key := binary.LittleEndian.AppendUint32(nil, streamID)
	return append(key, instance[:min(len(instance), maxKey-len(key))]...)
}

// Publisher allocates the Aeron counters of a role's metrics without waiting: the adds
// are polled from the role's duty cycle.
type Publisher struct {
	metrics  []Metric
	pending  []transport.Pending[transport.Counter]
	counters []transport.Counter
	err      error
}

// Publish starts adding one counter per metric on client.
func Publish(client transport.Client, metrics []Metric, role, instance string, key []byte) *Publisher {
	p := &Publisher{metrics: metrics, pending: make([]transport.Pending[transport.Counter], len(metrics))}
	for i, m := range metrics {
		p.pending[i] = client.AddCounter(m.TypeID, key, m.CounterLabel(role, instance))
	}
	return p
}

// Poll takes the counters the media driver has allocated and makes each mirror its
// metric; a counter it refused (its counters buffer full) is skipped, the metric still
// counting in-process, and reported once by Err. It returns how many completed.
func (p *Publisher) Poll() int {
	n := 0
	for i, pend := range p.pending {
		if pend == nil {
			continue
		}
		c, err := pend.Poll()
		if errors.Is(err, transport.ErrPending) {
			continue
		}
		p.pending[i] = nil
		n++
		if err != nil {
			if p.err == nil {
				p.err = fmt.Errorf("counter %s: %w", p.metrics[i].Name, err)
			}
			continue
		}
		count := p.metrics[i].Count
		c.Set(count.v.Load())
		count.mirror = c
		p.counters = append(p.counters, c)
	}
	return n
}

// Err returns, once, the first counter the media driver refused.
func (p *Publisher) Err() error {
	err := p.err
	p.err = nil
	return err
}

// Close frees the counters and cancels the adds still pending; the metrics keep their
// values.
func (p *Publisher) Close() {
	for _, pend := range p.pending {
		if pend != nil {
			pend.Cancel()
		}
	}
	for _, m := range p.metrics {
		m.Count.mirror = nil
	}
	for _, c := range p.counters {
		_ = c.Close() // best effort: the role is going away
	}
	p.pending, p.counters = nil, nil
}

// Counters are the Aeron counters allocated so far.
func (p *Publisher) Counters() []transport.Counter { return p.counters }

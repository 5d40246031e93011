package role

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tensorpool/tensorpool/agents/discovery"
	"github.com/tensorpool/tensorpool/agents/driver"
	"github.com/tensorpool/tensorpool/agents/process"
	"github.com/tensorpool/tensorpool/agents/supervisor"
	"github.com/tensorpool/tensorpool/internal/metrics"
)

// sample is one Prometheus value.
type sample struct {
	name, help  string
	gauge       bool
	labels      []string // names
	labelValues []string
	value       float64
}

// metricSource gives a role's samples at each scrape.
type metricSource func() []sample

// collector exposes the roles' metrics (the values their Aeron counters mirror), read at
// each scrape. It describes nothing up front: the supervisor's per-consumer series come
// and go with the consumers.
type collector struct{ sources []metricSource }

func (c *collector) Describe(chan<- *prometheus.Desc) {}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	var all []sample
	help := map[string]string{}
	for _, src := range c.sources {
		for _, s := range src() {
			if s.help != "" {
				help[s.name] = s.help
			}
			all = append(all, s)
		}
	}
	for _, s := range all {
		kind := prometheus.CounterValue
		if s.gauge {
			kind = prometheus.GaugeValue
		}
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(s.name, help[s.name], s.labels, nil), kind, s.value, s.labelValues...)
	}
}

func driverMetrics(m *driver.Metrics) metricSource {
	return func() []sample {
		var out []sample
		m.Each(func(info driver.MetricInfo, v uint64) {
			s := sample{name: info.Name, help: info.Help, gauge: info.Gauge, value: float64(v)}
			if info.Scale != 0 {
				s.value *= info.Scale
			}
			if info.Label != "" {
				s.labels, s.labelValues = []string{info.Label}, []string{info.LabelValue}
			}
			out = append(out, s)
		})
		return out
	}
}

// infoSamples are the samples of metrics described by metrics.Info.
func infoSamples(each func(func(metrics.Info, uint64))) []sample {
	var out []sample
	each(func(info metrics.Info, v uint64) {
		s := sample{name: info.Name, help: info.Help, gauge: info.Gauge, value: float64(v)}
		if info.Label != "" {
			s.labels, s.labelValues = []string{info.Label}, []string{info.LabelValue}
		}
		out = append(out, s)
	})
	return out
}

func discoveryMetrics(m *discovery.Metrics) metricSource {
	return func() []sample { return infoSamples(m.Each) }
}

// supervisorMetrics are the supervisor's counters and its view: per producer its rate,
// per consumer its lag, drops and whether it is held RATE_LIMITED.
func supervisorMetrics(a *supervisor.Agent, p *process.Process) metricSource {
	return func() []sample {
		out := infoSamples(a.Metrics().Each)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		view, err := a.Snapshot(ctx, p)
		if err != nil {
			return out
		}
		for _, pr := range view.Producers {
			out = append(out, sample{name: "tp_supervisor_producer_rate_hz", help: "Frames per second between a producer's last two QosProducer.",
				gauge: true, labels: []string{"stream"}, labelValues: []string{strconv.FormatUint(uint64(pr.StreamID), 10)}, value: pr.RateHz})
		}
		for _, c := range view.Consumers {
			ids := []string{strconv.FormatUint(uint64(c.StreamID), 10), strconv.FormatUint(uint64(c.ConsumerID), 10)}
			names := []string{"stream", "consumer"}
			limited := 0.0
			if c.State == supervisor.Limited {
				limited = 1
			}
			out = append(out,
				sample{name: "tp_supervisor_consumer_lag_frames", help: "Frames a consumer was behind its producer at its last QosConsumer.", gauge: true, labels: names, labelValues: ids, value: float64(c.Lag)},
				sample{name: "tp_supervisor_consumer_drops", help: "Drops a consumer reported (gap, late).", gauge: true,
					labels: append(names, "kind"), labelValues: append(ids, "gap"), value: float64(c.DropsGap)},
				sample{name: "tp_supervisor_consumer_drops", gauge: true, labels: append(names, "kind"), labelValues: append(ids, "late"), value: float64(c.DropsLate)},
				sample{name: "tp_supervisor_consumer_rate_limited", help: "1 while the supervisor holds the consumer in RATE_LIMITED.", gauge: true, labels: names, labelValues: ids, value: limited},
			)
		}
		return out
	}
}

// serveMetrics serves the sources in Prometheus format at http://addr/metrics until stop
// is called.
func serveMetrics(addr string, sources []metricSource, log *slog.Logger) (stop func(), err error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(&collector{sources: sources}); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slogErrorLog{log}}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "err", err)
		}
	}()
	log.Info("metrics served", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() { srv.Close() }, nil
}

// slogErrorLog hands promhttp's errors to the role's log.
type slogErrorLog struct{ log *slog.Logger }

func (l slogErrorLog) Println(v ...any) { l.log.Warn("metrics scrape", "err", v) }

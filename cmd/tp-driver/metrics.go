package main

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tensorpool/tensorpool/agents/driver"
)

// collector exposes the driver's metrics (the values its Aeron counters
// mirror) to Prometheus, read at each scrape.
type collector struct {
	metrics *driver.Metrics
	descs   map[string]*prometheus.Desc
}

func newCollector(m *driver.Metrics) *collector {
	c := &collector{metrics: m, descs: map[string]*prometheus.Desc{}}
	help := map[string]string{}
	labels := map[string][]string{}
	for _, info := range driver.MetricInfos() {
		if info.Help != "" {
			help[info.Name] = info.Help
		}
		if info.Label != "" {
			labels[info.Name] = []string{info.Label}
		}
	}
	for _, info := range driver.MetricInfos() {
		if c.descs[info.Name] == nil {
			c.descs[info.Name] = prometheus.NewDesc(info.Name, help[info.Name], labels[info.Name], nil)
		}
	}
	return c
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.metrics.Each(func(info driver.MetricInfo, v uint64) {
		kind, value := prometheus.CounterValue, float64(v)
		if info.Gauge {
			kind = prometheus.GaugeValue
		}
		if info.Scale != 0 {
			value *= info.Scale
		}
		var labels []string
		if info.Label != "" {
			labels = []string{info.LabelValue}
		}
		ch <- prometheus.MustNewConstMetric(c.descs[info.Name], kind, value, labels...)
	})
}

// serveMetrics serves the driver's metrics in Prometheus format at
// http://addr/metrics until stop is called.
func serveMetrics(addr string, m *driver.Metrics, log *slog.Logger) (stop func(), err error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(newCollector(m)); err != nil {
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

// slogErrorLog hands promhttp's errors to the driver's log.
type slogErrorLog struct{ log *slog.Logger }

func (l slogErrorLog) Println(v ...any) { l.log.Warn("metrics scrape", "err", v) }

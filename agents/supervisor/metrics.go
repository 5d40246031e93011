package supervisor

import "github.com/tensorpool/tensorpool/internal/metrics"

// Metrics are the supervisor's live view in numbers and what it did; each is an Aeron
// counter with a type id in 1060-1069 (MetricInfos).
type Metrics struct {
	// Gauges: producers and consumers in the view, consumers held RATE_LIMITED.
	Producers, Consumers, Limited metrics.Count
	// ConfigsSent: ConsumerConfigs published. Moves to RATE_LIMITED and back.
	ConfigsSent, MovedToRateLimited, Restored metrics.Count
	// Assigned: ConsumerConfigs carrying per-consumer streams the supervisor assigned.
	Assigned metrics.Count
	// Expired: producers and consumers dropped from the view, silent past the liveness
	// timeout.
	Expired metrics.Count
	// Malformed: messages that failed validation; PublishFailed: configs not sent (the
	// control stream not connected or closed, the outbox full).
	Malformed, PublishFailed metrics.Count
}

// MetricInfos describes the metrics, in type id order.
func MetricInfos() []metrics.Info {
	return []metrics.Info{
		{TypeID: 1060, Name: "tp_supervisor_producers", Help: "Producers the supervisor sees (announces or QoS within the liveness timeout).", Gauge: true},
		{TypeID: 1061, Name: "tp_supervisor_consumers", Help: "Consumers the supervisor sees (hellos or QoS within the liveness timeout).", Gauge: true},
		{TypeID: 1062, Name: "tp_supervisor_consumers_rate_limited", Help: "Consumers the supervisor holds in RATE_LIMITED because they fell behind.", Gauge: true},
		{TypeID: 1063, Name: "tp_supervisor_consumer_configs_total", Help: "ConsumerConfig sent."},
		{TypeID: 1064, Name: "tp_supervisor_moves_total", Label: "to", LabelValue: "rate_limited", Help: "Consumers moved to RATE_LIMITED (fell behind) and back to STREAM (kept up)."},
		{TypeID: 1065, Name: "tp_supervisor_moves_total", Label: "to", LabelValue: "stream"},
		{TypeID: 1066, Name: "tp_supervisor_streams_assigned_total", Help: "ConsumerConfig carrying per-consumer streams the supervisor assigned."},
		{TypeID: 1067, Name: "tp_supervisor_expired_total", Help: "Producers and consumers dropped from the view, silent past the liveness timeout."},
		{TypeID: 1068, Name: "tp_supervisor_dropped_total", Label: "reason", LabelValue: "malformed", Help: "Messages dropped (malformed) and configs not sent (publish_failed)."},
		{TypeID: 1069, Name: "tp_supervisor_dropped_total", Label: "reason", LabelValue: "publish_failed"},
	}
}

func (m *Metrics) list() []metrics.Metric {
	counts := []*metrics.Count{&m.Producers, &m.Consumers, &m.Limited, &m.ConfigsSent, &m.MovedToRateLimited, &m.Restored,
		&m.Assigned, &m.Expired, &m.Malformed, &m.PublishFailed}
	infos := MetricInfos()
	out := make([]metrics.Metric, len(infos))
	for i, info := range infos {
		out[i] = metrics.Metric{Info: info, Count: counts[i]}
	}
	return out
}

// Each calls fn with every metric and its value.
func (m *Metrics) Each(fn func(info metrics.Info, value uint64)) {
	for _, x := range m.list() {
		fn(x.Info, x.Count.Load())
	}
}

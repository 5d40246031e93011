package discovery

import "github.com/tensorpool/tensorpool/internal/metrics"

// Metrics are what a discovery service answered, dropped and indexed. Ten of them are
// Aeron counters with type ids 1070-1079 (MetricInfos); the per-reason counts behind the
// drops are kept in-process (Reasons).
type Metrics struct {
	// Requests by outcome: answered OK, answered ERROR, rejected without an answer (no
	// or an unusable response channel, a malformed request, another schema version), and
	// answers that could not be delivered (no room for their endpoint or in the queue,
	// the publication never connected, or failed).
	RequestsOK, RequestsError, RequestsRejected, RequestsUndeliverable metrics.Count
	// Entries is a gauge of the visible entries; EntriesExpired counts those whose
	// announces stopped (Discovery §6.2).
	Entries, EntriesExpired metrics.Count
	// Announces indexed and dropped (an older epoch, an invalid layout, the index full,
	// undecodable).
	Announces, AnnouncesDropped metrics.Count
	// Metadata messages (DataSourceAnnounce, DataSourceMeta) indexed and dropped.
	Metadata, MetadataDropped metrics.Count

	verdicts      [verdictCount]metrics.Count
	undeliverable [undeliverableReasons]metrics.Count
	announceDrops [AnnounceTableFull + 1]metrics.Count
}

// MetricInfos describes the metrics with Aeron counters, in type id order.
func MetricInfos() []metrics.Info {
	return []metrics.Info{
		{TypeID: 1070, Name: "tp_discovery_requests_total", Label: "outcome", LabelValue: "ok", Help: "DiscoveryRequests by outcome: answered OK or ERROR, rejected unanswered, answer undeliverable."},
		{TypeID: 1071, Name: "tp_discovery_requests_total", Label: "outcome", LabelValue: "error"},
		{TypeID: 1072, Name: "tp_discovery_requests_total", Label: "outcome", LabelValue: "rejected"},
		{TypeID: 1073, Name: "tp_discovery_requests_total", Label: "outcome", LabelValue: "undeliverable"},
		{TypeID: 1074, Name: "tp_discovery_entries", Help: "Streams a request may return now (announced, not expired).", Gauge: true},
		{TypeID: 1075, Name: "tp_discovery_entries_expired_total", Help: "Streams whose announces stopped, no longer returned."},
		{TypeID: 1076, Name: "tp_discovery_announces_total", Label: "result", LabelValue: "indexed", Help: "ShmPoolAnnounce indexed or dropped (older epoch, invalid layout, index full)."},
		{TypeID: 1077, Name: "tp_discovery_announces_total", Label: "result", LabelValue: "dropped"},
		{TypeID: 1078, Name: "tp_discovery_metadata_total", Label: "result", LabelValue: "indexed", Help: "DataSourceAnnounce and DataSourceMeta indexed or dropped."},
		{TypeID: 1079, Name: "tp_discovery_metadata_total", Label: "result", LabelValue: "dropped"},
	}
}

// list pairs the metrics with their descriptions.
func (m *Metrics) list() []metrics.Metric {
	counts := []*metrics.Count{&m.RequestsOK, &m.RequestsError, &m.RequestsRejected, &m.RequestsUndeliverable,
		&m.Entries, &m.EntriesExpired, &m.Announces, &m.AnnouncesDropped, &m.Metadata, &m.MetadataDropped}
	infos := MetricInfos()
	out := make([]metrics.Metric, len(infos))
	for i, info := range infos {
		out[i] = metrics.Metric{Info: info, Count: counts[i]}
	}
	return out
}

// Each calls fn with every metric that has an Aeron counter, and its value.
func (m *Metrics) Each(fn func(info metrics.Info, value uint64)) {
	for _, x := range m.list() {
		fn(x.Info, x.Count.Load())
	}
}

// Reasons are the counts behind the request and announce outcomes: requests by Verdict,
// undeliverable answers by cause, dropped announces by AnnounceVerdict.
type Reasons struct {
	Requests      map[string]uint64
	Undeliverable map[string]uint64
	Announces     map[string]uint64
}

var announceVerdictNames = [...]string{"indexed", "epoch_regressed", "invalid", "table_full"}

// Reasons reads the per-reason counts.
func (m *Metrics) Reasons() Reasons {
	r := Reasons{Requests: map[string]uint64{}, Undeliverable: map[string]uint64{}, Announces: map[string]uint64{}}
	for i := range m.verdicts {
		r.Requests[verdictNames[i]] = m.verdicts[i].Load()
	}
	for i := range m.undeliverable {
		r.Undeliverable[undeliverableNames[i]] = m.undeliverable[i].Load()
	}
	for i := AnnounceEpochRegressed; i <= AnnounceTableFull; i++ {
		r.Announces[announceVerdictNames[i]] = m.announceDrops[i].Load()
	}
	return r
}

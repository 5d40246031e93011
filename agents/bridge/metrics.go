package bridge

import "github.com/tensorpool/tensorpool/internal/metrics"

// Metrics are what a bridge instance did, each an Aeron counter too (type ids
// 1080-1089, MetricInfos). The per-verdict detail of the receivers is in Stats.
type Metrics struct {
	// The sender's: frames whose every chunk went out, chunks sent, frames abandoned
	// because their slot was overwritten (or its file truncated) while they were being
	// sent, and frames not sent at all (no receiver connected, too many chunks).
	FramesSent, ChunksSent, SendsAbandoned, SendsDropped metrics.Count
	// ControlForwarded counts what the sender forwarded besides chunks: announces, and
	// QoS, progress and metadata when configured.
	ControlForwarded metrics.Count
	// The receivers': frames re-materialised, chunks dropped alone, frames dropped
	// (conflict, bad header, no pool, superseded, epoch change, publish), of those the
	// ones timed out, and identical duplicates ignored.
	FramesRematerialised, ChunksDropped, FramesDropped, AssembliesTimedOut, ChunkDuplicates metrics.Count
}

var metricInfos = []metrics.Info{
	{TypeID: 1080, Name: "tp_bridge_frames_sent_total", Help: "Frames whose every chunk the sender sent."},
	{TypeID: 1081, Name: "tp_bridge_chunks_sent_total", Help: "BridgeFrameChunks sent."},
	{TypeID: 1082, Name: "tp_bridge_send_abandoned_total", Help: "Frames abandoned mid-send: their slot was overwritten (never sent torn)."},
	{TypeID: 1083, Name: "tp_bridge_send_dropped_total", Help: "Frames not sent: no receiver connected, or too many chunks."},
	{TypeID: 1084, Name: "tp_bridge_control_forwarded_total", Help: "Announces, QoS, progress and metadata forwarded by the sender."},
	{TypeID: 1085, Name: "tp_bridge_frames_rematerialised_total", Help: "Frames the receiver wrote into local SHM and published."},
	{TypeID: 1086, Name: "tp_bridge_chunks_dropped_total", Help: "Chunks the receiver dropped alone (malformed, no announce, stale epoch or frame, ...)."},
	{TypeID: 1087, Name: "tp_bridge_frames_dropped_total", Help: "Frames the receiver dropped: missing or conflicting chunks, bad header, no local pool, ..."},
	{TypeID: 1088, Name: "tp_bridge_assemblies_timed_out_total", Help: "Incomplete frames dropped at the assembly timeout."},
	{TypeID: 1089, Name: "tp_bridge_chunk_duplicates_total", Help: "Identical duplicate chunks ignored."},
}

// MetricInfos lists the bridge's metrics, in TypeID order.
func MetricInfos() []metrics.Info { return metricInfos }

// list pairs the metrics with their descriptions.
func (m *Metrics) list() []metrics.Metric {
	return pair([]*metrics.Count{&m.FramesSent, &m.ChunksSent, &m.SendsAbandoned, &m.SendsDropped,
		&m.ControlForwarded, &m.FramesRematerialised, &m.ChunksDropped, &m.FramesDropped, &m.AssembliesTimedOut, &m.ChunkDuplicates})
}

func pair(counts []*metrics.Count) []metrics.Metric {
	out := make([]metrics.Metric, len(metricInfos))
	for i, info := range metricInfos {
		out[i] = metrics.Metric{Info: info, Count: counts[i]}
	}
	return out
}

// Each calls fn with every metric and its value (for exporters).
func (m *Metrics) Each(fn func(info metrics.Info, value uint64)) {
	for _, x := range m.list() {
		fn(x.Info, x.Count.Load())
	}
}

// record counts a receiver verdict.
func (m *Metrics) record(v Verdict) {
	switch {
	case v == FrameDone:
		m.FramesRematerialised.Add(1)
	case v == ChunkDuplicate:
		m.ChunkDuplicates.Add(1)
	case v == DropTimedOut:
		m.AssembliesTimedOut.Add(1)
		m.FramesDropped.Add(1)
	case v.DropsFrame():
		m.FramesDropped.Add(1)
	case v.IsDrop():
		m.ChunksDropped.Add(1)
	}
}

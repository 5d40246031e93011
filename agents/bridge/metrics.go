package bridge

import (
	"encoding/binary"

	"github.com/tensorpool/tensorpool/agents/internal/metric"
)

// Metrics are what a bridge instance did, each an Aeron counter too (type ids
// 1080-1089, MetricInfos). The per-verdict detail of the receivers is in Stats.
type Metrics struct {
	// The sender's: frames whose every chunk went out, chunks sent, frames abandoned
	// because their slot was overwritten (or its file truncated) while they were being
	// sent, and frames not sent at all (no receiver connected, too many chunks).
	FramesSent, ChunksSent, SendsAbandoned, SendsDropped metric.Count
	// ControlForwarded counts what the sender forwarded besides chunks: announces, and
	// QoS, progress and metadata when configured.
	ControlForwarded metric.Count
	// The receivers': frames re-materialised, chunks dropped alone, frames dropped
	// (conflict, bad header, no pool, superseded, epoch change, publish), of those the
	// ones timed out, and identical duplicates ignored.
	FramesRematerialised, ChunksDropped, FramesDropped, AssembliesTimedOut, ChunkDuplicates metric.Count
}

var metricInfos = []metric.Info{
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
func MetricInfos() []metric.Info { return metricInfos }

func (m *Metrics) set() *metric.Set {
	return metric.NewSet(metricInfos, []*metric.Count{&m.FramesSent, &m.ChunksSent, &m.SendsAbandoned, &m.SendsDropped,
		&m.ControlForwarded, &m.FramesRematerialised, &m.ChunksDropped, &m.FramesDropped, &m.AssembliesTimedOut, &m.ChunkDuplicates})
}

// record counts a receiver verdict.
func (m *Metrics) record(v Verdict) {
	switch {
	case v == FrameDone:
		m.FramesRematerialised.Inc()
	case v == ChunkDuplicate:
		m.ChunkDuplicates.Inc()
	case v == DropTimedOut:
		m.AssembliesTimedOut.Inc()
		m.FramesDropped.Inc()
	case v.DropsFrame():
		m.FramesDropped.Inc()
	case v.IsDrop():
		m.ChunksDropped.Inc()
	}
}

// counterKey is a bridge counter's Aeron key: the process id, then the instance id.
func counterKey(pid uint32, instanceID string) []byte {
	key := binary.LittleEndian.AppendUint32(nil, pid)
	const maxKey = 112
	return append(key, instanceID[:min(len(instanceID), maxKey-len(key))]...)
}

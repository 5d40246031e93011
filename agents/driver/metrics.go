package driver

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/tensorpool/tensorpool/transport"
)

// Count is one of the driver's metrics: a value the agent goroutine updates
// and any goroutine may read, mirrored into an Aeron counter once the agent
// has allocated it (so AeronStat and the counters reader of the CnC file see
// it). Updating it allocates nothing.
type Count struct {
	v      atomic.Int64
	mirror transport.Counter
}

// Load reads the value.
func (c *Count) Load() uint64 { return uint64(c.v.Load()) }

// Add adds d; only the agent goroutine updates.
func (c *Count) Add(d int64) {
	v := c.v.Add(d)
	if c.mirror != nil {
		c.mirror.Set(v)
	}
}

// Set stores v (gauges); only the agent goroutine updates.
func (c *Count) Set(v int64) {
	c.v.Store(v)
	if c.mirror != nil {
		c.mirror.Set(v)
	}
}

// Metrics are what the driver did and dropped.
type Metrics struct {
	// Attach answers by outcome: OK, and each refusal code.
	AttachOK, AttachRejected, AttachInvalidParams, AttachUnsupported, AttachInternalError Count
	DetachResponses                                                                       Count
	// Keepalives extended a lease; the others were ignored, by why.
	Keepalives, KeepaliveUnknownLease, KeepaliveEndedLease, KeepaliveMismatch, KeepaliveLate Count
	// UnknownLeaseRevokes are ShmLeaseRevoked sent for leases of another
	// driver run; UnknownLeaseRevokesPaced those the per-client pacing held back.
	UnknownLeaseRevokes, UnknownLeaseRevokesPaced Count
	// LeasesActive is a gauge; the others count leases ended, by reason.
	LeasesActive, LeasesDetached, LeasesExpired, LeasesRevoked Count
	Announces, ConsumerConfigs                                 Count
	// EpochsProvisioned, and the time all provisionings took (ns).
	EpochsProvisioned, ProvisionFailures, ProvisioningNs Count
	// RegionsLost: epochs whose files were deleted, replaced or truncated under the driver.
	RegionsLost Count
	// ShutdownsRejected: shutdown requests with a bad token or while disabled.
	ShutdownsRejected Count
	// Dropped control messages: another schema or an undecodable header;
	// failed wire validation; a newer schema version of a message without a
	// reply (§4.4a). NotForDriver are schema 900/901 messages the driver does
	// not take (its own echoes on a shared stream): not a drop.
	DroppedForeign, DroppedMalformed, DroppedNewer, NotForDriver Count
	// PublishRetries are sends deferred by back pressure; PublishDrops sends
	// given up (not connected, the retry queue full, or unencodable).
	PublishRetries, PublishDrops Count
	// Stalls: times the duty cycle did not run for longer than a lease check's period,
	// after which the leases' deadlines were moved on by the stall.
	Stalls Count
}

// AttachRejections is every refused attach, whatever its code.
func (m *Metrics) AttachRejections() uint64 {
	return m.AttachRejected.Load() + m.AttachInvalidParams.Load() + m.AttachUnsupported.Load() + m.AttachInternalError.Load()
}

// AttachResponses is every attach answered, whatever its code.
func (m *Metrics) AttachResponses() uint64 { return m.AttachOK.Load() + m.AttachRejections() }

// KeepalivesIgnored is every keepalive that extended no lease.
func (m *Metrics) KeepalivesIgnored() uint64 {
	return m.KeepaliveUnknownLease.Load() + m.KeepaliveEndedLease.Load() + m.KeepaliveMismatch.Load() + m.KeepaliveLate.Load()
}

// MetricInfo describes one metric for Aeron and Prometheus.
type MetricInfo struct {
	// TypeID is the Aeron counter type id: tensorpool's counters use
	// 1000-1099 (Aeron reserves the ids below 1000), the SHM driver's
	// 1000-1039, one per metric.
	TypeID int32
	// Name is the Prometheus metric name; several metrics share one and
	// differ in the value of Label.
	Name, Label, LabelValue string
	Help                    string
	Gauge                   bool
	// Scale converts the value to the metric's unit (1e-9 for ns to seconds).
	Scale float64
	count func(*Metrics) *Count
}

// metricInfos lists every metric, in TypeID order.
var metricInfos = []MetricInfo{
	{TypeID: 1000, Name: "tp_driver_attaches_total", Label: "outcome", LabelValue: "ok", Help: "ShmAttachResponse sent, by outcome (OK or the refusal code).", count: func(m *Metrics) *Count { return &m.AttachOK }},
	{TypeID: 1001, Name: "tp_driver_attaches_total", Label: "outcome", LabelValue: "rejected", count: func(m *Metrics) *Count { return &m.AttachRejected }},
	{TypeID: 1002, Name: "tp_driver_attaches_total", Label: "outcome", LabelValue: "invalid_params", count: func(m *Metrics) *Count { return &m.AttachInvalidParams }},
	{TypeID: 1003, Name: "tp_driver_attaches_total", Label: "outcome", LabelValue: "unsupported", count: func(m *Metrics) *Count { return &m.AttachUnsupported }},
	{TypeID: 1004, Name: "tp_driver_attaches_total", Label: "outcome", LabelValue: "internal_error", count: func(m *Metrics) *Count { return &m.AttachInternalError }},
	{TypeID: 1005, Name: "tp_driver_detaches_total", Help: "ShmDetachResponse sent.", count: func(m *Metrics) *Count { return &m.DetachResponses }},
	{TypeID: 1006, Name: "tp_driver_keepalives_total", Label: "result", LabelValue: "extended", Help: "ShmLeaseKeepalive received, by what it did.", count: func(m *Metrics) *Count { return &m.Keepalives }},
	{TypeID: 1007, Name: "tp_driver_keepalives_total", Label: "result", LabelValue: "unknown_lease", count: func(m *Metrics) *Count { return &m.KeepaliveUnknownLease }},
	{TypeID: 1008, Name: "tp_driver_keepalives_total", Label: "result", LabelValue: "ended_lease", count: func(m *Metrics) *Count { return &m.KeepaliveEndedLease }},
	{TypeID: 1009, Name: "tp_driver_keepalives_total", Label: "result", LabelValue: "mismatch", count: func(m *Metrics) *Count { return &m.KeepaliveMismatch }},
	{TypeID: 1010, Name: "tp_driver_keepalives_total", Label: "result", LabelValue: "late", count: func(m *Metrics) *Count { return &m.KeepaliveLate }},
	{TypeID: 1011, Name: "tp_driver_unknown_lease_revokes_total", Label: "outcome", LabelValue: "sent", Help: "ShmLeaseRevoked for leases of another driver run: sent, or held back by the per-client pacing.", count: func(m *Metrics) *Count { return &m.UnknownLeaseRevokes }},
	{TypeID: 1012, Name: "tp_driver_unknown_lease_revokes_total", Label: "outcome", LabelValue: "paced", count: func(m *Metrics) *Count { return &m.UnknownLeaseRevokesPaced }},
	{TypeID: 1013, Name: "tp_driver_leases_active", Help: "Leases granted and not ended.", Gauge: true, count: func(m *Metrics) *Count { return &m.LeasesActive }},
	{TypeID: 1014, Name: "tp_driver_leases_ended_total", Label: "reason", LabelValue: "detached", Help: "Leases ended, by the reason ShmLeaseRevoked gave.", count: func(m *Metrics) *Count { return &m.LeasesDetached }},
	{TypeID: 1015, Name: "tp_driver_leases_ended_total", Label: "reason", LabelValue: "expired", count: func(m *Metrics) *Count { return &m.LeasesExpired }},
	{TypeID: 1016, Name: "tp_driver_leases_ended_total", Label: "reason", LabelValue: "revoked", count: func(m *Metrics) *Count { return &m.LeasesRevoked }},
	{TypeID: 1017, Name: "tp_driver_announces_total", Help: "ShmPoolAnnounce sent.", count: func(m *Metrics) *Count { return &m.Announces }},
	{TypeID: 1018, Name: "tp_driver_consumer_configs_total", Help: "ConsumerConfig sent.", count: func(m *Metrics) *Count { return &m.ConsumerConfigs }},
	{TypeID: 1019, Name: "tp_driver_epochs_provisioned_total", Help: "Epochs whose SHM files were provisioned.", count: func(m *Metrics) *Count { return &m.EpochsProvisioned }},
	{TypeID: 1020, Name: "tp_driver_provision_failures_total", Help: "Provisionings that failed (no space, mlock, I/O).", count: func(m *Metrics) *Count { return &m.ProvisionFailures }},
	{TypeID: 1021, Name: "tp_driver_provisioning_seconds_total", Help: "Time spent provisioning epochs (the Aeron counter holds nanoseconds).", Scale: 1e-9, count: func(m *Metrics) *Count { return &m.ProvisioningNs }},
	{TypeID: 1022, Name: "tp_driver_regions_lost_total", Help: "Epochs whose files were deleted, replaced or truncated under the driver.", count: func(m *Metrics) *Count { return &m.RegionsLost }},
	{TypeID: 1023, Name: "tp_driver_shutdown_requests_refused_total", Help: "ShmDriverShutdownRequest refused (bad token, or disabled).", count: func(m *Metrics) *Count { return &m.ShutdownsRejected }},
	{TypeID: 1024, Name: "tp_driver_dropped_total", Label: "reason", LabelValue: "foreign_schema", Help: "Messages dropped, by reason.", count: func(m *Metrics) *Count { return &m.DroppedForeign }},
	{TypeID: 1025, Name: "tp_driver_dropped_total", Label: "reason", LabelValue: "malformed", count: func(m *Metrics) *Count { return &m.DroppedMalformed }},
	{TypeID: 1026, Name: "tp_driver_dropped_total", Label: "reason", LabelValue: "newer_version", count: func(m *Metrics) *Count { return &m.DroppedNewer }},
	{TypeID: 1027, Name: "tp_driver_dropped_total", Label: "reason", LabelValue: "publish_failed", count: func(m *Metrics) *Count { return &m.PublishDrops }},
	{TypeID: 1028, Name: "tp_driver_publish_retries_total", Help: "Sends deferred to a later duty cycle by back pressure.", count: func(m *Metrics) *Count { return &m.PublishRetries }},
	{TypeID: 1029, Name: "tp_driver_not_for_driver_total", Help: "Control-stream messages of the driver's schemas it does not take (its own echoes).", count: func(m *Metrics) *Count { return &m.NotForDriver }},
	{TypeID: 1030, Name: "tp_driver_stalls_total", Help: "Times the driver's duty cycle did not run for longer than a lease check's period (lease deadlines moved on by the stall).", count: func(m *Metrics) *Count { return &m.Stalls }},
}

// MetricInfos lists every metric of the driver, in TypeID order.
func MetricInfos() []MetricInfo { return metricInfos }

// Each calls fn with every metric and its value.
func (m *Metrics) Each(fn func(info MetricInfo, value uint64)) {
	for _, info := range metricInfos {
		fn(info, info.count(m).Load())
	}
}

// CounterLabel is the Aeron counter label of a metric of a driver run, e.g.
// "tp-driver attaches outcome=ok: instance=driver-01 lease_id_prefix=1a2b3c4d".
func (info MetricInfo) CounterLabel(instanceID string, instance uint32) string {
	what := info.Name
	if info.Label != "" {
		what += " " + info.Label + "=" + info.LabelValue
	}
	return fmt.Sprintf("%s: instance=%s lease_id_prefix=%08x", what, instanceID, instance)
}

// counterKey is a driver counter's Aeron key: the run's instance nonce
// (little-endian u32), the control stream id (u32), then the instance id.
func counterKey(instance, controlStreamID uint32, instanceID string) []byte {
	key := binary.LittleEndian.AppendUint32(nil, instance)
	key = binary.LittleEndian.AppendUint32(key, controlStreamID)
	const maxKey = 112
	return append(key, instanceID[:min(len(instanceID), maxKey-len(key))]...)
}

// publishCounters allocates an Aeron counter for every metric and makes it
// mirror the metric. Counters the media driver cannot allocate (its counters
// buffer full) are skipped: the metrics still count, in-process.
func (m *Metrics) publishCounters(ctx context.Context, client transport.Client, instanceID string, instance, controlStreamID uint32) ([]transport.Counter, error) {
	key := counterKey(instance, controlStreamID, instanceID)
	pending := make([]transport.Pending[transport.Counter], len(metricInfos))
	for i, info := range metricInfos {
		pending[i] = client.AddCounter(info.TypeID, key, info.CounterLabel(instanceID, instance))
	}
	var counters []transport.Counter
	var firstErr error
	for i, p := range pending {
		c, err := transport.Await(ctx, p)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("driver: counter %s: %w", metricInfos[i].CounterLabel(instanceID, instance), err)
			}
			continue
		}
		count := metricInfos[i].count(m)
		c.Set(count.v.Load())
		count.mirror = c
		counters = append(counters, c)
	}
	return counters, firstErr
}

package config

import "fmt"

// Supervisor defaults: the reference's [supervisor] keys (CONFIG_REFERENCE §3) and the
// policy's own.
const (
	DefaultSupervisorStreamID             = 1
	DefaultLivenessTimeoutNs              = 5_000_000_000
	DefaultLivenessCheckIntervalNs        = 1_000_000_000
	DefaultSlowAfterReports               = 3
	DefaultSlowDropsPerReport             = 1
	DefaultMinLimitedNs                   = 10_000_000_000
	DefaultMaxLimitedNs                   = 300_000_000_000
	maxSupervisorDurationNs        uint64 = 1 << 62
)

// SupervisorConfig is the [supervisor] table: the reference's keys (aeron_dir, aeron_uri,
// control_stream_id, qos_stream_id, stream_id, liveness_timeout_ns,
// liveness_check_interval_ns) and those of the policy, which acts where the reference's
// supervisor only logged.
type SupervisorConfig struct {
	// AeronDir empty means Aeron's default.
	AeronDir string
	// AeronURI is the channel of the control, announce and QoS streams.
	AeronURI         string
	ControlStreamID  uint32
	QosStreamID      uint32
	AnnounceStreamID uint32 // key announce_stream_id; default ControlStreamID
	// StreamID is the stream whose consumers the policy manages; 0 manages every stream.
	// The view covers every stream whatever it is.
	StreamID uint32
	// LivenessTimeoutNs: a producer or consumer not heard from for this long is dropped
	// from the view; LivenessCheckIntervalNs paces the check.
	LivenessTimeoutNs       uint64
	LivenessCheckIntervalNs uint64
	Policy                  SupervisorPolicy
}

// SupervisorPolicy is how the supervisor acts on what it sees (our keys, in [supervisor]).
type SupervisorPolicy struct {
	// RateLimitSlowConsumers moves a consumer that falls behind to RATE_LIMITED and back
	// (key rate_limit_slow_consumers, default true); false only observes.
	RateLimitSlowConsumers bool
	// SlowAfterReports consecutive QosConsumer reports showing a consumer behind move it
	// (key slow_after_reports).
	SlowAfterReports uint32
	// SlowDropsPerReport: a report whose drops (gap + late) grew by at least this much
	// since the previous one shows the consumer behind (key slow_drops_per_report).
	SlowDropsPerReport uint64
	// LagFrames: a report whose last_seq_seen lags the producer's sequence by more than
	// this shows the consumer behind (key lag_frames); 0 means half the stream's header
	// ring, the lag past which frames are overwritten before they are read.
	LagFrames uint64
	// MinLimitedNs is how long a consumer stays RATE_LIMITED before it is restored, if it
	// kept up meanwhile; each time it falls behind again within MaxLimitedNs of a restore
	// the hold doubles, up to MaxLimitedNs (keys min_limited_ns, max_limited_ns).
	MinLimitedNs uint64
	MaxLimitedNs uint64
	// The ranges let the supervisor assign per-consumer streams, as a driver would from
	// its own (Driver spec §11), to consumers that request them where no other authority
	// (the driver, a producer) answers them (keys descriptor_stream_id_range,
	// control_stream_id_range; unset, none is assigned).
	DescriptorStreamIDRange StreamIDRange
	ControlStreamIDRange    StreamIDRange
}

// DefaultSupervisor is what an empty [supervisor] table gives.
func DefaultSupervisor() SupervisorConfig {
	return SupervisorConfig{
		AeronURI:                DefaultChannel,
		ControlStreamID:         DefaultControlStreamID,
		QosStreamID:             DefaultQosStreamID,
		AnnounceStreamID:        DefaultControlStreamID,
		StreamID:                DefaultSupervisorStreamID,
		LivenessTimeoutNs:       DefaultLivenessTimeoutNs,
		LivenessCheckIntervalNs: DefaultLivenessCheckIntervalNs,
		Policy: SupervisorPolicy{
			RateLimitSlowConsumers: true,
			SlowAfterReports:       DefaultSlowAfterReports,
			SlowDropsPerReport:     DefaultSlowDropsPerReport,
			MinLimitedNs:           DefaultMinLimitedNs,
			MaxLimitedNs:           DefaultMaxLimitedNs,
		},
	}
}

// Validate checks a configuration built in code as a file's would be; every failure is a
// *Error naming the key.
func (c *SupervisorConfig) Validate() error {
	if err := c.validate(); err != nil {
		return err
	}
	return nil
}

func (c *SupervisorConfig) validate() *Error {
	const t = "supervisor."
	if err := checkChannel(t+"aeron_uri", c.AeronURI); err != nil {
		return err
	}
	for _, id := range []struct {
		key string
		v   uint32
	}{{t + "control_stream_id", c.ControlStreamID}, {t + "qos_stream_id", c.QosStreamID}, {t + "announce_stream_id", c.AnnounceStreamID}} {
		if err := checkID(id.key, id.v); err != nil {
			return err
		}
	}
	if c.StreamID > MaxStreamID {
		return errorf(t+"stream_id", fmt.Sprintf("%d is out of range [0, %d] (0: every stream)", c.StreamID, MaxStreamID))
	}
	for _, d := range []struct {
		key string
		v   uint64
	}{
		{t + "liveness_timeout_ns", c.LivenessTimeoutNs},
		{t + "liveness_check_interval_ns", c.LivenessCheckIntervalNs},
		{t + "min_limited_ns", c.Policy.MinLimitedNs},
		{t + "max_limited_ns", c.Policy.MaxLimitedNs},
	} {
		if d.v == 0 || d.v > maxSupervisorDurationNs {
			return errorf(d.key, fmt.Sprintf("%d is out of range [1, %d]", d.v, maxSupervisorDurationNs))
		}
	}
	p := &c.Policy
	switch {
	case c.LivenessCheckIntervalNs > c.LivenessTimeoutNs:
		return errorf(t+"liveness_check_interval_ns", fmt.Sprintf("%d is longer than liveness_timeout_ns (%d)", c.LivenessCheckIntervalNs, c.LivenessTimeoutNs))
	case p.SlowAfterReports == 0:
		return errorf(t+"slow_after_reports", "must be at least 1")
	case p.SlowDropsPerReport == 0:
		return errorf(t+"slow_drops_per_report", "must be at least 1")
	case p.MaxLimitedNs < p.MinLimitedNs:
		return errorf(t+"max_limited_ns", fmt.Sprintf("%d is shorter than min_limited_ns (%d)", p.MaxLimitedNs, p.MinLimitedNs))
	}
	for _, r := range []struct {
		key string
		v   StreamIDRange
	}{{t + "descriptor_stream_id_range", p.DescriptorStreamIDRange}, {t + "control_stream_id_range", p.ControlStreamIDRange}} {
		if err := checkRange(r.key, r.v); err != nil {
			return err
		}
		for _, own := range []uint32{c.ControlStreamID, c.QosStreamID, c.AnnounceStreamID} {
			if r.v.Contains(own) {
				return errorf(r.key, fmt.Sprintf("range %d-%d contains the supervisor's own stream %d", r.v.First, r.v.Last, own))
			}
		}
	}
	if p.DescriptorStreamIDRange.overlaps(p.ControlStreamIDRange) {
		return errorf(t+"control_stream_id_range", "overlaps descriptor_stream_id_range")
	}
	return nil
}

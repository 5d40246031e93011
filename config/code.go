package config

import (
	"fmt"
	"io/fs"
)

// Building a configuration in code: Default, then fields set, then Validate. It is the
// configuration a file would give, checked alike, and its errors name the TOML key of the
// field at fault.

// Default returns the defaults of the Driver spec §17 (what an empty file gives), without
// profiles or streams: add at least one profile, and streams or
// Policies.AllowDynamicStreams. The fields a file derives from others are left zero and
// derived by Validate from the fields as set: AnnounceChannel and AnnounceStreamID from the
// control endpoint, AllowedBaseDirs from BaseDir, EpochGCMinAgeNs from AnnouncePeriodMs,
// and DefaultProfile when there is a single profile.
func Default() *DriverConfig {
	return &DriverConfig{
		Driver: DriverSection{
			InstanceID:      DefaultInstanceID,
			ControlChannel:  DefaultChannel,
			ControlStreamID: DefaultControlStreamID,
			QosChannel:      DefaultChannel,
			QosStreamID:     DefaultQosStreamID,
		},
		Shm: ShmSection{
			BaseDir:         DefaultShmBaseDir,
			PageSizeBytes:   DefaultPageSizeBytes,
			PermissionsMode: 0o660,
			Namespace:       DefaultNamespace,
		},
		Policies: PolicySection{
			AnnouncePeriodMs:          DefaultAnnouncePeriodMs,
			LeaseKeepaliveIntervalMs:  DefaultLeaseKeepaliveIntervalMs,
			LeaseExpiryGraceIntervals: DefaultLeaseExpiryGraceIntervals,
			PrefaultShm:               true,
			EpochGCEnabled:            true,
			EpochGCKeep:               DefaultEpochGCKeep,
			ShutdownTimeoutMs:         DefaultShutdownTimeoutMs,
		},
		Profiles: map[string]Profile{},
		Streams:  map[string]Stream{},
	}
}

// Validate derives the fields Default leaves zero, checks each value's range as a file's
// would be and then the relations between values (the rules of LoadDriverConfig). Paths
// are cleaned, and a profile's or stream's empty Name is set to its map key. Every failure
// is a *Error naming the TOML key.
func (c *DriverConfig) Validate() error {
	c.derive()
	if err := c.checkValues(); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	return nil
}

// derive fills the fields a file derives from others, where they are zero.
func (c *DriverConfig) derive() {
	d := &c.Driver
	if d.AnnounceChannel == "" {
		d.AnnounceChannel = d.ControlChannel
	}
	if d.AnnounceStreamID == 0 {
		d.AnnounceStreamID = d.ControlStreamID
	}
	if len(c.Shm.AllowedBaseDirs) == 0 {
		c.Shm.AllowedBaseDirs = []string{c.Shm.BaseDir}
	}
	if c.Shm.Namespace == "" {
		c.Shm.Namespace = DefaultNamespace
	}
	p := &c.Policies
	if p.EpochGCMinAgeNs == 0 {
		p.EpochGCMinAgeNs = 3 * uint64(p.AnnouncePeriodMs) * 1_000_000
	}
	if p.DefaultProfile == "" && len(c.Profiles) == 1 {
		for name := range c.Profiles {
			p.DefaultProfile = name
		}
	}
	for name, prof := range c.Profiles {
		if prof.Name == "" {
			prof.Name = name
			c.Profiles[name] = prof
		}
	}
	for name, st := range c.Streams {
		if st.Name == "" {
			st.Name = name
			c.Streams[name] = st
		}
	}
}

// checkValues checks what a file's parser checks of each value alone (convert), for a
// configuration built in code.
func (c *DriverConfig) checkValues() *Error {
	d := &c.Driver
	for _, id := range []struct {
		key   string
		value uint32
	}{
		{"driver.control_stream_id", d.ControlStreamID},
		{"driver.announce_stream_id", d.AnnounceStreamID},
		{"driver.qos_stream_id", d.QosStreamID},
	} {
		if id.value == 0 || id.value > MaxStreamID {
			return errorf(id.key, fmt.Sprintf("%d is out of range [1, %d]", id.value, MaxStreamID))
		}
	}
	for _, r := range []struct {
		key   string
		value StreamIDRange
	}{
		{"driver.stream_id_range", d.StreamIDRange},
		{"driver.descriptor_stream_id_range", d.DescriptorStreamIDRange},
		{"driver.control_stream_id_range", d.ControlStreamIDRange},
	} {
		if err := checkRange(r.key, r.value); err != nil {
			return err
		}
	}
	if c.Shm.PermissionsMode&^fs.ModePerm != 0 {
		return errorf("shm.permissions_mode", fmt.Sprintf("%o is not an octal permission mode between 000 and 777", uint32(c.Shm.PermissionsMode)))
	}
	p := &c.Policies
	for _, v := range []struct {
		key   string
		value uint32
	}{
		{"policies.announce_period_ms", p.AnnouncePeriodMs},
		{"policies.lease_keepalive_interval_ms", p.LeaseKeepaliveIntervalMs},
		{"policies.lease_expiry_grace_intervals", p.LeaseExpiryGraceIntervals},
		{"policies.epoch_gc_keep", p.EpochGCKeep},
	} {
		if v.value == 0 {
			return errorf(v.key, fmt.Sprintf("0 is out of range [1, %d]", maxUint32))
		}
	}
	if p.EpochGCMinAgeNs > 1<<63-1 {
		return errorf("policies.epoch_gc_min_age_ns", fmt.Sprintf("%d is out of range [0, %d]", p.EpochGCMinAgeNs, uint64(1<<63-1)))
	}
	for _, name := range sortedKeys(c.Profiles) {
		if prof := c.Profiles[name]; prof.Name != name {
			return errorf("profiles."+name, fmt.Sprintf("holds the profile named %q", prof.Name))
		}
	}
	for _, name := range sortedKeys(c.Streams) {
		st := c.Streams[name]
		key := "streams." + name
		switch {
		case st.Name != name:
			return errorf(key, fmt.Sprintf("holds the stream named %q", st.Name))
		case st.StreamID == 0 || st.StreamID > MaxStreamID:
			return errorf(key+".stream_id", fmt.Sprintf("%d is out of range [1, %d]", st.StreamID, MaxStreamID))
		}
	}
	return nil
}

// checkRange applies a file's rules for a stream id range: unset, or within
// [1, MaxStreamID] and not inverted.
func checkRange(key string, r StreamIDRange) *Error {
	switch {
	case !r.IsSet():
	case r.First == 0 || r.Last > MaxStreamID:
		return errorf(key, fmt.Sprintf("range %d-%d must lie within [1, %d] (0 means \"not assigned\")", r.First, r.Last, MaxStreamID))
	case r.First > r.Last:
		return errorf(key, fmt.Sprintf("range %d-%d is inverted (first > last)", r.First, r.Last))
	}
	return nil
}

package config

import (
	"fmt"
	"os"
)

// StreamSpec is one stream of Local: its slot count (a power of two) and the payload pool
// strides (powers of two, multiples of the page size), smallest first.
type StreamSpec struct {
	StreamID uint32
	Slots    uint32
	Strides  []uint32
}

// Local is a small driver configuration for a driver inside a test, demo or benchmark
// process (package tp/local): files under baseDir, removed on exit, control and announce
// on IPC stream controlStreamID, and the given streams, each with a profile of its own.
func Local(baseDir string, controlStreamID int32, streams ...StreamSpec) (*DriverConfig, error) {
	cfg := Default()
	cfg.Driver.InstanceID = fmt.Sprintf("tp-%d", os.Getpid())
	cfg.Driver.ControlChannel, cfg.Driver.ControlStreamID = "aeron:ipc", uint32(controlStreamID)
	cfg.Driver.AnnounceChannel, cfg.Driver.AnnounceStreamID = "aeron:ipc", uint32(controlStreamID)
	cfg.Shm.BaseDir = baseDir
	cfg.Shm.AllowedBaseDirs = nil // the base dir, by Validate's default
	cfg.Policies.CleanupShmOnExit = true
	for i, s := range streams {
		p := Profile{Name: fmt.Sprintf("p%d", i), HeaderNslots: s.Slots}
		for j, stride := range s.Strides {
			p.PayloadPools = append(p.PayloadPools, PayloadPool{PoolID: uint16(j + 1), StrideBytes: stride})
		}
		cfg.Profiles[p.Name] = p
		cfg.Streams[fmt.Sprintf("s%d", i)] = Stream{StreamID: s.StreamID, Profile: p.Name}
		if i == 0 {
			cfg.Policies.DefaultProfile = p.Name
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

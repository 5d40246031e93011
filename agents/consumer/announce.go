package consumer

import (
	"errors"
	"fmt"
	"math"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// ErrInvalidAnnounce is what every *AnnounceError unwraps to.
var ErrInvalidAnnounce = errors.New("consumer: invalid announce")

// AnnounceError rejects an announce field on the control path.
type AnnounceError struct {
	Section string
	Field   string
	Value   any
	Problem string
}

func (e *AnnounceError) Error() string {
	return fmt.Sprintf("consumer: announce %s = %v: %s (§%s)", e.Field, e.Value, e.Problem, e.Section)
}

func (e *AnnounceError) Unwrap() error { return ErrInvalidAnnounce }

func announceError(section, field string, value any, problem string) error {
	return &AnnounceError{Section: section, Field: field, Value: value, Problem: problem}
}

// ValidateAnnounce checks the SHM layout an announce (or a driver's attach response, as
// an announce) describes, as far as it can without touching a file: 256-byte header
// slots, a power-of-two slot count shared by every pool (§8.1, §15.4, §15.5), at least
// one pool, distinct pool ids, and URIs that parse (§4.1, §15.22). Containment, stride
// and superblock checks happen when the regions are opened.
func ValidateAnnounce(a *wire.ShmPoolAnnounce) error {
	if a.HeaderSlotBytes != shm.HeaderSlotSize {
		return announceError("8.1", "header_slot_bytes", a.HeaderSlotBytes, "must be 256")
	}
	if a.HeaderNslots == 0 || a.HeaderNslots&(a.HeaderNslots-1) != 0 {
		return announceError("15.4", "header_nslots", a.HeaderNslots, "must be a non-zero power of two")
	}
	if a.HeaderRegionURI == "" {
		return announceError("10.1.1", "header_region_uri", "", "required")
	}
	if _, err := shm.ParseURI(a.HeaderRegionURI); err != nil {
		return err
	}
	if len(a.PayloadPools) == 0 {
		return announceError("10.1.1", "payload_pools", 0, "at least one pool is required")
	}
	for i, p := range a.PayloadPools {
		if p.PoolNslots != a.HeaderNslots {
			return announceError("15.5", fmt.Sprintf("payload_pools[%d].pool_nslots", i), p.PoolNslots, fmt.Sprintf("must equal header_nslots %d", a.HeaderNslots))
		}
		for _, q := range a.PayloadPools[:i] {
			if q.PoolID == p.PoolID {
				return announceError("9", fmt.Sprintf("payload_pools[%d].pool_id", i), p.PoolID, "pool ids must be distinct")
			}
		}
		if _, err := shm.ParseURI(p.RegionURI); err != nil {
			return err
		}
	}
	return nil
}

// AnnounceVerdict is what an announce means for a consumer's mapping.
type AnnounceVerdict uint8

const (
	// AnnounceMap: map the announced epoch, replacing any other mapping (§15.21 M0→M1,
	// M1(E)→M0→M1(E2)).
	AnnounceMap AnnounceVerdict = iota
	// AnnounceRefresh: the mapped epoch, announced again: re-validate the superblocks.
	AnnounceRefresh
	AnnounceIgnoreStream        // another stream_id
	AnnounceIgnoreLayoutVersion // layout this consumer does not read (§15.1)
	AnnounceIgnoreNoTimestamp   // announce_timestamp_ns 0 or null
	AnnounceIgnoreClockDomain   // neither MONOTONIC nor REALTIME_SYNCED (§10.1.1)
	AnnounceIgnoreBeforeJoin    // MONOTONIC timestamp before join time: log replay (§10.1.1)
	AnnounceIgnoreStale         // outside the freshness window (§10.1.1)
	AnnounceIgnoreLowerEpoch    // below the highest epoch mapped (§10.1.1)
	AnnounceIgnoreNoShm         // a ConsumerConfig said use_shm = false (§10.1.3)
	// AnnounceIgnoreFallback: the consumer fell back from an epoch whose regions it
	// rejected; that epoch and older ones are not retried (§15.22).
	AnnounceIgnoreFallback
)

var announceVerdictText = [...]string{
	AnnounceMap:                 "map",
	AnnounceRefresh:             "refresh",
	AnnounceIgnoreStream:        "ignored: another stream",
	AnnounceIgnoreLayoutVersion: "ignored: unsupported layout_version",
	AnnounceIgnoreNoTimestamp:   "ignored: no announce timestamp",
	AnnounceIgnoreClockDomain:   "ignored: unknown clock domain",
	AnnounceIgnoreBeforeJoin:    "ignored: announced before join time",
	AnnounceIgnoreStale:         "ignored: stale",
	AnnounceIgnoreLowerEpoch:    "ignored: lower epoch than one already mapped",
	AnnounceIgnoreNoShm:         "ignored: use_shm is false",
	AnnounceIgnoreFallback:      "ignored: fell back from this epoch's rejected regions",
}

func (v AnnounceVerdict) String() string {
	if int(v) < len(announceVerdictText) {
		return announceVerdictText[v]
	}
	return "unknown verdict"
}

// AnnounceFilter is the soft-state rule of §10.1.1 as a pure machine: it judges each
// announce against the clocks and the highest epoch mapped for the stream. Unlike the
// reference, a REALTIME_SYNCED timestamp is compared with the realtime clock, and an
// announce of a lower epoch never displaces a higher one.
type AnnounceFilter struct {
	StreamID      uint32
	LayoutVersion uint32
	FreshnessNs   int64 // window around local receipt time; RECOMMENDED 3 × announce period
	JoinNs        int64 // CLOCK_MONOTONIC when the subscription image became available

	highest uint64
	seen    bool
}

// Judge returns the verdict for a, received at monoNs (CLOCK_MONOTONIC) and realtimeNs
// (Unix time), given the currently mapped epoch (mapped false in state M0).
func (f *AnnounceFilter) Judge(a *wire.ShmPoolAnnounce, monoNs, realtimeNs int64, mappedEpoch uint64, mapped bool) AnnounceVerdict {
	switch {
	case a.StreamID != f.StreamID:
		return AnnounceIgnoreStream
	case a.LayoutVersion != f.LayoutVersion:
		return AnnounceIgnoreLayoutVersion
	case a.AnnounceTimestampNs == 0 || a.AnnounceTimestampNs == wire.NullU64:
		return AnnounceIgnoreNoTimestamp
	case a.AnnounceTimestampNs > math.MaxInt64:
		return AnnounceIgnoreStale
	}
	ts := int64(a.AnnounceTimestampNs)
	switch a.AnnounceClockDomain {
	case wire.ClockMonotonic:
		if ts < f.JoinNs {
			return AnnounceIgnoreBeforeJoin
		}
		if !within(ts, monoNs, f.FreshnessNs) {
			return AnnounceIgnoreStale
		}
	case wire.ClockRealtimeSynced:
		if !within(ts, realtimeNs, f.FreshnessNs) {
			return AnnounceIgnoreStale
		}
	default:
		return AnnounceIgnoreClockDomain
	}
	if f.seen && a.Epoch < f.highest {
		return AnnounceIgnoreLowerEpoch
	}
	if mapped && a.Epoch == mappedEpoch {
		return AnnounceRefresh
	}
	return AnnounceMap
}

// Mapped records that epoch was mapped: from now on only announces of that epoch or a
// higher one count. Only a mapped epoch raises the bar, so an announce the consumer
// rejected (a path outside the allowed directories, say) cannot lock it out of a lower,
// valid epoch.
func (f *AnnounceFilter) Mapped(epoch uint64) {
	if !f.seen || epoch > f.highest {
		f.highest, f.seen = epoch, true
	}
}

// within reports |ts - now| ≤ window without overflowing.
func within(ts, now, window int64) bool {
	if ts > now {
		return ts-now <= window
	}
	return now-ts <= window
}

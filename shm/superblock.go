package shm

import (
	"encoding/binary"
	"math"
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// Superblock layout (SBE ShmRegionSuperblock, template 50, no message header), stored at
// offset 0 of every region (§6, §7.1). Little-endian, 64 bytes; the first cache line
// carries the fields a consumer validates, pid and timestamps follow.
//
//	 0               8               12                              20              24      26      28
//	+---------------+---------------+-------------------------------+---------------+-------+-------+
//	| magic u64     | layout_ver u32| epoch u64                     | stream_id u32 | rtype | pool  |
//	+---------------+---------------+-------------------------------+---------------+ i16   + u16   +
//	28              32              36              40              48              56              64
//	+---------------+---------------+---------------+---------------+---------------+---------------+
//	| nslots u32    | slot_bytes u32| stride_b u32  | pid u64       | start_ts u64  | activity_ts u64|
//	+---------------+---------------+---------------+---------------+---------------+---------------+
const (
	SuperblockSize = 64 // fixed by §6; never derived from SBE metadata

	superblockMagicOffset         = 0
	superblockLayoutVersionOffset = 8
	superblockEpochOffset         = 12
	superblockStreamIDOffset      = 20
	superblockRegionTypeOffset    = 24
	superblockPoolIDOffset        = 26
	superblockNslotsOffset        = 28
	superblockSlotBytesOffset     = 32
	superblockStrideBytesOffset   = 36
	superblockPidOffset           = 40
	superblockStartTimeOffset     = 48
	superblockActivityTimeOffset  = 56
	superblockEnd                 = superblockActivityTimeOffset + 8
)

// Magic is the reference's magic value (§7.1): the bytes "TOPLSHM1" read as a big-endian
// u64, so the file holds them reversed ("1MHSLPOT").
const Magic uint64 = 0x544F504C53484D31

// LayoutVersion is the SHM layout this package reads and writes.
const LayoutVersion uint32 = 1

// Compile-time checks: the last field ends exactly at the fixed superblock size, and
// magic (published atomically) is 8-byte aligned.
var (
	_ [SuperblockSize - superblockEnd]struct{}
	_ [superblockEnd - SuperblockSize]struct{}
	_ [0 - superblockMagicOffset%8]struct{}
)

// Superblock is the decoded form of a region's superblock.
type Superblock struct {
	Magic               uint64
	LayoutVersion       uint32
	Epoch               uint64
	StreamID            uint32
	RegionType          RegionType
	PoolID              uint16
	Nslots              uint32
	SlotBytes           uint32
	StrideBytes         uint32
	Pid                 uint64
	StartTimestampNs    uint64
	ActivityTimestampNs uint64
}

// HeaderRingSuperblock is the superblock a header ring with these parameters carries:
// pool_id 0, 256-byte slots, stride 0 (§7.1, §8.1).
func HeaderRingSuperblock(epoch uint64, streamID, nslots uint32) Superblock {
	return Superblock{
		Magic: Magic, LayoutVersion: LayoutVersion, Epoch: epoch, StreamID: streamID,
		RegionType: RegionTypeHeaderRing, Nslots: nslots, SlotBytes: HeaderSlotSize,
	}
}

// PayloadPoolSuperblock is the superblock of a payload pool: slot_bytes = stride_bytes
// (§7.1, §9).
func PayloadPoolSuperblock(epoch uint64, streamID uint32, poolID uint16, nslots, strideBytes uint32) Superblock {
	return Superblock{
		Magic: Magic, LayoutVersion: LayoutVersion, Epoch: epoch, StreamID: streamID,
		RegionType: RegionTypePayloadPool, PoolID: poolID, Nslots: nslots,
		SlotBytes: strideBytes, StrideBytes: strideBytes,
	}
}

// ValidateGeometry checks the layout fields for internal consistency, independent of any
// announcement: the region type, nslots a power of two (header_index = seq & (nslots-1)),
// and the slot size each region type requires.
func (s *Superblock) ValidateGeometry() error {
	if !isPowerOfTwo(uint64(s.Nslots)) {
		return invalid("15.4", "nslots", s.Nslots, ErrNslots)
	}
	switch s.RegionType {
	case RegionTypeHeaderRing:
		if s.PoolID != 0 {
			return mismatch("7.1", "pool_id", s.PoolID, uint16(0), ErrSuperblockField)
		}
		if s.SlotBytes != HeaderSlotSize {
			return mismatch("8.1", "slot_bytes", s.SlotBytes, uint32(HeaderSlotSize), ErrSuperblockField)
		}
		if s.StrideBytes != 0 {
			return mismatch("7.1", "stride_bytes", s.StrideBytes, uint32(0), ErrSuperblockField)
		}
	case RegionTypePayloadPool:
		if s.SlotBytes != s.StrideBytes {
			return mismatch("9", "slot_bytes", s.SlotBytes, s.StrideBytes, ErrSuperblockField)
		}
		if s.StrideBytes == 0 {
			return invalid("15.22", "stride_bytes", s.StrideBytes, ErrStrideNotPowerOfTwo)
		}
	default:
		return invalid("7.1", "region_type", s.RegionType, ErrSuperblockField)
	}
	if _, err := s.RegionSize(); err != nil {
		return err
	}
	return nil
}

// RegionSize is the number of bytes a mapping of this region spans:
// superblock + nslots × slot_bytes (§8.1, §9).
func (s *Superblock) RegionSize() (int, error) {
	hi, lo := bits.Mul64(uint64(s.Nslots), uint64(s.SlotBytes))
	if hi != 0 || lo > math.MaxInt-SuperblockSize {
		return 0, invalid("9", "nslots*slot_bytes", lo, ErrRegionSize)
	}
	return SuperblockSize + int(lo), nil
}

// Matches checks a superblock read from a mapping against the one the announcement
// implies (§7.1, §15.1): magic, layout version, epoch, stream, region type, pool id,
// nslots, slot and stride bytes. pid and timestamps are informational and not compared.
func (s *Superblock) Matches(want *Superblock) error {
	if s.Magic != Magic {
		return mismatch("7.1", "magic", hex64(s.Magic), hex64(Magic), ErrSuperblockField)
	}
	checks := [...]struct {
		section, field string
		got, want      uint64
	}{
		{"15.1", "layout_version", uint64(s.LayoutVersion), uint64(want.LayoutVersion)},
		{"15.1", "epoch", s.Epoch, want.Epoch},
		{"7.1", "stream_id", uint64(s.StreamID), uint64(want.StreamID)},
		{"15.1", "region_type", uint64(s.RegionType), uint64(want.RegionType)},
		{"15.1", "pool_id", uint64(s.PoolID), uint64(want.PoolID)},
		{"15.1", "nslots", uint64(s.Nslots), uint64(want.Nslots)},
		{"15.1", "slot_bytes", uint64(s.SlotBytes), uint64(want.SlotBytes)},
		{"15.1", "stride_bytes", uint64(s.StrideBytes), uint64(want.StrideBytes)},
	}
	for _, c := range checks {
		if c.got != c.want {
			return mismatch(c.section, c.field, c.got, c.want, ErrSuperblockField)
		}
	}
	return s.ValidateGeometry()
}

// EncodeSuperblock writes s at the start of b. Every field but magic is written first
// and magic is stored last with an atomic (release) store, so a reader that sees the
// magic sees a complete superblock. b must be 8-byte aligned, as every mapping is.
func EncodeSuperblock(b []byte, s *Superblock) error {
	if len(b) < SuperblockSize {
		return invalid("6", "region length", len(b), ErrSuperblockTruncated)
	}
	if !aligned8(b) {
		return invalid("8.2", "region address", uintptr(unsafe.Pointer(&b[0])), ErrMisalignment)
	}
	le := binary.LittleEndian
	le.PutUint32(b[superblockLayoutVersionOffset:], s.LayoutVersion)
	le.PutUint64(b[superblockEpochOffset:], s.Epoch)
	le.PutUint32(b[superblockStreamIDOffset:], s.StreamID)
	le.PutUint16(b[superblockRegionTypeOffset:], uint16(s.RegionType))
	le.PutUint16(b[superblockPoolIDOffset:], s.PoolID)
	le.PutUint32(b[superblockNslotsOffset:], s.Nslots)
	le.PutUint32(b[superblockSlotBytesOffset:], s.SlotBytes)
	le.PutUint32(b[superblockStrideBytesOffset:], s.StrideBytes)
	le.PutUint64(b[superblockPidOffset:], s.Pid)
	le.PutUint64(b[superblockStartTimeOffset:], s.StartTimestampNs)
	le.PutUint64(b[superblockActivityTimeOffset:], s.ActivityTimestampNs)
	atomic.StoreUint64(word64(b, superblockMagicOffset), s.Magic)
	return nil
}

// DecodeSuperblock reads the superblock at the start of b. Magic is loaded first with an
// atomic (acquire) load, pairing with EncodeSuperblock. A short or misaligned b is an
// error, never a panic.
func DecodeSuperblock(b []byte) (Superblock, error) {
	if len(b) < SuperblockSize {
		return Superblock{}, invalid("6", "region length", len(b), ErrSuperblockTruncated)
	}
	if !aligned8(b) {
		return Superblock{}, invalid("8.2", "region address", uintptr(unsafe.Pointer(&b[0])), ErrMisalignment)
	}
	le := binary.LittleEndian
	return Superblock{
		Magic:               atomic.LoadUint64(word64(b, superblockMagicOffset)),
		LayoutVersion:       le.Uint32(b[superblockLayoutVersionOffset:]),
		Epoch:               le.Uint64(b[superblockEpochOffset:]),
		StreamID:            le.Uint32(b[superblockStreamIDOffset:]),
		RegionType:          RegionType(le.Uint16(b[superblockRegionTypeOffset:])),
		PoolID:              le.Uint16(b[superblockPoolIDOffset:]),
		Nslots:              le.Uint32(b[superblockNslotsOffset:]),
		SlotBytes:           le.Uint32(b[superblockSlotBytesOffset:]),
		StrideBytes:         le.Uint32(b[superblockStrideBytesOffset:]),
		Pid:                 le.Uint64(b[superblockPidOffset:]),
		StartTimestampNs:    le.Uint64(b[superblockStartTimeOffset:]),
		ActivityTimestampNs: le.Uint64(b[superblockActivityTimeOffset:]),
	}, nil
}

// StoreActivityTimestamp refreshes activity_timestamp_ns in a mapped superblock. It is an
// atomic store so a concurrent liveness check never sees half a timestamp.
func StoreActivityTimestamp(b []byte, ns uint64) {
	atomic.StoreUint64(word64(b, superblockActivityTimeOffset), ns)
}

// LoadActivityTimestamp is the atomic counterpart of StoreActivityTimestamp.
func LoadActivityTimestamp(b []byte) uint64 {
	return atomic.LoadUint64(word64(b, superblockActivityTimeOffset))
}

func isPowerOfTwo(v uint64) bool { return v != 0 && v&(v-1) == 0 }

func aligned8(b []byte) bool { return uintptr(unsafe.Pointer(unsafe.SliceData(b)))%8 == 0 }

// word64 returns the 8-byte word at b[off:], which the caller guarantees is in bounds and
// 8-byte aligned (mappings are page aligned, heap regions are backed by []uint64, and
// every word used this way sits at a multiple of 8 from the start).
// Slicing checks the bounds without reading memory, which the race detector would see
// as a plain access racing with the atomics.
func word64(b []byte, off int) *uint64 {
	return (*uint64)(unsafe.Pointer(unsafe.SliceData(b[off : off+8])))
}

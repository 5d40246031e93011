package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tensorpool/tensorpool/shm"
)

const (
	ringSlots    = 8
	ringEpoch    = 42
	ringStreamID = 10000
)

// frameFields are the slot contents writeFrame stores for seq: every field derived from
// seq, so a reader can tell a consistent copy from a torn one.
func frameFields(seq uint64) (shm.SlotHeader, shm.TensorHeader) {
	h := shm.SlotHeader{ValuesLenBytes: 100 + uint32(seq), PayloadSlot: uint32(seq % ringSlots), PoolID: 1,
		TimestampNs: 1_000_000 + seq, MetaVersion: 7}
	t := shm.TensorHeader{Dtype: shm.DtypeFloat32, MajorOrder: shm.MajorOrderRow, Ndims: 2}
	t.Dims[0], t.Dims[1] = int32(seq)+1, 3
	return h, t
}

// writeFrame writes seq into its slot as a producer does, leaving it in progress unless
// commit.
func writeFrame(ring *shm.HeaderRing, seq uint64, commit bool) {
	slot, _ := ring.Slot(ring.HeaderIndex(seq))
	h, t := frameFields(seq)
	slot.BeginWrite(seq)
	slot.EncodeHeader(&h, &t)
	if commit {
		slot.Commit(seq)
	}
}

// newHeaderRing creates a header ring file of 8 slots with sequences 0–5 committed, 6
// in progress and slot 7 never written; its owner is this process, started 5 s ago and
// active 2 s ago on CLOCK_MONOTONIC.
func newHeaderRing(t *testing.T) (string, *shm.MappedRegion, *shm.HeaderRing) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "header.ring")
	sb := shm.HeaderRingSuperblock(ringEpoch, ringStreamID, ringSlots)
	now := uint64(monotonicNow())
	sb.Pid, sb.StartTimestampNs, sb.ActivityTimestampNs = uint64(os.Getpid()), now-5e9, now-2e9
	region, err := shm.CreateRegion(path, &sb, 0o600)
	require.NoError(t, err)
	t.Cleanup(func() { region.Close() })
	ring, err := shm.NewHeaderRing(region.Bytes(), ringSlots)
	require.NoError(t, err)
	for seq := uint64(0); seq <= 5; seq++ {
		writeFrame(ring, seq, true)
	}
	writeFrame(ring, 6, false)
	return path, region, ring
}

func expectedSlot(seq uint64, committed bool) slotReport {
	h, ten := frameFields(seq)
	word := shm.InProgress(seq)
	if committed {
		word = shm.Committed(seq)
	}
	return slotReport{Index: uint32(seq % ringSlots), SeqCommit: word, Committed: committed, Seq: seq,
		PoolID: h.PoolID, PayloadSlot: h.PayloadSlot, ValuesLen: h.ValuesLenBytes, TimestampNs: h.TimestampNs,
		MetaVersion: h.MetaVersion, Dtype: "FLOAT32", Dims: []int32{ten.Dims[0], ten.Dims[1]}}
}

func TestInspectHeaderRing(t *testing.T) {
	path, _, _ := newHeaderRing(t)
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	stat, err := os.Stat(path)
	require.NoError(t, err)

	r := tp(t, "inspect", "--json", "--slots", "3", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	var report regionReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report))
	require.Equal(t, path, report.Path)
	require.Equal(t, int64(64+ringSlots*256), report.FileBytes)
	require.Equal(t, 64+ringSlots*256, report.RegionBytes)
	sb := report.Superblock
	require.Equal(t, "0x544F504C53484D31", sb.Magic)
	require.Equal(t, uint32(1), sb.LayoutVersion)
	require.Equal(t, uint64(ringEpoch), sb.Epoch)
	require.Equal(t, uint32(ringStreamID), sb.StreamID)
	require.Equal(t, "HEADER_RING", sb.RegionType)
	require.Equal(t, uint16(0), sb.PoolID)
	require.Equal(t, uint32(ringSlots), sb.Nslots)
	require.Equal(t, uint32(256), sb.SlotBytes)
	require.Equal(t, uint32(0), sb.StrideBytes)
	require.Equal(t, uint64(os.Getpid()), sb.Pid)
	require.True(t, sb.PidAlive)
	require.Equal(t, sb.StartTimestampNs+3e9, sb.ActivityTimestampNs)
	require.GreaterOrEqual(t, sb.ActivityAgeNs, int64(2e9))
	require.Less(t, sb.ActivityAgeNs, int64(2e9+time.Minute))
	require.Equal(t, sb.ActivityAgeNs+3e9, sb.StartAgeNs)

	require.NotNil(t, report.HeaderRing)
	require.Equal(t, 7, report.HeaderRing.Written)
	require.Equal(t, []slotReport{expectedSlot(6, false), expectedSlot(5, true), expectedSlot(4, true)}, report.HeaderRing.Slots)

	// The text form: the same values, one row a slot, newest first.
	r = tp(t, "inspect", "shm:file?path="+path)
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(r.stdout, "\n")
	require.Equal(t, fmt.Sprintf("%s: HEADER_RING, %d bytes", path, 64+ringSlots*256), lines[0])
	require.Contains(t, r.stdout, "  magic                  0x544F504C53484D31 (tensorpool)\n")
	require.Contains(t, r.stdout, "  epoch                  42\n")
	require.Contains(t, r.stdout, fmt.Sprintf("  pid                    %d (running)\n", os.Getpid()))
	ageText := regexp.MustCompile(`\n  activity_timestamp_ns  \d+ \((\S+) ago\)\n`).FindStringSubmatch(r.stdout)
	require.NotNil(t, ageText, r.stdout)
	activityAge, err := time.ParseDuration(ageText[1])
	require.NoError(t, err)
	require.GreaterOrEqual(t, activityAge, 2*time.Second)
	require.Less(t, activityAge, 2*time.Second+time.Minute)
	_, table, ok := strings.Cut(r.stdout, "slots: 7 of 8 written; the newest 7 by seq:\n")
	require.True(t, ok, r.stdout)
	rows := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	require.Equal(t, strings.Fields("SLOT SEQ_COMMIT STATE SEQ POOL PAYLOAD_SLOT VALUES_LEN TIMESTAMP_NS META DTYPE DIMS"), strings.Fields(rows[0]))
	require.Len(t, rows, 8)
	require.Equal(t, []string{"6", "12", "in", "progress", "6", "1", "6", "106", "1000006", "7", "FLOAT32", "[7", "3]"}, strings.Fields(rows[1]))
	require.Equal(t, []string{"5", "11", "committed", "5", "1", "5", "105", "1000005", "7", "FLOAT32", "[6", "3]"}, strings.Fields(rows[2]))
	require.Equal(t, []string{"0", "1", "committed", "0", "1", "0", "100", "1000000", "7", "FLOAT32", "[1", "3]"}, strings.Fields(rows[7]))

	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.Equal(before, after), "inspect changed the region")
	stat2, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, stat.ModTime(), stat2.ModTime())
}

// A ring whose writer wrapped: the newest sequences are listed, whatever their slots.
func TestInspectHeaderRingAfterWrap(t *testing.T) {
	path, _, ring := newHeaderRing(t)
	writeFrame(ring, 6, true)
	for seq := uint64(7); seq <= 9; seq++ {
		writeFrame(ring, seq, true)
	}
	r := tp(t, "inspect", "--json", "--slots", "2", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	var report regionReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report))
	require.Equal(t, ringSlots, report.HeaderRing.Written)
	require.Equal(t, []slotReport{expectedSlot(9, true), expectedSlot(8, true)}, report.HeaderRing.Slots)
}

func TestInspectPayloadPool(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pool-1")
	sb := shm.PayloadPoolSuperblock(ringEpoch, ringStreamID, 3, ringSlots, 4096)
	region, err := shm.CreateRegion(path, &sb, 0o600)
	require.NoError(t, err)
	require.NoError(t, region.Close())

	r := tp(t, "inspect", "--json", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	var report regionReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report))
	require.Equal(t, "PAYLOAD_POOL", report.Superblock.RegionType)
	require.Equal(t, uint16(3), report.Superblock.PoolID)
	require.Equal(t, uint32(4096), report.Superblock.SlotBytes)
	require.Equal(t, uint32(4096), report.Superblock.StrideBytes)
	require.Equal(t, uint64(0), report.Superblock.Pid)
	require.False(t, report.Superblock.PidAlive)
	require.Equal(t, 64+ringSlots*4096, report.RegionBytes)
	require.Nil(t, report.HeaderRing)
	require.NotContains(t, r.stdout, "header_ring")

	r = tp(t, "inspect", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "  pid                    0 (not running)\n")
	require.NotContains(t, r.stdout, "slots:")
}

// Files that are not whole regions are errors that say why, and nothing is mapped
// beyond a file's end.
func TestInspectRejectsWhatIsNotARegion(t *testing.T) {
	dir := t.TempDir()
	file := func(name string, content []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, content, 0o600))
		return p
	}
	superblock := func(mutate func(*shm.Superblock)) []byte {
		sb := shm.HeaderRingSuperblock(1, 1, ringSlots)
		mutate(&sb)
		b := shm.NewHeapRegion(64 + ringSlots*256).Bytes()
		require.NoError(t, shm.EncodeSuperblock(b, &sb))
		return b
	}
	ring, _, _ := newHeaderRing(t)
	whole, err := os.ReadFile(ring)
	require.NoError(t, err)

	for _, tc := range []struct {
		name, path, want string
	}{
		{"truncated ring", file("truncated", whole[:64+3*256]),
			"is truncated: 832 bytes, but its superblock's 8 slots of 256 bytes need 2112"},
		{"shorter than a superblock", file("short", []byte("0123456789")),
			"is not a tensorpool SHM region: 10 bytes, shorter than the 64-byte superblock"},
		{"empty", file("empty", nil),
			"is not a tensorpool SHM region: 0 bytes, shorter than the 64-byte superblock"},
		{"text file", file("text", bytes.Repeat([]byte("not a region file\n"), 100)),
			`is not a tensorpool SHM region: magic 0x6572206120746F6E (the file starts "not a re"), want 0x544F504C53484D31`},
		{"binary file", file("binary", make([]byte, 4096)),
			`is not a tensorpool SHM region: magic 0x0000000000000000 (the file starts "\x00\x00\x00\x00\x00\x00\x00\x00"), want 0x544F504C53484D31`},
		{"newer layout", file("layout", superblock(func(s *shm.Superblock) { s.LayoutVersion = 2 })),
			"layout_version 2, this tp reads 1"},
		{"nslots not a power of two", file("nslots", superblock(func(s *shm.Superblock) { s.Nslots = 6 })),
			"nslots"},
		{"directory", dir, "is a directory, not a region file"},
		{"missing", filepath.Join(dir, "missing"), "no such file or directory"},
		{"URI of another scheme", "file:///etc/passwd", "no such file or directory"},
		{"malformed URI", "shm:file?path=relative", "relative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tp(t, "inspect", tc.path)
			require.Equal(t, exitFailure, r.code, r.stdout)
			require.Empty(t, r.stdout)
			require.True(t, strings.HasPrefix(r.stderr, "tp: "), r.stderr)
			require.Contains(t, r.stderr, tc.want)
		})
	}
}

// A region file truncated after inspect mapped it faults on the first page past the new
// end; the guard makes that an error naming the offset instead of a SIGBUS.
func TestInspectSurvivesTruncationWhileReading(t *testing.T) {
	const nslots = 1024 // 256 KiB: most slots lie past the first page
	path := filepath.Join(t.TempDir(), "header.ring")
	sb := shm.HeaderRingSuperblock(1, 1, nslots)
	region, err := shm.CreateRegion(path, &sb, 0o600)
	require.NoError(t, err)
	defer region.Close()
	ring, err := shm.NewHeaderRing(region.Bytes(), nslots)
	require.NoError(t, err)
	for seq := uint64(0); seq < nslots; seq++ {
		writeFrame(ring, seq, true)
	}
	require.NoError(t, os.Truncate(path, shm.SuperblockSize))

	_, err = readSlots(ring, region.Bytes(), 8)
	firstPastEnd := uint32(os.Getpagesize()-shm.SuperblockSize+shm.HeaderSlotSize-1) / shm.HeaderSlotSize
	require.EqualError(t, err, fmt.Sprintf("region truncated while reading: fault at offset %d of %d mapped bytes",
		shm.HeaderSlotOffset(firstPastEnd), 64+nslots*256))
}

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unsafe"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/tensorpool/tensorpool/shm"
)

func newInspectCommand() *cobra.Command {
	var (
		asJSON bool
		slots  int
	)
	cmd := &cobra.Command{
		Use:   "inspect PATH|URI",
		Short: "Print a SHM region's superblock and newest header slots, read-only",
		Long: `inspect opens a tensorpool SHM region file read-only, a header ring or a
payload pool, given as a path or as a region URI (shm:file?path=...), and
prints its superblock: magic, layout version, epoch, stream, region type,
pool id, geometry, the owner's pid, and the start and activity timestamps
with their age on CLOCK_MONOTONIC, the clock producers stamp them with.

For a header ring it also prints the newest written slots by sequence: the
seq_commit word (committed or in progress), the sequence, the payload pool
and slot, values_len, timestamp, meta_version, dtype and dims. A slot that
changed while it was read is printed as torn. Slots whose seq_commit is 0
have never been written (or are being written for sequence 0) and are
counted, not listed.

inspect never writes to the region, takes no lease and needs no driver. A
file that is not a region, or is shorter than its superblock says, is
reported as such.`,
		Example: `  tp inspect /dev/shm/tensorpool/stream-10000/driver-01/epoch-1/header.ring
  tp inspect --slots 32 --json 'shm:file?path=/dev/shm/tensorpool/stream-10000/driver-01/epoch-1/header.ring'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if slots < 0 {
				return usageError(fmt.Errorf("--slots %d: want 0 or more", slots))
			}
			report, err := inspectRegion(args[0], slots)
			if err != nil {
				return failure(err)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), report)
			}
			return report.write(cmd.OutOrStdout())
		},
	}
	cmd.Flags().IntVar(&slots, "slots", 8, "header slots to print, newest first")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

// regionReport is what inspect found in a region file.
type regionReport struct {
	Path        string            `json:"path"`
	FileBytes   int64             `json:"file_bytes"`
	RegionBytes int               `json:"region_bytes"`
	Superblock  superblockReport  `json:"superblock"`
	HeaderRing  *headerRingReport `json:"header_ring,omitempty"`
}

type superblockReport struct {
	Magic               string `json:"magic"`
	LayoutVersion       uint32 `json:"layout_version"`
	Epoch               uint64 `json:"epoch"`
	StreamID            uint32 `json:"stream_id"`
	RegionType          string `json:"region_type"`
	PoolID              uint16 `json:"pool_id"`
	Nslots              uint32 `json:"nslots"`
	SlotBytes           uint32 `json:"slot_bytes"`
	StrideBytes         uint32 `json:"stride_bytes"`
	Pid                 uint64 `json:"pid"`
	PidAlive            bool   `json:"pid_alive"`
	StartTimestampNs    uint64 `json:"start_timestamp_ns"`
	ActivityTimestampNs uint64 `json:"activity_timestamp_ns"`
	// ActivityAgeNs is CLOCK_MONOTONIC now minus the activity timestamp, read at the
	// same time; negative if the timestamp is ahead of this host's clock.
	ActivityAgeNs int64 `json:"activity_age_ns"`
	StartAgeNs    int64 `json:"start_age_ns"`
}

type headerRingReport struct {
	// Written counts the slots whose seq_commit is not 0.
	Written int          `json:"written"`
	Slots   []slotReport `json:"slots"`
}

// slotReport is one header slot as read under its seqlock. When Torn, seq_commit
// changed while the slot was read and only Index, SeqCommit and Torn are meaningful.
type slotReport struct {
	Index       uint32  `json:"index"`
	SeqCommit   uint64  `json:"seq_commit"`
	Committed   bool    `json:"committed"`
	Seq         uint64  `json:"seq"`
	Torn        bool    `json:"torn"`
	PoolID      uint16  `json:"pool_id"`
	PayloadSlot uint32  `json:"payload_slot"`
	ValuesLen   uint32  `json:"values_len"`
	TimestampNs uint64  `json:"timestamp_ns"`
	MetaVersion uint32  `json:"meta_version"`
	Dtype       string  `json:"dtype"`
	Dims        []int32 `json:"dims"`
}

func (s *slotReport) state() string {
	switch {
	case s.Torn:
		return "torn"
	case s.Committed:
		return "committed"
	}
	return "in progress"
}

// regionPath accepts a plain path or a region URI.
func regionPath(arg string) (string, error) {
	if !strings.HasPrefix(arg, "shm:") {
		return arg, nil
	}
	u, err := shm.ParseURI(arg)
	if err != nil {
		return "", err
	}
	return u.Path, nil
}

// inspectRegion reads the region at arg. Every size is checked against the file before
// anything is mapped, so a short file is an error and never a SIGBUS; a file truncated
// while it is being read is caught by the fault guard in readSlots.
func inspectRegion(arg string, maxSlots int) (*regionReport, error) {
	path, err := regionPath(arg)
	if err != nil {
		return nil, err
	}
	// O_NONBLOCK: a FIFO given by mistake must not block the open.
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is a %s, not a region file", path, fileKind(info.Mode()))
	}
	r := &regionReport{Path: path, FileBytes: info.Size()}
	if info.Size() < shm.SuperblockSize {
		return nil, fmt.Errorf("%s is not a tensorpool SHM region: %d bytes, shorter than the %d-byte superblock", path, info.Size(), shm.SuperblockSize)
	}
	// A heap buffer of words: DecodeSuperblock wants 8-byte alignment.
	buf := shm.NewHeapRegion(shm.SuperblockSize).Bytes()
	if _, err := f.ReadAt(buf, 0); err != nil {
		return nil, err
	}
	sb, err := shm.DecodeSuperblock(buf)
	if err != nil {
		return nil, err
	}
	if sb.Magic != shm.Magic {
		return nil, fmt.Errorf("%s is not a tensorpool SHM region: magic %s (the file starts %q), want %s",
			path, hex64(sb.Magic), buf[:8], hex64(shm.Magic))
	}
	if sb.LayoutVersion != shm.LayoutVersion {
		return nil, fmt.Errorf("%s: layout_version %d, this tp reads %d", path, sb.LayoutVersion, shm.LayoutVersion)
	}
	if err := sb.ValidateGeometry(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.RegionBytes, _ = sb.RegionSize()
	now := monotonicNow()
	r.Superblock = superblockReport{
		Magic:               hex64(sb.Magic),
		LayoutVersion:       sb.LayoutVersion,
		Epoch:               sb.Epoch,
		StreamID:            sb.StreamID,
		RegionType:          sb.RegionType.String(),
		PoolID:              sb.PoolID,
		Nslots:              sb.Nslots,
		SlotBytes:           sb.SlotBytes,
		StrideBytes:         sb.StrideBytes,
		Pid:                 sb.Pid,
		PidAlive:            processAlive(sb.Pid),
		StartTimestampNs:    sb.StartTimestampNs,
		ActivityTimestampNs: sb.ActivityTimestampNs,
		ActivityAgeNs:       now - int64(sb.ActivityTimestampNs),
		StartAgeNs:          now - int64(sb.StartTimestampNs),
	}
	if info.Size() < int64(r.RegionBytes) {
		return nil, fmt.Errorf("%s is truncated: %d bytes, but its superblock's %d slots of %d bytes need %d",
			path, info.Size(), sb.Nslots, sb.SlotBytes, r.RegionBytes)
	}
	if sb.RegionType != shm.RegionTypeHeaderRing {
		return r, nil
	}
	region, err := shm.MapFile(f, r.RegionBytes, shm.ReadOnly)
	if err != nil {
		return nil, err
	}
	defer region.Close()
	ring, err := shm.NewHeaderRing(region.Bytes(), sb.Nslots)
	if err != nil {
		return nil, err
	}
	r.HeaderRing, err = readSlots(ring, region.Bytes(), maxSlots)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// readSlots reads every written slot of ring under its seqlock and keeps the newest
// maxSlots by sequence. mem is the mapping, for telling a fault in it from other panics.
func readSlots(ring *shm.HeaderRing, mem []byte, maxSlots int) (report *headerRingReport, err error) {
	// The file can be truncated after its size was checked; reading past its end then
	// faults. The guard turns that into an error, as the consumer's does.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			offset, ok := faultOffset(r, mem)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("region truncated while reading: fault at offset %d of %d mapped bytes", offset, len(mem))
		}
	}()
	report = &headerRingReport{Slots: []slotReport{}}
	var all []slotReport
	for i := range ring.Nslots() {
		slot, _ := ring.Slot(i)
		if slot.SeqCommit() == 0 {
			continue
		}
		report.Written++
		all = append(all, readSlot(i, slot))
	}
	slices.SortFunc(all, func(a, b slotReport) int {
		switch {
		case a.Seq > b.Seq:
			return -1
		case a.Seq < b.Seq:
			return 1
		}
		return int(a.Index) - int(b.Index)
	})
	report.Slots = append(report.Slots, all[:min(maxSlots, len(all))]...)
	return report, nil
}

// readSlot follows the consumer's read (§8.3) without an expected sequence: load
// seq_commit (acquire), copy the header, and accept the copy only if seq_commit still
// holds the same word. An in-progress slot is copied too, for what it shows, but is
// only torn if the word moved meanwhile.
func readSlot(index uint32, slot shm.HeaderSlot) slotReport {
	var (
		h shm.SlotHeader
		t shm.TensorHeader
	)
	word := slot.SeqCommit()
	slot.DecodeHeader(&h, &t)
	s := slotReport{Index: index, SeqCommit: word, Committed: shm.IsCommitted(word), Seq: shm.SequenceOf(word)}
	if slot.ReadEnd(word) != shm.DropNone {
		s.Torn = true
		return s
	}
	s.PoolID, s.PayloadSlot, s.ValuesLen = h.PoolID, h.PayloadSlot, h.ValuesLenBytes
	s.TimestampNs, s.MetaVersion = h.TimestampNs, h.MetaVersion
	s.Dtype = t.Dtype.String()
	s.Dims = append([]int32{}, t.Dims[:min(int(t.Ndims), shm.MaxDims)]...)
	return s
}

// faultOffset reports where in mem a memory-fault panic hit.
func faultOffset(r any, mem []byte) (uintptr, bool) {
	re, ok := r.(runtime.Error)
	if !ok {
		return 0, false
	}
	at, ok := re.(interface{ Addr() uintptr })
	if !ok || len(mem) == 0 {
		return 0, false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	addr := at.Addr()
	if addr < base || addr-base >= uintptr(len(mem)) {
		return 0, false
	}
	return addr - base, true
}

// monotonicNow is CLOCK_MONOTONIC in nanoseconds, the clock of superblock and slot
// timestamps (Wire spec §15.7, §15.14).
func monotonicNow() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// processAlive reports whether a process with this pid exists (signal 0; EPERM means it
// exists under another user). pid 0 is "unknown".
func processAlive(pid uint64) bool {
	if pid == 0 || pid > 1<<22 {
		return false
	}
	err := unix.Kill(int(pid), 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

func hex64(v uint64) string { return fmt.Sprintf("0x%016X", v) }

func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeNamedPipe != 0:
		return "named pipe"
	case m&os.ModeSocket != 0:
		return "socket"
	case m&os.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

func age(ns int64) string {
	if ns < 0 {
		return fmt.Sprintf("%v ahead of this host's clock", time.Duration(-ns))
	}
	return fmt.Sprintf("%v ago", time.Duration(ns).Round(time.Millisecond))
}

func (r *regionReport) write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	s := r.Superblock
	fmt.Fprintf(tw, "%s: %s, %d bytes\n", r.Path, s.RegionType, r.FileBytes)
	fmt.Fprintf(tw, "  magic\t%s (tensorpool)\n", s.Magic)
	fmt.Fprintf(tw, "  layout_version\t%d\n", s.LayoutVersion)
	fmt.Fprintf(tw, "  epoch\t%d\n", s.Epoch)
	fmt.Fprintf(tw, "  stream_id\t%d\n", s.StreamID)
	fmt.Fprintf(tw, "  region_type\t%s\n", s.RegionType)
	fmt.Fprintf(tw, "  pool_id\t%d\n", s.PoolID)
	fmt.Fprintf(tw, "  nslots\t%d\n", s.Nslots)
	fmt.Fprintf(tw, "  slot_bytes\t%d\n", s.SlotBytes)
	fmt.Fprintf(tw, "  stride_bytes\t%d\n", s.StrideBytes)
	alive := "not running"
	if s.PidAlive {
		alive = "running"
	}
	fmt.Fprintf(tw, "  pid\t%d (%s)\n", s.Pid, alive)
	fmt.Fprintf(tw, "  start_timestamp_ns\t%d (%s)\n", s.StartTimestampNs, age(s.StartAgeNs))
	fmt.Fprintf(tw, "  activity_timestamp_ns\t%d (%s)\n", s.ActivityTimestampNs, age(s.ActivityAgeNs))
	if err := tw.Flush(); err != nil {
		return err
	}
	ring := r.HeaderRing
	if ring == nil {
		return nil
	}
	fmt.Fprintf(w, "slots: %d of %d written; the newest %d by seq:\n", ring.Written, s.Nslots, len(ring.Slots))
	if len(ring.Slots) == 0 {
		return nil
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  SLOT\tSEQ_COMMIT\tSTATE\tSEQ\tPOOL\tPAYLOAD_SLOT\tVALUES_LEN\tTIMESTAMP_NS\tMETA\tDTYPE\tDIMS")
	for _, sl := range ring.Slots {
		if sl.Torn {
			fmt.Fprintf(tw, "  %d\t%d\t%s\t%d\t-\t-\t-\t-\t-\t-\t-\n", sl.Index, sl.SeqCommit, sl.state(), sl.Seq)
			continue
		}
		dims := make([]string, len(sl.Dims))
		for i, d := range sl.Dims {
			dims[i] = fmt.Sprint(d)
		}
		fmt.Fprintf(tw, "  %d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t[%s]\n", sl.Index, sl.SeqCommit, sl.state(), sl.Seq,
			sl.PoolID, sl.PayloadSlot, sl.ValuesLen, sl.TimestampNs, sl.MetaVersion, sl.Dtype, strings.Join(dims, " "))
	}
	return tw.Flush()
}

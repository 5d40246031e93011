package main

import (
	"cmp"
	"context"
	"encoding/json"
	"io/fs"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/transport"
)

// The watching commands against the running test system (system_test.go).

func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		lines = append(lines, m)
	}
	return lines
}

func TestTapDecodesTheControlStreams(t *testing.T) {
	s := runningSystem(t)
	r := s.tp(t, exitOK, "tap", "--config", s.configPath, "--duration", "2500ms")
	for _, want := range []string{
		"ShmPoolAnnounce schema=900 v=1 wire=1.1/1.2 streamId=10000 producerId=7001 ",
		"ShmLeaseKeepalive schema=901 v=1 wire=1.1/1.2 ",
		"role=PRODUCER",
		"role=CONSUMER",
		"ConsumerHello schema=900 v=1 wire=1.1/1.2 streamId=10000 consumerId=7101 ",
		"ConsumerConfig schema=900 v=1 wire=1.1/1.2 streamId=10000 consumerId=7101 useShm=true mode=STREAM descriptorStreamId=413",
		"QosProducer schema=900",
		"QosConsumer schema=900",
		"stream=41000 ",
		"stream=41200 ",
	} {
		require.Contains(t, r.stdout, want)
	}
	require.Contains(t, r.stderr, "tapping aeron:ipc stream 41000 (control, announce); aeron:ipc stream 41200 (qos)")
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		require.Regexp(t, `^\d\d:\d\d:\d\d\.\d{6} stream=\d+ session=-?\d+ [A-Za-z]+ schema=\d+ v=\d+ wire=1\.[12]`, line)
	}
}

func TestTapFrameDescriptorsAsJSON(t *testing.T) {
	s := runningSystem(t)
	r := s.tp(t, exitOK, "tap", "--stream", strconv.Itoa(sysDescriptorStream), "--count", "5", "--json")
	lines := jsonLines(t, r.stdout)
	require.Len(t, lines, 5)
	for _, m := range lines {
		require.Equal(t, "message", m["kind"])
		require.Equal(t, "FrameDescriptor", m["message"])
		require.Equal(t, "1.1", m["wire_version"])
		require.EqualValues(t, 900, m["schema_id"])
		require.EqualValues(t, 36, m["block_length"])
		fields := m["fields"].(map[string]any)
		require.EqualValues(t, sysStream, fields["streamId"])
		require.Contains(t, fields, "headerIndex")
		require.NotContains(t, fields, "traceId", "a v1.2 field of a v1.1 descriptor")
	}
	seq0 := lines[0]["fields"].(map[string]any)["seq"].(float64)
	seq4 := lines[4]["fields"].(map[string]any)["seq"].(float64)
	require.Greater(t, seq4, seq0)
}

func TestTapFiltersMessages(t *testing.T) {
	s := runningSystem(t)
	r := s.tp(t, exitOK, "tap", "--config", s.configPath, "--message", "shmleasekeepalive", "--count", "3")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3)
	for _, l := range lines {
		require.Contains(t, l, " ShmLeaseKeepalive ")
	}
}

func TestListShowsTheRunningSystem(t *testing.T) {
	s := runningSystem(t)
	r := s.tp(t, exitOK, "list", "--config", s.configPath, "--json")
	var rep listReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	require.Equal(t, s.aeronDir, rep.AeronDir)

	require.Len(t, rep.Drivers, 1, r.stdout)
	d := rep.Drivers[0]
	require.Equal(t, "cmd-tp-test", d.Instance)
	require.Equal(t, s.driver.Process.Pid, d.Pid, "the pid from the base directory's lock file")
	require.EqualValues(t, sysControlStream, d.ControlStreamID)
	require.EqualValues(t, 2, d.LeasesActive)
	require.GreaterOrEqual(t, d.AttachesOK, int64(2))

	require.Len(t, rep.Streams, 1, r.stdout)
	st := rep.Streams[0]
	require.EqualValues(t, sysStream, st.StreamID)
	require.EqualValues(t, sysProducerID, st.ProducerID)
	require.NotZero(t, st.Epoch)
	require.EqualValues(t, 16, st.HeaderNslots)
	require.NotEmpty(t, st.EpochsOnDisk)
	var current bool
	for _, e := range st.EpochsOnDisk {
		require.Equal(t, "cmd-tp-test", e.Instance)
		require.Positive(t, e.Bytes)
		current = current || e.Epoch == st.Epoch
	}
	require.True(t, current, "the announced epoch is on disk")

	roles := map[string]uint32{}
	for _, l := range rep.Leases {
		roles[l.Role] = l.ClientID
		require.EqualValues(t, sysStream, l.StreamID)
		require.Contains(t, l.Seen, "keepalive")
	}
	require.Equal(t, map[string]uint32{"PRODUCER": sysProducerID, "CONSUMER": sysConsumerID}, roles)

	require.Len(t, rep.Producers, 1, r.stdout)
	p := rep.Producers[0]
	require.EqualValues(t, sysProducerID, p.ClientID)
	require.Equal(t, st.Epoch, p.Epoch)
	require.NotZero(t, p.LeaseID)
	require.NotNil(t, p.CurrentSeq, "from QosProducer")
	require.NotNil(t, p.Frames, "from the producer's counters")
	require.Positive(t, *p.Frames)

	require.Len(t, rep.Consumers, 1, r.stdout)
	c := rep.Consumers[0]
	require.EqualValues(t, sysConsumerID, c.ClientID)
	require.Equal(t, "STREAM", c.Mode)
	require.Regexp(t, `^aeron:ipc stream 413\d\d$`, c.Descriptors, "assigned by the driver")
	require.Regexp(t, `^aeron:ipc stream 414\d\d$`, c.Control)
	require.NotNil(t, c.LastSeqSeen, "from QosConsumer")
	require.NotNil(t, c.Frames, "from the consumer's counters")
	require.Positive(t, *c.Frames)

	text := s.tp(t, exitOK, "list", "--config", s.configPath, "--duration", "1500ms")
	for _, want := range []string{"DRIVERS (1)", "STREAMS (1)", "LEASES (2)", "PRODUCERS (1)", "CONSUMERS (1)", "cmd-tp-test", strconv.Itoa(s.driver.Process.Pid)} {
		require.Contains(t, text.stdout, want)
	}
}

// tp inspect reads a live stream's header ring, which tp-driver made and the producer
// writes while it is read: the superblock names the stream and a running owner whose
// activity the driver keeps fresh, and the newest slots are whole frames (none torn:
// 20 ms apart, a slot is not rewritten while read).
func TestInspectReadsALiveHeaderRing(t *testing.T) {
	s := runningSystem(t)
	var rings []regionReport
	require.NoError(t, filepath.WalkDir(s.baseDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "header.ring" {
			return err
		}
		r := s.tp(t, exitOK, "inspect", "--json", "--slots", "4", path)
		var report regionReport
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &report), r.stdout)
		if report.HeaderRing != nil {
			rings = append(rings, report)
		}
		return nil
	}))
	require.NotEmpty(t, rings, "no header ring under %s", s.baseDir)
	ring := slices.MaxFunc(rings, func(a, b regionReport) int { return cmp.Compare(a.Superblock.Epoch, b.Superblock.Epoch) })
	sb := ring.Superblock
	require.Equal(t, "HEADER_RING", sb.RegionType)
	require.Equal(t, uint32(sysStream), sb.StreamID)
	require.True(t, sb.PidAlive, "the region's owner %d", sb.Pid)
	require.Less(t, sb.ActivityAgeNs, int64(5*time.Second))
	require.Positive(t, ring.HeaderRing.Written)
	require.NotEmpty(t, ring.HeaderRing.Slots)
	for _, slot := range ring.HeaderRing.Slots {
		if slot.Committed {
			require.Equal(t, uint32(sysFrameBytes), slot.ValuesLen, "%+v", slot)
			require.Equal(t, []int32{sysFrameBytes}, slot.Dims)
			require.Equal(t, "UINT8", slot.Dtype)
		}
	}
}

func TestHzReportsTheFrameRate(t *testing.T) {
	s := runningSystem(t)
	r := s.tp(t, exitOK, "hz", strconv.Itoa(sysStream), "--descriptor-stream", strconv.Itoa(sysDescriptorStream), "--count", "3", "--json")
	lines := jsonLines(t, r.stdout)
	require.Len(t, lines, 3)
	want := float64(1) / sysFrameInterval.Seconds()
	last := lines[2]
	require.EqualValues(t, sysStream, last["stream_id"])
	require.InDelta(t, want, last["rate_hz"], want/2, r.stdout)
	require.Positive(t, last["new_frames"])

	text := s.tp(t, exitOK, "hz", "--descriptor-stream", strconv.Itoa(sysDescriptorStream), "--count", "2")
	require.Regexp(t, `stream 10000: average rate \d+\.\d{3} Hz  min \S+  max \S+  std dev \S+  window \d+`, text.stdout)
}

func TestBwReadsFrameSizesFromTheHeaderSlots(t *testing.T) {
	s := runningSystem(t)
	r := s.tp(t, exitOK, "bw", strconv.Itoa(sysStream), "--config", s.configPath, "--allowed-base-dir", s.baseDir,
		"--descriptor-stream", strconv.Itoa(sysDescriptorStream), "--count", "3", "--json")
	lines := jsonLines(t, r.stdout)
	require.Len(t, lines, 3)
	last := lines[2]
	require.EqualValues(t, sysFrameBytes, last["mean_bytes"], r.stdout)
	require.EqualValues(t, sysFrameBytes, last["min_bytes"])
	require.EqualValues(t, sysFrameBytes, last["max_bytes"])
	rate := float64(sysFrameBytes) / sysFrameInterval.Seconds()
	require.InDelta(t, rate, last["bytes_per_second"], rate/2, r.stdout)
	require.NotContains(t, last, "problem")

	// Outside the allowed directories nothing is mapped, and the report says why.
	r = s.tp(t, exitOK, "bw", strconv.Itoa(sysStream), "--config", s.configPath, "--allowed-base-dir", "/tmp",
		"--descriptor-stream", strconv.Itoa(sysDescriptorStream), "--count", "2")
	require.Contains(t, r.stdout, "of unknown size")
	require.Contains(t, r.stdout, s.baseDir)
}

func TestStatShowsTheDriversCounters(t *testing.T) {
	s := runningSystem(t)
	r := s.tp(t, exitOK, "stat", "--tp", "--count", "2", "--interval", "300ms", "--json")
	lines := jsonLines(t, r.stdout)
	require.Len(t, lines, 2)
	labels := map[string]float64{}
	for _, c := range lines[1]["counters"].([]any) {
		m := c.(map[string]any)
		require.GreaterOrEqual(t, m["type_id"], float64(1000))
		require.LessOrEqual(t, m["type_id"], float64(1099))
		require.Contains(t, m, "rate_per_second", "the second sample has rates")
		labels[m["label"].(string)] = m["value"].(float64)
	}
	require.Equal(t, float64(2), labels["tp_driver_leases_active: instance=cmd-tp-test lease_id_prefix="+prefixOf(t, labels)])
	require.Positive(t, labels["tp_producer_frames_total: stream=10000 client=7001"], "the producer's counters")
	require.Contains(t, labels, "tp_producer_drops_total reason=back_pressured: stream=10000 client=7001")
	require.Positive(t, labels["tp_consumer_frames_total: stream=10000 client=7101"], "the consumer's counters")
	require.Contains(t, labels, "tp_consumer_drops_total reason=late: stream=10000 client=7101")
	require.Contains(t, labels, "tp_consumer_remaps_total: stream=10000 client=7101")

	text := s.tp(t, exitOK, "stat", "--count", "1", "--filter", "Bytes currently mapped|tp_driver_leases_active")
	require.Contains(t, text.stdout, "media driver pid")
	require.Contains(t, text.stdout, "Bytes currently mapped")
	require.Contains(t, text.stdout, "tp_driver_leases_active: instance=cmd-tp-test")
	require.NotContains(t, text.stdout, "tp_driver_announces_total")
}

// prefixOf finds the lease id prefix in the driver's counter labels.
func prefixOf(t *testing.T, labels map[string]float64) string {
	t.Helper()
	for l := range labels {
		if _, p, ok := strings.Cut(l, "instance=cmd-tp-test lease_id_prefix="); ok {
			return p
		}
	}
	t.Fatalf("no driver counter in %v", labels)
	return ""
}

func TestWatchingWithoutAMediaDriver(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"list", "--connect-timeout", "100ms"},
		{"tap", "--connect-timeout", "100ms"},
		{"hz", "--connect-timeout", "100ms"},
		{"bw", "--connect-timeout", "100ms"},
		{"stat", "--count", "1"},
	} {
		r := runCommand(t, []string{"AERON_DIR=" + dir}, "tp", args...)
		require.Equal(t, exitFailure, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, r.stderr, "tp: no media driver in "+dir+" (no cnc.dat there): start one with `tp media-driver` or `tp-driver`", args)
		require.Empty(t, r.stdout, args)
	}
}

// tap prints a line for everything a stream carries, whatever the bytes, and goes on.
func TestTapSurvivesHostileBytes(t *testing.T) {
	dir := drivertest.Dir(t)
	const stream = 41900
	m := sampleMessages(t)
	garbage := [][]byte{
		m["descriptor v1.1"], {1, 2, 3}, m["descriptor v1.2"], m["descriptor v1.1"][:20],
		{8, 0, 1, 0, 0x39, 0x30, 1, 0}, m["response"], m["chunk v1.2"],
	}
	tap := exec.Command(command(t, "tp"), "tap", "--aeron-dir", dir, "--stream", strconv.Itoa(stream), "--count", strconv.Itoa(len(garbage)))
	var out, errOut lockedBuffer
	tap.Stdout, tap.Stderr = &out, &errOut
	require.NoError(t, tap.Start())
	defer tap.Process.Kill()

	client, err := aeron.Connect(aeron.Config{Dir: dir})
	require.NoError(t, err)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pub, err := transport.Await(ctx, client.AddExclusivePublication("aeron:ipc", stream))
	require.NoError(t, err)
	defer pub.Close()
	require.NoError(t, waitFor(20*time.Second, pub.IsConnected), "tap never subscribed: %s", errOut.String())
	for _, msg := range garbage {
		require.NoError(t, waitFor(5*time.Second, func() bool { return pub.Offer(msg) > 0 }))
	}
	require.NoError(t, waitProcess(tap, 20*time.Second), errOut.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, len(garbage), out.String())
	for i, want := range []string{
		" FrameDescriptor schema=900 v=1 wire=1.1 streamId=1 epoch=2 seq=3 headerIndex=3 timestampNs=null metaVersion=7",
		` FOREIGN length=3 err="wire: messageHeader at offset 0: needs 8 bytes, 3 remain (short buffer)"`,
		" FrameDescriptor schema=900 v=1 wire=1.2 streamId=1 epoch=2 seq=3 timestampNs=5 metaVersion=null traceId=99",
		" MALFORMED schema=900 template=4 v=1 block=36 length=20 err=",
		" FOREIGN length=8 err=",
		` ShmAttachResponse schema=901 v=1 wire=1.1 correlationId=1 code=REJECTED `,
		" BridgeFrameChunk schema=902 v=1 wire=1.2 ",
	} {
		require.Contains(t, lines[i], want)
	}
	require.Contains(t, lines[5], `errorMessage="no \x1b[31mred\x1b[0m here"`, "escape sequences stay escaped")
}

package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/agent"
	tpc "github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// The tests here run `tp run bridge` and `tp run ratelimiter` as the separate processes
// they are, beside `tp run driver`, over a media driver `tp media-driver` runs; the test
// process is the source stream's producer and the destination streams' consumer, and
// checks every frame it receives byte for byte.

const (
	dataSource      = 10000
	dataBridgeDest  = 20000
	dataLimitedDest = 30000
	// dataMaxFrame is the largest frame the tests send (the pool's stride).
	dataMaxFrame = 64 << 10
)

// dataDriverConfig serves the source stream and both destinations, each a ring of 64
// slots of up to 64 KiB. Leases expire 3 s after their holder's last keepalive (the
// defaults: clients keep theirs alive every second).
func (s system) dataDriverConfig(t *testing.T) string {
	return s.file(t, "driver.toml", fmt.Sprintf(`
[driver]
instance_id = "data-test"
control_channel = "aeron:ipc"
control_stream_id = %[1]d
qos_channel = "aeron:ipc"
qos_stream_id = %[2]d
[shm]
base_dir = %[3]q
[policies]
announce_period_ms = 200
cleanup_shm_on_exit = true
[profiles.frames]
header_nslots = 64
payload_pools = [{ pool_id = 1, stride_bytes = %[4]d }]
[streams.source]
stream_id = %[5]d
profile = "frames"
[streams.bridged]
stream_id = %[6]d
profile = "frames"
[streams.limited]
stream_id = %[7]d
profile = "frames"
`, s.control, s.control+2, s.base, dataMaxFrame, dataSource, dataBridgeDest, dataLimitedDest))
}

// freeUDPPort is a UDP port nothing listens on now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// bridgeConfig is one half ("sender" or "receiver") of a bridge carrying the source
// stream onto dataBridgeDest over UDP on loopback, in 8 KiB chunks, its payload stream to
// (sender) or from (receiver) payloadPort; params are more of the payload channel's.
func (s system) bridgeConfig(t *testing.T, role string, payloadPort, controlPort int, params string) string {
	return s.bridgeConfigAt(t, wire.V1_1, role, payloadPort, controlPort, params)
}

// bridgeConfigAt is bridgeConfig speaking wire version v (bridge.wire_version).
func (s system) bridgeConfigAt(t *testing.T, v wire.Version, role string, payloadPort, controlPort int, params string) string {
	return s.file(t, "bridge-"+role+".toml", fmt.Sprintf(`
[bridge]
instance_id = "data-test-%[1]s"
role = %[1]q
payload_channel = "aeron:udp?endpoint=127.0.0.1:%[2]d|mtu=8192%[9]s"
payload_stream_id = 3000
control_channel = "aeron:udp?endpoint=127.0.0.1:%[3]d"
control_stream_id = 3001
forward_metadata = false
mtu_bytes = 8192
chunk_bytes = 8000
assembly_timeout_ms = 250
driver_control_channel = "aeron:ipc"
driver_control_stream_id = %[4]d
local_channel = "aeron:ipc"
descriptor_stream_id = %[5]d
allowed_base_dirs = [%[6]q]
wire_version = %[10]q
[[mappings]]
source_stream_id = %[7]d
dest_stream_id = %[8]d
`, role, payloadPort, controlPort, s.control, s.control+1, s.base, dataSource, dataBridgeDest, params, v.String()))
}

// fillFrame writes frame n: n, then words that depend on n and their offset.
func fillFrame(b []byte, n uint64) {
	binary.LittleEndian.PutUint64(b, n)
	for i := 8; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], n*0x9e3779b97f4a7c15^uint64(i)*0xbf58476d1ce4e5b9)
	}
}

// traceFor is the trace id a traced rig sets on frame n: never 0.
func traceFor(n uint64) uint64 { return n*0x9e3779b97f4a7c15 | 1 }

// frameLength is frame n's length: 8 bytes to 64 KiB, in steps of 8 that cross chunk
// boundaries.
func frameLength(n uint64) int { return 8 * (1 + int(n*977%(dataMaxFrame/8))) }

// checker verifies every frame a consumer receives: its bytes are those fillFrame wrote
// for the number it carries, its length and shape those it was sent with, its sequence
// number the source's (its number), numbers only growing. Frames overwritten while read
// (Valid false) are skipped, not judged.
type checker struct {
	t             *testing.T
	frames, bytes int
	bad           int
	firstBad      string
	last          uint64
	epoch         uint64
	epochs        int
	// sizes are the lengths of the frames sent, by number.
	sizes map[uint64]int
	// traced frames must come in v1.2 descriptors with traceFor their number.
	traced bool
}

func (c *checker) frame(f *tpc.Frame) {
	p := f.Payload()
	var fail string
	n := uint64(0)
	switch {
	case len(p) < 8 || len(p)%8 != 0:
		fail = fmt.Sprintf("length %d", len(p))
	case len(f.Dims()) != 1 || int(f.Dims()[0]) != len(p) || f.DType() != tpc.Uint8:
		fail = fmt.Sprintf("shape %v %v for %d bytes", f.DType(), f.Dims(), len(p))
	default:
		n = binary.LittleEndian.Uint64(p)
		for i := 8; i+8 <= len(p); i += 8 {
			if binary.LittleEndian.Uint64(p[i:]) != n*0x9e3779b97f4a7c15^uint64(i)*0xbf58476d1ce4e5b9 {
				fail = fmt.Sprintf("frame %d differs at byte %d of %d", n, i, len(p))
				break
			}
		}
		if sent, ok := c.sizes[n]; fail == "" && (!ok || len(p) != sent) {
			fail = fmt.Sprintf("frame %d has %d bytes, sent %d", n, len(p), sent)
		}
	}
	if !f.Valid() {
		return // overwritten while read: the consumer was too slow, not the frame bad
	}
	if fail == "" && c.frames > 0 && n <= c.last {
		fail = fmt.Sprintf("frame %d after frame %d", n, c.last)
	}
	if fail == "" && f.Seq() != n {
		fail = fmt.Sprintf("frame %d has seq %d, not the source's", n, f.Seq())
	}
	if fail == "" && c.traced && (f.WireVersion() != wire.V1_2 || f.TraceID() != traceFor(n)) {
		fail = fmt.Sprintf("frame %d: a v%v descriptor with trace id %#x, not v1.2 with %#x", n, f.WireVersion(), f.TraceID(), traceFor(n))
	}
	if fail == "" && f.Epoch() != c.epoch {
		c.epoch = f.Epoch()
		c.epochs++
	}
	if fail != "" {
		c.bad++
		if c.firstBad == "" {
			c.firstBad = fail
		}
		return
	}
	c.frames++
	c.bytes += len(p)
	c.last = n
}

// dataRig is the test process's client: the source's producer and a consumer of one
// destination.
type dataRig struct {
	t      *testing.T
	c      *tpc.Client
	p      *tpc.Producer
	cs     *tpc.Consumer
	check  *checker
	buf    []byte
	next   uint64 // the number after the last frame claimed
	offers int
	// refused counts frames the producer did not publish.
	refused int
	// onFrame, when set, sees every frame the consumer receives before it is checked.
	onFrame func(*tpc.Frame)
}

func newDataRig(t *testing.T, s system, dest uint32) *dataRig {
	t.Helper()
	return newDataRigAt(t, s, dest, wire.V1_1, wire.V1_1)
}

// newDataRigAt is newDataRig with the producer's client speaking wire version produce
// and the consumer's consume (one client when they are the same).
func newDataRigAt(t *testing.T, s system, dest uint32, produce, consume wire.Version) *dataRig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	connect := func(v wire.Version) *tpc.Client {
		opts := s.clientOptions()
		opts.WireVersion = v
		c, err := tpc.Connect(ctx, opts)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	c := connect(produce)
	p, err := c.NewProducer(ctx, dataSource)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	r := &dataRig{t: t, c: c, p: p, check: &checker{t: t, sizes: map[uint64]int{}}, buf: make([]byte, dataMaxFrame)}
	if consume != produce {
		c = connect(consume)
	}
	r.cs, err = c.NewConsumer(ctx, dest, func(f *tpc.Frame) {
		if r.onFrame != nil {
			r.onFrame(f)
		}
		r.check.frame(f)
	})
	require.NoError(t, err)
	t.Cleanup(func() { r.cs.Close() })
	return r
}

// offer sends the next frame, of length size (frameLength of its number when 0): claimed
// in place, its number the sequence number it is claimed at. A frame the producer cannot
// publish (the descriptor stream back-pressured by a subscriber that died) is counted.
func (r *dataRig) offer(size int) {
	r.offers++
	c, err := r.p.Claim(max(size, 8))
	if err == nil && size == 0 {
		// The length depends on the number, known once claimed: claim again at that size.
		n := c.Seq()
		require.NoError(r.t, c.Abort())
		if c, err = r.p.Claim(frameLength(n)); err == nil && c.Seq() != n {
			require.NoError(r.t, c.Abort())
			r.refused++
			return
		}
	}
	if err != nil {
		r.refused++
		return
	}
	b := c.Payload()
	fillFrame(b, c.Seq())
	if r.check.traced {
		c.SetTraceID(traceFor(c.Seq()))
	}
	r.check.sizes[c.Seq()] = len(b)
	r.next = c.Seq() + 1
	if c.Commit(tpc.Shape{DType: tpc.Uint8, Dims: []int32{int32(len(b))}}) != nil {
		r.refused++
	}
}

// run offers a frame every period (as fast as it can when 0) and polls the consumer,
// for d or until until holds.
func (r *dataRig) run(d, period time.Duration, size int, until func() bool) {
	deadline := time.Now().Add(d)
	next := time.Now()
	for time.Now().Before(deadline) && (until == nil || !until()) {
		if !time.Now().Before(next) {
			r.offer(size)
			next = next.Add(period)
		}
		if r.cs.Poll(64) == 0 && period > 0 {
			time.Sleep(200 * time.Microsecond)
		}
	}
}

// runWindowed offers frames of size for d, keeping at most window of them ahead of the
// last one received (a stalled window moves on after 50 ms: frames may be lost), so the
// producer never overwrites frames the bridge is still sending.
func (r *dataRig) runWindowed(d time.Duration, size int, window uint64) {
	deadline := time.Now().Add(d)
	progress := time.Now()
	// The loop backs off while it waits, leaving the cores to the processes it measures.
	idle := agent.NewBackoff()
	for last := r.check.last; time.Now().Before(deadline); {
		work := 0
		if r.next-1-r.check.last < window || time.Since(progress) > 50*time.Millisecond {
			r.offer(size)
			progress = time.Now()
			work++
		}
		work += r.cs.Poll(64)
		if r.check.last != last {
			last, progress = r.check.last, time.Now()
		}
		idle.Idle(work)
	}
}

// drain polls the consumer for d more.
func (r *dataRig) drain(d time.Duration) {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		if r.cs.Poll(64) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

func (r *dataRig) requireGood(what string) {
	r.t.Helper()
	require.Zero(r.t, r.check.bad, "%s: %d bad frames, the first: %s", what, r.check.bad, r.check.firstBad)
	require.Positive(r.t, r.check.frames, "%s: no frame received", what)
}

// startDataSystem runs a media driver and the SHM driver of dataDriverConfig.
func startDataSystem(t *testing.T, control int) system {
	s, _ := newSystem(t, control)
	drv := startRole(t, "run", "driver", "--config", s.dataDriverConfig(t), "--aeron-dir", s.dir)
	drv.waitLog("driver ready", 60*time.Second)
	return s
}

// Producer → bridge sender → UDP on loopback → bridge receiver → consumer of another
// stream, each bridge half a process of its own: every frame, 8 bytes to 64 KiB, arrives
// byte for byte with its sequence number, in order, and none that is not sent; then as
// many 64 KiB frames as go through in two seconds, the rate logged beside that of plain
// Aeron UDP messages of the same size through the same media driver; then the producer
// overruns the sender, whose frames overwritten mid-send are abandoned, none torn. The
// receiver's metrics say what it did; another receiver of the destination fails, a second
// process of the same instance refuses to start; both halves stop cleanly.
func TestRun_BridgeCarriesFramesOverUDP(t *testing.T) {
	s := startDataSystem(t, 46200)
	payload, control := freeUDPPort(t), freeUDPPort(t)
	rxConfig := s.bridgeConfig(t, "receiver", payload, control, "")
	rx := startRole(t, "run", "bridge", "--config", rxConfig, "--aeron-dir", s.dir, "--metrics-addr", "127.0.0.1:0")
	rx.waitLog("bridge running", 30*time.Second)
	tx := startRole(t, "run", "bridge", "--config", s.bridgeConfig(t, "sender", payload, control, ""), "--aeron-dir", s.dir, "--metrics-addr", "127.0.0.1:0")
	tx.waitLog("bridge running", 30*time.Second)
	r := newDataRig(t, s, dataBridgeDest)

	// Until the receiver has the source's announce and its destination, frames are dropped.
	r.run(30*time.Second, 5*time.Millisecond, 0, func() bool { return r.check.frames > 0 })
	require.Positive(t, r.check.frames, "no frame bridged")
	rx.waitLog("destination ready", 5*time.Second)
	r.drain(200 * time.Millisecond)
	first, before := r.next, r.check.frames
	r.run(3*time.Second, 4*time.Millisecond, 0, nil)
	r.drain(500 * time.Millisecond)
	sent := int(r.next - first)
	got := r.check.frames - before
	t.Logf("paced: %d of %d frames (8 B to 64 KiB) bridged", got, sent)
	r.requireGood("paced")
	// Most arrive: a loaded machine's stalls of a half longer than the source ring's
	// 256 ms at this rate cost frames (counted as drops, never delivered torn).
	require.GreaterOrEqual(t, got, sent/2, "frames lost at 250 a second")

	// Throughput of 64 KiB frames, as many as go through with 16 in flight.
	frames, bytes, offers := r.check.frames, r.check.bytes, r.offers
	start := time.Now()
	r.runWindowed(2*time.Second, dataMaxFrame, 16)
	elapsed := time.Since(start)
	r.drain(300 * time.Millisecond)
	moved := r.check.bytes - bytes
	bridged := float64(moved) / elapsed.Seconds()
	raw := rawAeronUDP(t, s.dir, 2*time.Second)
	t.Logf("64 KiB frames: %d offered, %d bridged and verified in %v: %.0f MiB/s, %.0f frames/s; raw Aeron UDP of the same messages %.0f MiB/s (bridge %.2f×)",
		r.offers-offers, r.check.frames-frames, elapsed, bridged/(1<<20), float64(r.check.frames-frames)/elapsed.Seconds(), raw/(1<<20), bridged/raw)
	r.requireGood("64 KiB")
	require.Positive(t, moved)

	// The producer as fast as it can: the source ring wraps under the sender, which
	// abandons the frames overwritten while it sends them (§5.3): none arrives torn.
	r.run(time.Second, 0, dataMaxFrame, nil)
	r.drain(300 * time.Millisecond)
	sendScrape := tx.scrape()
	t.Logf("source ring wrapping: %d frames offered in all; the sender abandoned %v mid-send", r.offers, metric(sendScrape, "tp_bridge_send_abandoned_total"))
	r.requireGood("source ring wrapping")

	// Another receiver instance of the same destination fails (§4: the destination is
	// another producer's), exit 1; a second process of the same instance refuses to start.
	text, err := os.ReadFile(rxConfig)
	require.NoError(t, err)
	other := startRole(t, "run", "bridge", "--aeron-dir", s.dir, "--config",
		s.file(t, "other.toml", strings.Replace(string(text), `"data-test-receiver"`, `"data-test-other"`, 1)))
	require.Equal(t, exitFailure, other.exit(), other.logs.String())
	require.Contains(t, other.logs.String(), "already has a producer")
	same := startRole(t, "run", "bridge", "--config", rxConfig, "--aeron-dir", s.dir)
	require.Equal(t, exitFailure, same.exit(), same.logs.String())
	require.Contains(t, same.logs.String(), "another instance runs")

	scrape := rx.scrape()
	require.GreaterOrEqual(t, metric(scrape, "tp_bridge_frames_rematerialised_total"), float64(r.check.frames), scrape)
	require.Equal(t, 1, r.check.epochs)
	require.Equal(t, exitOK, tx.stop(), tx.logs.String())
	require.Equal(t, exitOK, rx.stop(), rx.logs.String())
}

// Bridge spec v1.1 over UDP, each half a process: a producer speaking wire v1.2 sets a
// trace id on every frame, bridge halves speaking v1.2 carry it in chunks with their
// CRC32C, and a consumer on a client speaking v1.1 receives every frame byte for byte
// from v1.2 descriptors with the frame's trace id (§6).
func TestRun_BridgeCarriesTraceIDsInWireV1_2(t *testing.T) {
	s := startDataSystem(t, 46600)
	payload, control := freeUDPPort(t), freeUDPPort(t)
	rx := startRole(t, "run", "bridge", "--config", s.bridgeConfigAt(t, wire.V1_2, "receiver", payload, control, ""), "--aeron-dir", s.dir, "--metrics-addr", "127.0.0.1:0")
	tx := startRole(t, "run", "bridge", "--config", s.bridgeConfigAt(t, wire.V1_2, "sender", payload, control, ""), "--aeron-dir", s.dir)
	rx.waitLog("bridge running", 30*time.Second)
	tx.waitLog("bridge running", 30*time.Second)
	r := newDataRigAt(t, s, dataBridgeDest, wire.V1_2, wire.V1_1)
	r.check.traced = true
	r.run(30*time.Second, 5*time.Millisecond, 0, func() bool { return r.check.frames > 0 })
	rx.waitLog("destination ready", 5*time.Second)
	first, before := r.next, r.check.frames
	r.run(time.Second, 4*time.Millisecond, 0, nil)
	r.drain(500 * time.Millisecond)
	sent, got := int(r.next-first), r.check.frames-before
	t.Logf("%d of %d traced frames (8 B to 64 KiB) bridged in wire v1.2", got, sent)
	r.requireGood("v1.2")
	require.GreaterOrEqual(t, got, sent*9/10, "frames lost at 250 a second")
	scrape := rx.scrape()
	require.GreaterOrEqual(t, metric(scrape, "tp_bridge_frames_rematerialised_total"), float64(r.check.frames), scrape)
}

// A bridge half killed mid-stream and started again: the sender (SIGKILL, mid-frame
// likely at 64 KiB) — the receiver drops the partial frame at the assembly timeout and
// takes the new sender's frames in the same local epoch; the receiver (SIGKILL) — its
// destination lease expires at the driver, the restarted receiver attaches again in a new
// local epoch and the consumer follows it. No bad frame throughout.
func TestRun_BridgeHalvesRestartMidStream(t *testing.T) {
	s := startDataSystem(t, 46300)
	payload, control := freeUDPPort(t), freeUDPPort(t)
	rxConfig, txConfig := s.bridgeConfig(t, "receiver", payload, control, ""), s.bridgeConfig(t, "sender", payload, control, "")
	rx := startRole(t, "run", "bridge", "--config", rxConfig, "--aeron-dir", s.dir)
	tx := startRole(t, "run", "bridge", "--config", txConfig, "--aeron-dir", s.dir)
	r := newDataRig(t, s, dataBridgeDest)
	r.run(30*time.Second, 2*time.Millisecond, dataMaxFrame, func() bool { return r.check.frames > 0 })
	require.Positive(t, r.check.frames, "no frame bridged")

	kill := func(p *roleProc) {
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
		<-p.exited
	}
	// The sender dies while frames flow.
	r.run(300*time.Millisecond, time.Millisecond, dataMaxFrame, nil)
	kill(tx)
	r.run(300*time.Millisecond, time.Millisecond, dataMaxFrame, nil)
	before := r.check.frames
	tx = startRole(t, "run", "bridge", "--config", txConfig, "--aeron-dir", s.dir)
	r.run(20*time.Second, time.Millisecond, 0, func() bool { return r.check.frames > before+100 })
	require.Greater(t, r.check.frames, before+100, "no frames from the restarted sender:\n%s", tx.logs.String())
	r.requireGood("after the sender's restart")
	require.Equal(t, 1, r.check.epochs, "the receiver kept its local epoch")

	// The receiver dies while frames flow.
	kill(rx)
	r.run(3500*time.Millisecond, time.Millisecond, 0, nil) // its lease expires at the driver meanwhile
	before = r.check.frames
	rx = startRole(t, "run", "bridge", "--config", rxConfig, "--aeron-dir", s.dir)
	r.run(20*time.Second, time.Millisecond, 0, func() bool { return r.check.frames > before+100 })
	require.Greater(t, r.check.frames, before+100, "no frames from the restarted receiver:\n%s", rx.logs.String())
	r.requireGood("after the receiver's restart")
	require.Equal(t, 2, r.check.epochs, "the restarted receiver's new local epoch")
	t.Logf("%d frames verified over both restarts (%d offered, %d refused by the back-pressure of the killed processes' subscriptions)", r.check.frames, r.offers, r.refused)
	require.Equal(t, exitOK, tx.stop(), tx.logs.String())
	require.Equal(t, exitOK, rx.stop(), rx.logs.String())
}

// The rate limiter as a process: the source at 500 frames a second, the destination gets
// 50 a second (RateLimiter spec §4), each one byte for byte the source's frame with its
// sequence number (§5); a second instance with the same id refuses to start.
func TestRun_RateLimiterForwardsAtTheRate(t *testing.T) {
	s := startDataSystem(t, 46400)
	cfg := s.file(t, "ratelimiter.toml", fmt.Sprintf(`
[rate_limiter]
instance_id = "data-test-limiter"
descriptor_channel = "aeron:ipc"
descriptor_stream_id = %[1]d
forward_metadata = false
max_rate_hz = 50
driver_control_channel = "aeron:ipc"
driver_control_stream_id = %[2]d
allowed_base_dirs = [%[3]q]
[[mappings]]
source_stream_id = %[4]d
dest_stream_id = %[5]d
`, s.control+1, s.control, s.base, dataSource, dataLimitedDest))
	rl := startRole(t, "run", "ratelimiter", "--config", cfg, "--aeron-dir", s.dir, "--metrics-addr", "127.0.0.1:0")
	rl.waitLog("ratelimiter running", 30*time.Second)
	r := newDataRig(t, s, dataLimitedDest)
	r.run(30*time.Second, 2*time.Millisecond, 0, func() bool { return r.check.frames > 0 })
	require.Positive(t, r.check.frames, "nothing forwarded")

	// The rate limiter's own count of frames forwarded, read before and after a window:
	// the rate it kept, whatever the consumer's scheduling did to the frames' arrival.
	forwarded := func() (n float64, before, after time.Time) {
		before = time.Now()
		n = metric(rl.scrape(), "tp_ratelimiter_frames_forwarded_total")
		return n, before, time.Now()
	}
	n0, t0a, t0b := forwarded()
	offered := r.offers
	r.run(3*time.Second, 2*time.Millisecond, 0, nil)
	n1, t1a, t1b := forwarded()
	longest, shortest := t1b.Sub(t0a).Seconds(), t1a.Sub(t0b).Seconds()
	t.Logf("source %.0f Hz, forwarded %.1f Hz (limit 50)", float64(r.offers-offered)/shortest, (n1-n0)/shortest)
	r.drain(200 * time.Millisecond)
	r.requireGood("rate limited")
	// At most the rate (§4). Below it by what the machine's load costs three processes
	// sharing its cores: here only that frames flow; the Gate's tests hold it to the rate
	// exactly, at times they choose, and its host tests in real time.
	require.LessOrEqual(t, n1-n0, 50*longest+1, "forwarded more than the rate allows")
	require.GreaterOrEqual(t, n1-n0, 1.0, "frames flow through the limiter")
	require.GreaterOrEqual(t, float64(r.check.frames), n1*0.9, "frames forwarded but not received")

	second := startRole(t, "run", "ratelimiter", "--config", cfg, "--aeron-dir", s.dir)
	require.Equal(t, exitFailure, second.exit())
	require.Contains(t, second.logs.String(), "another instance runs")
	scrape := rl.scrape()
	require.GreaterOrEqual(t, metric(scrape, "tp_ratelimiter_frames_forwarded_total"), float64(r.check.frames), scrape)
	require.Positive(t, metric(scrape, "tp_ratelimiter_rate_limited_total"), scrape)
	require.Equal(t, exitOK, rl.stop(), rl.logs.String())
}

// lossyRelay carries UDP datagrams from a sender to a receiver on loopback, dropping,
// duplicating and reordering some of them on purpose (this kernel has no netem), and
// carries the receiver's replies (Aeron's status messages and NAKs) back unharmed.
type lossyRelay struct {
	in, out                      *net.UDPConn
	dropped, duplicated, swapped atomic.Int64
	// lossPermille is the share of datagrams dropped, in thousandths.
	lossPermille atomic.Int64
	done         chan struct{}
}

// startLossyRelay listens on a free port (returned) and relays to dstPort, each datagram
// dropped with probability loss (lossPermille later), sent twice with probability dup and
// held back behind the next one with probability reorder.
func startLossyRelay(t *testing.T, dstPort int, loss, dup, reorder float64) (*lossyRelay, int) {
	t.Helper()
	in, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	out, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: dstPort}
	r := &lossyRelay{in: in, out: out, done: make(chan struct{})}
	r.lossPermille.Store(int64(loss * 1000))
	var sender atomic.Pointer[net.UDPAddr]
	rng := rand.New(rand.NewPCG(1, 2))
	go func() { // forward: harmed
		defer close(r.done)
		buf := make([]byte, 64<<10)
		var held []byte
		for {
			n, from, err := in.ReadFromUDP(buf)
			if err != nil {
				return
			}
			sender.Store(from)
			loss := float64(r.lossPermille.Load()) / 1000
			switch p := rng.Float64(); {
			case p < loss:
				r.dropped.Add(1)
				continue
			case p < loss+dup:
				r.duplicated.Add(1)
				_, _ = out.WriteToUDP(buf[:n], dst)
			case p < loss+dup+reorder && held == nil:
				r.swapped.Add(1)
				held = append([]byte(nil), buf[:n]...)
				continue
			}
			_, _ = out.WriteToUDP(buf[:n], dst)
			if held != nil {
				_, _ = out.WriteToUDP(held, dst)
				held = nil
			}
		}
	}()
	go func() { // back: unharmed
		buf := make([]byte, 64<<10)
		for {
			n, _, err := out.ReadFromUDP(buf)
			if err != nil {
				return
			}
			if to := sender.Load(); to != nil {
				_, _ = in.WriteToUDP(buf[:n], to)
			}
		}
	}()
	t.Cleanup(func() {
		in.Close()
		out.Close()
		<-r.done
	})
	return r, in.LocalAddr().(*net.UDPAddr).Port
}

// The bridge over a lossy link: a relay between the halves drops 2 %, duplicates 2 % and
// reorders 2 % of the payload stream's datagrams. Over Aeron's reliable stream every
// frame still arrives byte for byte; with the receiver's subscription unreliable
// (reliable=false: Aeron skips the gaps) and a fifth of the datagrams lost, frames are
// lost, but none that lost a chunk is published (Bridge spec §5.3): every frame that
// arrives is still byte for byte the one sent.
func TestRun_BridgeOverALossyLink(t *testing.T) {
	s := startDataSystem(t, 46500)
	recvPort, control := freeUDPPort(t), freeUDPPort(t)
	relay, relayPort := startLossyRelay(t, recvPort, 0.02, 0.02, 0.02)
	rx := startRole(t, "run", "bridge", "--config", s.bridgeConfig(t, "receiver", recvPort, control, ""), "--aeron-dir", s.dir)
	tx := startRole(t, "run", "bridge", "--config", s.bridgeConfig(t, "sender", relayPort, control, ""), "--aeron-dir", s.dir, "--metrics-addr", "127.0.0.1:0")
	r := newDataRig(t, s, dataBridgeDest)
	r.run(10*time.Second, 5*time.Millisecond, 0, func() bool { return r.check.frames > 0 })
	require.Positive(t, r.check.frames, "no frame bridged")
	first, before := r.next, r.check.frames
	r.run(3*time.Second, 10*time.Millisecond, 0, nil)
	r.drain(500 * time.Millisecond)
	sent, got := int(r.next-first), r.check.frames-before
	t.Logf("reliable: %d of %d frames bridged; relay dropped %d, duplicated %d, reordered %d datagrams",
		got, sent, relay.dropped.Load(), relay.duplicated.Load(), relay.swapped.Load())
	r.requireGood("reliable over a lossy link")
	require.GreaterOrEqual(t, got, sent*8/10, "Aeron recovers what the link loses: the bridge sends at most what its publication takes")
	require.Positive(t, relay.dropped.Load())
	require.Positive(t, relay.duplicated.Load())
	require.Positive(t, relay.swapped.Load())

	// The receiver again, its subscription unreliable, and a fifth of the datagrams lost.
	require.Equal(t, exitOK, rx.stop(), rx.logs.String())
	relay.lossPermille.Store(200)
	rx = startRole(t, "run", "bridge", "--config", s.bridgeConfig(t, "receiver", recvPort, control, "|reliable=false"), "--aeron-dir", s.dir, "--metrics-addr", "127.0.0.1:0")
	rx.waitLog("destination ready", 30*time.Second)
	first, before = r.next, r.check.frames
	r.run(3*time.Second, 2*time.Millisecond, dataMaxFrame, nil)
	r.drain(500 * time.Millisecond)
	sent, got = int(r.next-first), r.check.frames-before
	scrape := rx.scrape()
	sendScrape := tx.scrape()
	t.Logf("sender: %v frames sent, %v abandoned, %v dropped", metric(sendScrape, "tp_bridge_frames_sent_total"), metric(sendScrape, "tp_bridge_send_abandoned_total"), metric(sendScrape, "tp_bridge_send_dropped_total"))
	t.Logf("unreliable: %d of %d 64 KiB frames bridged; the receiver dropped %v frames (%v at the assembly timeout) and %v chunks alone",
		got, sent, metric(scrape, "tp_bridge_frames_dropped_total"), metric(scrape, "tp_bridge_assemblies_timed_out_total"), metric(scrape, "tp_bridge_chunks_dropped_total"))
	r.requireGood("unreliable over a lossy link")
	require.Positive(t, got)
	require.Less(t, got, sent, "nothing lost: the subscription was reliable after all")
	require.Equal(t, exitOK, tx.stop(), tx.logs.String())
	require.Equal(t, exitOK, rx.stop(), rx.logs.String())
}

// rawAeronUDP measures the baseline the bridge is held to: 64 KiB messages of the same
// pattern over a plain Aeron UDP publication on loopback with the bridge's MTU, through
// the same media driver, each checked on receipt like the bridged frames, for d. It
// returns the bytes a second received.
func rawAeronUDP(t *testing.T, dir string, d time.Duration) float64 {
	t.Helper()
	client, err := aeron.Connect(aeron.Config{Dir: dir, IdleStrategy: agent.NewBackoff()})
	require.NoError(t, err)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	channel := fmt.Sprintf("aeron:udp?endpoint=127.0.0.1:%d|mtu=8192", freeUDPPort(t))
	sub, err := transport.Await(ctx, client.AddSubscription(channel, 3100))
	require.NoError(t, err)
	defer sub.Close()
	pub, err := transport.Await(ctx, client.AddPublication(channel, 3100))
	require.NoError(t, err)
	defer pub.Close()
	for !pub.IsConnected() {
		require.NoError(t, ctx.Err(), "the raw publication never connected")
		time.Sleep(time.Millisecond)
	}
	msg := make([]byte, dataMaxFrame)
	received, bad := 0, 0
	handler := func(m []byte, _ *transport.Header) {
		n := binary.LittleEndian.Uint64(m)
		for i := 8; i+8 <= len(m); i += 8 {
			if binary.LittleEndian.Uint64(m[i:]) != n*0x9e3779b97f4a7c15^uint64(i)*0xbf58476d1ce4e5b9 {
				bad++
				return
			}
		}
		received += len(m)
	}
	start := time.Now()
	for n := uint64(0); time.Since(start) < d; {
		fillFrame(msg, n)
		if pub.Offer(msg) > 0 {
			n++
		}
		sub.Poll(handler, 16)
	}
	elapsed := time.Since(start)
	require.Zero(t, bad, "raw Aeron messages arrived bad")
	return float64(received) / elapsed.Seconds()
}

package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/clock"
	tpc "github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/transport"
)

// The data-plane benchmark (issue #16, "Performance"): one command measures the bridge's
// bytes/s against raw Aeron UDP of the same payload on the same machine, and the rate
// limiter's forwarded rate and added latency against the direct path:
//
//	go test ./cmd/tp -run TestBench_DataPlane -v -args -dataplane.full
//
// Without -dataplane.full its windows are a fraction of a second, so `make test` keeps it
// working; the figures it logs are then too short to quote.
var (
	dataplaneFull = flag.Bool("dataplane.full", false, "TestBench_DataPlane: measurement windows of BENCHMARKS.md (5 s bridge and raw, 10 s rate limiter)")
	dataplaneMTU  = flag.Int("dataplane.mtu", 8192, "TestBench_DataPlane: mtu of the bridge's payload channel and of the raw baseline's")
	dataplaneURI  = flag.String("dataplane.uri", "", "TestBench_DataPlane: more parameters of both channels (e.g. |rcv-wnd=1m)")
)

const (
	benchFrame      = 640 << 10 // Bridge frames and raw messages (the size)
	benchLimitRate  = 100       // the rate limiter's max_rate_hz
	benchLimitFrame = 4 << 10   // the rate limiter's frames
	benchInFlight   = 8         // bridge frames ahead of the last one received (of 16 slots)
	benchStreamTerm = "8m"      // term length of the UDP streams: 640 KiB messages need ≥ 5 MiB
)

// benchDriverConfig serves the source stream and both destinations, each 16 slots of up
// to 1 MiB (a stride is a power of two).
func (s system) benchDriverConfig(t *testing.T) string {
	return s.file(t, "driver.toml", fmt.Sprintf(`
[driver]
instance_id = "data-bench"
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
header_nslots = 16
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
`, s.control, s.control+2, s.base, 1<<20, dataSource, dataBridgeDest, dataLimitedDest))
}

// benchBridgeConfig is one half of the benchmark's bridge: chunks as large as the payload
// channel's mtu allows.
func (s system) benchBridgeConfig(t *testing.T, role string, payloadPort, controlPort, mtu int) string {
	return s.file(t, "bridge-"+role+".toml", fmt.Sprintf(`
[bridge]
instance_id = "data-bench-%[1]s"
role = %[1]q
payload_channel = "aeron:udp?endpoint=127.0.0.1:%[2]d|mtu=%[9]d|term-length=%[10]s%[12]s"
payload_stream_id = 3000
control_channel = "aeron:udp?endpoint=127.0.0.1:%[3]d"
control_stream_id = 3001
forward_metadata = false
mtu_bytes = %[9]d
max_payload_bytes = %[11]d
assembly_timeout_ms = 1000
driver_control_channel = "aeron:ipc"
driver_control_stream_id = %[4]d
local_channel = "aeron:ipc"
descriptor_stream_id = %[5]d
allowed_base_dirs = [%[6]q]
[[mappings]]
source_stream_id = %[7]d
dest_stream_id = %[8]d
`, role, payloadPort, controlPort, s.control, s.control+1, s.base, dataSource, dataBridgeDest, mtu, benchStreamTerm, benchFrame, *dataplaneURI))
}

func TestBench_DataPlane(t *testing.T) {
	window, limiterWindow := 400*time.Millisecond, time.Second
	if *dataplaneFull {
		window, limiterWindow = 5*time.Second, 10*time.Second
	}
	s, _ := newSystem(t, 46600)
	drv := startRole(t, "run", "driver", "--config", s.benchDriverConfig(t), "--aeron-dir", s.dir)
	drv.waitLog("driver ready", 60*time.Second)

	// The bridge: 640 KiB frames, benchInFlight ahead of the last one received, each
	// verified byte for byte.
	payload, control := freeUDPPort(t), freeUDPPort(t)
	rx := startRole(t, "run", "bridge", "--config", s.benchBridgeConfig(t, "receiver", payload, control, *dataplaneMTU), "--aeron-dir", s.dir)
	rx.waitLog("bridge running", 30*time.Second)
	tx := startRole(t, "run", "bridge", "--config", s.benchBridgeConfig(t, "sender", payload, control, *dataplaneMTU), "--aeron-dir", s.dir)
	tx.waitLog("bridge running", 30*time.Second)
	r := newDataRig(t, s, dataBridgeDest)
	r.run(30*time.Second, 5*time.Millisecond, benchFrame, func() bool { return r.check.frames > 0 })
	require.Positive(t, r.check.frames, "no frame bridged")
	r.runWindowed(window/4, benchFrame, benchInFlight) // warm up
	r.drain(200 * time.Millisecond)
	frames, bytes := r.check.frames, r.check.bytes
	start := time.Now()
	r.runWindowed(window, benchFrame, benchInFlight)
	elapsed := time.Since(start)
	bridged := float64(r.check.bytes-bytes) / elapsed.Seconds()
	r.requireGood("bridge")
	require.Positive(t, r.check.frames-frames)
	require.Equal(t, exitOK, tx.stop(), tx.logs.String())
	require.Equal(t, exitOK, rx.stop(), rx.logs.String())
	r.cs.Close()

	raw := rawAeronUDPOf(t, s.dir, benchFrame, fmt.Sprintf("mtu=%d|term-length=%s%s", *dataplaneMTU, benchStreamTerm, *dataplaneURI), window)
	t.Logf("bridge, %d KiB frames over UDP loopback (mtu %d): %.0f MiB/s (%d frames verified in %v); raw Aeron UDP, same messages and channel: %.0f MiB/s; bridge/raw %.2f×",
		benchFrame>>10, *dataplaneMTU, bridged/(1<<20), r.check.frames-frames, elapsed.Round(time.Millisecond), raw/(1<<20), bridged/raw)

	// The rate limiter: the source at 10× max_rate_hz; its own count of frames forwarded
	// over the window, and the one-way latency (now − the source's capture time) of the
	// limited stream against the source stream read directly, in the same window.
	rl := startRole(t, "run", "ratelimiter", "--config", s.file(t, "ratelimiter.toml", fmt.Sprintf(`
[rate_limiter]
instance_id = "data-bench-limiter"
descriptor_channel = "aeron:ipc"
descriptor_stream_id = %[1]d
forward_metadata = false
max_rate_hz = %[6]d
driver_control_channel = "aeron:ipc"
driver_control_stream_id = %[2]d
allowed_base_dirs = [%[3]q]
[[mappings]]
source_stream_id = %[4]d
dest_stream_id = %[5]d
`, s.control+1, s.control, s.base, dataSource, dataLimitedDest, benchLimitRate)), "--aeron-dir", s.dir, "--metrics-addr", "127.0.0.1:0")
	rl.waitLog("ratelimiter running", 30*time.Second)
	// The same producer; the consumers of the limited stream and, directly, of the source.
	var direct, limited []time.Duration
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lr, sizes := r, r.check.sizes
	limitedCheck, directCheck := &checker{t: t, sizes: sizes}, &checker{t: t, sizes: sizes}
	lr.check = limitedCheck
	var err error
	lr.cs, err = lr.c.NewConsumer(ctx, dataLimitedDest, func(f *tpc.Frame) {
		limited = append(limited, time.Duration(uint64(clock.Now())-f.TimestampNs()))
		limitedCheck.frame(f)
	})
	require.NoError(t, err)
	var directHook func(*tpc.Frame)
	dcs, err := lr.c.NewConsumer(ctx, dataSource, func(f *tpc.Frame) {
		direct = append(direct, time.Duration(uint64(clock.Now())-f.TimestampNs()))
		if directHook != nil {
			directHook(f)
		}
		directCheck.frame(f)
	})
	require.NoError(t, err)
	t.Cleanup(func() { dcs.Close() })
	// pace offers a frame every period for d, polling both consumers, backing off for at
	// most 50 µs between polls (the latencies' resolution).
	var directTs []uint64
	pace := func(d, period time.Duration) {
		idle := agent.NewBackoff()
		idle.MaxPark = 50 * time.Microsecond
		next := time.Now()
		for deadline := time.Now().Add(d); time.Now().Before(deadline); {
			work := 0
			if !time.Now().Before(next) {
				lr.offer(benchLimitFrame)
				next = next.Add(period)
				work++
			}
			work += dcs.Poll(64) + lr.cs.Poll(64)
			idle.Idle(work)
		}
	}
	period := time.Second / (10 * benchLimitRate)
	lr.run(30*time.Second, period, benchLimitFrame, func() bool { dcs.Poll(64); return lr.check.frames > 0 })
	require.Positive(t, lr.check.frames, "nothing forwarded")
	pace(limiterWindow/4, period)
	direct, limited = direct[:0], limited[:0]
	capture := func(f *tpc.Frame) { directTs = append(directTs, f.TimestampNs()) }
	directHook = capture
	n0, t0a, t0b := rlForwarded(t, rl)
	offered := lr.offers
	pace(limiterWindow, period)
	n1, t1a, t1b := rlForwarded(t, rl)
	directHook = nil
	// The window is between the two scrapes: its bounds are known to the scrapes' length.
	longest, shortest := t1b.Sub(t0a).Seconds(), t1a.Sub(t0b).Seconds()
	mid := (longest + shortest) / 2
	rate := (n1 - n0) / mid
	t.Logf("rate limiter, max_rate_hz %d, source %.0f Hz: forwarded %.0f frames in %.3f s (±%.1f ms): %.2f Hz, error %+.2f %% (bounds %+.2f..%+.2f %%)",
		benchLimitRate, float64(lr.offers-offered)/mid, n1-n0, mid, (longest-shortest)*500, rate,
		100*(rate-benchLimitRate)/benchLimitRate, 100*((n1-n0)/longest-benchLimitRate)/benchLimitRate, 100*((n1-n0)/shortest-benchLimitRate)/benchLimitRate)
	// A source silent for more than a period costs the schedule its slots (Gate): the
	// machine's stalls of this process, seen in the source's capture times.
	gaps, longestGap := 0, time.Duration(0)
	for i := 1; i < len(directTs); i++ {
		gap := time.Duration(directTs[i] - directTs[i-1])
		longestGap = max(longestGap, gap)
		if gap > time.Second/benchLimitRate {
			gaps++
		}
	}
	t.Logf("source: %d gaps longer than the rate's period, the longest %v", gaps, longestGap.Round(time.Microsecond))
	require.NotEmpty(t, limited)
	t.Logf("one-way latency p50 at 10× the rate (frames held for their slot): direct %v, through the rate limiter %v (%d frames)",
		median(direct).Round(time.Microsecond), median(limited).Round(time.Microsecond), len(limited))

	// Latency: the source at half the rate, every frame forwarded as it arrives.
	pace(limiterWindow/10, 2*time.Second/benchLimitRate)
	direct, limited = direct[:0], limited[:0]
	pace(limiterWindow/4, 2*time.Second/benchLimitRate)
	require.NotEmpty(t, direct)
	require.NotEmpty(t, limited)
	dp50, lp50 := median(direct), median(limited)
	t.Logf("one-way latency p50 at half the rate (%d KiB frames, none held): direct %v, through the rate limiter %v (%d frames), added %v",
		benchLimitFrame>>10, dp50.Round(time.Microsecond), lp50.Round(time.Microsecond), len(limited), (lp50 - dp50).Round(time.Microsecond))
	scrape := rl.scrape()
	t.Logf("rate limiter: %v held frames forwarded, %v rate limited, %v dropped in all", metric(scrape, "tp_ratelimiter_held_forwarded_total"),
		metric(scrape, "tp_ratelimiter_rate_limited_total"), metric(scrape, "tp_ratelimiter_frames_dropped_total"))
	lr.requireGood("rate limited")
	require.Zero(t, directCheck.bad, "direct: %s", directCheck.firstBad)
	require.LessOrEqual(t, n1-n0, benchLimitRate*longest+1, "forwarded more than the rate allows")
	require.Equal(t, exitOK, rl.stop(), rl.logs.String())
}

// rlForwarded is the rate limiter's count of frames forwarded, and the times before and
// after it was read.
func rlForwarded(t *testing.T, rl *roleProc) (n float64, before, after time.Time) {
	before = time.Now()
	n = metric(rl.scrape(), "tp_ratelimiter_frames_forwarded_total")
	require.GreaterOrEqual(t, n, 0.0)
	return n, before, time.Now()
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// rawAeronUDPOf measures the baseline the bridge is held to: messages of size bytes of
// the same pattern over a plain Aeron UDP publication on loopback with params, through
// the same media driver, each checked on receipt like the bridged frames, for d (after a
// quarter of d unmeasured). It returns the bytes a second received.
func rawAeronUDPOf(t *testing.T, dir string, size int, params string, d time.Duration) float64 {
	t.Helper()
	client, err := aeron.Connect(aeron.Config{Dir: dir, IdleStrategy: agent.NewBackoff()})
	require.NoError(t, err)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	channel := fmt.Sprintf("aeron:udp?endpoint=127.0.0.1:%d|%s", freeUDPPort(t), params)
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
	msg := make([]byte, size)
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
	var start time.Time
	idle := agent.NewBackoff()
	for n, begin := uint64(0), time.Now(); time.Since(begin) < d+d/4; {
		if start.IsZero() && time.Since(begin) >= d/4 {
			start, received = time.Now(), 0
		}
		fillFrame(msg, n)
		work := sub.Poll(handler, 16)
		if pub.Offer(msg) > 0 {
			n++
			work++
		}
		idle.Idle(work) // as the bridge's processes and its producer do
	}
	elapsed := time.Since(start)
	require.Zero(t, bad, "raw Aeron messages arrived bad")
	return float64(received) / elapsed.Seconds()
}

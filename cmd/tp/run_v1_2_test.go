package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tensorpool/tensorpool/shm"
	tpc "github.com/tensorpool/tensorpool/tp"
	"github.com/tensorpool/tensorpool/wire"
)

// One `tp run driver` process following wire v1.2's SHM rules serves clients of both wire
// versions at once, over the media driver: on one stream a v1.1 producer feeds a v1.2
// consumer, on another a v1.2 producer (its frames traced) feeds a v1.1 consumer. The
// epochs live in v1.2's normative layout, <base_dir>/tensorpool-<user>/<namespace>/
// <stream_id>/<epoch>/{header.ring,<pool_id>.pool}. A third stream's 64-byte stride, which
// only v1.2 allows, serves v1.2 clients, and a v1.1 consumer refuses it as its rule says.
func TestRun_WireSpec_1_2_OneDriverServesBothVersions(t *testing.T) {
	s, _ := newSystem(t, 46200)
	cfg := s.file(t, "driver.toml", fmt.Sprintf(`
[driver]
instance_id = "run-v12"
control_channel = "aeron:ipc"
control_stream_id = %d
wire_version = "1.2"
[shm]
base_dir = %q
namespace = "lab"
[policies]
announce_period_ms = 200
cleanup_shm_on_exit = true
[profiles.small]
header_nslots = 16
payload_pools = [{ pool_id = 1, stride_bytes = 4096 }]
[profiles.tiny]
header_nslots = 16
payload_pools = [{ pool_id = 1, stride_bytes = 64 }]
[streams.a]
stream_id = 10000
profile = "small"
[streams.b]
stream_id = 10001
profile = "small"
[streams.c]
stream_id = 10002
profile = "tiny"
`, s.control, s.base))
	drv := startRole(t, "run", "driver", "--config", cfg, "--aeron-dir", s.dir)
	drv.waitLog("driver ready", 60*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	connect := func(v wire.Version) *tpc.Client {
		o := s.clientOptions()
		o.QosChannel, o.MetadataChannel, o.WireVersion = "", "", v
		c, err := tpc.Connect(ctx, o)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	c11, c12 := connect(wire.V1_1), connect(wire.V1_2)

	type got struct {
		seq, trace uint64
		version    wire.Version
	}
	run := func(streamID uint32, producer, consumer *tpc.Client, size int) []got {
		t.Helper()
		var frames []got
		cs, err := consumer.NewConsumer(ctx, streamID, func(f *tpc.Frame) {
			if f.Valid() {
				frames = append(frames, got{f.Seq(), f.TraceID(), f.WireVersion()})
			}
		})
		require.NoError(t, err)
		defer cs.Close()
		p, err := producer.NewProducer(ctx, streamID)
		require.NoError(t, err)
		defer p.Close()
		data := make([]byte, size)
		for sent := 0; len(frames) < 10; {
			require.NoError(t, ctx.Err(), "frames on stream %d: %d (consumer %+v, %v)", streamID, len(frames), cs.Stats(), cs.Err())
			if sent < 10 && p.Offer(tpc.Tensor{Shape: tpc.Shape{DType: tpc.Uint8, Dims: []int32{int32(size)}}, Data: data, TraceID: 0x100 + uint64(sent)}) == nil {
				sent++
			}
			if cs.Poll(16) == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		epochDir := filepath.Join(s.base, "tensorpool-"+shm.CanonicalUser(), "lab", fmt.Sprint(streamID), fmt.Sprint(p.Stats().Epoch))
		for _, name := range []string{"header.ring", "1.pool"} {
			_, err := os.Stat(filepath.Join(epochDir, name))
			require.NoError(t, err, "v1.2's layout")
		}
		return frames
	}

	for i, f := range run(10000, c11, c12, 1000) {
		require.Equal(t, got{uint64(i), 0, wire.V1_1}, f, "v1.1 producer to v1.2 consumer")
	}
	for i, f := range run(10001, c12, c11, 1000) {
		require.Equal(t, got{uint64(i), 0x100 + uint64(i), wire.V1_2}, f, "v1.2 producer to v1.1 consumer")
	}
	for i, f := range run(10002, c12, c12, 64) {
		require.Equal(t, got{uint64(i), 0x100 + uint64(i), wire.V1_2}, f, "64-byte strides between v1.2 clients")
	}
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	defer cancelShort()
	_, err := c11.NewConsumer(short, 10002, func(*tpc.Frame) {})
	require.ErrorIs(t, err, shm.ErrStridePageMultiple, "a v1.1 consumer refuses a stride below the page")
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/require"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/tp"
)

// fullSizeEnv makes TestProcess_ExampleConfigsServe run camera-large.toml as written, with its
// 5 GiB epochs (about 11 GiB of /dev/shm: two epochs of each stream).
const fullSizeEnv = "TP_TEST_EXAMPLES_FULL_SIZE"

// smallerProfiles are the lines of a large example that the test cuts down unless
// fullSizeEnv is set: each the text in the file and its replacement. Profiles cannot be
// overridden from the environment, so the test runs a copy of the file with these lines
// changed and every other line as written.
var smallerProfiles = map[string][][2]string{
	"camera-large.toml": {
		{"[profiles.camera]\nheader_nslots = 1024\n", "[profiles.camera]\nheader_nslots = 16\n"},
		{"[profiles.processed]\nheader_nslots = 512\n", "[profiles.processed]\nheader_nslots = 16\n"},
	},
}

// Issue 14.7: every driver configuration in config/examples serves: tp-driver starts with it (on
// a private base directory and control streams, set through the environment as an
// operator would), a producer and a consumer attach to each of its static streams and
// to a dynamic one, a frame goes through, and SIGTERM stops it with exit status 0.
// Files that configure other roles (no [driver] or [profiles] table) are left to their
// commands.
func TestProcess_ExampleConfigsServe(t *testing.T) {
	root, err := filepath.Abs("../../config/examples")
	require.NoError(t, err)
	var served []string
	control := 44300
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".toml") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		text, err := os.ReadFile(path)
		require.NoError(t, err)
		if !isDriverConfig(t, text) {
			t.Logf("%s: not a driver configuration, not started", rel)
			return nil
		}
		control += 10
		stream := control
		t.Run(rel, func(t *testing.T) { serveExample(t, rel, string(text), stream) })
		served = append(served, rel)
		return nil
	}))
	require.Contains(t, served, "driver.toml")
	require.Contains(t, served, "camera-large.toml")
}

// isDriverConfig reports whether a TOML file has the tables of a driver configuration.
func isDriverConfig(t *testing.T, text []byte) bool {
	var top map[string]any
	require.NoError(t, toml.Unmarshal(text, &top))
	_, driver := top["driver"]
	_, profiles := top["profiles"]
	return driver || profiles
}

func serveExample(t *testing.T, name, text string, control int) {
	if os.Getenv(fullSizeEnv) == "" {
		for _, cut := range smallerProfiles[name] {
			require.Contains(t, text, cut[0], "%s changed: update the test's smaller profiles", name)
			text = strings.Replace(text, cut[0], cut[1], 1)
		}
	}
	path := filepath.Join(t.TempDir(), filepath.Base(name))
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	base := shmDir(t, "example")
	overrides := map[string]string{
		"SHM_BASE_DIR":              base,
		"DRIVER_CONTROL_STREAM_ID":  strconv.Itoa(control),
		"DRIVER_ANNOUNCE_STREAM_ID": strconv.Itoa(control + 1),
		"DRIVER_QOS_STREAM_ID":      strconv.Itoa(control + 2),
	}
	cfg, err := config.ParseDriverConfigEnv(strings.NewReader(text), func(k string) (string, bool) { v, ok := overrides[k]; return v, ok })
	require.NoError(t, err)
	var env []string
	for k, v := range overrides {
		env = append(env, k+"="+v)
	}
	dir := drivertest.Dir(t)
	p := startProcess(t, []string{"--config", path, "--aeron-dir", dir}, env...)
	p.ready()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The examples' channels are IPC: a client keeps plain "aeron:ipc", as the README
	// says, whatever term length the driver's name.
	d := cfg.Driver
	require.True(t, strings.HasPrefix(d.ControlChannel, "aeron:ipc") && strings.HasPrefix(d.AnnounceChannel, "aeron:ipc"), "%s: not IPC", name)
	client, err := tp.Connect(ctx, tp.Options{
		AeronDir: dir, ControlChannel: "aeron:ipc", ControlStreamID: int32(d.ControlStreamID),
		AnnounceChannel: "aeron:ipc", AnnounceStreamID: int32(d.AnnounceStreamID),
		DescriptorChannel: "aeron:ipc", DescriptorStreamID: int32(control + 3), AllowedBaseDirs: cfg.Shm.AllowedBaseDirs,
	})
	require.NoError(t, err)
	defer client.Close()
	var streams []uint32
	for _, s := range cfg.Streams {
		streams = append(streams, s.StreamID)
	}
	slices.Sort(streams)
	if cfg.Policies.AllowDynamicStreams {
		streams = append(streams, d.StreamIDRange.First)
	}
	require.NotEmpty(t, streams)
	for _, id := range streams {
		oneFrame(ctx, t, client, id)
	}
	require.NoError(t, client.Close())

	p.stop()
	require.Equal(t, exitOK, p.wait(30*time.Second), p.logs.String())
	if cfg.Policies.CleanupShmOnExit {
		_, err := os.Stat(base)
		require.True(t, errors.Is(err, fs.ErrNotExist), "%s left %s behind", name, base)
	}
}

// oneFrame attaches a producer and a consumer to stream id and moves one frame.
func oneFrame(ctx context.Context, t *testing.T, client *tp.Client, id uint32) {
	t.Helper()
	p, err := client.NewProducer(ctx, id)
	require.NoError(t, err, "producer of stream %d", id)
	defer p.Close()
	var got []byte
	c, err := client.NewConsumer(ctx, id, func(f *tp.Frame) { got = append([]byte(nil), f.Payload()...) })
	require.NoError(t, err, "consumer of stream %d", id)
	defer c.Close()
	want := []byte(fmt.Sprintf("frame of stream %d", id))
	frame := tp.Tensor{Shape: tp.Shape{DType: tp.Uint8, Dims: []int32{int32(len(want))}}, Data: want}
	for got == nil {
		// The first offers may find the consumer's image not joined yet, its publication
		// not added, or the publisher limit not yet raised for the new subscriber: each
		// drops the frame (ErrBusy), and a later offer goes through.
		if err := p.Offer(frame); err != nil && !errors.Is(err, tp.ErrBusy) {
			require.NoError(t, err)
		}
		if c.Poll(10) == 0 {
			time.Sleep(time.Millisecond)
		}
		require.NoError(t, ctx.Err(), "no frame on stream %d", id)
	}
	require.Equal(t, want, got)
}

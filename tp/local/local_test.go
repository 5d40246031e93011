package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/tp"
)

// Issue 14, no leaked SHM: a Stack with its embedded media driver, after producers made
// three epochs of a stream and a consumer read them, leaves nothing in /dev/shm once
// closed: neither the SHM driver's epochs and base directory, nor the media driver's
// directory. Only its own paths are measured: other processes share /dev/shm.
func TestStackLeavesNothingInDevShm(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts the Java media driver")
	}
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	base := filepath.Join("/dev/shm", "tp-local-test-"+hex.EncodeToString(suffix[:]))
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	cfg, err := config.Local(base, 1000, config.StreamSpec{StreamID: 1, Slots: 16, Strides: []uint32{64 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stack, err := Start(ctx, Config{Driver: cfg})
	if err != nil {
		t.Fatal(err)
	}
	aeronDir := stack.AeronDir()
	t.Cleanup(func() { _ = stack.Close(); _ = os.RemoveAll(aeronDir) })
	client, err := tp.Connect(ctx, stack.Options())
	if err != nil {
		t.Fatal(err)
	}
	frames := 0
	consumer, err := client.NewConsumer(ctx, 1, func(*tp.Frame) { frames++ })
	if err != nil {
		t.Fatal(err)
	}
	frame := tp.Tensor{Shape: tp.Shape{DType: tp.Uint8, Dims: []int32{60 << 10}}, Data: make([]byte, 60<<10)}
	for epoch := 1; epoch <= 3; epoch++ { // every producer attach is a new epoch
		producer, err := client.NewProducer(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		for want := frames + 1; frames < want; {
			if err := producer.Offer(frame); err != nil && !errors.Is(err, tp.ErrNoSubscriber) && !errors.Is(err, tp.ErrNotReady) && !errors.Is(err, tp.ErrBackPressured) {
				t.Fatal(err)
			}
			if consumer.Poll(10) == 0 {
				time.Sleep(time.Millisecond)
			}
			if ctx.Err() != nil {
				t.Fatalf("epoch %d: no frame (%+v)", epoch, consumer.Stats())
			}
		}
		if err := producer.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if used := bytesUnder(t, base); used == 0 {
		t.Fatalf("nothing under %s while the stack runs", base)
	} else {
		t.Logf("%d bytes under %s and %d under %s while running", used, base, bytesUnder(t, aeronDir), aeronDir)
	}
	if err := consumer.Close(); err != nil {
		t.Fatal(err)
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if err := stack.Close(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{base, aeronDir} {
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left after Close (%d bytes, %v)", dir, bytesUnder(t, dir), err)
		}
	}
}

// bytesUnder is the size of the files under dir.
func bytesUnder(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

package tp

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron"
	"github.com/tensorpool/tensorpool/agent"
	"github.com/tensorpool/tensorpool/agents/driverclient"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// An attach nobody answers ends with ctx, and says where it asked and what it saw of a
// driver: here, no announce.
func TestAttachWithoutADriverNamesWhereItAsked(t *testing.T) {
	control := nextStream.Add(2)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := Connect(ctx, Options{AeronDir: sharedAeronDir, ControlChannel: "aeron:ipc", ControlStreamID: control, DescriptorStreamID: control + 1, AllowedBaseDirs: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	attachCtx, cancelAttach := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancelAttach()
	_, err = c.NewProducer(attachCtx, testStream)
	if !errors.Is(err, ErrNoDriver) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("NewProducer without a driver: %v", err)
	}
	for _, want := range []string{"aeron:ipc stream " + strconv.Itoa(int(control)), sharedAeronDir, "no driver announce was seen"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}

// fakeDriver answers every attach on a control stream with code, and announces nothing.
func fakeDriver(t *testing.T, control int32, code wire.ResponseCode) (answered *atomic.Int32) {
	t.Helper()
	a, err := aeron.Connect(aeron.Config{Dir: sharedAeronDir, IdleStrategy: agent.NewBackoff()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	pub, err := transport.Await(ctx, a.AddPublication("aeron:ipc", control))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := transport.Await(ctx, a.AddSubscription("aeron:ipc", control))
	if err != nil {
		t.Fatal(err)
	}
	answered = &atomic.Int32{}
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		buf := make([]byte, 512)
		var req wire.ShmAttachRequest
		for {
			select {
			case <-done:
				return
			default:
			}
			n := sub.Poll(func(msg []byte, _ *transport.Header) {
				if h, err := wire.PeekHeader(msg); err != nil || h.ID() != wire.ShmAttachRequestID || req.Decode(msg) != nil {
					return
				}
				resp := wire.ShmAttachResponse{CorrelationID: req.CorrelationID, Code: code, ErrorMessage: "this driver takes no such attach"}
				if l, err := resp.Encode(buf); err == nil && pub.Offer(buf[:l]) > 0 {
					answered.Add(1)
				}
			}, 16)
			if n == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	t.Cleanup(func() {
		close(done)
		<-stopped
		a.Close()
	})
	return answered
}

// Driver spec §4.3: an attach refused UNSUPPORTED or INVALID_PARAMS will not succeed by
// retrying: NewProducer and NewConsumer return at once with ErrAttachRefused, wrapping
// the driver's code and message. A REJECTED one is retried until ctx ends.
func TestDriverSpec_4_3_PermanentRefusalReturnsAtOnce(t *testing.T) {
	for _, code := range []wire.ResponseCode{wire.CodeUnsupported, wire.CodeInvalidParams} {
		control := nextStream.Add(2)
		answered := fakeDriver(t, control, code)
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		c, err := Connect(ctx, Options{AeronDir: sharedAeronDir, ControlChannel: "aeron:ipc", ControlStreamID: control, DescriptorStreamID: control + 1, AllowedBaseDirs: []string{t.TempDir()}})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, perr := c.NewProducer(ctx, testStream)
		_, cerr := c.NewConsumer(ctx, testStream, func(*Frame) {})
		took := time.Since(start)
		cancel()
		c.Close()
		for _, err := range []error{perr, cerr} {
			var refused *driverclient.RefusedError
			if !errors.Is(err, ErrAttachRefused) || !errors.As(err, &refused) || refused.Code != code {
				t.Fatalf("%v: %v", code, err)
			}
		}
		if took > 5*time.Second || answered.Load() != 2 {
			t.Fatalf("%v: refused after %v and %d attaches; want at once, one attach each", code, took, answered.Load())
		}
	}
	control := nextStream.Add(2)
	answered := fakeDriver(t, control, wire.CodeRejected)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := Connect(ctx, Options{AeronDir: sharedAeronDir, ControlChannel: "aeron:ipc", ControlStreamID: control, DescriptorStreamID: control + 1, AllowedBaseDirs: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	attachCtx, cancelAttach := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancelAttach()
	if _, err := c.NewProducer(attachCtx, testStream); errors.Is(err, ErrAttachRefused) || !errors.Is(err, context.DeadlineExceeded) || answered.Load() < 2 {
		t.Fatalf("REJECTED: %v after %d attaches; want retries until ctx ends", err, answered.Load())
	}
}

package tp

import (
	"context"
	"errors"
	"testing"

	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/transport/mem"
)

// memClient connects a Client over the in-memory transport, with the SHM driver in this
// process on the same transport: a media driver whose adds a test can hold.
func memClient(t *testing.T) (*Client, *mem.Client) {
	t.Helper()
	control := nextStream.Add(2)
	cfg, err := config.Local(t.TempDir(), control, config.StreamSpec{StreamID: testStream, Slots: 16, Strides: []uint32{4096}})
	if err != nil {
		t.Fatal(err)
	}
	transport := mem.NewDriver(mem.Config{}).Connect(mem.ClientConfig{})
	t.Cleanup(func() { transport.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	d := startDriver(t, cfg, transport)
	c, err := Connect(ctx, d.options(Options{Transport: transport, DescriptorStreamID: control + 1}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, transport
}

// The frame path never waits on the media driver: a producer whose descriptor
// publication the media driver never adds is attached (its lease and regions are in
// place), and every Offer and Claim fails at once with ErrNotReady rather than waiting
// for the add; once the add completes, frames flow.
func TestFramePathNeverWaitsForAnAdd(t *testing.T) {
	c, transport := memClient(t)
	var got []received
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	// The consumer puts the control plane's subscription and publication in place; the
	// producer's lease then needs no add of its own.
	cs, err := c.NewConsumer(ctx, testStream, recorder(&got))
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	transport.HoldAdds(true)
	p, err := c.NewProducer(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Attached: the lease is live, whatever the publication (the C tp_producer_poll reads
	// this, and a C producer polling before its first offer took it for a lost lease).
	if !p.Attached() || p.LeaseID() == 0 {
		t.Fatalf("a producer granted its lease, waiting for its descriptor publication: Attached %v, lease %d", p.Attached(), p.LeaseID())
	}
	tensor := Tensor{Shape: Shape{DType: Uint8, Dims: []int32{8}}, Data: pattern(8, 1)}
	for range 1000 {
		if err := p.Offer(tensor); !errors.Is(err, ErrNotReady) {
			t.Fatalf("Offer with the descriptor publication never added: %v, want ErrNotReady", err)
		}
		if _, err := p.Claim(8); !errors.Is(err, ErrNotReady) {
			t.Fatalf("Claim with the descriptor publication never added: %v, want ErrNotReady", err)
		}
	}
	if cs.Poll(10) != 0 {
		t.Fatal("a frame arrived without a descriptor publication")
	}
	transport.HoldAdds(false)
	offer(t, p, cs, tensor)
	eventually(t, "the first frame", cs, func() bool { return len(got) == 1 })
}

// The frame path shares nothing with the duty cycle: with the Client's duty cycle not
// running at all (invoker mode, nobody calling DoWork), a producer keeps publishing and a
// consumer keeps reading.
func TestFramePathRunsWithoutTheDutyCycle(t *testing.T) {
	drv := startClient(t, nil)
	c := invokerClient(t, drv, nil)
	var got []received
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cs, err := c.NewConsumer(ctx, testStream, recorder(&got))
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	p, err := c.NewProducer(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Until the consumer has mapped the producer's epoch the duty cycle has work to do;
	// after that it stops.
	for p.Stats().Epoch == 0 || cs.Stats().Epoch != p.Stats().Epoch {
		c.DoWork()
		cs.Poll(10)
	}
	tensor := Tensor{Shape: Shape{DType: Uint8, Dims: []int32{8}}, Data: pattern(8, 3)}
	sent := 0
	for range 100 {
		switch err := p.Offer(tensor); {
		case err == nil:
			sent++
		case !errors.Is(err, ErrNoSubscriber) && !errors.Is(err, ErrBackPressured):
			t.Fatalf("Offer without a duty cycle: %v", err)
		}
		cs.Poll(10)
	}
	for cs.Poll(10) > 0 {
	}
	if sent == 0 || len(got) != sent {
		t.Fatalf("%d frames sent, %d read without a duty cycle", sent, len(got))
	}
}

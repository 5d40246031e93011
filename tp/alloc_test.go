//go:build !race

package tp

import (
	"errors"
	"testing"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// Publishing (Offer and Claim/Commit) and poll-and-read through the API allocate nothing
// in steady state, over the real media driver with the lease keepers running.
func TestSteadyStateAllocatesNothing(t *testing.T) {
	c := startClient(t, nil)
	var sum int
	p, cs := attachBoth(t, c, func(f *Frame) {
		sum += int(f.Payload()[0]) + len(f.Dims()) + int(f.Strides()[0])
		if !f.Valid() {
			sum--
		}
	})
	sameEpoch(t, p, cs)
	data := pattern(3000, 3)
	tensor := Tensor{Shape: Shape{DType: Uint8, Dims: []int32{30, 100}}, Data: data}
	shape := Shape{DType: Uint8, Dims: []int32{3000}}
	offer(t, p, cs, tensor)
	publish := func(do func() error) {
		for {
			err := do()
			if err == nil {
				break
			}
			if !errors.Is(err, ErrBackPressured) {
				t.Fatal(err)
			}
			cs.Poll(100)
		}
		cs.Poll(10)
	}
	offerOnce := func() error { return p.Offer(tensor) }
	claimOnce := func() error {
		claim, err := p.Claim(len(data))
		if err != nil {
			return err
		}
		copy(claim.Payload(), data)
		return claim.Commit(shape)
	}
	for range 1000 { // warm up
		publish(offerOnce)
	}
	if a := testing.AllocsPerRun(5000, func() { publish(offerOnce) }); a != 0 {
		t.Errorf("Offer + Poll: %v allocations per frame", a)
	}
	if a := testing.AllocsPerRun(5000, func() { publish(claimOnce) }); a != 0 {
		t.Errorf("Claim/Commit + Poll: %v allocations per frame", a)
	}
	header := TensorHeader{Dtype: Uint8, MajorOrder: shm.MajorOrderRow, Ndims: 1, Dims: [8]int32{3000}}
	var open *Claim
	commitAndClaim := func() error {
		if open == nil {
			claim, err := p.Claim(len(data))
			if err != nil {
				return err
			}
			open = claim
		}
		copy(open.Payload(), data)
		commitErr, next, err := open.CommitHeaderAndClaim(&header, len(data))
		open = next
		if err != nil {
			return err
		}
		return commitErr
	}
	if a := testing.AllocsPerRun(5000, func() { publish(commitAndClaim) }); a != 0 {
		t.Errorf("CommitHeaderAndClaim + Poll: %v allocations per frame", a)
	}
	if open != nil {
		open.Abort()
	}
	traced := tensor
	traced.TraceID = 7
	if a := testing.AllocsPerRun(5000, func() { publish(func() error { return p.Offer(traced) }) }); a != 0 {
		t.Errorf("Offer with a trace id + Poll: %v allocations per frame", a)
	}
	eventually(t, "every frame read", cs, func() bool { return cs.Stats().Frames == p.Stats().Frames })
	if sum == 0 {
		t.Fatal("no frames handled")
	}
}

// Taking QoS messages allocates nothing.
func TestQosMonitorHandleAllocatesNothing(t *testing.T) {
	var m QosMonitor
	p := encodeQosProducer(QosProducerSnapshot{ProducerID: 1})
	c := encodeQosConsumer(QosConsumerSnapshot{ConsumerID: 1, Mode: wire.ModeStream})
	if n := testing.AllocsPerRun(100, func() { m.handle(p); m.handle(c) }); n != 0 {
		t.Fatalf("%v allocations per pair of messages", n)
	}
}

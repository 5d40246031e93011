//go:build !race

package consumer

import (
	"testing"

	"github.com/tensorpool/tensorpool/agents/controlplane"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/clock"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// TestPollAndReadAllocatesNothing holds poll-and-read to zero allocations per frame:
// descriptor decode, seqlock read, validation, the handler's view and both accepted and
// dropped frames, plus the consumer's timers and QoS, with descriptors of either wire
// version (v1.2's slot derived from seq).
func TestPollAndReadAllocatesNothing(t *testing.T) {
	for _, version := range []wire.Version{wire.V1_1, wire.V1_2} {
		t.Run(version.String(), func(t *testing.T) { pollAndReadAllocatesNothing(t, version) })
	}
}

func pollAndReadAllocatesNothing(t *testing.T, version wire.Version) {
	l := rigLayout()
	h := heapProducerRegions(t, l)
	pipe := newPipe(t)
	qos := newPipe(t)
	p, err := producer.New(h.r, producer.Config{Descriptors: pipe, WireVersion: version})
	if err != nil {
		t.Fatal(err)
	}
	var sum int
	c, err := New(Config{StreamID: l.StreamID, Qos: qos, QosIntervalNs: 1}, func(f *Frame) {
		sum += len(f.Payload) + len(f.Dims())
		f.Valid()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.AttachRegions(announceFor(l, "shm:file?path=/heap/h", []string{"shm:file?path=/heap/1", "shm:file?path=/heap/2"}, 1), h.borrowed()); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 2000)
	stale := encoded(&wire.FrameDescriptor{Version: version, StreamID: l.StreamID, Epoch: l.Epoch + 1})
	var i int
	allocs := testing.AllocsPerRun(5000, func() {
		i++
		if res := p.Offer(payload, vector(len(payload))); res != producer.OK {
			t.Fatal(res)
		}
		c.rd.Poll(pipe, 10)
		c.rd.HandleDescriptor(stale) // a dropped descriptor costs nothing either
		c.DoWork(clock.Now().Nanos())
		if i%64 == 0 {
			qos.Drain()
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per polled frame", allocs)
	}
	if cs := c.Counters(); cs.Frames < 5000 || cs.Drops[DropEpochMismatch] < 5000 {
		t.Fatalf("counters %+v", cs)
	}
}

// TestProgressAllocatesNothing: judging FrameProgress — kept, ignored or dropped, on the
// shared or the per-consumer control stream — costs no allocation per message.
func TestProgressAllocatesNothing(t *testing.T) {
	r := newRig(t)
	r.c.cfg.Progress = true
	pipe := newPipe(t)
	r.write(0, 100, 1)
	stale := encodeProgress(r.progressFor(0, 0, wire.ProgressStateStarted))
	other := encodeProgress(wire.FrameProgress{StreamID: 8, Epoch: 3})
	buf := make([]byte, wire.FrameProgressMaxLength)
	var seq uint64
	allocs := testing.AllocsPerRun(5000, func() {
		seq++
		p := r.progressFor(seq, 0, wire.ProgressStateStarted)
		if seq%2 == 0 { // v1.2's progress names no slot: the consumer derives it
			p.Version, p.HeaderIndex = wire.V1_2, 0
		}
		n, _ := p.Encode(buf)
		if err := r.c.HandleControl(buf[:n]); err != nil {
			t.Fatal(err)
		}
		p.State, p.PayloadBytesFilled = wire.ProgressStateProgress, 4096
		n, _ = p.Encode(buf)
		msg := buf[:n]
		for range 3 { // a term rotation asks for a retry
			if pipe.Offer(msg) >= 0 {
				break
			}
		}
		r.c.PollProgress(pipe, 10)
		r.c.HandleProgress(stale)
		r.c.HandleProgress(other)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per progress message", allocs)
	}
	k := r.c.Counters().Progress
	// A message polled late, after a term rotation, meets the next frame's STARTED: stale.
	if k[ProgressKept] < 2*5000-100 || k[ProgressKept]+k[ProgressStale] < 3*5000 || k[ProgressStreamMismatch] < 5000 {
		t.Fatalf("verdicts %v", k)
	}
}

// TestAgentPollAllocatesNothing: the role's data path (Poll: the view taken, descriptors
// read, the counters published) and its duty cycle (the lease-less routes, liveness,
// hellos, QoS, the state published) allocate nothing in steady state. (Decoding an
// announce allocates its URIs: the control path, once an announce period.)
func TestAgentPollAllocatesNothing(t *testing.T) {
	base := t.TempDir()
	regions := standalone(t, base, 3)
	r := newAgentRig(t)
	qosEP := controlplane.Endpoint{Channel: "aeron:ipc", StreamID: 2003}
	control, descriptors, qos := r.publication(controlEP), r.publication(sharedEP), r.subscription(qosEP)
	p, err := producer.New(regions, producer.Config{Descriptors: descriptors, Announce: control, Clock: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var sum int
	a, err := NewAgent(AgentConfig{Consumer: Config{StreamID: 7, ConsumerID: 9, AllowedBaseDirs: []string{base}, Clock: r.clock.Now, QosIntervalNs: 1, HelloIntervalNs: 1},
		Control: controlEP, Descriptors: sharedEP, Qos: qosEP}, func(f *Frame) { sum += len(f.Payload) })
	if err != nil {
		t.Fatal(err)
	}
	a.c.SetJoinTime(0)
	if err := r.proc.Add(a); err != nil {
		t.Fatal(err)
	}
	r.cycles(3)
	p.DoWork(r.clock.now)
	r.start(a)
	payload := make([]byte, 100)
	drain := func([]byte, *transport.Header) {}
	step := func() {
		if res := p.Offer(payload, vector(len(payload))); res != producer.OK {
			t.Fatal(res)
		}
		a.Poll(10)
		r.clock.now += 1000
		r.proc.DoWork()
		qos.Poll(drain, 100)
	}
	for range 1000 {
		step()
	}
	if allocs := testing.AllocsPerRun(5000, step); allocs != 0 {
		t.Fatalf("%v allocations per frame and duty cycle", allocs)
	}
	if st := a.Status(); st.Counters.Frames < 6000 || st.Counters.QosSent == 0 || !st.Mapped {
		t.Fatalf("status %+v", st)
	}
	r.remove(a)
}

// TestOverAeronIPCAllocatesNothing: publish and poll-and-read together over the real
// Aeron log allocate nothing per frame.
func TestOverAeronIPCAllocatesNothing(t *testing.T) {
	overAeronIPC(t, func(step func()) {
		if allocs := testing.AllocsPerRun(5000, step); allocs != 0 {
			t.Fatalf("%v allocations per frame over Aeron IPC", allocs)
		}
	})
}

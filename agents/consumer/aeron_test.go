package consumer

import (
	"context"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/aeron/mediadriver/drivertest"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/transport/backend"
	"github.com/tensorpool/tensorpool/wire"
)

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestOverAeronIPC runs the whole path over the real media driver: the announce on a
// control stream, descriptors by try-claim on an exclusive IPC publication, polled by the
// consumer's subscription; QosConsumer and QosProducer on a QoS stream.
func TestOverAeronIPC(t *testing.T) { overAeronIPC(t, nil) }

// overAeronIPC is TestOverAeronIPC; steady, when set, is given one publish and
// poll-and-read over the real Aeron log after the checked frames (the allocation test).
func overAeronIPC(t *testing.T, steady func(step func())) {
	client, err := backend.Connect(backend.Config{Dir: drivertest.Dir(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const controlStream, descriptorStream, qosStream = 3100, 3101, 3102
	add := func(stream int32) (transport.Publication, transport.Subscription) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sub, err := transport.Await(ctx, client.AddSubscription("aeron:ipc", stream))
		if err != nil {
			t.Fatal(err)
		}
		pub, err := transport.Await(ctx, client.AddExclusivePublication("aeron:ipc", stream))
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "publication connected", pub.IsConnected)
		return pub, sub
	}
	controlPub, controlSub := add(controlStream)
	descPub, descSub := add(descriptorStream)
	qosPub, qosSub := add(qosStream)

	const maxSize = 64 << 10
	l := producer.Layout{StreamID: 33, Epoch: 2, Nslots: 64, Pools: []producer.PoolSpec{{PoolID: 1, StrideBytes: 4096}, {PoolID: 2, StrideBytes: maxSize}}}
	base := shmBase(t)
	r, err := producer.CreateStandalone(producer.StandaloneConfig{BaseDir: base, Namespace: "ns", InstanceID: "ipc", Layout: l})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Remove()
	p, err := producer.New(r, producer.Config{ProducerID: 5, Descriptors: descPub, Qos: qosPub})
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	var next uint64
	c, err := New(Config{StreamID: 33, ConsumerID: 6, AllowedBaseDirs: []string{base}, Qos: qosPub}, func(f *Frame) {
		if f.Seq != next {
			bad = append(bad, "out of order")
		}
		next = f.Seq + 1
		if msg := verifyChecked(f, maxSize); msg != "" {
			bad = append(bad, msg)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// The announce travels on the control stream (as a standalone producer sends it).
	announce := announceBytes(t, r, 5, uint64(c.cfg.Clock().Nanos()))
	if res := controlPub.Offer(announce); res < 0 {
		t.Fatalf("announce offer: %d", res)
	}
	eventually(t, "announce mapped", func() bool {
		c.PollControl(controlSub, 10)
		_, ok := c.Mapped()
		return ok
	})
	if err := c.ControlError(); err != nil {
		t.Fatal(err)
	}

	buf := make([]byte, maxSize)
	deadline := time.Now().Add(30 * time.Second)
	const frames = 20_000
	for range frames {
		if err := publish(p, buf, maxSize, deadline); err != nil {
			t.Fatal(err)
		}
		c.rd.Poll(descSub, 10)
	}
	eventually(t, "every descriptor polled", func() bool {
		c.rd.Poll(descSub, 100)
		return c.Counters().LastSeq == frames-1
	})
	cs := c.Counters()
	if len(bad) > 0 || cs.Frames != frames || cs.DropsLate != 0 || cs.DropsGap != 0 {
		t.Fatalf("bad %q counters %+v", bad[:min(5, len(bad))], cs)
	}

	if steady != nil {
		payload := buf[:3000]
		steady(func() {
			fillChecked(payload, p.Seq())
			for p.Offer(payload, vector(len(payload))) != producer.OK {
				c.rd.Poll(descSub, 10)
			}
			c.rd.Poll(descSub, 10)
		})
	}

	// QoS from both sides.
	now := c.cfg.Clock().Nanos()
	p.DoWork(now)
	c.DoWork(now)
	var gotProducer, gotConsumer bool
	eventually(t, "QoS messages", func() bool {
		qosSub.Poll(func(msg []byte, _ *transport.Header) {
			h, err := wire.PeekHeader(msg)
			if err != nil {
				t.Errorf("QoS message: %v", err)
				return
			}
			switch h.ID() {
			case wire.QosProducerID:
				var m wire.QosProducer
				if err := m.Decode(msg); err != nil {
					t.Errorf("QosProducer: %v", err)
					return
				}
				gotProducer = m.StreamID == 33 && m.ProducerID == 5 && m.Epoch == 2 && m.CurrentSeq == p.Seq()
			case wire.QosConsumerID:
				var m wire.QosConsumer
				if err := m.Decode(msg); err != nil {
					t.Errorf("QosConsumer: %v", err)
					return
				}
				gotConsumer = m.StreamID == 33 && m.ConsumerID == 6 && m.Epoch == 2 && m.LastSeqSeen == c.Counters().LastSeq
			default:
				t.Errorf("QoS stream carries %v", h.ID())
			}
		}, 10)
		return gotProducer && gotConsumer
	})
}

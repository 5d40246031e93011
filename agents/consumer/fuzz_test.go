package consumer

import (
	"testing"

	"github.com/tensorpool/tensorpool/agents/internal/extent"
	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// FuzzHandleDescriptor feeds arbitrary header-slot bytes and descriptor bytes through the
// whole read path: whatever a writer leaves in SHM or sends on the wire, the consumer
// returns a verdict and never panics, and an accepted frame's view stays inside its pool.
func FuzzHandleDescriptor(f *testing.F) {
	r := newRig(f)
	r.write(10, 100, 1)
	valid := append([]byte(nil), r.slot(10).Bytes()...)
	f.Add(valid, encode(r.descriptor(10)))
	f.Add(valid, encode(r.descriptor(11)))
	f.Add(make([]byte, shm.HeaderSlotSize), []byte{1, 2, 3})
	var accepted *Frame
	var seen Frame // the view as the handler saw it; the consumer clears Payload after
	r.onFrame = func(fr *Frame) { seen, accepted = *fr, &seen }
	f.Fuzz(func(t *testing.T, slotBytes, desc []byte) {
		s := r.slot(10)
		copy(s.Bytes(), slotBytes)
		accepted = nil
		d := r.c.HandleDescriptor(desc)
		if int(d) >= DropCount {
			t.Fatalf("verdict %d out of range", d)
		}
		if accepted != nil && d == DropNone {
			pool := r.pools[accepted.PoolID]
			if pool == nil || len(accepted.Payload) > int(pool.Geometry().StrideBytes) {
				t.Fatalf("accepted frame outside its pool: %+v", accepted)
			}
			if extent.Bytes(&accepted.Tensor, &accepted.Strides) > uint64(len(accepted.Payload)) {
				t.Fatalf("accepted tensor reaching past its payload: %+v", accepted.Tensor)
			}
		}
		r.c.seqs.reset()
		r.got = r.got[:0]
	})
}

// FuzzHandleControl: arbitrary control-stream bytes never panic the consumer.
func FuzzHandleControl(f *testing.F) {
	r := newRig(f)
	f.Add(encode(r.descriptor(1)))
	f.Add([]byte{35, 0, 1, 0, 132, 3, 1, 0})
	f.Add(encodeMeta(7, 1, producer.Attribute{Key: "k", Format: "text/plain", Value: []byte("v")}))
	f.Add(encodeSource(7, 1, "cam0"))
	cfg := producer.Assignment{StreamID: 7, ConsumerID: 11, UseShm: true, Mode: control.Mode_STREAM, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1100}
	buf := make([]byte, producer.ConsumerConfigLength(&cfg))
	f.Add(buf[:producer.EncodeConsumerConfig(buf, &cfg)])
	f.Fuzz(func(t *testing.T, msg []byte) {
		r.c.HandleControl(msg)
	})
}

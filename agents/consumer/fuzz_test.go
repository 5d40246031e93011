package consumer

import (
	"strings"
	"testing"

	"github.com/tensorpool/tensorpool/agents/internal/extent"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
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
	f.Add(valid, encode(r.v12Descriptor(10, 5))) // wire v1.2: the slot comes from seq
	f.Add(make([]byte, shm.HeaderSlotSize), []byte{1, 2, 3})
	var accepted *Frame
	var seen Frame // the view as the handler saw it; the consumer clears Payload after
	r.onFrame = func(fr *Frame) { seen, accepted = *fr, &seen }
	f.Fuzz(func(t *testing.T, slotBytes, desc []byte) {
		s := r.slot(10)
		copy(s.Bytes(), slotBytes)
		accepted = nil
		d := r.c.rd.HandleDescriptor(desc)
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
		r.c.rd.seqs.reset()
		r.got = r.got[:0]
	})
}

// FuzzHandleControl: arbitrary control-stream bytes never panic the consumer.
func FuzzHandleControl(f *testing.F) {
	r := newRig(f)
	f.Add(encode(r.descriptor(1)))
	f.Add([]byte{35, 0, 1, 0, 132, 3, 1, 0})
	f.Add(encodeMeta(7, 1, wire.Attribute{Key: "k", Format: "text/plain", Value: []byte("v")}))
	f.Add(encodeSource(7, 1, "cam0"))
	cfg := wire.ConsumerConfig{StreamID: 7, ConsumerID: 11, UseShm: true, Mode: wire.ModeStream, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1100}
	f.Add(encoded(&cfg))
	f.Fuzz(func(t *testing.T, msg []byte) {
		r.c.HandleControl(msg)
	})
}

// FuzzHandleProgress feeds arbitrary header-slot bytes and FrameProgress bytes to a
// consumer that opted in: it never panics, every verdict is in range, and what it keeps
// names the mapped stream, epoch and the frame's own slot, within the largest pool.
func FuzzHandleProgress(f *testing.F) {
	r := newRig(f)
	r.c.cfg.Progress = true
	r.write(10, 100, 1)
	valid := append([]byte(nil), r.slot(10).Bytes()...)
	f.Add(valid, encodeProgress(r.progressFor(10, 100, wire.ProgressStateComplete)))
	f.Add(valid, encodeProgress(r.progressFor(10, 101, wire.ProgressStateComplete)))
	f.Add(make([]byte, shm.HeaderSlotSize), encodeProgress(r.progressFor(11, 4096, wire.ProgressStateProgress)))
	f.Add(valid, []byte{33, 0, 11, 0, 132, 3, 1, 0})
	v12 := r.progressFor(10, 100, wire.ProgressStateComplete)
	v12.Version, v12.HeaderIndex = wire.V1_2, 0
	f.Add(valid, encoded(&v12))
	f.Fuzz(func(t *testing.T, slotBytes, msg []byte) {
		copy(r.slot(10).Bytes(), slotBytes)
		r.c.forgetProgress()
		v := r.c.HandleProgress(msg)
		if int(v) >= ProgressVerdictCount {
			t.Fatalf("verdict %d out of range", v)
		}
		p, ok := r.c.Progress()
		if ok != (v == ProgressKept) {
			t.Fatalf("verdict %v but progress kept %v", v, ok)
		}
		if ok && (p.StreamID != 7 || p.Epoch != 3 || p.HeaderIndex != uint32(p.FrameID&7) ||
			p.PayloadBytesFilled > 64<<10 || p.State == wire.ProgressStateUnknown) {
			t.Fatalf("kept invalid progress %+v", p)
		}
	})
}

// FuzzValidateFallbackURI: any string is judged without panicking, and only the schemes
// §10.1.3 names pass.
func FuzzValidateFallbackURI(f *testing.F) {
	for _, s := range []string{"aeron:udp?endpoint=10.0.0.2:40123|mtu=8192", "aeron:ipc", "bridge://7", "ftp://x", "aeron:udp?", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		if ValidateFallbackURI(uri) != nil {
			return
		}
		if !strings.HasPrefix(uri, "aeron:udp") && !strings.HasPrefix(uri, "aeron:ipc") && !strings.HasPrefix(uri, "bridge://") {
			t.Fatalf("accepted %q", uri)
		}
		for i := 0; i < len(uri); i++ {
			if uri[i] <= ' ' || uri[i] > '~' {
				t.Fatalf("accepted %q with byte %#x", uri, uri[i])
			}
		}
	})
}

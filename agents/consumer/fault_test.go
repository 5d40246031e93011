package consumer

import (
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
)

// faultLayout has 64 header slots of 256 bytes and 4 KiB payload slots, so a file cut to
// one page still holds the superblock and the first frames but not the later ones.
func faultLayout() producer.Layout {
	return producer.Layout{StreamID: 9, Epoch: 1, Nslots: 64, Pools: []producer.PoolSpec{{PoolID: 1, StrideBytes: 4096}}}
}

// publishN offers n checked frames of up to 4 KiB.
func publishN(t *testing.T, p *producer.Producer, n int) {
	t.Helper()
	buf := make([]byte, 4096)
	deadline := time.Now().Add(10 * time.Second)
	for range n {
		if err := publish(p, buf, 4096, deadline); err != nil {
			t.Fatal(err)
		}
	}
}

// restartProducer creates the regions of the next epoch in the consumer's base directory,
// as a restarted producer does, and hands the consumer its announce.
func restartProducer(t *testing.T, c *Consumer, l producer.Layout, pipe transport.Publication) *producer.Producer {
	t.Helper()
	l.Epoch++
	r, err := producer.CreateStandalone(producer.StandaloneConfig{BaseDir: c.cfg.AllowedBaseDirs[0], Namespace: "ns", InstanceID: "p", Layout: l})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Remove() })
	p, err := producer.New(r, producer.Config{Descriptors: pipe})
	if err != nil {
		t.Fatal(err)
	}
	buf := announceBytes(t, r, 1, uint64(c.cfg.Clock().Nanos()))
	if err := c.HandleControl(buf); err != nil {
		t.Fatalf("announce of the new epoch: %v", err)
	}
	if epoch, ok := c.Mapped(); !ok || epoch != l.Epoch {
		t.Fatalf("mapped %d %v after the new epoch's announce, want %d", epoch, ok, l.Epoch)
	}
	return p
}

// TestWireSpec_15_14_TruncatedRegionUnmapsAndRemaps cuts a mapped file below the slot
// being read. The fault must end as ErrRegionTruncated naming the file, one
// DropRegionTruncated and an unmap, not a crash; the next epoch maps and delivers again.
func TestWireSpec_15_14_TruncatedRegionUnmapsAndRemaps(t *testing.T) {
	var copied [4096]byte
	verify := func(f *Frame) {
		if msg := verifyChecked(f, 4096); msg != "" {
			t.Errorf("seq %d: %s", f.Seq, msg)
		}
	}
	cases := []struct {
		name    string
		pool    bool  // cut the payload pool, else the header ring
		size    int64 // the file's new length
		handler FrameHandler
		doWork  bool // meet the fault in DoWork's liveness check instead of Poll
	}{
		{name: "header ring", size: 4096, handler: verify},
		// The consumer never reads the payload itself: the handler meets the fault.
		{name: "payload pool read by handler", pool: true, size: 4096, handler: verify},
		{name: "payload pool copied by handler", pool: true, size: 4096, handler: func(f *Frame) { copy(copied[:], f.Payload) }},
		{name: "header ring superblock", size: 0, handler: verify, doWork: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := faultLayout()
			pipe := newPipe(t)
			p, r, c := mmapPair(t, l, pipe, tc.handler)
			const frames = 40
			publishN(t, p, frames)
			path := shm.HeaderRingPath(r.EpochDir())
			if tc.pool {
				path = shm.PayloadPoolPath(r.EpochDir(), 1)
			}
			// The producer must not touch its regions again: it would fault too.
			if err := os.Truncate(path, tc.size); err != nil {
				t.Fatal(err)
			}

			if tc.doWork {
				c.DoWork(c.cfg.Clock().Nanos())
			} else {
				for c.rd.Poll(pipe, 100) > 0 {
				}
			}
			if prev := debug.SetPanicOnFault(false); prev {
				t.Error("SetPanicOnFault left enabled")
			}
			err := c.ControlError()
			var fault *RegionFaultError
			if !errors.Is(err, ErrRegionTruncated) || !errors.As(err, &fault) {
				t.Fatalf("ControlError = %v, want ErrRegionTruncated", err)
			}
			if fault.Path != path || fault.Epoch != l.Epoch || fault.Offset < uint64(tc.size) {
				t.Errorf("fault %+v, want %s at or beyond %d", fault, path, tc.size)
			}
			cs := c.Counters()
			if cs.Drops[DropRegionTruncated] != 1 || cs.Unmaps != 1 {
				t.Fatalf("counters %+v, want one DropRegionTruncated and one unmap", cs)
			}
			if _, ok := c.Mapped(); ok {
				t.Fatal("still mapped after the fault")
			}
			if !tc.doWork && (cs.Frames == 0 || cs.Frames >= frames || cs.Drops[DropNotMapped] != frames-1-cs.Frames) {
				t.Fatalf("counters %+v: want the frames before the cut accepted, the rest dropped unmapped", cs)
			}

			p = restartProducer(t, c, l, pipe)
			for c.rd.Poll(pipe, 100) > 0 { // descriptors of the old epoch left in the log
			}
			before := c.Counters()
			publishN(t, p, 5)
			for c.rd.Poll(pipe, 100) > 0 {
			}
			after := c.Counters()
			if after.Frames != before.Frames+5 || after.Drops != before.Drops || c.ControlError() != nil {
				t.Fatalf("after the remap: counters %+v, before %+v", after, before)
			}
		})
	}
}

// TestWireSpec_15_21_FaultOutsideMappingStillPanics: only faults inside the consumer's
// own mapping are turned into a drop; a handler's own bug panics as before, unchanged, and
// leaves the mapping alone.
func TestWireSpec_15_21_FaultOutsideMappingStillPanics(t *testing.T) {
	var nilFrame *Frame
	boom := errors.New("boom")
	cases := []struct {
		name    string
		handler FrameHandler
		check   func(r any) bool
	}{
		{"nil dereference", func(*Frame) { _ = nilFrame.Seq }, func(r any) bool {
			_, ok := r.(runtime.Error)
			return ok
		}},
		{"panic value", func(*Frame) { panic(boom) }, func(r any) bool { return r == boom }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pipe := newPipe(t)
			p, _, c := mmapPair(t, faultLayout(), pipe, tc.handler)
			publishN(t, p, 1)
			func() {
				defer func() {
					if r := recover(); !tc.check(r) {
						t.Errorf("recovered %#v", r)
					}
				}()
				c.rd.Poll(pipe, 10)
				t.Error("Poll returned")
			}()
			if prev := debug.SetPanicOnFault(false); prev {
				t.Error("SetPanicOnFault left enabled")
			}
			if _, ok := c.Mapped(); !ok || c.Counters().Drops[DropRegionTruncated] != 0 || c.ControlError() != nil {
				t.Fatalf("the handler's panic was taken for a truncated region: %+v", c.Counters())
			}
		})
	}
}

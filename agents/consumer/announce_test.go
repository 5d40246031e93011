package consumer

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

func TestWireSpec_10_1_1_AnnounceFilter(t *testing.T) {
	const (
		mono     = 100_000_000_000
		realtime = 1_700_000_000_000_000_000
		window   = 3_000_000_000
		join     = 90_000_000_000
	)
	base := wire.ShmPoolAnnounce{StreamID: 7, Epoch: 5, AnnounceTimestampNs: mono - 1, AnnounceClockDomain: wire.ClockMonotonic, LayoutVersion: 1}
	type step struct {
		name   string
		mutate func(*wire.ShmPoolAnnounce)
		mapped uint64 // 0: unmapped
		want   AnnounceVerdict
	}
	steps := []step{
		{"another stream", func(a *wire.ShmPoolAnnounce) { a.StreamID = 8 }, 0, AnnounceIgnoreStream},
		{"another layout", func(a *wire.ShmPoolAnnounce) { a.LayoutVersion = 2 }, 0, AnnounceIgnoreLayoutVersion},
		{"no timestamp", func(a *wire.ShmPoolAnnounce) { a.AnnounceTimestampNs = 0 }, 0, AnnounceIgnoreNoTimestamp},
		{"null timestamp", func(a *wire.ShmPoolAnnounce) { a.AnnounceTimestampNs = ^uint64(0) }, 0, AnnounceIgnoreNoTimestamp},
		{"unknown clock domain", func(a *wire.ShmPoolAnnounce) { a.AnnounceClockDomain = 9 }, 0, AnnounceIgnoreClockDomain},
		{"monotonic before join: replay", func(a *wire.ShmPoolAnnounce) { a.AnnounceTimestampNs = join - 1 }, 0, AnnounceIgnoreBeforeJoin},
		{"monotonic stale", func(a *wire.ShmPoolAnnounce) { a.AnnounceTimestampNs = mono - window - 1 }, 0, AnnounceIgnoreStale},
		{"monotonic from the future", func(a *wire.ShmPoolAnnounce) { a.AnnounceTimestampNs = mono + window + 1 }, 0, AnnounceIgnoreStale},
		{"monotonic at the window edge", func(a *wire.ShmPoolAnnounce) { a.AnnounceTimestampNs = mono - window }, 0, AnnounceMap},
		// REALTIME_SYNCED is judged on the realtime clock and never by the join rule; the
		// reference compared it with the monotonic clock.
		{"realtime fresh", func(a *wire.ShmPoolAnnounce) {
			a.AnnounceClockDomain, a.AnnounceTimestampNs = wire.ClockRealtimeSynced, realtime-5
		}, 0, AnnounceMap},
		{"realtime stale", func(a *wire.ShmPoolAnnounce) {
			a.AnnounceClockDomain, a.AnnounceTimestampNs = wire.ClockRealtimeSynced, realtime-window-1
		}, 0, AnnounceIgnoreStale},
		{"realtime judged on the monotonic clock would pass", func(a *wire.ShmPoolAnnounce) {
			a.AnnounceClockDomain, a.AnnounceTimestampNs = wire.ClockRealtimeSynced, mono
		}, 0, AnnounceIgnoreStale},
		// An epoch judged but never mapped does not raise the bar.
		{"lower epoch than an unmapped higher one", func(a *wire.ShmPoolAnnounce) { a.Epoch = 2 }, 0, AnnounceMap},
		{"mapped epoch again", func(*wire.ShmPoolAnnounce) {}, 5, AnnounceRefresh},
		{"higher epoch", func(a *wire.ShmPoolAnnounce) { a.Epoch = 6 }, 5, AnnounceMap},
		// Prefer the highest epoch: a lower one never displaces it (the reference remapped).
		{"lower epoch after a higher one", func(a *wire.ShmPoolAnnounce) { a.Epoch = 5 }, 6, AnnounceIgnoreLowerEpoch},
		{"lower epoch while unmapped", func(a *wire.ShmPoolAnnounce) { a.Epoch = 4 }, 0, AnnounceIgnoreLowerEpoch},
	}
	f := AnnounceFilter{StreamID: 7, LayoutVersion: 1, FreshnessNs: window, JoinNs: join}
	for _, s := range steps {
		a := base
		s.mutate(&a)
		got := f.Judge(&a, mono, realtime, s.mapped, s.mapped != 0)
		if got != s.want {
			t.Fatalf("%s: %v, want %v", s.name, got, s.want)
		}
		// Steps with a mapped epoch model a consumer that maps what it is told to.
		if s.mapped != 0 {
			f.Mapped(s.mapped)
			if got == AnnounceMap {
				f.Mapped(a.Epoch)
			}
		}
	}
}

func TestAnnounceValidate(t *testing.T) {
	good := func() *wire.ShmPoolAnnounce {
		return announceFor(rigLayout(), "shm:file?path=/a/h", []string{"shm:file?path=/a/1", "shm:file?path=/a/2"}, 1)
	}
	for _, c := range []struct {
		name   string
		mutate func(*wire.ShmPoolAnnounce)
		want   error
	}{
		{"valid", func(*wire.ShmPoolAnnounce) {}, nil},
		{"slot bytes", func(a *wire.ShmPoolAnnounce) { a.HeaderSlotBytes = 128 }, ErrInvalidAnnounce},
		{"nslots", func(a *wire.ShmPoolAnnounce) { a.HeaderNslots = 6 }, ErrInvalidAnnounce},
		{"no header URI", func(a *wire.ShmPoolAnnounce) { a.HeaderRegionURI = "" }, ErrInvalidAnnounce},
		{"header URI scheme", func(a *wire.ShmPoolAnnounce) { a.HeaderRegionURI = "file:///a/h" }, shm.ErrInvalidURI},
		{"pool URI unknown parameter", func(a *wire.ShmPoolAnnounce) { a.PayloadPools[0].RegionURI += "|mode=rw" }, shm.ErrURIUnknownKey},
		{"no pools", func(a *wire.ShmPoolAnnounce) { a.PayloadPools = nil }, ErrInvalidAnnounce},
		{"pool nslots differ (§15.5)", func(a *wire.ShmPoolAnnounce) { a.PayloadPools[1].PoolNslots = 16 }, ErrInvalidAnnounce},
		{"duplicate pool id", func(a *wire.ShmPoolAnnounce) { a.PayloadPools[1].PoolID = 1 }, ErrInvalidAnnounce},
	} {
		a := good()
		c.mutate(a)
		if err := ValidateAnnounce(a); c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// standalone creates a producer's files for epoch under base at the rig's time.
func standalone(t *testing.T, base string, epoch uint64) *producer.Regions {
	t.Helper()
	l := rigLayout()
	l.Epoch = epoch
	r, err := producer.CreateStandalone(producer.StandaloneConfig{BaseDir: base, Namespace: "ns", InstanceID: "p", Layout: l, NowNs: rigNow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Remove() })
	return r
}

func wireAnnounce(t *testing.T, r *producer.Regions, ts int64) []byte {
	t.Helper()
	return announceBytes(t, r, 1, uint64(ts))
}

func newFileConsumer(t *testing.T, clock *fakeClock, allowed ...string) *Consumer {
	t.Helper()
	c, err := New(Config{StreamID: 7, Clock: clock.Now, AllowedBaseDirs: allowed}, func(*Frame) {})
	if err != nil {
		t.Fatal(err)
	}
	c.SetJoinTime(0)
	t.Cleanup(c.Close)
	return c
}

func TestDecodeAnnounceRoundTrip(t *testing.T) {
	r := standalone(t, t.TempDir(), 3)
	var a wire.ShmPoolAnnounce
	if err := a.Decode(wireAnnounce(t, r, rigNow)); err != nil {
		t.Fatal(err)
	}
	want := announceFor(rigLayout(), r.HeaderURI(), r.PoolURIs(), rigNow)
	if a.StreamID != want.StreamID || a.Epoch != want.Epoch || a.HeaderRegionURI != want.HeaderRegionURI || len(a.PayloadPools) != 2 ||
		a.PayloadPools[0] != want.PayloadPools[0] || a.PayloadPools[1] != want.PayloadPools[1] || a.AnnounceTimestampNs != rigNow || a.AnnounceClockDomain != wire.ClockMonotonic {
		t.Fatalf("decoded %+v, want %+v", a, *want)
	}
}

func TestWireSpec_15_21a_5_ContainmentAppliesToEveryURI(t *testing.T) {
	allowed, other := t.TempDir(), t.TempDir()
	clock := &fakeClock{now: rigNow}
	in := standalone(t, allowed, 3)
	out := standalone(t, other, 4)
	c := newFileConsumer(t, clock, allowed)

	if err := c.HandleControl(wireAnnounce(t, out, rigNow)); !errors.Is(err, shm.ErrPathOutsideBase) {
		t.Fatalf("announce outside the allowed base: %v", err)
	}
	// Header inside, one pool outside: rejected as a whole, nothing stays mapped (§15.22).
	mixed := announceFor(rigLayout(), in.HeaderURI(), []string{in.PoolURIs()[0], out.PoolURIs()[1]}, rigNow)
	if _, err := c.ApplyAnnounce(mixed); !errors.Is(err, shm.ErrPathOutsideBase) {
		t.Fatalf("mixed announce: %v", err)
	}
	if _, ok := c.Mapped(); ok {
		t.Fatal("a partially rejected announce left a mapping")
	}
	// A symlink inside the allowed base pointing outside it is resolved and rejected.
	link := filepath.Join(allowed, "escape.ring")
	if err := os.Symlink(filepath.Join(out.EpochDir(), "header.ring"), link); err != nil {
		t.Fatal(err)
	}
	sneaky := announceFor(rigLayout(), "shm:file?path="+link, in.PoolURIs(), rigNow)
	if _, err := c.ApplyAnnounce(sneaky); !errors.Is(err, shm.ErrPathOutsideBase) {
		t.Fatalf("symlink escape: %v", err)
	}
}

func TestWireSpec_15_2_RemapOnEpochChangePreferringHighest(t *testing.T) {
	base := t.TempDir()
	clock := &fakeClock{now: rigNow}
	c := newFileConsumer(t, clock, base)
	e3, e4 := standalone(t, base, 3), standalone(t, base, 4)

	if err := c.HandleControl(wireAnnounce(t, e3, rigNow)); err != nil {
		t.Fatal(err)
	}
	if epoch, ok := c.Mapped(); !ok || epoch != 3 {
		t.Fatalf("mapped %d %v", epoch, ok)
	}
	clock.now += 1000
	if err := c.HandleControl(wireAnnounce(t, e4, clock.now)); err != nil {
		t.Fatal(err)
	}
	if epoch, _ := c.Mapped(); epoch != 4 {
		t.Fatalf("mapped epoch %d after epoch 4 announce", epoch)
	}
	// A fresh announce of the older epoch (a second producer, a replay) is ignored.
	v, err := c.ApplyAnnounce(announceFor(rigLayout(), e3.HeaderURI(), e3.PoolURIs(), clock.now))
	if err != nil || v != AnnounceIgnoreLowerEpoch {
		t.Fatalf("older epoch: %v %v", v, err)
	}
	if epoch, _ := c.Mapped(); epoch != 4 {
		t.Fatalf("mapped epoch %d after the older announce", epoch)
	}
	cs := c.Counters()
	if cs.Remaps != 2 || cs.Unmaps != 1 {
		t.Fatalf("counters %+v", cs)
	}
	// Descriptors of the old epoch are dropped across the boundary (§15.21).
	d := wire.FrameDescriptor{StreamID: 7, Epoch: 3, Seq: 0}
	if got := c.rd.HandleDescriptor(encode(&d)); got != DropEpochMismatch {
		t.Fatalf("old-epoch descriptor: %v", got)
	}
}

func TestWireSpec_15_1_StaleActivityUnmapsUntilRefreshed(t *testing.T) {
	base := t.TempDir()
	clock := &fakeClock{now: rigNow}
	c := newFileConsumer(t, clock, base)
	r := standalone(t, base, 3)
	if err := c.HandleControl(wireAnnounce(t, r, rigNow)); err != nil {
		t.Fatal(err)
	}
	clock.now += c.cfg.FreshnessNs // at the edge: still alive
	if err := c.CheckLiveness(clock.now); err != nil {
		t.Fatal(err)
	}
	clock.now++
	if err := c.CheckLiveness(clock.now); !errors.Is(err, ErrStaleActivity) {
		t.Fatalf("liveness past the window: %v", err)
	}
	if _, ok := c.Mapped(); ok {
		t.Fatal("still mapped with a stale activity timestamp")
	}
	// Announced again but the producer is still silent: not mapped.
	if err := c.HandleControl(wireAnnounce(t, r, clock.now)); !errors.Is(err, ErrStaleActivity) {
		t.Fatalf("announce of a dead producer's regions: %v", err)
	}
	// The producer refreshes its superblocks: the next announce maps again.
	header, _ := shm.NewHeaderRing(headerBytes(t, r), 8)
	shm.StoreActivityTimestamp(header.Superblock(), uint64(clock.now))
	if err := c.HandleControl(wireAnnounce(t, r, clock.now)); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Mapped(); !ok {
		t.Fatal("not remapped after the activity refresh")
	}
}

func TestWireSpec_15_14_PidChangeUnmapsAndWaitsForNewEpoch(t *testing.T) {
	base := t.TempDir()
	clock := &fakeClock{now: rigNow}
	c := newFileConsumer(t, clock, base)
	r := standalone(t, base, 3)
	if err := c.HandleControl(wireAnnounce(t, r, rigNow)); err != nil {
		t.Fatal(err)
	}
	// Another process takes over the region: the superblock pid changes.
	sb := headerBytes(t, r)
	binaryPutPid(sb, 999999)
	err := c.HandleControl(wireAnnounce(t, r, rigNow+1))
	var le *LivenessError
	if !errors.Is(err, ErrPidChanged) || !errors.As(err, &le) || le.Field != "pid" || le.Value != 999999 {
		t.Fatalf("refresh after pid change: %v", err)
	}
	if _, ok := c.Mapped(); ok {
		t.Fatal("still mapped after a pid change")
	}
	if err := c.HandleControl(wireAnnounce(t, r, rigNow+2)); !errors.Is(err, ErrPidChanged) {
		t.Fatalf("same epoch after pid change: %v", err)
	}
	if err := c.HandleControl(wireAnnounce(t, standalone(t, base, 4), rigNow+3)); err != nil {
		t.Fatal(err)
	}
	if epoch, ok := c.Mapped(); !ok || epoch != 4 {
		t.Fatal("new epoch not mapped")
	}
}

// TestWireSpec_10_1_1_StandaloneProducerAnnounces: a standalone producer's DoWork emits
// ShmPoolAnnounce on its period; a consumer polling the control stream maps from it.
func TestWireSpec_10_1_1_StandaloneProducerAnnounces(t *testing.T) {
	base := t.TempDir()
	r := standalone(t, base, 3)
	control := newPipe(t)
	clock := &fakeClock{now: rigNow}
	p, err := producer.New(r, producer.Config{ProducerID: 4, Descriptors: control, Announce: control, Clock: clock.Now, AnnounceIntervalNs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	c := newFileConsumer(t, clock, base)
	p.DoWork(rigNow)
	p.DoWork(rigNow + 999) // not due yet
	if n := c.PollControl(control, 10); n != 1 {
		t.Fatalf("%d announces after one period", n)
	}
	if err := c.ControlError(); err != nil {
		t.Fatal(err)
	}
	if epoch, ok := c.Mapped(); !ok || epoch != 3 {
		t.Fatal("not mapped from the announce")
	}
	p.DoWork(rigNow + 1000)
	if n := c.PollControl(control, 10); n != 1 || p.Counters().AnnouncesSent != 2 {
		t.Fatalf("second period: %d announces, counters %+v", n, p.Counters())
	}
}

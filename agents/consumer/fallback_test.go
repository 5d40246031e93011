package consumer

import (
	"errors"
	"testing"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

func TestWireSpec_10_1_3_FallbackURISchemes(t *testing.T) {
	cases := []struct {
		uri string
		ok  bool
	}{
		{"aeron:udp?endpoint=10.0.0.2:40123", true},
		{"aeron:udp?endpoint=10.0.0.2:40123|interface=10.0.0.1|mtu=8192", true},
		{"aeron:ipc", true},
		{"aeron:ipc?term-length=4m", true},
		{"bridge://cam0-bridge", true},
		{"bridge://7", true},
		{"", false},
		{"aeron:", false},
		{"aeron:tcp?endpoint=x", false},
		{"aeron:udp?", false},
		{"aeron:udp?endpoint", false},
		{"aeron:udp?=x", false},
		{"aeron:udp?endpoint=a||mtu=1", false},
		{"bridge://", false},
		{"bridge://a/b", false},
		{"http://example.com/frames", false},
		{"shm:file?path=/dev/shm/x", false},
		{"ftp://host", false},
		{"AERON:udp?endpoint=x", false},
		{"aeron:udp?endpoint=a b", false},
		{"bridge://\x00", false},
	}
	for _, tc := range cases {
		err := ValidateFallbackURI(tc.uri)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrUnsupportedFallbackURI)) {
			t.Errorf("%q: %v, want ok %v", tc.uri, err, tc.ok)
		}
	}
	if _, err := New(Config{StreamID: 7, PayloadFallbackURI: "gopher://x"}, func(*Frame) {}); !errors.Is(err, ErrUnsupportedFallbackURI) {
		t.Fatalf("New with an unsupported fallback URI: %v", err)
	}
}

func newFallbackConsumer(t *testing.T, clock *fakeClock, fallbackURI string, allowed ...string) *Consumer {
	t.Helper()
	c, err := New(Config{StreamID: 7, ConsumerID: 11, Clock: clock.Now, AllowedBaseDirs: allowed, PayloadFallbackURI: fallbackURI}, func(*Frame) {})
	if err != nil {
		t.Fatal(err)
	}
	c.SetJoinTime(0)
	t.Cleanup(c.Close)
	return c
}

func configMsg(useShm bool, fallbackURI string) []byte {
	a := wire.ConsumerConfig{StreamID: 7, ConsumerID: 11, UseShm: useShm, Mode: wire.ModeStream, PayloadFallbackURI: fallbackURI}
	return encoded(&a)
}

// TestWireSpec_15_12_UseShmFalseEntersFallback: a ConsumerConfig with use_shm = false
// unmaps and puts the consumer in FALLBACK with the fallback URI in force, until a config
// allows SHM again (§10.1.3, §15.12).
func TestWireSpec_15_12_UseShmFalseEntersFallback(t *testing.T) {
	const local, bridged = "aeron:udp?endpoint=10.0.0.2:40123", "bridge://7"
	cases := []struct {
		name     string
		local    string // Config.PayloadFallbackURI
		assigned string // ConsumerConfig.payload_fallback_uri
		want     string
		wantErr  error
	}{
		{name: "no fallback URI anywhere"},
		{name: "configured fallback", local: local, want: local},
		{name: "the ConsumerConfig's fallback wins", local: local, assigned: bridged, want: bridged},
		{name: "unsupported assigned scheme: the configured one", local: local, assigned: "ftp://x", want: local, wantErr: ErrUnsupportedFallbackURI},
		{name: "unsupported assigned scheme and none configured", assigned: "ftp://x", wantErr: ErrUnsupportedFallbackURI},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			clock := &fakeClock{now: rigNow}
			r := standalone(t, base, 3)
			c := newFallbackConsumer(t, clock, tc.local, base)
			if err := c.HandleControl(wireAnnounce(t, r, rigNow)); err != nil {
				t.Fatal(err)
			}
			for range 2 { // the producer answers every hello: a repeat changes nothing
				if err := c.HandleControl(configMsg(false, tc.assigned)); !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
					t.Fatalf("config: %v, want %v", err, tc.wantErr)
				}
			}
			if uri, active := c.Fallback(); !active || uri != tc.want {
				t.Fatalf("Fallback() = %q %v, want %q true", uri, active, tc.want)
			}
			if _, mapped := c.Mapped(); mapped {
				t.Fatal("SHM still mapped with use_shm false")
			}
			if v, err := c.ApplyAnnounce(announceFor(rigLayout(), r.HeaderURI(), r.PoolURIs(), clock.now)); v != AnnounceIgnoreNoShm || err != nil {
				t.Fatalf("announce in FALLBACK: %v %v", v, err)
			}
			if d := c.rd.HandleDescriptor(encode(&wire.FrameDescriptor{StreamID: 7, Epoch: 3})); d != DropNotMapped {
				t.Fatalf("descriptor in FALLBACK: %v", d)
			}
			if k := c.Counters(); k.Fallbacks != 1 || k.Rejections != 0 {
				t.Fatalf("counters %+v", k)
			}
			if err := c.HandleControl(configMsg(true, tc.assigned)); !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("config allowing SHM: %v", err)
			}
			if _, active := c.Fallback(); active {
				t.Fatal("still in FALLBACK after use_shm true")
			}
			if err := c.HandleControl(wireAnnounce(t, r, clock.now)); err != nil {
				t.Fatal(err)
			}
			if _, mapped := c.Mapped(); !mapped {
				t.Fatal("not mapped again after use_shm true")
			}
		})
	}
}

// TestWireSpec_15_22_RejectedRegionsFallBack: an announced epoch whose regions fail
// validation is never partially consumed; with a fallback URI the consumer enters
// FALLBACK and does not retry that epoch, without one it fails with the diagnostic and
// tries again on the next announce. A newer epoch that validates ends the fallback.
func TestWireSpec_15_22_RejectedRegionsFallBack(t *testing.T) {
	const fallback = "bridge://cam0"
	type env struct{ allowed, other string }
	cases := []struct {
		name      string
		noBaseDir bool
		announce  func(t *testing.T, e env) *wire.ShmPoolAnnounce
		cause     error
	}{
		{name: "region outside the allowed base (§15.21a.5)", cause: shm.ErrPathOutsideBase,
			announce: func(t *testing.T, e env) *wire.ShmPoolAnnounce {
				out := standalone(t, e.other, 3)
				return announceFor(rigLayout(), out.HeaderURI(), out.PoolURIs(), rigNow)
			}},
		{name: "one pool of several outside", cause: shm.ErrPathOutsideBase,
			announce: func(t *testing.T, e env) *wire.ShmPoolAnnounce {
				in, out := standalone(t, e.allowed, 3), standalone(t, e.other, 3)
				return announceFor(rigLayout(), in.HeaderURI(), []string{in.PoolURIs()[0], out.PoolURIs()[1]}, rigNow)
			}},
		{name: "unknown URI parameter (§15.22)", cause: shm.ErrURIUnknownKey,
			announce: func(t *testing.T, e env) *wire.ShmPoolAnnounce {
				in := standalone(t, e.allowed, 3)
				return announceFor(rigLayout(), in.HeaderURI(), []string{in.PoolURIs()[0], in.PoolURIs()[1] + "|mode=rw"}, rigNow)
			}},
		{name: "superblock disagrees with the announce (§15.1)",
			announce: func(t *testing.T, e env) *wire.ShmPoolAnnounce {
				in := standalone(t, e.allowed, 3)
				a := announceFor(rigLayout(), in.HeaderURI(), in.PoolURIs(), rigNow)
				a.PayloadPools[0].StrideBytes *= 2
				return a
			}},
		{name: "no allowed base directory configured", noBaseDir: true, cause: ErrInvalidAnnounce,
			announce: func(t *testing.T, e env) *wire.ShmPoolAnnounce {
				in := standalone(t, e.allowed, 3)
				return announceFor(rigLayout(), in.HeaderURI(), in.PoolURIs(), rigNow)
			}},
	}
	for _, tc := range cases {
		for _, withFallback := range []bool{true, false} {
			name := tc.name + " without fallback"
			if withFallback {
				name = tc.name + " with fallback"
			}
			t.Run(name, func(t *testing.T) {
				e := env{allowed: t.TempDir(), other: t.TempDir()}
				clock := &fakeClock{now: rigNow}
				uri := ""
				if withFallback {
					uri = fallback
				}
				var allowed []string
				if !tc.noBaseDir {
					allowed = []string{e.allowed}
				}
				c := newFallbackConsumer(t, clock, uri, allowed...)
				a := tc.announce(t, e)
				for attempt := 1; attempt <= 2; attempt++ {
					v, err := c.ApplyAnnounce(a)
					if _, mapped := c.Mapped(); mapped {
						t.Fatal("a rejected epoch left a mapping")
					}
					if d := c.rd.HandleDescriptor(encode(&wire.FrameDescriptor{StreamID: 7, Epoch: 3})); d != DropNotMapped {
						t.Fatalf("descriptor of the rejected epoch: %v", d)
					}
					got, active := c.Fallback()
					k := c.Counters()
					switch {
					case withFallback && attempt == 1:
						var fe *FallbackError
						if !errors.Is(err, ErrFallback) || !errors.As(err, &fe) || fe.URI != fallback || fe.Epoch != 3 || (tc.cause != nil && !errors.Is(err, tc.cause)) {
							t.Fatalf("rejection: %v", err)
						}
						if !active || got != fallback || k.Rejections != 1 || k.Fallbacks != 1 {
							t.Fatalf("Fallback() = %q %v, counters %+v", got, active, k)
						}
					case withFallback:
						if v != AnnounceIgnoreFallback || err != nil || k.Rejections != 1 {
							t.Fatalf("the rejected epoch again: %v %v, counters %+v", v, err, k)
						}
					default:
						if v != AnnounceMap || err == nil || errors.Is(err, ErrFallback) || (tc.cause != nil && !errors.Is(err, tc.cause)) {
							t.Fatalf("rejection without fallback: %v %v", v, err)
						}
						if active || k.Rejections != uint64(attempt) || k.Fallbacks != 0 {
							t.Fatalf("Fallback() = %q %v, counters %+v", got, active, k)
						}
					}
				}
				if withFallback {
					// A ConsumerConfig allowing SHM does not retry the rejected epoch.
					if err := c.HandleControl(configMsg(true, "")); err != nil {
						t.Fatal(err)
					}
					if got, active := c.Fallback(); !active || got != fallback {
						t.Fatalf("use_shm true ended a rejection fallback: %q %v", got, active)
					}
				}
				if tc.noBaseDir {
					return
				}
				next := standalone(t, e.allowed, 4)
				if err := c.HandleControl(wireAnnounce(t, next, rigNow)); err != nil {
					t.Fatal(err)
				}
				if epoch, mapped := c.Mapped(); !mapped || epoch != 4 {
					t.Fatal("a valid newer epoch not mapped")
				}
				if _, active := c.Fallback(); active {
					t.Fatal("still in FALLBACK with a newer epoch mapped")
				}
			})
		}
	}
}

// TestWireSpec_15_1_RemapFailureFallsBack: the mapped epoch's superblock stops matching
// and cannot be mapped again: the consumer falls back instead of consuming it.
func TestWireSpec_15_1_RemapFailureFallsBack(t *testing.T) {
	base := t.TempDir()
	clock := &fakeClock{now: rigNow}
	r := standalone(t, base, 3)
	c := newFallbackConsumer(t, clock, "aeron:ipc", base)
	if err := c.HandleControl(wireAnnounce(t, r, rigNow)); err != nil {
		t.Fatal(err)
	}
	headerBytes(t, r)[0] ^= 0xFF // magic
	if err := c.HandleControl(wireAnnounce(t, r, rigNow+1)); !errors.Is(err, ErrFallback) {
		t.Fatalf("refresh of a corrupted region: %v", err)
	}
	if uri, active := c.Fallback(); !active || uri != "aeron:ipc" {
		t.Fatalf("Fallback() = %q %v", uri, active)
	}
	if _, mapped := c.Mapped(); mapped {
		t.Fatal("corrupted region still mapped")
	}
}

// TestWireSpec_15_14_LivenessIsNotARejection: a stale activity timestamp means a dead
// producer, not invalid regions: the consumer waits for it rather than falling back.
func TestWireSpec_15_14_LivenessIsNotARejection(t *testing.T) {
	base := t.TempDir()
	clock := &fakeClock{now: rigNow}
	r := standalone(t, base, 3)
	c := newFallbackConsumer(t, clock, "aeron:ipc", base)
	clock.now += c.cfg.FreshnessNs + 1
	if err := c.HandleControl(wireAnnounce(t, r, clock.now)); !errors.Is(err, ErrStaleActivity) || errors.Is(err, ErrFallback) {
		t.Fatalf("announce of a silent producer: %v", err)
	}
	if _, active := c.Fallback(); active || c.Counters().Rejections != 0 {
		t.Fatalf("fell back on liveness: %+v", c.Counters())
	}
}

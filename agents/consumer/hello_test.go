package consumer

import (
	"errors"
	"testing"

	"github.com/tensorpool/tensorpool/agents/producer"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// decodeHello reads a hello back; null hints read as 0 (wire.ConsumerHello).
func decodeHello(t *testing.T, buf []byte) wire.ConsumerHello {
	t.Helper()
	var h wire.ConsumerHello
	if err := h.Decode(buf); err != nil {
		t.Fatalf("not a ConsumerHello: %v", err)
	}
	return h
}

func TestWireSpec_10_1_2_HelloEncoding(t *testing.T) {
	const nInterval, nBytes, nMajor = 0, 0, 0 // null on the wire
	tests := []struct {
		name                   string
		hello                  wire.ConsumerHello
		interval, bytes, major uint32
		wantErr                bool
	}{
		// The reference left the major-delta hint set when progress was unsupported.
		{name: "hints nulled without progress", hello: wire.ConsumerHello{ProgressIntervalUs: 100, ProgressBytesDelta: 4096, ProgressMajorDeltaUnits: 8},
			interval: nInterval, bytes: nBytes, major: nMajor},
		{name: "hints sent with progress", hello: wire.ConsumerHello{SupportsProgress: true, ProgressIntervalUs: 100, ProgressBytesDelta: 4096, ProgressMajorDeltaUnits: 8},
			interval: 100, bytes: 4096, major: 8},
		{name: "unset hint is null", hello: wire.ConsumerHello{SupportsProgress: true, ProgressIntervalUs: 250},
			interval: 250, bytes: nBytes, major: nMajor},
		{name: "descriptor channel with id 0", hello: wire.ConsumerHello{DescriptorChannel: "aeron:ipc"}, wantErr: true},
		{name: "control id without channel", hello: wire.ConsumerHello{ControlStreamID: 1200}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.hello
			h.StreamID, h.ConsumerID, h.Mode = 7, 11, wire.ModeStream
			buf := make([]byte, 256)
			n, err := EncodeHello(buf, &h)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidHello) || n != 0 {
					t.Fatalf("n=%d err=%v, want ErrInvalidHello", n, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := decodeHello(t, buf[:n])
			if m.ProgressIntervalUs != tt.interval || m.ProgressBytesDelta != tt.bytes || m.ProgressMajorDeltaUnits != tt.major {
				t.Fatalf("hints %d/%d/%d, want %d/%d/%d", m.ProgressIntervalUs, m.ProgressBytesDelta, m.ProgressMajorDeltaUnits, tt.interval, tt.bytes, tt.major)
			}
		})
	}
	h := wire.ConsumerHello{StreamID: 7, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1100}
	if _, err := EncodeHello(make([]byte, h.EncodedLength()-1), &h); !errors.Is(err, ErrInvalidHello) {
		t.Fatalf("short buffer: %v", err)
	}
}

func TestWireSpec_10_1_2_MaxRateHzIsU32(t *testing.T) {
	for _, hz := range []uint32{0, 1, 65535, 65536, 1 << 31} {
		h := wire.ConsumerHello{StreamID: 7, ConsumerID: 11, Mode: wire.ModeRateLimited, MaxRateHz: hz}
		buf := make([]byte, 256)
		n, err := EncodeHello(buf, &h)
		if err != nil {
			t.Fatal(err)
		}
		// 0 is unlimited and stays 0 on the wire, never 0xFFFFFFFF.
		if got := decodeHello(t, buf[:n]).MaxRateHz; got != hz {
			t.Fatalf("max_rate_hz %d encoded as %d", hz, got)
		}
	}
}

// TestWireSpec_10_1_3_HelloConfigRoundTrip runs hello → producer → ConsumerConfig → consumer.
func TestWireSpec_10_1_3_HelloConfigRoundTrip(t *testing.T) {
	c, err := New(Config{StreamID: 7, ConsumerID: 11, Mode: wire.ModeRateLimited, MaxRateHz: 5,
		DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1100}, func(*Frame) {})
	if err != nil {
		t.Fatal(err)
	}
	h := c.Hello()
	buf := make([]byte, 512)
	n, err := EncodeHello(buf, &h)
	if err != nil {
		t.Fatal(err)
	}
	ph := decodeHello(t, buf[:n])
	if ph.MaxRateHz != 5 || ph.Mode != wire.ModeRateLimited || ph.DescriptorStreamID != 1100 || ph.ExpectedLayoutVersion != h.ExpectedLayoutVersion {
		t.Fatalf("producer read %+v", ph)
	}
	table, err := producer.NewConsumers(7, 1e9, func(string, int32) transport.Pending[transport.Publication] {
		return transport.Ready[transport.Publication](nopPub{}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	pa, ok, err := table.HandleHello(&ph, 0)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := c.HandleControl(encoded(&pa)); err != nil {
		t.Fatal(err)
	}
	a := c.Assigned()
	if a.DescriptorStreamID != 1100 || a.DescriptorChannel != "aeron:ipc" || a.ControlStreamID != 0 || c.Counters().Configs != 1 {
		t.Fatalf("assigned %+v, counters %+v", a, c.Counters())
	}
	// The next hello re-requests what was assigned.
	if h := c.Hello(); h.DescriptorStreamID != 1100 {
		t.Fatalf("hello after config %+v", h)
	}
}

type nopPub struct{ transport.Publication }

func (nopPub) Close() error { return nil }

func TestWireSpec_10_1_3_ApplyConfig(t *testing.T) {
	encode := func(a wire.ConsumerConfig) []byte { return encoded(&a) }
	tests := []struct {
		name     string
		cfg      wire.ConsumerConfig
		applied  bool
		mode     wire.Mode
		descID   uint32
		ctrlID   uint32
		unmapped bool
	}{
		{name: "another consumer", cfg: wire.ConsumerConfig{StreamID: 7, ConsumerID: 12, UseShm: true, Mode: wire.ModeRateLimited}, mode: wire.ModeStream},
		{name: "another stream", cfg: wire.ConsumerConfig{StreamID: 8, ConsumerID: 11, UseShm: true, Mode: wire.ModeRateLimited}, mode: wire.ModeStream},
		{name: "forced rate limited", cfg: wire.ConsumerConfig{StreamID: 7, ConsumerID: 11, UseShm: true, Mode: wire.ModeRateLimited}, applied: true, mode: wire.ModeRateLimited},
		{name: "streams assigned", applied: true, mode: wire.ModeStream, descID: 1100, ctrlID: 1200,
			cfg: wire.ConsumerConfig{StreamID: 7, ConsumerID: 11, UseShm: true, Mode: wire.ModeStream, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1100, ControlChannel: "aeron:ipc", ControlStreamID: 1200}},
		{name: "half assignment stays shared", applied: true, mode: wire.ModeStream,
			cfg: wire.ConsumerConfig{StreamID: 7, ConsumerID: 11, UseShm: true, Mode: wire.ModeStream, DescriptorChannel: "aeron:ipc", ControlStreamID: 1200}},
		{name: "use_shm false unmaps", applied: true, mode: wire.ModeStream, unmapped: true,
			cfg: wire.ConsumerConfig{StreamID: 7, ConsumerID: 11, Mode: wire.ModeStream, PayloadFallbackURI: "bridge://1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			if err := r.c.HandleControl(encode(tt.cfg)); err != nil {
				t.Fatal(err)
			}
			a := r.c.Assigned()
			if got := r.c.Counters().Configs == 1; got != tt.applied {
				t.Fatalf("applied = %v", got)
			}
			if r.c.cfg.Mode != tt.mode || a.DescriptorStreamID != tt.descID || a.ControlStreamID != tt.ctrlID {
				t.Fatalf("mode %v, assigned %+v", r.c.cfg.Mode, a)
			}
			if (a.DescriptorStreamID == 0) != (a.DescriptorChannel == "") || (a.ControlStreamID == 0) != (a.ControlChannel == "") {
				t.Fatalf("half an assignment kept: %+v", a)
			}
			if _, mapped := r.c.Mapped(); mapped == tt.unmapped {
				t.Fatalf("mapped = %v", mapped)
			}
			if tt.unmapped {
				ann := announceFor(r.layout, "shm:file?path=/heap/header", []string{"shm:file?path=/heap/pool", "shm:file?path=/heap/pool"}, r.clock.now)
				if v, err := r.c.ApplyAnnounce(ann); v != AnnounceIgnoreNoShm || err != nil {
					t.Fatalf("announce with use_shm false: %v %v", v, err)
				}
				if a.PayloadFallbackURI != "bridge://1" {
					t.Fatalf("fallback %q", a.PayloadFallbackURI)
				}
			}
		})
	}
}

func TestWireSpec_10_1_3_MalformedConfigCounted(t *testing.T) {
	r := newRig(t)
	a := wire.ConsumerConfig{StreamID: 7, ConsumerID: 11, UseShm: true, Mode: wire.ModeStream, DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1100}
	buf := encoded(&a)
	for _, bad := range [][]byte{buf[:len(buf)-3], buf[:wire.HeaderLength+4]} {
		if err := r.c.HandleControl(bad); err == nil {
			t.Fatal("truncated ConsumerConfig accepted")
		}
	}
	if k := r.c.Counters(); k.ConfigsInvalid != 2 || k.Configs != 0 {
		t.Fatalf("counters %+v", k)
	}
	if _, mapped := r.c.Mapped(); !mapped {
		t.Fatal("a malformed config changed the mapping")
	}
}

func TestWireSpec_10_1_2_HelloOnDoWork(t *testing.T) {
	if _, err := New(Config{StreamID: 7, DescriptorChannel: "aeron:ipc"}, func(*Frame) {}); !errors.Is(err, ErrInvalidHello) {
		t.Fatalf("channel without id: %v", err)
	}
	pipe := newPipe(t)
	c, err := New(Config{StreamID: 7, ConsumerID: 11, Hellos: pipe, HelloIntervalNs: 100,
		ControlChannel: "aeron:ipc", ControlStreamID: 1200}, func(*Frame) {})
	if err != nil {
		t.Fatal(err)
	}
	for now := int64(1); now <= 250; now += 10 {
		c.DoWork(now)
	}
	var hellos []wire.ConsumerHello
	for pipe.Poll(func(buf []byte, _ *transport.Header) {
		hellos = append(hellos, decodeHello(t, buf))
	}, 10) > 0 {
	}
	if len(hellos) != 3 || c.Counters().HelloSent != 3 {
		t.Fatalf("%d hellos in 250 ns at a 100 ns period", len(hellos))
	}
	if h := hellos[0]; h.ConsumerID != 11 || h.ControlStreamID != 1200 || h.ControlChannel != "aeron:ipc" || h.Mode != wire.ModeStream || h.MaxRateHz != 0 {
		t.Fatalf("hello %+v", h)
	}
}

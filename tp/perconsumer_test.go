package tp

import (
	"errors"
	"testing"
	"time"

	"github.com/tensorpool/tensorpool/config"
	"github.com/tensorpool/tensorpool/wire"
)

// TestDriverSpec_11_PerConsumerStreamsThroughTheDriver: a consumer asks for per-consumer
// descriptor and control streams; the driver assigns them from its ranges and answers
// with a ConsumerConfig, which the producer follows (it publishes there too, capped at
// the consumer's max_rate_hz) and the consumer follows (it reads frames and FrameProgress
// there). Without ranges the driver declines and frames stay on the shared stream.
func TestDriverSpec_11_PerConsumerStreamsThroughTheDriver(t *testing.T) {
	for _, ranges := range []bool{true, false} {
		name := "assigned"
		if !ranges {
			name = "declined"
		}
		t.Run(name, func(t *testing.T) {
			c, _, _ := startClientWith(t, []uint32{4096, 64 << 10}, func(cfg *config.DriverConfig) {
				cfg.Policies.AnnouncePeriodMs = 100
				if ranges {
					cfg.Driver.DescriptorStreamIDRange = config.StreamIDRange{First: 46000, Last: 46009}
					cfg.Driver.ControlStreamIDRange = config.StreamIDRange{First: 46100, Last: 46109}
				}
			}, Options{Consumer: ConsumerOptions{Mode: wire.ModeRateLimited, MaxRateHz: 1000, Progress: true,
				DescriptorChannel: "aeron:ipc", DescriptorStreamID: 1, ControlChannel: "aeron:ipc", ControlStreamID: 1}})
			var frames int
			p, cs := attachBoth(t, c, func(f *Frame) { frames++ })
			sameEpoch(t, p, cs)
			if ranges {
				eventually(t, "the consumer on its assigned descriptor stream", cs, func() bool {
					id := cs.Stats().DescriptorStreamID
					return id >= 46000 && id <= 46009
				})
			}
			// Frames with progress until the consumer has seen one complete (progress is a
			// hint: one sent while a stream was still connecting is lost; and only frames of
			// at least the 64 KiB bytes delta carry it), then frames faster than the 1 kHz
			// cap for 200 ms.
			want := pattern(64<<10, 3)
			eventually(t, "a frame's progress", cs, func() bool {
				claim, err := p.Claim(len(want))
				if err != nil {
					if errors.Is(err, ErrNotAttached) {
						return false
					}
					t.Fatal(err)
				}
				copy(claim.Payload(), want)
				if err := claim.Progress(32 << 10); err != nil {
					t.Fatal(err)
				}
				err = claim.Commit(Shape{DType: Uint8, Dims: []int32{int32(len(want))}})
				if err != nil && !errors.Is(err, ErrNoSubscriber) && !errors.Is(err, ErrBackPressured) {
					t.Fatal(err)
				}
				time.Sleep(2 * time.Millisecond) // more than the 1 kHz cap's period
				cs.Poll(10)
				v, ok := cs.Progress()
				return !ranges || (ok && v.State == wire.ProgressStateComplete)
			})
			start := time.Now()
			end := start.Add(200 * time.Millisecond)
			before := p.Stats().PerConsumerDescriptors
			for time.Now().Before(end) {
				// With every reader on its own stream, a frame the rate cap withholds reaches
				// nobody: the producer reports it as such and reuses its sequence number.
				if err := p.Offer(Tensor{Shape: Shape{DType: Uint8, Dims: []int32{64}}, Data: want[:64]}); err != nil &&
					!errors.Is(err, ErrBackPressured) && !errors.Is(err, ErrNoSubscriber) {
					t.Fatal(err)
				}
				cs.Poll(64)
			}
			for cs.Poll(64) > 0 {
			}
			ps, st := p.Stats(), cs.Stats()
			capped := uint64(time.Since(start).Seconds()*1000) + 5 // 1 kHz, and a little slack
			if ps.Consumers != 1 {
				t.Fatalf("producer knows %d consumers, want 1", ps.Consumers)
			}
			switch {
			case ranges && (ps.PerConsumerDescriptors == before || ps.PerConsumerDescriptors-before > capped || ps.Dropped == 0):
				t.Fatalf("per-consumer descriptors %d in the window (cap %d), %d frames withheld", ps.PerConsumerDescriptors-before, capped, ps.Dropped)
			case ranges && (st.Frames == 0 || st.Frames > ps.PerConsumerDescriptors):
				t.Fatalf("consumer read %d frames, %d were sent on its stream", st.Frames, ps.PerConsumerDescriptors)
			case !ranges && (ps.PerConsumerDescriptors != 0 || st.DescriptorStreamID != 0 || st.Frames == 0):
				t.Fatalf("declined: %d per-consumer descriptors, stream %d, %d frames read", ps.PerConsumerDescriptors, st.DescriptorStreamID, st.Frames)
			}
			if frames == 0 {
				t.Fatal("no frame handled")
			}
		})
	}
}

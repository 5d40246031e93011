package consumer

import (
	"errors"
	"fmt"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
)

// ErrInvalidHello is what every *HelloError unwraps to.
var ErrInvalidHello = errors.New("consumer: invalid hello")

// HelloError rejects a ConsumerHello the consumer must not send (§10.1.2).
type HelloError struct {
	Field   string
	Problem string
}

func (e *HelloError) Error() string {
	return fmt.Sprintf("consumer: hello %s: %s (§10.1.2)", e.Field, e.Problem)
}

func (e *HelloError) Unwrap() error { return ErrInvalidHello }

func checkRequest(field, channel string, streamID uint32) error {
	switch {
	case channel != "" && streamID == 0:
		return &HelloError{Field: field + "_channel", Problem: "channel requested with stream id 0"}
	case channel == "" && streamID != 0:
		return &HelloError{Field: field + "_stream_id", Problem: "stream id requested without a channel"}
	}
	return nil
}

// EncodeHello writes h at the start of buf and returns the length written. It refuses a
// half request (§10.1.2) and a buffer shorter than h.EncodedLength(). Every progress hint
// goes out null unless h says supports_progress (the reference left the major-delta hint
// set by mistake).
func EncodeHello(buf []byte, h *wire.ConsumerHello) (int, error) {
	if err := errors.Join(checkRequest("descriptor", h.DescriptorChannel, h.DescriptorStreamID),
		checkRequest("control", h.ControlChannel, h.ControlStreamID)); err != nil {
		return 0, err
	}
	if n := h.EncodedLength(); len(buf) < n {
		return 0, &HelloError{Field: "buffer", Problem: fmt.Sprintf("%d bytes, need %d", len(buf), n)}
	}
	m := *h
	if !m.SupportsProgress {
		m.ProgressIntervalUs, m.ProgressBytesDelta, m.ProgressMajorDeltaUnits = 0, 0, 0
	}
	return m.Encode(buf)
}

// Hello returns this consumer's ConsumerHello: its mode and rate cap, whether it takes
// FrameProgress and its progress hints (Config.Progress), and the per-consumer streams it
// requested, or re-requests those it was assigned.
func (c *Consumer) Hello() wire.ConsumerHello {
	h := wire.ConsumerHello{
		StreamID:              c.cfg.StreamID,
		ConsumerID:            c.cfg.ConsumerID,
		SupportsShm:           true,
		SupportsProgress:      c.cfg.Progress,
		Mode:                  c.cfg.Mode,
		MaxRateHz:             c.cfg.MaxRateHz,
		ExpectedLayoutVersion: shm.LayoutVersion,
		DescriptorChannel:     c.cfg.DescriptorChannel,
		DescriptorStreamID:    c.cfg.DescriptorStreamID,
		ControlChannel:        c.cfg.ControlChannel,
		ControlStreamID:       c.cfg.ControlStreamID,
	}
	if c.cfg.Progress {
		h.ProgressIntervalUs, h.ProgressBytesDelta, h.ProgressMajorDeltaUnits =
			c.cfg.ProgressIntervalUs, c.cfg.ProgressBytesDelta, c.cfg.ProgressMajorDeltaUnits
	}
	if a := c.assigned; a.DescriptorStreamID != 0 {
		h.DescriptorChannel, h.DescriptorStreamID = a.DescriptorChannel, a.DescriptorStreamID
	}
	if a := c.assigned; a.ControlStreamID != 0 {
		h.ControlChannel, h.ControlStreamID = a.ControlChannel, a.ControlStreamID
	}
	return h
}

// ApplyConfig applies a ConsumerConfig addressed to this consumer and reports whether it
// was: the mode (keeping the configured rate cap), use_shm and the assigned streams,
// which Assigned returns for the caller to subscribe to. use_shm = false unmaps and puts
// the consumer in the FALLBACK state (Fallback) until a later config allows SHM again
// (§10.1.3, §15.12). A payload_fallback_uri with an unsupported scheme is not used; that
// error is kept for ControlError. A half assignment (a channel without a stream id, or an
// id without a channel) is not an assignment (§10.1.3): both halves are cleared.
func (c *Consumer) ApplyConfig(a *wire.ConsumerConfig) bool {
	ok, err := c.applyConfig(a)
	if err != nil {
		c.controlErr = err
	}
	return ok
}

func (c *Consumer) applyConfig(a *wire.ConsumerConfig) (bool, error) {
	if a.StreamID != c.cfg.StreamID || a.ConsumerID != c.cfg.ConsumerID {
		return false, nil
	}
	c.SetMode(a.Mode, c.cfg.MaxRateHz)
	c.assigned = *a
	if c.assigned.DescriptorChannel == "" || c.assigned.DescriptorStreamID == 0 {
		c.assigned.DescriptorChannel, c.assigned.DescriptorStreamID = "", 0
	}
	if c.assigned.ControlChannel == "" || c.assigned.ControlStreamID == 0 {
		c.assigned.ControlChannel, c.assigned.ControlStreamID = "", 0
	}
	c.counters.Configs++
	uri, err := c.fallbackURI()
	c.noShm = !a.UseShm
	switch {
	case c.noShm:
		c.Unmap()
		c.enterFallback(uri, false, 0)
	case c.fallback.rejected:
		if uri != "" {
			c.fallback.uri = uri // still off the rejected epoch; the newest URI applies
		}
	default:
		c.fallback = fallbackState{} // SHM allowed again: wait for an announce (M0)
	}
	return true, err
}

// Assigned returns the last ConsumerConfig applied; zero stream ids mean the shared
// streams.
func (c *Consumer) Assigned() wire.ConsumerConfig { return c.assigned }

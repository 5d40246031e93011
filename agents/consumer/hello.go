package consumer

import (
	"errors"
	"fmt"
	"github.com/tensorpool/tensorpool/agents/internal/consumercfg"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
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

// Hello is the content of a ConsumerHello (§10.1.2).
type Hello struct {
	StreamID              uint32
	ConsumerID            uint32
	SupportsShm           bool
	SupportsProgress      bool
	Mode                  control.Mode
	MaxRateHz             uint32 // 0: unlimited, as on the wire; never a sentinel
	ExpectedLayoutVersion uint32
	// Progress hints, sent only when SupportsProgress; 0 means "producer default" and is
	// encoded as the field's null value (§10.1).
	ProgressIntervalUs      uint32
	ProgressBytesDelta      uint32
	ProgressMajorDeltaUnits uint32
	// Per-consumer stream requests: a channel and a non-zero stream id, or neither.
	DescriptorStreamID uint32
	ControlStreamID    uint32
	DescriptorChannel  string
	ControlChannel     string
}

// HelloLength is the encoded length of h, message header included.
func HelloLength(h *Hello) int {
	const varHeader = 4
	return wire.HeaderLength + int(control.ConsumerHelloSbeBlockLength) +
		2*varHeader + len(h.DescriptorChannel) + len(h.ControlChannel)
}

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
// half request (§10.1.2) and a buffer shorter than HelloLength(h).
func EncodeHello(buf []byte, h *Hello) (int, error) {
	if err := errors.Join(checkRequest("descriptor", h.DescriptorChannel, h.DescriptorStreamID),
		checkRequest("control", h.ControlChannel, h.ControlStreamID)); err != nil {
		return 0, err
	}
	n := HelloLength(h)
	if len(buf) < n {
		return 0, &HelloError{Field: "buffer", Problem: fmt.Sprintf("%d bytes, need %d", len(buf), n)}
	}
	var m control.ConsumerHello
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf)))
	// Every hint is null without progress support; the reference left the major-delta
	// hint set by mistake.
	interval, bytes, major := m.ProgressIntervalUsNullValue(), m.ProgressBytesDeltaNullValue(), m.ProgressMajorDeltaUnitsNullValue()
	if h.SupportsProgress {
		interval = orNull(h.ProgressIntervalUs, interval)
		bytes = orNull(h.ProgressBytesDelta, bytes)
		major = orNull(h.ProgressMajorDeltaUnits, major)
	}
	m.SetStreamId(h.StreamID).
		SetConsumerId(h.ConsumerID).
		SetSupportsShm(boolOf(h.SupportsShm)).
		SetSupportsProgress(boolOf(h.SupportsProgress)).
		SetMode(h.Mode).
		SetMaxRateHz(h.MaxRateHz).
		SetExpectedLayoutVersion(h.ExpectedLayoutVersion).
		SetProgressIntervalUs(interval).
		SetProgressBytesDelta(bytes).
		SetProgressMajorDeltaUnits(major).
		SetDescriptorStreamId(h.DescriptorStreamID).
		SetControlStreamId(h.ControlStreamID).
		PutDescriptorChannel(h.DescriptorChannel).
		PutControlChannel(h.ControlChannel)
	return n, nil
}

func orNull(v, null uint32) uint32 {
	if v == 0 {
		return null
	}
	return v
}

func boolOf(v bool) control.Bool {
	if v {
		return control.Bool_TRUE
	}
	return control.Bool_FALSE
}

// Hello returns this consumer's ConsumerHello: its mode and rate cap, whether it takes
// FrameProgress and its progress hints (Config.Progress), and the per-consumer streams it
// requested, or re-requests those it was assigned.
func (c *Consumer) Hello() Hello {
	h := Hello{
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

// Assignment is the content of a ConsumerConfig (§10.1.3).
type Assignment = consumercfg.Assignment

// DecodeConsumerConfig validates buf (wire.Validate) and decodes a ConsumerConfig into a.
// A half assignment (channel without id, or id without channel) is not an assignment
// (§10.1.3): both halves are cleared.
func DecodeConsumerConfig(buf []byte, a *Assignment) error { return consumercfg.Decode(buf, a) }

// ApplyConfig applies a ConsumerConfig addressed to this consumer and reports whether it
// was: the mode (keeping the configured rate cap), use_shm and the assigned streams,
// which Assigned returns for the caller to subscribe to. use_shm = false unmaps and puts
// the consumer in the FALLBACK state (Fallback) until a later config allows SHM again
// (§10.1.3, §15.12). A payload_fallback_uri with an unsupported scheme is not used; that
// error is kept for ControlError.
func (c *Consumer) ApplyConfig(a *Assignment) bool {
	ok, err := c.applyConfig(a)
	if err != nil {
		c.controlErr = err
	}
	return ok
}

func (c *Consumer) applyConfig(a *Assignment) (bool, error) {
	if a.StreamID != c.cfg.StreamID || a.ConsumerID != c.cfg.ConsumerID {
		return false, nil
	}
	c.SetMode(a.Mode, c.cfg.MaxRateHz)
	c.assigned = *a
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
func (c *Consumer) Assigned() Assignment { return c.assigned }

package consumer

import (
	"runtime/debug"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/transport"
	"github.com/tensorpool/tensorpool/wire"
)

// ProgressVerdict says what became of a FrameProgress. ProgressKept and ProgressIgnored
// are not drops; every other verdict is a rule of §10.2.2 the message broke. Each is
// counted in Counters.Progress.
type ProgressVerdict uint8

const (
	// ProgressKept: valid; Progress now returns it.
	ProgressKept ProgressVerdict = iota
	// ProgressIgnored: this consumer did not opt in (Config.Progress), or the message came
	// on the shared control stream while a per-consumer control stream is assigned, where
	// progress must be read instead (§5), or it is not a FrameProgress.
	ProgressIgnored
	// ProgressMalformed: fails wire validation, a state outside the enum included.
	ProgressMalformed
	// ProgressStreamMismatch: for another stream_id.
	ProgressStreamMismatch
	// ProgressNotMapped: no regions are mapped to check it against (§15.21).
	ProgressNotMapped
	// ProgressEpochMismatch: not the mapped epoch (§10.2.1, §15.21).
	ProgressEpochMismatch
	// ProgressHeaderIndex: header_index outside the ring, or not frame_id's slot
	// (frame_id & (nslots-1), §10.2.1).
	ProgressHeaderIndex
	// ProgressUnknownState: state UNKNOWN, which no step of the STARTED → PROGRESS →
	// COMPLETE machine sends.
	ProgressUnknownState
	// ProgressOverrun: payload_bytes_filled beyond the largest payload slot, or beyond the
	// values_len_bytes of the frame once it is committed.
	ProgressOverrun
	// ProgressRegressed: bytes or state went backwards within a frame.
	ProgressRegressed
	// ProgressStale: a frame older than the newest one seen in progress or descriptors.
	ProgressStale
	progressVerdictCount
)

// ProgressVerdictCount sizes arrays indexed by ProgressVerdict.
const ProgressVerdictCount = int(progressVerdictCount)

var progressVerdictText = [progressVerdictCount]struct{ section, text string }{
	ProgressKept:           {"10.2.2", "kept"},
	ProgressIgnored:        {"10.2.2", "ignored"},
	ProgressMalformed:      {"10.2.2", "FrameProgress fails wire validation"},
	ProgressStreamMismatch: {"10.2.2", "progress for another stream"},
	ProgressNotMapped:      {"15.21", "progress with no regions mapped"},
	ProgressEpochMismatch:  {"10.2.1", "progress epoch is not the mapped epoch"},
	ProgressHeaderIndex:    {"10.2.1", "progress header_index out of range or not the frame's slot"},
	ProgressUnknownState:   {"10.2.2", "progress state UNKNOWN"},
	ProgressOverrun:        {"10.2.2", "payload_bytes_filled beyond values_len_bytes"},
	ProgressRegressed:      {"10.2.2", "progress regressed within a frame"},
	ProgressStale:          {"10.2.2", "progress for an older frame"},
}

// Section is the Wire spec section of the rule behind the verdict.
func (v ProgressVerdict) Section() string {
	if v < progressVerdictCount {
		return progressVerdictText[v].section
	}
	return ""
}

func (v ProgressVerdict) String() string {
	if v < progressVerdictCount {
		t := progressVerdictText[v]
		return t.text + " (§" + t.section + ")"
	}
	return "unknown progress verdict"
}

// DecodeProgress decodes a FrameProgress at the start of buf into p. It reports isProgress
// false for any other message, and ProgressMalformed for one that fails validation
// (truncated, or a state the enum does not define). It does not allocate unless buf is
// malformed.
func DecodeProgress(buf []byte, p *wire.FrameProgress) (isProgress bool, v ProgressVerdict) {
	h, err := wire.PeekHeader(buf)
	if err != nil || h.ID() != wire.FrameProgressID {
		return false, ProgressIgnored
	}
	if p.Decode(buf) != nil {
		return true, ProgressMalformed
	}
	return true, ProgressKept
}

// Progress returns the latest valid FrameProgress of the mapped epoch, if any: how far
// the producer says it has filled the frame it is writing (§10.2.2), a hint and nothing
// more. The frame becomes available only with its FrameDescriptor, whatever the state
// says (COMPLETE included), and the consumer delivers frames only then, under the
// seqlock. A remap forgets it.
//
// The consumer does not hand out the partial payload. While a frame is being written its
// slot header still describes the previous frame (§8.3, §15.18: the header is filled after
// the payload), so neither the pool the bytes go to nor the strides that would make a
// prefix layout-safe are known: §10.2.2 then treats payload_bytes_filled as informational.
func (c *Consumer) Progress() (wire.FrameProgress, bool) { return c.progress, c.hasProgress }

// HandleProgress takes a message from the per-consumer control stream a ConsumerConfig
// assigned, where progress is read once assigned (§5): a FrameProgress is checked against
// §10.2.2 and kept if valid; anything else is ignored, as producers send nothing else
// there. It does not allocate unless the message is malformed.
func (c *Consumer) HandleProgress(buf []byte) ProgressVerdict {
	return c.count(c.judgeProgress(buf))
}

// PollProgress reads up to fragmentLimit messages of the per-consumer control stream
// (HandleProgress) and returns the fragments read.
func (c *Consumer) PollProgress(sub transport.Subscription, fragmentLimit int) int {
	return sub.Poll(c.onProgress, fragmentLimit)
}

// handleSharedProgress is a FrameProgress met on the shared control stream.
func (c *Consumer) handleSharedProgress(buf []byte) ProgressVerdict {
	if c.assigned.ControlStreamID != 0 {
		return c.count(ProgressIgnored)
	}
	return c.HandleProgress(buf)
}

func (c *Consumer) count(v ProgressVerdict) ProgressVerdict {
	c.counters.Progress[v]++
	return v
}

func (c *Consumer) judgeProgress(buf []byte) (v ProgressVerdict) {
	v = ProgressNotMapped // if the slot read faults, the mapping is given up (recoverFault)
	prev := debug.SetPanicOnFault(true)
	defer c.recoverFault(prev, nil)
	if !c.cfg.Progress {
		return ProgressIgnored // §10.2.2: consumers that do not opt in ignore it
	}
	var p wire.FrameProgress
	isProgress, decoded := DecodeProgress(buf, &p)
	if !isProgress || decoded != ProgressKept {
		return decoded
	}
	if p.StreamID != c.cfg.StreamID {
		return ProgressStreamMismatch
	}
	m := c.m
	if m == nil {
		return ProgressNotMapped
	}
	if p.Epoch != m.epoch {
		return ProgressEpochMismatch
	}
	if p.Version == wire.V1_2 {
		p.HeaderIndex = m.ring.HeaderIndex(p.FrameID) // v1.2 names no slot (Wire spec v1.2 §10.2.2)
	}
	if p.HeaderIndex != m.ring.HeaderIndex(p.FrameID) {
		return ProgressHeaderIndex // also covers an index ≥ nslots
	}
	if p.State == wire.ProgressStateUnknown {
		return ProgressUnknownState
	}
	if p.PayloadBytesFilled > uint64(m.maxStride) || c.beyondValuesLen(&p) {
		return ProgressOverrun
	}
	if newest, ok := c.rd.newest.load(m.gen, &c.rd.shared.LastSeq); ok && p.FrameID < newest {
		return ProgressStale
	}
	if c.hasProgress {
		last := &c.progress
		switch {
		case p.FrameID < last.FrameID:
			return ProgressStale
		case p.FrameID == last.FrameID && (p.PayloadBytesFilled < last.PayloadBytesFilled || p.State < last.State):
			return ProgressRegressed
		}
	}
	c.progress, c.hasProgress = p, true
	return ProgressKept
}

// beyondValuesLen reports a progress count larger than the frame's values_len_bytes,
// which the slot header tells only once the frame is committed; it is read under the
// seqlock, and a slot that is not (or no longer) that committed frame tells nothing.
func (c *Consumer) beyondValuesLen(p *wire.FrameProgress) bool {
	slot, r := c.m.ring.Slot(p.HeaderIndex)
	if r != shm.DropNone {
		return false
	}
	first, r := slot.ReadBegin(p.FrameID)
	if r != shm.DropNone {
		return false
	}
	valuesLen := slot.ValuesLenBytes()
	if slot.ReadEnd(first) != shm.DropNone {
		return false
	}
	return p.PayloadBytesFilled > uint64(valuesLen)
}

// forgetProgress drops the progress of an epoch that is no longer mapped (§15.21: the
// epoch is a hard boundary).
func (c *Consumer) forgetProgress() {
	c.progress, c.hasProgress = wire.FrameProgress{}, false
}

func (c *Consumer) newProgressHandler() transport.Handler {
	return func(msg []byte, _ *transport.Header) { c.HandleProgress(msg) }
}

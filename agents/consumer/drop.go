package consumer

import "github.com/tensorpool/tensorpool/shm"

// Drop says why a FrameDescriptor did not yield an accepted frame. Codes below
// shm.DropReasonCount are the SHM layer's (seqlock, slot and tensor header rules); the
// rest are the consumer's own. DropNone means accepted.
type Drop uint8

// DropNone is an accepted frame.
const DropNone = Drop(shm.DropNone)

const (
	// DropDescriptorMalformed: a FrameDescriptor that fails wire validation.
	DropDescriptorMalformed = Drop(shm.DropReasonCount) + iota
	// DropStreamMismatch: a descriptor for another stream_id.
	DropStreamMismatch
	// DropNotMapped: no regions are mapped (state M0, §15.21).
	DropNotMapped
	// DropEpochMismatch: the descriptor's epoch is not the mapped one (§10.2.1, §15.21).
	DropEpochMismatch
	// DropUnknownPool: the header names a pool the announce did not map (§9).
	DropUnknownPool
	// DropSeqRegression: a descriptor seq at or below the last one seen (§15.2, §15.3).
	// Since an accepted slot's seq_commit>>1 must equal the descriptor's seq, this also
	// rejects every seq_commit that went backwards; tracking restarts at the new seq.
	DropSeqRegression
	// DropRateLimited: a RATE_LIMITED consumer on the shared stream thins frames to its
	// max_rate_hz locally (§11). Not a loss: nothing is counted as gap or late.
	DropRateLimited
	// DropTensorExceedsPayload: dims and strides address bytes beyond values_len_bytes.
	// Not a rule the spec spells out: strides describe the layout inside the payload
	// (§8.2), and a header reaching past it would send readers out of bounds, so the
	// consumer fails closed.
	DropTensorExceedsPayload
	// DropRegionTruncated: reading a mapped region faulted, its file having been truncated
	// under the mapping; the consumer unmaps and waits for a new announce, as for a dead
	// producer (§15.14). Counted once per fault, on whichever path met it.
	DropRegionTruncated
	dropCount
)

// DropCount sizes arrays indexed by Drop.
const DropCount = int(dropCount)

// ownDropText describes the consumer's own drops, indexed from DropDescriptorMalformed.
var ownDropText = [dropCount - DropDescriptorMalformed]struct{ section, text string }{
	{"10.2.1", "FrameDescriptor fails wire validation"},
	{"10.2.1", "descriptor for another stream"},
	{"15.21", "no regions mapped"},
	{"10.2.1", "descriptor epoch is not the mapped epoch"},
	{"9", "header pool_id is not a mapped pool"},
	{"15.2", "descriptor seq regressed"},
	{"11", "above max_rate_hz in RATE_LIMITED mode"},
	{"8.2", "tensor dims and strides reach beyond values_len_bytes"},
	{"15.14", "mapped region faulted: file truncated under the mapping"},
}

// Section is the Wire spec section of the rule behind the drop.
func (d Drop) Section() string {
	switch {
	case int(d) < shm.DropReasonCount:
		return shm.DropReason(d).Section()
	case d < dropCount:
		return ownDropText[d-DropDescriptorMalformed].section
	}
	return ""
}

func (d Drop) String() string {
	switch {
	case int(d) < shm.DropReasonCount:
		return shm.DropReason(d).String()
	case d < dropCount:
		t := ownDropText[d-DropDescriptorMalformed]
		return t.text + " (§" + t.section + ")"
	}
	return "unknown drop"
}

// late reports the drops §15.3/§15.4 account as drops_late: the slot was being written,
// rewritten or overwritten when the consumer looked.
func (d Drop) late() bool {
	switch d {
	case Drop(shm.DropNotCommitted), Drop(shm.DropSequenceMismatch), Drop(shm.DropChanged):
		return true
	}
	return false
}

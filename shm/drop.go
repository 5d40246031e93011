package shm

// DropReason is the data-path verdict on a frame: DropNone accepts it, anything else
// names the rule it broke. It is a plain code so the hot path neither allocates nor
// formats, and consumers can count drops per reason in an array indexed by it.
type DropReason uint8

const (
	DropNone                      DropReason = iota
	DropHeaderIndexOutOfRange                // §10.2.1, §15.21 rule 1
	DropNotCommitted                         // §8.3 consumer step 2
	DropSequenceMismatch                     // §8.3 step 6, §10.2.1
	DropChanged                              // §8.3 step 6, §15.3 (drops_late)
	DropHeaderBytesLength                    // §8.2, §8.3 step 5
	DropEmbeddedBlockLength                  // §8.3 step 5
	DropEmbeddedTemplateID                   // §8.3 step 5
	DropEmbeddedSchemaID                     // §8.3 step 5
	DropEmbeddedVersion                      // §8.3 step 5
	DropUnknownDtype                         // §15.8
	DropUnknownMajorOrder                    // §15.8
	DropUnknownProgressUnit                  // §15.8
	DropNdimsOutOfRange                      // §8.2
	DropNegativeDim                          // §8.2
	DropNegativeStride                       // §8.2
	DropStrideBelowElemSize                  // §8.2
	DropStridesOverlap                       // §8.2
	DropExtentOverflow                       // §8.2
	DropProgressStrideZero                   // §8.2, §10.2.2
	DropProgressStrideMismatch               // §8.2, §10.2.2
	DropPayloadOffsetNonZero                 // §8.2
	DropPayloadSlotNotHeaderIndex            // §9, §15.5
	DropPayloadSlotOutOfRange                // §10.2.1
	DropPoolIDMismatch                       // §9
	DropValuesLenExceedsStride               // §10.2.1
	dropReasonCount
)

// DropReasonCount sizes per-reason counter arrays.
const DropReasonCount = int(dropReasonCount)

var dropReasonText = [dropReasonCount]struct{ section, text string }{
	DropNone:                      {"", "accepted"},
	DropHeaderIndexOutOfRange:     {"10.2.1", "header_index out of range for the header ring"},
	DropNotCommitted:              {"8.3", "seq_commit not committed (write in progress)"},
	DropSequenceMismatch:          {"8.3", "seq_commit sequence differs from the expected seq"},
	DropChanged:                   {"8.3", "seq_commit changed while reading"},
	DropHeaderBytesLength:         {"8.2", "headerBytes length is not 192"},
	DropEmbeddedBlockLength:       {"8.3", "embedded header blockLength is not 184"},
	DropEmbeddedTemplateID:        {"8.3", "embedded header templateId is not TensorHeader (52)"},
	DropEmbeddedSchemaID:          {"8.3", "embedded header schemaId is not 900"},
	DropEmbeddedVersion:           {"8.3", "embedded header version is not 1"},
	DropUnknownDtype:              {"15.8", "dtype unknown or unassigned"},
	DropUnknownMajorOrder:         {"15.8", "major_order unknown"},
	DropUnknownProgressUnit:       {"15.8", "progress_unit unknown"},
	DropNdimsOutOfRange:           {"8.2", "ndims outside 1..8"},
	DropNegativeDim:               {"8.2", "negative dim"},
	DropNegativeStride:            {"8.2", "negative stride"},
	DropStrideBelowElemSize:       {"8.2", "innermost stride smaller than the element size"},
	DropStridesOverlap:            {"8.2", "strides overlap or contradict major_order"},
	DropExtentOverflow:            {"8.2", "tensor strides overflow 63 bits"},
	DropProgressStrideZero:        {"8.2", "progress_stride_bytes is 0 with progress_unit set"},
	DropProgressStrideMismatch:    {"8.2", "progress_stride_bytes differs from the row/column stride"},
	DropPayloadOffsetNonZero:      {"8.2", "payload_offset is not 0"},
	DropPayloadSlotNotHeaderIndex: {"15.5", "payload_slot differs from header_index"},
	DropPayloadSlotOutOfRange:     {"10.2.1", "payload_slot out of range for the pool"},
	DropPoolIDMismatch:            {"9", "pool_id differs from the pool supplied"},
	DropValuesLenExceedsStride:    {"10.2.1", "values_len_bytes exceeds the pool stride_bytes"},
}

// Section is the Wire spec section of the rule behind the drop.
func (r DropReason) Section() string {
	if r < dropReasonCount {
		return dropReasonText[r].section
	}
	return ""
}

func (r DropReason) String() string {
	if r < dropReasonCount {
		if r == DropNone {
			return dropReasonText[r].text
		}
		return dropReasonText[r].text + " (§" + dropReasonText[r].section + ")"
	}
	return "unknown drop reason"
}

package shm

import "math/bits"

// embeddedHeader is the headerBytes length prefix plus the embedded message header,
// captured inside the seqlock window and checked after it (§8.3 step 5).
type embeddedHeader struct {
	length                                     uint32
	blockLength, templateID, schemaID, version uint16
}

func (s HeaderSlot) embeddedHeader() embeddedHeader {
	return embeddedHeader{
		length:      s.HeaderBytesLength(),
		blockLength: s.EmbeddedBlockLength(),
		templateID:  s.EmbeddedTemplateID(),
		schemaID:    s.EmbeddedSchemaID(),
		version:     s.EmbeddedVersion(),
	}
}

func (e embeddedHeader) validate() DropReason {
	switch {
	case e.length != TensorHeaderEncodedLength:
		return DropHeaderBytesLength
	case e.blockLength != TensorHeaderBlockLength:
		return DropEmbeddedBlockLength
	case e.templateID != TensorHeaderTemplateID:
		return DropEmbeddedTemplateID
	case e.schemaID != WireSchemaID:
		return DropEmbeddedSchemaID
	case e.version != WireSchemaVersion:
		return DropEmbeddedVersion
	}
	return DropNone
}

// ValidateEmbeddedHeader checks the headerBytes length and the embedded message header
// of a slot (§8.2, §8.3 step 5, §15.21 rule 3). TryRead applies it already.
func ValidateEmbeddedHeader(s HeaderSlot) DropReason { return s.embeddedHeader().validate() }

// ValidateEmbedded is ValidateEmbeddedHeader for a slot whose last 192 bytes the caller
// holds in e (LoadEncodedTensor): the headerBytes length comes from the slot, the embedded
// message header from e. It is the length check followed by e.ValidateMessageHeader, in
// that order; a caller that keeps e across frames may keep that verdict with it.
func ValidateEmbedded(s HeaderSlot, e *EncodedTensorHeader) DropReason {
	return ValidateEmbeddedWith(s, e.ValidateMessageHeader())
}

// ValidateEmbeddedWith is ValidateEmbedded for a caller that kept e's
// ValidateMessageHeader verdict with e: only the slot's headerBytes length is read.
func ValidateEmbeddedWith(s HeaderSlot, messageHeader DropReason) DropReason {
	if s.HeaderBytesLength() != TensorHeaderEncodedLength {
		return DropHeaderBytesLength
	}
	return messageHeader
}

// ValidateMessageHeader checks e's embedded message header as ValidateEmbedded does once
// the slot's headerBytes length is right. It depends on e's bytes alone.
func (e *EncodedTensorHeader) ValidateMessageHeader() DropReason {
	return embeddedHeader{
		length:      TensorHeaderEncodedLength,
		blockLength: le.Uint16(e.b[embeddedBlockLengthOffset-slotEmbeddedHeaderOffset:]),
		templateID:  le.Uint16(e.b[embeddedTemplateIDOffset-slotEmbeddedHeaderOffset:]),
		schemaID:    le.Uint16(e.b[embeddedSchemaIDOffset-slotEmbeddedHeaderOffset:]),
		version:     le.Uint16(e.b[embeddedVersionOffset-slotEmbeddedHeaderOffset:]),
	}.validate()
}

// ValidateSlotHeader applies the slot-level rules to a decoded header read at headerIndex
// whose pool_id the caller resolved to pool: payload_offset 0 (§8.2), payload_slot equal
// to header_index (§9, §15.5), payload_slot inside the pool and values_len_bytes within
// its stride (§10.2.1).
func ValidateSlotHeader(h *SlotHeader, headerIndex uint32, pool PoolGeometry) DropReason {
	switch {
	case h.PoolID != pool.PoolID:
		return DropPoolIDMismatch
	case h.PayloadOffset != 0:
		return DropPayloadOffsetNonZero
	case h.PayloadSlot != headerIndex:
		return DropPayloadSlotNotHeaderIndex
	case h.PayloadSlot >= pool.Nslots:
		return DropPayloadSlotOutOfRange
	case h.ValuesLenBytes > pool.StrideBytes:
		return DropValuesLenExceedsStride
	}
	return DropNone
}

// ValidateTensorHeader applies the tensor rules of §8.2 and §15.8: known enums, ndims in
// 1..MaxDims, non-negative dims and strides, strides that neither overlap nor contradict
// major_order once zeros are inferred, and a progress stride equal to the true row or
// column stride when progress_unit is set. Entries at and beyond ndims are ignored.
func ValidateTensorHeader(t *TensorHeader) DropReason {
	_, r := t.ResolvedStrides()
	return r
}

// ResolvedStrides validates t (see ValidateTensorHeader) and returns its strides in bytes
// with every 0 replaced by the contiguous stride implied by dims, dtype and major_order.
// Entries beyond ndims are 0.
func (t *TensorHeader) ResolvedStrides() ([MaxDims]int64, DropReason) {
	var out [MaxDims]int64
	elem := t.Dtype.ElemSize()
	if elem == 0 {
		return out, DropUnknownDtype
	}
	if t.MajorOrder != MajorOrderRow && t.MajorOrder != MajorOrderColumn {
		return out, DropUnknownMajorOrder
	}
	if t.ProgressUnit > ProgressUnitColumns {
		return out, DropUnknownProgressUnit
	}
	n := int(t.Ndims)
	if n < 1 || n > MaxDims {
		return out, DropNdimsOutOfRange
	}
	for i := range n {
		if t.Dims[i] < 0 {
			return out, DropNegativeDim
		}
		if t.Strides[i] < 0 {
			return out, DropNegativeStride
		}
	}
	// Walk from the innermost dimension outwards: each stride must be at least the span
	// of the dimension inside it (stride × max(dim, 1)), which rules out overlap and any
	// order contradicting major_order; a 0 stride takes exactly that span.
	required := uint64(elem)
	for k := range n {
		i := k
		if t.MajorOrder == MajorOrderRow {
			i = n - 1 - k
		}
		stride := uint64(t.Strides[i])
		if stride == 0 {
			stride = required
		} else if stride < required {
			if k == 0 {
				return out, DropStrideBelowElemSize
			}
			return out, DropStridesOverlap
		}
		out[i] = int64(stride)
		hi, span := bits.Mul64(stride, max(uint64(t.Dims[i]), 1))
		if hi != 0 || span > 1<<63-1 {
			return out, DropExtentOverflow
		}
		required = span
	}
	return out, t.validateProgress(&out)
}

// validateProgress: ROWS advance along dimension 0 and COLUMNS along dimension 1, so
// progress_stride_bytes must equal that dimension's resolved stride (§8.2, §10.2.2).
func (t *TensorHeader) validateProgress(strides *[MaxDims]int64) DropReason {
	dim := 0
	switch t.ProgressUnit {
	case ProgressUnitNone:
		return DropNone
	case ProgressUnitColumns:
		dim = 1
	}
	if t.ProgressStrideBytes == 0 {
		return DropProgressStrideZero
	}
	if dim >= int(t.Ndims) || strides[dim] != int64(t.ProgressStrideBytes) {
		return DropProgressStrideMismatch
	}
	return DropNone
}

package logbuffer

// ScanTermBlock finds how far from termOffset whole committed data frames run, up to limitOffset,
// for a block poll that hands the raw frames on in one piece. A padding frame ends the block, unless
// it is first, in which case it is skipped alone. Invalid frame lengths end the block as in ReadTerm.
func ScanTermBlock(term []byte, termOffset, limitOffset int) int {
	offset := termOffset
	if offset < 0 || offset%FrameAlignment != 0 {
		return offset
	}
	limitOffset = min(limitOffset, len(term))
	for offset < limitOffset && offset <= len(term)-HeaderLength {
		frameLength := int(loadFrameLength(term, offset))
		if frameLength < HeaderLength || frameLength > len(term)-offset {
			break
		}
		alignedFrameLength := Align(frameLength, FrameAlignment)
		if isPaddingFrame(term, offset) {
			if offset == termOffset {
				offset += alignedFrameLength
			}
			break
		}
		if offset+alignedFrameLength > limitOffset {
			break
		}
		offset += alignedFrameLength
	}
	return offset
}

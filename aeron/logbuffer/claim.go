package logbuffer

import "encoding/binary"

// BufferClaim is a frame reserved in a term by a try-claim. Write the payload into Buffer, then
// Commit or Abort; a claim left open stalls every subscriber until the driver unblocks the log.
// Buffer points into the mapped log: never keep it past Commit/Abort. The header accessors
// (Flags, HeaderType, ReservedValue and their setters) need an open claim.
type BufferClaim struct {
	frame []byte // the whole frame, header included; nil when no claim is open
}

func (c *BufferClaim) wrap(term []byte, offset, frameLength int) {
	end := offset + frameLength
	c.frame = term[offset:end:end]
}

// Buffer is the claimed payload space; nil when no claim is open.
func (c *BufferClaim) Buffer() []byte {
	if c.frame == nil {
		return nil
	}
	return c.frame[HeaderLength:]
}

// Length is the claimed payload length.
func (c *BufferClaim) Length() int { return max(len(c.frame)-HeaderLength, 0) }

// Flags are the frame flags; a claim starts unfragmented.
func (c *BufferClaim) Flags() uint8 { return c.frame[FlagsFieldOffset] }

// SetFlags overrides the frame flags, e.g. to send a pre-fragmented message.
func (c *BufferClaim) SetFlags(flags uint8) { c.frame[FlagsFieldOffset] = flags }

// HeaderType is the frame type; a claim starts as HdrTypeData.
func (c *BufferClaim) HeaderType() uint16 {
	return binary.LittleEndian.Uint16(c.frame[TypeFieldOffset:])
}

// SetHeaderType overrides the frame type.
func (c *BufferClaim) SetHeaderType(t uint16) {
	binary.LittleEndian.PutUint16(c.frame[TypeFieldOffset:], t)
}

// ReservedValue is the 64-bit value carried in the header, zero unless set.
func (c *BufferClaim) ReservedValue() int64 {
	return int64(binary.LittleEndian.Uint64(c.frame[ReservedValueFieldOffset:]))
}

// SetReservedValue sets the 64-bit value carried in the header.
func (c *BufferClaim) SetReservedValue(v int64) {
	binary.LittleEndian.PutUint64(c.frame[ReservedValueFieldOffset:], uint64(v))
}

// Commit publishes the frame by storing its positive length (release). The claim is closed after,
// so a second Commit or Abort does nothing instead of touching a term the driver may have cleaned.
func (c *BufferClaim) Commit() {
	if c.frame == nil {
		return
	}
	storeFrameLength(c.frame, 0, int32(len(c.frame)))
	c.frame = nil
}

// Abort turns the frame into padding that readers skip, then publishes it like Commit.
func (c *BufferClaim) Abort() {
	if c.frame == nil {
		return
	}
	binary.LittleEndian.PutUint16(c.frame[TypeFieldOffset:], HdrTypePad)
	storeFrameLength(c.frame, 0, int32(len(c.frame)))
	c.frame = nil
}

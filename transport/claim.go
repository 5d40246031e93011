//go:build 386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm

package transport

import (
	"encoding/binary"
	"unsafe"

	"github.com/tensorpool/tensorpool/internal/ordered"
)

// The frame a Claim wraps is an Aeron data frame: a 32-byte header, then the payload.
// The header's first word is the frame length, which publishes the frame; the pure-Go
// log (aeron/logbuffer) and libaeron's term buffers lay frames out the same way, so any
// backend can wrap a frame it claimed. The log is little-endian and its words are
// updated with native atomics, hence this file's build constraint.
const (
	frameHeaderLength        = 32
	frameTypeOffset          = 6
	frameReservedValueOffset = 24
	frameTypePadding         = 0
)

// Claim is a frame reserved in a log by TryClaim: write the payload into Buffer, then
// Commit or Abort. It is a plain struct that any backend fills with Wrap, so committing
// costs one store and no interface call. Buffer points into the log: never keep it
// past Commit or Abort. A Claim is used by one goroutine at a time.
type Claim struct {
	frame []byte // the whole frame, header included; nil when no claim is open
}

// Wrap opens the claim over frame, for backends: the whole frame, header included,
// 4-byte aligned in its log, with its length word holding the negated frame length
// (claimed, not committed) so readers stop in front of it until Commit. A frame shorter
// than its header is a backend's bug: Wrap panics on it rather than let Commit store
// out of bounds.
func (c *Claim) Wrap(frame []byte) {
	c.frame = frame[:len(frame):len(frame)]
	_ = frame[frameHeaderLength:] // a bounds check only: no load of the frame's bytes
}

// IsOpen reports whether the claim wraps a frame not yet committed or aborted.
func (c *Claim) IsOpen() bool { return c.frame != nil }

// Buffer is the claimed payload space; nil when no claim is open.
func (c *Claim) Buffer() []byte {
	if c.frame == nil {
		return nil
	}
	return c.frame[frameHeaderLength:]
}

// Length is the claimed payload length; 0 when no claim is open.
func (c *Claim) Length() int { return max(len(c.frame)-frameHeaderLength, 0) }

// ReservedValue is the 64-bit value carried in the frame header, zero unless set. It
// needs an open claim.
func (c *Claim) ReservedValue() int64 {
	return int64(binary.LittleEndian.Uint64(c.frame[frameReservedValueOffset:]))
}

// SetReservedValue sets the 64-bit value carried in the frame header (a subscriber
// sees it as Header.ReservedValue). It needs an open claim.
func (c *Claim) SetReservedValue(v int64) {
	binary.LittleEndian.PutUint64(c.frame[frameReservedValueOffset:], uint64(v))
}

// Commit publishes the frame: a release store of its positive length (the frame's first
// word, which Wrap checked is there), so a reader that loads the length (acquire) sees
// the header and payload written before it. The claim is closed after, so a second
// Commit or Abort does nothing instead of touching a term the driver may have cleaned.
// Small enough to inline: a commit costs the store and no call.
func (c *Claim) Commit() {
	if c.frame != nil {
		ordered.StoreInt32((*int32)(unsafe.Pointer(unsafe.SliceData(c.frame))), int32(len(c.frame)))
		c.frame = nil
	}
}

// Abort turns the frame into padding, which readers skip, and publishes it like Commit:
// the type is a plain store, made visible by the release store of the length after it.
// Subscribers receive nothing.
func (c *Claim) Abort() {
	if frame := c.frame; frame != nil {
		c.frame = nil
		binary.LittleEndian.PutUint16(frame[frameTypeOffset:], frameTypePadding)
		ordered.StoreInt32((*int32)(unsafe.Pointer(unsafe.SliceData(frame))), int32(len(frame)))
	}
}

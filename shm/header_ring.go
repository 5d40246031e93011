package shm

import "unsafe"

// HeaderRing is a view of a mapped header-ring region: the superblock followed by nslots
// 256-byte slots (§8.1). It does not own the mapping.
type HeaderRing struct {
	mem []byte
	// slots views mem past the superblock as nslots 256-byte arrays, so that Slot costs
	// one bounds check instead of a slice expression and an array conversion.
	slots  [][HeaderSlotSize]byte
	nslots uint32
}

// NewHeaderRing views mem as a header ring of nslots slots. mem must be 8-byte aligned
// (so every seq_commit word is) and long enough for all slots; nslots must be a power
// of two so header_index = seq & (nslots-1) (§15.4).
func NewHeaderRing(mem []byte, nslots uint32) (*HeaderRing, error) {
	sb := HeaderRingSuperblock(0, 0, nslots)
	if err := sb.ValidateGeometry(); err != nil {
		return nil, err
	}
	size, _ := sb.RegionSize()
	if len(mem) < size {
		return nil, mismatch("8.1", "region length", len(mem), size, ErrRegionTooSmall)
	}
	if !aligned8(mem) {
		return nil, invalid("8.2", "region address", "not 8-byte aligned", ErrMisalignment)
	}
	mem = mem[:size]
	// size covers the superblock and nslots slots (RegionSize), so slots ends inside mem.
	slots := unsafe.Slice((*[HeaderSlotSize]byte)(unsafe.Pointer(&mem[SuperblockSize])), nslots)
	return &HeaderRing{mem: mem, slots: slots, nslots: nslots}, nil
}

// Nslots is the number of header slots.
func (r *HeaderRing) Nslots() uint32 { return r.nslots }

// Superblock is the ring's superblock bytes.
func (r *HeaderRing) Superblock() []byte { return r.mem[:SuperblockSize] }

// HeaderIndex maps a sequence number to its slot (§15.4).
func (r *HeaderRing) HeaderIndex(seq uint64) uint32 { return uint32(seq & uint64(r.nslots-1)) }

// HeaderSlotOffset is the byte offset of slot i in a header ring (§8.1).
func HeaderSlotOffset(i uint32) int { return SuperblockSize + int(i)*HeaderSlotSize }

// Slot views slot i. An index outside the ring — as a FrameDescriptor from the wire may
// carry — is reported, not a panic (§10.2.1).
func (r *HeaderRing) Slot(i uint32) (HeaderSlot, DropReason) {
	if uint64(i) >= uint64(len(r.slots)) {
		return HeaderSlot{}, DropHeaderIndexOutOfRange
	}
	return HeaderSlot{b: &r.slots[i]}, DropNone
}

package shm

// Payload pool layout (§9): the superblock, then nslots raw slots of stride_bytes each.
//
//	0            64                  64+stride            64+2·stride              64+nslots·stride
//	+------------+-------------------+--------------------+-------- ... -----------+
//	| superblock | payload slot 0    | payload slot 1     |        ...             |
//	+------------+-------------------+--------------------+-------- ... -----------+
//
// Payload bytes carry no structure of their own; they are valid only while the header
// slot's seqlock says so (§8.3).

// PayloadSlotOffset is the byte offset of payload slot i in a pool with the given stride.
func PayloadSlotOffset(slot, strideBytes uint32) int64 {
	return SuperblockSize + int64(slot)*int64(strideBytes)
}

// PoolGeometry describes a mapped payload pool to the frame checks.
type PoolGeometry struct {
	PoolID      uint16
	Nslots      uint32
	StrideBytes uint32
}

// PayloadPool is a view of a mapped payload-pool region. It does not own the mapping.
type PayloadPool struct {
	mem      []byte
	geometry PoolGeometry
}

// NewPayloadPool views mem as the pool described by g; mem must cover every slot.
func NewPayloadPool(mem []byte, g PoolGeometry) (*PayloadPool, error) {
	sb := PayloadPoolSuperblock(0, 0, g.PoolID, g.Nslots, g.StrideBytes)
	if err := sb.ValidateGeometry(); err != nil {
		return nil, err
	}
	size, _ := sb.RegionSize()
	if len(mem) < size {
		return nil, mismatch("9", "region length", len(mem), size, ErrRegionTooSmall)
	}
	return &PayloadPool{mem: mem[:size], geometry: g}, nil
}

// Geometry is the pool's id, slot count and stride.
func (p *PayloadPool) Geometry() PoolGeometry { return p.geometry }

// Superblock is the pool's superblock bytes.
func (p *PayloadPool) Superblock() []byte { return p.mem[:SuperblockSize] }

// Slot is the whole stride of payload slot i, or nil with a reason when i is out of range.
func (p *PayloadPool) Slot(i uint32) ([]byte, DropReason) {
	if i >= p.geometry.Nslots {
		return nil, DropPayloadSlotOutOfRange
	}
	off := PayloadSlotOffset(i, p.geometry.StrideBytes)
	return p.mem[off : off+int64(p.geometry.StrideBytes) : off+int64(p.geometry.StrideBytes)], DropNone
}

// Payload is the frame's payload: values_len_bytes from payload_offset in payload_slot.
// It applies the slot-header checks that bound the slice (with payload_slot standing in
// for the header index the caller has already compared), so no header can reach outside
// the pool.
func (p *PayloadPool) Payload(h *SlotHeader) ([]byte, DropReason) {
	if r := ValidateSlotHeader(h, h.PayloadSlot, p.geometry); r != DropNone {
		return nil, r
	}
	slot, _ := p.Slot(h.PayloadSlot)
	return slot[h.PayloadOffset : h.PayloadOffset+h.ValuesLenBytes], DropNone
}

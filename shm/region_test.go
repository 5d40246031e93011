package shm

import (
	"errors"
	"testing"
	"unsafe"
)

func TestRegionIsZeroedAndAligned(t *testing.T) {
	forEachRegionKind(t, func(t *testing.T, newRegion func(int) Region) {
		r := newRegion(4096 + 64)
		b := r.Bytes()
		if len(b) != 4096+64 {
			t.Fatalf("len = %d", len(b))
		}
		if uintptr(unsafe.Pointer(&b[0]))%8 != 0 {
			t.Fatal("region not 8-byte aligned")
		}
		for i, v := range b {
			if v != 0 {
				t.Fatalf("byte %d = %#x", i, v)
			}
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if r.Bytes() != nil {
			t.Fatal("Bytes after Close must be nil")
		}
	})
}

func TestWireSpec_9_PayloadSlotOffset(t *testing.T) {
	forEachRegionKind(t, func(t *testing.T, newRegion func(int) Region) {
		g := PoolGeometry{PoolID: 2, Nslots: 4, StrideBytes: 4096}
		sb := PayloadPoolSuperblock(1, 2, g.PoolID, g.Nslots, g.StrideBytes)
		size, _ := sb.RegionSize()
		mem := newRegion(size).Bytes()
		pool, err := NewPayloadPool(mem, g)
		if err != nil {
			t.Fatal(err)
		}
		if pool.Geometry() != g || len(pool.Superblock()) != SuperblockSize {
			t.Fatal("pool geometry or superblock view wrong")
		}
		for i := range g.Nslots {
			slot, r := pool.Slot(i)
			requireDrop(t, r, DropNone)
			off := uintptr(unsafe.Pointer(&slot[0])) - uintptr(unsafe.Pointer(&mem[0]))
			if int64(off) != PayloadSlotOffset(i, g.StrideBytes) || off != uintptr(64+i*4096) || len(slot) != 4096 {
				t.Fatalf("slot %d at %d len %d", i, off, len(slot))
			}
		}
		_, r := pool.Slot(g.Nslots)
		requireDrop(t, r, DropPayloadSlotOutOfRange)

		h := SlotHeader{ValuesLenBytes: 100, PayloadSlot: 3, PoolID: 2}
		payload, r := pool.Payload(&h)
		requireDrop(t, r, DropNone)
		if len(payload) != 100 || &payload[0] != &mem[64+3*4096] {
			t.Fatal("payload view not at slot 3")
		}
		h.ValuesLenBytes = 4097
		_, r = pool.Payload(&h)
		requireDrop(t, r, DropValuesLenExceedsStride)
	})
}

func TestViewsRejectShortOrBadRegions(t *testing.T) {
	if _, err := NewHeaderRing(NewHeapRegion(64+255).Bytes(), 1); !errors.Is(err, ErrRegionTooSmall) {
		t.Fatalf("short ring: %v", err)
	}
	if _, err := NewHeaderRing(NewHeapRegion(64+3*256).Bytes(), 3); !errors.Is(err, ErrNslots) {
		t.Fatalf("3 slots: %v", err)
	}
	if _, err := NewHeaderRing(NewHeapRegion(64 + 257).Bytes()[1:], 1); !errors.Is(err, ErrMisalignment) {
		t.Fatalf("misaligned ring: %v", err)
	}
	if _, err := NewPayloadPool(NewHeapRegion(64+4095).Bytes(), PoolGeometry{Nslots: 1, StrideBytes: 4096}); !errors.Is(err, ErrRegionTooSmall) {
		t.Fatalf("short pool: %v", err)
	}
	if _, err := NewPayloadPool(NewHeapRegion(64).Bytes(), PoolGeometry{Nslots: 1}); !errors.Is(err, ErrInvalidStride) {
		t.Fatalf("zero stride: %v", err)
	}
}

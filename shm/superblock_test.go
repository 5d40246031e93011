package shm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func sampleSuperblock() Superblock {
	sb := PayloadPoolSuperblock(0x0102030405060708, 0x11121314, 0x2122, 16, 1<<20)
	sb.Pid = 0x3132333435363738
	sb.StartTimestampNs = 0x4142434445464748
	sb.ActivityTimestampNs = 0x5152535455565758
	return sb
}

func TestWireSpec_6_SuperblockIsFixed64Bytes(t *testing.T) {
	if SuperblockSize != 64 {
		t.Fatalf("SuperblockSize = %d", SuperblockSize)
	}
	if got := PayloadSlotOffset(0, 4096); got != 64 {
		t.Fatalf("first payload slot at %d, want 64", got)
	}
	if got := HeaderSlotOffset(0); got != 64 {
		t.Fatalf("first header slot at %d, want 64", got)
	}
}

func TestSuperblockFieldOffsets(t *testing.T) {
	sb := sampleSuperblock()
	b := NewHeapRegion(SuperblockSize).Bytes()
	if err := EncodeSuperblock(b, &sb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[0:8], []byte("1MHSLPOT")) {
		// The hex digits of 0x544F504C53484D31 spell "TPOLSHM1"; stored little-endian,
		// the bytes come out reversed.
		t.Fatalf("magic bytes = %q", b[0:8])
	}
	le := binary.LittleEndian
	checks := []struct {
		name      string
		got, want uint64
	}{
		{"layout_version@8", uint64(le.Uint32(b[8:])), 1},
		{"epoch@12", le.Uint64(b[12:]), sb.Epoch},
		{"stream_id@20", uint64(le.Uint32(b[20:])), uint64(sb.StreamID)},
		{"region_type@24", uint64(le.Uint16(b[24:])), uint64(RegionTypePayloadPool)},
		{"pool_id@26", uint64(le.Uint16(b[26:])), uint64(sb.PoolID)},
		{"nslots@28", uint64(le.Uint32(b[28:])), 16},
		{"slot_bytes@32", uint64(le.Uint32(b[32:])), 1 << 20},
		{"stride_bytes@36", uint64(le.Uint32(b[36:])), 1 << 20},
		{"pid@40", le.Uint64(b[40:]), sb.Pid},
		{"start_timestamp_ns@48", le.Uint64(b[48:]), sb.StartTimestampNs},
		{"activity_timestamp_ns@56", le.Uint64(b[56:]), sb.ActivityTimestampNs},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func TestSuperblockRoundTrip(t *testing.T) {
	forEachRegionKind(t, func(t *testing.T, newRegion func(int) Region) {
		want := sampleSuperblock()
		b := newRegion(4096).Bytes()
		if err := EncodeSuperblock(b, &want); err != nil {
			t.Fatal(err)
		}
		got, err := DecodeSuperblock(b)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("decoded %+v, want %+v", got, want)
		}
		StoreActivityTimestamp(b, 99)
		if LoadActivityTimestamp(b) != 99 {
			t.Fatal("activity timestamp not stored")
		}
	})
}

func TestDecodeSuperblockTruncatedIsError(t *testing.T) {
	for _, n := range []int{0, 1, 63} {
		_, err := DecodeSuperblock(NewHeapRegion(n).Bytes())
		if !errors.Is(err, ErrSuperblockTruncated) || !errors.Is(err, ErrInvalidSuperblock) {
			t.Fatalf("len %d: err = %v", n, err)
		}
	}
	sb := sampleSuperblock()
	if err := EncodeSuperblock(make([]byte, 10), &sb); !errors.Is(err, ErrSuperblockTruncated) {
		t.Fatalf("encode into 10 bytes: %v", err)
	}
}

func TestSuperblockRejectsMisalignedBuffer(t *testing.T) {
	b := NewHeapRegion(128).Bytes()[1:]
	sb := sampleSuperblock()
	if err := EncodeSuperblock(b, &sb); !errors.Is(err, ErrMisalignment) {
		t.Fatalf("encode: %v", err)
	}
	if _, err := DecodeSuperblock(b); !errors.Is(err, ErrMisalignment) {
		t.Fatalf("decode: %v", err)
	}
}

func TestSuperblockGarbageIsRejectedNotPanicking(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	want := sampleSuperblock()
	b := NewHeapRegion(SuperblockSize).Bytes()
	for range 1000 {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		sb, err := DecodeSuperblock(b)
		if err != nil {
			t.Fatal(err)
		}
		if sb.Matches(&want) == nil {
			t.Fatalf("random superblock %+v matched", sb)
		}
		_ = sb.ValidateGeometry()
	}
}

func TestWireSpec_7_1_MagicMismatchRejected(t *testing.T) {
	want := sampleSuperblock()
	got := want
	got.Magic = 0x544F504C53484D32 // "TPOLSHM2"
	err := got.Matches(&want)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "magic" || !errors.Is(err, ErrSuperblockField) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "magic = 0x544f504c53484d32, want 0x544f504c53484d31") {
		t.Fatalf("message %q does not name the field and value", err)
	}
}

func TestWireSpec_7_1_HeaderRingPoolIDIsZero(t *testing.T) {
	sb := HeaderRingSuperblock(1, 2, 8)
	if err := sb.ValidateGeometry(); err != nil {
		t.Fatal(err)
	}
	sb.PoolID = 1
	err := sb.ValidateGeometry()
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "pool_id" {
		t.Fatalf("err = %v", err)
	}
}

func TestWireSpec_8_1_HeaderRingSlotBytesIs256(t *testing.T) {
	sb := HeaderRingSuperblock(1, 2, 8)
	sb.SlotBytes = 512
	if err := sb.ValidateGeometry(); !errors.Is(err, ErrSuperblockField) {
		t.Fatalf("err = %v", err)
	}
	sb = HeaderRingSuperblock(1, 2, 8)
	sb.StrideBytes = 4096
	if err := sb.ValidateGeometry(); !errors.Is(err, ErrSuperblockField) {
		t.Fatalf("stride on header ring: err = %v", err)
	}
}

func TestWireSpec_9_PayloadPoolSlotBytesEqualsStride(t *testing.T) {
	sb := PayloadPoolSuperblock(1, 2, 3, 8, 4096)
	if sb.SlotBytes != sb.StrideBytes {
		t.Fatal("constructor must set slot_bytes = stride_bytes")
	}
	sb.SlotBytes = 8192
	if err := sb.ValidateGeometry(); !errors.Is(err, ErrSuperblockField) {
		t.Fatalf("err = %v", err)
	}
}

func TestSuperblockUnknownRegionTypeRejected(t *testing.T) {
	sb := HeaderRingSuperblock(1, 2, 8)
	sb.RegionType = 3
	var ve *ValidationError
	if err := sb.ValidateGeometry(); !errors.As(err, &ve) || ve.Field != "region_type" {
		t.Fatalf("err = %v", err)
	}
}

func TestWireSpec_15_4_NslotsPowerOfTwo(t *testing.T) {
	for _, n := range []uint32{0, 3, 6, 1000} {
		sb := HeaderRingSuperblock(1, 2, n)
		if err := sb.ValidateGeometry(); !errors.Is(err, ErrNslots) {
			t.Errorf("nslots %d: err = %v", n, err)
		}
	}
	for _, n := range []uint32{1, 2, 1024} {
		sb := HeaderRingSuperblock(1, 2, n)
		if err := sb.ValidateGeometry(); err != nil {
			t.Errorf("nslots %d: %v", n, err)
		}
	}
}

func TestSuperblockRegionSizeOverflowIsError(t *testing.T) {
	sb := Superblock{Nslots: math.MaxUint32, SlotBytes: math.MaxUint32}
	if _, err := sb.RegionSize(); !errors.Is(err, ErrRegionSize) {
		t.Fatalf("(2^32-1)^2 bytes: err = %v", err)
	}
	sb = HeaderRingSuperblock(1, 2, 4)
	if n, err := sb.RegionSize(); err != nil || n != 64+4*256 {
		t.Fatalf("size = %d, %v", n, err)
	}
}

func TestWireSpec_15_1_SuperblockMatchesAnnounce(t *testing.T) {
	want := sampleSuperblock()
	cases := []struct {
		field  string
		mutate func(*Superblock)
	}{
		{"layout_version", func(s *Superblock) { s.LayoutVersion = 2 }},
		{"epoch", func(s *Superblock) { s.Epoch++ }},
		{"stream_id", func(s *Superblock) { s.StreamID++ }},
		{"region_type", func(s *Superblock) { s.RegionType = RegionTypeHeaderRing }},
		{"pool_id", func(s *Superblock) { s.PoolID++ }},
		{"nslots", func(s *Superblock) { s.Nslots *= 2 }},
		{"slot_bytes", func(s *Superblock) { s.SlotBytes *= 2 }},
		{"stride_bytes", func(s *Superblock) { s.StrideBytes *= 2 }},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			got := want
			c.mutate(&got)
			err := got.Matches(&want)
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != c.field || !errors.Is(err, ErrInvalidSuperblock) {
				t.Fatalf("err = %v", err)
			}
			if !strings.Contains(err.Error(), c.field) {
				t.Fatalf("message %q does not name %s", err, c.field)
			}
		})
	}
	informational := want
	informational.Pid, informational.StartTimestampNs, informational.ActivityTimestampNs = 1, 2, 3
	if err := informational.Matches(&want); err != nil {
		t.Fatalf("pid and timestamps must not be compared: %v", err)
	}
}

package shm_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tensorpool/tensorpool/shm"
	"github.com/tensorpool/tensorpool/wire"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// shm encodes its structures by hand at fixed offsets; these tests hold those bytes to the
// sbe-tool codecs generated from schemas/control.xml, in both directions, so the SHM layout
// cannot drift from the schema that other languages decode it with.

func sampleFrame() (shm.SlotHeader, shm.TensorHeader) {
	h := shm.SlotHeader{ValuesLenBytes: 480 * 640 * 4, PayloadSlot: 5, PoolID: 1, TimestampNs: 1234567, MetaVersion: 9}
	t := shm.TensorHeader{
		Dtype: shm.DtypeFloat32, MajorOrder: shm.MajorOrderRow, Ndims: 3,
		ProgressUnit: shm.ProgressUnitRows, ProgressStrideBytes: 640 * 4 * 3,
		Dims:    [shm.MaxDims]int32{480, 640, 3},
		Strides: [shm.MaxDims]int32{640 * 4 * 3, 4 * 3, 4},
	}
	return h, t
}

func newRing(t *testing.T) *shm.HeaderRing {
	t.Helper()
	const nslots = 8
	ring, err := shm.NewHeaderRing(shm.NewHeapRegion(shm.HeaderSlotOffset(nslots)).Bytes(), nslots)
	require.NoError(t, err)
	return ring
}

func TestWireSpec_8_1_SlotWrittenByShmDecodesWithSbeCodec(t *testing.T) {
	ring := newRing(t)
	slot, drop := ring.Slot(5)
	require.Equal(t, shm.DropNone, drop)
	h, tensor := sampleFrame()
	slot.BeginWrite(13)
	slot.EncodeHeader(&h, &tensor)
	slot.Commit(13)

	b := slot.Bytes()
	n, err := wire.ValidateBody(wire.ControlSchemaID, control.SlotHeaderSbeTemplateID, b)
	require.NoError(t, err)
	require.Equal(t, shm.HeaderSlotSize, n)

	var sh control.SlotHeader
	sh.WrapForDecode(b, 0, uint64(control.SlotHeaderSbeBlockLength), uint64(control.SlotHeaderSbeSchemaVersion), uint64(len(b)))
	require.Equal(t, shm.Committed(13), sh.SeqCommit())
	require.Equal(t, h.ValuesLenBytes, sh.ValuesLenBytes())
	require.Equal(t, h.PayloadSlot, sh.PayloadSlot())
	require.Equal(t, h.PoolID, sh.PoolId())
	require.Equal(t, h.PayloadOffset, sh.PayloadOffset())
	require.Equal(t, h.TimestampNs, sh.TimestampNs())
	require.Equal(t, h.MetaVersion, sh.MetaVersion())

	embedded := b[shm.HeaderSlotSize-wire.HeaderLength-int(control.TensorHeaderSbeBlockLength):]
	require.Equal(t, uint32(len(embedded)), sh.HeaderBytesLength())
	msg, err := wire.ValidateSchema(embedded, wire.ControlSchemaID)
	require.NoError(t, err)
	require.Equal(t, "TensorHeader", msg.Name)

	var th control.TensorHeader
	th.WrapForDecode(embedded, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(embedded)))
	require.Equal(t, int16(tensor.Dtype), int16(th.Dtype()))
	require.Equal(t, int16(tensor.MajorOrder), int16(th.MajorOrder()))
	require.Equal(t, tensor.Ndims, th.Ndims())
	require.Equal(t, uint8(tensor.ProgressUnit), uint8(th.ProgressUnit()))
	require.Equal(t, tensor.ProgressStrideBytes, th.ProgressStrideBytes())
	for i := range shm.MaxDims {
		require.Equal(t, tensor.Dims[i], th.DimsIndex(uint64(i)), "dims[%d]", i)
		require.Equal(t, tensor.Strides[i], th.StridesIndex(uint64(i)), "strides[%d]", i)
	}
}

func TestWireSpec_8_1_SlotWrittenBySbeCodecDecodesWithShm(t *testing.T) {
	h, tensor := sampleFrame()
	tensorMsg := make([]byte, wire.HeaderLength+int(control.TensorHeaderSbeBlockLength))
	var th control.TensorHeader
	th.WrapAndApplyHeader(tensorMsg, 0, uint64(len(tensorMsg)))
	th.SetDtype(control.Dtype(tensor.Dtype)).SetMajorOrder(control.MajorOrder(tensor.MajorOrder)).
		SetNdims(tensor.Ndims).SetProgressUnit(control.ProgressUnit(tensor.ProgressUnit)).
		SetProgressStrideBytes(tensor.ProgressStrideBytes)
	for i := range shm.MaxDims {
		th.SetDimsIndex(uint64(i), tensor.Dims[i]).SetStridesIndex(uint64(i), tensor.Strides[i])
	}

	ring := newRing(t)
	slot, _ := ring.Slot(5)
	var sh control.SlotHeader
	sh.WrapForEncode(slot.Bytes(), 0, shm.HeaderSlotSize)
	sh.SetSeqCommit(shm.Committed(13)).SetValuesLenBytes(h.ValuesLenBytes).SetPayloadSlot(h.PayloadSlot).
		SetPoolId(h.PoolID).SetPayloadOffset(h.PayloadOffset).SetTimestampNs(h.TimestampNs).SetMetaVersion(h.MetaVersion)
	sh.PutHeaderBytes(string(tensorMsg))
	require.Equal(t, uint64(shm.HeaderSlotSize), sh.EncodedLength())

	require.Equal(t, shm.DropNone, shm.ValidateEmbeddedHeader(slot))
	var gotH shm.SlotHeader
	var gotT shm.TensorHeader
	require.Equal(t, shm.DropNone, slot.TryRead(13, &gotH, &gotT))
	h.SeqCommit = shm.Committed(13)
	require.Equal(t, h, gotH)
	require.Equal(t, tensor, gotT)
}

func TestWireSpec_7_1_SuperblockMatchesSbeCodecBothWays(t *testing.T) {
	sb := shm.PayloadPoolSuperblock(77, 10000, 2, 1024, 1<<20)
	sb.Pid, sb.StartTimestampNs, sb.ActivityTimestampNs = 4242, 111, 222

	byShm := shm.NewHeapRegion(shm.SuperblockSize).Bytes()
	require.NoError(t, shm.EncodeSuperblock(byShm, &sb))
	n, err := wire.ValidateBody(wire.ControlSchemaID, control.ShmRegionSuperblockSbeTemplateID, byShm)
	require.NoError(t, err)
	require.Equal(t, shm.SuperblockSize, n)

	var dec control.ShmRegionSuperblock
	dec.WrapForDecode(byShm, 0, uint64(control.ShmRegionSuperblockSbeBlockLength),
		uint64(control.ShmRegionSuperblockSbeSchemaVersion), uint64(len(byShm)))
	require.Equal(t, sb.Magic, dec.Magic())
	require.Equal(t, sb.LayoutVersion, dec.LayoutVersion())
	require.Equal(t, sb.Epoch, dec.Epoch())
	require.Equal(t, sb.StreamID, dec.StreamId())
	require.Equal(t, int16(sb.RegionType), int16(dec.RegionType()))
	require.Equal(t, sb.PoolID, dec.PoolId())
	require.Equal(t, sb.Nslots, dec.Nslots())
	require.Equal(t, sb.SlotBytes, dec.SlotBytes())
	require.Equal(t, sb.StrideBytes, dec.StrideBytes())
	require.Equal(t, sb.Pid, dec.Pid())
	require.Equal(t, sb.StartTimestampNs, dec.StartTimestampNs())
	require.Equal(t, sb.ActivityTimestampNs, dec.ActivityTimestampNs())

	bySbe := shm.NewHeapRegion(shm.SuperblockSize).Bytes()
	var enc control.ShmRegionSuperblock
	enc.WrapForEncode(bySbe, 0, uint64(len(bySbe)))
	enc.SetMagic(sb.Magic).SetLayoutVersion(sb.LayoutVersion).SetEpoch(sb.Epoch).SetStreamId(sb.StreamID).
		SetRegionType(control.RegionType(sb.RegionType)).SetPoolId(sb.PoolID).SetNslots(sb.Nslots).
		SetSlotBytes(sb.SlotBytes).SetStrideBytes(sb.StrideBytes).SetPid(sb.Pid).
		SetStartTimestampNs(sb.StartTimestampNs).SetActivityTimestampNs(sb.ActivityTimestampNs)
	require.True(t, bytes.Equal(byShm, bySbe), "superblock bytes differ:\nshm %x\nsbe %x", byShm, bySbe)
	got, err := shm.DecodeSuperblock(bySbe)
	require.NoError(t, err)
	require.Equal(t, sb, got)
}

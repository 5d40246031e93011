package shm

import "strconv"

// Dtype is the scalar element type of a tensor (schema enum Dtype, int16; §15.8).
// The numeric values are normative for v1.x; 12 is unassigned.
type Dtype int16

const (
	DtypeUnknown Dtype = 0
	DtypeUint8   Dtype = 1
	DtypeInt8    Dtype = 2
	DtypeUint16  Dtype = 3
	DtypeInt16   Dtype = 4
	DtypeUint32  Dtype = 5
	DtypeInt32   Dtype = 6
	DtypeUint64  Dtype = 7
	DtypeInt64   Dtype = 8
	DtypeFloat32 Dtype = 9
	DtypeFloat64 Dtype = 10
	DtypeBoolean Dtype = 11
	DtypeBytes   Dtype = 13
	DtypeBit     Dtype = 14
)

var dtypeNames = [...]string{
	DtypeUnknown: "UNKNOWN", DtypeUint8: "UINT8", DtypeInt8: "INT8", DtypeUint16: "UINT16",
	DtypeInt16: "INT16", DtypeUint32: "UINT32", DtypeInt32: "INT32", DtypeUint64: "UINT64",
	DtypeInt64: "INT64", DtypeFloat32: "FLOAT32", DtypeFloat64: "FLOAT64", DtypeBoolean: "BOOLEAN",
	DtypeBytes: "BYTES", DtypeBit: "BIT",
}

func (d Dtype) String() string {
	if d >= 0 && int(d) < len(dtypeNames) && dtypeNames[d] != "" {
		return dtypeNames[d]
	}
	return "Dtype(" + strconv.Itoa(int(d)) + ")"
}

// ElemSize is the size in bytes of one element, or 0 for UNKNOWN and unassigned values.
// BIT and BYTES are addressed per byte, as the reference consumer does.
func (d Dtype) ElemSize() int64 {
	switch d {
	case DtypeUint8, DtypeInt8, DtypeBoolean, DtypeBytes, DtypeBit:
		return 1
	case DtypeUint16, DtypeInt16:
		return 2
	case DtypeUint32, DtypeInt32, DtypeFloat32:
		return 4
	case DtypeUint64, DtypeInt64, DtypeFloat64:
		return 8
	}
	return 0
}

// MajorOrder says whether the last (ROW) or first (COLUMN) dimension is innermost.
type MajorOrder int16

const (
	MajorOrderUnknown MajorOrder = 0
	MajorOrderRow     MajorOrder = 1
	MajorOrderColumn  MajorOrder = 2
)

func (m MajorOrder) String() string {
	switch m {
	case MajorOrderUnknown:
		return "UNKNOWN"
	case MajorOrderRow:
		return "ROW"
	case MajorOrderColumn:
		return "COLUMN"
	}
	return "MajorOrder(" + strconv.Itoa(int(m)) + ")"
}

// ProgressUnit says how FrameProgress byte counts map onto the tensor (§8.2, §10.2.2).
type ProgressUnit uint8

const (
	ProgressUnitNone    ProgressUnit = 0
	ProgressUnitRows    ProgressUnit = 1
	ProgressUnitColumns ProgressUnit = 2
)

func (p ProgressUnit) String() string {
	switch p {
	case ProgressUnitNone:
		return "NONE"
	case ProgressUnitRows:
		return "ROWS"
	case ProgressUnitColumns:
		return "COLUMNS"
	}
	return "ProgressUnit(" + strconv.Itoa(int(p)) + ")"
}

// RegionType tells a header ring from a payload pool (superblock field region_type).
type RegionType int16

const (
	RegionTypeHeaderRing  RegionType = 1
	RegionTypePayloadPool RegionType = 2
)

func (r RegionType) String() string {
	switch r {
	case RegionTypeHeaderRing:
		return "HEADER_RING"
	case RegionTypePayloadPool:
		return "PAYLOAD_POOL"
	}
	return "RegionType(" + strconv.Itoa(int(r)) + ")"
}

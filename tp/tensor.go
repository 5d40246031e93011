package tp

import (
	"github.com/tensorpool/tensorpool/agents/consumer"
	"github.com/tensorpool/tensorpool/shm"
)

// DType is a tensor's element type (Wire §15.8).
type DType = shm.Dtype

// The element types.
const (
	Uint8   = shm.DtypeUint8
	Int8    = shm.DtypeInt8
	Uint16  = shm.DtypeUint16
	Int16   = shm.DtypeInt16
	Uint32  = shm.DtypeUint32
	Int32   = shm.DtypeInt32
	Uint64  = shm.DtypeUint64
	Int64   = shm.DtypeInt64
	Float32 = shm.DtypeFloat32
	Float64 = shm.DtypeFloat64
	Bytes   = shm.DtypeBytes
)

// Shape describes a tensor: element type, dimensions (at most 8, row-major) and optional
// byte strides (nil: contiguous).
type Shape struct {
	DType   DType
	Dims    []int32
	Strides []int32
}

// Tensor is a shape and its bytes, for Producer.Offer, with the frame's trace id
// (Claim.SetTraceID; 0 is none).
type Tensor struct {
	Shape
	Data    []byte
	TraceID uint64
}

// header fills h from s without allocating; false when s cannot be expressed.
func (s *Shape) header(h *shm.TensorHeader) bool {
	if len(s.Dims) > shm.MaxDims || (s.Strides != nil && len(s.Strides) != len(s.Dims)) {
		return false
	}
	*h = shm.TensorHeader{Dtype: s.DType, MajorOrder: shm.MajorOrderRow, Ndims: uint8(len(s.Dims))}
	copy(h.Dims[:], s.Dims)
	copy(h.Strides[:], s.Strides)
	return true
}

// Frame is a zero-copy view of one received frame, valid only inside the handler: its
// Payload points into shared memory the producer reuses. Read or copy what you need, then
// call Valid; only if it returns true did the bytes you read belong to this frame.
type Frame struct {
	f *consumer.Frame
}

// Seq is the frame's sequence number within its epoch.
func (f *Frame) Seq() uint64 { return f.f.Seq }

// Epoch is the epoch of the regions the frame lives in.
func (f *Frame) Epoch() uint64 { return f.f.Epoch }

// StreamID is the frame's stream.
func (f *Frame) StreamID() uint32 { return f.f.StreamID }

// TimestampNs is the producer's CLOCK_MONOTONIC time of the frame, from its slot header:
// the capture time (Claim.SetCaptureTimeNs; the commit time unless set).
func (f *Frame) TimestampNs() uint64 { return f.f.TimestampNs }

// DType is the element type.
func (f *Frame) DType() DType { return f.f.Tensor.Dtype }

// Dims is the shape; the slice is the frame's, do not keep it.
func (f *Frame) Dims() []int32 { return f.f.Dims() }

// Strides are the byte strides, inferred ones resolved.
func (f *Frame) Strides() []int64 { return f.f.Strides[:f.f.Tensor.Ndims] }

// Payload is the frame's bytes, in shared memory.
func (f *Frame) Payload() []byte { return f.f.Payload }

// Valid re-checks the slot's seqlock: true means nothing overwrote the frame since it was
// read (Wire §8.3).
func (f *Frame) Valid() bool { return f.f.Valid() }

// SeqCommitWord is the address of the frame's seqlock word (the slot's seq_commit) in
// shared memory, for bindings that re-check the frame outside Go (the C ABI checks it in
// C): the frame is intact while the word, loaded atomically after reading the payload,
// equals SeqCommit. The memory stays mapped until the consumer's next Poll begins.
func (f *Frame) SeqCommitWord() *uint64 { return f.f.SeqCommitWord() }

// SeqCommit is the seqlock word the frame was read under: Seq shifted left by one, with
// the committed bit set (Wire §8.3).
func (f *Frame) SeqCommit() uint64 { return f.f.SeqCommit() }

// DeferValidation, called inside the handler, says that the handler keeps the frame to
// read after it returns and re-checks it then (SeqCommitWord): the consumer counts it as
// delivered without re-checking it when the handler returns. For bindings' batch polls.
func (f *Frame) DeferValidation() { f.f.DeferValidation() }

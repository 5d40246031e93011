package producer

import (
	"encoding/binary"

	"github.com/tensorpool/tensorpool/aeron/logbuffer"
	"github.com/tensorpool/tensorpool/wire"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// DescriptorPublisher is where a producer sends its messages: an *aeron.Publication
// satisfies it, and so does any test double with Aeron's offer/try-claim contract
// (positive position on success, Aeron's negative codes otherwise).
type DescriptorPublisher interface {
	TryClaim(length int, claim *logbuffer.BufferClaim) int64
	Offer(msg []byte) int64
}

// Encoded lengths, message header included.
const (
	DescriptorLength    = wire.HeaderLength + int(control.FrameDescriptorSbeBlockLength)
	FrameProgressLength = wire.HeaderLength + int(control.FrameProgressSbeBlockLength)
	QosProducerLength   = wire.HeaderLength + int(control.QosProducerSbeBlockLength)
)

// Descriptor is the content of a FrameDescriptor (§10.2.1).
type Descriptor struct {
	StreamID    uint32
	Epoch       uint64
	Seq         uint64
	HeaderIndex uint32
	TimestampNs uint64 // optional: 0xFFFF_FFFF_FFFF_FFFF when absent (§10.1)
	MetaVersion uint32 // optional: 0xFFFF_FFFF when absent
}

// EncodeDescriptor writes d with its message header at the start of buf, which must hold
// DescriptorLength bytes, and returns the length written (0 if buf is too short).
func EncodeDescriptor(buf []byte, d *Descriptor) int {
	if len(buf) < DescriptorLength {
		return 0
	}
	encodeDescriptor(buf, d.StreamID, d.Epoch, d.Seq, d.HeaderIndex, d.MetaVersion)
	stampDescriptor(buf, d.TimestampNs)
	return DescriptorLength
}

// FrameDescriptor's encoding, read from the generated codec: the message header as one
// word, and each field's offset in buf. Publishing a frame writes the descriptor with
// these stores alone (the flyweight would add a dozen stores of its own state), and
// TestEncodeDescriptorMatchesCodec holds the bytes to the codec's.
var (
	descriptorHeaderWord = uint64(control.FrameDescriptorSbeBlockLength) |
		uint64(control.FrameDescriptorSbeTemplateID)<<16 |
		uint64(control.FrameDescriptorSbeSchemaID)<<32 |
		uint64((*control.FrameDescriptor)(nil).SbeSchemaVersion())<<48
	fdStreamID    = wire.HeaderLength + int((*control.FrameDescriptor)(nil).StreamIdEncodingOffset())
	fdEpoch       = wire.HeaderLength + int((*control.FrameDescriptor)(nil).EpochEncodingOffset())
	fdSeq         = wire.HeaderLength + int((*control.FrameDescriptor)(nil).SeqEncodingOffset())
	fdHeaderIndex = wire.HeaderLength + int((*control.FrameDescriptor)(nil).HeaderIndexEncodingOffset())
	fdTimestampNs = wire.HeaderLength + int((*control.FrameDescriptor)(nil).TimestampNsEncodingOffset())
	fdMetaVersion = wire.HeaderLength + int((*control.FrameDescriptor)(nil).MetaVersionEncodingOffset())
)

// encodeDescriptor writes every field of a FrameDescriptor but timestamp_ns into buf,
// which holds DescriptorLength bytes.
func encodeDescriptor(buf []byte, streamID uint32, epoch, seq uint64, headerIndex, metaVersion uint32) {
	buf = buf[:DescriptorLength]
	le.PutUint64(buf, descriptorHeaderWord)
	le.PutUint32(buf[fdStreamID:], streamID)
	le.PutUint64(buf[fdEpoch:], epoch)
	le.PutUint64(buf[fdSeq:], seq)
	le.PutUint32(buf[fdHeaderIndex:], headerIndex)
	le.PutUint32(buf[fdMetaVersion:], metaVersion)
}

// stampDescriptor sets timestamp_ns of a FrameDescriptor at the start of buf.
func stampDescriptor(buf []byte, timestampNs uint64) {
	le.PutUint64(buf[fdTimestampNs:], timestampNs)
}

var le = binary.LittleEndian

// Progress is the content of a FrameProgress (§10.2.2).
type Progress struct {
	StreamID           uint32
	Epoch              uint64
	FrameID            uint64
	HeaderIndex        uint32
	PayloadBytesFilled uint64
	State              control.FrameProgressState
}

// EncodeProgress writes p at the start of buf (FrameProgressLength bytes) and returns the
// length written, 0 if buf is too short.
func EncodeProgress(buf []byte, p *Progress) int {
	if len(buf) < FrameProgressLength {
		return 0
	}
	var m control.FrameProgress
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetStreamId(p.StreamID).
		SetEpoch(p.Epoch).
		SetFrameId(p.FrameID).
		SetHeaderIndex(p.HeaderIndex).
		SetPayloadBytesFilled(p.PayloadBytesFilled).
		SetState(p.State)
	return FrameProgressLength
}

// Qos is the content of a QosProducer (§10.4.2).
type Qos struct {
	StreamID   uint32
	ProducerID uint32
	Epoch      uint64
	CurrentSeq uint64
	Watermark  uint32 // optional: 0xFFFF_FFFF when absent
}

// EncodeQos writes q at the start of buf (QosProducerLength bytes) and returns the length
// written, 0 if buf is too short.
func EncodeQos(buf []byte, q *Qos) int {
	if len(buf) < QosProducerLength {
		return 0
	}
	var m control.QosProducer
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetStreamId(q.StreamID).
		SetProducerId(q.ProducerID).
		SetEpoch(q.Epoch).
		SetCurrentSeq(q.CurrentSeq).
		SetWatermark(q.Watermark)
	return QosProducerLength
}

// maxAdminRetries bounds the immediate retries of a try-claim that met a term rotation
// (AdminAction), which Aeron says to retry at once; anything else is a drop.
const maxAdminRetries = 3

// tryClaim claims length bytes on pub; on OK the claim is open for the caller to fill and
// commit.
func tryClaim(pub DescriptorPublisher, claim *logbuffer.BufferClaim, length int) Result {
	for range maxAdminRetries {
		position := pub.TryClaim(length, claim)
		if position >= 0 {
			return OK
		}
		if position != logbuffer.AdminAction {
			return publicationResult(position)
		}
	}
	return DropAdminAction
}

// offer sends msg on pub, retrying a term rotation as tryClaim does.
func offer(pub DescriptorPublisher, msg []byte) Result {
	return offerAgain(pub, msg, pub.Offer(msg))
}

// offerAgain continues offer after its first attempt returned position: an admin action
// (a term rotation) is retried, up to maxAdminRetries attempts in all; any other refusal
// maps to its Result.
func offerAgain(pub DescriptorPublisher, msg []byte, position int64) Result {
	for attempt := 1; position == logbuffer.AdminAction && attempt < maxAdminRetries; attempt++ {
		position = pub.Offer(msg)
	}
	switch {
	case position >= 0:
		return OK
	case position == logbuffer.AdminAction:
		return DropAdminAction
	}
	return publicationResult(position)
}

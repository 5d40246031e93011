package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// QosConsumer is a consumer's periodic report (control schema, Wire spec §10.4.1); encoding
// and decoding it allocate nothing. A mode the schema does not define decodes with
// ErrUnknownEnum.
type QosConsumer struct {
	StreamID    uint32
	ConsumerID  uint32
	Epoch       uint64 // 0 while the consumer has nothing mapped
	LastSeqSeen uint64
	DropsGap    uint64
	DropsLate   uint64
	Mode        Mode
}

// QosConsumerLength is a QosConsumer's encoded size, header included.
const QosConsumerLength = HeaderLength + qosConsumerBlock

const (
	qosConsumerBlock  = int(control.QosConsumerSbeBlockLength)
	qosConsumerHeader = uint64(control.QosConsumerSbeBlockLength) | uint64(control.QosConsumerSbeTemplateID)<<16 |
		uint64(ControlSchemaID)<<32 | uint64(ControlSchemaVersion)<<48
)

var (
	qosConsumerGate  = messageGate(QosConsumerID)
	qosConsumerShort = fixedShortBuffer("QosConsumer", QosConsumerLength)
)

// EncodedLength is the encoded size, header included.
func (m *QosConsumer) EncodedLength() int { return QosConsumerLength }

// Encode writes m at buf[0:] and returns its length. It does not allocate.
func (m *QosConsumer) Encode(buf []byte) (int, error) {
	if len(buf) < QosConsumerLength {
		return 0, qosConsumerShort
	}
	b := buf[:QosConsumerLength]
	le.PutUint64(b, qosConsumerHeader)
	f := b[HeaderLength:]
	le.PutUint32(f, m.StreamID)
	le.PutUint32(f[4:], m.ConsumerID)
	le.PutUint64(f[8:], m.Epoch)
	le.PutUint64(f[16:], m.LastSeqSeen)
	le.PutUint64(f[24:], m.DropsGap)
	le.PutUint64(f[32:], m.DropsLate)
	f[40] = byte(m.Mode)
	return QosConsumerLength, nil
}

// Decode validates buf and fills m (see the package comment for the errors). It does not
// allocate unless buf is malformed.
func (m *QosConsumer) Decode(buf []byte) error {
	_, readable, err := qosConsumerGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+qosConsumerBlock]
	*m = QosConsumer{
		StreamID:    le.Uint32(f),
		ConsumerID:  le.Uint32(f[4:]),
		Epoch:       le.Uint64(f[8:]),
		LastSeqSeen: le.Uint64(f[16:]),
		DropsGap:    le.Uint64(f[24:]),
		DropsLate:   le.Uint64(f[32:]),
		Mode:        Mode(f[40]),
	}
	return err
}

// QosProducer is a producer's periodic report (control schema, Wire spec §10.4.2); encoding
// and decoding it allocate nothing.
type QosProducer struct {
	StreamID   uint32
	ProducerID uint32
	Epoch      uint64
	CurrentSeq uint64
	Watermark  uint32 // optional: NullU32 when absent
}

// QosProducerLength is a QosProducer's encoded size, header included.
const QosProducerLength = HeaderLength + qosProducerBlock

const (
	qosProducerBlock  = int(control.QosProducerSbeBlockLength)
	qosProducerHeader = uint64(control.QosProducerSbeBlockLength) | uint64(control.QosProducerSbeTemplateID)<<16 |
		uint64(ControlSchemaID)<<32 | uint64(ControlSchemaVersion)<<48
)

var (
	qosProducerGate  = messageGate(QosProducerID)
	qosProducerShort = fixedShortBuffer("QosProducer", QosProducerLength)
)

// EncodedLength is the encoded size, header included.
func (m *QosProducer) EncodedLength() int { return QosProducerLength }

// Encode writes m at buf[0:] and returns its length. It does not allocate.
func (m *QosProducer) Encode(buf []byte) (int, error) {
	if len(buf) < QosProducerLength {
		return 0, qosProducerShort
	}
	b := buf[:QosProducerLength]
	le.PutUint64(b, qosProducerHeader)
	f := b[HeaderLength:]
	le.PutUint32(f, m.StreamID)
	le.PutUint32(f[4:], m.ProducerID)
	le.PutUint64(f[8:], m.Epoch)
	le.PutUint64(f[16:], m.CurrentSeq)
	le.PutUint32(f[24:], m.Watermark)
	return QosProducerLength, nil
}

// Decode validates buf and fills m (see the package comment for the errors). It does not
// allocate unless buf is malformed.
func (m *QosProducer) Decode(buf []byte) error {
	_, readable, err := qosProducerGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+qosProducerBlock]
	*m = QosProducer{
		StreamID:   le.Uint32(f),
		ProducerID: le.Uint32(f[4:]),
		Epoch:      le.Uint64(f[8:]),
		CurrentSeq: le.Uint64(f[16:]),
		Watermark:  le.Uint32(f[24:]),
	}
	return err
}

package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// ConsumerHello introduces a consumer to the producer and the driver (control schema, Wire
// spec §10.1.2): what it supports, its mode, and the per-consumer streams it asks for.
// Each channel is bounded by MaxChannelBytes on decode (ErrBadLength). An undefined mode
// or Bool decodes with ErrUnknownEnum; the driver still answers such a hello.
type ConsumerHello struct {
	StreamID              uint32
	ConsumerID            uint32
	SupportsShm           bool
	SupportsProgress      bool
	Mode                  Mode
	MaxRateHz             uint32 // 0: unlimited, as on the wire; never a sentinel
	ExpectedLayoutVersion uint32
	// The progress hints are optional on the wire; 0 stands for absent: it is encoded as
	// the field's null value, and the null value decodes as 0 ("producer default",
	// Wire spec §10.1).
	ProgressIntervalUs      uint32
	ProgressBytesDelta      uint32
	ProgressMajorDeltaUnits uint32
	// Per-consumer stream requests: a channel and a non-zero stream id, or neither.
	DescriptorStreamID uint32
	ControlStreamID    uint32
	DescriptorChannel  string
	ControlChannel     string
}

const consumerHelloBlock = int(control.ConsumerHelloSbeBlockLength)

var consumerHelloGate = messageGate(ConsumerHelloID)

// EncodedLength is the encoded size, header included.
func (m *ConsumerHello) EncodedLength() int {
	return HeaderLength + consumerHelloBlock + varLen(len(m.DescriptorChannel)) + varLen(len(m.ControlChannel))
}

// Encode writes m at buf[0:] and returns its length.
func (m *ConsumerHello) Encode(buf []byte) (int, error) {
	const name = "ConsumerHello"
	if err := firstError(checkVar(name, "descriptorChannel", len(m.DescriptorChannel), maxVarLength),
		checkVar(name, "controlChannel", len(m.ControlChannel), maxVarLength)); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(control.ConsumerHelloSbeBlockLength, control.ConsumerHelloSbeTemplateID, ControlSchemaID, ControlSchemaVersion))
	f := b[HeaderLength:]
	le.PutUint32(f, m.StreamID)
	le.PutUint32(f[4:], m.ConsumerID)
	f[8] = boolByte(m.SupportsShm)
	f[9] = boolByte(m.SupportsProgress)
	f[10] = byte(m.Mode)
	le.PutUint32(f[11:], m.MaxRateHz)
	le.PutUint32(f[15:], m.ExpectedLayoutVersion)
	le.PutUint32(f[19:], zeroToNull(m.ProgressIntervalUs))
	le.PutUint32(f[23:], zeroToNull(m.ProgressBytesDelta))
	le.PutUint32(f[27:], zeroToNull(m.ProgressMajorDeltaUnits))
	le.PutUint32(f[31:], m.DescriptorStreamID)
	le.PutUint32(f[35:], m.ControlStreamID)
	pos := putVar(b, HeaderLength+consumerHelloBlock, m.DescriptorChannel)
	putVar(b, pos, m.ControlChannel)
	return n, nil
}

// Decode validates buf and fills m (see the package comment and the type for the errors).
func (m *ConsumerHello) Decode(buf []byte) error {
	const name = "ConsumerHello"
	h, readable, err := consumerHelloGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+consumerHelloBlock]
	descriptor, pos, descErr := getVarBounded(buf, HeaderLength+int(h.BlockLength), MaxChannelBytes, name, "descriptorChannel")
	if descErr != nil {
		return descErr
	}
	controlChannel, _, controlErr := getVarBounded(buf, pos, MaxChannelBytes, name, "controlChannel")
	if controlErr != nil {
		return controlErr
	}
	*m = ConsumerHello{
		StreamID:                le.Uint32(f),
		ConsumerID:              le.Uint32(f[4:]),
		SupportsShm:             f[8] == 1,
		SupportsProgress:        f[9] == 1,
		Mode:                    Mode(f[10]),
		MaxRateHz:               le.Uint32(f[11:]),
		ExpectedLayoutVersion:   le.Uint32(f[15:]),
		ProgressIntervalUs:      nullToZero(le.Uint32(f[19:])),
		ProgressBytesDelta:      nullToZero(le.Uint32(f[23:])),
		ProgressMajorDeltaUnits: nullToZero(le.Uint32(f[27:])),
		DescriptorStreamID:      le.Uint32(f[31:]),
		ControlStreamID:         le.Uint32(f[35:]),
		DescriptorChannel:       descriptor,
		ControlChannel:          controlChannel,
	}
	return err
}

// zeroToNull maps 0, "absent", to an optional uint32's null value.
func zeroToNull(v uint32) uint32 {
	if v == 0 {
		return NullU32
	}
	return v
}

// nullToZero maps an optional uint32's null value to 0, "absent".
func nullToZero(v uint32) uint32 {
	if v == NullU32 {
		return 0
	}
	return v
}

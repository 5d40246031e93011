package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// ConsumerConfig assigns a consumer its mode, use of SHM and per-consumer streams (control
// schema, Wire spec §10.1.3): a producer's or, in driver mode, the driver's answer to a
// ConsumerHello. A stream id of 0 with an empty channel assigns none (the consumer stays
// on the shared stream). Each channel is bounded by MaxChannelBytes on decode
// (ErrBadLength); the fallback URI is kept whole for the consumer to judge. An undefined
// mode or Bool decodes with ErrUnknownEnum.
type ConsumerConfig struct {
	StreamID           uint32
	ConsumerID         uint32
	UseShm             bool
	Mode               Mode
	DescriptorStreamID uint32
	ControlStreamID    uint32
	PayloadFallbackURI string
	DescriptorChannel  string
	ControlChannel     string
}

const consumerConfigBlock = int(control.ConsumerConfigSbeBlockLength)

var consumerConfigGate = messageGate(ConsumerConfigID)

// EncodedLength is the encoded size, header included.
func (m *ConsumerConfig) EncodedLength() int {
	return HeaderLength + consumerConfigBlock +
		varLen(len(m.PayloadFallbackURI)) + varLen(len(m.DescriptorChannel)) + varLen(len(m.ControlChannel))
}

// Encode writes m at buf[0:] and returns its length.
func (m *ConsumerConfig) Encode(buf []byte) (int, error) {
	const name = "ConsumerConfig"
	if err := firstError(checkVar(name, "payloadFallbackUri", len(m.PayloadFallbackURI), maxVarLength),
		checkVar(name, "descriptorChannel", len(m.DescriptorChannel), maxVarLength),
		checkVar(name, "controlChannel", len(m.ControlChannel), maxVarLength)); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(control.ConsumerConfigSbeBlockLength, control.ConsumerConfigSbeTemplateID, ControlSchemaID, ControlSchemaVersion))
	f := b[HeaderLength:]
	le.PutUint32(f, m.StreamID)
	le.PutUint32(f[4:], m.ConsumerID)
	f[8] = boolByte(m.UseShm)
	f[9] = byte(m.Mode)
	le.PutUint32(f[10:], m.DescriptorStreamID)
	le.PutUint32(f[14:], m.ControlStreamID)
	pos := putVar(b, HeaderLength+consumerConfigBlock, m.PayloadFallbackURI)
	pos = putVar(b, pos, m.DescriptorChannel)
	putVar(b, pos, m.ControlChannel)
	return n, nil
}

// Decode validates buf and fills m (see the package comment and the type for the errors).
func (m *ConsumerConfig) Decode(buf []byte) error {
	const name = "ConsumerConfig"
	h, readable, err := consumerConfigGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+consumerConfigBlock]
	fallback, pos := getVar(buf, HeaderLength+int(h.BlockLength))
	descriptor, pos, descErr := getVarBounded(buf, pos, MaxChannelBytes, name, "descriptorChannel")
	if descErr != nil {
		return descErr
	}
	controlChannel, _, controlErr := getVarBounded(buf, pos, MaxChannelBytes, name, "controlChannel")
	if controlErr != nil {
		return controlErr
	}
	*m = ConsumerConfig{
		StreamID:           le.Uint32(f),
		ConsumerID:         le.Uint32(f[4:]),
		UseShm:             f[8] == 1,
		Mode:               Mode(f[9]),
		DescriptorStreamID: le.Uint32(f[10:]),
		ControlStreamID:    le.Uint32(f[14:]),
		PayloadFallbackURI: fallback,
		DescriptorChannel:  descriptor,
		ControlChannel:     controlChannel,
	}
	return err
}

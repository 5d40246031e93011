// Package consumercfg is the ConsumerConfig message (Wire spec §10.1.3) as producers,
// consumers and the driver's clients exchange it: one type and its codec, shared so the
// producer that follows a driver's assignment and the consumer that applies it read the
// message alike.
package consumercfg

import (
	"fmt"

	"github.com/tensorpool/tensorpool/wire"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// Assignment is the content of a ConsumerConfig: use_shm, the mode, and the per-consumer
// streams assigned to one consumer of one stream.
type Assignment struct {
	StreamID           uint32
	ConsumerID         uint32
	UseShm             bool
	Mode               control.Mode
	DescriptorStreamID uint32 // 0: not assigned; stay on the shared stream
	ControlStreamID    uint32
	PayloadFallbackURI string
	DescriptorChannel  string // "": not assigned
	ControlChannel     string
}

// Length is the encoded length of a, message header included.
func Length(a *Assignment) int {
	const varHeader = 4
	return wire.HeaderLength + int(control.ConsumerConfigSbeBlockLength) +
		3*varHeader + len(a.PayloadFallbackURI) + len(a.DescriptorChannel) + len(a.ControlChannel)
}

// Encode writes a at the start of buf and returns the length written, 0 if buf is
// shorter than Length(a).
func Encode(buf []byte, a *Assignment) int {
	n := Length(a)
	if len(buf) < n {
		return 0
	}
	useShm := control.Bool_FALSE
	if a.UseShm {
		useShm = control.Bool_TRUE
	}
	var m control.ConsumerConfig
	m.WrapAndApplyHeader(buf, 0, uint64(len(buf))).
		SetStreamId(a.StreamID).
		SetConsumerId(a.ConsumerID).
		SetUseShm(useShm).
		SetMode(a.Mode).
		SetDescriptorStreamId(a.DescriptorStreamID).
		SetControlStreamId(a.ControlStreamID).
		PutPayloadFallbackUri(a.PayloadFallbackURI).
		PutDescriptorChannel(a.DescriptorChannel).
		PutControlChannel(a.ControlChannel)
	return n
}

// Decode validates buf (wire.Validate) and decodes a ConsumerConfig into a. A half
// assignment (channel without id, or id without channel) is not an assignment (§10.1.3):
// both halves are cleared.
func Decode(buf []byte, a *Assignment) error {
	msg, err := wire.ValidateSchema(buf, wire.ControlSchemaID)
	if err != nil {
		return err
	}
	if msg.TemplateID != control.ConsumerConfigSbeTemplateID {
		return &wire.DecodeError{Message: "ConsumerConfig", Problem: fmt.Sprintf("template %d is not a ConsumerConfig", msg.TemplateID), Err: wire.ErrUnknownTemplate}
	}
	var m control.ConsumerConfig
	m.WrapForDecode(buf, wire.HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	*a = Assignment{
		StreamID:           m.StreamId(),
		ConsumerID:         m.ConsumerId(),
		UseShm:             m.UseShm() == control.Bool_TRUE,
		Mode:               m.Mode(),
		DescriptorStreamID: m.DescriptorStreamId(),
		ControlStreamID:    m.ControlStreamId(),
	}
	a.PayloadFallbackURI = m.GetPayloadFallbackUriAsString()
	a.DescriptorChannel = m.GetDescriptorChannelAsString()
	a.ControlChannel = m.GetControlChannelAsString()
	if a.DescriptorChannel == "" || a.DescriptorStreamID == 0 {
		a.DescriptorChannel, a.DescriptorStreamID = "", 0
	}
	if a.ControlChannel == "" || a.ControlStreamID == 0 {
		a.ControlChannel, a.ControlStreamID = "", 0
	}
	return nil
}

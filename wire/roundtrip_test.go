package wire

import (
	"fmt"
	"testing"

	"github.com/tensorpool/tensorpool/wire/sbe/control"
)

// TestRoundTripEveryMessage encodes every message of the four schemas with sample values
// (groups empty and with entries, nested groups, var data including discovery tags), checks
// the exact encoded length against the golden layout, validates it and decodes every value back.
func TestRoundTripEveryMessage(t *testing.T) {
	ls := loadLayouts(t)
	for _, key := range schemaOrder {
		s := ls[key]
		for _, m := range s.Messages {
			for _, entries := range []int{0, 2} {
				t.Run(fmt.Sprintf("%s.%s/entries=%d", key, m.Name, entries), func(t *testing.T) {
					seed := int(m.TemplateID)
					buf := encodeSample(key, m, seed, entries)
					if want := HeaderLength + sampleLength(m, seed, entries, 0); len(buf) != want {
						t.Fatalf("encoded %d bytes, want %d", len(buf), want)
					}
					msg, err := ValidateSchema(buf, s.SchemaID)
					if err != nil {
						t.Fatal(err)
					}
					want := Message{
						Header: Header{BlockLength: uint16(m.BlockLength), TemplateID: m.TemplateID, SchemaID: s.SchemaID, Version: s.Version},
						Name:   m.Name, Length: len(buf),
					}
					if msg != want {
						t.Fatalf("Validate = %+v, want %+v", msg, want)
					}
					checkBlock(t, wrapForDecode(key, m, buf, msg.Header), m, "", seed, entries, 0)

					// Every message body also validates without its header.
					if n, err := ValidateBody(s.SchemaID, m.TemplateID, buf[HeaderLength:]); err != nil || n != len(buf)-HeaderLength {
						t.Fatalf("ValidateBody = %d, %v; want %d", n, err, len(buf)-HeaderLength)
					}
					// Trailing bytes after the message are allowed and not counted.
					if msg, err := Validate(append(buf, 0xAA, 0xBB)); err != nil || msg.Length != len(buf) {
						t.Fatalf("with trailing bytes: %+v, %v", msg, err)
					}
				})
			}
		}
	}
}

// TestHeaderSlot builds a 256-byte header slot the way a producer does (SlotHeader without a
// message header, TensorHeader with one inside headerBytes) and validates it as a consumer would.
func TestHeaderSlot(t *testing.T) {
	const slotBytes = 256
	slot := make([]byte, slotBytes)

	var th control.TensorHeader
	th.WrapAndApplyHeader(make([]byte, HeaderLength+int(control.TensorHeaderSbeBlockLength)), 0, HeaderLength+uint64(control.TensorHeaderSbeBlockLength))
	th.SetDtype(control.Dtype_FLOAT32).SetMajorOrder(control.MajorOrder_ROW).SetNdims(2).SetProgressUnit(control.ProgressUnit_NONE)
	th.SetDimsIndex(0, 480).SetDimsIndex(1, 640).SetStridesIndex(0, 2560).SetStridesIndex(1, 4)
	tensor := th.Buffer()

	var sh control.SlotHeader
	sh.WrapForEncode(slot, 0, slotBytes)
	sh.SetSeqCommit(7<<1 | 1).SetValuesLenBytes(480 * 640 * 4).SetPayloadSlot(3).SetPoolId(1).SetPayloadOffset(0).
		SetTimestampNs(123).SetMetaVersion(2)
	sh.PutHeaderBytes(string(tensor))
	if got := int(sh.EncodedLength()); got != slotBytes {
		t.Fatalf("slot encodes to %d bytes, want %d", got, slotBytes)
	}

	n, err := ValidateBody(ControlSchemaID, control.SlotHeaderSbeTemplateID, slot)
	if err != nil || n != slotBytes {
		t.Fatalf("ValidateBody(slot) = %d, %v", n, err)
	}
	var dec control.SlotHeader
	dec.WrapForDecode(slot, 0, uint64(control.SlotHeaderSbeBlockLength), uint64(control.SlotHeaderSbeSchemaVersion), slotBytes)
	if dec.SeqCommit() != 7<<1|1 || dec.PayloadSlot() != 3 || dec.HeaderBytesLength() != uint32(len(tensor)) {
		t.Fatalf("slot header decoded wrong: %s", dec.String())
	}
	headerBytes := slot[slotBytes-len(tensor):]
	msg, err := ValidateSchema(headerBytes, ControlSchemaID)
	if err != nil || msg.Name != "TensorHeader" || msg.Length != len(headerBytes) {
		t.Fatalf("embedded TensorHeader: %+v, %v", msg, err)
	}
	var got control.TensorHeader
	got.WrapForDecode(headerBytes, HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(headerBytes)))
	if got.Dtype() != control.Dtype_FLOAT32 || got.Ndims() != 2 || got.DimsIndex(1) != 640 || got.StridesIndex(0) != 2560 || got.MaxDims() != 8 {
		t.Fatalf("embedded TensorHeader decoded wrong: %s", got.String())
	}
}

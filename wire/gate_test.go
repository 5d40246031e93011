package wire

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/tensorpool/tensorpool/wire/sbe/bridge"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
	"github.com/tensorpool/tensorpool/wire/sbe/discovery"
	"github.com/tensorpool/tensorpool/wire/sbe/driver"
)

func sample(t *testing.T, key, name string, entries int) []byte {
	t.Helper()
	m := findLayout(t, loadLayouts(t), key, name)
	return encodeSample(key, m, int(m.TemplateID), entries)
}

func asDecodeError(t *testing.T, err error, sentinel error) *DecodeError {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v does not wrap %v", err, sentinel)
	}
	return de
}

func TestShortHeader(t *testing.T) {
	for _, n := range []int{0, 1, HeaderLength - 1} {
		_, err := Validate(make([]byte, n))
		de := asDecodeError(t, err, ErrShortBuffer)
		if de.Field != "messageHeader" || de.Message != "" {
			t.Errorf("len %d: %+v", n, de)
		}
	}
}

// Template id 1 is a different message in each schema: only (schemaId, templateId) identifies it.
func TestTemplateIDsCollideAcrossSchemas(t *testing.T) {
	for _, c := range []struct{ key, name string }{
		{"control", "ShmPoolAnnounce"}, {"driver", "ShmAttachRequest"},
		{"bridge", "BridgeFrameChunk"}, {"discovery", "DiscoveryRequest"},
	} {
		msg, err := Validate(sample(t, c.key, c.name, 1))
		if err != nil || msg.TemplateID != 1 || msg.Name != c.name {
			t.Errorf("%s: %+v, %v", c.name, msg, err)
		}
	}

	// A ShmAttachRequest relabelled as schema 900 is gated as ShmPoolAnnounce, whose block is longer.
	buf := sample(t, "driver", "ShmAttachRequest", 0)
	binary.LittleEndian.PutUint16(buf[4:], ControlSchemaID)
	de := asDecodeError(t, errFrom(Validate(buf)), ErrBadLength)
	if de.Message != "ShmPoolAnnounce" || de.Field != "messageHeader.blockLength" {
		t.Errorf("relabelled attach request: %v", de)
	}

	// A FrameDescriptor relabelled as schema 901 is gated as ShmDetachResponse, which expects an
	// errorMessage after its block: the walk must not run past the buffer.
	buf = sample(t, "control", "FrameDescriptor", 0)
	binary.LittleEndian.PutUint16(buf[4:], DriverSchemaID)
	de = asDecodeError(t, errFrom(Validate(buf)), ErrShortBuffer)
	if de.Message != "ShmDetachResponse" || de.Field != "errorMessage" {
		t.Errorf("relabelled frame descriptor: %v", de)
	}
}

func errFrom(_ Message, err error) error { return err }

func TestWrongSchema(t *testing.T) {
	attach := sample(t, "driver", "ShmAttachRequest", 0)
	de := asDecodeError(t, errFrom(ValidateSchema(attach, ControlSchemaID)), ErrWrongSchema)
	if de.Field != "messageHeader.schemaId" || !strings.Contains(de.Problem, "schema 901, want 900") {
		t.Errorf("%v", de)
	}
	binary.LittleEndian.PutUint16(attach[4:], 999)
	de = asDecodeError(t, errFrom(Validate(attach)), ErrWrongSchema)
	if !strings.Contains(de.Problem, "999") {
		t.Errorf("%v", de)
	}
}

func TestUnknownTemplate(t *testing.T) {
	buf := sample(t, "control", "FrameDescriptor", 0)
	binary.LittleEndian.PutUint16(buf[2:], 12) // control has no template 12
	de := asDecodeError(t, errFrom(Validate(buf)), ErrUnknownTemplate)
	if de.Field != "messageHeader.templateId" || !strings.Contains(de.Problem, "shm.tensorpool.control") {
		t.Errorf("%v", de)
	}
	if _, err := ValidateBody(DiscoverySchemaID, 3, buf); !errors.Is(err, ErrUnknownTemplate) {
		t.Errorf("ValidateBody: %v", err)
	}
}

func TestBlockLengthBelowSchema(t *testing.T) {
	buf := sample(t, "control", "FrameDescriptor", 0)
	binary.LittleEndian.PutUint16(buf[0:], control.FrameDescriptorSbeBlockLength-1)
	de := asDecodeError(t, errFrom(Validate(buf)), ErrBadLength)
	if de.Message != "FrameDescriptor" || de.Field != "messageHeader.blockLength" || de.Problem != "block length 35 below the schema's 36" {
		t.Errorf("%v", de)
	}
}

// A longer block (a later schema version's extra fields) is skipped, and the flyweight, wrapped
// with the acting block length, still finds the groups and var data after it.
func TestLongerBlockLengthAccepted(t *testing.T) {
	const extra = 5
	var a control.ShmPoolAnnounce
	bl := int(control.ShmPoolAnnounceSbeBlockLength) + extra
	buf := make([]byte, HeaderLength+bl+4+10+4+2+4+2)
	a.WrapAndApplyHeader(buf, 0, uint64(len(buf)))
	a.Wrap(buf, HeaderLength, uint64(len(buf)), uint64(bl), 1) // encode as the newer version would
	binary.LittleEndian.PutUint16(buf[0:], uint16(bl))
	a.SetStreamId(9).SetAnnounceClockDomain(control.ClockDomain_MONOTONIC)
	a.PayloadPoolsCount(1).Next().SetPoolId(4).PutRegionUri("/p")
	a.PutHeaderRegionUri("/h")

	msg, err := Validate(buf)
	if err != nil || msg.Length != len(buf) || int(msg.BlockLength) != bl {
		t.Fatalf("%+v, %v", msg, err)
	}
	var d control.ShmPoolAnnounce
	d.WrapForDecode(buf, HeaderLength, uint64(msg.BlockLength), uint64(msg.Version), uint64(len(buf)))
	p := d.PayloadPools().Next()
	if d.StreamId() != 9 || p.PoolId() != 4 || p.RegionUri() != "/p" || d.HeaderRegionUri() != "/h" {
		t.Fatalf("decoded %s", d.String())
	}
}

// Offsets used below: ShmAttachResponse block ends at 8+51 = 59; payloadPools header 59..63;
// entry 0 at 63..73; its regionUri length prefix at 73.
const attachPoolsAt, attachRegionURIAt = 59, 73

func attachResponse(t *testing.T) []byte {
	t.Helper()
	var r driver.ShmAttachResponse
	buf := make([]byte, 59+4+10+4+3+4+2+4+3)
	r.WrapAndApplyHeader(buf, 0, uint64(len(buf))).SetCode(driver.ResponseCode_OK)
	r.PayloadPoolsCount(1).Next().SetPoolId(1).PutRegionUri("/p1")
	r.PutHeaderRegionUri("/h")
	r.PutErrorMessage("err")
	if _, err := Validate(buf); err != nil {
		t.Fatal(err)
	}
	return buf
}

func TestDecodeErrors(t *testing.T) {
	type mutation struct {
		name     string
		build    func(t *testing.T) []byte
		sentinel error
		message  string
		field    string
		problem  string
	}
	put16 := func(b []byte, at int, v uint16) []byte { binary.LittleEndian.PutUint16(b[at:], v); return b }
	put32 := func(b []byte, at int, v uint32) []byte { binary.LittleEndian.PutUint32(b[at:], v); return b }
	cases := []mutation{
		{"var data longer than the buffer",
			func(t *testing.T) []byte { return put32(attachResponse(t), attachRegionURIAt, 500) },
			ErrShortBuffer, "ShmAttachResponse", "payloadPools.regionUri", "length 500 exceeds remaining 16 bytes"},
		{"var data above its encoding's maximum",
			func(t *testing.T) []byte { return put32(attachResponse(t), attachRegionURIAt, 1<<30+1) },
			ErrBadLength, "ShmAttachResponse", "payloadPools.regionUri", "length 1073741825 exceeds maximum 1073741824"},
		{"group block length below the schema's",
			func(t *testing.T) []byte { return put16(attachResponse(t), attachPoolsAt, 9) },
			ErrBadLength, "ShmAttachResponse", "payloadPools", "group block length 9 below the schema's 10"},
		{"group count above the SBE maximum",
			func(t *testing.T) []byte { return put16(attachResponse(t), attachPoolsAt+2, 65535) },
			ErrBadLength, "ShmAttachResponse", "payloadPools", "count 65535 exceeds maximum 65534"},
		{"group entry cut short",
			func(t *testing.T) []byte { return attachResponse(t)[:attachPoolsAt+4+5] },
			ErrShortBuffer, "ShmAttachResponse", "payloadPools", "block needs 10 bytes, 5 remain"},
		{"truncated before a group header",
			func(t *testing.T) []byte { return attachResponse(t)[:attachPoolsAt+3] },
			ErrShortBuffer, "ShmAttachResponse", "payloadPools", "group header needs 4 bytes, 3 remain"},
		{"truncated fixed block",
			func(t *testing.T) []byte { return attachResponse(t)[:20] },
			ErrShortBuffer, "ShmAttachResponse", "block", "block needs 51 bytes, 12 remain"},
		{"truncated length prefix",
			func(t *testing.T) []byte { b := attachResponse(t); return b[:len(b)-3-2] },
			ErrShortBuffer, "ShmAttachResponse", "errorMessage", "length prefix needs 4 bytes, 2 remain"},
		{"bridge header bytes above 256",
			func(t *testing.T) []byte {
				var c bridge.BridgeFrameChunk
				buf := make([]byte, HeaderLength+41+4+257+4)
				c.WrapAndApplyHeader(buf, 0, uint64(len(buf))).SetHeaderIncluded(bridge.Bool_TRUE)
				return put32(buf, HeaderLength+41, 257)
			},
			ErrBadLength, "BridgeFrameChunk", "headerBytes", "length 257 exceeds maximum 256"},
		{"nested group var data beyond the buffer",
			func(t *testing.T) []byte { b := sample(t, "discovery", "DiscoveryResponse", 1); return b[:len(b)-4-60] },
			ErrShortBuffer, "DiscoveryResponse", "results.driverInstanceId", "exceeds remaining 0 bytes"},
		{"unknown uint8 enum value",
			func(t *testing.T) []byte {
				b := sample(t, "control", "ConsumerHello", 0)
				b[HeaderLength+int((&control.ConsumerHello{}).ModeEncodingOffset())] = 7
				return b
			},
			ErrUnknownEnum, "ConsumerHello", "mode", "value 7 is not defined by the schema"},
		{"null in a required enum",
			func(t *testing.T) []byte {
				b := sample(t, "driver", "ShmAttachRequest", 0)
				b[HeaderLength+int((&driver.ShmAttachRequest{}).RoleEncodingOffset())] = 255
				return b
			},
			ErrUnknownEnum, "ShmAttachRequest", "role", "null value 255 in a required field"},
		{"int16 enum value in a gap of the defined set",
			func(t *testing.T) []byte {
				b := sample(t, "control", "TensorHeader", 0)
				return put16(b, HeaderLength+int((&control.TensorHeader{}).DtypeEncodingOffset()), 12)
			},
			ErrUnknownEnum, "TensorHeader", "dtype", "value 12 is not defined"},
		{"negative int32 enum value",
			func(t *testing.T) []byte {
				b := sample(t, "control", "ControlResponse", 0)
				return put32(b, HeaderLength+int((&control.ControlResponse{}).CodeEncodingOffset()), 0xfffffffb)
			},
			ErrUnknownEnum, "ControlResponse", "code", "value -5 is not defined"},
		{"structure is reported before a bad enum",
			func(t *testing.T) []byte {
				b := sample(t, "control", "ConsumerHello", 0)
				b[HeaderLength+int((&control.ConsumerHello{}).ModeEncodingOffset())] = 7
				return b[:len(b)-1]
			},
			ErrShortBuffer, "ConsumerHello", "controlChannel", ""},
		{"nested group tag in a discovery response",
			func(t *testing.T) []byte {
				var r discovery.DiscoveryResponse
				buf := make([]byte, 512)
				r.WrapAndApplyHeader(buf, 0, uint64(len(buf))).SetStatus(discovery.DiscoveryStatus_OK)
				res := r.ResultsCount(1).Next()
				res.PayloadPoolsCount(0)
				res.TagsCount(1).Next().PutTag("abc")
				at := HeaderLength + int(r.EncodedLength()) - 3 - 4
				return put32(buf[:HeaderLength+int(r.EncodedLength())], at, 4)
			},
			ErrShortBuffer, "DiscoveryResponse", "results.tags.tag", "length 4 exceeds remaining 3 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Validate(c.build(t))
			de := asDecodeError(t, err, c.sentinel)
			if de.Message != c.message || de.Field != c.field || !strings.Contains(de.Problem, c.problem) {
				t.Errorf("got %q/%q/%q, want %q/%q/~%q", de.Message, de.Field, de.Problem, c.message, c.field, c.problem)
			}
		})
	}
}

func TestDecodeErrorText(t *testing.T) {
	buf := attachResponse(t)
	binary.LittleEndian.PutUint32(buf[attachRegionURIAt:], 500)
	_, err := Validate(buf)
	const want = "wire: ShmAttachResponse.payloadPools.regionUri at offset 73: length 500 exceeds remaining 16 bytes (short buffer)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

// With ErrUnknownEnum the message is still described, so a driver can answer INVALID_PARAMS.
func TestUnknownEnumKeepsMessage(t *testing.T) {
	b := sample(t, "driver", "ShmAttachRequest", 0)
	b[HeaderLength+int((&driver.ShmAttachRequest{}).RequireHugepagesEncodingOffset())] = 9
	msg, err := Validate(b)
	if !errors.Is(err, ErrUnknownEnum) || msg.Name != "ShmAttachRequest" || msg.Length != len(b) {
		t.Fatalf("%+v, %v", msg, err)
	}
}

func BenchmarkValidateFrameDescriptor(b *testing.B) {
	var fd control.FrameDescriptor
	buf := make([]byte, HeaderLength+int(control.FrameDescriptorSbeBlockLength))
	fd.WrapAndApplyHeader(buf, 0, uint64(len(buf))).SetStreamId(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ValidateSchema(buf, ControlSchemaID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineDecodeFrameDescriptor is the yardstick for BenchmarkValidateFrameDescriptor:
// wrapping the generated flyweight and reading every field without any validation.
func BenchmarkBaselineDecodeFrameDescriptor(b *testing.B) {
	var fd control.FrameDescriptor
	buf := make([]byte, HeaderLength+int(control.FrameDescriptorSbeBlockLength))
	fd.WrapAndApplyHeader(buf, 0, uint64(len(buf))).SetStreamId(1).SetSeq(7)
	var sum uint64
	b.ReportAllocs()
	for b.Loop() {
		fd.WrapForDecode(buf, HeaderLength, uint64(control.FrameDescriptorSbeBlockLength),
			uint64(control.FrameDescriptorSbeSchemaVersion), uint64(len(buf)))
		sum += uint64(fd.StreamId()) + fd.Epoch() + fd.Seq() + uint64(fd.HeaderIndex()) + fd.TimestampNs() + uint64(fd.MetaVersion())
	}
	if sum == 0 {
		b.Fatal("decoded nothing")
	}
}

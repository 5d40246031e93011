package wire

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

// The schemas that share the control stream since wire v1.2's reference: MergeMap (903) and
// TraceLink (904).

func mergeAndTraceMessages() map[string]typedMessage {
	return map[string]typedMessage{
		"sequence_announce": &SequenceMergeMapAnnounce{OutStreamID: 20000, Epoch: 3, StaleTimeoutNs: NullU64, Rules: []SequenceMergeRule{
			{InputStreamID: 10000, RuleType: MergeRuleOffset, Offset: -1, WindowSize: NullU32},
			{InputStreamID: 10001, RuleType: MergeRuleWindow, Offset: NullI32, WindowSize: 4},
		}},
		"sequence_announce_empty": &SequenceMergeMapAnnounce{OutStreamID: 1, Epoch: math.MaxUint64, StaleTimeoutNs: 5},
		"sequence_request":        &SequenceMergeMapRequest{OutStreamID: math.MaxUint32, Epoch: 7},
		"timestamp_announce": &TimestampMergeMapAnnounce{OutStreamID: 20000, Epoch: 3, StaleTimeoutNs: 1e9, ClockDomain: ClockRealtimeSynced,
			LatenessNs: 2e6, Rules: []TimestampMergeRule{
				{InputStreamID: 1, RuleType: MergeTimeRuleOffsetNs, TimestampSource: TimestampSourceFrameDescriptor, OffsetNs: math.MinInt64 + 1, WindowNs: NullU64},
				{InputStreamID: 2, RuleType: MergeTimeRuleWindowNs, TimestampSource: TimestampSourceSlotHeader, OffsetNs: NullI64, WindowNs: math.MaxUint64 - 1},
			}},
		"timestamp_request": &TimestampMergeMapRequest{OutStreamID: 20000, Epoch: 3},
		"trace_link":        &TraceLinkSet{StreamID: 1, Epoch: 2, Seq: 3, TraceID: 4, Parents: []uint64{5, math.MaxUint64}},
		"trace_link_none":   &TraceLinkSet{StreamID: 1, TraceID: 4},
	}
}

// fresh is a zero message of m's type.
func fresh(m typedMessage) typedMessage {
	return reflect.New(reflect.TypeOf(m).Elem()).Interface().(typedMessage)
}

func TestMergeAndTraceLinkRoundTrip(t *testing.T) {
	for name, m := range mergeAndTraceMessages() {
		t.Run(name, func(t *testing.T) { checkRoundTrip(t, m) })
	}
}

// TestJoinBarrier_14_SchemaIDGatesBeforeDecode: merge and tracelink template ids repeat the
// control schema's (JoinBarrier spec §14, TraceLink spec §9.2), so decoders of either side
// refuse the other's messages as another schema, and MessageIDs differ.
func TestJoinBarrier_14_SchemaIDGatesBeforeDecode(t *testing.T) {
	pairs := []struct {
		foreign string
		control typedMessage
		id      MessageID
	}{
		{"sequence_merge_map_announce.hex", new(ShmPoolAnnounce), ShmPoolAnnounceID},
		{"sequence_merge_map_request.hex", new(ConsumerHello), ConsumerHelloID},
		{"timestamp_merge_map_announce.hex", new(ConsumerConfig), ConsumerConfigID},
		{"timestamp_merge_map_request.hex", new(FrameDescriptor), FrameDescriptorID},
		{"trace_link_set.hex", new(ShmPoolAnnounce), ShmPoolAnnounceID},
	}
	for _, p := range pairs {
		buf := readGolden(t, p.foreign)
		h, err := PeekHeader(buf)
		require.NoError(t, err)
		if h.TemplateID != p.id.TemplateID() || h.ID() == p.id {
			t.Fatalf("%s: header %+v, id %v", p.foreign, h, h.ID())
		}
		asDecodeError(t, p.control.Decode(buf), ErrWrongSchema)
		// And the other way round: the control message is not the foreign decoder's.
		foreign := newTyped[map[uint16]string{MergeSchemaID: "merge", TraceLinkSchemaID: "tracelink"}[h.SchemaID]+"."+h.ID().String()]()
		require.NoError(t, foreign.Decode(buf))
		asDecodeError(t, foreign.Decode(encode(t, fresh(p.control))), ErrWrongSchema)
	}
}

// An undefined enum decodes with ErrUnknownEnum and the message filled, the raw value kept.
func TestMergeMap_UnknownEnumFillsMessage(t *testing.T) {
	seq := readGolden(t, "sequence_merge_map_announce.hex")
	seq[HeaderLength+20+4+4] = 9 // rules[0].ruleType
	var s SequenceMergeMapAnnounce
	de := asDecodeError(t, s.Decode(seq), ErrUnknownEnum)
	require.Equal(t, "rules.ruleType", de.Field)
	require.Equal(t, MergeRuleType(9), s.Rules[0].RuleType)
	require.Equal(t, uint32(4), s.Rules[1].WindowSize)

	for at, field := range map[int]string{
		HeaderLength + 20:              "clockDomain",
		HeaderLength + 29 + 4 + 22 + 5: "rules.timestampSource",
		HeaderLength + 29 + 4 + 4:      "rules.ruleType",
	} {
		ts := readGolden(t, "timestamp_merge_map_announce.hex")
		ts[at] = 0xEE
		var m TimestampMergeMapAnnounce
		de := asDecodeError(t, m.Decode(ts), ErrUnknownEnum)
		require.Equal(t, field, de.Field)
		require.Equal(t, 2, len(m.Rules))
	}
}

func TestMergeAndTraceLink_GroupOverMaximumRefused(t *testing.T) {
	for _, m := range []typedMessage{
		&SequenceMergeMapAnnounce{Rules: make([]SequenceMergeRule, maxGroupCount+1)},
		&TimestampMergeMapAnnounce{Rules: make([]TimestampMergeRule, maxGroupCount+1)},
		&TraceLinkSet{Parents: make([]uint64, maxGroupCount+1)},
	} {
		_, err := m.Encode(make([]byte, 1<<21))
		checkEncodeError(t, err, ErrBadLength)
	}
}

// A group entry longer than the schema's (a later version's) is skipped entry by entry.
func TestMergeAndTraceLink_LongerGroupEntries(t *testing.T) {
	var want TraceLinkSet
	require.NoError(t, want.Decode(readGolden(t, "trace_link_set.hex")))
	buf := readGolden(t, "trace_link_set.hex")
	groupAt := HeaderLength + traceLinkSetBlock
	wide := append([]byte(nil), buf[:groupAt]...)
	wide = append(wide, 12, 0, 2, 0)
	for i := range 2 {
		entry := buf[groupAt+groupHeaderLength+8*i:][:8]
		wide = append(append(wide, entry...), 0xAB, 0xAB, 0xAB, 0xAB)
	}
	var got TraceLinkSet
	require.NoError(t, got.Decode(wide))
	require.Equal(t, want, got)
}

// FuzzDecodeMergeMessages and FuzzDecodeTraceLinkMessages are the typed targets (fuzzTyped)
// seeded with their schemas' messages.
func FuzzDecodeMergeMessages(f *testing.F) {
	for _, name := range []string{"sequence_merge_map_announce.hex", "sequence_merge_map_request.hex",
		"timestamp_merge_map_announce.hex", "timestamp_merge_map_request.hex"} {
		buf := readGolden(f, name)
		f.Add(buf)
		f.Add(buf[:len(buf)/2])
	}
	fuzzTyped(f)
}

func FuzzDecodeTraceLinkMessages(f *testing.F) {
	buf := readGolden(f, "trace_link_set.hex")
	f.Add(buf)
	f.Add(buf[:len(buf)/2])
	fuzzTyped(f)
}

// The typed decoders of the new schemas fail with the sentinels, whatever the bytes.
func TestMergeAndTraceLink_DecodeErrors(t *testing.T) {
	for name, m := range mergeAndTraceMessages() {
		buf := encode(t, m)
		for n := range len(buf) {
			err := fresh(m).Decode(buf[:n])
			if !errors.Is(err, ErrShortBuffer) {
				t.Fatalf("%s cut to %d: %v", name, n, err)
			}
		}
		if !bytes.Equal(buf, encode(t, m)) {
			t.Fatalf("%s: encoding is not deterministic", name)
		}
	}
}

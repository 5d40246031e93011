package wire

import (
	"github.com/tensorpool/tensorpool/wire/sbe/merge"
)

// The MergeMap messages of the JoinBarrier (merge schema 903, JoinBarrier spec v1.0 §10):
// how an output stream's sequences or timestamps map to the inputs a join stage needs,
// announced as soft state on the control stream and asked for by late joiners. Their
// template ids repeat the control schema's 1-4, so receivers switch on the MessageID (schema
// and template), never on the template alone. Decoding judges structure and enums only: the
// pairing of a rule's type with exactly one non-null parameter (§6.2, §6.3), positive
// windows and a single clock domain are the join stage's rules.

// SequenceMergeMapAnnounce maps an output stream's sequences to its inputs' for one epoch
// (§10.1). An undefined rule type decodes with ErrUnknownEnum and m filled.
type SequenceMergeMapAnnounce struct {
	OutStreamID    uint32
	Epoch          uint64
	StaleTimeoutNs uint64 // optional: NullU64 when absent (§7.4)
	Rules          []SequenceMergeRule
}

// SequenceMergeRule is one input of a SequenceMergeMapAnnounce: OFFSET rules carry Offset
// (WindowSize null), WINDOW rules WindowSize (Offset null).
type SequenceMergeRule struct {
	InputStreamID uint32
	RuleType      MergeRuleType
	Offset        int32  // optional: NullI32 when absent; in_seq = out_seq + Offset
	WindowSize    uint32 // optional: NullU32 when absent
}

const (
	sequenceMergeMapAnnounceBlock = int(merge.SequenceMergeMapAnnounceSbeBlockLength)
	sequenceMergeRuleBlock        = 13
)

var sequenceMergeMapAnnounceGate = messageGate(SequenceMergeMapAnnounceID)

// EncodedLength is the encoded size, header included.
func (m *SequenceMergeMapAnnounce) EncodedLength() int {
	return HeaderLength + sequenceMergeMapAnnounceBlock + groupHeaderLength + len(m.Rules)*sequenceMergeRuleBlock
}

// Encode writes m at buf[0:] and returns its length.
func (m *SequenceMergeMapAnnounce) Encode(buf []byte) (int, error) {
	const name = "SequenceMergeMapAnnounce"
	if err := checkCount(name, "rules", len(m.Rules)); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(merge.SequenceMergeMapAnnounceSbeBlockLength, merge.SequenceMergeMapAnnounceSbeTemplateID, MergeSchemaID, MergeSchemaVersion))
	f := b[HeaderLength:]
	le.PutUint32(f, m.OutStreamID)
	le.PutUint64(f[4:], m.Epoch)
	le.PutUint64(f[12:], m.StaleTimeoutNs)
	pos := putGroup(b, HeaderLength+sequenceMergeMapAnnounceBlock, sequenceMergeRuleBlock, len(m.Rules))
	for i := range m.Rules {
		r := &m.Rules[i]
		e := b[pos : pos+sequenceMergeRuleBlock]
		le.PutUint32(e, r.InputStreamID)
		e[4] = byte(r.RuleType)
		le.PutUint32(e[5:], uint32(r.Offset))
		le.PutUint32(e[9:], r.WindowSize)
		pos += sequenceMergeRuleBlock
	}
	return n, nil
}

// Decode validates buf and fills m (see the package comment for the errors); no rules
// decode as nil.
func (m *SequenceMergeMapAnnounce) Decode(buf []byte) error {
	h, readable, err := sequenceMergeMapAnnounceGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+sequenceMergeMapAnnounceBlock]
	*m = SequenceMergeMapAnnounce{
		OutStreamID:    le.Uint32(f),
		Epoch:          le.Uint64(f[4:]),
		StaleTimeoutNs: le.Uint64(f[12:]),
	}
	block, count, pos := getGroup(buf, HeaderLength+int(h.BlockLength))
	if count > 0 {
		m.Rules = make([]SequenceMergeRule, count)
		for i := range m.Rules {
			e := buf[pos : pos+block]
			m.Rules[i] = SequenceMergeRule{
				InputStreamID: le.Uint32(e),
				RuleType:      MergeRuleType(e[4]),
				Offset:        int32(le.Uint32(e[5:])),
				WindowSize:    le.Uint32(e[9:]),
			}
			pos += block
		}
	}
	return err
}

// SequenceMergeMapRequest asks the MergeMap authority of an output stream's epoch for its
// SequenceMergeMapAnnounce (§10.3).
type SequenceMergeMapRequest struct {
	OutStreamID uint32
	Epoch       uint64
}

const sequenceMergeMapRequestLength = HeaderLength + int(merge.SequenceMergeMapRequestSbeBlockLength)

var (
	sequenceMergeMapRequestGate  = messageGate(SequenceMergeMapRequestID)
	sequenceMergeMapRequestShort = fixedShortBuffer("SequenceMergeMapRequest", sequenceMergeMapRequestLength)
)

// EncodedLength is the encoded size, header included.
func (m *SequenceMergeMapRequest) EncodedLength() int { return sequenceMergeMapRequestLength }

// Encode writes m at buf[0:] and returns its length.
func (m *SequenceMergeMapRequest) Encode(buf []byte) (int, error) {
	if len(buf) < sequenceMergeMapRequestLength {
		return 0, sequenceMergeMapRequestShort
	}
	encodeMergeMapRequest(buf, merge.SequenceMergeMapRequestSbeBlockLength, merge.SequenceMergeMapRequestSbeTemplateID, m.OutStreamID, m.Epoch)
	return sequenceMergeMapRequestLength, nil
}

// Decode validates buf and fills m (see the package comment for the errors).
func (m *SequenceMergeMapRequest) Decode(buf []byte) error {
	_, readable, err := sequenceMergeMapRequestGate.open(buf)
	if readable {
		m.OutStreamID, m.Epoch = le.Uint32(buf[HeaderLength:]), le.Uint64(buf[HeaderLength+4:])
	}
	return err
}

// TimestampMergeMapAnnounce maps an output stream's timestamps to its inputs' for one epoch
// (§10.4), in one clock domain. An undefined clock domain, rule type or timestamp source
// decodes with ErrUnknownEnum and m filled.
type TimestampMergeMapAnnounce struct {
	OutStreamID    uint32
	Epoch          uint64
	StaleTimeoutNs uint64 // optional: NullU64 when absent (§7.4)
	ClockDomain    ClockDomain
	LatenessNs     uint64 // optional: NullU64 when absent, which means 0 (§10.4)
	Rules          []TimestampMergeRule
}

// TimestampMergeRule is one input of a TimestampMergeMapAnnounce: OFFSET_NS rules carry
// OffsetNs (WindowNs null), WINDOW_NS rules WindowNs (OffsetNs null).
type TimestampMergeRule struct {
	InputStreamID   uint32
	RuleType        MergeTimeRuleType
	TimestampSource TimestampSource
	OffsetNs        int64  // optional: NullI64 when absent; in_time = out_time + OffsetNs
	WindowNs        uint64 // optional: NullU64 when absent
}

const (
	timestampMergeMapAnnounceBlock = int(merge.TimestampMergeMapAnnounceSbeBlockLength)
	timestampMergeRuleBlock        = 22
)

var timestampMergeMapAnnounceGate = messageGate(TimestampMergeMapAnnounceID)

// EncodedLength is the encoded size, header included.
func (m *TimestampMergeMapAnnounce) EncodedLength() int {
	return HeaderLength + timestampMergeMapAnnounceBlock + groupHeaderLength + len(m.Rules)*timestampMergeRuleBlock
}

// Encode writes m at buf[0:] and returns its length.
func (m *TimestampMergeMapAnnounce) Encode(buf []byte) (int, error) {
	const name = "TimestampMergeMapAnnounce"
	if err := checkCount(name, "rules", len(m.Rules)); err != nil {
		return 0, err
	}
	n := m.EncodedLength()
	if len(buf) < n {
		return 0, shortBuffer(name, len(buf), n)
	}
	b := buf[:n]
	le.PutUint64(b, headerWord(merge.TimestampMergeMapAnnounceSbeBlockLength, merge.TimestampMergeMapAnnounceSbeTemplateID, MergeSchemaID, MergeSchemaVersion))
	f := b[HeaderLength:]
	le.PutUint32(f, m.OutStreamID)
	le.PutUint64(f[4:], m.Epoch)
	le.PutUint64(f[12:], m.StaleTimeoutNs)
	f[20] = byte(m.ClockDomain)
	le.PutUint64(f[21:], m.LatenessNs)
	pos := putGroup(b, HeaderLength+timestampMergeMapAnnounceBlock, timestampMergeRuleBlock, len(m.Rules))
	for i := range m.Rules {
		r := &m.Rules[i]
		e := b[pos : pos+timestampMergeRuleBlock]
		le.PutUint32(e, r.InputStreamID)
		e[4] = byte(r.RuleType)
		e[5] = byte(r.TimestampSource)
		le.PutUint64(e[6:], uint64(r.OffsetNs))
		le.PutUint64(e[14:], r.WindowNs)
		pos += timestampMergeRuleBlock
	}
	return n, nil
}

// Decode validates buf and fills m (see the package comment for the errors); no rules
// decode as nil.
func (m *TimestampMergeMapAnnounce) Decode(buf []byte) error {
	h, readable, err := timestampMergeMapAnnounceGate.open(buf)
	if !readable {
		return err
	}
	f := buf[HeaderLength : HeaderLength+timestampMergeMapAnnounceBlock]
	*m = TimestampMergeMapAnnounce{
		OutStreamID:    le.Uint32(f),
		Epoch:          le.Uint64(f[4:]),
		StaleTimeoutNs: le.Uint64(f[12:]),
		ClockDomain:    ClockDomain(f[20]),
		LatenessNs:     le.Uint64(f[21:]),
	}
	block, count, pos := getGroup(buf, HeaderLength+int(h.BlockLength))
	if count > 0 {
		m.Rules = make([]TimestampMergeRule, count)
		for i := range m.Rules {
			e := buf[pos : pos+block]
			m.Rules[i] = TimestampMergeRule{
				InputStreamID:   le.Uint32(e),
				RuleType:        MergeTimeRuleType(e[4]),
				TimestampSource: TimestampSource(e[5]),
				OffsetNs:        int64(le.Uint64(e[6:])),
				WindowNs:        le.Uint64(e[14:]),
			}
			pos += block
		}
	}
	return err
}

// TimestampMergeMapRequest asks the MergeMap authority of an output stream's epoch for its
// TimestampMergeMapAnnounce (§10.5).
type TimestampMergeMapRequest struct {
	OutStreamID uint32
	Epoch       uint64
}

const timestampMergeMapRequestLength = HeaderLength + int(merge.TimestampMergeMapRequestSbeBlockLength)

var (
	timestampMergeMapRequestGate  = messageGate(TimestampMergeMapRequestID)
	timestampMergeMapRequestShort = fixedShortBuffer("TimestampMergeMapRequest", timestampMergeMapRequestLength)
)

// EncodedLength is the encoded size, header included.
func (m *TimestampMergeMapRequest) EncodedLength() int { return timestampMergeMapRequestLength }

// Encode writes m at buf[0:] and returns its length.
func (m *TimestampMergeMapRequest) Encode(buf []byte) (int, error) {
	if len(buf) < timestampMergeMapRequestLength {
		return 0, timestampMergeMapRequestShort
	}
	encodeMergeMapRequest(buf, merge.TimestampMergeMapRequestSbeBlockLength, merge.TimestampMergeMapRequestSbeTemplateID, m.OutStreamID, m.Epoch)
	return timestampMergeMapRequestLength, nil
}

// Decode validates buf and fills m (see the package comment for the errors).
func (m *TimestampMergeMapRequest) Decode(buf []byte) error {
	_, readable, err := timestampMergeMapRequestGate.open(buf)
	if readable {
		m.OutStreamID, m.Epoch = le.Uint32(buf[HeaderLength:]), le.Uint64(buf[HeaderLength+4:])
	}
	return err
}

// encodeMergeMapRequest writes either request, whose blocks are the same: outStreamId@0,
// epoch@4.
func encodeMergeMapRequest(buf []byte, blockLength, templateID uint16, outStreamID uint32, epoch uint64) {
	le.PutUint64(buf, headerWord(blockLength, templateID, MergeSchemaID, MergeSchemaVersion))
	le.PutUint32(buf[HeaderLength:], outStreamID)
	le.PutUint64(buf[HeaderLength+4:], epoch)
}

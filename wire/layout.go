package wire

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/tensorpool/tensorpool/wire/sbe/bridge"
	"github.com/tensorpool/tensorpool/wire/sbe/control"
	"github.com/tensorpool/tensorpool/wire/sbe/discovery"
	"github.com/tensorpool/tensorpool/wire/sbe/driver"
	"github.com/tensorpool/tensorpool/wire/sbe/merge"
	"github.com/tensorpool/tensorpool/wire/sbe/tracelink"
	v12bridge "github.com/tensorpool/tensorpool/wire/sbe/v12/bridge"
	v12control "github.com/tensorpool/tensorpool/wire/sbe/v12/control"
	v12driver "github.com/tensorpool/tensorpool/wire/sbe/v12/driver"
)

// The structure the validator walks: for every message the fixed block, its enum fields, its
// groups (recursively) and its var-data fields, in schema order. Sizes, offsets and enum value
// sets come from the generated codecs, so this table only adds the shape (which groups and
// var-data fields follow the block); layout_test.go checks it against testdata/layouts.json
// and testdata/layouts_v1_2.json.

// messageLayout is one message of one schema, in one wire version's layout.
type messageLayout struct {
	name       string
	schemaID   uint16
	templateID uint16
	root       block
	// version is the wire version whose layout this is: V1_1 for the index's entries (the
	// layout of every message that reads the same in both), V1_2 for a v1_2 entry.
	version Version
	// v1_2 is the message's v1.2 layout, for the five messages whose layout changed (see
	// Version); nil for the others.
	v1_2 *messageLayout
	// fixedOnly: every block length from root's up is a fixed block alone, with no enum to
	// check, in whichever layout it selects.
	fixedOnly bool
}

// block is a message's fixed block or a group entry, with what follows it on the wire.
type block struct {
	name        string // group name; "" for the message's own block
	path        string // dotted path used in errors, set by link
	blockLength int    // schema block length; the wire may declare more, never less
	enums       []enumField
	groups      []block
	data        []varField
}

type varField struct {
	name      string
	path      string
	maxLength uint32 // maxValue of the encoding's length type
}

type enumField struct {
	name     string
	path     string
	offset   int
	size     int // 1 (uint8), 2 (int16) or 4 (int32) bytes
	optional bool
	known    func(raw int64) bool // the generated LookupX accepts raw (including null)
}

// enumCode is the set of enum encodings the schemas use.
type enumCode interface{ ~uint8 | ~int16 | ~int32 }

func enum[R enumCode, E any](name string, offset uint, lookup func(R) (E, error)) enumField {
	var zero R
	return enumField{
		name:   name,
		offset: int(offset),
		size:   int(unsafe.Sizeof(zero)),
		known:  func(raw int64) bool { _, err := lookup(R(raw)); return err == nil },
	}
}

// optionalEnum is an enum field with presence="optional": its null value is accepted.
func optionalEnum[R enumCode, E any](name string, offset uint, lookup func(R) (E, error)) enumField {
	f := enum(name, offset, lookup)
	f.optional = true
	return f
}

// nullEnumValue is the null of an enum encoding of the given size (the primitive's default null).
func nullEnumValue(size int) int64 {
	switch size {
	case 1:
		return math.MaxUint8
	case 2:
		return math.MinInt16
	default:
		return math.MinInt32
	}
}

func vars(maxLength uint32, names ...string) []varField {
	fs := make([]varField, len(names))
	for i, n := range names {
		fs[i] = varField{name: n, maxLength: maxLength}
	}
	return fs
}

var (
	controlText  = (&control.VarAsciiEncoding{}).LengthMaxValue()
	controlBytes = (&control.VarDataEncoding{}).LengthMaxValue()
	driverText   = (&driver.VarAsciiEncoding{}).LengthMaxValue()
	discoText    = (&discovery.VarAsciiEncoding{}).LengthMaxValue()
	bridgeBytes  = (&bridge.VarDataEncoding{}).LengthMaxValue()
	bridgeHeader = (&bridge.VarDataEncoding256{}).LengthMaxValue()
)

var controlLayouts = []messageLayout{
	{name: "ShmPoolAnnounce", templateID: control.ShmPoolAnnounceSbeTemplateID, root: block{
		blockLength: int(control.ShmPoolAnnounceSbeBlockLength),
		enums: []enumField{
			enum("announceClockDomain", (&control.ShmPoolAnnounce{}).AnnounceClockDomainEncodingOffset(), control.LookupClockDomain),
		},
		groups: []block{{
			name:        "payloadPools",
			blockLength: int((&control.ShmPoolAnnouncePayloadPools{}).SbeBlockLength()),
			data:        vars(controlText, "regionUri"),
		}},
		data: vars(controlText, "headerRegionUri"),
	}},
	{name: "ConsumerHello", templateID: control.ConsumerHelloSbeTemplateID, root: block{
		blockLength: int(control.ConsumerHelloSbeBlockLength),
		enums: []enumField{
			enum("supportsShm", (&control.ConsumerHello{}).SupportsShmEncodingOffset(), control.LookupBool),
			enum("supportsProgress", (&control.ConsumerHello{}).SupportsProgressEncodingOffset(), control.LookupBool),
			enum("mode", (&control.ConsumerHello{}).ModeEncodingOffset(), control.LookupMode),
		},
		data: vars(controlText, "descriptorChannel", "controlChannel"),
	}},
	{name: "ConsumerConfig", templateID: control.ConsumerConfigSbeTemplateID, root: block{
		blockLength: int(control.ConsumerConfigSbeBlockLength),
		enums: []enumField{
			enum("useShm", (&control.ConsumerConfig{}).UseShmEncodingOffset(), control.LookupBool),
			enum("mode", (&control.ConsumerConfig{}).ModeEncodingOffset(), control.LookupMode),
		},
		data: vars(controlText, "payloadFallbackUri", "descriptorChannel", "controlChannel"),
	}},
	{name: "FrameDescriptor", templateID: control.FrameDescriptorSbeTemplateID, root: block{
		blockLength: int(control.FrameDescriptorSbeBlockLength),
	}, v1_2: &messageLayout{root: block{
		blockLength: int(v12control.FrameDescriptorSbeBlockLength),
	}}},
	{name: "QosConsumer", templateID: control.QosConsumerSbeTemplateID, root: block{
		blockLength: int(control.QosConsumerSbeBlockLength),
		enums:       []enumField{enum("mode", (&control.QosConsumer{}).ModeEncodingOffset(), control.LookupMode)},
	}},
	{name: "QosProducer", templateID: control.QosProducerSbeTemplateID, root: block{
		blockLength: int(control.QosProducerSbeBlockLength),
	}},
	{name: "DataSourceAnnounce", templateID: control.DataSourceAnnounceSbeTemplateID, root: block{
		blockLength: int(control.DataSourceAnnounceSbeBlockLength),
		data:        vars(controlText, "name", "summary"),
	}},
	{name: "DataSourceMeta", templateID: control.DataSourceMetaSbeTemplateID, root: block{
		blockLength: int(control.DataSourceMetaSbeBlockLength),
		groups: []block{{
			name:        "attributes",
			blockLength: int((&control.DataSourceMetaAttributes{}).SbeBlockLength()),
			data: append(vars(controlText, "key", "format"),
				vars(controlBytes, "value")...),
		}},
	}},
	{name: "ControlResponse", templateID: control.ControlResponseSbeTemplateID, root: block{
		blockLength: int(control.ControlResponseSbeBlockLength),
		enums:       []enumField{enum("code", (&control.ControlResponse{}).CodeEncodingOffset(), control.LookupResponseCode)},
		data:        vars(controlText, "errorMessage"),
	}},
	{name: "FrameProgress", templateID: control.FrameProgressSbeTemplateID, root: block{
		blockLength: int(control.FrameProgressSbeBlockLength),
		enums:       []enumField{enum("state", (&control.FrameProgress{}).StateEncodingOffset(), control.LookupFrameProgressState)},
	}, v1_2: &messageLayout{root: block{
		blockLength: int(v12control.FrameProgressSbeBlockLength),
		enums:       []enumField{enum("state", (&v12control.FrameProgress{}).StateEncodingOffset(), v12control.LookupFrameProgressState)},
	}}},
	{name: "ShmRegionSuperblock", templateID: control.ShmRegionSuperblockSbeTemplateID, root: block{
		blockLength: int(control.ShmRegionSuperblockSbeBlockLength),
		enums: []enumField{
			enum("regionType", (&control.ShmRegionSuperblock{}).RegionTypeEncodingOffset(), control.LookupRegionType),
		},
	}},
	{name: "SlotHeader", templateID: control.SlotHeaderSbeTemplateID, root: block{
		blockLength: int(control.SlotHeaderSbeBlockLength),
		data:        vars(controlBytes, "headerBytes"),
	}},
	{name: "TensorHeader", templateID: control.TensorHeaderSbeTemplateID, root: block{
		blockLength: int(control.TensorHeaderSbeBlockLength),
		enums: []enumField{
			enum("dtype", (&control.TensorHeader{}).DtypeEncodingOffset(), control.LookupDtype),
			enum("majorOrder", (&control.TensorHeader{}).MajorOrderEncodingOffset(), control.LookupMajorOrder),
			enum("progressUnit", (&control.TensorHeader{}).ProgressUnitEncodingOffset(), control.LookupProgressUnit),
		},
	}},
}

var driverLayouts = []messageLayout{
	{name: "ShmAttachRequest", templateID: driver.ShmAttachRequestSbeTemplateID, root: block{
		blockLength: int(driver.ShmAttachRequestSbeBlockLength),
		enums: []enumField{
			enum("role", (&driver.ShmAttachRequest{}).RoleEncodingOffset(), driver.LookupRole),
			optionalEnum("publishMode", (&driver.ShmAttachRequest{}).PublishModeEncodingOffset(), driver.LookupPublishMode),
			enum("requireHugepages", (&driver.ShmAttachRequest{}).RequireHugepagesEncodingOffset(), driver.LookupHugepagesPolicy),
		},
	}, v1_2: &messageLayout{root: block{
		blockLength: int(v12driver.ShmAttachRequestSbeBlockLength),
		enums: []enumField{
			enum("role", (&v12driver.ShmAttachRequest{}).RoleEncodingOffset(), v12driver.LookupRole),
			optionalEnum("publishMode", (&v12driver.ShmAttachRequest{}).PublishModeEncodingOffset(), v12driver.LookupPublishMode),
			enum("requireHugepages", (&v12driver.ShmAttachRequest{}).RequireHugepagesEncodingOffset(), v12driver.LookupHugepagesPolicy),
		},
	}}},
	{name: "ShmAttachResponse", templateID: driver.ShmAttachResponseSbeTemplateID, root: block{
		blockLength: int(driver.ShmAttachResponseSbeBlockLength),
		enums:       []enumField{enum("code", (&driver.ShmAttachResponse{}).CodeEncodingOffset(), driver.LookupResponseCode)},
		groups: []block{{
			name:        "payloadPools",
			blockLength: int((&driver.ShmAttachResponsePayloadPools{}).SbeBlockLength()),
			data:        vars(driverText, "regionUri"),
		}},
		data: vars(driverText, "headerRegionUri", "errorMessage"),
	}, v1_2: &messageLayout{root: block{
		blockLength: int(v12driver.ShmAttachResponseSbeBlockLength),
		enums:       []enumField{enum("code", (&v12driver.ShmAttachResponse{}).CodeEncodingOffset(), v12driver.LookupResponseCode)},
		groups: []block{{
			name:        "payloadPools",
			blockLength: int((&v12driver.ShmAttachResponsePayloadPools{}).SbeBlockLength()),
			data:        vars(driverText, "regionUri"),
		}},
		data: vars(driverText, "headerRegionUri", "errorMessage"),
	}}},
	{name: "ShmDetachRequest", templateID: driver.ShmDetachRequestSbeTemplateID, root: block{
		blockLength: int(driver.ShmDetachRequestSbeBlockLength),
		enums:       []enumField{enum("role", (&driver.ShmDetachRequest{}).RoleEncodingOffset(), driver.LookupRole)},
	}},
	{name: "ShmDetachResponse", templateID: driver.ShmDetachResponseSbeTemplateID, root: block{
		blockLength: int(driver.ShmDetachResponseSbeBlockLength),
		enums:       []enumField{enum("code", (&driver.ShmDetachResponse{}).CodeEncodingOffset(), driver.LookupResponseCode)},
		data:        vars(driverText, "errorMessage"),
	}},
	{name: "ShmLeaseKeepalive", templateID: driver.ShmLeaseKeepaliveSbeTemplateID, root: block{
		blockLength: int(driver.ShmLeaseKeepaliveSbeBlockLength),
		enums:       []enumField{enum("role", (&driver.ShmLeaseKeepalive{}).RoleEncodingOffset(), driver.LookupRole)},
	}},
	{name: "ShmDriverShutdown", templateID: driver.ShmDriverShutdownSbeTemplateID, root: block{
		blockLength: int(driver.ShmDriverShutdownSbeBlockLength),
		enums:       []enumField{enum("reason", (&driver.ShmDriverShutdown{}).ReasonEncodingOffset(), driver.LookupShutdownReason)},
		data:        vars(driverText, "errorMessage"),
	}},
	{name: "ShmLeaseRevoked", templateID: driver.ShmLeaseRevokedSbeTemplateID, root: block{
		blockLength: int(driver.ShmLeaseRevokedSbeBlockLength),
		enums: []enumField{
			enum("role", (&driver.ShmLeaseRevoked{}).RoleEncodingOffset(), driver.LookupRole),
			enum("reason", (&driver.ShmLeaseRevoked{}).ReasonEncodingOffset(), driver.LookupLeaseRevokeReason),
		},
		data: vars(driverText, "errorMessage"),
	}},
	{name: "ShmDriverShutdownRequest", templateID: driver.ShmDriverShutdownRequestSbeTemplateID, root: block{
		blockLength: int(driver.ShmDriverShutdownRequestSbeBlockLength),
		enums:       []enumField{enum("reason", (&driver.ShmDriverShutdownRequest{}).ReasonEncodingOffset(), driver.LookupShutdownReason)},
		data:        vars(driverText, "token", "errorMessage"),
	}},
}

var bridgeLayouts = []messageLayout{
	{name: "BridgeFrameChunk", templateID: bridge.BridgeFrameChunkSbeTemplateID, root: block{
		blockLength: int(bridge.BridgeFrameChunkSbeBlockLength),
		enums:       []enumField{enum("headerIncluded", (&bridge.BridgeFrameChunk{}).HeaderIncludedEncodingOffset(), bridge.LookupBool)},
		data:        append(vars(bridgeHeader, "headerBytes"), vars(bridgeBytes, "payloadBytes")...),
	}, v1_2: &messageLayout{root: block{
		blockLength: int(v12bridge.BridgeFrameChunkSbeBlockLength),
		enums:       []enumField{enum("headerIncluded", (&v12bridge.BridgeFrameChunk{}).HeaderIncludedEncodingOffset(), v12bridge.LookupBool)},
		data:        append(vars(bridgeHeader, "headerBytes"), vars(bridgeBytes, "payloadBytes")...),
	}}},
}

var mergeLayouts = []messageLayout{
	{name: "SequenceMergeMapAnnounce", templateID: merge.SequenceMergeMapAnnounceSbeTemplateID, root: block{
		blockLength: int(merge.SequenceMergeMapAnnounceSbeBlockLength),
		groups: []block{{
			name:        "rules",
			blockLength: int((&merge.SequenceMergeMapAnnounceRules{}).SbeBlockLength()),
			enums:       []enumField{enum("ruleType", (&merge.SequenceMergeMapAnnounceRules{}).RuleTypeEncodingOffset(), merge.LookupMergeRuleType)},
		}},
	}},
	{name: "SequenceMergeMapRequest", templateID: merge.SequenceMergeMapRequestSbeTemplateID, root: block{
		blockLength: int(merge.SequenceMergeMapRequestSbeBlockLength),
	}},
	{name: "TimestampMergeMapAnnounce", templateID: merge.TimestampMergeMapAnnounceSbeTemplateID, root: block{
		blockLength: int(merge.TimestampMergeMapAnnounceSbeBlockLength),
		enums:       []enumField{enum("clockDomain", (&merge.TimestampMergeMapAnnounce{}).ClockDomainEncodingOffset(), merge.LookupClockDomain)},
		groups: []block{{
			name:        "rules",
			blockLength: int((&merge.TimestampMergeMapAnnounceRules{}).SbeBlockLength()),
			enums: []enumField{
				enum("ruleType", (&merge.TimestampMergeMapAnnounceRules{}).RuleTypeEncodingOffset(), merge.LookupMergeTimeRuleType),
				enum("timestampSource", (&merge.TimestampMergeMapAnnounceRules{}).TimestampSourceEncodingOffset(), merge.LookupTimestampSource),
			},
		}},
	}},
	{name: "TimestampMergeMapRequest", templateID: merge.TimestampMergeMapRequestSbeTemplateID, root: block{
		blockLength: int(merge.TimestampMergeMapRequestSbeBlockLength),
	}},
}

var traceLinkLayouts = []messageLayout{
	{name: "TraceLinkSet", templateID: tracelink.TraceLinkSetSbeTemplateID, root: block{
		blockLength: int(tracelink.TraceLinkSetSbeBlockLength),
		groups: []block{{
			name:        "parents",
			blockLength: int((&tracelink.TraceLinkSetParents{}).SbeBlockLength()),
		}},
	}},
}

var discoveryLayouts = []messageLayout{
	{name: "DiscoveryRequest", templateID: discovery.DiscoveryRequestSbeTemplateID, root: block{
		blockLength: int(discovery.DiscoveryRequestSbeBlockLength),
		groups: []block{{
			name:        "tags",
			blockLength: int((&discovery.DiscoveryRequestTags{}).SbeBlockLength()),
			data:        vars(discoText, "tag"),
		}},
		data: vars(discoText, "responseChannel", "dataSourceName"),
	}},
	{name: "DiscoveryResponse", templateID: discovery.DiscoveryResponseSbeTemplateID, root: block{
		blockLength: int(discovery.DiscoveryResponseSbeBlockLength),
		enums:       []enumField{enum("status", (&discovery.DiscoveryResponse{}).StatusEncodingOffset(), discovery.LookupDiscoveryStatus)},
		groups: []block{{
			name:        "results",
			blockLength: int((&discovery.DiscoveryResponseResults{}).SbeBlockLength()),
			groups: []block{
				{
					name:        "payloadPools",
					blockLength: int((&discovery.DiscoveryResponseResultsPayloadPools{}).SbeBlockLength()),
					data:        vars(discoText, "regionUri"),
				},
				{
					name:        "tags",
					blockLength: int((&discovery.DiscoveryResponseResultsTags{}).SbeBlockLength()),
					data:        vars(discoText, "tag"),
				},
			},
			data: vars(discoText, "headerRegionUri", "dataSourceName", "driverInstanceId", "driverControlChannel"),
		}},
		data: vars(discoText, "errorMessage"),
	}},
}

// schemaInfo is one of the schemas.
type schemaInfo struct {
	id       uint16
	pkg      string
	messages []messageLayout
}

var schemas = []schemaInfo{
	{ControlSchemaID, "shm.tensorpool.control", controlLayouts},
	{DriverSchemaID, "shm.tensorpool.driver", driverLayouts},
	{BridgeSchemaID, "shm.tensorpool.bridge", bridgeLayouts},
	{DiscoverySchemaID, "shm.tensorpool.discovery", discoveryLayouts},
	{MergeSchemaID, "shm.tensorpool.merge", mergeLayouts},
	{TraceLinkSchemaID, "shm.tensorpool.tracelink", traceLinkLayouts},
}

// layoutIndex maps schemaId<<16|templateId to the message (template ids repeat across schemas).
var layoutIndex = func() map[uint32]*messageLayout {
	idx := make(map[uint32]*messageLayout)
	for si := range schemas {
		s := &schemas[si]
		for mi := range s.messages {
			m := &s.messages[mi]
			m.schemaID = s.id
			link(&m.root, "")
			m.fixedOnly = m.root.plain()
			if v := m.v1_2; v != nil {
				v.name, v.schemaID, v.templateID, v.version = m.name, s.id, m.templateID, V1_2
				link(&v.root, "")
				// Every length from v1.1's up selects one of two plain blocks only when v1.2's is
				// the longer (see layoutFor).
				m.fixedOnly = m.fixedOnly && v.root.plain() && v.root.blockLength > m.root.blockLength
			}
			idx[uint32(s.id)<<16|uint32(m.templateID)] = m
		}
	}
	return idx
}()

// plain reports whether b is a fixed block alone, with no enum to check.
func (b *block) plain() bool { return len(b.enums) == 0 && len(b.groups) == 0 && len(b.data) == 0 }

// layoutFor returns the layout a message of l's with the given header block length is read
// with (l itself, or its v1.2 layout; the rules are Version's), or the *DecodeError
// (ErrBadLength) of a block length none accepts.
func (l *messageLayout) layoutFor(blockLength int) (*messageLayout, error) {
	v := l.v1_2
	switch {
	case v == nil:
	case v.root.blockLength > l.root.blockLength:
		if blockLength >= v.root.blockLength {
			return v, nil
		}
	case blockLength == v.root.blockLength:
		return v, nil
	case blockLength < l.root.blockLength:
		return nil, &DecodeError{
			Message: l.name,
			Field:   "messageHeader.blockLength",
			Offset:  int((&control.MessageHeader{}).BlockLengthEncodingOffset()),
			Problem: fmt.Sprintf("block length %d is neither v1.2's %d nor at least v1.1's %d", blockLength, v.root.blockLength, l.root.blockLength),
			Err:     ErrBadLength,
		}
	}
	if blockLength < l.root.blockLength {
		return nil, &DecodeError{
			Message: l.name,
			Field:   "messageHeader.blockLength",
			Offset:  int((&control.MessageHeader{}).BlockLengthEncodingOffset()),
			Problem: fmt.Sprintf("block length %d below the schema's %d", blockLength, l.root.blockLength),
			Err:     ErrBadLength,
		}
	}
	return l, nil
}

// link fills in the dotted error paths below b.
func link(b *block, prefix string) {
	b.path = prefix + b.name
	if b.path == "" {
		b.path = "block"
	}
	inner := prefix
	if b.name != "" {
		inner = prefix + b.name + "."
	}
	for i := range b.enums {
		b.enums[i].path = inner + b.enums[i].name
	}
	for i := range b.data {
		b.data[i].path = inner + b.data[i].name
	}
	for i := range b.groups {
		link(&b.groups[i], inner)
	}
}

func lookupLayout(schemaID, templateID uint16) *messageLayout {
	return layoutIndex[uint32(schemaID)<<16|uint32(templateID)]
}

func schemaByID(id uint16) *schemaInfo {
	for i := range schemas {
		if schemas[i].id == id {
			return &schemas[i]
		}
	}
	return nil
}

package wire

import (
	"fmt"
	"strconv"
)

// Version is a wire spec version whose message layouts this package speaks. Wire spec v1.2
// (the reference at b8a2261) re-laid-out five messages without changing any schema id or
// version, so the header's blockLength is all that tells the layouts apart:
//
//	message            v1.1 block  v1.2 block  fields only in v1.1   fields only in v1.2
//	FrameDescriptor    36          40          headerIndex           traceId
//	FrameProgress      33          29          headerIndex           (frameId is named seq)
//	ShmAttachRequest   24          27          maxDims               desiredNodeId
//	ShmAttachResponse  51          54          maxDims               nodeId
//	BridgeFrameChunk   41          53          -                     traceId, payloadCrc32c
//
// Every other message reads the same in both. The typed messages of these five carry a
// Version field: Decode sets it from the block length, Encode writes the layout it names
// (the zero value, V1_1, is the layout this package always spoke). A field that does not
// exist in a message's version decodes as the Go zero value and is not encoded.
//
// Which layout a block length selects (VersionOf; Validate, Gate and Decode agree):
//   - FrameDescriptor, ShmAttachRequest, ShmAttachResponse, BridgeFrameChunk: v1.2's block is
//     the longer. A block at least v1.2's long is v1.2, whatever is beyond its fields a later
//     version's and skipped (SBE's rule); a block from v1.1's length up to v1.2's is v1.1, its
//     extra bytes skipped as before v1.2 existed; a shorter one is rejected (ErrBadLength).
//   - FrameProgress: v1.2's block is the shorter, so no length can be both a longer v1.2 and
//     not v1.1. Exactly 29 is v1.2; 33 and more is v1.1 (extra skipped, as before); anything
//     else is rejected (ErrBadLength).
type Version uint8

const (
	// V1_1 is wire spec v1.1 (the reference at 9a87745); the zero Version.
	V1_1 Version = iota
	// V1_2 is wire spec v1.2 (the reference at b8a2261), with bridge spec v1.1.
	V1_2
)

// Valid reports whether v is a version this package speaks.
func (v Version) Valid() bool { return v <= V1_2 }

// String is the version as the specs write it: "1.1", "1.2".
func (v Version) String() string {
	switch v {
	case V1_1:
		return "1.1"
	case V1_2:
		return "1.2"
	}
	return "Version(" + strconv.Itoa(int(v)) + ")"
}

// ParseVersion reads a version as String writes it ("1.1", "1.2"); anything else fails
// with an error wrapping ErrUnknownVersion that quotes the text.
func ParseVersion(s string) (Version, error) {
	switch s {
	case "1.1":
		return V1_1, nil
	case "1.2":
		return V1_2, nil
	}
	return V1_1, fmt.Errorf("wire: %q is not a wire spec version this package speaks (1.1, 1.2): %w", s, ErrUnknownVersion)
}

// MarshalText writes String's form; a Version that is not Valid fails with ErrUnknownVersion.
func (v Version) MarshalText() ([]byte, error) {
	if !v.Valid() {
		return nil, fmt.Errorf("wire: %v: %w", v, ErrUnknownVersion)
	}
	return []byte(v.String()), nil
}

// UnmarshalText is ParseVersion, for flags (flag.TextVar) and configuration decoders.
func (v *Version) UnmarshalText(text []byte) error {
	parsed, err := ParseVersion(string(text))
	if err != nil {
		return err
	}
	*v = parsed
	return nil
}

// VersionOf reports which version's layout h's block length selects (see Version). ok is
// false for every message whose layout is the same in both versions, for ids no schema
// defines, and for a block length no layout of the message accepts (which Validate and
// Decode reject).
func VersionOf(h Header) (v Version, ok bool) {
	l := lookupLayout(h.SchemaID, h.TemplateID)
	if l == nil || l.v1_2 == nil {
		return V1_1, false
	}
	picked, err := l.layoutFor(int(h.BlockLength))
	if err != nil {
		return V1_1, false
	}
	return picked.version, true
}

package wire

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is; every validation or decode failure is a *DecodeError wrapping one
// of them, every encode failure an *EncodeError wrapping ErrShortBuffer, ErrBadLength or
// ErrUnknownVersion.
var (
	// ErrShortBuffer: the buffer ends before the message, a group entry or a var-data field
	// does; when encoding, the buffer is shorter than the message.
	ErrShortBuffer = errors.New("short buffer")
	// ErrWrongSchema: the header's schemaId is not one of ours, or not the one the caller expects.
	ErrWrongSchema = errors.New("wrong schema")
	// ErrUnknownTemplate: the (schemaId, templateId) pair names no message, or not the
	// message a typed Decode reads.
	ErrUnknownTemplate = errors.New("unknown template")
	// ErrBadLength: a block length below the schema's, a group count above the SBE maximum, a
	// var-data length above its encoding's maximum, or a string above the bound a typed
	// Decode applies to it (MaxChannelBytes, MaxTokenBytes, ...).
	ErrBadLength = errors.New("bad length")
	// ErrUnknownEnum: an enum field holds a value the schema does not define (or null where the
	// field is required). Reported only once the whole structure has been checked, so the
	// flyweight is safe to use for everything except that field's String().
	ErrUnknownEnum = errors.New("unknown enum value")
	// ErrUnknownVersion: a message's Version, or a version's text, names no wire spec version
	// this package speaks (V1_1, V1_2).
	ErrUnknownVersion = errors.New("unknown wire version")
)

// DecodeError says which message and field failed validation and why.
type DecodeError struct {
	Message string // message name, or "" when the header itself is unusable
	Field   string // dotted path inside the message, e.g. "payloadPools.regionUri"
	Offset  int    // byte offset in the buffer where the problem was found
	Problem string
	Err     error // one of the sentinels above
}

func (e *DecodeError) Error() string {
	where := e.Field
	if e.Message != "" {
		where = e.Message + "." + e.Field
	}
	return fmt.Sprintf("wire: %s at offset %d: %s (%v)", where, e.Offset, e.Problem, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

package shm

import (
	"errors"
	"fmt"
)

// Categories of control-path failure. Every *ValidationError unwraps to a problem
// sentinel below, and each of those unwraps to one of these categories, so callers can
// test either as broadly or as precisely as they need with errors.Is.
var (
	ErrInvalidURI        = errors.New("shm: invalid region URI")
	ErrInvalidSuperblock = errors.New("shm: invalid superblock")
	ErrInvalidLayout     = errors.New("shm: invalid region layout")
	ErrPathRejected      = errors.New("shm: region path rejected")
	ErrInvalidStride     = errors.New("shm: invalid stride")
	ErrHugepages         = errors.New("shm: hugepage requirement not met")
	// ErrProcFormat reports /proc/meminfo or /proc/mounts text that could not be parsed.
	ErrProcFormat = errors.New("shm: malformed /proc file")
)

func problem(category error, text string) error { return fmt.Errorf("%w: %s", category, text) }

// URI problems (§4.1, §15.22).
var (
	ErrURIScheme         = problem(ErrInvalidURI, "scheme is not shm:file")
	ErrURIMalformedParam = problem(ErrInvalidURI, "parameter is not key=value")
	ErrURIEmptyValue     = problem(ErrInvalidURI, "parameter value is empty")
	ErrURIUnknownKey     = problem(ErrInvalidURI, "unknown parameter")
	ErrURIDuplicateKey   = problem(ErrInvalidURI, "parameter given twice")
	ErrURIMissingPath    = problem(ErrInvalidURI, "path parameter missing")
	ErrURIRelativePath   = problem(ErrInvalidURI, "path is not absolute")
	ErrURIPathCharacter  = problem(ErrInvalidURI, "path contains a character outside VCHAR or one of '?', '|', space")
	ErrURIBadBool        = problem(ErrInvalidURI, "value is not true or false")
)

// Superblock problems (§7.1, §15.1).
var (
	ErrSuperblockTruncated = problem(ErrInvalidSuperblock, "region shorter than the superblock")
	ErrSuperblockField     = problem(ErrInvalidSuperblock, "field does not have the expected value")
)

// Layout problems: geometry a region cannot have (§8.1, §9, §15.5).
var (
	ErrNslots         = problem(ErrInvalidLayout, "nslots must be a non-zero power of two")
	ErrRegionSize     = problem(ErrInvalidLayout, "region size overflows")
	ErrRegionTooSmall = problem(ErrInvalidLayout, "region smaller than superblock + nslots × slot_bytes")
	ErrMisalignment   = problem(ErrInvalidLayout, "mapping is not 8-byte aligned")
	ErrPathComponent  = problem(ErrInvalidLayout, "layout name must be one non-empty path component")
)

// Path containment problems (§15.21a.5).
var (
	ErrPathNotAbsolute   = problem(ErrPathRejected, "path is not absolute")
	ErrPathOutsideBase   = problem(ErrPathRejected, "canonical path is outside every allowed base directory")
	ErrPathNotRegular    = problem(ErrPathRejected, "not a regular file")
	ErrPathSymlink       = problem(ErrPathRejected, "path is a symbolic link at open time")
	ErrPathSwapped       = problem(ErrPathRejected, "opened file is not the validated file")
	ErrNoAllowedBaseDirs = problem(ErrPathRejected, "no allowed base directory configured")
	ErrBaseDirInvalid    = problem(ErrPathRejected, "allowed base directory is not an existing absolute directory")
)

// Stride and hugepage problems (§15.22).
var (
	ErrStrideNotPowerOfTwo    = problem(ErrInvalidStride, "stride_bytes must be a non-zero power of two")
	ErrStridePageMultiple     = problem(ErrInvalidStride, "stride_bytes must be a multiple of the page size")
	ErrStrideMultipleOf64     = problem(ErrInvalidStride, "stride_bytes must be a multiple of 64")
	ErrStrideHugepageMultiple = problem(ErrInvalidStride, "stride_bytes must be a multiple of the hugepage size")
	ErrHugepageSizeUnknown    = problem(ErrHugepages, "hugepage size unknown")
	ErrNotHugetlbfs           = problem(ErrHugepages, "region is not on a hugetlbfs mount")
)

// ValidationError is a control-path rejection: which rule (spec section), which field,
// the offending value, and the problem sentinel it unwraps to.
type ValidationError struct {
	Section string // Wire spec section, e.g. "7.1"
	Field   string // field, parameter or path component at fault
	Value   any    // the offending value as read
	Want    any    // the expected value, when there is one
	Problem error  // sentinel; errors.Is matches it and its category
}

func (e *ValidationError) Error() string {
	msg := fmt.Sprintf("%v (§%s): %s = %v", e.Problem, e.Section, e.Field, quoteIfString(e.Value))
	if e.Want != nil {
		msg += fmt.Sprintf(", want %v", e.Want)
	}
	return msg
}

func (e *ValidationError) Unwrap() error { return e.Problem }

func quoteIfString(v any) any {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return v
}

// hex64 prints as hexadecimal in error messages, for values such as magic that are
// recognisable only that way.
type hex64 uint64

func (h hex64) String() string { return fmt.Sprintf("%#016x", uint64(h)) }

func invalid(section, field string, value any, problem error) *ValidationError {
	return &ValidationError{Section: section, Field: field, Value: value, Problem: problem}
}

func mismatch(section, field string, value, want any, problem error) *ValidationError {
	return &ValidationError{Section: section, Field: field, Value: value, Want: want, Problem: problem}
}

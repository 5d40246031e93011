package shm

import (
	"errors"
	"testing"
)

// TestWireSpec_1_2_15_21a_3_SanitizeUser: ${USER} becomes one harmless path component.
func TestWireSpec_1_2_15_21a_3_SanitizeUser(t *testing.T) {
	for in, want := range map[string]string{
		"alice": "alice", "a.b-c_d9": "a.b-c_d9", "../etc": ".._etc", "a/b": "a_b",
		"dom\\user": "dom_user", "": "_", ".": "_", "..": "_", "é": "__", "a\x00b": "a_b",
	} {
		if got := SanitizeUser(in); got != want {
			t.Errorf("SanitizeUser(%q) = %q, want %q", in, got, want)
		}
	}
	if u := CanonicalUser(); u == "" || SanitizeUser(u) != u {
		t.Errorf("CanonicalUser() = %q, not sanitized", u)
	}
}

// TestWireSpec_1_2_15_21a_3_CanonicalPaths: the normative layout, and the components that
// could move it outside the base refused.
func TestWireSpec_1_2_15_21a_3_CanonicalPaths(t *testing.T) {
	dir, err := CanonicalEpochDir("/dev/shm", "alice", "default", 10000, 7)
	if err != nil || dir != "/dev/shm/tensorpool-alice/default/10000/7" {
		t.Fatalf("CanonicalEpochDir = %q, %v", dir, err)
	}
	if p := CanonicalPoolPath(dir, 3); p != "/dev/shm/tensorpool-alice/default/10000/7/3.pool" {
		t.Fatalf("CanonicalPoolPath = %q", p)
	}
	for _, c := range []struct{ base, user, ns string }{
		{"relative", "alice", "default"}, {"/dev/shm", "..", "default"}, {"/dev/shm", "alice", ".."},
		{"/dev/shm", "alice", "a/b"}, {"/dev/shm", "", "default"}, {"/dev/shm", "alice", ""},
	} {
		if _, err := CanonicalStreamDir(c.base, c.user, c.ns, 1); !errors.Is(err, ErrPathNotAbsolute) && !errors.Is(err, ErrPathComponent) {
			t.Errorf("CanonicalStreamDir(%q, %q, %q) = %v, want a path error", c.base, c.user, c.ns, err)
		}
	}
}

// TestWireSpec_1_2_15_22_StrideRule: any power-of-two multiple of 64 bytes.
func TestWireSpec_1_2_15_22_StrideRule(t *testing.T) {
	for stride, want := range map[uint32]error{
		64: nil, 128: nil, 4096: nil, 1 << 30: nil,
		0: ErrStrideNotPowerOfTwo, 32: ErrStrideMultipleOf64, 96: ErrStrideNotPowerOfTwo, 192: ErrStrideNotPowerOfTwo,
	} {
		if err := ValidateStrideV1_2(stride); !errors.Is(err, want) && (want != nil || err != nil) {
			t.Errorf("ValidateStrideV1_2(%d) = %v, want %v", stride, err, want)
		}
	}
	if err := ValidateStrideV1_2(32); !errors.Is(err, ErrInvalidStride) {
		t.Errorf("not an ErrInvalidStride: %v", err)
	}
}

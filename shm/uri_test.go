package shm

import (
	"errors"
	"strings"
	"testing"
)

func TestWireSpec_4_1_ValidURIs(t *testing.T) {
	cases := map[string]URI{
		"shm:file?path=/dev/shm/tp/header.ring":                 {Path: "/dev/shm/tp/header.ring"},
		"shm:file?path=/dev/hugepages/p|require_hugepages=true": {Path: "/dev/hugepages/p", RequireHugepages: true},
		"shm:file?path=/dev/shm/p|require_hugepages=false":      {Path: "/dev/shm/p"},
		"shm:file?require_hugepages=true|path=/dev/hugepages/p": {Path: "/dev/hugepages/p", RequireHugepages: true},
		"shm:file?path=/a=b":                                    {Path: "/a=b"},
		// '&' is not a separator (§4.1), so this is one odd but valid path.
		"shm:file?path=/x&require_hugepages=true":                         {Path: "/x&require_hugepages=true"},
		"shm:file?path=/":                                                 {Path: "/"},
		"shm:file?path=/tensorpool/ns/id/epoch-3/payload-1.pool":          {Path: "/tensorpool/ns/id/epoch-3/payload-1.pool"},
		"shm:file?path=/dev/shm/~odd!chars#%&*()[]{}<>\"'`^$@,;:+-_.file": {Path: "/dev/shm/~odd!chars#%&*()[]{}<>\"'`^$@,;:+-_.file"},
	}
	for s, want := range cases {
		got, err := ParseURI(s)
		if err != nil {
			t.Errorf("ParseURI(%q): %v", s, err)
			continue
		}
		if got != want {
			t.Errorf("ParseURI(%q) = %+v, want %+v", s, got, want)
		}
	}
}

func TestWireSpec_15_22_InvalidURIsRejected(t *testing.T) {
	cases := []struct {
		uri   string
		want  error
		field string
	}{
		{"", ErrURIScheme, "scheme"},
		{"file:///dev/shm/x", ErrURIScheme, "scheme"},
		{"shm:anon?path=/x", ErrURIScheme, "scheme"},
		{"SHM:FILE?path=/x", ErrURIScheme, "scheme"},
		{"aeron:ipc", ErrURIScheme, "scheme"},
		{"shm:file", ErrURIScheme, "scheme"},
		{"shm:file?", ErrURIMalformedParam, "parameter"},
		{"shm:file?path", ErrURIMalformedParam, "parameter"},
		{"shm:file?=/x", ErrURIMalformedParam, "parameter"},
		{"shm:file?path=/x|", ErrURIMalformedParam, "parameter"},
		{"shm:file?path=/x||require_hugepages=true", ErrURIMalformedParam, "parameter"},
		{"shm:file?path=", ErrURIEmptyValue, "path"},
		{"shm:file?path=/x|require_hugepages=", ErrURIEmptyValue, "require_hugepages"},
		{"shm:file?require_hugepages=true", ErrURIMissingPath, "path"},
		{"shm:file?path=dev/shm/x", ErrURIRelativePath, "path"},
		{"shm:file?path=C:\\aeron\\x", ErrURIRelativePath, "path"},
		{"shm:file?path=/dev/shm/a b", ErrURIPathCharacter, "path"},
		{"shm:file?path=/dev/shm/a?b", ErrURIPathCharacter, "path"},
		{"shm:file?path=/dev/shm/\tx", ErrURIPathCharacter, "path"},
		{"shm:file?path=/dev/shm/\u00e9", ErrURIPathCharacter, "path"},
		{"shm:file?path=/x|require_hugepages=yes", ErrURIBadBool, "require_hugepages"},
		{"shm:file?path=/x|require_hugepages=TRUE", ErrURIBadBool, "require_hugepages"},
		{"shm:file?path=/x|require_hugepages=1", ErrURIBadBool, "require_hugepages"},
		{"shm:file?path=/x|path=/y", ErrURIDuplicateKey, "path"},
		{"shm:file?path=/x|require_hugepages=true|require_hugepages=false", ErrURIDuplicateKey, "require_hugepages"},
		{"shm:file?path=/x|mode=ro", ErrURIUnknownKey, "mode"},
		{"shm:file?Path=/x", ErrURIUnknownKey, "Path"},
	}
	for _, c := range cases {
		_, err := ParseURI(c.uri)
		if !errors.Is(err, c.want) || !errors.Is(err, ErrInvalidURI) {
			t.Errorf("ParseURI(%q) err = %v, want %v", c.uri, err, c.want)
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("ParseURI(%q) err is %T, want *ValidationError", c.uri, err)
			continue
		}
		if c.field != "" && ve.Field != c.field {
			t.Errorf("ParseURI(%q) names field %q, want %q", c.uri, ve.Field, c.field)
		}
	}
}

func TestURIErrorNamesParameterAndValue(t *testing.T) {
	_, err := ParseURI("shm:file?path=/x|colour=blue")
	if msg := err.Error(); !strings.Contains(msg, "colour") || !strings.Contains(msg, `"blue"`) || !strings.Contains(msg, "§15.22") {
		t.Fatalf("message %q", msg)
	}
	_, err = ParseURI("http://" + strings.Repeat("x", 1000))
	if len(err.Error()) > 200 {
		t.Fatalf("error quotes the whole of a long foreign URI: %d bytes", len(err.Error()))
	}
}

func TestURIStringRoundTrips(t *testing.T) {
	for _, u := range []URI{{Path: "/dev/shm/x"}, {Path: "/dev/hugepages/y", RequireHugepages: true}} {
		got, err := ParseURI(u.String())
		if err != nil || got != u {
			t.Fatalf("ParseURI(%q) = %+v, %v", u.String(), got, err)
		}
	}
	if s := (URI{Path: "/p", RequireHugepages: true}).String(); s != "shm:file?path=/p|require_hugepages=true" {
		t.Fatalf("String() = %q", s)
	}
}

func FuzzParseURI(f *testing.F) {
	for _, seed := range []string{
		"shm:file?path=/dev/shm/x",
		"shm:file?path=/dev/hugepages/x|require_hugepages=true",
		"shm:file?require_hugepages=false|path=/x",
		"shm:file?path=/x|path=/y",
		"shm:file?path=",
		"shm:file?",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURI(s)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidURI) {
				t.Fatalf("ParseURI(%q) error %v is not a URI ValidationError", s, err)
			}
			return
		}
		again, err := ParseURI(u.String())
		if err != nil || again != u {
			t.Fatalf("round trip of %q via %q: %+v, %v", s, u.String(), again, err)
		}
	})
}

package wire

import (
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	for _, c := range []struct {
		v    Version
		text string
	}{{V1_1, "1.1"}, {V1_2, "1.2"}} {
		if !c.v.Valid() || c.v.String() != c.text {
			t.Errorf("%d: Valid %v, String %q; want %q", uint8(c.v), c.v.Valid(), c.v.String(), c.text)
		}
		if got, err := ParseVersion(c.text); err != nil || got != c.v {
			t.Errorf("ParseVersion(%q) = %v, %v", c.text, got, err)
		}
		b, err := c.v.MarshalText()
		if err != nil || string(b) != c.text {
			t.Errorf("%v.MarshalText() = %q, %v", c.v, b, err)
		}
		var back Version = 9
		if err := back.UnmarshalText(b); err != nil || back != c.v {
			t.Errorf("UnmarshalText(%q) = %v, %v", b, back, err)
		}
	}
	var zero Version
	if zero != V1_1 {
		t.Errorf("the zero Version is %v, want 1.1", zero)
	}
	if v := Version(2); v.Valid() || v.String() != "Version(2)" {
		t.Errorf("Version(2): Valid %v, String %q", v.Valid(), v.String())
	}
	if _, err := Version(2).MarshalText(); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("Version(2).MarshalText: %v", err)
	}
}

// Anything but the spec's spelling is refused, naming the text.
func TestParseVersionRefuses(t *testing.T) {
	for _, s := range []string{"", "1", "1.0", "1.3", "2.0", "v1.2", " 1.2", "1.2 ", "1.10", "V1_2"} {
		v, err := ParseVersion(s)
		if !errors.Is(err, ErrUnknownVersion) || v != V1_1 || !strings.Contains(err.Error(), `"`+s+`"`) {
			t.Errorf("ParseVersion(%q) = %v, %v", s, v, err)
		}
		keep := V1_2
		if err := keep.UnmarshalText([]byte(s)); err == nil || keep != V1_2 {
			t.Errorf("UnmarshalText(%q) = %v, changed to %v", s, err, keep)
		}
	}
}

// A Version is a flag as it is (flag.TextVar), the way commands take it.
func TestVersionFlag(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	var v Version
	fs.TextVar(&v, "wire-version", V1_1, "wire spec version to send")
	if err := fs.Parse([]string{"-wire-version", "1.2"}); err != nil || v != V1_2 {
		t.Fatalf("parsed %v, %v", v, err)
	}
	if err := fs.Parse([]string{"-wire-version", "1.3"}); err == nil {
		t.Fatal("1.3 accepted")
	}
}

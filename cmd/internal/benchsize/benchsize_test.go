package benchsize

import (
	"os"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]int{"64": 64, "1K": 1024, "640K": 655360, "16M": 16 << 20} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"4", "17M", "x", ""} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestParseList(t *testing.T) {
	if got, err := ParseList("64, 640K,16M"); err != nil || len(got) != 3 || got[0] != 64 || got[1] != 640<<10 || got[2] != 16<<20 {
		t.Errorf("ParseList = %v, %v", got, err)
	}
	if _, err := ParseList("64,,1K"); err == nil {
		t.Error("an empty entry was accepted")
	}
}

func TestGeometry(t *testing.T) {
	page := uint32(os.Getpagesize())
	for _, c := range []struct {
		size          int
		stride, slots uint32
	}{{64, page, 1024}, {4096, max(page, 4096), 1024}, {640 << 10, 1 << 20, 64}, {16 << 20, 16 << 20, 16}} {
		if stride, slots := Geometry(c.size); stride != c.stride || slots != c.slots {
			t.Errorf("Geometry(%d) = %d, %d; want %d, %d", c.size, stride, slots, c.stride, c.slots)
		}
	}
}

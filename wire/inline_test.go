package wire

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestHotPathEncodersInline: the data-path encoders are inlined into their callers (a
// producer's commit), which is what keeps them near the cost of the stores themselves; they
// speak two layouts with one run of stores to stay within the inliner's budget, and this
// fails if a change (or a toolchain) pushes them over it. It needs the go command.
func TestHotPathEncodersInline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	cmd := exec.Command("go", "build", "-o", os.DevNull, "-gcflags=-m", ".")
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	inlined := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if _, fn, ok := strings.Cut(line, ": can inline "); ok {
			inlined[strings.Fields(fn)[0]] = true
		}
	}
	for _, fn := range []string{"(*FrameDescriptor).Encode", "(*FrameProgress).Encode", "StampFrameDescriptor",
		"(*EncodedFrameDescriptor).SetFrame", "(*EncodedFrameDescriptor).Stamp", "PeekID"} {
		if !inlined[fn] {
			t.Errorf("the compiler no longer inlines %s", fn)
		}
	}
}

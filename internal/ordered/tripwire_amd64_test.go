//go:build amd64

package ordered

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// The release stores of ordered_amd64.go are plain MOVs whose ordering rests on two
// behaviours of the Go compiler, not on the Go memory model: a call it does not inline is
// opaque to it (it neither moves memory accesses across the call nor drops the store as
// dead), and a //go:noinline function is never inlined. The tests below fail if either
// stops holding for this package and every package that calls it, so a toolchain upgrade
// that changes them cannot pass `make test` unnoticed. They build without -race (the race
// build uses sync/atomic instead) and need the go command.

// moduleRoot is the directory of go.mod above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOARCH=amd64", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// callers lists the module's packages that import this one.
func callers(t *testing.T, root string) []string {
	t.Helper()
	const self = "github.com/tensorpool/tensorpool/internal/ordered"
	out := goCmd(t, root, "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	var pkgs []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		fields := strings.Fields(line)
		for _, imp := range fields[1:] {
			if imp == self {
				pkgs = append(pkgs, fields[0])
			}
		}
	}
	return pkgs
}

// TestStoresAreNeverInlined compiles this package and every caller with the inliner's
// report (-m) and requires every store to be refused for inlining, and no call to one to
// be inlined anywhere.
func TestStoresAreNeverInlined(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the callers with -gcflags=-m")
	}
	root := moduleRoot(t)
	pkgs := callers(t, root)
	if len(pkgs) < 3 {
		t.Fatalf("found only %v calling ordered: the caller scan is broken", pkgs)
	}
	self := "github.com/tensorpool/tensorpool/internal/ordered"
	flags := []string{self + "=-m=2"} // -m=2 reports refusals too
	for _, p := range pkgs {
		flags = append(flags, p+"=-m")
	}
	args := []string{"build", "-o", os.DevNull}
	for _, f := range flags {
		args = append(args, "-gcflags="+f)
	}
	args = append(args, append([]string{self}, pkgs...)...)
	out := goCmd(t, root, args...)
	for _, fn := range []string{"StoreInt64", "StoreUint64", "StoreInt32"} {
		if !strings.Contains(out, "cannot inline "+fn+": marked go:noinline") {
			t.Errorf("the compiler did not report %s as not inlinable", fn)
		}
	}
	if m := regexp.MustCompile(`inlining call to ordered\.Store\w+`).FindString(out); m != "" {
		t.Errorf("a caller inlined a release store: %q", m)
	}
}

// TestStoresAreOneMove disassembles the stores as linked into a binary and requires each
// to be a single aligned MOV and a return: nothing the compiler could have merged into a
// caller, and nothing but the store.
func TestStoresAreOneMove(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and disassembles a binary")
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("amd64 only")
	}
	dir := t.TempDir()
	root := moduleRoot(t)
	bin := filepath.Join(dir, "tripwire")
	goCmd(t, root, "build", "-o", bin, "./internal/ordered/testdata/tripwire")
	for fn, store := range map[string]string{"StoreInt64": "MOVQ", "StoreUint64": "MOVQ", "StoreInt32": "MOVL"} {
		out := goCmd(t, root, "tool", "objdump", "-s", `internal/ordered\.`+fn+`$`, bin)
		var ops []string
		for _, line := range strings.Split(out, "\n") {
			fields := strings.Fields(line)
			if len(fields) >= 4 && strings.Contains(fields[0], ".go:") {
				ops = append(ops, fields[3])
			}
		}
		if len(ops) != 2 || ops[0] != store || ops[1] != "RET" {
			t.Errorf("%s is %v, want [%s RET]:\n%s", fn, ops, store, out)
		}
	}
}

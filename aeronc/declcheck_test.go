//go:build aeronc

package aeronc

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// findHeaderDir looks for the directory of an installed aeronc.h: $AERON_C_INCLUDE_DIR,
// else include/aeron of the install the library comes from.
func findHeaderDir() (string, bool) {
	var candidates []string
	if dir := os.Getenv(EnvIncludeDir); dir != "" {
		candidates = append(candidates, dir)
	}
	if lib, _ := libraryPath(""); filepath.IsAbs(lib) {
		candidates = append(candidates, filepath.Join(filepath.Dir(filepath.Dir(lib)), "include", "aeron"))
	}
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, "aeronc.h")); err == nil {
			return dir, true
		}
	}
	return "", false
}

// The package's own declarations of the C API (capi_structs.h, capi_functions.h) against
// the installed header: prototypes, callback types, struct layouts and constants.
func TestDeclarationsMatchTheInstalledHeader(t *testing.T) {
	dir, ok := findHeaderDir()
	if !ok {
		t.Skipf("declarations not checked: no aeronc.h found (set %s to its directory)", EnvIncludeDir)
	}
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	out, err := exec.Command(cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
		"-I", dir, filepath.Join("testdata", "declcheck.c")).CombinedOutput()
	if err != nil {
		t.Fatalf("the declarations differ from %s/aeronc.h: %v\n%s", dir, err, out)
	}
	t.Logf("declarations match %s/aeronc.h", dir)
}

// Package cbuild builds libtensorpool.so from ./cabi, as CMakeLists.txt does, and C or
// C++ programs against it, for the Go commands and tests that run C code.
package cbuild

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Library builds libtensorpool.so from the module at root into out, with its soname.
func Library(ctx context.Context, root, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-buildmode=c-shared",
		"-ldflags=-extldflags=-Wl,-soname,libtensorpool.so", "-o", out, "./cabi")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building libtensorpool.so: %w\n%s", err, b)
	}
	return nil
}

// Program compiles sources (paths relative to root, or absolute) into out against lib,
// with the public headers and the generated C codecs on the include path and an rpath
// to lib's directory. The compiler is $CC (cc) for C and $CXX (c++) when the first
// source is C++; flags follow the defaults (c11 or c++17, -O2, warnings as errors), so a
// -std among them wins.
func Program(ctx context.Context, root, lib, out string, flags []string, sources ...string) error {
	compiler, std := CCompiler(), "-std=c11"
	if strings.HasSuffix(sources[0], ".cpp") {
		compiler, std = env("CXX", "c++"), "-std=c++17"
	}
	args := []string{std, "-O2", "-Wall", "-Wextra", "-Werror"}
	args = append(args, flags...)
	args = append(args, "-o", out,
		"-I"+filepath.Join(root, "include"),
		"-I"+filepath.Join(root, "cabi", "sbe", "control"),
		"-I"+filepath.Join(root, "cabi", "sbe", "driver"))
	for _, s := range sources {
		if !filepath.IsAbs(s) {
			s = filepath.Join(root, s)
		}
		args = append(args, s)
	}
	args = append(args, lib, "-Wl,-rpath,"+filepath.Dir(lib))
	if b, err := exec.CommandContext(ctx, compiler, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("compiling %s: %w\n%s", filepath.Base(sources[0]), err, b)
	}
	return nil
}

// CCompiler is the C compiler Program uses: $CC, else cc.
func CCompiler() string { return env("CC", "cc") }

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

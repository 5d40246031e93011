package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// build returns the library and the C program in dir: lib if given (else
// libtensorpool.so built from ./cabi as CMakeLists.txt builds it, soname included),
// and cabi/bench/tp_bench_c.c compiled against it with an rpath to its directory.
func build(ctx context.Context, lib, dir string) (libPath, bin string, err error) {
	root, err := moduleFile()
	if err != nil {
		return "", "", err
	}
	if lib == "" {
		lib = filepath.Join(dir, "libtensorpool.so")
		cmd := exec.CommandContext(ctx, "go", "build", "-buildmode=c-shared",
			"-ldflags=-extldflags=-Wl,-soname,libtensorpool.so", "-o", lib, "./cabi")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("building libtensorpool.so: %w\n%s", err, out)
		}
	}
	if lib, err = filepath.Abs(lib); err != nil {
		return "", "", err
	}
	if _, err := os.Stat(lib); err != nil {
		return "", "", err
	}
	bin = filepath.Join(dir, "tp_bench_c")
	args := []string{"-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-pthread",
		"-I" + filepath.Join(root, "include"),
		"-I" + filepath.Join(root, "cabi", "sbe", "control"),
		"-I" + filepath.Join(root, "cabi", "sbe", "driver"),
		"-o", bin, filepath.Join(root, "cabi", "bench", "tp_bench_c.c"),
		lib, "-Wl,-rpath," + filepath.Dir(lib)}
	if out, err := exec.CommandContext(ctx, compiler(), args...).CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("compiling tp_bench_c.c: %w\n%s", err, out)
	}
	return lib, bin, nil
}

// compiler is $CC, else cc.
func compiler() string {
	if cc := os.Getenv("CC"); cc != "" {
		return cc
	}
	return "cc"
}

package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/tensorpool/tensorpool/internal/cbuild"
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
		if err := cbuild.Library(ctx, root, lib); err != nil {
			return "", "", err
		}
	}
	if lib, err = filepath.Abs(lib); err != nil {
		return "", "", err
	}
	if _, err := os.Stat(lib); err != nil {
		return "", "", err
	}
	bin = filepath.Join(dir, "tp_bench_c")
	if err := cbuild.Program(ctx, root, lib, bin, []string{"-pedantic", "-pthread"}, filepath.Join("cabi", "bench", "tp_bench_c.c")); err != nil {
		return "", "", err
	}
	return lib, bin, nil
}

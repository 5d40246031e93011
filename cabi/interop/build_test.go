package interop

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/tensorpool/tensorpool/internal/cbuild"
)

// buildDir holds the library and the programs built from it, for this run only.
var buildDir string

var (
	libOnce sync.Once
	libErr  error
	progs   sync.Map // program name -> *progBuild
)

type progBuild struct {
	once sync.Once
	path string
	err  error
}

// repoRoot is the module root: two levels above this package.
func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// library builds libtensorpool.so once per run.
func library(t testing.TB) string {
	t.Helper()
	lib := filepath.Join(buildDir, "libtensorpool.so")
	libOnce.Do(func() { libErr = cbuild.Library(context.Background(), repoRoot(t), lib) })
	if libErr != nil {
		t.Fatal(libErr)
	}
	return lib
}

// program compiles one C or C++ source file against the library (once per run) and
// returns the binary, which finds the library through its rpath.
func program(t testing.TB, sources ...string) string {
	t.Helper()
	return programWith(t, nil, sources...)
}

// programWith is program with extra compiler flags (a -std among them wins).
func programWith(t testing.TB, flags []string, sources ...string) string {
	t.Helper()
	lib := library(t)
	name := strings.TrimSuffix(filepath.Base(sources[0]), filepath.Ext(sources[0]))
	v, _ := progs.LoadOrStore(name, &progBuild{})
	b := v.(*progBuild)
	b.once.Do(func() {
		b.path = filepath.Join(buildDir, name)
		b.err = cbuild.Program(context.Background(), repoRoot(t), lib, b.path, flags, sources...)
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// output is a process's combined stdout and stderr, safe to read while it runs.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

func environ(extra map[string]string) []string {
	env := os.Environ()
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

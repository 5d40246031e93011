package interop

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
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
	libOnce.Do(func() {
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", lib, "./cabi")
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			libErr = &buildError{what: "libtensorpool.so", out: out, err: err}
		}
	})
	if libErr != nil {
		t.Fatal(libErr)
	}
	return lib
}

type buildError struct {
	what string
	out  []byte
	err  error
}

func (e *buildError) Error() string {
	return "building " + e.what + ": " + e.err.Error() + "\n" + string(e.out)
}

// program compiles one C or C++ source file against the library (once per run) and
// returns the binary, which finds the library through its rpath.
func program(t testing.TB, sources ...string) string {
	t.Helper()
	return programWith(t, nil, sources...)
}

// programWith is program with extra compiler flags, replacing the defaults' -std.
func programWith(t testing.TB, flags []string, sources ...string) string {
	t.Helper()
	lib := library(t)
	name := strings.TrimSuffix(filepath.Base(sources[0]), filepath.Ext(sources[0]))
	v, _ := progs.LoadOrStore(name, &progBuild{})
	b := v.(*progBuild)
	b.once.Do(func() {
		root := repoRoot(t)
		compiler, std := "cc", "-std=c11"
		if strings.HasSuffix(sources[0], ".cpp") {
			compiler, std = "c++", "-std=c++17"
		}
		b.path = filepath.Join(buildDir, name)
		if flags != nil {
			std = flags[0]
		}
		args := []string{std, "-O2", "-Wall", "-Wextra", "-Werror", "-o", b.path,
			"-I" + filepath.Join(root, "include"), "-I" + filepath.Join(root, "cabi", "sbe", "control"),
			"-I" + filepath.Join(root, "cabi", "sbe", "driver")}
		if len(flags) > 1 {
			args = append(args, flags[1:]...)
		}
		for _, s := range sources {
			if !filepath.IsAbs(s) {
				s = filepath.Join(root, s)
			}
			args = append(args, s)
		}
		args = append(args, lib, "-Wl,-rpath,"+filepath.Dir(lib))
		cmd := exec.Command(compiler, args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = &buildError{what: name, out: out, err: err}
		}
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

//go:build aeronc

package aeronc

/*
#cgo linux LDFLAGS: -ldl
#include <stdlib.h>
#include "capi.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"
)

// Where libaeron is looked for, in this order: Config.Library, $AERON_C_LIBRARY, the path
// stamped into the binary at build time (DefaultLibrary, set by `make TRANSPORT=aeronc
// build`), then Soname from the dynamic loader's search path (LD_LIBRARY_PATH,
// ld.so.cache). A path naming a directory means the Soname in it.
const (
	// EnvLibrary names libaeron.so, or the directory that holds it.
	EnvLibrary = "AERON_C_LIBRARY"
	// EnvIncludeDir names the directory that holds aeronc.h. Nothing needs it to build
	// or run; when set, the tests check this package's declarations against that
	// header, and the Makefile finds the library beside it (<prefix>/lib).
	EnvIncludeDir = "AERON_C_INCLUDE_DIR"
	// Soname is the library's file name, and what the loader is asked for last.
	Soname = "libaeron.so"
)

// DefaultLibrary is the libaeron path built into the binary, tried after $AERON_C_LIBRARY:
// go build -tags aeronc -ldflags "-X github.com/tensorpool/tensorpool/aeronc.DefaultLibrary=/opt/aeron/lib/libaeron.so".
var DefaultLibrary string

// ErrLibrary matches every failure to load libaeron.
var ErrLibrary = errors.New("aeronc: libaeron not loaded")

// LibraryError says which library could not be loaded and why.
type LibraryError struct {
	// Path is what the loader was asked for; Source says where it came from
	// (Config.Library, $AERON_C_LIBRARY, DefaultLibrary or the soname).
	Path, Source string
	Reason       string
}

func (e *LibraryError) Error() string {
	return fmt.Sprintf("aeronc: cannot load the Aeron C client %q (from %s): %s; "+
		"set %s to the path of libaeron.so (or, for make, %s to the directory of aeronc.h, or install a pkg-config aeron.pc)",
		e.Path, e.Source, e.Reason, EnvLibrary, EnvIncludeDir)
}

func (e *LibraryError) Unwrap() error { return ErrLibrary }

var (
	loadMu     sync.Mutex
	loadedPath string
)

// libraryPath picks the library to load and says where the choice came from.
func libraryPath(configured string) (path, source string) {
	switch {
	case configured != "":
		path, source = configured, "Config.Library"
	case os.Getenv(EnvLibrary) != "":
		path, source = os.Getenv(EnvLibrary), "$"+EnvLibrary
	case DefaultLibrary != "":
		path, source = DefaultLibrary, "DefaultLibrary, set at build time"
	default:
		return Soname, "the dynamic loader's search path"
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, Soname)
	}
	return path, source
}

// load opens libaeron once per process and checks its version. A later call naming a
// different library fails: the process has one.
func load(configured string) error {
	loadMu.Lock()
	defer loadMu.Unlock()
	path, source := libraryPath(configured)
	if loadedPath != "" {
		if configured != "" && path != loadedPath {
			return &LibraryError{Path: path, Source: source, Reason: "this process already loaded " + loadedPath}
		}
		return nil
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var cerr C.tp_aeronc_error
	if C.tp_aeronc_load(cpath, &cerr) != 0 {
		return &LibraryError{Path: path, Source: source, Reason: C.GoString(&cerr.message[0])}
	}
	if major := int(C.tp_aeronc_version_major()); major != SupportedMajorVersion {
		return &LibraryError{Path: path, Source: source, Reason: fmt.Sprintf(
			"version %s; this package speaks the API of major version %d", C.GoString(C.tp_aeronc_version_full()), SupportedMajorVersion)}
	}
	loadedPath = path
	return nil
}

// SupportedMajorVersion is the Aeron major version whose C API this package declares
// (written against 1.51.0, the version of the pinned Java driver).
const SupportedMajorVersion = 1

// Load loads libaeron as Connect would (configured as Config.Library) and returns its
// path and version, e.g. "aeron version=1.51.0 commit=9773cba37e". Connect loads it
// anyway; Load is for reporting and early failure.
func Load(configured string) (path, version string, err error) {
	if err := load(configured); err != nil {
		return "", "", err
	}
	loadMu.Lock()
	defer loadMu.Unlock()
	return loadedPath, C.GoString(C.tp_aeronc_version_full()), nil
}

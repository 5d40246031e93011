"""What the wheel build does with the Go and C side of the repository.

Used by hatch_build.py at build time and by tests/test_declarations.py, which checks
that the installed package's declarations are still those of include/. Standard
library only, so the tests can load it without the build requirements.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

GO_MODULE = "github.com/tensorpool/tensorpool"

# The sbe-generated headers whose enums the package needs as constants (dtype, major
# order, progress unit, consumer mode, role), relative to the repository root. The
# public headers include them; their inline functions are not C that cffi parses, so
# only the enum blocks are taken.
SBE_ENUM_HEADERS = (
    "cabi/sbe/control/shm_tensorpool_control/dtype.h",
    "cabi/sbe/control/shm_tensorpool_control/majorOrder.h",
    "cabi/sbe/control/shm_tensorpool_control/progressUnit.h",
    "cabi/sbe/control/shm_tensorpool_control/mode.h",
    "cabi/sbe/driver/shm_tensorpool_driver/role.h",
)

_INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.MULTILINE)
_ENUM = re.compile(r"enum\s+(shm_tensorpool_\w+)\s*\{([^}]*)\}\s*;")
_CAST = re.compile(r"\(\s*u?int\d+_t\s*\)")


class BuildError(RuntimeError):
    """The native part of the package could not be built."""


def find_repository(python_dir: Path) -> Path:
    """The tensorpool repository that holds python_dir, or $TENSORPOOL_SOURCE_DIR."""
    configured = os.environ.get("TENSORPOOL_SOURCE_DIR")
    root = Path(configured) if configured else python_dir.resolve().parent
    go_mod = root / "go.mod"
    try:
        declares = re.search(rf"^module\s+{re.escape(GO_MODULE)}\s*$", go_mod.read_text(), re.MULTILINE)
    except OSError as err:
        raise BuildError(
            f"no tensorpool repository at {root} ({err}): the package builds libtensorpool.so from "
            "the repository it sits in; build it from a checkout (pip install ./python) or set "
            "TENSORPOOL_SOURCE_DIR"
        ) from err
    if not declares:
        raise BuildError(f"{go_mod} does not declare module {GO_MODULE}")
    return root


def build_library(root: Path, out: Path) -> None:
    """Builds libtensorpool.so from root/cabi into out, as CMakeLists.txt does."""
    go = os.environ.get("GO") or shutil.which("go")
    if not go:
        raise BuildError("the Go toolchain (go) is not on PATH: it builds libtensorpool.so (set GO to its path)")
    cmd = [go, "build", "-buildmode=c-shared", "-ldflags=-extldflags=-Wl,-soname,libtensorpool.so", "-o", str(out), "./cabi"]
    env = dict(os.environ, CGO_ENABLED="1")
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    # go build writes the cgo export header next to the library; programs use include/.
    out.with_suffix(".h").unlink(missing_ok=True)


def public_declarations(root: Path, scratch: Path) -> str:
    """The declarations of include/tensorpool.h as cffi reads them: the headers run
    through the C preprocessor with every header they include from elsewhere (the C
    library's, the sbe codecs') replaced by an empty one, so what remains is exactly
    the typedefs, structs and prototypes written in include/."""
    include = root / "include"
    stubs = scratch / "stubs"
    for header in sorted(include.glob("*.h")):
        for name in _INCLUDE.findall(header.read_text()):
            if not (include / name).exists():
                stub = stubs / name
                stub.parent.mkdir(parents=True, exist_ok=True)
                stub.touch()
    cc = os.environ.get("CC") or "cc"
    cmd = [cc, "-E", "-P", "-nostdinc", f"-I{stubs}", f"-I{include}", "-x", "c", str(include / "tensorpool.h")]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as err:
        raise BuildError(f"the C compiler {cc} could not run ({err}); set CC") from err
    if done.returncode != 0:
        raise BuildError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def enum_declarations(root: Path) -> str:
    """The enums of SBE_ENUM_HEADERS, without the integer casts cffi does not parse."""
    blocks = []
    for rel in SBE_ENUM_HEADERS:
        text = (root / rel).read_text()
        found = _ENUM.findall(text)
        if len(found) != 1:
            raise BuildError(f"{rel}: expected one shm_tensorpool_* enum, found {len(found)}")
        name, body = found[0]
        blocks.append(f"enum {name} {{{_CAST.sub('', body)}}};\n")
    return "".join(blocks)


def declarations(root: Path, scratch: Path) -> str:
    """Everything the cffi module declares, in the order cffi needs it."""
    return enum_declarations(root) + public_declarations(root, scratch)

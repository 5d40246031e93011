"""Wheel build hook: compiles libtensorpool.so from this repository and bundles it.

Why hatchling: it is a standard PEP 517 backend in pure Python whose documented build
hook API does exactly the three things this package needs beyond copying sources: run a
step first (go build, the C preprocessor, cffi), add files made by it to the wheel, and
mark the wheel platform-specific. setuptools would need its command classes subclassed
for the same; scikit-build-core would bring CMake and ninja into the build for what is
one `go build` (CMakeLists.txt's own rule for the library is that command too).

What goes into the wheel besides src/tensorpool:
  tensorpool/libtensorpool.so   go build -buildmode=c-shared ./cabi (build_support/native.py)
  tensorpool/_cffi.py           cffi's out-of-line ABI module, declared from include/
                                at build time: the headers run through the preprocessor,
                                so the declarations cannot drift from the library built
                                beside them.

The wheel is tagged py3-none-<platform>: the library links no Python, but it is machine
code for this platform.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _native():
    path = Path(__file__).parent / "build_support" / "native.py"
    spec = importlib.util.spec_from_file_location("tensorpool_build_native", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class TensorpoolBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        import cffi  # a build requirement (pyproject.toml)

        native = _native()
        root = native.find_repository(Path(self.root))
        self._scratch = Path(tempfile.mkdtemp(prefix="tensorpool-build-"))
        lib = self._scratch / "libtensorpool.so"
        self.app.display_info(f"go build -buildmode=c-shared {root}/cabi -> libtensorpool.so")
        native.build_library(root, lib)

        ffibuilder = cffi.FFI()
        ffibuilder.cdef(native.declarations(root, self._scratch))
        ffibuilder.set_source("tensorpool._cffi", None)
        module = self._scratch / "_cffi.py"
        ffibuilder.emit_python_code(str(module))

        build_data["force_include"][str(lib)] = "tensorpool/libtensorpool.so"
        build_data["force_include"][str(module)] = "tensorpool/_cffi.py"
        build_data["pure_python"] = False
        platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        build_data["tag"] = f"py3-none-{platform}"

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

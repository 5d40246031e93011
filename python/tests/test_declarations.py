"""The installed package's C declarations are still those of include/ (it may have been
built from an older tree), and cffi lays their structs out as the C compiler does."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

import cffi
import pytest

from conftest import ROOT
from tensorpool import _native
from tensorpool._cffi import ffi as installed


def _native_build():
    path = ROOT / "python" / "build_support" / "native.py"
    spec = importlib.util.spec_from_file_location("tensorpool_build_native", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _structs(ffi) -> list[str]:
    """The typedef'd structs whose layout the declarations give (opaque handles aside)."""
    names = []
    for name in ffi.list_types()[0]:
        t = ffi.typeof(name)
        if t.kind != "struct":
            continue
        try:
            ffi.sizeof(t)
        except ffi.error:
            continue  # opaque: a handle
        names.append(name)
    return sorted(names)


def test_installed_declarations_match_the_headers(tmp_path):
    """The cffi module the wheel build emitted is what the headers in the tree give now."""
    ffibuilder = cffi.FFI()
    ffibuilder.cdef(_native_build().declarations(ROOT, tmp_path))
    ffibuilder.set_source("tensorpool._cffi", None)
    emitted = tmp_path / "_cffi.py"
    ffibuilder.emit_python_code(str(emitted))
    installed_module = Path(_native.__file__).with_name("_cffi.py")
    assert emitted.read_text() == installed_module.read_text(), (
        "include/ changed since the package was built: reinstall it (pip install ./python)"
    )


def test_struct_layouts_match_the_c_compiler(tmp_path):
    structs = _structs(installed)
    lines = ['#include <stddef.h>', '#include <stdio.h>', '#include "tensorpool.h"', "int main(void) {"]
    expected = []
    for name in structs:
        t = installed.typeof(name)
        lines.append(f'printf("{name} %zu\\n", sizeof({name}));')
        expected.append(f"{name} {installed.sizeof(t)}")
        for field, _ in t.fields:
            lines.append(f'printf("{name}.{field} %zu\\n", offsetof({name}, {field}));')
            expected.append(f"{name}.{field} {installed.offsetof(t, field)}")
    lines += ["return 0;", "}"]
    src, exe = tmp_path / "layout.c", tmp_path / "layout"
    src.write_text("\n".join(lines))
    cc = os.environ.get("CC") or "cc"
    subprocess.run([cc, "-std=c11", f"-I{ROOT / 'include'}", f"-I{ROOT / 'cabi/sbe/control'}",
                    f"-I{ROOT / 'cabi/sbe/driver'}", "-o", str(exe), str(src)], check=True)
    got = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split("\n")
    assert [g for g in got if g] == expected
    assert "tp_frame_view_t" in structs and "tp_tensor_header_t" in structs

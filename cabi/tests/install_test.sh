#!/usr/bin/env bash
# Installs the build tree into a temporary prefix and builds install_smoke.c against it twice:
# with cc and pkg-config, and as a CMake project using find_package(tensorpool). Runs both.
#   install_test.sh <build-dir> <source-dir> [cmake] [cc]
set -euo pipefail
build=$1 src=$2
cmake=${3:-cmake} cc=${4:-cc}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tp-install-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

fail() { echo "install_test: $*" >&2; exit 1; }

"$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log" >&2; fail "cmake --install failed"; }

for f in lib/libtensorpool.so \
  include/tensorpool/tensorpool.h include/tensorpool/tensorpool_client.h \
  include/tensorpool/tensorpool_types.h include/tensorpool/tensorpool_errors.h \
  include/tensorpool/shm_tensorpool_control/mode.h include/tensorpool/shm_tensorpool_control/tensorHeader.h \
  include/tensorpool/shm_tensorpool_driver/role.h \
  lib/pkgconfig/tensorpool.pc \
  lib/cmake/tensorpool/tensorpoolConfig.cmake lib/cmake/tensorpool/tensorpoolConfigVersion.cmake; do
  [ -f "$prefix/$f" ] || fail "missing $f"
done
# go's generated header is internal.
if find "$prefix" -name libtensorpool.h | grep . >/dev/null; then fail "libtensorpool.h was installed"; fi

# (a) pkg-config
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
libdir=$(pkg-config --variable=libdir tensorpool)
[ "$(cd "$libdir" && pwd -P)" = "$(cd "$prefix/lib" && pwd -P)" ] || fail "pkg-config libdir $libdir is not $prefix/lib"
# shellcheck disable=SC2046 # the flags are meant to split
"$cc" -std=c11 -Wall -Wextra -Werror -o "$tmp/smoke_pkgconfig" "$src/cabi/tests/install_smoke.c" \
  $(pkg-config --cflags --libs tensorpool) -Wl,-rpath,"$libdir" || fail "compiling with pkg-config failed"
out=$("$tmp/smoke_pkgconfig") || fail "smoke_pkgconfig failed: $out"
echo "pkg-config: $out"
[[ $out == "install smoke: tensorpool"* ]] || fail "unexpected output from smoke_pkgconfig: $out"

# (b) find_package(tensorpool) from a separate CMake project; copy it so its relative source
# path (../install_smoke.c) resolves inside the temporary directory.
mkdir -p "$tmp/project/install_project"
cp "$src/cabi/tests/install_smoke.c" "$tmp/project/"
cp "$src/cabi/tests/install_project/CMakeLists.txt" "$tmp/project/install_project/"
"$cmake" -S "$tmp/project/install_project" -B "$tmp/project/build" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" >"$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log" >&2; fail "configuring the find_package project failed"; }
"$cmake" --build "$tmp/project/build" >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log" >&2; fail "building the find_package project failed"; }
out=$("$tmp/project/build/install_smoke") || fail "install_smoke (CMake) failed: $out"
echo "find_package: $out"
[[ $out == "install smoke: tensorpool"* ]] || fail "unexpected output from install_smoke: $out"
# It must have used the installed library, not the build tree's.
if command -v ldd >/dev/null; then
  ldd "$tmp/project/build/install_smoke" | grep "$prefix/lib/libtensorpool.so" >/dev/null ||
    { ldd "$tmp/project/build/install_smoke" >&2; fail "install_smoke does not load $prefix/lib/libtensorpool.so"; }
fi
echo "install_test: ok"

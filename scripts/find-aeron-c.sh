#!/usr/bin/env bash
# Finds the Aeron C client for the aeronc transport (go build -tags aeronc), in this order:
#   1. $AERON_C_LIBRARY      libaeron.so, or the directory holding it
#   2. $AERON_C_INCLUDE_DIR  the directory of aeronc.h (<prefix>/include/aeron); the library
#                            is then looked for in <prefix>/lib and <prefix>/lib64
#   3. pkg-config            a module named aeron or libaeron (upstream installs none)
#   4. $CMAKE_PREFIX_PATH    a prefix holding the CMake package upstream installs
#                            (lib/cmake/aeron/aeron-config.cmake)
#   5. ldconfig              libaeron.so in the dynamic loader's cache
# On success it prints three lines for `eval` (an empty value when not found):
#   AERON_C_LIBRARY=...      the library
#   AERON_C_INCLUDE_DIR=...  the directory of aeronc.h, if any: checks the declarations
#   AERONMD=...              the C media driver ($AERONMD, PATH, <prefix>/bin), for tests
# Otherwise it prints one line to stderr, naming the variables, and exits 1.
set -euo pipefail

lib= inc=
is_lib() { [ -f "$1" ]; }
has_header() { [ -f "$1/aeronc.h" ]; }

in_prefix() { # prefix: the library under it
  local d
  for d in lib lib64; do
    if is_lib "$1/$d/libaeron.so"; then lib="$1/$d/libaeron.so"; return 0; fi
  done
  return 1
}

if [ -n "${AERON_C_LIBRARY:-}" ]; then
  lib=$AERON_C_LIBRARY
  [ -d "$lib" ] && lib="$lib/libaeron.so"
  is_lib "$lib" || { echo "find-aeron-c: AERON_C_LIBRARY=$AERON_C_LIBRARY: no libaeron.so there" >&2; exit 1; }
elif [ -n "${AERON_C_INCLUDE_DIR:-}" ]; then
  has_header "$AERON_C_INCLUDE_DIR" ||
    { echo "find-aeron-c: AERON_C_INCLUDE_DIR=$AERON_C_INCLUDE_DIR: no aeronc.h there" >&2; exit 1; }
  inc=$AERON_C_INCLUDE_DIR
  in_prefix "$(cd "$inc/../.." && pwd)" || in_prefix "$(cd "$inc/.." && pwd)" ||
    { echo "find-aeron-c: no libaeron.so in lib/ beside AERON_C_INCLUDE_DIR=$inc; set AERON_C_LIBRARY" >&2; exit 1; }
else
  for module in aeron libaeron; do
    if command -v pkg-config >/dev/null && pkg-config --exists "$module" 2>/dev/null; then
      libdir=$(pkg-config --variable=libdir "$module")
      if is_lib "$libdir/libaeron.so"; then
        lib="$libdir/libaeron.so"
        includedir=$(pkg-config --variable=includedir "$module")
        for d in "$includedir/aeron" "$includedir"; do has_header "$d" && { inc=$d; break; }; done
        break
      fi
    fi
  done
  if [ -z "$lib" ]; then
    IFS=: read -r -a prefixes <<<"${CMAKE_PREFIX_PATH:-}"
    for prefix in "${prefixes[@]}"; do
      for d in lib lib64; do
        if [ -f "$prefix/$d/cmake/aeron/aeron-config.cmake" ] && in_prefix "$prefix"; then break 2; fi
      done
    done
  fi
  if [ -z "$lib" ] && command -v ldconfig >/dev/null; then
    lib=$(ldconfig -p 2>/dev/null | awk '$1 == "libaeron.so" { print $NF; exit }')
  fi
  if [ -z "$lib" ]; then
    echo "libaeron (the Aeron C client) not found: set AERON_C_LIBRARY to libaeron.so or AERON_C_INCLUDE_DIR to the directory of aeronc.h (or provide aeron.pc to pkg-config, or its install prefix in CMAKE_PREFIX_PATH)" >&2
    exit 1
  fi
fi

prefix=$(cd "$(dirname "$lib")/.." && pwd)
if [ -z "$inc" ] && has_header "$prefix/include/aeron"; then inc="$prefix/include/aeron"; fi
aeronmd=${AERONMD:-}
if [ -z "$aeronmd" ]; then
  aeronmd=$(command -v aeronmd || true)
  if [ -z "$aeronmd" ] && [ -x "$prefix/bin/aeronmd" ]; then aeronmd="$prefix/bin/aeronmd"; fi
fi
printf 'AERON_C_LIBRARY=%q\nAERON_C_INCLUDE_DIR=%q\nAERONMD=%q\n' "$lib" "$inc" "$aeronmd"

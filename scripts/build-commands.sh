#!/usr/bin/env bash
# Builds the installed commands, tp and tp-driver, into OUTDIR with their version
# stamped from `git describe` (internal/version); with --cabi, libtensorpool.so (package
# cabi, -buildmode=c-shared) as LIB instead. Used by `make build` and by the CMake build
# that `make install` and `make ctest` run.
#   build-commands.sh OUTDIR        (GO selects the toolchain, default go)
#   build-commands.sh --cabi LIB
# With TRANSPORT=aeronc they are built with the tag aeronc (the official Aeron C client,
# package aeronc, through transport/backend) and the libaeron that scripts/find-aeron-c.sh
# finds is stamped in as their default library; the build fails, naming the variables,
# when none is found.
set -euo pipefail
cabi=
if [ "${1:-}" = --cabi ]; then cabi=1; shift; fi
out=${1:?usage: build-commands.sh OUTDIR | --cabi LIB}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "$cabi" ]; then
  mkdir -p "$(dirname "$out")"
  out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
else
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
fi
cd "$root"
ldflags=
# Outside a git checkout the version comes from the build info instead.
if v=$(git describe --tags --always --dirty 2>/dev/null) && [ -n "$v" ]; then
  ldflags="-X github.com/tensorpool/tensorpool/internal/version.stamped=$v"
fi
tags=
case "${TRANSPORT:-aeron}" in
aeron) ;;
aeronc)
  found=$(scripts/find-aeron-c.sh) || exit 1
  eval "$found"
  if [ -n "$AERON_C_INCLUDE_DIR" ]; then
    # The package's declarations of the C API must match the header being built against.
    "${CC:-cc}" -std=c11 -Wall -Wextra -Werror -fsyntax-only -I "$AERON_C_INCLUDE_DIR" aeronc/testdata/declcheck.c ||
      { echo "build-commands: aeronc's declarations differ from $AERON_C_INCLUDE_DIR/aeronc.h" >&2; exit 1; }
  fi
  tags="-tags aeronc"
  ldflags="$ldflags -X github.com/tensorpool/tensorpool/aeronc.DefaultLibrary=$AERON_C_LIBRARY"
  echo "build-commands: transport aeronc, libaeron $AERON_C_LIBRARY"
  ;;
*) echo "build-commands: TRANSPORT=$TRANSPORT: aeron (pure Go, the default) or aeronc (the Aeron C client)" >&2; exit 1 ;;
esac
# shellcheck disable=SC2086 # tags is empty or one flag and its value
if [ -n "$cabi" ]; then
  CGO_ENABLED=1 "${GO:-go}" build $tags -buildmode=c-shared -ldflags "$ldflags -extldflags=-Wl,-soname,libtensorpool.so" -o "$out" ./cabi
else
  "${GO:-go}" build $tags -ldflags "$ldflags" -o "$out/" ./cmd/tp ./cmd/tp-driver
fi

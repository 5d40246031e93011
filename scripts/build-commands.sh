#!/usr/bin/env bash
# Builds the installed commands, tp and tp-driver, into OUTDIR with their version
# stamped from `git describe` (internal/version). Used by `make build` and by the CMake
# build that `make install` runs.
#   build-commands.sh OUTDIR        (GO selects the toolchain, default go)
set -euo pipefail
out=${1:?usage: build-commands.sh OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"
ldflags=
# Outside a git checkout the version comes from the build info instead.
if v=$(git describe --tags --always --dirty 2>/dev/null) && [ -n "$v" ]; then
  ldflags="-X github.com/tensorpool/tensorpool/internal/version.stamped=$v"
fi
"${GO:-go}" build -ldflags "$ldflags" -o "$out/" ./cmd/tp ./cmd/tp-driver

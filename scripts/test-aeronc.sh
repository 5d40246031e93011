#!/usr/bin/env bash
# The tests of the aeronc transport (the Aeron C client), for `make test`: with -race, then
# without it every test of its `//go:build aeronc && !race` files (the allocation contracts,
# through scripts/norace-tests.sh), on the Java media driver and on aeronmd when there is
# one. The verbose output is appended to LOG; the console gets one line a package, and the
# story of any failure. Without libaeron (and none named) it prints one line saying the
# tests did not run; a library named by AERON_C_LIBRARY or AERON_C_INCLUDE_DIR and not
# found fails.
#   test-aeronc.sh LOG              (GO selects the toolchain, default go)
set -uo pipefail
log=${1:?usage: test-aeronc.sh LOG}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
go=${GO:-go}
if ! found=$(scripts/find-aeron-c.sh 2>&1); then
  # A library asked for by name and not found is an error; none asked for and none
  # found is a machine without Aeron.
  if [ -n "${AERON_C_LIBRARY:-}${AERON_C_INCLUDE_DIR:-}" ]; then
    echo "$found" >&2
    exit 1
  fi
  echo "aeronc tests not run: $found"
  exit 0
fi
eval "$found"
export AERON_C_LIBRARY AERON_C_INCLUDE_DIR AERONMD
echo "aeronc tests (-tags aeronc), libaeron $AERON_C_LIBRARY, C media driver ${AERONMD:-none: its legs skip}"
run() {
  "$go" test -tags aeronc "$@" 2>&1 | tee -a "$log" | grep -E '^(ok|FAIL|panic:)' ||
    { grep -E -B20 -A3 '^\s*--- FAIL|^panic:' "$log"; return 1; }
}
run -race -timeout 10m -v ./aeronc/... || exit 1
GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=aeronc" scripts/norace-tests.sh ./aeronc 2>&1 | tee -a "$log" |
  grep -E '^(without -race|FAIL|panic:)|^ok .*[0-9]s$' ||
  { grep -E -B20 -A3 '^\s*--- FAIL|^panic:|AllocsPerRun' "$log"; exit 1; }

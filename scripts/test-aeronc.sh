#!/usr/bin/env bash
# The tests of the aeronc transport (the Aeron C client), for `make test`. With -race:
# package aeronc's own (the conformance suite and the mixed-backend tests, on the Java media
# driver and on aeronmd when there is one), then the integration tests of tp, agents/,
# cmd/tp-driver and the backend seam, built with -tags aeronc so every client they connect
# is the C client: on their Java media driver, then, when there is an aeronmd, on one this
# script starts
# (TP_AERON_DIR). Without -race: every test of those packages' `//go:build !race` files
# (the allocation contracts, through scripts/norace-tests.sh), on the Java driver. The
# verbose output is appended to LOG; the console gets one line a package, and the story of
# any failure. Without libaeron (and none named) it prints one line saying the tests did
# not run; a library named by AERON_C_LIBRARY or AERON_C_INCLUDE_DIR and not found fails.
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
integration=(./transport/backend ./tp/ ./agents/consumer ./agents/driver ./cmd/tp-driver)
run -race -timeout 10m -v ./aeronc/... || exit 1
run -race -timeout 15m -v "${integration[@]}" || exit 1
if [ -n "$AERONMD" ]; then
  # aeronmd with the settings of drivertest.Properties (small terms and counters, a short
  # client liveness) and mediadriver.DefaultProperties, in a directory of its own.
  dir=/dev/shm/tp-aeronmd-make-$$
  "$AERONMD" -Daeron.dir="$dir" -Daeron.dir.delete.on.start=true -Daeron.dir.delete.on.shutdown=true \
    -Daeron.threading.mode=SHARED -Daeron.shared.idle.strategy=backoff \
    -Daeron.term.buffer.length=64k -Daeron.ipc.term.buffer.length=64k -Daeron.counters.buffer.length=1m \
    -Daeron.client.liveness.timeout=2s -Daeron.publication.linger.timeout=100ms >>"$log" 2>&1 &
  aeronmd_pid=$!
  stop_aeronmd() { kill -TERM "$aeronmd_pid" 2>/dev/null; wait "$aeronmd_pid" 2>/dev/null; rm -rf "$dir"; }
  trap stop_aeronmd EXIT
  for _ in $(seq 200); do [ -s "$dir/cnc.dat" ] && break; sleep 0.1; done
  echo "the integration tests again, on aeronmd ($dir)"
  TP_AERON_DIR=$dir run -race -timeout 15m -v "${integration[@]}" || exit 1
  stop_aeronmd
  trap - EXIT
fi
GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=aeronc" scripts/norace-tests.sh ./aeronc "${integration[@]}" 2>&1 | tee -a "$log" |
  grep -E '^(without -race|FAIL|panic:)|^ok .*[0-9]s$' ||
  { grep -E -B20 -A3 '^\s*--- FAIL|^panic:|AllocsPerRun' "$log"; exit 1; }

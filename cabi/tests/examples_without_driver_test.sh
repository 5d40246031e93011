#!/usr/bin/env bash
# Every example, pointed at an Aeron directory with no media driver, fails cleanly: exit
# code 1 (not a crash, not a hang) and the failing call with the library's message on stderr.
#   examples_without_driver_test.sh <example-binary>...
set -uo pipefail
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tp-examples-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

pids=()
for bin in "$@"; do
  name=$(basename "$bin")
  TP_AERON_DIR="$tmp/no-driver/aeron" TP_TIMEOUT_MS=1000 TP_COUNT=1 \
    timeout 60 "$bin" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids+=("$!")
done

status=0
i=0
for bin in "$@"; do
  name=$(basename "$bin")
  wait "${pids[$i]}"
  rc=$?
  i=$((i + 1))
  if [ "$rc" -ne 1 ]; then
    echo "$name: exit code $rc, want 1" >&2
    status=1
  elif ! grep -q "tp_client_connect failed: .*(-[0-9][0-9]*): ." "$tmp/$name.err"; then
    echo "$name: stderr does not report the failed tp_client_connect:" >&2
    status=1
  fi
  echo "$name: exit $rc: $(tr '\n' ' ' <"$tmp/$name.err")"
done

# A malformed setting is a usage error (exit 2) before anything is opened.
for bin in "$@"; do
  name=$(basename "$bin")
  TP_COUNT=ten "$bin" >/dev/null 2>"$tmp/$name.usage"
  rc=$?
  if [ "$rc" -ne 2 ] || ! grep -q "TP_COUNT" "$tmp/$name.usage"; then
    echo "$name: TP_COUNT=ten gave exit $rc, want 2 and a message naming TP_COUNT" >&2
    status=1
  fi
done
exit $status

#!/usr/bin/env bash
# Runs each `func FuzzXxx` in the module for $FUZZTIME (default 3s). The committed
# corpus under testdata/fuzz/ is always replayed first by go test.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-3s}
n=0
while IFS= read -r file; do
  pkg="$(dirname "$file")"
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    echo "fuzz $pkg $target ($fuzztime)"
    for attempt in 1 2 3; do
      if go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -parallel=2 "$pkg" >/tmp/fuzz-$$.log 2>&1; then
        break
      fi
      # Go's fuzz coordinator sometimes reports "context deadline exceeded" when a worker is
      # slow to stop at the end of -fuzztime on a loaded machine; no input failed then. Any
      # real failure writes its input under testdata/fuzz and is never retried.
      if [ "$attempt" -lt 3 ] && grep -q 'context deadline exceeded' /tmp/fuzz-$$.log &&
        ! grep -q 'Failing input written' /tmp/fuzz-$$.log; then
        echo "fuzz $pkg $target: fuzzing engine timed out stopping its workers; running it again"
        continue
      fi
      cat /tmp/fuzz-$$.log; rm -f /tmp/fuzz-$$.log; exit 1
    done
    n=$((n + 1))
  done
done < <(find . -name '*_test.go' -not -path './third_party/*' -not -path './build/*' -print0 | xargs -0 -r grep -l '^func Fuzz' | sort)
rm -f /tmp/fuzz-$$.log
echo "fuzz: $n targets ran for $fuzztime each"

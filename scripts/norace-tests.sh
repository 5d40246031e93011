#!/usr/bin/env bash
# The pass of make test without -race. It runs every test of every test file built with
# a `//go:build ... !race` constraint: the allocation contracts (the race detector allocates)
# and the torn-read stress tests at full length. Tests are found by that constraint, not by
# their names, so a renamed test still runs. A test file that calls testing.AllocsPerRun
# without the constraint fails this script: under -race its count would be meaningless.
# Arguments name the directories to search (default: the whole repository), and GOFLAGS
# reaches go test: scripts/test-aeronc.sh runs `GOFLAGS=-tags=aeronc norace-tests.sh ./aeronc`.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(find "${@:-.}" -name '*_test.go' -not -path './third_party/*' -not -path './build/*' | sort)
untagged=$(grep -L '^//go:build.*!race' $files | xargs -r grep -l 'testing\.AllocsPerRun' || true)
if [ -n "$untagged" ]; then
  echo "these test files call testing.AllocsPerRun but are not built with //go:build !race:" >&2
  echo "$untagged" >&2
  exit 1
fi
tagged=$(grep -l '^//go:build.*!race' $files)
names=$(grep -ohE '^func (Test[A-Za-z0-9_]+)\(t \*testing\.T\)' $tagged | sed -E 's/^func (Test[A-Za-z0-9_]+)\(.*/\1/' | sort -u | paste -sd '|')
pkgs=$(for f in $tagged; do dirname "$f"; done | sort -u)
echo "without -race: $(echo "$names" | tr '|' '\n' | wc -l) tests in $(echo "$pkgs" | wc -l) packages"
exec go test -count=1 -timeout 10m -v -run "^(${names})\$" $pkgs

#!/usr/bin/env bash
# Instructions per benchmark operation, counted by valgrind's callgrind: a figure that,
# unlike ns/op, does not move with the load of a shared 2-core machine.
#
#   scripts/instructions-per-op.sh PACKAGE BENCHMARK [N1 N2]
#   scripts/instructions-per-op.sh ./agents/producer 'PublishFrame64B$'
#
# The benchmark runs twice (-benchtime N1x and N2x, default 20000 and 120000) in one
# goroutine without asynchronous preemption; the difference of the two totals over
# N2-N1 leaves out setup and teardown. Needs valgrind (Debian: apt-get install valgrind).
set -euo pipefail
if [[ $# -lt 2 ]]; then
	sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
pkg=$1 bench=$2 n1=${3:-20000} n2=${4:-120000}
command -v valgrind >/dev/null || { echo "instructions-per-op: valgrind not found" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go test -c -o "$dir/bench.test" "$pkg"
count() {
	GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$dir/bench.test" -test.run '^$' -test.bench "$bench" -test.benchtime "${1}x" -test.count 1 2>&1 |
		awk '/Collected/ { gsub(",", "", $4); print $4 }'
}
i1=$(count "$n1")
i2=$(count "$n2")
[[ -n $i1 && -n $i2 ]] || { echo "instructions-per-op: no count for $bench in $pkg" >&2; exit 1; }
awk -v a="$i1" -v b="$i2" -v n1="$n1" -v n2="$n2" -v p="$pkg" -v t="$bench" \
	'BEGIN { printf "%s %s: %.1f instructions/op\n", p, t, (b - a) / (n2 - n1) }'

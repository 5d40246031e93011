#!/usr/bin/env bash
# Fetches every pinned artifact in third_party/manifest.txt into third_party/ and
# verifies its SHA-256. Idempotent: a file already present with the right hash is kept.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tp="$root/third_party"
manifest="$tp/manifest.txt"
mkdir -p "$tp/bin"

verify() { # file expected-sha
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  [ "$got" = "$2" ] || { echo "fetch-deps: $1: sha256 $got, manifest pins $2" >&2; return 1; }
}

while read -r kind name coord version sha; do
  case "$kind" in ''|'#'*) continue ;; esac
  case "$kind" in
  maven)
    jar="$tp/$name.jar"
    if [ -f "$jar" ] && verify "$jar" "$sha" 2>/dev/null; then continue; fi
    echo "fetch-deps: $coord:$version"
    tmp=$(mktemp -d)
    mvn -q -B dependency:copy -Dartifact="$coord:$version" -DoutputDirectory="$tmp" >"$tmp/mvn.log" 2>&1 ||
      { cat "$tmp/mvn.log" >&2; echo "fetch-deps: maven could not fetch $coord:$version" >&2; exit 1; }
    verify "$tmp/${coord##*:}-$version.jar" "$sha"
    mv "$tmp/${coord##*:}-$version.jar" "$jar"
    rm -rf "$tmp"
    ;;
  gotool)
    bin="$tp/bin/$name"
    stamp="$bin.version"
    if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then continue; fi
    echo "fetch-deps: $coord@$version"
    GOBIN="$tp/bin" go install "$coord@$version"
    echo "$version" >"$stamp"
    ;;
  *) echo "fetch-deps: unknown kind '$kind' in $manifest" >&2; exit 1 ;;
  esac
done <"$manifest"

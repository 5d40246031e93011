#!/usr/bin/env bash
# Generates the SBE codecs from schemas/ with the pinned sbe-tool:
#   Go flyweights -> wire/sbe/<schema>/ (package <schema>), gofmt'd
#   C headers     -> cabi/sbe/<schema>/shm_tensorpool_<package>/ (sbe-tool's default C prefix)
# With --check, generates into a temporary directory and fails if the committed output differs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

check=false
case "${1:-}" in
'') ;;
--check) check=true ;;
*) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

jar=third_party/sbe-all.jar
[ -f "$jar" ] || { echo "codegen: $jar missing; run scripts/fetch-deps.sh (make deps)" >&2; exit 1; }
schemas=(control driver bridge discovery)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

sbe() { # language output-dir schema [extra -D...]
  local lang=$1 dir=$2 schema=$3
  shift 3
  # Agrona needs jdk.internal.misc; stop on the first schema error instead of a summary count.
  java --add-opens java.base/jdk.internal.misc=ALL-UNNAMED \
    -Dsbe.target.language="$lang" \
    -Dsbe.output.dir="$dir" \
    -Dsbe.validation.stop.on.error=true \
    -Dsbe.validation.warnings.fatal=true \
    "$@" -jar "$jar" "schemas/$schema.xml" >"$out/sbe.log" 2>&1 ||
    { cat "$out/sbe.log" >&2; echo "codegen: sbe-tool failed on schemas/$schema.xml ($lang)" >&2; exit 1; }
}

for s in "${schemas[@]}"; do
  # The namespace override makes the Go directory and package name <schema>.
  # sbe.decode.unknown.enum.values is deliberately not set: with it the Go generator emits an
  # X_UNKNOWN sentinel that collides with our valid values named UNKNOWN (Dtype, MajorOrder,
  # FrameProgressState) and makes unknown values indistinguishable from null. Without it,
  # LookupX reports unknown values as errors, which wire.Validate relies on.
  sbe golang "$out/go" "$s" \
    -Dsbe.go.generate.generate.flyweights=true \
    -Dsbe.target.namespace="$s"
  gofmt -w "$out/go/$s"
  sbe C "$out/c/$s" "$s"
done

if $check; then
  stale=false
  for s in "${schemas[@]}"; do
    for pair in "go/$s:wire/sbe/$s" "c/$s:cabi/sbe/$s"; do
      gen=${pair%%:*} committed=${pair#*:}
      if ! diff -r "$out/$gen" "$committed" >"$out/diff.txt" 2>&1; then
        echo "codegen-check: $committed is stale relative to schemas/$s.xml:" >&2
        head -n 40 "$out/diff.txt" >&2
        stale=true
      fi
    done
  done
  if $stale; then
    echo "codegen-check: FAILED - run 'make codegen' and commit the result" >&2
    exit 1
  fi
  echo "codegen-check: generated codecs are up to date"
  exit 0
fi

for s in "${schemas[@]}"; do
  # Replace whole directories so codecs of removed messages do not linger.
  rm -rf "wire/sbe/$s" "cabi/sbe/$s"
  mkdir -p wire/sbe cabi/sbe
  cp -R "$out/go/$s" "wire/sbe/$s"
  cp -R "$out/c/$s" "cabi/sbe/$s"
done
echo "codegen: wrote wire/sbe/ and cabi/sbe/ for: ${schemas[*]}"

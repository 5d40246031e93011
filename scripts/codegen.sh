#!/usr/bin/env bash
# Generates the SBE codecs from schemas/ with the pinned sbe-tool, one output per row of `units`:
#   Go flyweights -> wire/sbe/<out>/ (package <last element of out>), gofmt'd
#   C headers     -> cabi/sbe/<out>/<C namespace>/ (C identifiers prefixed with that namespace)
# The wire v1.1 schemas (schemas/*.xml) keep sbe-tool's default C namespace, their package name
# (shm_tensorpool_control, ...). Their v1.2 layouts (schemas/v1.2/*.xml) have the same package
# names, so they get their own namespace (shm_tensorpool_v12_control, ...) and can be included
# beside them; their Go packages sit in wire/sbe/v12/.
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

# out            schema                   C namespace ("-": the schema's package)
units=(
  "control       schemas/control.xml      -"
  "driver        schemas/driver.xml       -"
  "bridge        schemas/bridge.xml       -"
  "discovery     schemas/discovery.xml    -"
  "merge         schemas/merge.xml        -"
  "tracelink     schemas/tracelink.xml    -"
  "v12/control   schemas/v1.2/control.xml shm.tensorpool.v12.control"
  "v12/driver    schemas/v1.2/driver.xml  shm.tensorpool.v12.driver"
  "v12/bridge    schemas/v1.2/bridge.xml  shm.tensorpool.v12.bridge"
)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

sbe() { # language output-dir schema-file [extra -D...]
  local lang=$1 dir=$2 schema=$3
  shift 3
  # Agrona needs jdk.internal.misc; stop on the first schema error instead of a summary count.
  java --add-opens java.base/jdk.internal.misc=ALL-UNNAMED \
    -Dsbe.target.language="$lang" \
    -Dsbe.output.dir="$dir" \
    -Dsbe.validation.stop.on.error=true \
    -Dsbe.validation.warnings.fatal=true \
    "$@" -jar "$jar" "$schema" >"$out/sbe.log" 2>&1 ||
    { cat "$out/sbe.log" >&2; echo "codegen: sbe-tool failed on $schema ($lang)" >&2; exit 1; }
}

outs=()
for unit in "${units[@]}"; do
  read -r o schema cns <<<"$unit"
  outs+=("$o")
  # The namespace override makes the Go directory and package name the last element of out.
  # sbe.decode.unknown.enum.values is deliberately not set: with it the Go generator emits an
  # X_UNKNOWN sentinel that collides with our valid values named UNKNOWN (Dtype, MajorOrder,
  # FrameProgressState) and makes unknown values indistinguishable from null. Without it,
  # LookupX reports unknown values as errors, which wire.Validate relies on.
  parent=$(dirname "$o")
  sbe golang "$out/go/$parent" "$schema" \
    -Dsbe.go.generate.generate.flyweights=true \
    -Dsbe.target.namespace="$(basename "$o")"
  gofmt -w "$out/go/$o"
  if [ "$cns" = - ]; then
    sbe C "$out/c/$o" "$schema"
  else
    sbe C "$out/c/$o" "$schema" -Dsbe.target.namespace="$cns"
  fi
done

if $check; then
  stale=false
  for o in "${outs[@]}"; do
    for pair in "go/$o:wire/sbe/$o" "c/$o:cabi/sbe/$o"; do
      gen=${pair%%:*} committed=${pair#*:}
      if ! diff -r "$out/$gen" "$committed" >"$out/diff.txt" 2>&1; then
        echo "codegen-check: $committed is stale relative to its schema:" >&2
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

for o in "${outs[@]}"; do
  # Replace whole directories so codecs of removed messages do not linger.
  rm -rf "wire/sbe/$o" "cabi/sbe/$o"
  mkdir -p "$(dirname "wire/sbe/$o")" "$(dirname "cabi/sbe/$o")"
  cp -R "$out/go/$o" "wire/sbe/$o"
  cp -R "$out/c/$o" "cabi/sbe/$o"
done
echo "codegen: wrote wire/sbe/ and cabi/sbe/ for: ${outs[*]}"

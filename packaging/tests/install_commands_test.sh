#!/usr/bin/env bash
# Installs the build tree into a temporary prefix and runs the installed commands: tp and
# tp-driver are in bin/, executable, stamped with the source tree's git describe (when
# there is one), and tp checks the example configuration.
#   install_commands_test.sh <build-dir> <source-dir> [cmake]
set -euo pipefail
build=$1 src=$2
cmake=${3:-cmake}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tp-install-commands-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

fail() { echo "install_commands_test: $*" >&2; exit 1; }

"$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log" >&2; fail "cmake --install failed"; }

for cmd in tp tp-driver; do
  [ -x "$prefix/bin/$cmd" ] || fail "bin/$cmd is missing or not executable"
done

tp_version=$("$prefix/bin/tp" version) || fail "tp version failed: $tp_version"
driver_version=$("$prefix/bin/tp-driver" --version) || fail "tp-driver --version failed: $driver_version"
echo "$tp_version" | head -1
[ "${tp_version#tp }" = "${driver_version#tp-driver }" ] ||
  fail "tp version and tp-driver --version differ:"$'\n'"$tp_version"$'\n'"$driver_version"
if want=$(git -C "$src" describe --tags --always --dirty 2>/dev/null); then
  # The commands were built earlier than now; the tree may have become dirty since, not clean.
  got=$(echo "$tp_version" | head -1)
  [ "$got" = "tp $want" ] || [ "$got-dirty" = "tp $want" ] || fail "tp version says '$got', git describe '$want'"
fi
echo "$tp_version" | grep '^wire  *spec v1.1, SBE schema 900 version 1$' >/dev/null || fail "tp version lacks the wire protocol: $tp_version"

"$prefix/bin/tp" check "$src/config/examples/driver.toml" >"$tmp/check.log" 2>&1 ||
  { cat "$tmp/check.log" >&2; fail "the installed tp check rejects config/examples/driver.toml"; }
echo "install_commands_test: ok"

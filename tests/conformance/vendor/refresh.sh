#!/usr/bin/env bash
# Refreshes the vendored conformance scenarios and their expected Rust-mode
# traces from ../shared/conformance (the suite's source), so that the suite
# runs on a clone without ../shared. `--check`: only compare, fail on a
# difference (what .ci/run does when ../shared is there).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/../../../../shared/conformance"
[ -d "$src/public" ] || { echo "no $src/public: nothing to refresh from" >&2; exit 1; }
if [ "${1:-}" = "--check" ]; then
    diff -r "$src/public" "$here/public" && diff -r "$src/expected-rust/public" "$here/expected-rust/public"
    echo "vendored conformance scenarios and traces equal $src"
    exit 0
fi
rm -rf "$here/public" "$here/expected-rust"
mkdir -p "$here/expected-rust"
cp -r "$src/public" "$here/public"
cp -r "$src/expected-rust/public" "$here/expected-rust/public"
echo "refreshed from $src"

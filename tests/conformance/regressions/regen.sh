#!/usr/bin/env bash
# The regression scenarios (each a minimised divergence once found, named
# after what it shows) and their expected Rust-mode traces, which CPython
# computes: `regen.sh` rewrites expected/<name>.trace with
# ../shared/conformance/oracle.py; `regen.sh --check` only compares (.ci/run).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
oracle="$here/../../../../shared/conformance/oracle.py"
[ -f "$oracle" ] || { echo "no $oracle: nothing to compute the traces with" >&2; exit 1; }
python="${PYTHON:-python3.11}"
status=0
for scenario in "$here"/*.json; do
    name="$(basename "$scenario" .json)"
    trace="$("$python" "$oracle" --rust "$scenario")"
    if [ "${1:-}" = "--check" ]; then
        if [ "$trace" != "$(cat "$here/expected/$name.trace")" ]; then
            echo "differs from CPython: expected/$name.trace" >&2
            status=1
        fi
    else
        printf '%s\n' "$trace" > "$here/expected/$name.trace"
    fi
done
[ "${1:-}" = "--check" ] && [ $status -eq 0 ] && echo "regression traces equal CPython's"
exit $status

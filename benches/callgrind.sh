#!/usr/bin/env bash
# Instructions per item for every contender of benches/peers.rs, under
# callgrind: each workload runs once for N1 and once for N2 items, and
#
#     instructions/item = (I(N2) - I(N1)) / (N2 - N1)
#
# so start-up, the executor's set-up and the process exit cancel out. For
# `create_drop` an "item" is one generator (create, first item, drop).
#
# Usage: benches/callgrind.sh [FILTER]   (FILTER: grep -E on "workload contender")
# Env:   N1, N2 (default 10000, 110000); CARGO_TARGET_DIR (default
#        /work/target-bench); CALLGRIND_KEEP=DIR keeps the callgrind.out files
#        (for callgrind_annotate); ALLOCS=1 adds a heap allocations per item
#        column, from memcheck's heap summary at N=1000 and N=2000.
#
# The bench profile (Cargo.toml: lto = "fat", codegen-units = 1) is used.
# `--demangle=no`: callgrind's demangler chokes on some of this binary's v0
# Rust symbols (the issue's note), and the totals do not need names.
set -euo pipefail

cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-bench}"
N1="${N1:-10000}"
N2="${N2:-110000}"
FILTER="${1:-.}"

command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }

BIN=$(cargo bench -p agen-benches --bench peers --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
[ -x "$BIN" ] || { echo "could not build the peers bench" >&2; exit 1; }

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# Total instructions (Ir) of one run.
instructions() {
    local workload=$1 contender=$2 n=$3
    local file="$OUT/callgrind.out.$workload.$contender.$n"
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$file" \
        "$BIN" --one "$workload" "$contender" "$n" >/dev/null 2>"$file.log" || {
        cat "$file.log" >&2
        exit 1
    }
    if [ -n "${CALLGRIND_KEEP:-}" ]; then
        mkdir -p "$CALLGRIND_KEEP"
        cp "$file" "$CALLGRIND_KEEP/"
    fi
    sed -n 's/^summary: *\([0-9]*\).*/\1/p; s/^totals: *\([0-9]*\).*/\1/p' "$file" | head -n 1
}

# Heap allocations (malloc & co.) of one run, from memcheck's summary.
allocations() {
    valgrind "$BIN" --one "$1" "$2" "$3" 2>&1 >/dev/null |
        sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,
}

echo "$(rustc --version); $(valgrind --version); N1=$N1, N2=$N2"
echo
declare -A hand_ipi
printf '| %-12s | %-17s | %12s | %12s | %10s | %8s |' \
    workload contender "I(N1=$N1)" "I(N2=$N2)" instr/item "vs hand"
[ -n "${ALLOCS:-}" ] && printf ' %11s |' allocs/item
printf '\n|%s|%s|%s|%s|%s|%s|' -------------- ------------------- -------------- -------------- ------------ ----------
[ -n "${ALLOCS:-}" ] && printf '%s|' -------------
echo
# Rows are printed once all are measured: the ratio column needs `hand`,
# which `--list` gives after `agen`.
rows=()
while read -r workload contender; do
    # `hand` always runs: the ratio column needs it.
    [ "$contender" = hand ] || echo "$workload $contender" | grep -Eq -- "$FILTER" || continue
    i1=$(instructions "$workload" "$contender" "$N1")
    i2=$(instructions "$workload" "$contender" "$N2")
    ipi=$(awk -v a="$i1" -v b="$i2" -v n1="$N1" -v n2="$N2" 'BEGIN { printf "%.2f", (b - a) / (n2 - n1) }')
    [ "$contender" = hand ] && hand_ipi[$workload]=$ipi
    api=-
    if [ -n "${ALLOCS:-}" ]; then
        a1=$(allocations "$workload" "$contender" 1000)
        a2=$(allocations "$workload" "$contender" 2000)
        api=$(awk -v a="$a1" -v b="$a2" 'BEGIN { printf "%.2f", (b - a) / 1000 }')
    fi
    rows+=("$workload $contender $i1 $i2 $ipi $api")
done < <("$BIN" --list)

for row in "${rows[@]}"; do
    read -r workload contender i1 i2 ipi api <<<"$row"
    ratio=-
    if [ -n "${hand_ipi[$workload]:-}" ]; then
        ratio=$(awk -v x="$ipi" -v h="${hand_ipi[$workload]}" 'BEGIN { if (h > 0) printf "%.2fx", x / h; else print "-" }')
    fi
    printf '| %-12s | %-17s | %12s | %12s | %10s | %8s |' \
        "$workload" "$contender" "$i1" "$i2" "$ipi" "$ratio"
    [ -n "${ALLOCS:-}" ] && printf ' %11s |' "$api"
    echo
done

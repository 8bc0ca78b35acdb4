#!/usr/bin/env bash
# run-journal.sh - what durability costs `dedup filter --index`, and what it
# keeps through kills.
#
#   bench/run-journal.sh [--docs N] [--kills N]
#
# 1. Throughput: documents/s of `dedup filter --index` on a generated
#    corpus of 3 KB articles (bench/gen, seed 1, N documents, default
#    20000) with --sync every, --sync 64 and --sync off (the default),
#    next to no index at all and to --save-every 1 (a whole save per
#    document; on the first 300 documents only). Each on a fresh index in
#    the folder of $TMPDIR (default /tmp), whose disk decides the cost of
#    a sync.
# 2. Kills: N runs (default 20) of `dedup filter --index --sync every` over
#    the same corpus, each killed with SIGKILL after a random 0.05-1 s
#    (fixed seed). After each: does the index load, are the documents the
#    run wrote (its complete lines) all in it under their names, is a
#    temporary file left. Then a final run; every story must be delivered
#    by some run or be one recorded and not written (at most one per kill).
#    These runs take --boilerplate off: each run reads the corpus again from
#    its start, which would count its lines again, and a document signed
#    with other line counts than its stored copy may fall below the
#    threshold against it, which would blur what the check is about.
#
# Programs come from $BUILD (default build/): $DEDUP, $GEN.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
BUILD=${BUILD:-$root/build}
DEDUP=${DEDUP:-$BUILD/tools/dedup}
GEN=${GEN:-$BUILD/bench/gen}
docs=20000
kills=20
while [ $# -gt 0 ]; do
    case $1 in
    --docs) docs=$2; shift 2 ;;
    --kills) kills=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-journal.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$GEN" --docs "$docs" --seed 1 --out "$work/c.jsonl" --truth /dev/null
head -300 "$work/c.jsonl" > "$work/c300.jsonl"
echo "# corpus: $docs generated documents, $(($(stat -c %s "$work/c.jsonl") / docs)) bytes each on average"

now() { date +%s.%N; }
rate() { # LABEL INPUT ARGS...
    local label=$1 input=$2
    shift 2
    rm -f "$work"/r.idx*
    local t0 t1 n kept
    n=$(wc -l < "$input")
    t0=$(now)
    kept=$("$DEDUP" filter -q "$@" "$input" | wc -l)
    t1=$(now)
    awk -v l="$label" -v n="$n" -v k="$kept" -v a="$t0" -v b="$t1" \
        'BEGIN { printf "%-28s %8d docs %7d kept %8.2f s %9.0f docs/s %8.0f kept/s\n", l, n, k, b - a, n / (b - a), k / (b - a) }'
}
echo "# throughput"
rate "no index" "$work/c.jsonl"
rate "--index --sync off" "$work/c.jsonl" --index "$work/r.idx"
rate "--index --sync 64" "$work/c.jsonl" --index "$work/r.idx" --sync 64
rate "--index --sync every" "$work/c.jsonl" --index "$work/r.idx" --sync every
rate "--index --save-every 1" "$work/c300.jsonl" --index "$work/r.idx" --save-every 1

echo "# kills: $kills runs of --sync every, each killed after 0.05-1 s"
RANDOM=7
loads=0 missing=0 temps=0 delivered=0
rm -f "$work"/k.idx*
for i in $(seq 1 "$kills"); do
    "$DEDUP" filter -q --boilerplate off --index "$work/k.idx" --sync every "$work/c.jsonl" \
        > "$work/out" 2> /dev/null &
    pid=$!
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.05 + 0.95 * r / 32767 }')"
    kill -KILL $pid 2> /dev/null || true
    wait $pid 2> /dev/null || true
    python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(d[:d.rfind(b"\n") + 1])' "$work/out" > "$work/acked"
    n=$(wc -l < "$work/acked")
    delivered=$((delivered + n))
    t=$(ls "$work" | grep -c '^k\.idx.*tmp' || true)
    temps=$((temps + t))
    if "$DEDUP" index query "$work/k.idx" "$work/acked" > "$work/q" 2> "$work/err"; then
        loads=$((loads + 1))
        found=$(awk -F'\t' '$1 == $2' "$work/q" | cut -f1 | sort -u | wc -l)
    else
        found=0
    fi
    missing=$((missing + n - found))
    printf 'kill %2d: %5d lines written, %5d of them found in the reloaded index, %d temporary files\n' \
        "$i" "$n" "$found" "$t"
done
rest=$("$DEDUP" filter -q --boilerplate off --index "$work/k.idx" "$work/c.jsonl" | wc -l)
all=$("$DEDUP" filter -q --boilerplate off "$work/c.jsonl" | wc -l)
left=$(ls "$work" | grep -c '^k\.idx.*tmp' || true)
echo "# reloads that succeeded: $loads of $kills"
echo "# written documents missing from the reloaded index: $missing of $delivered"
echo "# temporary files seen after kills: $temps; after the next run: $left"
echo "# final run kept $rest more: $((delivered + rest)) of the $all an uninterrupted run keeps" \
    "($((all - delivered - rest)) recorded and not written)"

#!/usr/bin/env bash
# run-writers.sh - two writers of one index started together, again and
# again: the second must be refused at once with a message naming the
# first, and no document the first kept may be lost.
#
#   bench/run-writers.sh [--rounds N] [--docs N]
#
# Each round starts two `dedup filter --index` runs on a fresh index at
# the same moment, each over its own generated corpus (bench/gen, seeds 1
# and 2), and waits for both. Prints, per round, which run was refused and
# whether the saved index holds exactly the documents the other kept; then
# the totals. Programs come from $BUILD (default build/): $DEDUP, $GEN.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
BUILD=${BUILD:-$root/build}
DEDUP=${DEDUP:-$BUILD/tools/dedup}
GEN=${GEN:-$BUILD/bench/gen}
rounds=20
docs=2000
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --docs) docs=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-writers.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$GEN" --docs "$docs" --seed 1 --out "$work/a.jsonl" --truth /dev/null
"$GEN" --docs "$docs" --seed 2 --out "$work/b.jsonl" --truth /dev/null

refused_ok=0
intact=0
printf '%5s %10s %8s %8s %s\n' round refused kept stored message
for i in $(seq 1 "$rounds"); do
    rm -f "$work"/s.idx*
    "$DEDUP" filter -q --index "$work/s.idx" "$work/a.jsonl" > "$work/ka" 2> "$work/ea" &
    pa=$!
    "$DEDUP" filter -q --index "$work/s.idx" "$work/b.jsonl" > "$work/kb" 2> "$work/eb" &
    pb=$!
    sa=0 sb=0
    wait $pa || sa=$?
    wait $pb || sb=$?
    who=none kept=0
    if [ "$sa" -eq 3 ] && [ "$sb" -eq 0 ]; then
        who=first kept=$(wc -l < "$work/kb") msg=$(head -c 60 "$work/ea")
    elif [ "$sb" -eq 3 ] && [ "$sa" -eq 0 ]; then
        who=second kept=$(wc -l < "$work/ka") msg=$(head -c 60 "$work/eb")
    else
        msg="exit statuses $sa and $sb"
    fi
    stored=$("$DEDUP" index stats "$work/s.idx" | awk '$1 == "documents" {print $2}')
    [ "$who" != none ] && grep -q "is in use by process" <<<"$msg" && refused_ok=$((refused_ok + 1))
    [ "$who" != none ] && [ "$stored" = "$kept" ] && intact=$((intact + 1))
    printf '%5d %10s %8s %8s %s\n' "$i" "$who" "$kept" "$stored" "$msg"
done
echo "# rounds $rounds: one writer refused with the message in $refused_ok," \
    "the index holds every kept document in $intact"

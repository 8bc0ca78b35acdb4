#!/usr/bin/env bash
# run-speed.sh - how fast `dedup cluster` runs, against the floor of
# reading and hashing the same file once.
#
#   bench/run-speed.sh [--big] [--sizes "N N ..."] [--seed S] [--keep DIR]
#
# Generates English corpora of 10k and 100k documents (and 1M with --big:
# about 2.7 GB on disk, in $TMPDIR or --keep DIR), runs the floor
# (bench/floor: XXH3 over every byte) and then `dedup cluster -j1` and
# `-j2` with --stats on each, timing with /usr/bin/time -f '%e %M'.
# Prints docs, MB, jobs, seconds, MB/s, floor MB/s, the ratio of dedup's
# speed to the floor's, and peak resident memory in MB. The --stats
# report of each run is saved next to the corpus (see --keep).
#
# Then `dedup filter --window 1000000` (a stream deduplicator keeping a
# million documents) with -j1 and -j2 on the same corpora: a second table
# with docs, jobs, seconds, documents per second, documents kept and peak
# resident memory in MB.
#
# The floor runs first, so both it and dedup read the file from the page
# cache: the figures are CPU cost, not disk speed.
#
# Programs: $DEDUP (default $BUILD/tools/dedup), $GEN, $FLOOR, with $BUILD
# defaulting to build/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
BUILD=${BUILD:-$root/build}
DEDUP=${DEDUP:-$BUILD/tools/dedup}
GEN=${GEN:-$BUILD/bench/gen}
FLOOR=${FLOOR:-$BUILD/bench/floor}
TIME=${TIME:-/usr/bin/time}

sizes="10000 100000"
seed=1
keep=
while [ $# -gt 0 ]; do
    case $1 in
    --big) sizes="$sizes 1000000"; shift ;;
    --sizes) sizes=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-speed.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

for prog in "$GEN" "$FLOOR" "$DEDUP" "$TIME"; do
    if [ ! -x "$prog" ]; then
        echo "run-speed.sh: $prog not found or not executable" \
            "(build with ninja -C build, install GNU time, or set DEDUP/GEN/FLOOR/TIME)" >&2
        exit 2
    fi
done

if [ -n "$keep" ]; then
    work=$keep
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi

echo "# dedup: $DEDUP; $(nproc) CPUs; $(uname -m)"
printf '%9s %9s %4s %9s %8s %9s %8s %8s\n' docs MB jobs seconds MB/s floorMB/s ratio peakMB
status=0
filter_rows=
for n in $sizes; do
    corpus=$work/en-$n.jsonl
    "$GEN" --docs "$n" --seed "$seed" --lang en --out "$corpus" --truth "$work/en-$n.truth.tsv"
    "$FLOOR" "$corpus" >"$work/en-$n.floor.txt"
    bytes=$(awk '$1 == "bytes" { print $2 }' "$work/en-$n.floor.txt")
    floor=$(awk '$1 == "MB/s" { print $2 }' "$work/en-$n.floor.txt")
    for j in 1 2; do
        stats=$work/en-$n.j$j.stats.txt
        if ! "$TIME" -f '%e %M' -o "$work/time.txt" \
            "$DEDUP" cluster -j"$j" --stats "$corpus" >/dev/null 2>"$stats"; then
            printf '%9s %9s %4s  dedup cluster failed (see %s)\n' "$n" "-" "$j" "$stats"
            sed 's/^/#   /' "$stats" | head -5
            status=1
            continue
        fi
        # The last line of the time output holds the figures (earlier
        # lines, if any, are time's notes about the command).
        read -r secs kb < <(tail -n 1 "$work/time.txt")
        awk -v n="$n" -v b="$bytes" -v j="$j" -v s="$secs" -v kb="$kb" -v f="$floor" '
            BEGIN {
                mb = b / 1e6
                rate = (s > 0 ? mb / s : 0)
                printf "%9d %9.1f %4d %9.2f %8.1f %9.1f %8.4f %8.1f\n",
                    n, mb, j, s, rate, f, (f > 0 ? rate / f : 0), kb / 1024
            }'
    done
    for j in 1 2; do
        stats=$work/en-$n.filter.j$j.stats.txt
        if ! "$TIME" -f '%e %M' -o "$work/time.txt" \
            "$DEDUP" filter -q -j"$j" --window 1000000 --stats "$corpus" >/dev/null 2>"$stats"; then
            filter_rows+=$(printf '%9s %4s  dedup filter failed (see %s)' "$n" "$j" "$stats")$'\n'
            status=1
            continue
        fi
        read -r secs kb < <(tail -n 1 "$work/time.txt")
        kept=$(awk '$1 == "kept" { print $2 }' "$stats")
        filter_rows+=$(awk -v n="$n" -v j="$j" -v s="$secs" -v kb="$kb" -v k="$kept" '
            BEGIN { printf "%9d %4d %9.2f %9.0f %9d %8.1f", n, j, s, (s > 0 ? n / s : 0), k, kb / 1024 }')$'\n'
    done
done
echo "# dedup filter --window 1000000"
printf '%9s %4s %9s %9s %9s %8s\n' docs jobs seconds docs/s kept peakMB
printf '%s' "$filter_rows"
[ -n "$keep" ] && echo "# files kept in $work"
exit $status

#!/usr/bin/env bash
# run-scale.sh - what `dedup cluster` costs over the ranks of an MPI job:
# per rank and per stage, the bytes each rank sends, peak memory and the
# balance between ranks, next to the run on one machine.
#
#   bench/run-scale.sh [--docs N] [--ranks "1 2 4"] [FILE...]
#
# The corpus is FILE... or, by default, N generated articles in four
# languages (bench/gen --lang mixed --seed 1, N default 200000) in
# $TMPDIR. For one machine and then for each rank count: the wall time,
# whether the output is byte-identical to one machine's, and from --stats
# each rank's seconds per stage (split, line statistics, read and sign,
# band records, pairs, merge of components, assignment, output), the
# bytes it sent per document it read and its peak memory; then the
# balance, slowest rank over the mean of the ranks' whole times.
#
# On a machine with fewer cores than ranks, ranks share cores: the
# figures then measure work and traffic per rank, not speed-up.
# Programs come from $BUILD (default build/): $DEDUP, $GEN; mpirun from
# $MPIRUN (default: the one on PATH).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
BUILD=${BUILD:-$root/build}
DEDUP=${DEDUP:-$BUILD/tools/dedup}
GEN=${GEN:-$BUILD/bench/gen}
MPIRUN=${MPIRUN:-mpirun}
docs=200000
ranks="1 2"
while [ $# -gt 0 ]; do
    case $1 in
    --docs) docs=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run-scale.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-scale.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ $# -eq 0 ]; then
    "$GEN" --docs "$docs" --seed 1 --lang mixed --out "$tmp/corpus.jsonl"
    set -- "$tmp/corpus.jsonl"
fi
bytes=$(cat "$@" | wc -c)
echo "# corpus: $* ($bytes bytes)"
echo "# machine: $(nproc) cores, $(uname -m)"

t0=$(date +%s.%N)
"$DEDUP" cluster -q --stats=json "$@" > "$tmp/one.tsv" 2> "$tmp/one.json"
t1=$(date +%s.%N)
python3 - "$tmp/one.json" "$t0" "$t1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
wall = float(sys.argv[3]) - float(sys.argv[2])
print(f"one_machine wall {wall:.2f} s, {s['documents'] / wall:.0f} docs/s, "
      f"read+sign {s['seconds_read_sign']:.2f} s, cluster {s['seconds_cluster']:.2f} s, "
      f"peak {s['peak_memory_bytes'] / 1e6:.1f} MB")
PY

for n in $ranks; do
    t0=$(date +%s.%N)
    "$MPIRUN" -np "$n" "$DEDUP" cluster -q --stats=json "$@" > "$tmp/mpi.tsv" 2> "$tmp/mpi.json"
    t1=$(date +%s.%N)
    same=no
    cmp -s "$tmp/one.tsv" "$tmp/mpi.tsv" && same=yes
    python3 - "$tmp/mpi.json" "$t0" "$t1" "$n" "$same" <<'PY'
import json, sys
line = [l for l in open(sys.argv[1]) if l.startswith("{")][-1]
s = json.loads(line)
wall = float(sys.argv[3]) - float(sys.argv[2])
n, same = int(sys.argv[4]), sys.argv[5]
print(f"ranks_{n} wall {wall:.2f} s, {s['documents'] / wall:.0f} docs/s, "
      f"output identical to one machine: {same}")
stages = ["split", "lines", "read_sign", "bands", "pairs", "merge", "assign", "output"]
print("  rank docs     " + " ".join(f"{x:>9}" for x in stages) + "  sent/doc  peak_MB")
totals = []
for r in s["ranks"]:
    sec = r["seconds"]
    totals.append(sum(sec[x] for x in stages))
    per = r["bytes_sent"] / r["documents"] if r["documents"] else 0
    print(f"  {r['rank']:<4} {r['documents']:<8.0f} " +
          " ".join(f"{sec[x]:9.3f}" for x in stages) +
          f"  {per:8.0f}  {r['peak_memory_bytes'] / 1e6:7.1f}")
mean = sum(totals) / len(totals)
print(f"  balance (slowest rank / mean) {max(totals) / mean:.3f}; "
      f"band records per document {sum(r['band_records'] for r in s['ranks']) / s['documents']:.1f}")
PY
done

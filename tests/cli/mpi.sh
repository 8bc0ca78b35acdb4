#!/bin/bash
# `mpirun -np N dedup cluster` against `dedup cluster` on one machine:
# the same output byte for byte for N = 1, 2, 3, 4 and 7 ranks (more ranks
# than cores, TCP on the loopback), on the sample corpus and on a
# generated corpus of 50,000 articles in four languages given as three
# files (plain, gzip, zstd without ids), in both cluster modes with
# boilerplate statistics on and off, and the jsonl (with --explain) and
# report outputs; a bad record stops every rank with its message and exit
# status 1; what cannot run over ranks is refused.
# Usage: mpi.sh DEDUP GEN MPIRUN
GEN=${2:?usage: mpi.sh DEDUP GEN MPIRUN}
MPIRUN=${3:?usage: mpi.sh DEDUP GEN MPIRUN}
GEN=$(cd "$(dirname "$GEN")" && pwd)/$(basename "$GEN")
data=$(cd "$(dirname "$0")/../data" && pwd)
. "$(dirname "$0")/lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=tcp,self OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
export OMPI_MCA_rmaps_base_oversubscribe=1

ranks() { # ranks N ARGS...: mpirun -np N dedup ARGS
    local n=$1
    shift
    timeout 300 "$MPIRUN" -np "$n" "$DEDUP" "$@"
}

"$DEDUP" cluster -q "$data/sample.jsonl" > one.tsv
for n in 1 2 3 4 7; do
    ranks "$n" cluster -q "$data/sample.jsonl" > got.tsv 2> err.txt
    st=$?
    cmp -s one.tsv got.tsv && [ $st -eq 0 ]
    ok $? "sample corpus, $n ranks: the same output (exit $st)"
done

"$GEN" --docs 50000 --seed 3 --lang mixed --out all.jsonl
head -n 20000 all.jsonl > a.jsonl
sed -n 20001,35000p all.jsonl | gzip > b.jsonl.gz
# The third file has no ids: ids are line numbers over all inputs.
sed -n '35001,$p' all.jsonl | sed 's/"id": *"[^"]*", *//' | zstd -q > c.jsonl.zst
files="a.jsonl b.jsonl.gz c.jsonl.zst"
for opts in "" "--mode transitive" "--boilerplate off" "--mode transitive --boilerplate off"; do
    # shellcheck disable=SC2086
    "$DEDUP" cluster -q $opts $files > one.tsv
    same=$?
    [ "$(wc -l < one.tsv)" -eq 50000 ] || same=1
    for n in 1 2 3 4 7; do
        # shellcheck disable=SC2086
        ranks "$n" cluster -q $opts $files > got.tsv 2> err.txt || same=1
        cmp -s one.tsv got.tsv || { same=1; echo "# differs with $n ranks"; }
    done
    ok $same "50k mixed articles, 3 files, '${opts:-defaults}': 1, 2, 3, 4, 7 ranks give the same output"
done
dups=$(awk -F'\t' '$1 != $2' one.tsv | wc -l)
[ "$dups" -gt 10000 ]
ok $? "the corpus has duplicates to find ($dups)"

"$DEDUP" cluster -q --output jsonl a.jsonl b.jsonl.gz > one.jsonl
ranks 3 cluster -q --output jsonl a.jsonl b.jsonl.gz > got.jsonl
cmp -s one.jsonl got.jsonl
ok $? "--output jsonl, 3 ranks: the same records"

head -n 5000 a.jsonl > bad.jsonl
sed -i '4000s/.*/{"id": "x", "text": broken/' bad.jsonl
"$DEDUP" cluster -q bad.jsonl > /dev/null 2> one.err
start=$(date +%s)
ranks 3 cluster -q bad.jsonl > got.tsv 2> err.txt
st=$?
took=$(($(date +%s) - start))
is "$st" 1 "a bad record on one rank: every rank stops, exit 1"
contains err.txt "$(head -n 1 one.err)" "with the message one machine gives (file and line)"
[ ! -s got.tsv ] && [ "$took" -lt 60 ]
ok $? "no output, and no hang (${took} s)"

same=0
for ms in 1 2 4; do
    "$DEDUP" cluster -q --output report --min-size $ms a.jsonl b.jsonl.gz > one.txt
    ranks 3 cluster -q --output report --min-size $ms a.jsonl b.jsonl.gz > got.txt || same=1
    cmp -s one.txt got.txt || same=1
done
ok $same "--output report, --min-size 1, 2 and 4, 3 ranks: the same report"
head -n 6000 a.jsonl > e.jsonl
"$DEDUP" cluster -q --output jsonl --explain e.jsonl > one.jsonl
ranks 3 cluster -q --output jsonl --explain e.jsonl > got.jsonl
cmp -s one.jsonl got.jsonl
ok $? "--output jsonl --explain, 3 ranks: the same explanations"
# Pages that name their site (a url on 7 hosts): per-site counts and
# explanations of representatives read on other ranks.
python3 -c '
import json, sys
for i, line in enumerate(open(sys.argv[1])):
    r = json.loads(line)
    r["url"] = "https://www.s%d.example/%d" % (i % 7, i)
    print(json.dumps(r))' e.jsonl > s.jsonl
"$DEDUP" cluster -q --output jsonl --explain s.jsonl > one.jsonl
ranks 3 cluster -q --output jsonl --explain s.jsonl > got.jsonl
cmp -s one.jsonl got.jsonl && ! cmp -s one.jsonl <("$DEDUP" cluster -q --output jsonl \
    --explain --site-field '' s.jsonl)
ok $? "sites: 3 ranks give the same explanations, which the sites change"
ranks 2 cluster -q - < a.jsonl > /dev/null 2> err.txt
is $? 3 "stdin over ranks: refused"
contains err.txt "inputs must be files" "saying so"
ranks 2 filter -q a.jsonl > /dev/null 2> err.txt
is $? 2 "another command over ranks: refused"
contains err.txt "only 'dedup cluster'" "saying so"

done_testing

#!/usr/bin/env bash
# run-accuracy.sh - how well `dedup cluster` separates copies of one story
# from different stories, on generated corpora with ground truth.
#
#   bench/run-accuracy.sh [--docs N] [--seed S] [--threshold T] [--keep DIR]
#                         [--errors FILE]
#
# Generates, with bench/gen: English standard pages, a multilingual mix
# (en, ko, ja, zh), boilerplate-heavy pages, short briefs and pages whose
# copies keep only the top of the story (an eighth to a half); and, when the
# Reuters-21578 corpus is present (../shared/corpora next to the repository
# or /work/shared/corpora), its articles republished with the same edit
# model. Runs `dedup cluster` on each, scores the result with bench/score
# and prints one table row per corpus: docs, pairwise precision, recall,
# F1, adjusted Rand index and the share of same-event, different-story
# pairs that were merged (lower is better).
#
# When the labeled real news set has been assembled (docs.jsonl and
# labels.tsv in $NEWS_REAL, default ../news-real next to the repository or
# /work/news-real; see ../shared/corpora/news-real/README.md), it is
# clustered too and scored by bench/score-real.py: a line per language with
# copy recall, lenient precision, same-event merges and ARI; then the same
# pages go through dedup filter (rows filter-real). --errors FILE
# writes its error listing there: each missed copy pair and each false merge
# with the passages the two texts share, and for a missed pair whether a
# chain of pairs over the threshold joins it (from a run in --mode
# transitive).
#
# Programs come from the build directory ($BUILD, default build/):
# $DEDUP (default $BUILD/tools/dedup), $GEN, $SCORE. Extra arguments for
# dedup cluster can be given in $DEDUP_ARGS.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
BUILD=${BUILD:-$root/build}
DEDUP=${DEDUP:-$BUILD/tools/dedup}
GEN=${GEN:-$BUILD/bench/gen}
SCORE=${SCORE:-$BUILD/bench/score}
DEDUP_ARGS=${DEDUP_ARGS:-}

docs=20000
seed=1
threshold=
keep=
errors=
while [ $# -gt 0 ]; do
    case $1 in
    --docs) docs=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --threshold) threshold=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --errors) errors=$2; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-accuracy.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

for prog in "$GEN" "$SCORE" "$DEDUP"; do
    if [ ! -x "$prog" ]; then
        echo "run-accuracy.sh: $prog not found or not executable" \
            "(build with ninja -C build, or set DEDUP/GEN/SCORE)" >&2
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

base=
for cand in "$root/../shared/corpora/reuters21578.jsonl" /work/shared/corpora/reuters21578.jsonl; do
    if [ -r "$cand" ]; then
        base=$cand
        break
    fi
done

# name|generator arguments
corpora=(
    "en-standard|--lang en --kind standard"
    "multilingual|--lang mixed --kind standard"
    "boilerplate|--lang en --kind boilerplate"
    "briefs|--lang en --kind briefs"
    "cuts|--lang en --kind cuts"
    "ja-briefs|--lang ja --kind briefs"
    "ja-cuts|--lang ja --kind cuts"
    "ko-briefs|--lang ko --kind briefs"
    "ko-cuts|--lang ko --kind cuts"
    "zh-briefs|--lang zh --kind briefs"
    "zh-cuts|--lang zh --kind cuts"
)
if [ -n "$base" ]; then
    corpora+=("reuters-base|--base $base")
fi

cluster_args=()
[ -n "$threshold" ] && cluster_args+=(--threshold "$threshold")
# shellcheck disable=SC2206 # word splitting of DEDUP_ARGS is intended
[ -n "$DEDUP_ARGS" ] && cluster_args+=($DEDUP_ARGS)

echo "# dedup: $DEDUP ${cluster_args[*]:-}"
echo "# seed $seed, up to $docs documents per corpus"
printf '%-14s %8s %9s %7s %7s %7s %11s\n' corpus docs precision recall F1 ARI same-event%
status=0
for entry in "${corpora[@]}"; do
    name=${entry%%|*}
    args=${entry#*|}
    # shellcheck disable=SC2086 # $args holds several options
    "$GEN" --docs "$docs" --seed "$seed" $args \
        --out "$work/$name.jsonl" --truth "$work/$name.truth.tsv"
    if ! "$DEDUP" cluster "${cluster_args[@]}" "$work/$name.jsonl" \
        >"$work/$name.clusters.tsv" 2>"$work/$name.dedup.log"; then
        printf '%-14s %8s  dedup cluster failed (see %s)\n' "$name" \
            "$(wc -l <"$work/$name.truth.tsv")" "$work/$name.dedup.log"
        sed 's/^/#   /' "$work/$name.dedup.log" | head -5
        status=1
        continue
    fi
    if ! "$SCORE" --truth "$work/$name.truth.tsv" "$work/$name.clusters.tsv" \
        >"$work/$name.score.txt" 2>"$work/$name.score.log"; then
        printf '%-14s %8s  scoring failed\n' "$name" "$(wc -l <"$work/$name.truth.tsv")"
        sed 's/^/#   /' "$work/$name.score.log" | head -5
        status=1
        continue
    fi
    awk -v name="$name" '
        { v[$1] = $2 }
        END {
            printf "%-14s %8d %9.4f %7.4f %7.4f %7.4f %11.2f\n", name, v["docs"],
                v["precision"], v["recall"], v["f1"], v["ari"],
                100 * v["same_event_merged_fraction"]
        }' "$work/$name.score.txt"
done
real=${NEWS_REAL:-}
if [ -z "$real" ]; then
    for cand in "$root/../news-real" /work/news-real; do
        if [ -r "$cand/docs.jsonl" ] && [ -r "$cand/labels.tsv" ]; then
            real=$cand
            break
        fi
    done
fi
if [ -n "$real" ] && { [ ! -r "$real/docs.jsonl" ] || [ ! -r "$real/labels.tsv" ]; }; then
    real=
fi
if [ -n "$real" ]; then
    if "$DEDUP" cluster "${cluster_args[@]}" --id-field id "$real/docs.jsonl" \
        >"$work/news-real.clusters.tsv" 2>"$work/news-real.dedup.log"; then
        score_args=()
        [ -n "$errors" ] && score_args+=(--errors "$errors")
        if [ -n "$errors" ] && "$DEDUP" cluster "${cluster_args[@]}" --mode transitive \
            --id-field id "$real/docs.jsonl" >"$work/news-real.chains.tsv" 2>/dev/null; then
            score_args+=(--chains "$work/news-real.chains.tsv")
        fi
        python3 "$here/score-real.py" "${score_args[@]}" "$real/docs.jsonl" \
            "$real/labels.tsv" "$work/news-real.clusters.tsv" || status=1
    else
        printf '%-14s  dedup cluster failed (see %s)\n' news-real "$work/news-real.dedup.log"
        status=1
    fi
    # The same pages through dedup filter, in the set's order.
    if "$DEDUP" filter -q "${cluster_args[@]}" --id-field id --dups "$work/news-real.dups.jsonl" \
        "$real/docs.jsonl" >/dev/null 2>"$work/news-real.filter.log"; then
        python3 "$here/score-real.py" --name filter-real "$real/docs.jsonl" "$real/labels.tsv" \
            --dups "$work/news-real.dups.jsonl" | sed -n '3,$p' || status=1
    else
        printf '%-14s  dedup filter failed (see %s)\n' filter-real "$work/news-real.filter.log"
        status=1
    fi
else
    printf '%-14s %s\n' news-real "skipped: not assembled (\$NEWS_REAL/docs.jsonl)"
fi
if [ -z "$base" ]; then
    printf '%-14s %s\n' reuters-base "skipped: not present (../shared/corpora/reuters21578.jsonl)"
fi
[ -n "$keep" ] && echo "# files kept in $work"
exit $status

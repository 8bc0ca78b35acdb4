#!/bin/bash
# Regenerates the seed corpus of fuzz-index (corpus/index/) with the dedup
# tool of a build: small index files of several shapes, each prefixed with
# the mode byte fuzz-index.c reads (0: as is, 1: checksums recomputed).
# Run it again whenever the index file format changes.
# Usage: tests/fuzz/make-index-seeds.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
dedup=$build/tools/dedup
out=$here/corpus/index
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
rm -f "$out"/seed-* "$out"/regress-head-on-free-slot "$out"/regress-stamp-int64-max

python3 - "$work" <<'PY'
import json, random, sys
rnd = random.Random(3)
words = ["harbour", "council", "budget", "minister", "rail", "strike", "storm", "market",
         "election", "bridge", "school", "hospital", "river", "festival", "court", "museum"]
def doc(i, n):
    return " ".join(rnd.choice(words) + str(rnd.randrange(50)) for _ in range(n))
for name, count, n in [("small", 5, 30), ("many", 40, 12), ("empty", 0, 0)]:
    with open("%s/%s.jsonl" % (sys.argv[1], name), "w") as f:
        for i in range(count):
            text = doc(i, n) if i % 7 else ""
            f.write(json.dumps({"id": "%s%d" % (name, i), "text": text}) + "\n")
PY

"$dedup" index build "$work/small.jsonl" -o "$work/a.idx"
"$dedup" index build --num-hashes 16 --measure jaccard --threshold 0.8 "$work/many.jsonl" -o "$work/b.idx"
"$dedup" index build "$work/empty.jsonl" -o "$work/c.idx"
"$dedup" index build --param bands=4 --param rows=4 --param link_lists=0 --num-hashes 16 "$work/many.jsonl" -o "$work/d.idx"
# (the tool's files hold its ids as keys and its bytes; their 8 MiB of line
# statistics are left out below, so that the seeds stay small)
# An index with names and line statistics (dedup_index_add_text), made
# with the library of the same build.
cat > "$work/named.c" <<'C'
#include <stdio.h>
#include <string.h>
#define DEDUP_EXPERIMENTAL
#include "dedup.h"
int main(int argc, char **argv)
{
    dedup_index *idx;
    dedup_linestats *ls;
    if (argc == 3) { /* strip IN OUT: the same index without its line statistics */
        if (dedup_index_load(&idx, argv[1]) || dedup_index_set_boilerplate(idx, 0))
            return 1;
        return dedup_index_save(idx, argv[2]) != DEDUP_OK;
    }
    /* a small sketch (the default is 8 MiB), so that the seed stays small */
    if (argc < 2 || dedup_index_create(&idx, NULL) || dedup_linestats_create(&ls, 1 << 10) ||
        dedup_index_adopt_linestats(idx, ls) || dedup_index_set_boilerplate(idx, 3))
        return 1;
    const char *pages[] = {"Menu | News\nharbour council budget vote delayed again",
                           "Menu | News\nstorm closes rail line to the coast",
                           "Menu | News\nharbour council budget vote delayed again today",
                           "Menu | News\nmuseum opens a new wing for modern art"};
    for (int i = 0; i < 4; i++) {
        char key[32];
        snprintf(key, sizeof key, "https://example.org/%d", i);
        dedup_field f = {pages[i], strlen(pages[i])};
        int dup;
        if (dedup_index_add_text(idx, key, strlen(key), i, &f, 1, &dup, NULL, NULL))
            return 1;
    }
    /* an application's bytes, and the next id of named documents */
    if (dedup_index_set_appdata(idx, "app\0data", 8) || dedup_index_set_next_named(idx, 9))
        return 1;
    return dedup_index_save(idx, argv[1]) != DEDUP_OK;
}
C
root=$here/../..
cc -I "$root/include" -I "$build/include" "$work/named.c" -o "$work/named" \
    -L "$build/libdedup" -ldedup -Wl,-rpath,"$(cd "$build/libdedup" && pwd)"
"$work/named" "$work/e.idx"
for f in a b c d; do
    "$work/named" "$work/$f.idx" "$work/$f.small.idx"
    mv "$work/$f.small.idx" "$work/$f.idx"
done

i=0
for f in a b c d e; do
    for mode in 0 1; do
        { printf "\\x0$mode"; cat "$work/$f.idx"; } > "$out/seed-$f-$mode"
        i=$((i + 1))
    done
done
# Two regression inputs in the present format, made from seed a with
# checksums left to the fuzz target (mode 1): a chain head naming a free
# slot (loading must refuse it: the next document stored there would link
# to itself), and the last document stamped INT64_MAX (expiring before
# INT64_MAX must keep it).
python3 - "$work/a.idx" "$out" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
h = struct.unpack_from("<I", d, 12)[0]
k, bands, rows, bits, live, dead, nfree, first, last, free_head = struct.unpack_from("<10I", d, 20)
c = 1 << bits
stride = (k + 1) // 2
stamps = h + 8 * c
heads = h + c * (8 + 8 + 4 + 8 + 4 * bands) + c * stride
a = bytearray(d)
struct.pack_into("<I", a, heads, free_head)
open(sys.argv[2] + "/regress-head-on-free-slot", "wb").write(b"\x01" + a)
b = bytearray(d)
struct.pack_into("<q", b, stamps + 8 * last, 2**63 - 1)
open(sys.argv[2] + "/regress-stamp-int64-max", "wb").write(b"\x01" + b)
PY
echo "wrote $i seeds and 2 regression inputs to $out"

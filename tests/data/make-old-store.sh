#!/bin/bash
# make-old-store.sh DEDUP OUT.tar.gz - make the fixture old-store.tar.gz of
# tests/cli/legacy.sh: indexes saved by a dedup that kept side files
# (FILE.ids, FILE.lines; the tool as of commit 0a1ffb8), a journal left by
# a killed run, and what that dedup answered on them, for the test to
# compare with. DEDUP must be such a build.
set -eu
D=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
OUT=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
mkdir old-store
cd old-store
python3 - <<'PY'
import json, random
rnd = random.Random(41)
vocab = ["w%03d" % i for i in range(2000)]
furniture = "\n".join("Menu %d | Weather | Markets" % i for i in range(4))
def story():
    return " ".join(rnd.choice(vocab) for _ in range(150))
stories = [story() for _ in range(12)]
ids = ["https://example.com/news/%d?src=rss" % i for i in range(6)] + [42, 7, 1.5, "42", "plain", 0]
def rec(i, text):
    return '{"id": %s, "text": %s}\n' % (repr(i) if isinstance(i, float) else json.dumps(i), json.dumps(text))
with open("corpus.jsonl", "w") as f:
    for i, s in zip(ids, stories):
        f.write(rec(i, furniture + "\n" + s))
words = lambda s: s.split()
def edit(s):
    w = words(s)
    w[3] = "edited"
    return " ".join(w)
with open("queries.jsonl", "w") as f:
    for k, s in enumerate(stories):
        f.write(rec("q%d" % k, furniture + "\n" + edit(s)))
more = [story() for _ in range(4)]
with open("pending.jsonl", "w") as f:       # read by the killed run: in the journal
    for k, s in enumerate(more[:3]):
        f.write(rec("pending-%d" % k, furniture + "\n" + s))
    f.write(rec(99, furniture + "\n" + edit(stories[0])))
with open("later.jsonl", "w") as f:         # read after the migration
    f.write(rec("later-0", furniture + "\n" + edit(more[0])))
    f.write(rec("later-1", furniture + "\n" + more[3]))
    f.write(rec(42, furniture + "\n" + story()))
    f.write(rec("https://example.com/news/3?src=rss", furniture + "\n" + story()))
u = "the harbour council approved a new budget for the northern pier on monday"
v = "heavy rain closed the coastal road for a second day as engineers inspected"
with open("dated.jsonl", "w") as f:
    f.write(json.dumps({"id": "old", "date": "2024-05-01T00:00:00Z", "text": u}) + "\n")
    f.write(json.dumps({"id": 5, "date": "2024-05-02T00:00:00Z", "text": v}) + "\n")
with open("dated-later.jsonl", "w") as f:
    f.write(json.dumps({"id": "copy", "date": "2024-05-03T00:00:00Z", "text": u}) + "\n")
    f.write(json.dumps({"id": "far", "date": "2024-06-30T00:00:00Z", "text": v}) + "\n")
PY
mask() { grep -v -E '^(file size|memory) '; }
# news.idx: built, then added to (news-before.ids is the names file of the
# first save), then a filter with --sync every killed after its output:
# three documents and their line hashes are in the journal only.
"$D" index build -q corpus.jsonl -o news.idx
cp news.idx.ids news-before.ids
head -n 6 queries.jsonl | tail -n 1 > one.jsonl
"$D" index add -q news.idx one.jsonl
mkfifo feed
"$D" filter -q --index news.idx --sync every feed > killed-out.jsonl &
pid=$!
exec 3> feed
cat pending.jsonl >&3
for _ in $(seq 100); do [ "$(wc -l < killed-out.jsonl)" -ge 3 ] && break; sleep 0.1; done
sleep 0.5
kill -KILL $pid
wait $pid 2> /dev/null || true
exec 3>&-
rm -f feed news.idx.lock
# other.idx: another index, for side files that belong elsewhere.
"$D" index build -q queries.jsonl -o other.idx
# timed.idx: stamped with times.
"$D" index build -q --time-field date dated.jsonl -o timed.idx
rm -f ./*.lock
# What this dedup answers, on copies.
mkdir expected
cp -r . ../work
cd ../work
"$D" index query news.idx queries.jsonl later.jsonl > ../old-store/expected/query.tsv
"$D" index stats news.idx | mask > ../old-store/expected/stats.txt
"$D" filter -q --index news.idx --dups ../old-store/expected/later-dups.jsonl later.jsonl \
    > ../old-store/expected/later.jsonl 2> ../old-store/expected/later.err
"$D" index query news.idx queries.jsonl later.jsonl > ../old-store/expected/query-after.tsv
"$D" index stats news.idx | mask > ../old-store/expected/stats-after.txt
"$D" filter -q --window-time 7d --index timed.idx dated-later.jsonl \
    > ../old-store/expected/timed.jsonl
"$D" index stats timed.idx | mask > ../old-store/expected/timed-stats.txt
cd ..
rm -rf work
tar -czf "$OUT" --owner=0 --group=0 --sort=name old-store

#!/bin/bash
# End-to-end tests of `dedup index` build, add, query and stats.
. "$(dirname "$0")/lib.sh"

"$DEDUP" index --help | grep -q "Usage: dedup index build"
ok $? "index --help"
make_corpus corpus.jsonl 4 2
grep -- '-c0"' corpus.jsonl > originals.jsonl
grep -- '-c2"' corpus.jsonl > queries.jsonl
grep -- '-c1"' corpus.jsonl > more.jsonl

"$DEDUP" index build -q originals.jsonl -o news.idx
ok $? "index build exits 0"
"$DEDUP" index stats news.idx > stats.txt
ok $? "index stats exits 0"
contains stats.txt "documents        4" "stats: document count"
contains stats.txt "num_hashes" "stats: parameters"
contains stats.txt "memory" "stats: memory"
contains stats.txt "value bits       8" "stats: 8 bits of each value"

"$DEDUP" index query news.idx queries.jsonl > q.tsv
ok $? "index query exits 0"
is "$(cut -f1,2 q.tsv | tr '\t\n' ' ;')" "s0-c2 s0-c0;s1-c2 s1-c0;s2-c2 s2-c0;s3-c2 s3-c0;" \
    "each query matches its original"
awk -F'\t' '$3 < 0.5 || $3 > 1 { exit 1 }' q.tsv
ok $? "similarities are within [threshold, 1]"

"$DEDUP" index add -q news.idx more.jsonl
ok $? "index add exits 0"
"$DEDUP" index stats news.idx | grep -q "documents        8"
ok $? "add: eight documents"
"$DEDUP" index query news.idx queries.jsonl > q2.tsv
is "$(grep -c . q2.tsv)" 8 "queries now match the original and the added copy"

# A different threshold at build time is kept in the index.
"$DEDUP" index build -q --threshold 0.95 --measure jaccard originals.jsonl -o strict.idx
"$DEDUP" index query strict.idx queries.jsonl > q3.tsv
is "$(grep -c . q3.tsv)" 0 "threshold 0.95 (Jaccard): the edited copies no longer match"

# Errors.
"$DEDUP" index build originals.jsonl > /dev/null 2>&1
is $? 2 "build without -o: exit 2"
"$DEDUP" index query missing.idx queries.jsonl > /dev/null 2> err.txt
is $? 3 "missing index: exit 3"
head -c 20 news.idx > cut.idx
"$DEDUP" index stats cut.idx > /dev/null 2>&1
is $? 1 "truncated index: exit 1"
"$DEDUP" index frob > /dev/null 2>&1
is $? 2 "unknown action: exit 2"

# Stamps do not mix: an index built with --time-field is stamped with times
# that dedup filter --window-time uses; one stamped in order of arrival is
# refused by --window-time instead of having every document expired.
python3 - <<'PY'
import json
text = "the harbour council approved a new budget for the northern pier on monday"
with open("dated.jsonl", "w") as f:
    f.write(json.dumps({"id": "old", "date": "2024-05-01T00:00:00Z", "text": text}) + "\n")
with open("later.jsonl", "w") as f:
    f.write(json.dumps({"id": "copy", "date": "2024-05-03T00:00:00Z", "text": text}) + "\n")
PY
"$DEDUP" index build -q --time-field date dated.jsonl -o timed.idx
ok $? "index build --time-field"
"$DEDUP" filter -q --window-time 7d --index timed.idx later.jsonl > later.out
ok $? "filter --window-time on an index stamped with times"
is "$(wc -l < later.out)" 0 "the copy two days later is found in a 7-day window"
"$DEDUP" index build -q dated.jsonl -o arrival.idx
"$DEDUP" filter -q --window-time 7d --index arrival.idx later.jsonl > /dev/null 2> err.txt
is $? 2 "--window-time on an index stamped in order of arrival: exit 2"
contains err.txt "arrival.idx stamps its documents in order of arrival" "the message says why"
"$DEDUP" index add -q --time-field date arrival.idx later.jsonl 2> err.txt
is $? 2 "index add --time-field to an index stamped in order of arrival: exit 2"
"$DEDUP" filter -q --window 5 --index timed.idx later.jsonl > /dev/null 2> err.txt
is $? 2 "--window on an index stamped with times: exit 2"
"$DEDUP" index add -q timed.idx later.jsonl
ok $? "index add to a timed index reads its date field"
# A bogus date in a built index is reported and stamped with the latest
# real time, so that a filter on the index keeps finding copies.
python3 - <<'PY'
import json
a = "the harbour council approved a new budget for the northern pier on monday"
b = "heavy rain closed the coastal road for a second day as engineers inspected"
with open("bogus-build.jsonl", "w") as f:
    f.write(json.dumps({"id": "a", "date": "2024-05-01T00:00:00Z", "text": a}) + "\n")
    f.write(json.dumps({"id": "typo", "date": "9999-05-01T00:00:00Z", "text": b}) + "\n")
with open("bogus-feed.jsonl", "w") as f:
    f.write(json.dumps({"id": "a2", "date": "2024-05-02T00:00:00Z", "text": a}) + "\n")
    f.write(json.dumps({"id": "b2", "date": "2024-05-02T01:00:00Z", "text": b}) + "\n")
PY
"$DEDUP" index build -q --time-field date bogus-build.jsonl -o bogus.idx 2> err.txt
contains err.txt "bogus-build.jsonl:2: warning: time 253381132800 lies in the future" \
    "index build reports a date in the future"
"$DEDUP" filter -q --window-time 48h --index bogus.idx bogus-feed.jsonl > bogus.out
is "$(wc -l < bogus.out)" 0 "the filter on that index still finds both copies"

# build, add and query count and use line statistics as dedup filter does:
# furniture on every page stops making different stories alike.
python3 - <<'PY'
import json, random
rnd = random.Random(5)
vocab = ["w%03d" % i for i in range(3000)]
nav = " ".join("section%d" % i for i in range(30))  # longer than the stories
with open("furn.jsonl", "w") as f:
    for i in range(41):
        story = " ".join(rnd.choice(vocab) for _ in range(12))
        f.write(json.dumps({"id": "p%d" % i, "text": nav + "\n" + story + "\n" + nav}) + "\n")
PY
head -n 15 furn.jsonl > furn-a.jsonl
head -n 25 furn.jsonl | tail -n 10 > furn-b.jsonl
tail -n 1 furn.jsonl > furn-new.jsonl
"$DEDUP" index build -q furn-a.jsonl -o furn.idx
ok "$([ -s furn.idx ] && [ ! -e furn.idx.ids ] && [ ! -e furn.idx.lines ] && echo 0 || echo 1)" \
    "index build writes one file, with the ids and the line statistics"
"$DEDUP" index query furn.idx furn-new.jsonl > furn.tsv
ok "$([ "$(wc -l < furn.tsv)" -ge 10 ] && echo 0 || echo 1)" \
    "15 pages: the menu is not boilerplate yet and makes a new page match them"
"$DEDUP" index add -q furn.idx furn-b.jsonl
"$DEDUP" index query furn.idx furn-new.jsonl > furn.tsv
is "$(wc -l < furn.tsv)" 0 \
    "index add counts the new pages' lines and saves them: at 25 the menu is left out"
"$DEDUP" index query furn.idx furn-b.jsonl > furn.tsv
is "$(awk -F'\t' '$1 != $2' furn.tsv | wc -l)" 0 "index query: each story finds only itself"

# Errors say their cause; saved files keep their permissions and links.
"$DEDUP" index query no-such.idx queries.jsonl > /dev/null 2> err.txt
is $? 3 "a missing index: exit 3"
contains err.txt "no-such.idx: No such file or directory" "the message gives the cause"
"$DEDUP" index build -q --param bands=1024 originals.jsonl -o wide.idx 2> err.txt
is $? 2 "bands x rows over num_hashes: a usage error (exit 2)"
contains err.txt "bands x rows (1024 x 1) take more values than num_hashes (128)" \
    "the message says what does not fit"
"$DEDUP" index build -q originals.jsonl -o mode.idx
chmod 640 mode.idx
"$DEDUP" index add -q mode.idx more.jsonl
is "$(stat -c %a mode.idx)" "640" "a save keeps the file's permissions"
(umask 022 && "$DEDUP" index build -q originals.jsonl -o fresh.idx)
is "$(stat -c %a fresh.idx)" "644" "a new file gets 0666 less the umask"
mkdir -p store
"$DEDUP" index build -q originals.jsonl -o store/real.idx
ln -s store/real.idx linked.idx
"$DEDUP" index add -q linked.idx more.jsonl
test -L linked.idx
ok $? "saving through a symbolic link keeps the link"
"$DEDUP" index stats store/real.idx | grep -q "documents        8"
ok $? "and writes their targets"
ln -s store/real.idx only-link.idx
"$DEDUP" index add -q only-link.idx queries.jsonl
ok $? "an index reached through a link adds to the target"
mkfifo hold
exec 9<> hold
"$DEDUP" filter -q --index linked.idx < hold > /dev/null 2>&1 9>&- &
holder=$!
for _ in $(seq 100); do [ "$(cat store/real.idx.lock 2> /dev/null)" = "$holder" ] && break; sleep 0.1; done
"$DEDUP" index add -q store/real.idx queries.jsonl 2> err.txt 9>&-
is $? 3 "a writer through the link and one through the target share one lock"
exec 9>&-
wait "$holder"

# A target that cannot be written is found before any input is read
# (standard input here never ends).
mkfifo never
exec 8<> never
timeout 10 "$DEDUP" index build -q -o no/such/dir/x.idx - < never 2> err.txt
is $? 3 "an index in a missing folder: exit 3 at once"
contains err.txt "cannot write next to no/such/dir/x.idx" "the message names the target"
exec 8>&-

# The index is one file: its documents' ids are in it, so no other file
# can go missing or belong to another index. A journal left beside it
# still binds to its save.
"$DEDUP" index build -q originals.jsonl -o tied.idx
is "$(ls tied.idx* | grep -v -c -E '^tied.idx(.lock)?$')" 0 "no file beside the index but its lock"
cp tied.idx tied-copy.idx
"$DEDUP" index query tied-copy.idx queries.jsonl > tq.tsv
"$DEDUP" index query tied.idx queries.jsonl > tq2.tsv
ok "$([ -s tq.tsv ] && cmp -s tq.tsv tq2.tsv && echo 0 || echo 1)" \
    "a copy of the file alone answers with the documents' ids"

# An index refuses a second document with an id it holds.
printf '%s\n' '{"id":"x","text":"one two three four five six seven"}' \
    '{"id":"x","text":"alpha beta gamma delta epsilon zeta eta"}' > same-id.jsonl
"$DEDUP" index build -q same-id.jsonl -o same.idx 2> err.txt
is $? 1 "index build of a corpus that repeats an id: exit 1"
contains err.txt "same-id.jsonl:2: id x is already in the index" "the message names the place"
"$DEDUP" index build -q --on-error skip same-id.jsonl -o same.idx 2> err.txt
ok $? "with --on-error skip it builds"
is "$("$DEDUP" index stats same.idx | awk '$1 == "documents" {print $2}')" 1 \
    "holding the first document of the id"
"$DEDUP" index add -q same.idx same-id.jsonl 2> err.txt
is $? 1 "index add of an id the index holds: exit 1"

done_testing

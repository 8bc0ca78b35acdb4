#!/bin/bash
# The journal of `dedup filter --index`: changes since the last save are
# replayed at the next start; a journal cut short by a crash loses only its
# unfinished record; a damaged or foreign one is refused; a stale one
# (already saved into the index) is ignored; `index add` folds it in.
. "$(dirname "$0")/lib.sh"

python3 - <<'PY'
import json, random
rnd = random.Random(5)
vocab = ["w%03d" % i for i in range(3000)]
def story(n):
    return " ".join(rnd.choice(vocab) for _ in range(n))
stories = [story(80) for _ in range(60)]
with open("a.jsonl", "w") as f:
    for i in range(30):
        f.write(json.dumps({"id": "a%d" % i, "text": stories[i]}) + "\n")
with open("b.jsonl", "w") as f:
    for i in range(30, 60):
        f.write(json.dumps({"id": "b%d" % i, "text": stories[i]}) + "\n")
with open("b-copies.jsonl", "w") as f:
    for i in range(30, 60):
        f.write(json.dumps({"id": "copy%d" % i, "text": stories[i]}) + "\n")
PY

# usage
"$DEDUP" filter -q --sync every a.jsonl > /dev/null 2> err.txt
is $? 2 "--sync without --index: exit 2"
"$DEDUP" filter -q --index x.idx --sync sometimes a.jsonl > /dev/null 2> err.txt
is $? 2 "--sync with a bad value: exit 2"
contains err.txt "invalid --sync 'sometimes'" "the message names the value"

# A run writes the index and an empty journal; documents kept later go to
# the journal first.
"$DEDUP" filter -q --index j.idx --sync every a.jsonl > out-a.jsonl
ok $? "a first run with --sync every"
is "$(wc -l < out-a.jsonl)" 30 "it keeps its 30 stories"
is "$(stat -c %s j.idx.journal)" 32 "after its final save the journal is empty (a header)"

# A run killed before its final save: what it wrote is in the journal.
# (SIGKILL at a chosen moment: the run waits for more input on a FIFO.)
mkfifo feed
"$DEDUP" filter -q --index j.idx --sync every feed > out-b.jsonl 2> err.txt &
pid=$!
exec 3> feed
cat b.jsonl >&3
for _ in $(seq 100); do [ "$(wc -l < out-b.jsonl)" -ge 30 ] && break; sleep 0.1; done
kill -KILL $pid
wait $pid 2> /dev/null
exec 3>&-
is "$(wc -l < out-b.jsonl)" 30 "the killed run had written its 30 new stories"
ok "$([ "$(stat -c %s j.idx.journal)" -gt 32 ] && echo 0 || echo 1)" \
    "they are in the journal"
"$DEDUP" index query j.idx b.jsonl > q.tsv
ok $? "the index loads with its journal"
is "$(awk -F'\t' '$1 == $2' q.tsv | cut -f1 | sort -u | wc -l)" 30 \
    "each written story is found in it under its own name"
# The state as the kill left it, to start each case below from.
cp j.idx.journal whole.journal
cp j.idx killed.idx
restore() { cp killed.idx j.idx; cp whole.journal j.idx.journal; }

# A journal cut short in its last record: that record is lost, the rest
# replayed, and the next writer appends after the cut.
size=$(stat -c %s whole.journal)
head -c $((size - 7)) whole.journal > j.idx.journal
"$DEDUP" index query j.idx b.jsonl > q.tsv
ok $? "a journal cut short in its last record loads"
is "$(awk -F'\t' '$1 == $2' q.tsv | cut -f1 | sort -u | wc -l)" 29 \
    "all but the story of the unfinished record are there"
"$DEDUP" filter -q --index j.idx b.jsonl > again.jsonl
is "$(wc -l < again.jsonl)" 1 "a writer keeps that one story again, and only it"

# A record damaged in the middle: acknowledged records follow it, so the
# journal is refused rather than cut there.
restore
printf "\377" | dd of=j.idx.journal bs=1 seek=42 conv=notrunc 2> /dev/null
"$DEDUP" index query j.idx b.jsonl > /dev/null 2> err.txt
is $? 1 "a journal damaged in the middle: exit 1"
contains err.txt "j.idx.journal: damaged at byte 32, with records after it" \
    "the message gives the place"

# Another index's journal is refused.
"$DEDUP" filter -q --index other.idx a.jsonl > /dev/null
cp whole.journal other.idx.journal
"$DEDUP" index query other.idx b.jsonl > /dev/null 2> err.txt
is $? 1 "another index's journal: exit 1"
contains err.txt "other.idx.journal does not belong to other.idx" "the message says so"

# A journal already saved into the index (a writer killed between its save
# and the new journal) is ignored: nothing is applied twice.
restore
"$DEDUP" index add -q j.idx b-copies.jsonl
ok $? "index add replays the journal and saves"
ok "$([ ! -e j.idx.journal ] && echo 0 || echo 1)" "and removes the journal it folded in"
cp whole.journal j.idx.journal
"$DEDUP" index stats j.idx > stats.txt 2> err.txt
ok $? "a journal the index already holds is ignored"
is "$(awk '$1 == "documents" {print $2}' stats.txt)" 90 "nothing was applied twice (90 documents)"

# Kept means delivered: when the output fails, the documents that did not
# reach it leave the index again, through the journal too.
rm -f d.idx*
"$DEDUP" filter -q --index d.idx --sync every a.jsonl > /dev/full 2> err.txt
is $? 3 "an output that fails (a full disk): exit 3"
"$DEDUP" filter -q --index d.idx a.jsonl > rest.jsonl
ok $? "a run after it"
is "$(wc -l < rest.jsonl)" 30 "keeps every story: none was delivered before"

# Line statistics come back with the journal: the documents a killed run
# read still count, so their site furniture stays out of the comparison.
python3 - <<'PY'
import json, random
rnd = random.Random(9)
vocab = ["v%03d" % i for i in range(3000)]
furniture = "\n".join("Site menu item %d | Weather | Markets | Opinion" % i for i in range(40))
def page(i):
    story = " ".join(rnd.choice(vocab) for _ in range(40))
    return json.dumps({"id": "p%d" % i, "text": furniture + "\n" + story}) + "\n"
with open("site.jsonl", "w") as f:
    for i in range(30):
        f.write(page(i))
with open("site-new.jsonl", "w") as f:
    f.write(page(100))
PY
rm -f s.idx*
"$DEDUP" filter -q --index s.idx feed > out-s.jsonl 2> err.txt &
pid=$!
exec 3> feed
cat site.jsonl >&3
for _ in $(seq 100); do [ "$(wc -l < out-s.jsonl)" -ge 10 ] && break; sleep 0.1; done
sleep 0.3
kill -KILL $pid
wait $pid 2> /dev/null
exec 3>&-
ok "$([ "$(wc -l < out-s.jsonl)" -ge 10 ] && echo 0 || echo 1)" \
    "30 pages of one site read, the stories kept, before the kill"
"$DEDUP" index query s.idx site-new.jsonl > q.tsv
ok $? "the index loads"
# (Without the counts of the journal, the query would sign the furniture
# too and match the first pages, stored before it was known as such.)
is "$(wc -l < q.tsv)" 0 "a new page of the site matches none: its furniture is known as such"

# The boilerplate threshold goes with the counts: a filter run with
# --boilerplate 3 saves it, and later queries and runs use it.
python3 - <<'PY'
import json
furniture = "\n".join("Menu line %d | Weather | Markets" % i for i in range(20))
words = ["w%03d" % i for i in range(400)]
with open("few.jsonl", "w") as f:
    for i in range(8):
        story = " ".join(words[(i * 37 + j) % 400] for j in range(30))
        f.write(json.dumps({"id": "f%d" % i, "text": furniture + "\n" + story}) + "\n")
with open("few-new.jsonl", "w") as f:
    story = " ".join(words[(1000 + j * 7) % 400] for j in range(30))
    f.write(json.dumps({"id": "fnew", "text": furniture + "\n" + story}) + "\n")
PY
rm -f few.idx*
"$DEDUP" filter -q --index few.idx --boilerplate 3 few.jsonl > few-kept.jsonl
"$DEDUP" index query few.idx few-new.jsonl > few-q.tsv
ok $? "an index filtered with --boilerplate 3 is queried"
is "$(wc -l < few-q.tsv)" 0 \
    "with its threshold the furniture is left out of the query: it matches no page"
"$DEDUP" filter -q --index few.idx few-new.jsonl > few-again.jsonl
is "$(wc -l < few-again.jsonl)" 1 "a later run without --boilerplate keeps the new page too"

done_testing

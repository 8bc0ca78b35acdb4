#!/bin/bash
# End-to-end tests of `dedup filter`: streaming output, --dups, windows,
# and a restart from a saved index matching one uninterrupted run.
. "$(dirname "$0")/lib.sh"

"$DEDUP" filter --help | grep -q "Usage: dedup filter"
ok $? "filter --help"
make_corpus corpus.jsonl 5 3
"$DEDUP" filter -q --dups dups.jsonl corpus.jsonl > kept.jsonl
ok $? "filter exits 0"
cmp -s kept.jsonl <(head -n 5 corpus.jsonl)
ok $? "the originals are kept, byte for byte"
is "$(wc -l < dups.jsonl)" 15 "the copies go to --dups"
python3 - dups.jsonl <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    assert r["duplicate_of"] == r["id"].split("-")[0] + "-c0", r["id"]
    assert 0.5 <= r["similarity"] <= 1
PY
ok $? "--dups records name the kept document and the similarity"

# One thread or two: the same output, the same drops.
make_corpus big.jsonl 400 4
"$DEDUP" filter -q -j 1 --dups bd1.jsonl big.jsonl > b1.jsonl
"$DEDUP" filter -q -j 2 --dups bd2.jsonl big.jsonl > b2.jsonl
cmp -s b1.jsonl b2.jsonl && cmp -s bd1.jsonl bd2.jsonl
ok $? "-j 1 and -j 2 give identical output and --dups"
is "$(wc -l < b2.jsonl)" 400 "-j 2 keeps one document per story"
"$DEDUP" filter -j 0 corpus.jsonl > /dev/null 2>&1
is $? 2 "bad -j: exit 2"

# Works in a pipe: output appears before the input ends.
coproc F { "$DEDUP" filter -q; }
fpid=$F_PID # bash unsets F_PID once the coprocess has exited
sed -n 1p corpus.jsonl >&"${F[1]}"
IFS= read -r -t 10 first <&"${F[0]}"
is "$first" "$(sed -n 1p corpus.jsonl)" "a kept line is flushed at once"
exec {F[1]}>&-
wait "$fpid" 2>/dev/null

# And every later one, each before the next line is written: documents
# signed ahead are handed on in batches, but never held for input.
coproc F { "$DEDUP" filter -q -j 2; }
fpid=$F_PID
got=0
for n in 1 2 3 4 5; do
    sed -n "${n}p" corpus.jsonl >&"${F[1]}"
    IFS= read -r -t 10 line <&"${F[0]}" && [ "$line" = "$(sed -n "${n}p" corpus.jsonl)" ] &&
        got=$((got + 1))
done
is "$got" 5 "-j 2 in a pipe: each kept line goes out before the next comes in"
exec {F[1]}>&-
wait "$fpid" 2>/dev/null

# --window: with a window of 1, copies of an older story are new again.
"$DEDUP" filter -q --window 1 corpus.jsonl > w1.jsonl
is "$(wc -l < w1.jsonl)" 20 "--window 1: with five stories interleaved, nothing repeats in the window"
"$DEDUP" filter -q --window 5 corpus.jsonl > w5.jsonl
is "$(wc -l < w5.jsonl)" 5 "--window 5 covers the five stories"

# --window-time with ISO 8601 and Unix times.
t='the quick brown fox jumps over the lazy dog near the river bank today'
cat > times.jsonl <<JSON
{"id":"a","date":"2024-05-01T00:00:00Z","text":"$t"}
{"id":"b","date":"2024-05-01T10:00:00+09:00","text":"$t"}
{"id":"c","date":"2024-05-03T00:00:00Z","text":"$t"}
{"id":"d","date":1714700000,"text":"$t"}
JSON
"$DEDUP" filter -q --window-time 24h times.jsonl | cut -c1-10 > wt.txt
is "$(tr '\n' ' ' < wt.txt)" '{"id":"a", {"id":"c", ' "--window-time 24h keeps a and c"
"$DEDUP" filter -q --window-time 24h --time-field when times.jsonl > /dev/null 2> err.txt
is $? 1 "missing time field: exit 1"
contains err.txt "times.jsonl:1:" "message names file:line"
"$DEDUP" filter --window-time 2x times.jsonl > /dev/null 2>&1
is $? 2 "bad duration: exit 2"
contains err.txt 'no time field "when"' "a missing time field has its own message"

# The times real feeds give: RSS (RFC 2822), wire archives, Unix seconds as
# a string; each record a day after the previous one, so a 36h window
# keeps the story once every other day.
cat > feed.jsonl <<JSON
{"id":"r1","date":"Wed, 01 May 2024 00:00:00 GMT","text":"$t"}
{"id":"r2","date":"Thu, 2 May 2024 03:00:00 +0300","text":"$t"}
{"id":"r3","date":"03-MAY-2024 00:00:00.79","text":"$t"}
{"id":"r4","date":"1714780800","text":"$t"}
{"id":"r5","date":"05 May 24 00:00 UT","text":"$t"}
JSON
"$DEDUP" filter -q --window-time 36h feed.jsonl | cut -c1-11 > feed.txt
ok $? "RFC 2822, DD-MON-YYYY and Unix strings are read"
is "$(tr '\n' ' ' < feed.txt)" '{"id":"r1", {"id":"r3", {"id":"r5", ' \
    "the feed's times are read as the days they name"
for bad in 2024-02-30 2023-02-29T00:00:00Z 2024-05-01T00:00:00+99:99 "32 Jan 2024 00:00 GMT" \
           "01 Foo 2024 00:00 GMT" "01 Jan 2024 24:00 GMT" yesterday; do
    printf '{"id":"x","date":"%s","text":"%s"}\n' "$bad" "$t" > bad.jsonl
    "$DEDUP" filter -q --window-time 1d bad.jsonl > /dev/null 2> err.txt
    is $? 1 "'$bad' is refused"
done
contains err.txt 'bad.jsonl:1: field "date" is not a time' "the message says what a time may be"
printf '{"id":"x","date":"2024-02-29","text":"%s"}\n' "$t" > leap.jsonl
"$DEDUP" filter -q --window-time 1d leap.jsonl > /dev/null
ok $? "a leap day is a date"
cat > fmt.jsonl <<JSON
{"id":"f1","date":"01/05/2024 08:00","text":"$t"}
{"id":"f2","date":"01/05/2024 20:00","text":"$t"}
{"id":"f3","date":"03/05/2024 08:00","text":"$t"}
JSON
"$DEDUP" filter -q --window-time 1d --time-format '%d/%m/%Y %H:%M' fmt.jsonl | cut -c1-11 > fmt.txt
is "$(tr '\n' ' ' < fmt.txt)" '{"id":"f1", {"id":"f3", ' "--time-format reads day/month/year"
cat > zone.jsonl <<JSON
{"id":"z1","date":"2024-05-01 12:00 +0900","text":"$t"}
{"id":"z2","date":"2024-05-01 12:00 -0900","text":"$t"}
JSON
"$DEDUP" filter -q --window-time 1h --time-format '%Y-%m-%d %H:%M %z' zone.jsonl | cut -c1-11 > zone.txt
is "$(tr '\n' ' ' < zone.txt)" '{"id":"z1", {"id":"z2", ' "--time-format: a %z offset counts (18 hours apart)"
"$DEDUP" filter -q --window-time 1d --time-format '%Y-%m-%d' fmt.jsonl > /dev/null 2> err.txt
is $? 1 "a time that does not match --time-format: exit 1"
contains err.txt "does not match --time-format" "the message names the format"
"$DEDUP" filter -q --time-format '%Y' fmt.jsonl > /dev/null 2> err.txt
is $? 2 "--time-format without --window-time: usage error"

# One bogus date does not wipe the index: a record dated 9999 is reported
# and kept, and the copy that follows it is still found.
u='the harbour council approved a new budget for the northern pier on monday'
cat > bogus.jsonl <<JSON
{"id":"a","date":"2024-05-01T00:00:00Z","text":"$t"}
{"id":"x","date":"9999-05-01T00:00:00Z","text":"$u"}
{"id":"b","date":"2024-05-01T02:00:00Z","text":"$t"}
JSON
"$DEDUP" filter -q --window-time 7d bogus.jsonl 2> err.txt | cut -c1-10 > bogus.txt
is "$(tr '\n' ' ' < bogus.txt)" '{"id":"a", {"id":"x", ' "a date in 9999 leaves the window alone"
contains err.txt "bogus.jsonl:2: warning: time 253381132800 lies in the future" \
    "the bogus date is reported with file and line"
# A record late in the feed is a duplicate only of documents within the
# window of its own time.
v='heavy rain closed the coastal road for a second day as engineers inspected'
cat > late.jsonl <<JSON
{"id":"A","date":"2024-05-09T06:00:00Z","text":"$u"}
{"id":"B","date":"2024-05-10T00:00:00Z","text":"$v"}
{"id":"C","date":"2024-05-08T12:00:00Z","text":"$u"}
{"id":"E","date":"2024-05-08T12:00:00Z","text":"$v"}
JSON
"$DEDUP" filter -q --window-time 24h late.jsonl | cut -c1-10 > late.txt
is "$(tr '\n' ' ' < late.txt)" '{"id":"A", {"id":"B", {"id":"E", ' \
    "a late copy is dropped only for a stored document within its window"

# Restart: two runs sharing an index give the output of one run.
"$DEDUP" filter -q corpus.jsonl > once.jsonl
head -n 7 corpus.jsonl > half1.jsonl
tail -n +8 corpus.jsonl > half2.jsonl
"$DEDUP" filter -q --index state.idx half1.jsonl > run1.jsonl
ok $? "first half with --index"
test -s state.idx && test ! -e state.idx.ids && test ! -e state.idx.lines
ok $? "the index is saved, one file with its ids"
"$DEDUP" filter -q --index state.idx --dups d2.jsonl half2.jsonl > run2.jsonl
cat run1.jsonl run2.jsonl | cmp -s - once.jsonl
ok $? "restart from the saved index gives the uninterrupted output"
grep -q '"id": "s2-c1".*"duplicate_of":"s2-c0"' d2.jsonl
ok $? "a duplicate of a document of the first run is named by its id"

# Parameters given again with a saved index are the index's: a warning,
# also for those set with --param.
cp state.idx pstate.idx
"$DEDUP" filter -q --index pstate.idx --param link_lists=0 half2.jsonl > /dev/null 2> warn.txt
grep -q "using the parameters saved in the index" warn.txt
ok $? "--param with a saved index: warned that the index's parameters apply"

# SIGTERM: the state is saved from the main loop.
rm -f sig.idx*
mkfifo feed
"$DEDUP" filter -q --index sig.idx < feed > sig.jsonl &
pid=$!
exec 7> feed
head -n 5 corpus.jsonl >&7
for _ in $(seq 50); do [ "$(wc -l < sig.jsonl)" -ge 5 ] && break; sleep 0.1; done
kill -TERM $pid
wait $pid
is $? 143 "SIGTERM: the state saved, exit 128 + 15"
exec 7>&-
test -s sig.idx
ok $? "SIGTERM: the index is saved"
"$DEDUP" filter -q --index sig.idx half2.jsonl > after.jsonl
is "$(wc -l < after.jsonl)" 0 "the saved state knows the five stories"

# Boilerplate: one site's pages, each a different short story inside the
# same 25 lines of furniture. Once the furniture has been seen in 20
# pages it is left out, and the stories no longer look alike.
python3 - <<'PY'
import json, random
rnd = random.Random(5)
vocab = ["v%03d" % i for i in range(3000)]
furniture = ["Home | World | Politics | Sport %d" % i for i in range(25)]
with open("site.jsonl", "w") as f:
    for s in range(80):
        story = [" ".join(rnd.choice(vocab) for _ in range(12)) for _ in range(3)]
        text = "\n".join(furniture[:12] + story + furniture[12:])
        f.write(json.dumps({"id": "p%d" % s, "text": text}) + "\n")
PY
"$DEDUP" filter -q --boilerplate off site.jsonl > bp-off.jsonl
"$DEDUP" filter -q site.jsonl > bp-on.jsonl
ok "$([ "$(wc -l < bp-off.jsonl)" -lt 20 ] && echo 0 || echo 1)" \
    "--boilerplate off: the furniture makes the pages duplicates ($(wc -l < bp-off.jsonl) kept)"
is "$(tail -n 60 site.jsonl | grep -c -F -f <(cut -c1-12 bp-on.jsonl))" 60 \
    "default: every page after the 20th is kept"
head -n 30 site.jsonl > site1.jsonl
tail -n +31 site.jsonl > site2.jsonl
rm -f bp.idx*
"$DEDUP" filter -q --index bp.idx site1.jsonl > bp1.jsonl
cp bp.idx bp-saved.idx
"$DEDUP" filter -q --index bp.idx site2.jsonl > bp2.jsonl
cat bp1.jsonl bp2.jsonl | cmp -s - bp-on.jsonl
ok $? "a restart goes on with the counts saved in the index: the uninterrupted output"
# A byte of the counts damaged (they sit before the tool's 48 bytes at the
# end of the file): the index's checksum catches it.
size=$(stat -c %s bp-saved.idx)
printf '\377' | dd of=bp-saved.idx bs=1 seek=$((size - 48 - 8 - 1000)) conv=notrunc 2> /dev/null
"$DEDUP" filter -q --index bp-saved.idx site2.jsonl > /dev/null 2> err.txt
is $? 1 "damaged line counts: exit 1"
contains err.txt "bp-saved.idx: checksum mismatch" "the message names the file"
"$DEDUP" filter --boilerplate 1 site.jsonl > /dev/null 2>&1
is $? 2 "bad --boilerplate: exit 2"

# A damaged index is refused, not overwritten.
printf 'garbage' > bad.idx
"$DEDUP" filter -q --index bad.idx corpus.jsonl > /dev/null 2> err.txt
is $? 1 "damaged index: exit 1"
is "$(cat bad.idx)" garbage "the damaged file is left alone"

# Kept means delivered: when the output is a pipe nobody reads, the lines
# are not written, so the documents are not recorded as kept; a later run
# delivers them.
python3 - "$DEDUP" corpus.jsonl <<'PY' > epipe.txt 2> epipe.err
import os, subprocess, sys
r, w = os.pipe()
os.close(r)  # nobody will read: every write fails with EPIPE
p = subprocess.run([sys.argv[1], "filter", "-q", "--index", "ep.idx", sys.argv[2]], stdout=w,
                   stderr=subprocess.PIPE)
os.close(w)
sys.stderr.write(p.stderr.decode())
print(p.returncode)
PY
is "$(cat epipe.txt)" 3 "a closed output: exit 3"
contains epipe.err "cannot write the output" "the message says the output failed"
"$DEDUP" filter -q --index ep.idx corpus.jsonl > again.jsonl
cmp -s again.jsonl once.jsonl
ok $? "the next run delivers every document the failed run could not"

# One writer at a time: a filter that holds lock.idx (its input a pipe that
# stays open) makes a second writer fail at once, naming the first.
mkfifo feed.fifo
"$DEDUP" filter -q --index lock.idx < feed.fifo > first.jsonl 2> first.err &
first=$!
exec 7> feed.fifo
head -n 3 corpus.jsonl >&7
for _ in $(seq 100); do [ "$(cat lock.idx.lock 2> /dev/null)" = "$first" ] && break; sleep 0.1; done
"$DEDUP" filter -q --index lock.idx corpus.jsonl > /dev/null 2> err.txt 7>&-
is $? 3 "a second writer of one index: exit 3"
contains err.txt "lock.idx is in use by process $first" "the message names the first writer"
"$DEDUP" index add lock.idx corpus.jsonl > /dev/null 2> err.txt 7>&-
is $? 3 "index add on an index in use: exit 3"
"$DEDUP" filter -q --wait --index lock.idx half2.jsonl > waited.jsonl 2> err.txt 7>&- &
waiter=$!
sleep 0.3
kill -0 "$waiter" 2> /dev/null
ok $? "--wait waits while the first writer runs"
exec 7>&-
wait "$first"
ok $? "the first writer ends normally"
wait "$waiter"
ok $? "then the waiting writer runs"
"$DEDUP" index stats lock.idx > stats.txt
contains stats.txt "documents" "both runs left a readable index"

# Temporary files of a writer killed while saving are removed at the next
# open; other files next to the index are not.
# The number of a process that has ended.
sleep 0 &
dead=$!
wait "$dead"
touch "lock.idx.$dead.7.tmp" lock.idx.ids.tmp.Ab3xYz lock.idx.lines.tmp.q1W2e3
touch lock.idx.notes lock.idx.ids.long123 lock.idx.ids.backup lock.idx.ids.sha256 \
    lock.idx.20240601.1.tmp "lock.idx.$$.1.tmp"
"$DEDUP" filter -q --index lock.idx half1.jsonl > /dev/null
ok $? "a run after a crash"
is "$(ls "lock.idx.$dead.7.tmp" lock.idx.ids.tmp.Ab3xYz lock.idx.lines.tmp.q1W2e3 2> /dev/null | wc -l)" 0 \
    "stale temporary files are removed"
is "$(ls lock.idx.notes lock.idx.ids.long123 lock.idx.ids.backup lock.idx.ids.sha256 \
    lock.idx.20240601.1.tmp "lock.idx.$$.1.tmp" 2> /dev/null | wc -l)" 6 \
    "other files, and a save of a running process, are left alone"

# A document sent again under the id of a kept one is that document: dropped,
# with a warning, whatever its text.
printf '%s\n' '{"id":"a","text":"one two three four five six seven"}' \
    '{"id":"a","text":"alpha beta gamma delta epsilon zeta eta"}' \
    '{"id":"b","text":"alpha beta gamma delta epsilon zeta eta"}' > same-id.jsonl
"$DEDUP" filter -q --stats --dups same-dups.jsonl same-id.jsonl > same-out.jsonl 2> err.txt
ok $? "a feed that repeats an id"
is "$(cut -c1-9 same-out.jsonl | tr '\n' ' ')" '{"id":"a" {"id":"b" ' \
    "the first document of the id is kept, the other text passes under its own id"
contains err.txt "same-id.jsonl:2: warning: id a was kept before" "the repeat is reported"
contains err.txt "same id          1" "and counted"
contains same-dups.jsonl '"duplicate_of":"a","same_id":true}' "--dups says why it was dropped"

done_testing

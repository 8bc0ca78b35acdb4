#!/bin/bash
# Indexes saved before the tool kept everything in the index file: FILE
# with the side files FILE.ids (the documents' ids) and FILE.lines (the
# line statistics), and a journal a killed run left. The fixture
# tests/data/old-store.tar.gz was made by that tool (make-old-store.sh),
# with what it answered on them: this one reads them, answers the same,
# refuses side files that are missing or belong elsewhere as that one did,
# and its next save moves everything into the index and removes them.
. "$(dirname "$0")/lib.sh"

fresh() { rm -rf old-store && tar -xzf "$DATA/old-store.tar.gz" && cd old-store; }
# The old tool printed neither hangul_shingle_size nor lead_bands: its files
# read them as the character shingle size and 0 (checked below).
mask() { grep -v -E '^(file size|value bits|memory|hangul_shingle_size|lead_bands) '; }

fresh
"$DEDUP" index query news.idx queries.jsonl later.jsonl > query.tsv
ok $? "an index with side files and a journal loads"
cmp -s query.tsv expected/query.tsv
ok $? "its queries answer as the tool that saved it did (ids of both kinds, journal replayed)"
"$DEDUP" index stats news.idx | mask > stats.txt
cmp -s stats.txt expected/stats.txt
ok $? "its stats too (documents, next number, parameters)"
"$DEDUP" index stats news.idx > all-stats.txt
is "$(awk '$1 == "lead_bands" {print $2}' all-stats.txt)" 0 "its lead bands: none"
contains all-stats.txt "value bits       4 (format version 7: build the index again for 8)" \
    "its values: 4 bits, as format version 7 keeps them"
is "$(awk '$1 == "hangul_shingle_size" {print $2}' all-stats.txt)" \
    "$(awk '$1 == "char_shingle_size" {print $2}' all-stats.txt)" \
    "its Hangul shingle size: the character size"
ok "$([ -e news.idx.ids ] && [ -e news.idx.lines ] && [ -e news.idx.journal ] && echo 0 || echo 1)" \
    "a reader leaves the files as they are"

"$DEDUP" filter -q --index news.idx --dups later-dups.jsonl later.jsonl > later.jsonl.out 2> later.err
ok $? "a writer goes on from it"
cmp -s later.jsonl.out expected/later.jsonl && cmp -s later-dups.jsonl expected/later-dups.jsonl &&
    cmp -s later.err expected/later.err
ok $? "keeping, dropping and warning as the old tool did (the journal's documents known)"
ok "$([ ! -e news.idx.ids ] && [ ! -e news.idx.lines ] && echo 0 || echo 1)" \
    "its save moves the side files into the index and removes them"
"$DEDUP" index query news.idx queries.jsonl later.jsonl > query-after.tsv
cmp -s query-after.tsv expected/query-after.tsv
ok $? "the index alone answers as the old one with its side files"
"$DEDUP" index stats news.idx | mask > stats-after.txt
cmp -s stats-after.txt expected/stats-after.txt
ok $? "and counts and numbers its documents alike"
# The journal of the old save is already in: a stale one left by a kill
# between the save and the new journal is ignored.
"$DEDUP" index add -q news.idx one.jsonl 2> err.txt
is $? 1 "the document the old index added is still there (its id refused)"

# The journal's documents are stored under their ids by the migrating save.
fresh
"$DEDUP" index add -q --on-error skip news.idx later.jsonl 2> /dev/null
ok "$([ ! -e news.idx.ids ] && echo 0 || echo 1)" "index add migrates the index too"
"$DEDUP" index query news.idx pending.jsonl | cut -f1,2 > pq.tsv
is "$(awk -F'\t' '$1 == $2 && $1 ~ /^pending-/' pq.tsv | wc -l)" 3 \
    "the documents of the journal are found under their ids"

# Stamps with times come along too.
fresh
"$DEDUP" filter -q --window-time 7d --index timed.idx dated-later.jsonl > timed.jsonl
cmp -s timed.jsonl expected/timed.jsonl
ok $? "an index stamped with times filters with --window-time as before"
"$DEDUP" index stats timed.idx | mask > t.txt
cmp -s t.txt expected/timed-stats.txt
ok $? "and ends in the same state"
"$DEDUP" filter -q --window 3 --index timed.idx dated-later.jsonl > /dev/null 2> err.txt
is $? 2 "after its migration it still refuses --window"
contains err.txt "timed.idx stamps its documents with times" "the message says why"

# Side files that are missing or belong elsewhere are refused, as before.
fresh
mv news.idx.ids away.ids
"$DEDUP" index query news.idx queries.jsonl > /dev/null 2> err.txt
is $? 1 "a missing names file: exit 1"
contains err.txt "news.idx.ids is missing: the names of the 13 documents of news.idx are lost" \
    "the message says what is lost"
cp other.idx.ids news.idx.ids
"$DEDUP" index query news.idx queries.jsonl > /dev/null 2> err.txt
is $? 1 "another index's names file: exit 1"
contains err.txt "news.idx.ids does not belong to news.idx: it was saved with another index" \
    "the message says so"
cp news-before.ids news.idx.ids
"$DEDUP" index query news.idx queries.jsonl > /dev/null 2> err.txt
is $? 1 "the names file of an earlier save: exit 1"
contains err.txt "news.idx.ids does not belong to news.idx" "the message says so"
printf 'garbage' > news.idx.ids
"$DEDUP" index query news.idx queries.jsonl > /dev/null 2> err.txt
is $? 1 "a damaged names file: exit 1"
contains err.txt "news.idx.ids: not a valid id file" "the message says so"
mv away.ids news.idx.ids
mv news.idx.lines away.lines
"$DEDUP" index query news.idx queries.jsonl > /dev/null 2> err.txt
is $? 1 "a missing line statistics file: exit 1"
contains err.txt "news.idx.lines is missing: the line statistics of news.idx are lost" \
    "the message says what is lost"
cp other.idx.lines news.idx.lines
"$DEDUP" filter -q --index news.idx later.jsonl > /dev/null 2> err.txt
is $? 1 "another index's line statistics: exit 1"
contains err.txt "news.idx.lines does not belong to news.idx" "the message says so"
printf 'DDLS garbage' > news.idx.lines
"$DEDUP" index add -q news.idx later.jsonl 2> err.txt
is $? 1 "damaged line statistics: exit 1"
contains err.txt "news.idx.lines: not a valid line statistics file" "the message names the file"
ok "$([ -e news.idx.ids ] && [ -e news.idx.journal ] && echo 0 || echo 1)" \
    "nothing was saved over them"
mv away.lines news.idx.lines
"$DEDUP" index query news.idx queries.jsonl later.jsonl > query.tsv
cmp -s query.tsv expected/query.tsv
ok $? "with its own files back the index loads as before"

# A save that a kill stopped before it removed the side files: the index
# holds everything, and files left beside it are not read again.
fresh
"$DEDUP" index add -q --on-error skip news.idx later.jsonl 2> /dev/null
(cd .. && tar -xzf "$DATA/old-store.tar.gz" old-store/news.idx.ids old-store/news.idx.lines)
printf 'garbage' > news.idx.lines
"$DEDUP" index query news.idx queries.jsonl > /dev/null 2> err.txt
ok $? "side files left beside a migrated index are ignored"
printf '%s\n' '{"id":"fresh","text":"a few words of a new page"}' > fresh.jsonl
"$DEDUP" index add -q news.idx fresh.jsonl
ok "$([ ! -e news.idx.ids ] && [ ! -e news.idx.lines ] && echo 0 || echo 1)" \
    "and removed at its next save"

done_testing

#!/bin/bash
# End-to-end tests of `dedup cluster`: output formats, input formats,
# compressed input, stdin, thread-count invariance, bad input.
. "$(dirname "$0")/lib.sh"

make_corpus corpus.jsonl 6 3
expected_clusters want.tsv 6 3

"$DEDUP" cluster -q corpus.jsonl > got.tsv
ok $? "cluster exits 0"
cmp -s got.tsv want.tsv
ok $? "TSV: every copy in its story's cluster, in input order"
"$DEDUP" cluster -q -j1 corpus.jsonl > j1.tsv
"$DEDUP" cluster -q -j2 corpus.jsonl > j2.tsv
cmp -s j1.tsv j2.tsv && cmp -s j1.tsv got.tsv
ok $? "-j1 and -j2 give identical output"
"$DEDUP" cluster -q --mode transitive --measure jaccard corpus.jsonl > tr.tsv
cmp -s tr.tsv want.tsv
ok $? "transitive mode, Jaccard: same clusters"

# The main job of the README: the shipped sample corpus (240 articles in
# four languages) against its ground truth, pairwise, at the targets of
# the generated corpora (precision 0.99, recall 0.98).
data=$(cd "$(dirname "$0")/../data" && pwd)
"$DEDUP" cluster -q "$data/sample.jsonl" > sample.tsv
python3 - "$data/sample-truth.tsv" sample.tsv > sample.score <<'PY'
import itertools, sys
story = dict(l.split("\t")[:2] for l in open(sys.argv[1]))
cl = dict(l.split() for l in open(sys.argv[2]))
tp = fp = fn = 0
for a, b in itertools.combinations(sorted(story), 2):
    same, together = story[a] == story[b], cl[a] == cl[b]
    tp += same and together
    fp += together and not same
    fn += same and not together
print(tp / max(1, tp + fp), tp / max(1, tp + fn), tp)
PY
read -r sp sr stp < sample.score
python3 -c "import sys; sys.exit(not (float('$sp') >= 0.99 and float('$sr') >= 0.98 and int('$stp') > 100))"
ok $? "sample corpus: precision $sp, recall $sr over $stp copy pairs"

# Compressed input and stdin.
gzip -c corpus.jsonl > corpus.jsonl.gz
zstd -q -c corpus.jsonl > corpus.jsonl.zst
"$DEDUP" cluster -q corpus.jsonl.gz > gz.tsv && cmp -s gz.tsv want.tsv
ok $? "gzip input"
"$DEDUP" cluster -q corpus.jsonl.zst > zst.tsv && cmp -s zst.tsv want.tsv
ok $? "zstd input"
"$DEDUP" cluster -q < corpus.jsonl > in.tsv && cmp -s in.tsv want.tsv
ok $? "stdin"
zstd -q -c corpus.jsonl | "$DEDUP" cluster -q - > in.tsv && cmp -s in.tsv want.tsv
ok $? "zstd through a pipe"
# A skippable frame first (pzstd writes one), then the data in two frames.
{ printf 'P*M\030\004\000\000\000abcd'; head -n 5 corpus.jsonl | zstd -q -c;
  tail -n +6 corpus.jsonl | zstd -q -c; } > skip.jsonl.zst
"$DEDUP" cluster -q skip.jsonl.zst > skip.tsv && cmp -s skip.tsv want.tsv
ok $? "zstd behind a skippable frame, in two frames"

# Several files: one run, ids kept, clusters across files.
head -n 12 corpus.jsonl > part1.jsonl
tail -n +13 corpus.jsonl | gzip -c > part2.jsonl.gz
"$DEDUP" cluster -q part1.jsonl part2.jsonl.gz > parts.tsv && cmp -s parts.tsv want.tsv
ok $? "several files, mixed compression"

# JSONL output: records unchanged plus the three fields.
"$DEDUP" cluster -q --output jsonl corpus.jsonl > out.jsonl
ok $? "--output jsonl exits 0"
python3 - corpus.jsonl out.jsonl <<'PY'
import json, sys
src = [json.loads(l) for l in open(sys.argv[1])]
out = [json.loads(l) for l in open(sys.argv[2])]
assert len(src) == len(out)
for s, o in zip(src, out):
    for k, v in s.items():
        assert o[k] == v, k
    story = s["id"].split("-")[0]
    assert o["cluster"] == story + "-c0"
    if s["id"].endswith("-c0"):
        assert o["duplicate_of"] is None and o["similarity"] == 1
    else:
        assert o["duplicate_of"] == story + "-c0" and 0.5 <= o["similarity"] <= 1
PY
ok $? "--output jsonl: fields added, input fields unchanged"
cat corpus.jsonl | "$DEDUP" cluster -q --output jsonl > out2.jsonl && cmp -s out.jsonl out2.jsonl
ok $? "--output jsonl from a pipe (stdin read twice)"

# Report: clusters largest first with the titles.
make_corpus big.jsonl 3 1
head -n 3 big.jsonl > r.jsonl
make_corpus more.jsonl 3 3
grep '"s0-' more.jsonl >> r.jsonl
"$DEDUP" cluster -q --output report r.jsonl > report.txt
ok $? "--output report exits 0"
is "$(grep -c '^cluster ' report.txt)" 1 "report shows the one cluster of 2 or more"
contains report.txt "cluster 1: 5 documents" "largest cluster with its size"
is "$(grep -c 'w[0-9]* w[0-9]* w[0-9]* w[0-9]* w[0-9]* w[0-9]*$' report.txt)" 5 \
    "each member shown with its title"

# Other input formats.
python3 -c '
import json
for l in open("corpus.jsonl"): print(json.loads(l)["text"])' > corpus.txt
"$DEDUP" cluster -q --input-format lines corpus.txt | cut -f2 | sort -u | tr '\n' ' ' > lines.txt
is "$(cat lines.txt)" "1 2 3 4 5 6 " "lines: clusters named by the first line of each story"
mkdir -p tree/b tree/a
printf 'the same text about the harbour and the boats that came in late\n' > tree/b/one.txt
cp tree/b/one.txt tree/a/two.txt
printf 'a different story about a mountain village and its school\n' > tree/a/three.txt
"$DEDUP" cluster -q --input-format files tree > files.tsv
is "$(tr '\t\n' ' ;' < files.tsv)" "a/three.txt a/three.txt;a/two.txt a/two.txt;b/one.txt a/two.txt;" \
    "files: ids are sorted relative paths"
python3 -c '
import json
print(json.dumps({"id": 1, "title": "Seoul stocks rise", "body": "Shares rose on Monday as chip makers gained."}))
print(json.dumps({"id": 2, "title": "Seoul stocks rise", "body": "Shares rose on Monday as chip makers gained."}))' > tb.jsonl
"$DEDUP" cluster -q --text-field title,body --id-field id tb.jsonl > tb.tsv
is "$(tr '\t\n' ' ;' < tb.tsv)" "1 1;2 1;" "--text-field title,body; numeric ids"

# The title is part of the text by default: two dividend notices of one
# wording are told apart by the companies their headlines name (4 shared
# 4-word shingles of 13: containment 0.31).
python3 -c '
import json
body = "The board declared a regular quarterly dividend."
print(json.dumps({"id": "a", "title": "Harbour Freight Lines Corp sets quarterly dividend", "text": body}))
print(json.dumps({"id": "b", "title": "Northern Mills Holding Inc raises payout to holders", "text": body}))
print(json.dumps({"id": "c", "title": "Harbour Freight Lines Corp sets quarterly dividend", "text": body}))
print(json.dumps({"id": "d", "title": "Only a headline, no text"}))' > notices.jsonl
"$DEDUP" cluster -q notices.jsonl > notices.tsv
is "$(tr '\t\n' ' ;' < notices.tsv)" "a a;b b;c a;d d;" "titles are compared by default"
"$DEDUP" cluster -q --text-field text --on-error skip notices.jsonl > notices-text.tsv 2>/dev/null
is "$(tr '\t\n' ' ;' < notices-text.tsv)" "a a;b a;c a;" "--text-field text compares the texts alone"
echo '{"id": "e", "date": "2024-01-01"}' > notext.jsonl
"$DEDUP" cluster -q notext.jsonl > /dev/null 2> notext.err
[ $? -eq 1 ] && grep -q 'notext.jsonl:1: none of the text fields title,text is present' notext.err
ok $? "a record with neither title nor text: exit 1, file:line and the fields looked for"

# Bad input: file:line, exit 1, nothing on stdout; skip and count.
cp corpus.jsonl bad.jsonl
echo '{"id": "broken", "text": "unterminated' >> bad.jsonl
echo '{"id": "notext"}' >> bad.jsonl
echo '{"id": "num", "text": 42}' >> bad.jsonl
"$DEDUP" cluster -q bad.jsonl > out.tsv 2> err.txt
is $? 1 "malformed line: exit 1"
contains err.txt "bad.jsonl:25:" "message names file:line"
is "$(wc -c < out.tsv)" 0 "no output is written"
"$DEDUP" cluster -q --on-error=skip --stats bad.jsonl > out.tsv 2> err.txt
is $? 0 "--on-error=skip: exit 0"
cmp -s out.tsv want.tsv
ok $? "--on-error=skip: the good documents are clustered"
contains err.txt "skipped          3" "--stats counts the skipped lines"
contains err.txt "documents        24" "--stats counts documents"
contains err.txt "clusters         6" "--stats counts clusters"
contains err.txt "peak memory" "--stats reports peak memory"
sed -n 1p corpus.jsonl > long.jsonl
"$DEDUP" cluster -q --max-doc-bytes 100 long.jsonl > /dev/null 2> err.txt
is $? 1 "line over --max-doc-bytes: exit 1"
contains err.txt "long.jsonl:1: line longer than --max-doc-bytes" "message for a long line"
printf '{"id":"u","text":"caf\xe9 au lait"}\n' > utf.jsonl
"$DEDUP" cluster -q --stats utf.jsonl > /dev/null 2> err.txt
is $? 0 "invalid UTF-8 is not an error"
is "$(grep -c 'warning: utf.jsonl:1: invalid UTF-8' err.txt)" 1 "one warning for invalid UTF-8"
contains err.txt "invalid utf-8    1" "--stats counts replacements"
head -c 200 corpus.jsonl.gz > trunc.gz
"$DEDUP" cluster -q trunc.gz > /dev/null 2> err.txt
is $? 1 "truncated gzip is bad input data: exit 1"
"$DEDUP" cluster --threshold 1.5 corpus.jsonl > /dev/null 2>&1
is $? 2 "bad threshold: exit 2"
"$DEDUP" cluster -j 0 corpus.jsonl > /dev/null 2>&1
is $? 2 "bad -j: exit 2"
"$DEDUP" cluster -q --param bands=16 --param rows=8 --param threshold=0.5 corpus.jsonl > prm.tsv
ok $? "--param sets library parameters by name"
"$DEDUP" cluster -q --param no_such=1 corpus.jsonl > /dev/null 2> err.txt
is $? 2 "--param with an unknown name: exit 2"
contains err.txt "unknown parameter 'no_such'" "message names the parameter"
"$DEDUP" cluster -q --param rows=99 corpus.jsonl > /dev/null 2>&1
is $? 2 "--param out of range: exit 2"

# Boilerplate: pages of one site share navigation and notices. 120 pages
# of two sites, each page a different story; two copies of one story on
# the two sites. With the default first pass the site lines are left out:
# the copies pair, the other pages stay alone. With --boilerplate off the
# shared site text makes pages of one site look alike.
python3 - > sites.jsonl <<'PY'
import json, random
rnd = random.Random(5)
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
         "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa"]
def story(n):
    return " ".join(rnd.choice(words) + str(rnd.randrange(1000)) for _ in range(n))
def page(site, text):
    nav = "Site %d | Home | World | Business | Sport | Weather | Opinion | Culture" % site
    notice = ("We use cookies on site %d to give you the best experience, "
              "subscribe to our newsletter for the morning briefing every day" % site)
    more = "ALSO READ on site %d: the week in pictures and the best of our coverage" % site
    return "\n".join([nav, notice, text, more])
shared = story(25)
print(json.dumps({"id": "copy-a", "text": page(1, shared)}))
for i in range(120):
    print(json.dumps({"id": "p%d" % i, "text": page(1 + i % 2, story(25))}))
print(json.dumps({"id": "copy-b", "text": page(2, shared)}))
PY
"$DEDUP" cluster -q sites.jsonl > bp.tsv
ok $? "boilerplate corpus: exit 0"
is "$(awk -F'\t' '$1 == "copy-b" {print $2}' bp.tsv)" "copy-a" \
    "copies of one story on two sites pair up past their site lines"
is "$(awk -F'\t' '$1 ~ /^p/ && $1 != $2' bp.tsv | wc -l)" 0 \
    "different stories of one site stay apart"
"$DEDUP" cluster -q --boilerplate off sites.jsonl > nobp.tsv
is "$(awk -F'\t' '$1 ~ /^p/ && $1 != $2' nobp.tsv | wc -l | awk '$1 > 80 {print "many"}')" \
    "many" "with --boilerplate off, site text merges different stories"
"$DEDUP" cluster -q --boilerplate 1 sites.jsonl > /dev/null 2>&1
is $? 2 "--boilerplate 1: exit 2"
cat sites.jsonl | "$DEDUP" cluster -q > pipe.tsv && cmp -s pipe.tsv bp.tsv
ok $? "boilerplate pass over stdin gives the same clusters"

# More pages than one chunk of the counting pass (4096 documents): with two
# threads the chunks are read and counted at once, in input order, so the
# counts and the clusters are those of one thread. Each of 450 sites has
# exactly 20 pages, spread over all the chunks: its lines are boilerplate
# only if every page is counted.
python3 - > sites-big.jsonl <<'PY'
import json, random
rnd = random.Random(9)
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
def story(n):
    return " ".join(rnd.choice(words) + str(rnd.randrange(100000)) for _ in range(n))
def page(site, text):
    nav = "Site %d | Home | World | Business | Sport | Weather | Opinion" % site
    more = "ALSO READ on site %d: the week in pictures and the best of our coverage" % site
    return "\n".join([nav, text, more])
shared = story(25)
print(json.dumps({"id": "copy-a", "text": page(1, shared)}))
for i in range(9000):
    print(json.dumps({"id": "p%d" % i, "text": page(i % 450, story(20))}))
print(json.dumps({"id": "copy-b", "text": page(2, shared)}))
PY
"$DEDUP" cluster -q -j1 sites-big.jsonl > big1.tsv
"$DEDUP" cluster -q -j2 sites-big.jsonl > big2.tsv
ok "$([ -s big1.tsv ] && cmp -s big1.tsv big2.tsv && echo 0 || echo 1)" \
    "counting pass over 9,002 pages: -j1 and -j2 give identical output"
is "$(awk -F'\t' '$1 == "copy-b" {print $2}' big2.tsv)" "copy-a" \
    "and the site lines counted across the chunks are left out"
is "$(awk -F'\t' '$1 ~ /^p/ && $1 != $2' big2.tsv | wc -l)" 0 \
    "different stories of one site stay apart"
# Bad lines past the first chunk, while the counting thread works on the
# chunk before: the first bad line of the input is reported, as with one
# thread, whatever kind of error comes later; skipped lines and invalid
# UTF-8 are handled as with one thread too.
python3 - <<'PY'
lines = open("sites-big.jsonl", encoding="utf-8").read().splitlines()
def write(name, changes):
    out = list(lines)
    for i, t in changes.items():
        out[i - 1] = t
    with open(name, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
long = '{"id": "long", "text": "%s"}' % ("word " * 400)
write("bad-late.jsonl", {5000: '{"id": "broken", "text": "unterminated', 8000: long})
write("long-first.jsonl", {3000: long, 6000: '{"id": "broken", "text": "unterminated'})
PY
printf '{"id":"u","text":"caf\xe9 au lait"}\n' > utf-line.txt
{ head -n 6999 sites-big.jsonl; cat utf-line.txt; tail -n +7001 sites-big.jsonl; } > utf-big.jsonl
"$DEDUP" cluster -q -j2 --max-doc-bytes 1000 bad-late.jsonl > /dev/null 2> late2.err
is $? 1 "bad line in the second chunk: exit 1"
contains late2.err "bad-late.jsonl:5000: malformed JSON" "the first bad line is named"
is "$(grep -c 'bad-late.jsonl:8000' late2.err)" 0 "and not the later long line"
"$DEDUP" cluster -q -j1 --max-doc-bytes 1000 bad-late.jsonl > /dev/null 2> late1.err
cmp -s late1.err late2.err
ok $? "the same message as with one thread"
"$DEDUP" cluster -q -j2 --max-doc-bytes 1000 long-first.jsonl > /dev/null 2> long2.err
is $? 1 "a long line before a malformed one: exit 1"
contains long2.err "long-first.jsonl:3000: line longer than --max-doc-bytes" \
    "the long line, read first, is named"
is "$(grep -c 'long-first.jsonl:6000' long2.err)" 0 "and not the later malformed line"
"$DEDUP" cluster -q -j1 --on-error=skip --max-doc-bytes 1000 bad-late.jsonl > skip1.tsv 2>/dev/null
"$DEDUP" cluster -q -j2 --on-error=skip --max-doc-bytes 1000 bad-late.jsonl > skip2.tsv 2>/dev/null
ok "$([ "$(wc -l < skip2.tsv)" -eq 9000 ] && cmp -s skip1.tsv skip2.tsv && echo 0 || echo 1)" \
    "--on-error=skip past the first chunk: 9,000 documents, as with one thread"
"$DEDUP" cluster -q -j2 utf-big.jsonl > /dev/null 2> utf2.err
is "$(grep -c 'warning: utf-big.jsonl:7000: invalid UTF-8' utf2.err)" 1 \
    "invalid UTF-8 past the first chunk: one warning, naming its line"

# Output that neither breaks nor attacks: control characters and
# backslashes in ids and titles are escaped in TSV and the report, JSON
# output is valid UTF-8, and numbers keep their form.
printf '%s\n' \
  '{"id":0.1,"title":"Harbour \u001b]0;owned\u0007 budget","text":"The council approved the harbour budget on Monday after a long debate about the cost of the northern pier."}' \
  '{"id":"a\u001b[31mx\\y","title":"Harbour \u001b]0;owned\u0007 budget","text":"The council approved the harbour budget on Monday after a long debate about the cost of the northern pier."}' > odd.jsonl
"$DEDUP" cluster odd.jsonl > odd.tsv
ok $? "odd ids: cluster exits 0"
is "$(sed -n 2p odd.tsv)" 'a\x1b[31mx\\y	0.1' "TSV: escape and backslash are escaped, 0.1 stays 0.1"
grep -q "$(printf '\033')" odd.tsv
ok $((! $?)) "TSV: no raw escape character"
"$DEDUP" cluster --output report odd.jsonl > odd.txt
grep -q "$(printf '\033')" odd.txt
ok $((! $?)) "report: no raw escape character"
contains odd.txt 'Harbour \x1b]0;owned\x07 budget' "report: the title's controls are escaped"
printf 'abc \377\376 def ghi jkl mno\n' | "$DEDUP" cluster -q --input-format lines --output jsonl \
    2> /dev/null > bad-utf8.jsonl
python3 -c 'import json,sys; json.loads(open(sys.argv[1]).read())' bad-utf8.jsonl
ok $? "JSON output of invalid UTF-8 input parses"
printf '{"id":"b\\u0000x","text":"alpha"}\n' > nul.jsonl
"$DEDUP" cluster nul.jsonl > /dev/null 2> err.txt
is $? 1 "an id with a NUL character: exit 1"
contains err.txt "nul.jsonl:1: id contains a NUL character" "the message names file and line"

# What real data holds is accepted: a byte order mark, a number too large
# for 64 bits in any field, a lone escaped surrogate, zero padding after
# gzip data; damaged compressed data is bad input (exit 1).
t='"text":"The council approved the harbour budget on Monday after a long debate."'
printf '\357\273\277{"id":"bom",%s}\n' "$t" > real.jsonl
printf '{"id":"big","n":123456789012345678901234567890,%s}\n' "$t" >> real.jsonl
printf '{"id":"sur","note":"\\ud800 alone",%s}\n' "$t" >> real.jsonl
"$DEDUP" cluster real.jsonl > real.tsv 2> err.txt
ok $? "a byte order mark, a huge number and a lone surrogate are read"
is "$(cut -f1 real.tsv | tr '\n' ' ')" "bom big sur " "every record is there, in order"
gzip -c real.jsonl > padded.gz
head -c 4096 /dev/zero >> padded.gz
"$DEDUP" cluster padded.gz > padded.tsv
ok $? "zero padding after gzip data is read as gzip -d reads it"
cmp -s padded.tsv real.tsv
ok $? "the padded file gives the same clusters"
(cat padded.gz; printf 'junk') > junk.gz
"$DEDUP" cluster junk.gz > /dev/null 2> err.txt
is $? 1 "data after the padding: exit 1"
contains err.txt "junk.gz: data after the zero padding of gzip data" "the message says what"
printf '\037\213\010\000\000\000\000\000\000\003garbagegarbage' > corrupt.gz
"$DEDUP" cluster corrupt.gz > /dev/null 2> err.txt
is $? 1 "corrupt gzip: exit 1"

# --stats=json for machines; bytes read are counted once however many
# passes the input takes (line statistics, JSONL output).
"$DEDUP" cluster -q --stats=json --output jsonl corpus.jsonl 2> stats.json > /dev/null
ok $? "--stats=json exits 0"
python3 - stats.json "$(stat -c %s corpus.jsonl)" "$(wc -l < corpus.jsonl)" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["bytes_read"] == int(sys.argv[2]), (o["bytes_read"], sys.argv[2])
assert o["documents"] == int(sys.argv[3]) and o["clusters"] + o["duplicates"] == o["documents"], o
assert o["seconds_cluster"] >= 0 and o["peak_memory_bytes"] > 0, o
PY
ok $? "--stats=json: the counts, and the input's size read once over three passes"
"$DEDUP" filter -q --stats=json corpus.jsonl 2> fstats.json > /dev/null
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["kept"]+o["dropped"]==o["documents"], o' fstats.json
ok $? "filter --stats=json: kept and dropped add up"
"$DEDUP" cluster -q --stats=xml corpus.jsonl > /dev/null 2>&1
is $? 2 "--stats=xml: usage error"

# CSV input with a header row (RFC 4180: quoted commas, doubled quotes,
# line breaks inside quotes, CRLF line ends, a byte order mark).
t1='The council approved the harbour budget on Monday after a long debate about the pier.'
t2='Heavy rain closed the coastal road for a second day as engineers inspected the bridge.'
printf '\357\273\277id,title,text,date\r\n' > in.csv
printf 'n1,"Budget, approved","%s",2024-05-01\r\n' "$t1" >> in.csv
printf 'n2,Budget passes,"%s",2024-05-01\r\n' "$t1" >> in.csv
printf 'n3,"Rain ""closes"" road","Heavy rain closed the coastal road\nfor a second day as engineers inspected the bridge.",2024-05-02\r\n' >> in.csv
printf 'n4,Road shut,"%s",2024-05-02\r\n' "$t2" >> in.csv
"$DEDUP" cluster --input-format csv in.csv > csv.tsv
ok $? "CSV: cluster exits 0"
is "$(tr '\t\n' ' ;' < csv.tsv)" "n1 n1;n2 n1;n3 n3;n4 n3;" \
    "CSV: quoted commas, doubled quotes and a line break inside quotes are read"
"$DEDUP" cluster --input-format csv --output jsonl in.csv > csv.jsonl
python3 - csv.jsonl <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert r[0]["text"].startswith("Budget, approved\nThe council"), r[0]
assert r[2]["text"].startswith('Rain "closes" road\nHeavy rain closed the coastal road\nfor'), r[2]
PY
ok $? "CSV: the fields are unescaped, title and text joined"
"$DEDUP" filter -q --input-format csv --window-time 2d in.csv > kept.csv
is "$(head -n 1 kept.csv)" "id,title,text,date" "CSV filter: the header goes first"
is "$(grep -c '^n' kept.csv)" 2 "CSV filter: one record of each story is kept"
printf 'id,body\nx,hello\n' > nocol.csv
"$DEDUP" cluster --input-format csv nocol.csv > /dev/null 2> err.txt
is $? 1 "CSV without a text column: exit 1"
contains err.txt "nocol.csv:1: the header row has no column named title,text" "the message names the header"
"$DEDUP" cluster --input-format csv --text-field body nocol.csv > /dev/null
ok $? "CSV: --text-field picks the column"
printf 'id,text\na,one two\nb,three,four\n' > short.csv
"$DEDUP" cluster --input-format csv short.csv > /dev/null 2> err.txt
is $? 1 "CSV record with more fields than the header: exit 1"
contains err.txt "short.csv:3: record has 3 fields, the header 2" "the message names file and line"
printf 'id,text\nn1,a 5" screen on the desk\nn2,the next record\n' > inch.csv
"$DEDUP" cluster --input-format csv inch.csv > inch.tsv
is "$(cut -f1 inch.tsv | tr '\n' ' ')" "n1 n2 " "CSV: a quote inside an unquoted field does not swallow the next line"
printf 'id,text\na,"never closed\n' > open.csv
"$DEDUP" cluster --input-format csv open.csv > /dev/null 2> err.txt
is $? 1 "CSV quote never closed: exit 1"
contains err.txt "open.csv:2: quoted field not closed" "the message names the record's line"

# Ids are expected to name one document each: repeats are reported.
printf '%s\n' '{"id":"a","text":"one two three four five six seven"}' \
    '{"id":"b","text":"eight nine ten eleven twelve thirteen"}' \
    '{"id":"a","text":"alpha beta gamma delta epsilon zeta eta"}' \
    '{"id":1,"text":"theta iota kappa lambda mu nu xi"}' \
    '{"id":"1","text":"omicron pi rho sigma tau upsilon"}' > same-id.jsonl
"$DEDUP" cluster --stats same-id.jsonl > /dev/null 2> err.txt
ok $? "a corpus with a repeated id is clustered"
contains err.txt "warning: id 'a' is given to 2 documents (numbers 1 and 3 of the input)" \
    "the repeat is reported with the documents' places"
contains err.txt "duplicate ids    1" "and counted (the number 1 and the string \"1\" differ)"

done_testing
